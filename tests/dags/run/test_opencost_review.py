"""`airflow dags test opencost_review` for real, on the local runner, against a local OpenCost
allocation API, a real Pushgateway and a real Alertmanager: task states, artifacts, idempotent
reruns, and an anomaly that fails the task and reaches Alertmanager."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from kindops.cost.demo import DemoOpenCost, Scenario
from tests.conftest import AIRFLOW_ENV
from tests.support.airflow import dags_test
from tests.support.servers import Pushgateway

RUN = "opencost_review_20261101T000000"


def tries(dag_id: str, task_id: str) -> list[tuple[int, str]]:
    """``(try_number, state)`` of every try of the task in the DAG's latest run."""
    db = AIRFLOW_ENV["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        (run_id,) = conn.execute(
            "SELECT run_id FROM dag_run WHERE dag_id=? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        query = "SELECT try_number, state FROM {} WHERE dag_id=? AND run_id=? AND task_id=?"
        args = (dag_id, run_id, task_id)
        rows = conn.execute(query.format("task_instance_history"), args).fetchall()
        rows += conn.execute(query.format("task_instance"), args).fetchall()
    return sorted(rows)


def cost_alerts(url: str) -> list[dict[str, Any]]:
    resp = requests.get(f"{url}/api/v2/alerts", params={"active": "true"}, timeout=10)
    resp.raise_for_status()
    return [a for a in resp.json() if a["labels"].get("alertname") == "CostAnomaly"]


@pytest.mark.integration
def test_nightly_review_of_the_logical_date_is_idempotent(
    tmp_path: Path, pushgateway: Pushgateway
) -> None:
    artifacts = tmp_path / "artifacts"
    # a spike the day after the reviewed one: the review of 2026-11-01 must not see it
    scenario = Scenario(spikes={("kindops-apps", date(2026, 11, 2)): 4.0})
    with DemoOpenCost(scenario) as opencost:
        env = {
            "AIRFLOW_VAR_KINDOPS_OPENCOST_URL": opencost.url,
            "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway.url,
            "AIRFLOW_VAR_KINDOPS_ALERTMANAGER_URL": "",
            "KINDOPS_ARTIFACTS": str(artifacts),
            "KINDOPS_OPENCOST_BACKOFF": "0",
            "MPLCONFIGDIR": str(tmp_path / "mpl"),
        }
        first = dags_test("opencost_review", "2026-11-01", env)
        assert first.states == {"review": "success"}, first.tail()
        run = artifacts / "cost-review" / RUN
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
        daily = pushgateway.samples("kindops_cost_daily_usd")
        total = next(v for k, v in daily.items() if 'group="total"' in k)
        assert total == pytest.approx(review["totals"]["total_usd"], abs=1e-3)
        assert pushgateway.samples("kindops_job_last_success_timestamp_seconds")
        assert sum(pushgateway.samples("kindops_cost_anomaly").values()) == 0
        before = {p.name: p.read_bytes() for p in run.iterdir() if p.name != "result.json"}

        rerun = dags_test("opencost_review", "2026-11-01", env)
        assert rerun.states == {"review": "success"}, rerun.tail()
        after = {p.name: p.read_bytes() for p in run.iterdir() if p.name != "result.json"}
        assert after == before
        assert len(list((artifacts / "cost-review").iterdir())) == 1


@pytest.mark.integration
def test_a_spike_on_the_reviewed_day_fails_the_review_and_alerts(
    tmp_path: Path, pushgateway: Pushgateway, alertmanager: str
) -> None:
    artifacts = tmp_path / "artifacts"
    scenario = Scenario(spikes={("kindops-apps", date(2026, 11, 1)): 4.0})
    with DemoOpenCost(scenario) as opencost:
        env = {
            "AIRFLOW_VAR_KINDOPS_OPENCOST_URL": opencost.url,
            "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway.url,
            "AIRFLOW_VAR_KINDOPS_ALERTMANAGER_URL": alertmanager,
            "KINDOPS_ARTIFACTS": str(artifacts),
            "KINDOPS_OPENCOST_BACKOFF": "0",
            "MPLCONFIGDIR": str(tmp_path / "mpl"),
        }
        run = dags_test("opencost_review", "2026-11-01", env)
    # exit 1 (a bad verdict) fails the task at once: no retry despite retries=2
    assert run.states == {"review": "failed"}, run.tail()
    assert tries("opencost_review", "review") == [(1, "failed")]
    assert "kindops exited 1" in run.output

    result = json.loads((artifacts / "cost-review" / RUN / "result.json").read_text())
    assert result["verdict"] == "bad"
    review = json.loads((artifacts / "cost-review" / RUN / "review.json").read_text())
    flagged = {(a["group_by"], a["group"]) for a in review["anomalies"]}
    assert ("namespace", "kindops-apps") in flagged

    alerts = cost_alerts(alertmanager)
    assert {(a["labels"]["group_by"], a["labels"]["group"]) for a in alerts} == flagged
    alert = next(a for a in alerts if a["labels"]["group"] == "kindops-apps")
    assert alert["labels"] == {
        "alertname": "CostAnomaly",
        "severity": "ticket",
        "team": "finops",
        "job": "cost-review",
        "group_by": "namespace",
        "group": "kindops-apps",
    }
    assert alert["annotations"]["summary"].startswith("Cost anomaly: namespace kindops-apps")
    assert alert["annotations"]["report"].endswith(f"cost-review/{RUN}/report.md")
    anomaly = pushgateway.samples("kindops_cost_anomaly")
    assert next(v for k, v in anomaly.items() if 'group="kindops-apps"' in k) == 1
