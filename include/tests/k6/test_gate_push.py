"""The error-budget gate (decision rule, then budgets read from a real Prometheus) and the push
of results to a real Pushgateway."""

from __future__ import annotations

import pytest
from k6_support import Pushgateway, metrics

from kindops.errors import ConfigError, DependencyError
from kindops.k6.gate import BudgetReader, evaluate, prometheus_reader, service_slos
from kindops.k6.push import push_step, push_success
from kindops.slo.budget import NoSloDataError
from tests.support.prometheus import Prometheus
from tests.support.servers import ROOT, free_port

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
    run = metrics(p95=120.0, rps=50.0, errors=0.01, p99=300.0)
    assert (
        push_step(
            pushgateway.url,
            "app-python",
            "load",
            "regressed",
            1.7e9,
            run,
            {"p95_ms": 100.0, "rps": 55.0},
        )
        == "pushed"
    )
    labels = '{app="app-python",instance="",job="k6-baseline",scenario="load"}'
    assert pushgateway.samples("kindops_k6_p95_seconds") == {labels: 0.12}
    assert pushgateway.samples("kindops_k6_p99_seconds") == {labels: 0.3}
    assert pushgateway.samples("kindops_k6_rps") == {labels: 50.0}
    assert pushgateway.samples("kindops_k6_error_ratio") == {labels: 0.01}
    assert pushgateway.samples("kindops_k6_baseline_p95_seconds") == {labels: 0.1}
    verdicts = pushgateway.samples("kindops_k6_verdict")
    assert verdicts[labels.replace("}", ',verdict="regressed"}')] == 1.0
    assert verdicts[labels.replace("}", ',verdict="pass"}')] == 0.0
    assert sum(verdicts.values()) == 1.0

    # a skipped step updates its verdict and keeps the last figures
    assert push_step(pushgateway.url, "app-python", "load", "skipped", 1.8e9) == "pushed"
    assert pushgateway.samples("kindops_k6_p95_seconds") == {labels: 0.12}
    assert (
        pushgateway.samples("kindops_k6_verdict")[labels.replace("}", ',verdict="skipped"}')] == 1.0
    )


def test_push_success_and_unreachable_gateway(pushgateway: Pushgateway) -> None:
    assert push_success(pushgateway.url, 1.7e9) == "pushed"
    assert pushgateway.samples("kindops_job_last_success_timestamp_seconds") == {
        '{instance="",job="k6-baseline"}': 1.7e9
    }
    down = push_success(f"http://127.0.0.1:{free_port()}", 1.0)
    assert down.startswith("failed: ")
