"""Regression verdicts: one run against the median of its accepted history.

For each metric (p95 and p99 of ``http_req_duration``, the failed-request ratio, requests per
second, the passed-checks ratio)::

    baseline = median of the metric over the baseline runs
    noise    = noise_k x 1.4826 x MAD          (MAD: median absolute deviation from the median;
                                                1.4826 x MAD estimates a standard deviation
                                                without being dragged by one outlier run)
    limit    = threshold x baseline             (p95, p99, req/s: relative thresholds)
               threshold                        (error and check ratios: absolute, in points)
    worse    = current - baseline               (p95, p99, errors: higher is worse)
               baseline - current               (req/s, checks: lower is worse)

    worse >  limit and worse >  noise  -> regressed
    worse < -limit and -worse > noise  -> improved
    worse >  limit (inside the noise)  -> inconclusive (history too noisy to tell)
    otherwise                          -> pass

A regression must exceed BOTH the threshold and the noise band; a metric fewer than
``min_history`` baseline runs carry is shown but not judged (``n/a``). The run's verdict, in order:
``failed`` (k6's own thresholds failed: the run broke its absolute limits), ``inconclusive``
(fewer than ``min_history`` baseline runs, or fewer than ``min_requests`` requests), ``regressed``
(any metric), ``inconclusive`` (any metric inside the noise), ``improved`` (any metric, none
worse), ``pass``. Everything here is order-independent: the baseline is a multiset.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kindops.k6.settings import Limits
from kindops.k6.summary import RunMetrics

Verdict = Literal["pass", "improved", "inconclusive", "regressed", "failed"]
MetricVerdict = Literal["pass", "improved", "inconclusive", "regressed", "n/a"]
VERDICTS: tuple[Verdict, ...] = ("pass", "improved", "inconclusive", "regressed", "failed")
#: 1.4826 x MAD is a consistent estimator of the standard deviation for normal data.
MAD_SCALE = 1.4826


@dataclass(frozen=True)
class MetricSpec:
    key: str
    """Field of :class:`RunMetrics`."""
    label: str
    unit: str
    higher_is_worse: bool
    relative: bool
    limit: str
    """Field of :class:`Limits` holding its threshold."""

    def threshold(self, limits: Limits, baseline: float) -> float:
        share: float = getattr(limits, self.limit)
        return share * abs(baseline) if self.relative else share


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("p95_ms", "p95 latency", "ms", True, True, "p95"),
    MetricSpec("p99_ms", "p99 latency", "ms", True, True, "p99"),
    MetricSpec("error_ratio", "failed requests", "ratio", True, False, "error_ratio"),
    MetricSpec("rps", "throughput", "req/s", False, True, "rps"),
    MetricSpec("check_rate", "passed checks", "ratio", False, False, "checks"),
)


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    label: str
    unit: str
    current: float | None
    baseline: float | None
    change: float | None
    """current - baseline, in the metric's unit."""
    change_pct: float | None
    """The change relative to the baseline, in percent (None when the baseline is 0)."""
    threshold: float | None
    """The threshold in the metric's unit."""
    noise: float | None
    """The noise band in the metric's unit."""
    samples: int
    verdict: MetricVerdict


@dataclass(frozen=True)
class Comparison:
    verdict: Verdict
    reason: str
    accepted: bool
    """Whether this run joins the baseline."""
    metrics: list[MetricComparison] = field(default_factory=list)

    def metric(self, key: str) -> MetricComparison:
        return next(m for m in self.metrics if m.metric == key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def noise_band(values: Sequence[float], noise_k: float) -> float:
    """``noise_k`` robust standard deviations of ``values`` (0 for fewer than two values)."""
    if len(values) < 2:
        return 0.0
    center = median(values)
    mad = median([abs(v - center) for v in values])
    return noise_k * MAD_SCALE * mad


def compare_metric(
    spec: MetricSpec, current: float | None, history: Sequence[float], limits: Limits
) -> MetricComparison:
    if current is None:
        return MetricComparison(
            spec.key, spec.label, spec.unit, None, None, None, None, None, None, 0, "n/a"
        )
    if len(history) < limits.min_history:
        # Too few runs carry this metric (the run is seeding, or older summaries lacked it, e.g.
        # p99 without --summary-trend-stats): shown, not judged.
        base = median(history) if history else None
        change = None if base is None else current - base
        return MetricComparison(
            spec.key,
            spec.label,
            spec.unit,
            current,
            base,
            change,
            _pct(change, base),
            None,
            None,
            len(history),
            "n/a",
        )
    base = median(history)
    limit = spec.threshold(limits, base)
    noise = noise_band(history, limits.noise_k)
    change = current - base
    worse = change if spec.higher_is_worse else -change
    verdict: MetricVerdict
    if worse > limit and worse > noise:
        verdict = "regressed"
    elif -worse > limit and -worse > noise:
        verdict = "improved"
    elif worse > limit:
        verdict = "inconclusive"
    else:
        verdict = "pass"
    return MetricComparison(
        spec.key,
        spec.label,
        spec.unit,
        current,
        base,
        change,
        _pct(change, base),
        limit,
        noise,
        len(history),
        verdict,
    )


def _pct(change: float | None, base: float | None) -> float | None:
    if change is None or base is None or base == 0:
        return None
    return 100.0 * change / abs(base)


def compare(current: RunMetrics, baseline: Sequence[RunMetrics], limits: Limits) -> Comparison:
    """The verdict of ``current`` against ``baseline`` (the already selected accepted runs)."""
    results = []
    for spec in METRICS:
        value = getattr(current, spec.key)
        history = [float(v) for b in baseline if (v := getattr(b, spec.key)) is not None]
        results.append(compare_metric(spec, value, history, limits))
    by_verdict = {v: [m.label for m in results if m.verdict == v] for v in VERDICTS}
    seeding = len(baseline) < limits.min_history
    enough_requests = current.requests >= limits.min_requests

    verdict: Verdict
    if not current.thresholds_ok:
        verdict, reason = "failed", "k6 thresholds failed: " + "; ".join(current.failed_thresholds)
    elif seeding:
        verdict = "inconclusive"
        reason = f"baseline still seeding: {len(baseline)} of {limits.min_history} accepted runs"
        if not enough_requests:
            reason += (
                f"; too few requests to seed it: {current.requests} (minimum {limits.min_requests})"
            )
    elif not enough_requests:
        verdict = "inconclusive"
        reason = (
            f"too few requests for stable percentiles: {current.requests} "
            f"(minimum {limits.min_requests})"
        )
    elif by_verdict["regressed"]:
        verdict, reason = "regressed", "regressed: " + ", ".join(by_verdict["regressed"])
    elif by_verdict["inconclusive"]:
        verdict = "inconclusive"
        reason = "beyond threshold but inside the noise band: " + ", ".join(
            by_verdict["inconclusive"]
        )
    elif by_verdict["improved"]:
        verdict, reason = "improved", "improved: " + ", ".join(by_verdict["improved"])
    else:
        verdict, reason = "pass", f"within thresholds of the median of {len(baseline)} runs"
    # Only good runs join the baseline; while it seeds, a run that kept k6's thresholds with
    # enough requests is taken as it is (there is nothing yet to compare it with).
    accepted = verdict in ("pass", "improved") or (
        verdict == "inconclusive" and seeding and current.thresholds_ok and enough_requests
    )
    if seeding and accepted:
        reason += " (accepted to seed the baseline)"
    return Comparison(verdict, reason, accepted, results)
