"""Synthetic history of the series the SLO specs read (observability/slos), for budget tests.

:func:`slo_history` builds, for app-python, app-java and app-python-worker, the counters and
gauges their SLIs query, with exact bad-event shares per phase, so a test can compute the
expected budget by hand: for the availability SLO (budget 0.5 %), 0.2 % of errors over the
whole period consume 40 % of the budget and leave 60 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tests.support.prometheus import Series


@dataclass(frozen=True)
class Shares:
    """Bad-event shares of one phase (0.002 = 0.2 % of events are bad)."""

    python_errors: float = 0.0
    python_slow: float = 0.0
    java_errors: float = 0.0
    java_slow: float = 0.0
    worker_failures: float = 0.0
    #: share of samples where the oldest queued order is older than the 120 s threshold
    queue_late: float = 0.0


@dataclass(frozen=True)
class Phase:
    """``points`` consecutive samples with the given shares."""

    points: int
    shares: Shares


def _counter(name: str, labels: dict[str, str], increments: Sequence[float]) -> Series:
    values, total = [], 0.0
    for inc in increments:
        total += inc
        values.append(total)
    return Series(name, labels, values)


def slo_history(phases: Sequence[Phase], step: float = 300.0, rps: float = 2.0) -> list[Series]:
    """Every SLI series over the phases, one sample every ``step`` seconds, ``rps`` events/s."""
    per_step = rps * step
    shares = [p.shares for p in phases for _ in range(p.points)]
    out: list[Series] = []
    for job, route, errors, slow in (
        ("app-python", "/orders", "python_errors", "python_slow"),
        ("app-java", "/prices/{sku}", "java_errors", "java_slow"),
    ):
        for code, bad in (("200", False), ("500", True)):
            base = {
                "job": job,
                "http_route": route,
                "http_request_method": "GET",
                "http_response_status_code": code,
            }

            def part(s: Shares, bad: bool = bad, errors: str = errors) -> float:
                share = float(getattr(s, errors))
                return per_step * (share if bad else 1 - share)

            counts = [part(s) for s in shares]
            fast = [c * (1 - float(getattr(s, slow))) for c, s in zip(counts, shares, strict=True)]
            out.append(_counter("http_server_request_duration_seconds_count", base, counts))
            out.append(
                _counter("http_server_request_duration_seconds_bucket", {**base, "le": "0.3"}, fast)
            )
            out.append(
                _counter(
                    "http_server_request_duration_seconds_bucket", {**base, "le": "+Inf"}, counts
                )
            )
        # probes are excluded from the SLIs: failing, slow probes must not move any budget
        probe = {
            "job": job,
            "http_route": "/healthz/ready" if job == "app-python" else "/actuator/health/readiness",
            "http_request_method": "GET",
            "http_response_status_code": "503",
        }
        out.append(
            _counter("http_server_request_duration_seconds_count", probe, [per_step] * len(shares))
        )
    worker = {"job": "app-python-worker"}
    out.append(
        _counter(
            "orders_processed_total",
            {**worker, "orders_pricing_source": "app-java"},
            [per_step * (1 - s.worker_failures) for s in shares],
        )
    )
    out.append(
        _counter(
            "orders_failed_total",
            {**worker, "error_type": "pricing_unavailable"},
            [per_step * s.worker_failures for s in shares],
        )
    )
    # the sender's errors: excluded from the processing SLI
    out.append(
        _counter(
            "orders_failed_total", {**worker, "error_type": "unknown_sku"}, [per_step] * len(shares)
        )
    )
    ages = []
    for phase in phases:
        share = phase.shares.queue_late
        for j in range(phase.points):
            # late samples spread evenly through the phase: exactly round(points * share) of them
            late = int((j + 1) * share + 0.5) > int(j * share + 0.5)
            ages.append(300.0 if late else 4.0)
    out.append(
        Series(
            "orders_queue_oldest_age_seconds",
            {**worker, "messaging_destination_name": "orders"},
            ages,
        )
    )
    return out


# -- the scenario the SLO tests share -----------------------------------------------------------
# 37 days: days 1-30 within every objective; during days 31-37 app-python answers 5 % of 5xx.
# Over the 30 days ending at HEALTHY_AT the budgets are known exactly (app-python availability:
# 0.2 % errors of a 0.5 % budget leaves 60 %); over the 30 days ending at END app-python
# availability is overspent: (23 x 0.2 % + 7 x 5 %) / 30 = 1.32 % errors, 264 % of its budget.
STEP = 300.0
PER_DAY = int(86400 / STEP)
END = datetime(2026, 3, 1, tzinfo=UTC)
HEALTHY_AT = END - timedelta(days=7)
BEFORE_DATA = END - timedelta(days=80)
HEALTHY = Shares(
    python_errors=0.002,
    python_slow=0.02,
    java_errors=0.001,
    java_slow=0.01,
    worker_failures=0.002,
    queue_late=0.002,
)
OUTAGE = replace(HEALTHY, python_errors=0.05)
#: Budget left over the 30 days ending at HEALTHY_AT. queue-age is a time-slice SLI counted in
#: minutes over 5-minute samples: close to, not exactly, 0.8.
EXPECTED_HEALTHY = {
    ("app-python", "availability"): 0.6,
    ("app-python", "latency"): 0.6,
    ("app-java", "availability"): 0.8,
    ("app-java", "latency"): 0.8,
    ("app-python-worker", "processing"): 0.8,
    ("app-python-worker", "queue-age"): 0.8,
}
EXHAUSTED_AT_END = 1 - 0.0132 / 0.005


def month_with_outage() -> list[Series]:
    """The scenario's series (backfill them with ``end=END, step=STEP``)."""
    return slo_history([Phase(30 * PER_DAY, HEALTHY), Phase(7 * PER_DAY, OUTAGE)], STEP)
