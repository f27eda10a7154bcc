"""`kindops cost review` end to end against a real local OpenCost API: exit codes, one-line
errors, the explained anomaly, the artifacts and their idempotence."""

from __future__ import annotations

import csv
import io
import re
import sys
from datetime import timedelta

import pytest

from kindops.cli import app
from kindops.cost.demo import Faults
from tests.support.servers import free_port, process

from .cost_support import DAY, Lab, days_before, spike

pytestmark = pytest.mark.integration


def test_a_quiet_day_is_ok_with_totals_efficiency_and_idle(lab: Lab) -> None:
    result, doc = lab.review_json()
    assert result.exit_code == 0, result.stderr
    assert doc["verdict"] == "ok" and doc["data"]["anomalies"] == []
    totals = doc["data"]["totals"]
    assert totals["total_usd"] > 0
    assert totals["total_usd"] == pytest.approx(
        totals["workloads_usd"] + totals["idle_usd"], abs=1e-3
    )
    assert 0 < totals["idle_ratio"] < 1
    assert 0 < totals["efficiency"]["cpu"] <= 1 and 0 < totals["efficiency"]["ram"] <= 1
    review = lab.stored("review.json")
    assert [d["dimension"] for d in review["dimensions"]] == [
        "namespace",
        "deployment",
        "label:team",
        "label:app",
    ]
    for dim in review["dimensions"]:
        assert dim["inconclusive"] == ""
        assert len(dim["baseline_used"]) == 7
        assert {g["status"] for g in dim["groups"]} == {"ok"}
        assert "__idle__" not in {g["group"] for g in dim["groups"]}


def test_a_spike_is_an_anomaly_explained_by_the_component_that_moved(lab: Lab) -> None:
    lab.scenario.spikes = spike("kindops-apps", DAY, 4.0)
    result, doc = lab.review_json()
    assert result.exit_code == 1, result.stderr
    assert doc["verdict"] == "bad"
    anomalies = {(a["group_by"], a["group"]) for a in doc["data"]["anomalies"]}
    assert ("namespace", "kindops-apps") in anomalies
    assert ("label:team", "apps") in anomalies
    assert ("deployment", "kindops-apps/app-python") in anomalies
    assert all(
        "kindops-apps" in g or g in ("apps", "app-python", "app-python-worker", "app-java")
        for _, g in anomalies
    )
    review = lab.stored("review.json")
    ns = next(a for a in review["anomalies"] if a["group_by"] == "namespace")
    assert ns["drivers"][0]["component"] == "cpu"
    assert ns["drivers"][0]["share"] > 0.9
    assert ns["cost_usd"] > 3 * ns["baseline_median_usd"]
    assert ns["z"] > 3.5
    text = ns["explanation"]
    assert "kindops-apps" in text and "baseline median" in text and "modified z" in text
    assert "driven by cpu" in text
    requested = re.search(r"CPU requested (\d+\.\d+) cores vs (\d+\.\d+)", text)
    assert requested is not None
    assert float(requested[1]) == pytest.approx(4 * float(requested[2]), rel=0.1)
    report = lab.stored("report.md").decode()
    assert f"**{len(doc['data']['anomalies'])} anomalies**" in report and text in report
    assert "kindops-apps" in doc["summary"] and "(cpu)" in doc["summary"]


def test_the_csv_and_the_chart_carry_the_review(lab: Lab) -> None:
    lab.scenario.spikes = spike("monitoring", DAY, 3.0)
    assert lab.review().exit_code == 1
    rows = list(csv.DictReader(io.StringIO(lab.stored("costs.csv").decode())))
    flagged = [r for r in rows if r["status"] == "anomaly"]
    assert {"namespace", "label:team"} <= {r["group_by"] for r in flagged}
    monitoring = next(
        r for r in rows if r["group_by"] == "namespace" and r["group"] == "monitoring"
    )
    assert float(monitoring["cpu_usd"]) > float(monitoring["ram_usd"]) > 0
    assert float(monitoring["delta_usd"]) > 0.5
    assert not any(r["group"] == "__idle__" for r in rows)
    png = lab.stored("cost-by-namespace.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_cent_level_noise_never_alerts(lab: Lab) -> None:
    lab.scenario.noise = 0.2  # +-20 % a day on namespaces costing cents to about a dollar
    result = lab.review()
    assert result.exit_code == 0, result.stdout
    review = lab.stored("review.json")
    moved = [g for d in review["dimensions"] for g in d["groups"] if abs(g["z"] or 0) > 3.5]
    assert all(abs(g["delta_usd"]) < 0.5 for g in moved)


def test_a_rerun_for_the_same_run_replaces_the_artifacts_with_the_same_bytes(lab: Lab) -> None:
    lab.scenario.spikes = spike()
    assert lab.review().exit_code == 1
    first = {p.name: p.read_bytes() for p in lab.run_dir().iterdir() if p.name != "result.json"}
    assert lab.review().exit_code == 1
    second = {p.name: p.read_bytes() for p in lab.run_dir().iterdir() if p.name != "result.json"}
    assert sorted(first) == ["cost-by-namespace.png", "costs.csv", "report.md", "review.json"]
    assert first == second
    assert not [p for p in lab.run_dir().iterdir() if p.name.startswith(".tmp")]


def test_missing_baseline_days_make_the_verdict_inconclusive_not_a_guess(lab: Lab) -> None:
    lab.scenario.spikes = spike()
    lab.scenario.missing_days = days_before(DAY, 1, 2, 3)
    result, doc = lab.review_json()
    assert result.exit_code == 0, result.stderr
    assert doc["data"]["anomalies"] == []
    reasons = doc["data"]["inconclusive"]
    assert set(reasons) == {"namespace", "deployment", "label:team", "label:app"}
    assert "only 4 of 7 baseline days" in reasons["namespace"]
    review = lab.stored("review.json")
    ns = review["dimensions"][0]
    assert ns["baseline_skipped"]["missing"] == ["2026-10-29", "2026-10-30", "2026-10-31"]
    assert {g["status"] for g in ns["groups"]} == {"inconclusive"}
    assert "inconclusive" in doc["summary"]
    assert "missing: 2026-10-29, 2026-10-30, 2026-10-31" in lab.stored("report.md").decode()


def test_a_partial_reviewed_day_is_inconclusive(lab: Lab) -> None:
    lab.scenario.spikes = spike()
    lab.scenario.partial_days = {DAY: 0.5}
    result, doc = lab.review_json()
    assert result.exit_code == 0
    assert "covers 50% of the day" in doc["data"]["inconclusive"]["namespace"]


def test_a_few_missing_days_still_leave_a_conclusive_review(lab: Lab) -> None:
    lab.scenario.spikes = spike()
    lab.scenario.missing_days = days_before(DAY, 4, 6)
    result = lab.review()
    assert result.exit_code == 1
    review = lab.stored("review.json")
    assert len(review["dimensions"][0]["baseline_used"]) == 5


def test_every_cost_zero_is_refused_with_how_to_fix_pricing(lab: Lab) -> None:
    lab.scenario.priced = False
    result = lab.review()
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "is $0" in lines[0] and "no pricing is configured" in lines[0]
    assert "opencost.customPricing" in lines[0] and "USD per vCPU-hour" in lines[0]
    assert not lab.run_dir().exists()


def test_no_data_at_all_is_a_dependency_failure_naming_the_endpoint(lab: Lab) -> None:
    lab.scenario.empty = True
    result = lab.review()
    assert result.exit_code == 3
    assert f"{lab.opencost.url}/allocation/compute returned no allocations" in result.stderr
    assert not lab.run_dir().exists()


def test_no_data_for_the_reviewed_day_is_a_dependency_failure(lab: Lab) -> None:
    lab.scenario.missing_days = {DAY}
    result = lab.review()
    assert result.exit_code == 3
    assert "has no allocations for 2026-11-01" in result.stderr


def test_opencost_down_after_retries_exits_3_naming_it(lab: Lab) -> None:
    lab.scenario.faults = Faults(status=500, times=-1)
    result = lab.review(KINDOPS_OPENCOST_ATTEMPTS="3")
    assert result.exit_code == 3
    assert f"error: OpenCost {lab.opencost.url}/allocation/compute answered HTTP 500" in (
        result.stderr
    )
    assert len(lab.opencost.requests) == 3
    assert not lab.run_dir().exists()


def test_slow_opencost_exits_3(lab: Lab) -> None:
    lab.scenario.faults = Faults(delay=5.0, delay_times=-1)
    result = lab.review(KINDOPS_OPENCOST_TIMEOUT="0.3", KINDOPS_OPENCOST_ATTEMPTS="2")
    assert result.exit_code == 3
    assert "timed out" in result.stderr and len(lab.opencost.requests) == 2


def test_bad_input_is_one_line_and_exit_2(lab: Lab) -> None:
    cases = [
        (lab.review("--day", str(DAY + timedelta(days=400))), "has not ended yet"),
        (lab.review("--aggregate", "nodes"), "--aggregate 'nodes'"),
        (lab.review("--window-days", "3", "--min-history", "5"), "--min-history 5"),
        (lab.review(KINDOPS_OPENCOST_URL=""), "KINDOPS_OPENCOST_URL"),
        (lab.review(KINDOPS_OPENCOST_URL="opencost:9003"), "http(s) URL"),
    ]
    for result, expected in cases:
        assert result.exit_code == 2, (expected, result.stderr)
        assert expected in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert lab.opencost.requests == []


def test_the_demo_opencost_command_serves_a_reviewable_api(lab: Lab) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "kindops", "cost", "demo-opencost", "--port", str(port)]
    args += ["--spike", f"kindops-apps@{DAY}=4"]
    with process(args, health=f"{url}/healthz", log=lab.tmp / "demo.log"):
        result = lab.review(KINDOPS_OPENCOST_URL=url)
    assert result.exit_code == 1, result.stderr
    assert "namespace kindops-apps" in result.stdout


def test_the_demo_opencost_command_refuses_a_bad_spike(lab: Lab) -> None:
    result = lab.runner.invoke(app, ["cost", "demo-opencost", "--spike", "kindops-apps=4"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --spike 'kindops-apps=4': expected NAMESPACE@YYYY-MM-DD=FACTOR"
    )
