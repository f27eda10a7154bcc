"""The k6 end-of-test summary (``handleSummary``'s ``data``, as JSON) reduced to what we compare.

Required: ``http_req_duration`` p(95), ``http_reqs`` count and rate, ``http_req_failed`` rate.
Optional: ``http_req_duration`` p(99) (k6 reports it with ``--summary-trend-stats`` including
``p(99)``, which ``kindops k6 run`` passes) and ``checks`` rate (a scenario may have no checks).
A summary that is not JSON, is truncated, or lacks a required value is a
:class:`~kindops.errors.ConfigError` naming what is wrong: it is never compared or accepted.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from kindops.errors import ConfigError


@dataclass(frozen=True)
class RunMetrics:
    """One run's figures. Latencies in milliseconds (k6's unit), ratios in 0..1."""

    p95_ms: float
    rps: float
    error_ratio: float
    requests: int
    p99_ms: float | None = None
    check_rate: float | None = None
    duration_s: float | None = None
    vus_max: int | None = None
    failed_thresholds: list[str] = field(default_factory=list)

    @property
    def thresholds_ok(self) -> bool:
        return not self.failed_thresholds

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> RunMetrics:
        return cls(
            p95_ms=float(doc["p95_ms"]),
            rps=float(doc["rps"]),
            error_ratio=float(doc["error_ratio"]),
            requests=int(doc["requests"]),
            p99_ms=None if doc.get("p99_ms") is None else float(doc["p99_ms"]),
            check_rate=None if doc.get("check_rate") is None else float(doc["check_rate"]),
            duration_s=None if doc.get("duration_s") is None else float(doc["duration_s"]),
            vus_max=None if doc.get("vus_max") is None else int(doc["vus_max"]),
            failed_thresholds=[str(t) for t in doc.get("failed_thresholds") or []],
        )


def _optional(metrics: dict[str, Any], name: str, stat: str, where: str) -> float | None:
    metric = metrics.get(name)
    values = metric.get("values") if isinstance(metric, dict) else None
    raw = values.get(stat) if isinstance(values, dict) else None
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ConfigError(f"{where}: k6 summary has a non-numeric {name} {stat}: {raw!r}")
    if raw < 0:
        raise ConfigError(f"{where}: k6 summary has a negative {name} {stat}: {raw!r}")
    return float(raw)


def _required(metrics: dict[str, Any], name: str, stat: str, where: str) -> float:
    value = _optional(metrics, name, stat, where)
    if value is None:
        raise ConfigError(f"{where}: k6 summary lacks {name} {stat} (truncated or not a k6 run?)")
    return value


def _failed_thresholds(metrics: dict[str, Any]) -> list[str]:
    failed = []
    for name in sorted(metrics):
        metric = metrics[name]
        thresholds = metric.get("thresholds") if isinstance(metric, dict) else None
        if isinstance(thresholds, dict):
            for expr in sorted(thresholds):
                state = thresholds[expr]
                if isinstance(state, dict) and state.get("ok") is False:
                    failed.append(f"{name}: {expr}")
    return failed


def parse(raw: bytes | str, where: str = "summary") -> RunMetrics:
    """Parse a k6 summary document; ``where`` names it in errors."""
    if not raw.strip():
        raise ConfigError(f"{where}: k6 summary is empty")
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: k6 summary is not valid JSON (truncated?): {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise ConfigError(f"{where}: not a k6 summary (no 'metrics' object)")
    metrics: dict[str, Any] = doc["metrics"]
    p95 = _required(metrics, "http_req_duration", "p(95)", where)
    rps = _required(metrics, "http_reqs", "rate", where)
    count = _required(metrics, "http_reqs", "count", where)
    errors = _required(metrics, "http_req_failed", "rate", where)
    if errors > 1:
        raise ConfigError(f"{where}: http_req_failed rate {errors} is not a ratio")
    checks = _optional(metrics, "checks", "rate", where)
    if checks is not None and checks > 1:
        raise ConfigError(f"{where}: checks rate {checks} is not a ratio")
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    duration_ms = state.get("testRunDurationMs") if isinstance(state, dict) else None
    vus_max = _optional(metrics, "vus_max", "max", where)
    return RunMetrics(
        p95_ms=p95,
        rps=rps,
        error_ratio=errors,
        requests=int(count),
        p99_ms=_optional(metrics, "http_req_duration", "p(99)", where),
        check_rate=checks,
        duration_s=float(duration_ms) / 1000 if isinstance(duration_ms, int | float) else None,
        vus_max=int(vus_max) if vus_max is not None else None,
        failed_thresholds=_failed_thresholds(metrics),
    )
