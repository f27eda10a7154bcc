"""`airflow dags test slo_report` for real, on the local runner, against a real Prometheus
holding 37 days of backfilled SLI history and a real Pushgateway: the report of a healthy
month succeeds and records its success; the report of a month with an outage fails on the
exhausted budget. The logical date is the end of the measured period."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.airflow import dags_test
from tests.support.prometheus import Prometheus, backfill
from tests.support.servers import Pushgateway
from tests.support.slo_history import END, EXPECTED_HEALTHY, HEALTHY_AT, STEP, month_with_outage

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    storage = tmp_path_factory.mktemp("slo-dag") / "tsdb"
    backfill(storage, month_with_outage(), END, STEP)
    with Prometheus(storage) as server:
        yield server.url


def test_weekly_report_of_a_healthy_month_then_of_an_outage(
    tmp_path: Path, prometheus: str, pushgateway: Pushgateway
) -> None:
    artifacts = tmp_path / "artifacts"
    env = {
        "AIRFLOW_VAR_KINDOPS_PROMETHEUS_URL": prometheus,
        "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway.url,
        "KINDOPS_ARTIFACTS": str(artifacts),
        "KINDOPS_SLO_SPECS": str(ROOT / "observability" / "slos"),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }

    healthy = dags_test("slo_report", HEALTHY_AT.date().isoformat(), env)
    assert healthy.states == {"report": "success"}, healthy.tail()
    run = artifacts / "slo-report" / "slo_report_20260222T000000"
    assert sorted(p.name for p in run.iterdir()) == [
        "burndown-app-java.png",
        "burndown-app-python-worker.png",
        "burndown-app-python.png",
        "report.json",
        "report.md",
        "result.json",
    ]
    report = json.loads((run / "report.json").read_text())
    assert report["at"] == HEALTHY_AT.isoformat()
    got = {(s["service"], s["slo"]): s["budget_remaining"] for s in report["slos"]}
    assert got == pytest.approx(EXPECTED_HEALTHY, abs=0.02)
    result = json.loads((run / "result.json").read_text())
    assert result["verdict"] == "ok" and result["data"]["push"] == "ok"
    success = pushgateway.samples("kindops_job_last_success_timestamp_seconds")
    assert any('job="slo-report"' in labels for labels in success), success

    outage = dags_test("slo_report", END.date().isoformat(), env)
    assert outage.states == {"report": "failed"}, outage.tail()
    bad = json.loads(
        (artifacts / "slo-report" / "slo_report_20260301T000000" / "result.json").read_text()
    )
    assert bad["verdict"] == "bad" and bad["exit_code"] == 1
    assert bad["data"]["exhausted"] == ["app-python/availability"]
    assert bad["summary"].endswith("budget exhausted: app-python/availability")
    assert "kindops exited 1" in outage.output
