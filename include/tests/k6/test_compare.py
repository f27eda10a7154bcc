"""The regression rule: examples, then properties over generated histories (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kindops.errors import ConfigError
from kindops.k6.compare import MAD_SCALE, compare, noise_band
from kindops.k6.settings import Limits
from kindops.k6.summary import RunMetrics

from .k6_support import metrics

LIMITS = Limits()
STEADY = [metrics(p95=100.0, rps=200.0)] * 5


def test_noise_band_is_k_robust_standard_deviations() -> None:
    assert noise_band([10.0, 10.0, 10.0], 3) == 0.0
    assert noise_band([10.0], 3) == 0.0
    # median 11, deviations 1,0,1,4 -> MAD 1
    assert noise_band([10.0, 11.0, 12.0, 15.0], 3) == pytest.approx(3 * MAD_SCALE * 1.0)
    # one wild run barely moves it (MAD, not the standard deviation)
    assert noise_band([10.0, 10.0, 11.0, 11.0, 500.0], 1) == pytest.approx(MAD_SCALE * 1.0)


def test_identical_run_passes_and_is_accepted() -> None:
    result = compare(metrics(p95=100.0, rps=200.0), STEADY, LIMITS)
    assert result.verdict == "pass" and result.accepted
    row = result.metric("p95_ms")
    assert row.baseline == 100.0 and row.change == 0.0 and row.threshold == pytest.approx(10.0)


def test_p95_above_threshold_regresses_and_is_not_accepted() -> None:
    result = compare(metrics(p95=111.0, rps=200.0), STEADY, LIMITS)
    assert result.verdict == "regressed" and not result.accepted
    assert result.metric("p95_ms").verdict == "regressed"
    assert result.metric("p95_ms").change_pct == pytest.approx(11.0)
    assert "p95 latency" in result.reason
    # +9 % is inside the +10 % threshold
    assert compare(metrics(p95=109.0, rps=200.0), STEADY, LIMITS).verdict == "pass"


def test_error_rate_is_judged_in_points() -> None:
    assert compare(metrics(p95=100.0, rps=200.0, errors=0.004), STEADY, LIMITS).verdict == "pass"
    bad = compare(metrics(p95=100.0, rps=200.0, errors=0.006), STEADY, LIMITS)
    assert bad.verdict == "regressed" and bad.metric("error_ratio").verdict == "regressed"


def test_throughput_drop_regresses_and_rise_improves() -> None:
    assert compare(metrics(p95=100.0, rps=179.0), STEADY, LIMITS).verdict == "regressed"
    assert compare(metrics(p95=100.0, rps=185.0), STEADY, LIMITS).verdict == "pass"
    better = compare(metrics(p95=80.0, rps=260.0), STEADY, LIMITS)
    assert better.verdict == "improved" and better.accepted


def test_a_change_inside_the_noise_band_is_inconclusive_not_regressed() -> None:
    noisy = [metrics(p95=v, rps=200.0, p99=300.0) for v in (80.0, 100.0, 120.0, 90.0, 110.0)]
    # median 100, MAD 10 -> band 3 x 1.4826 x 10 = 44.5 ms: +30 ms crosses the threshold only
    result = compare(metrics(p95=130.0, rps=200.0, p99=300.0), noisy, LIMITS)
    assert result.metric("p95_ms").noise == pytest.approx(44.478, abs=0.01)
    assert result.verdict == "inconclusive" and not result.accepted
    assert "noise" in result.reason
    # beyond both: regressed
    assert compare(metrics(p95=150.0, rps=200.0, p99=300.0), noisy, LIMITS).verdict == "regressed"


def test_too_little_history_is_inconclusive_but_seeds_the_baseline() -> None:
    for history in ([], STEADY[:1], STEADY[:2]):
        result = compare(metrics(p95=500.0, rps=1.0), history, LIMITS)
        assert result.verdict == "inconclusive"
        assert result.accepted, "a run that kept k6's thresholds seeds an empty baseline"
        assert "seeding" in result.reason


def test_k6_threshold_failure_is_failed_and_never_accepted() -> None:
    broke = replace(metrics(), failed_thresholds=["http_req_failed: rate<0.01"])
    for history in ([], STEADY):
        result = compare(broke, history, LIMITS)
        assert result.verdict == "failed" and not result.accepted
        assert "rate<0.01" in result.reason


def test_too_few_requests_is_inconclusive_and_not_accepted() -> None:
    few = metrics(p95=100.0, rps=200.0, requests=20)
    result = compare(few, STEADY, LIMITS)
    assert result.verdict == "inconclusive" and not result.accepted
    assert "too few requests" in result.reason
    seed = compare(few, [], LIMITS)
    assert seed.verdict == "inconclusive" and not seed.accepted


def test_missing_optional_metrics_are_not_judged() -> None:
    bare = replace(metrics(p95=100.0, rps=200.0), p99_ms=None, check_rate=None)
    result = compare(bare, STEADY, LIMITS)
    assert result.verdict == "pass"
    assert result.metric("p99_ms").verdict == "n/a"
    assert result.metric("check_rate").verdict == "n/a"


def test_a_metric_the_history_lacks_is_shown_not_judged() -> None:
    # older summaries without p99 (k6's default trend stats) must not block acceptance forever
    old = [replace(m, p99_ms=None) for m in STEADY]
    result = compare(metrics(p95=100.0, rps=200.0, p99=900.0), old, LIMITS)
    assert result.verdict == "pass" and result.accepted
    p99 = result.metric("p99_ms")
    assert p99.verdict == "n/a" and p99.current == 900.0 and p99.samples == 0


def test_limits_are_configurable_and_validated() -> None:
    strict = Limits(p95=0.05)
    assert compare(metrics(p95=106.0, rps=200.0), STEADY, strict).verdict == "regressed"
    with pytest.raises(ConfigError):
        Limits(min_history=6, history_size=5)
    with pytest.raises(ConfigError):
        Limits(p95=-0.1)


# -- properties ----------------------------------------------------------------------------
positive = st.floats(min_value=1.0, max_value=5_000.0, allow_nan=False, allow_infinity=False)
ratio = st.floats(min_value=0.0, max_value=0.05, allow_nan=False)


@st.composite
def run_metrics(draw: st.DrawFn) -> RunMetrics:
    return RunMetrics(
        p95_ms=draw(positive),
        rps=draw(positive),
        error_ratio=draw(ratio),
        requests=draw(st.integers(min_value=100, max_value=100_000)),
        p99_ms=draw(st.none() | positive),
        check_rate=draw(st.none() | st.floats(min_value=0.9, max_value=1.0)),
    )


histories = st.lists(run_metrics(), min_size=3, max_size=5)


@settings(max_examples=60, deadline=None)
@given(run=run_metrics(), n=st.integers(min_value=3, max_value=5))
def test_identical_runs_never_regress(run: RunMetrics, n: int) -> None:
    result = compare(run, [run] * n, LIMITS)
    assert result.verdict == "pass"
    assert result.accepted


@settings(max_examples=60, deadline=None)
@given(history=histories, factor=st.floats(min_value=1.001, max_value=20.0))
def test_p95_beyond_threshold_and_noise_always_regresses(
    history: list[RunMetrics], factor: float
) -> None:
    p95 = sorted(m.p95_ms for m in history)
    base = p95[len(p95) // 2] if len(p95) % 2 else (p95[len(p95) // 2 - 1] + p95[len(p95) // 2]) / 2
    margin = max(LIMITS.p95 * base, noise_band(p95, LIMITS.noise_k))
    current = replace(history[0], p95_ms=base + margin * factor + 1e-6, failed_thresholds=[])
    result = compare(current, history, LIMITS)
    assert result.metric("p95_ms").verdict == "regressed"
    assert result.verdict == "regressed" and not result.accepted


@settings(max_examples=60, deadline=None)
@given(history=histories, current=run_metrics(), seed=st.integers(0, 2**32 - 1))
def test_verdict_is_invariant_to_history_order(
    history: list[RunMetrics], current: RunMetrics, seed: int
) -> None:
    shuffled = list(history)
    random.Random(seed).shuffle(shuffled)
    assert compare(current, history, LIMITS) == compare(current, shuffled, LIMITS)


@settings(max_examples=60, deadline=None)
@given(history=st.lists(run_metrics(), max_size=2), current=run_metrics())
def test_too_little_history_is_always_inconclusive(
    history: list[RunMetrics], current: RunMetrics
) -> None:
    assume(current.thresholds_ok)
    result = compare(current, history, LIMITS)
    assert result.verdict == "inconclusive"


@settings(max_examples=60, deadline=None)
@given(history=histories, current=run_metrics())
def test_only_good_runs_are_accepted_once_the_baseline_exists(
    history: list[RunMetrics], current: RunMetrics
) -> None:
    result = compare(current, history, LIMITS)
    assert result.accepted == (result.verdict in ("pass", "improved"))
