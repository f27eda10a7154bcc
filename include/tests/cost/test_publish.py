"""The review's outputs to real processes: metrics on a Pushgateway, alerts on Alertmanager."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kindops.cost.publish import METRICS
from tests.support.servers import Pushgateway

from .cost_support import Lab, active_alerts, spike

pytestmark = pytest.mark.integration


def scrape(gateway: Pushgateway) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for sample in gateway.pushed("kindops_"):
        found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def value(samples: list[tuple[dict[str, str], float]], **labels: str) -> float:
    matches = [v for lbl, v in samples if all(lbl.get(k) == x for k, x in labels.items())]
    assert len(matches) == 1, (labels, matches)
    return matches[0]


def test_metrics_reach_the_pushgateway_under_job_cost_review(
    lab: Lab, pushgateway: Pushgateway
) -> None:
    lab.scenario.spikes = spike()
    result = lab.review(KINDOPS_PUSHGATEWAY_URL=pushgateway.url)
    assert result.exit_code == 1, result.stderr
    got = scrape(pushgateway)
    assert set(METRICS) <= set(got)
    for samples in got.values():
        assert {lbl["job"] for lbl, _ in samples} == {"cost-review"}
    anomaly = got["kindops_cost_anomaly"]
    assert value(anomaly, group_by="namespace", group="kindops-apps") == 1
    assert value(anomaly, group_by="namespace", group="monitoring") == 0
    assert value(anomaly, group_by="label:team", group="apps") == 1
    assert not [lbl for lbl, _ in anomaly if lbl["group"] == "__idle__"]
    daily = got["kindops_cost_daily_usd"]
    total = value(daily, group_by="cluster", group="total")
    namespaces = sum(v for lbl, v in daily if lbl["group_by"] == "namespace")
    assert total == pytest.approx(namespaces + value(daily, group_by="cluster", group="idle"))
    assert 0 < value(got["kindops_cost_idle_ratio"]) < 1
    assert 0 < value(got["kindops_cost_efficiency"], resource="cpu") <= 1
    day = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    assert value(got["kindops_cost_review_day_timestamp_seconds"]) == day
    assert value(got["kindops_job_last_success_timestamp_seconds"]) > day


def test_a_rerun_replaces_the_pushed_group(lab: Lab, pushgateway: Pushgateway) -> None:
    lab.scenario.spikes = spike()
    assert lab.review(KINDOPS_PUSHGATEWAY_URL=pushgateway.url).exit_code == 1
    lab.scenario.spikes = {}
    assert lab.review(KINDOPS_PUSHGATEWAY_URL=pushgateway.url).exit_code == 0
    anomaly = scrape(pushgateway)["kindops_cost_anomaly"]
    assert value(anomaly, group_by="namespace", group="kindops-apps") == 0
    assert sum(v for _, v in anomaly) == 0


def test_an_unreachable_pushgateway_exits_3_naming_it(lab: Lab) -> None:
    result = lab.review(KINDOPS_PUSHGATEWAY_URL="http://127.0.0.1:9")
    assert result.exit_code == 3
    assert "Pushgateway http://127.0.0.1:9" in result.stderr


def _cost_alerts(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (a["labels"]["group_by"], a["labels"]["group"]): a
        for a in active_alerts(url)
        if a["labels"].get("alertname") == "CostAnomaly"
    }


def test_anomalies_are_alerts_on_alertmanager_deduplicated_and_resolved(
    lab: Lab, alertmanager: str
) -> None:
    env = {"KINDOPS_ALERTMANAGER_URL": alertmanager}
    lab.scenario.spikes = spike()
    result, doc = lab.review_json(**env)
    assert result.exit_code == 1
    alerts = _cost_alerts(alertmanager)
    assert ("namespace", "kindops-apps") in alerts
    assert len(alerts) == len(doc["data"]["anomalies"]) == doc["data"]["alerts"]["firing"]
    one = alerts[("namespace", "kindops-apps")]
    assert one["labels"] == {
        "alertname": "CostAnomaly",
        "severity": "ticket",
        "team": "finops",
        "job": "cost-review",
        "group_by": "namespace",
        "group": "kindops-apps",
    }
    notes = one["annotations"]
    assert notes["summary"].startswith("Cost anomaly: namespace kindops-apps cost $")
    assert "driven by cpu" in notes["description"]
    assert notes["runbook_url"].endswith("/CostAnomaly.md")
    assert notes["report"].endswith("report.md")

    # the same run again: the same alerts, not twice as many
    assert lab.review(**env).exit_code == 1
    assert _cost_alerts(alertmanager).keys() == alerts.keys()

    # the anomaly is gone: the review resolves its alerts
    lab.scenario.spikes = {}
    result, doc = lab.review_json(**env)
    assert result.exit_code == 0
    assert doc["data"]["alerts"] == {"firing": 0, "resolved": len(alerts)}
    assert _cost_alerts(alertmanager) == {}


def test_no_alert_flag_and_unreachable_alertmanager(lab: Lab, alertmanager: str) -> None:
    lab.scenario.spikes = spike()
    assert lab.review("--no-alert", KINDOPS_ALERTMANAGER_URL=alertmanager).exit_code == 1
    assert _cost_alerts(alertmanager) == {}
    result = lab.review(KINDOPS_ALERTMANAGER_URL="http://127.0.0.1:9")
    assert result.exit_code == 3
    assert "Alertmanager http://127.0.0.1:9/api/v2/alerts unreachable" in result.stderr
