"""remaining_budget() and measure() against a real Prometheus holding known history."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest

from kindops.errors import ConfigError, DependencyError
from kindops.slo.budget import NoSloDataError, measure, remaining_budget
from kindops.slo.prometheus import PrometheusClient
from kindops.slo.spec import find_slo
from tests.support.prometheus import Prometheus
from tests.support.servers import free_port
from tests.support.slo_history import (
    BEFORE_DATA,
    END,
    EXHAUSTED_AT_END,
    EXPECTED_HEALTHY,
    HEALTHY_AT,
)

SPECS = Path(__file__).resolve().parents[3] / "observability" / "slos"

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("service", "slo"), sorted(EXPECTED_HEALTHY))
def test_remaining_budget_over_the_healthy_month(prom: Prometheus, service: str, slo: str) -> None:
    left = remaining_budget(prom.url, service, slo, specs_dir=SPECS, at=HEALTHY_AT)
    tolerance = 0.02 if slo == "queue-age" else 1e-6
    assert left == pytest.approx(EXPECTED_HEALTHY[(service, slo)], abs=tolerance)


def test_an_outage_overspends_the_budget_and_only_that_one(prom: Prometheus) -> None:
    left = remaining_budget(prom.url, "app-python", "availability", specs_dir=SPECS, at=END)
    assert left == pytest.approx(EXHAUSTED_AT_END, abs=1e-6)  # -1.64: 264 % spent
    # the other SLOs of the same service and period are untouched by the 5xx
    latency = remaining_budget(prom.url, "app-python", "latency", specs_dir=SPECS, at=END)
    assert latency == pytest.approx(0.6, abs=1e-6)


def test_burndown_falls_from_full_to_the_remaining_budget(prom: Prometheus) -> None:
    spec, slo = find_slo(SPECS, "app-python", "availability")
    budget = measure(PrometheusClient(prom.url), spec, slo, END)
    assert budget.status == "exhausted"
    assert budget.end - budget.start == timedelta(days=30)
    assert len(budget.points) == 30 * 24
    curve = [v for _, v in budget.burndown()]
    assert curve[0] > 0.99
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(curve))
    assert curve[-1] == pytest.approx(budget.remaining, abs=1e-9)
    # the outage (last 7 days, 5 % errors) burns 25x faster than the healthy days (0.2 %)
    day = 24
    healthy_burn = curve[day] - curve[2 * day]
    outage_burn = curve[-2 * day] - curve[-day]
    assert outage_burn == pytest.approx(25 * healthy_burn, rel=1e-3)


def test_no_data_over_the_period_is_an_error_not_a_full_budget(prom: Prometheus) -> None:
    with pytest.raises(NoSloDataError, match="has no events for app-java/latency") as info:
        remaining_budget(prom.url, "app-java", "latency", specs_dir=SPECS, at=BEFORE_DATA)
    assert prom.url in info.value.message
    assert info.value.exit_code == 3


def test_unreachable_prometheus_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DependencyError, match=f"Prometheus at {url} is unreachable"):
        remaining_budget(url, "app-python", "availability", specs_dir=SPECS)


def test_unknown_service_or_slo_and_bad_url_are_config_errors(prom: Prometheus) -> None:
    with pytest.raises(ConfigError, match="no SLO spec for service 'shop'"):
        remaining_budget(prom.url, "shop", "availability", specs_dir=SPECS)
    with pytest.raises(ConfigError, match="has no SLO 'freshness'"):
        remaining_budget(prom.url, "app-python", "freshness", specs_dir=SPECS)
    with pytest.raises(ConfigError, match="is not an http"):
        remaining_budget("prometheus:9090", "app-python", "availability", specs_dir=SPECS)


def test_a_query_prometheus_rejects_is_a_config_error_naming_it(prom: Prometheus) -> None:
    client = PrometheusClient(prom.url)
    with pytest.raises(ConfigError, match=re.escape("rejected the query 'sum(rate(x[1h]) by'")):
        client.query_range(
            "sum(rate(x[1h]) by", HEALTHY_AT - timedelta(hours=2), HEALTHY_AT, timedelta(hours=1)
        )
