"""The FinOps dashboard reads what the review really pushes: every query of it is evaluated on
a real Prometheus scraping a real Pushgateway fed by a real review, next to synthetic series of
OpenCost's exporter metrics."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from kindops.cost.publish import METRICS
from kindops.dashboards import finops
from kindops.dashboards.generate import panels, render
from tests.support.prometheus import Prometheus, Series, backfill
from tests.support.servers import ROOT, Pushgateway

from .cost_support import Lab, spike

COMMITTED = ROOT / "observability/grafana/dashboards" / f"{finops.UID}.json"
#: OpenCost exporter metrics the live row reads (https://opencost.io/docs/integrations/metrics).
OPENCOST = {
    "node_total_hourly_cost",
    "node_cpu_hourly_cost",
    "node_ram_hourly_cost",
    "container_cpu_allocation",
    "container_memory_allocation_bytes",
    "pod_pvc_allocation",
    "pv_hourly_cost",
}
GIB = 1024.0**3


def dashboard() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(COMMITTED.read_text())
    return doc


def targets(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (p["title"], t["expr"]) for p in panels(doc) for t in p.get("targets", []) if "expr" in t
    ]


def test_the_committed_json_is_what_the_code_generates() -> None:
    assert COMMITTED.read_text() == render(finops.build())


def test_it_covers_namespace_deployment_label_efficiency_and_idle() -> None:
    exprs = " ".join(e for _, e in targets(dashboard()))
    for needed in (
        'group_by="namespace"',
        'group_by="deployment"',
        'group_by="$label"',
        "kindops_cost_efficiency",
        "kindops_cost_group_efficiency",
        "kindops_cost_idle_ratio",
        "kindops_cost_anomaly",
        "node_total_hourly_cost",
        "container_cpu_allocation",
    ):
        assert needed in exprs, needed


def test_it_reads_only_metrics_that_exist() -> None:
    names = {
        name
        for _, expr in targets(dashboard())
        for name in re.findall(r"\b((?:kindops|node|container|pod|pv)_[a-z_]+)\b", expr)
    }
    assert names <= set(METRICS) | OPENCOST, sorted(names - set(METRICS) - OPENCOST)


def _opencost_series() -> list[Series]:
    n = 30
    node = {"node": "kindops-control-plane", "instance": "opencost:9003", "job": "opencost"}
    series = [
        Series("node_cpu_hourly_cost", node, [0.031611] * n),
        Series("node_ram_hourly_cost", node, [0.004237] * n),
        Series("node_total_hourly_cost", node, [8 * 0.031611 + 16 * 0.004237] * n),
        Series("pv_hourly_cost", {"persistentvolume": "pvc-1", "job": "opencost"}, [5.5e-05] * n),
    ]
    for ns, cpu, ram in (("kindops-apps", 1.25, 1.75), ("monitoring", 1.3, 3.5)):
        pod = {**node, "namespace": ns, "pod": f"{ns}-0", "container": "main"}
        series.append(Series("container_cpu_allocation", pod, [cpu] * n))
        series.append(Series("container_memory_allocation_bytes", pod, [ram * GIB] * n))
    claim = {
        "namespace": "monitoring",
        "pod": "prometheus-0",
        "persistentvolume": "pvc-1",
        "persistentvolumeclaim": "data",
        "job": "opencost",
    }
    series.append(Series("pod_pvc_allocation", claim, [20 * GIB] * n))
    return series


def _pushed_series(pushgateway: Pushgateway, n: int) -> list[Series]:
    """What the Pushgateway exposes for the review, as history Prometheus would have scraped
    (honor_labels: the pushed ``job`` label kept)."""
    return [
        Series(s.name, {k: v for k, v in s.labels.items() if v}, [s.value] * n)
        for s in pushgateway.pushed("kindops_")
    ]


@pytest.mark.integration
def test_every_query_returns_data_on_a_real_prometheus(
    lab: Lab, pushgateway: Pushgateway, tmp_path: Path
) -> None:
    lab.scenario.spikes = spike()
    assert lab.review(KINDOPS_PUSHGATEWAY_URL=pushgateway.url).exit_code == 1
    pushed = _pushed_series(pushgateway, 30)
    assert {s.name for s in pushed} == set(METRICS)
    end = time.time()
    backfill(tmp_path / "tsdb", [*pushed, *_opencost_series()], end=end, step=60)
    with Prometheus(tmp_path / "tsdb") as prom:
        empty = []
        for title, expr in targets(dashboard()):
            if not prom.query(expr.replace("$label", "label:team"), at=end):
                empty.append(title)
        assert empty == [], f"panels without data: {empty}"
        exprs = dict(targets(dashboard()))
        anomalous = prom.query(exprs["Anomalous groups"], at=end)
        assert ("namespace", "kindops-apps") in {(m["group_by"], m["group"]) for m, _ in anomalous}
        by_label = prom.query(exprs["Daily cost by $label"].replace("$label", "label:team"), at=end)
        assert {m["group"] for m, _ in by_label} >= {"apps", "platform", "__unallocated__"}
        [(_, idle_now)] = prom.query(exprs["Idle now"], at=end)
        node = 8 * 0.031611 + 16 * 0.004237
        allocated = 2.55 * 0.031611 + 5.25 * 0.004237
        assert idle_now == pytest.approx(1 - allocated / node, rel=1e-3)
