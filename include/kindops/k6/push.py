"""Results as metrics on a Prometheus Pushgateway (``KINDOPS_PUSHGATEWAY_URL``), for Grafana.

Each judged step is pushed to the group ``{job="k6-baseline", app, scenario}`` (POST: families
not pushed this time are kept, so a skipped step keeps its last figures). For every figure of
:data:`FIGURES` (p95, p99, req/s, failed-request ratio, passed-checks ratio):

==================================================  =========================================
``kindops_k6_<figure>``                              this run's value
``kindops_k6_baseline_<figure>``                     the baseline (median of the accepted
                                                     history) the run was judged on
``kindops_k6_baseline_noise_<figure>``               the noise band's half-width around it
                                                     (``noise_k`` robust standard deviations)
``kindops_k6_verdict{verdict}``                      1 for this run's verdict, 0 for the others
``kindops_k6_run_timestamp_seconds``                 when the step ran (or was skipped)
==================================================  =========================================

with ``<figure>`` one of ``p95_seconds``, ``p99_seconds``, ``rps``, ``error_ratio``,
``check_ratio``. A figure the run or the comparison does not have (p99 of a summary made
without it, checks of a scenario without checks, the baseline or band of a metric not judged
yet) is not pushed, so its last pushed value stays. The ``kindops-k6`` Grafana dashboard reads
them all.

The report step pushes ``kindops_job_last_success_timestamp_seconds`` to the group
``{job="k6-baseline"}`` when the whole weekly run is good (a staleness alert watches it).

Pushing is best effort: the history in the artifact store is the record. A push that fails is
logged and reported in the result (``data.push``); it never fails or repeats the load test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge, pushadd_to_gateway

from kindops.k6.summary import RunMetrics

log = logging.getLogger("kindops.k6")
JOB = "k6-baseline"
PREFIX = "kindops_k6_"
#: Every label value kindops_k6_verdict takes (one-hot).
VERDICT_LABELS = ("pass", "improved", "inconclusive", "regressed", "failed", "skipped")


@dataclass(frozen=True)
class Figure:
    key: str
    """Field of :class:`RunMetrics` and metric key of the comparison (k6's unit)."""
    name: str
    """Metric name after ``kindops_k6_`` (and ``kindops_k6_baseline_[noise_]``)."""
    doc: str
    scale: float = 1.0
    """k6's unit to the pushed one (ms to s)."""


FIGURES: tuple[Figure, ...] = (
    Figure("p95_ms", "p95_seconds", "p95 of http_req_duration (s)", 1e-3),
    Figure("p99_ms", "p99_seconds", "p99 of http_req_duration (s)", 1e-3),
    Figure("rps", "rps", "requests per second"),
    Figure("error_ratio", "error_ratio", "failed-request ratio (http_req_failed)"),
    Figure("check_rate", "check_ratio", "passed-checks ratio (checks)"),
)


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
    baseline: Mapping[str, float | None] | None = None,
    noise: Mapping[str, float | None] | None = None,
) -> str:
    """Push one step's figures and verdict; returns ``pushed`` or ``failed: <why>``.

    ``baseline`` and ``noise`` map a figure's key (``p95_ms``, ``rps``, ...) to the baseline
    median and the noise band's half-width, in k6's unit (the comparison's ``baseline`` and
    ``noise``)."""
    registry = CollectorRegistry()
    labels = {"app": app, "scenario": scenario}

    def gauge(name: str, doc: str, value: float | None) -> None:
        if value is not None:
            Gauge(name, doc, list(labels), registry=registry).labels(**labels).set(value)

    def scaled(values: Mapping[str, float | None] | None, figure: Figure) -> float | None:
        value = (values or {}).get(figure.key)
        return None if value is None else value * figure.scale

    for figure in FIGURES:
        current = None if metrics is None else getattr(metrics, figure.key)
        gauge(
            PREFIX + figure.name,
            f"{figure.doc}, this run.",
            None if current is None else current * figure.scale,
        )
        gauge(
            PREFIX + "baseline_" + figure.name,
            f"{figure.doc}, baseline (median of the accepted runs) the run was judged on.",
            scaled(baseline, figure),
        )
        gauge(
            PREFIX + "baseline_noise_" + figure.name,
            f"{figure.doc}, half-width of the baseline's noise band.",
            scaled(noise, figure),
        )
    gauge(PREFIX + "run_timestamp_seconds", "When the step ran (unix s).", at)
    verdicts = Gauge(
        PREFIX + "verdict",
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
