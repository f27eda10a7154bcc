"""The anomaly rule, as properties: floors hold whatever the noise, large spikes are found,
history order does not matter, idle is never a workload anomaly."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kindops.cost import report
from kindops.cost.analysis import Rules, is_anomaly, review, robust_score
from kindops.cost.opencost import COMPONENTS, IDLE, Allocation, DayData, Series

DAY = date(2026, 11, 1)
RULES = Rules()
money = st.floats(min_value=0.0, max_value=500.0, allow_nan=False, allow_infinity=False)
histories = st.lists(money, min_size=1, max_size=30)
rules_st = st.builds(
    Rules,
    z_threshold=st.floats(min_value=0.5, max_value=10),
    floor_usd=st.floats(min_value=0.01, max_value=5),
    floor_ratio=st.floats(min_value=0.0, max_value=1),
    direction=st.sampled_from(["up", "both"]),
)


@settings(max_examples=200, deadline=None)
@given(history=histories, rules=rules_st, fraction=st.floats(min_value=-0.999, max_value=0.999))
def test_no_anomaly_below_the_absolute_floor_whatever_the_noise(
    history: list[float], rules: Rules, fraction: float
) -> None:
    score = robust_score(0.0, history)
    value = score.median + fraction * rules.floor_usd
    assert not is_anomaly(value, robust_score(value, history), rules)


@settings(max_examples=200, deadline=None)
@given(history=histories, rules=rules_st, fraction=st.floats(min_value=0.0, max_value=0.999))
def test_no_anomaly_below_the_relative_floor(
    history: list[float], rules: Rules, fraction: float
) -> None:
    med = robust_score(0.0, history).median
    value = med + fraction * rules.floor_ratio * med
    assert not is_anomaly(value, robust_score(value, history), rules)


@settings(max_examples=200, deadline=None)
@given(history=histories, rules=rules_st, extra=st.floats(min_value=0.0, max_value=1000.0))
def test_a_large_spike_above_the_floors_is_detected(
    history: list[float], rules: Rules, extra: float
) -> None:
    spread = max(history) - min(history)
    med = robust_score(0.0, history).median
    # Farther than any z threshold can ask (MAD and MeanAD are at most the spread) and than
    # both floors.
    value = max(history) + 10 * rules.z_threshold * spread + rules.floor_usd
    value += rules.floor_ratio * med + 0.01 + extra
    score = robust_score(value, history)
    assert score.z >= rules.z_threshold
    assert is_anomaly(value, score, rules)


@settings(deadline=None)
@given(history=histories, value=money, data=st.data())
def test_the_verdict_does_not_depend_on_the_order_of_the_history(
    history: list[float], value: float, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(history))
    a, b = robust_score(value, history), robust_score(value, shuffled)
    assert a == b
    assert is_anomaly(value, a, RULES) == is_anomaly(value, b, RULES)


@settings(deadline=None)
@given(history=st.lists(money, min_size=1, max_size=30))
def test_drops_only_count_when_both_directions_are_asked_for(history: list[float]) -> None:
    med = robust_score(0.0, history).median
    assume(med > 2)
    value = 0.0  # the group's spend vanished
    score = robust_score(value, history)
    assert not is_anomaly(value, score, RULES)
    both = Rules(direction="both")
    # the drop is the whole median (> both floors): only the z-score decides
    assert is_anomaly(value, score, both) == (abs(score.z) >= both.z_threshold)


def test_a_flat_history_uses_the_fallback_and_still_honours_the_floors() -> None:
    flat = [2.0] * 7
    assert robust_score(2.0, flat).z == 0
    tiny = robust_score(2.3, flat)
    assert math.isinf(tiny.z) and not is_anomaly(2.3, tiny, RULES)  # +0.30 < 0.50 floor
    big = robust_score(4.0, flat)
    assert is_anomaly(4.0, big, RULES)
    one_off = [2.0] * 6 + [3.0]  # MAD 0, mean absolute deviation > 0
    score = robust_score(4.0, one_off)
    assert math.isfinite(score.z) and score.z > 3.5


# -- idle, through the whole review --------------------------------------------------------------
def _alloc(name: str, day: date, total: float) -> Allocation:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    costs = dict.fromkeys(COMPONENTS, 0.0) | {"cpu": total}
    return Allocation(
        name, start, start + timedelta(days=1), costs, total,
        1.0, 0.5, 1.0, 0.5, 24.0, 0.5, 0.5, 0.5,
    )  # fmt: skip


def _series(workloads: dict[str, list[float]], idle: list[float]) -> Series:
    """Series of len(idle) days ending on DAY; ``workloads`` name -> daily totals."""
    days = len(idle)
    series = Series("namespace", "namespace")
    for i in range(days):
        day = DAY - timedelta(days=days - 1 - i)
        allocs = {n: _alloc(n, day, costs[i]) for n, costs in workloads.items()}
        allocs[IDLE] = _alloc(IDLE, day, idle[i])
        series.days[day] = DayData(day, allocs)
    return series


@settings(max_examples=100, deadline=None)
@given(
    idle=st.lists(st.floats(min_value=0, max_value=10_000), min_size=8, max_size=8),
    base=st.floats(min_value=1, max_value=100),
)
def test_idle_is_never_a_workload_anomaly_but_is_reported_as_idle_share(
    idle: list[float], base: float
) -> None:
    result = review([_series({"apps": [base] * 8}, idle)], DAY, 7, RULES)
    groups = {g.group for d in result.dimensions for g in d.groups}
    assert IDLE not in groups and groups == {"apps"}
    assert result.anomalies == []
    total = base + idle[-1]
    assert result.totals.idle == pytest.approx(idle[-1])
    assert result.totals.idle_ratio == pytest.approx(idle[-1] / total)


def test_a_workload_spike_is_found_next_to_a_huge_idle_spike() -> None:
    series = _series({"apps": [1.0] * 7 + [6.0], "web": [2.0] * 8}, [1.0] * 7 + [900.0])
    result = review([series], DAY, 7, RULES)
    assert [g.group for g in result.anomalies] == ["apps"]
    assert result.anomalies[0].drivers[0].component == "cpu"
    assert result.totals.idle_ratio > 0.9


def test_a_new_group_with_real_spend_is_an_anomaly_with_an_infinite_score() -> None:
    series = _series({"apps": [1.0] * 8}, [1.0] * 8)
    batch = _alloc("batch", DAY, 3.0)
    series.days[DAY].allocations["batch"] = batch
    result = review([series], DAY, 7, RULES)
    [new] = result.anomalies
    assert new.group == "batch" and new.median == 0 and math.isinf(new.z or 0)
    assert "new spend" in new.explanation and "modified z inf" in new.explanation
    doc = json.loads(report.json_text(report.review_doc(result, "http://opencost")))
    [flagged] = doc["anomalies"]
    assert flagged["z"] is None and flagged["z_text"] == "inf"
    assert "batch" in report.review_markdown(result, "http://opencost", None)
