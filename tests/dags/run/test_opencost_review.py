"""`airflow dags test opencost_review` for real, on the local runner, against a local OpenCost
allocation API and a real Pushgateway: task states, artifacts, idempotent reruns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from kindops.cost.demo import DemoOpenCost, Scenario
from tests.support.airflow import dags_test
from tests.support.servers import free_port, process

PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"


@pytest.fixture()
def pushgateway(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"]
    with process(args, health=f"{url}/-/ready", log=tmp_path / "pushgateway.log"):
        yield url


def pushed(url: str, name: str) -> dict[str, float]:
    """Samples of ``name`` on the Pushgateway, keyed by their label text."""
    found = {}
    for line in requests.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, _, value = line.rpartition(" ")
            found[labels.removeprefix(name)] = float(value)
    return found


@pytest.mark.integration
def test_nightly_review_of_the_logical_date_is_idempotent(tmp_path: Path, pushgateway: str) -> None:
    artifacts = tmp_path / "artifacts"
    # a spike the day after the reviewed one: the review of 2026-11-01 must not see it
    scenario = Scenario(spikes={("kindops-apps", date(2026, 11, 2)): 4.0})
    with DemoOpenCost(scenario) as opencost:
        env = {
            "AIRFLOW_VAR_KINDOPS_OPENCOST_URL": opencost.url,
            "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway,
            "AIRFLOW_VAR_KINDOPS_ALERTMANAGER_URL": "",
            "KINDOPS_ARTIFACTS": str(artifacts),
            "KINDOPS_OPENCOST_BACKOFF": "0",
            "MPLCONFIGDIR": str(tmp_path / "mpl"),
        }
        first = dags_test("opencost_review", "2026-11-01", env)
        assert first.states == {"review": "success"}, first.tail()
        run = artifacts / "cost-review" / "opencost_review_20261101T000000"
        names = sorted(p.name for p in run.iterdir())
        assert names == [
            "cost-by-namespace.png",
            "costs.csv",
            "report.md",
            "result.json",
            "review.json",
        ]
        review = json.loads((run / "review.json").read_text())
        assert review["day"] == "2026-11-01" and review["window_days"] == 7
        assert review["anomalies"] == []
        windows = {r["window"] for r in opencost.requests}
        assert windows == {"2026-10-25T00:00:00Z,2026-11-02T00:00:00Z"}
        result = json.loads((run / "result.json").read_text())
        assert result["verdict"] == "ok" and result["run_key"] == run.name
        daily = pushed(pushgateway, "kindops_cost_daily_usd")
        total = next(v for k, v in daily.items() if 'group="total"' in k)
        assert total == pytest.approx(review["totals"]["total_usd"], abs=1e-3)
        assert pushed(pushgateway, "kindops_job_last_success_timestamp_seconds")
        assert sum(pushed(pushgateway, "kindops_cost_anomaly").values()) == 0
        before = {p.name: p.read_bytes() for p in run.iterdir() if p.name != "result.json"}

        rerun = dags_test("opencost_review", "2026-11-01", env)
        assert rerun.states == {"review": "success"}, rerun.tail()
        after = {p.name: p.read_bytes() for p in run.iterdir() if p.name != "result.json"}
        assert after == before
        assert len(list((artifacts / "cost-review").iterdir())) == 1
