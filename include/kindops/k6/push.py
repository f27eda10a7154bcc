"""Results as metrics on a Prometheus Pushgateway (``KINDOPS_PUSHGATEWAY_URL``), for Grafana.

Each judged step is pushed to the group ``{job="k6-baseline", app, scenario}`` (POST: families
not pushed this time are kept, so a skipped step keeps its last figures):

=============================================  ==============================================
``kindops_k6_p95_seconds``                     p95 of http_req_duration
``kindops_k6_p99_seconds``                     p99 (when the summary has it)
``kindops_k6_rps``                             requests per second
``kindops_k6_error_ratio``                     failed-request ratio
``kindops_k6_baseline_p95_seconds``            the baseline (median) p95 the run was judged on
``kindops_k6_baseline_rps``                    the baseline req/s
``kindops_k6_verdict{verdict}``                1 for this run's verdict, 0 for the others
``kindops_k6_run_timestamp_seconds``           when the step ran
=============================================  ==============================================

The report step pushes ``kindops_job_last_success_timestamp_seconds`` to the group
``{job="k6-baseline"}`` when the whole weekly run is good (a staleness alert watches it).

Pushing is best effort: the history in the artifact store is the record. A push that fails is
logged and reported in the result (``data.push``); it never fails or repeats the load test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Gauge, pushadd_to_gateway

from kindops.k6.summary import RunMetrics

log = logging.getLogger("kindops.k6")
JOB = "k6-baseline"
#: Every label value kindops_k6_verdict takes (one-hot).
VERDICT_LABELS = ("pass", "improved", "inconclusive", "regressed", "failed", "skipped")


def _push(url: str, registry: CollectorRegistry, grouping: dict[str, str]) -> str:
    try:
        pushadd_to_gateway(url, job=JOB, registry=registry, grouping_key=grouping, timeout=10)
    except (OSError, ValueError) as exc:  # urllib errors are OSErrors
        log.warning("push failed", extra={"pushgateway": url, "error": str(exc)})
        return f"failed: {exc}"
    return "pushed"


def push_step(
    url: str,
    app: str,
    scenario: str,
    verdict: str,
    at: float,
    metrics: RunMetrics | None = None,
    baseline: dict[str, float | None] | None = None,
) -> str:
    """Push one step's figures and verdict; returns ``pushed`` or ``failed: <why>``."""
    registry = CollectorRegistry()
    labels = {"app": app, "scenario": scenario}

    def gauge(name: str, doc: str, value: float | None) -> None:
        if value is not None:
            Gauge(name, doc, list(labels), registry=registry).labels(**labels).set(value)

    if metrics is not None:
        gauge("kindops_k6_p95_seconds", "p95 of http_req_duration (s).", metrics.p95_ms / 1000)
        p99 = None if metrics.p99_ms is None else metrics.p99_ms / 1000
        gauge("kindops_k6_p99_seconds", "p99 of http_req_duration (s).", p99)
        gauge("kindops_k6_rps", "Requests per second.", metrics.rps)
        gauge("kindops_k6_error_ratio", "Failed-request ratio.", metrics.error_ratio)
    base = baseline or {}
    base_p95 = base.get("p95_ms")
    gauge(
        "kindops_k6_baseline_p95_seconds",
        "Baseline (median) p95 the run was judged on (s).",
        None if base_p95 is None else base_p95 / 1000,
    )
    gauge("kindops_k6_baseline_rps", "Baseline (median) requests per second.", base.get("rps"))
    gauge("kindops_k6_run_timestamp_seconds", "When the step ran (unix s).", at)
    verdicts = Gauge(
        "kindops_k6_verdict",
        "1 for the step's verdict, 0 for the others.",
        [*labels, "verdict"],
        registry=registry,
    )
    for name in _verdicts(verdict):
        verdicts.labels(**labels, verdict=name).set(1.0 if name == verdict else 0.0)
    return _push(url, registry, labels)


def push_success(url: str, at: float) -> str:
    """``kindops_job_last_success_timestamp_seconds{job="k6-baseline"}``."""
    registry = CollectorRegistry()
    Gauge(
        "kindops_job_last_success_timestamp_seconds",
        "When the job last finished with a good verdict (unix s).",
        registry=registry,
    ).set(at)
    return _push(url, registry, {})


def _verdicts(verdict: str) -> Iterable[str]:
    return VERDICT_LABELS if verdict in VERDICT_LABELS else (*VERDICT_LABELS, verdict)
