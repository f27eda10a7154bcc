"""The error-budget gate (decision rule, then budgets read from a real Prometheus) and the push
of results to a real Pushgateway."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kindops.dashboards import k6 as k6_dashboard
from kindops.errors import ConfigError, DependencyError
from kindops.k6.gate import BudgetReader, evaluate, prometheus_reader, service_slos
from kindops.k6.push import push_step, push_success
from kindops.slo.budget import NoSloDataError
from tests.support.prometheus import Prometheus, Series, backfill
from tests.support.servers import ROOT, Pushgateway, free_port

from .k6_support import metrics

pytestmark = pytest.mark.integration

SPECS = str(ROOT / "observability/slos")


def reader(budgets: dict[str, float | None]) -> BudgetReader:
    def read(service: str, slo: str) -> float:
        value = budgets[slo]
        if value is None:
            raise NoSloDataError(f"no data for {service}/{slo}")
        return value

    return read


def test_gate_opens_only_when_every_slo_keeps_the_minimum() -> None:
    opened = evaluate(
        reader({"availability": 0.9, "latency": 0.3}), "app", ["availability", "latency"], 0.25
    )
    assert opened.status == "open" and not opened.closed
    assert "latency with 30.0 % left" in opened.reason
    closed = evaluate(
        reader({"availability": 0.9, "latency": 0.2}), "app", ["availability", "latency"], 0.25
    )
    assert closed.closed and "latency has 20.0 % of its error budget left (minimum 25 %)" in (
        closed.reason
    )
    assert closed.budgets == {"availability": 0.9, "latency": 0.2}
    # exhausted (negative) budgets close it whatever the minimum
    assert evaluate(reader({"availability": -0.5}), "app", ["availability"], 0.0).closed


def test_unknown_budget_closes_the_gate() -> None:
    decision = evaluate(
        reader({"availability": 1.0, "latency": None}), "app", ["availability", "latency"], 0.25
    )
    assert decision.closed and "no SLO data" in decision.reason and "latency" in decision.reason


def test_gate_input_is_validated() -> None:
    with pytest.raises(ConfigError):
        evaluate(reader({}), "app", ["availability"], 1.5)
    with pytest.raises(ConfigError):
        evaluate(reader({}), "app", [], 0.25)
    with pytest.raises(ConfigError, match="no SLO spec for tiny"):
        service_slos(SPECS, "tiny")
    assert service_slos(SPECS, "app-java") == ["availability", "latency"]


def test_budgets_come_from_prometheus(prometheus: Prometheus) -> None:
    read = prometheus_reader(prometheus.url, SPECS)
    assert read("app-java", "availability") == pytest.approx(1.0)
    assert read("app-python", "availability") < 0, "10 % errors against a 0.5 % budget"
    python = evaluate(read, "app-python", service_slos(SPECS, "app-python"), 0.25)
    java = evaluate(read, "app-java", service_slos(SPECS, "app-java"), 0.25)
    assert python.closed and "app-python availability" in python.reason
    assert java.status == "open"
    unreachable = prometheus_reader(f"http://127.0.0.1:{free_port()}", SPECS)
    with pytest.raises(DependencyError):
        unreachable("app-java", "availability")


def test_push_step_writes_the_metric_set(pushgateway: Pushgateway) -> None:
    run = metrics(p95=120.0, rps=50.0, errors=0.01, p99=300.0, checks=0.98)
    baseline = {"p95_ms": 100.0, "p99_ms": 250.0, "rps": 55.0, "error_ratio": 0.0}
    noise = {"p95_ms": 8.0, "p99_ms": None, "rps": 2.5, "error_ratio": 0.0, "check_rate": None}
    assert (
        push_step(pushgateway.url, "app-python", "load", "regressed", 1.7e9, run, baseline, noise)
        == "pushed"
    )
    labels = '{app="app-python",instance="",job="k6-baseline",scenario="load"}'
    assert pushgateway.samples("kindops_k6_p95_seconds") == {labels: 0.12}
    assert pushgateway.samples("kindops_k6_p99_seconds") == {labels: 0.3}
    assert pushgateway.samples("kindops_k6_rps") == {labels: 50.0}
    assert pushgateway.samples("kindops_k6_error_ratio") == {labels: 0.01}
    assert pushgateway.samples("kindops_k6_check_ratio") == {labels: 0.98}
    assert pushgateway.samples("kindops_k6_run_timestamp_seconds") == {labels: 1.7e9}
    # the baseline median and its noise band, in the pushed units (ms -> s)
    assert pushgateway.group("k6-baseline", "kindops_k6_baseline_") == pytest.approx(
        {
            "kindops_k6_baseline_p95_seconds": 0.1,
            "kindops_k6_baseline_p99_seconds": 0.25,
            "kindops_k6_baseline_rps": 55.0,
            "kindops_k6_baseline_error_ratio": 0.0,
            "kindops_k6_baseline_noise_p95_seconds": 0.008,
            "kindops_k6_baseline_noise_rps": 2.5,
            "kindops_k6_baseline_noise_error_ratio": 0.0,
        }
    ), "a figure without a baseline or band (checks; p99's band) is not pushed"
    verdicts = pushgateway.samples("kindops_k6_verdict")
    assert verdicts[labels.replace("}", ',verdict="regressed"}')] == 1.0
    assert verdicts[labels.replace("}", ',verdict="pass"}')] == 0.0
    assert sum(verdicts.values()) == 1.0

    # the next judged run replaces the figures it has; a skipped step updates its verdict and
    # time and keeps the last figures, baseline and band
    rerun = metrics(p95=90.0, rps=60.0, checks=None)
    assert (
        push_step(
            pushgateway.url, "app-python", "load", "improved", 1.75e9, rerun, {"p95_ms": 95.0}
        )
        == "pushed"
    )
    assert pushgateway.samples("kindops_k6_p95_seconds") == {labels: 0.09}
    assert pushgateway.samples("kindops_k6_baseline_p95_seconds") == {labels: 0.095}
    assert pushgateway.samples("kindops_k6_check_ratio") == {labels: 0.98}
    assert push_step(pushgateway.url, "app-python", "load", "skipped", 1.8e9) == "pushed"
    assert pushgateway.samples("kindops_k6_p95_seconds") == {labels: 0.09}
    assert pushgateway.samples("kindops_k6_baseline_noise_p95_seconds") == {labels: 0.008}
    assert pushgateway.samples("kindops_k6_run_timestamp_seconds") == {labels: 1.8e9}
    verdicts = pushgateway.samples("kindops_k6_verdict")
    assert verdicts[labels.replace("}", ',verdict="skipped"}')] == 1.0
    assert sum(verdicts.values()) == 1.0


def test_the_k6_dashboard_reads_what_is_pushed(pushgateway: Pushgateway, tmp_path: Path) -> None:
    """Push three steps, load what the gateway exposes into a real Prometheus (as its scrape
    would), and evaluate the committed dashboard's queries on it."""
    at = float(int(time.time()) // 60 * 60)
    full = {"p95_ms": 100.0, "p99_ms": 250.0, "rps": 55.0, "error_ratio": 0.0, "check_rate": 1.0}
    band = {"p95_ms": 8.0, "p99_ms": 20.0, "rps": 2.5, "error_ratio": 0.001, "check_rate": 0.0}
    run = metrics(p95=120.0, rps=50.0, errors=0.01, p99=300.0, checks=0.98)
    for app, scenario, verdict, figures in (
        ("app-python", "load", "regressed", run),
        ("app-python", "stress", "skipped", None),
        ("app-java", "smoke", "pass", metrics()),
    ):
        pushed = push_step(pushgateway.url, app, scenario, verdict, at, figures, full, band)
        assert pushed == "pushed"
    history = [Series(s.name, s.labels, [s.value] * 30) for s in pushgateway.pushed("kindops_k6_")]
    backfill(tmp_path / "tsdb", history, at, 60)
    doc = json.loads((ROOT / "observability/grafana/dashboards/kindops-k6.json").read_text())
    targets = {
        (panel["title"], target.get("legendFormat") or target["refId"]): target["expr"]
        .replace("$app", "app-python")
        .replace("$scenario", "load")
        for panel in doc["panels"]
        for target in panel.get("targets", [])
    }
    assert len(targets) > 20
    with Prometheus(tmp_path / "tsdb") as prom:

        def values(title: str, legend: str) -> dict[tuple[str, str], float]:
            found = prom.query(targets[(title, legend)], at=at)
            return {(m.get("app", ""), m.get("scenario", "")): v for m, v in found}

        empty = [key for key, expr in targets.items() if not prom.query(expr, at=at)]
        assert not empty, f"no data for {empty}"
        codes = values("Last verdict", "{{app}} {{scenario}}")
        names = {
            k: k6_dashboard.verdict_mapping().options[str(int(v))].text for k, v in codes.items()
        }
        assert names == {
            ("app-python", "load"): "regressed",
            ("app-python", "stress"): "skipped (gate)",
            ("app-java", "smoke"): "pass",
        }
        assert values("Regressed or failed", "A") == {("", ""): 1.0}
        assert list(values("Skipped by the error-budget gate", "A")) == [("app-python", "stress")]
        trend = {
            legend: values("p95 latency", legend)[("", "")]
            for legend in ("this run", "baseline median", "noise band", "noise band (lower)")
        }
        assert trend == pytest.approx(
            {
                "this run": 0.12,
                "baseline median": 0.1,
                "noise band": 0.108,
                "noise band (lower)": 0.092,
            }
        )
        assert values("Requests per second", "noise band (lower)") == {("", ""): 52.5}
        assert values("Passed checks", "noise band") == {("", ""): 1.0}, "capped at 100 %"
        assert values("Last run per step", "C")[("app-python", "load")] == pytest.approx(0.2)


def test_push_success_and_unreachable_gateway(pushgateway: Pushgateway) -> None:
    assert push_success(pushgateway.url, 1.7e9) == "pushed"
    assert pushgateway.samples("kindops_job_last_success_timestamp_seconds") == {
        '{instance="",job="k6-baseline"}': 1.7e9
    }
    down = push_success(f"http://127.0.0.1:{free_port()}", 1.0)
    assert down.startswith("failed: ")
