"""The allocation client against a real local HTTP server answering in OpenCost's shape:
multi-day windows, every aggregation, empty and partial data, 5xx, slow and refused answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kindops.cost.demo import DemoOpenCost, Faults, Scenario
from kindops.cost.opencost import IDLE, UNALLOCATED, OpenCostClient, opencost_aggregate
from kindops.errors import ConfigError, DependencyError

from .cost_support import DAY, Lab

FIRST = DAY - timedelta(days=7)


def client(url: str, attempts: int = 3, timeout: float = 5.0) -> OpenCostClient:
    return OpenCostClient(url, timeout=timeout, attempts=attempts, backoff=0)


def test_multi_day_window_is_one_query_per_dimension_in_opencost_parameters(lab: Lab) -> None:
    series = client(lab.opencost.url).fetch(["namespace", "deployment"], FIRST, DAY)
    assert [s.dimension for s in series] == ["namespace", "deployment"]
    assert sorted(series[0].days) == [FIRST + timedelta(days=i) for i in range(8)]
    sent = lab.opencost.requests
    assert len(sent) == 2
    assert sent[0] == {
        "window": "2026-10-25T00:00:00Z,2026-11-02T00:00:00Z",
        "aggregate": "namespace",
        "step": "1d",
        "accumulate": "false",
        "includeIdle": "true",
        "shareIdle": "false",
        "idleByNode": "false",
    }
    assert sent[1]["aggregate"] == "namespace,deployment"


def test_allocations_are_read_from_the_documented_fields(lab: Lab) -> None:
    (ns,) = client(lab.opencost.url).fetch(["namespace"], FIRST, DAY)
    day = ns.days[DAY]
    apps = day.allocations["kindops-apps"]
    assert apps.start.isoformat() == "2026-11-01T00:00:00+00:00"
    assert apps.total == pytest.approx(sum(apps.costs.values()))
    assert apps.costs["cpu"] > 0 and apps.costs["ram"] > 0
    assert apps.cpu_request == pytest.approx(1.25, rel=0.05)  # 0.5 + 0.25 + 0.5 cores
    assert apps.ram_request == pytest.approx(1.75 * 1024**3, rel=0.05)
    assert 0 < apps.cpu_efficiency <= 1
    assert IDLE in day.allocations and day.allocations[IDLE].total > 0
    assert day.coverage == 1.0 and day.priced


def test_every_aggregation_adds_up_to_the_same_cluster_cost(lab: Lab) -> None:
    dims = ["namespace", "deployment", "label:team", "label:app"]
    series = client(lab.opencost.url).fetch(dims, DAY, DAY)
    totals = [s.days[DAY].total for s in series]
    assert totals == pytest.approx([totals[0]] * 4)
    deployment = series[1].days[DAY].allocations
    assert "kindops-apps/app-python" in deployment
    assert f"kube-system/{UNALLOCATED}" in deployment  # daemonset and static pod
    assert UNALLOCATED in series[2].days[DAY].allocations  # kube-system has no team label


def test_missing_and_partial_days_are_kept_apart(lab: Lab) -> None:
    lab.scenario.missing_days = {DAY - timedelta(days=2)}
    lab.scenario.partial_days = {DAY - timedelta(days=3): 0.5}
    (ns,) = client(lab.opencost.url).fetch(["namespace"], FIRST, DAY)
    assert DAY - timedelta(days=2) not in ns.days
    assert ns.days[DAY - timedelta(days=3)].coverage == pytest.approx(0.5)


def test_empty_answer_is_an_empty_series(lab: Lab) -> None:
    lab.scenario.empty = True
    (ns,) = client(lab.opencost.url).fetch(["namespace"], FIRST, DAY)
    assert ns.days == {}


def test_5xx_is_retried_a_bounded_number_of_times_then_names_the_endpoint(lab: Lab) -> None:
    lab.scenario.faults = Faults(status=503, times=-1)
    with pytest.raises(DependencyError) as err:
        client(lab.opencost.url, attempts=3).fetch(["namespace"], FIRST, DAY)
    assert len(lab.opencost.requests) == 3
    assert f"{lab.opencost.url}/allocation/compute" in err.value.message
    assert "HTTP 503 after 3 attempt(s)" in err.value.message


def test_a_transient_5xx_is_absorbed_by_the_retries(lab: Lab) -> None:
    lab.scenario.faults = Faults(status=502, times=2)
    (ns,) = client(lab.opencost.url, attempts=3).fetch(["namespace"], FIRST, DAY)
    assert len(lab.opencost.requests) == 3
    assert DAY in ns.days


def test_slow_answers_time_out_per_request_and_are_retried_then_give_up(lab: Lab) -> None:
    lab.scenario.faults = Faults(delay=5.0, delay_times=-1)
    with pytest.raises(DependencyError) as err:
        client(lab.opencost.url, attempts=2, timeout=0.3).fetch(["namespace"], FIRST, DAY)
    assert len(lab.opencost.requests) == 2
    assert "timed out" in err.value.message
    assert "/allocation/compute" in err.value.message


def test_a_refused_connection_names_the_endpoint() -> None:
    with DemoOpenCost(Scenario()) as server:
        url = server.url
    with pytest.raises(DependencyError, match=r"127\.0\.0\.1.*unreachable after 2 attempt"):
        client(url, attempts=2).fetch(["namespace"], FIRST, DAY)


def test_a_rejected_query_is_bad_input(lab: Lab) -> None:
    lab.scenario.faults = Faults(status=400, times=1)
    with pytest.raises(ConfigError, match="rejected the query"):
        client(lab.opencost.url).fetch(["namespace"], FIRST, DAY)
    assert len(lab.opencost.requests) == 1  # a 4xx is not retried


@pytest.mark.parametrize(
    ("dimension", "aggregate"),
    [
        ("namespace", "namespace"),
        ("deployment", "namespace,deployment"),
        ("label:team", "label:team"),
        ("label:app.kubernetes.io/name", "label:app.kubernetes.io/name"),
        ("namespace,label:app", "namespace,label:app"),
    ],
)
def test_dimensions_map_to_opencost_aggregates(dimension: str, aggregate: str) -> None:
    assert opencost_aggregate(dimension) == aggregate


@pytest.mark.parametrize("bad", ["", "nodes", "label:", "label:a b", "namespace;drop", "foo:bar"])
def test_unknown_dimensions_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="--aggregate"):
        opencost_aggregate(bad)
