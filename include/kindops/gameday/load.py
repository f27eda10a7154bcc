"""k6 load during the game day: the lab's scenarios, run in the background for the whole window.

The command line, the clean environment and the summary parsing are the k6 jobs' own
(:mod:`kindops.k6.runner`, :mod:`kindops.k6.summary`, :mod:`kindops.k6.scenarios`); this module
only starts k6 without waiting for it, so faults and probes happen while it runs. The run is
shaped with k6's ``K6_VUS`` and ``K6_DURATION`` (constant VUs for the whole window).

The load is judged on the catalog's load thresholds (error ratio, p95, checks) and on k6's own
thresholds from the scenario (recorded; an injected fault is expected to break the SLO-aligned
ones, so they inform but do not decide).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kindops.errors import ConfigError, KindopsError
from kindops.gameday.catalog import Load, format_duration
from kindops.k6 import runner, scenarios
from kindops.k6.summary import RunMetrics, parse

log = logging.getLogger("kindops.gameday")


@dataclass
class LoadOutcome:
    exit_code: int | None
    metrics: RunMetrics | None
    summary: bytes | None
    output: str
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def thresholds_met(self) -> bool:
        return self.metrics is not None and all(t["met"] for t in self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "metrics": self.metrics.to_dict() if self.metrics else None,
            "thresholds": self.thresholds,
            "thresholds_met": self.thresholds_met,
            "k6_thresholds_failed": self.metrics.failed_thresholds if self.metrics else [],
            "error": self.error,
        }


def judge(load: Load, metrics: RunMetrics) -> list[dict[str, Any]]:
    """The catalog's load thresholds against the run's figures."""
    rows: list[dict[str, Any]] = []
    t = load.thresholds
    if t.max_error_ratio is not None:
        rows.append(
            {
                "name": "error_ratio",
                "threshold": f"<= {t.max_error_ratio:g}",
                "value": metrics.error_ratio,
                "met": metrics.error_ratio <= t.max_error_ratio,
            }
        )
    if t.max_p95_ms is not None:
        rows.append(
            {
                "name": "p95_ms",
                "threshold": f"<= {t.max_p95_ms:g}",
                "value": metrics.p95_ms,
                "met": metrics.p95_ms <= t.max_p95_ms,
            }
        )
    if t.min_checks_ratio is not None:
        value = metrics.check_rate
        rows.append(
            {
                "name": "checks_ratio",
                "threshold": f">= {t.min_checks_ratio:g}",
                "value": value,
                "met": value is not None and value >= t.min_checks_ratio,
            }
        )
    return rows


class BackgroundLoad:
    """k6 running ``load`` against ``base_url`` until its duration ends (or :meth:`stop`)."""

    def __init__(
        self, binary: str, scenarios_root: Path, load: Load, base_url: str, duration: float
    ) -> None:
        self.binary = binary
        self.load = load
        self.base_url = base_url
        self.duration = duration
        self._tmp = tempfile.TemporaryDirectory(prefix="kindops-gameday-k6-")
        self.workdir = Path(self._tmp.name)
        self.script = scenarios.materialize(
            scenarios_root, load.app, load.scenario, self.workdir / "tree"
        )
        self.proc: subprocess.Popen[str] | None = None
        self._out: IO[str] | None = None

    @property
    def command(self) -> list[str]:
        return [
            self.binary,
            "run",
            "--quiet",
            "--no-color",
            "--no-usage-report",
            "--address",
            "",
            f"--summary-trend-stats={runner.TREND_STATS}",
            str(self.script),
        ]

    def start(self) -> dict[str, Any]:
        env = {k: os.environ[k] for k in runner.PASS_THROUGH if k in os.environ}
        env.setdefault("HOME", str(self.workdir))
        env.update(
            {
                "BASE_URL": self.base_url,
                "K6_SUMMARY_PATH": str(self.workdir / runner.SUMMARY_NAME),
                "K6_VUS": str(self.load.vus),
                "K6_DURATION": format_duration(self.duration),
            }
        )
        self._out = (self.workdir / "k6-output.txt").open("w")
        try:
            self.proc = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        except OSError as exc:
            raise ConfigError(f"cannot run k6 at {self.binary}: {exc.strerror}") from None
        log.info("k6 load started", extra={"script": str(self.script), "vus": self.load.vus})
        return {
            "k6": f"{self.load.app}/{self.load.scenario}",
            "vus": self.load.vus,
            "duration": format_duration(self.duration),
            "base_url": self.base_url,
            "pid": self.proc.pid,
        }

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Interrupt k6 (SIGINT: it still writes its summary), then kill it if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def wait(self, timeout: float) -> LoadOutcome:
        """Wait for k6 to end (interrupting it after ``timeout``) and judge its summary."""
        if self.proc is None:
            return LoadOutcome(None, None, None, "", error="k6 was not started")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("k6 outlived the game day window; interrupting it")
            self.stop()
        if self._out is not None:
            self._out.close()
        output = (self.workdir / "k6-output.txt").read_text(errors="replace")
        path = self.workdir / runner.SUMMARY_NAME
        summary = path.read_bytes() if path.is_file() else None
        code = self.proc.returncode
        outcome = LoadOutcome(code, None, summary, output)
        if summary is None:
            outcome.error = f"k6 exited {code} without a summary: {output.strip()[-300:]}"
            return outcome
        try:
            outcome.metrics = parse(summary, "game-day k6 summary")
        except KindopsError as exc:
            outcome.error = exc.message
            return outcome
        outcome.thresholds = judge(self.load, outcome.metrics)
        return outcome

    def close(self) -> None:
        self.stop()
        if self._out is not None and not self._out.closed:
            self._out.close()
        self._tmp.cleanup()
