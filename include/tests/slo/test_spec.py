"""SLO spec validation: good specs load, every kind of bad spec is one clear error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kindops.errors import ConfigError
from kindops.slo.spec import find_slo, load_specs, parse_spec, render_window

GOOD = """
version: kindops/slo/v1
service: shop
labels: {team: apps}
slos:
  - name: availability
    objective: 99.9
    description: Requests without a 5xx.
    sli:
      events:
        error_query: sum(rate(req_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(req_total[{{ .window }}]))
    alerting:
      name: ShopAvailabilityBudgetBurn
"""


def spec(**changes: object) -> str:
    doc = yaml.safe_load(GOOD)
    slo = doc["slos"][0]
    for key, value in changes.items():
        target, _, name = key.rpartition("__")
        where = doc if target == "top" else slo
        for part in [p for p in target.split("__") if p and p != "top"]:
            where = where[part]
        if value is None:
            del where[name]
        else:
            where[name] = value
    return yaml.safe_dump(doc)


def test_a_good_spec_loads_with_defaults() -> None:
    parsed = parse_spec("shop.yaml", GOOD)
    slo = parsed.slo("availability")
    assert parsed.period == "30d" and parsed.period_days == 30
    assert slo.error_budget == Decimal("0.001")
    assert slo.alerting.page_alert.for_ == "2m"
    assert slo.alerting.ticket_alert.for_ == "15m"
    assert render_window(slo.sli.events.total_query, "5m") == "sum(rate(req_total[5m]))"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (spec(top__owner="me"), "owner: unknown key"),
        (spec(sli__events__extra="x"), "slos.0.sli.events.extra: unknown key"),
        (spec(objective=100), "slos.0.objective: Input should be less than 100"),
        (spec(objective=0), "slos.0.objective: Input should be greater than 0"),
        (spec(objective=-1), "slos.0.objective: Input should be greater than 0"),
        (spec(objective="high"), "slos.0.objective: Input should be a valid number"),
        (
            spec(sli__events__error_query='sum(rate(req_total{code=~"5.."}[5m]))'),
            "slos.0.sli.events.error_query: the query must contain the {{.window}} placeholder",
        ),
        (
            spec(sli__events__total_query="sum(rate(req_total[{{.window}}])) / {{.other}}"),
            "only the {{.window}} placeholder is supported",
        ),
        (spec(top__version="prometheus/v1"), "version: Input should be 'kindops/slo/v1'"),
        (spec(top__period="1w"), "period: expected a whole number of days from 7d to 90d"),
        (spec(top__period="365d"), "period: expected a whole number of days from 7d to 90d"),
        (spec(top__service="Shop_API"), "service: String should match pattern"),
        (spec(top__labels={"severity": "page"}), "label 'severity' is set by the generator"),
        (spec(labels={"sloth_id": "x"}), "label 'sloth_id' is set by the generator"),
        (spec(labels={"bad-key": "x"}), "label 'bad-key' is not a valid Prometheus label name"),
        (spec(alerting__name="shop-burn"), "slos.0.alerting.name: String should match pattern"),
        (
            spec(alerting__annotations={"runbook_url": "x"}),
            "runbook_url is set by the generator",
        ),
        (spec(alerting__page_alert={"for": "soon"}), "expected a duration such as 2m or 1h"),
        (spec(description=None), "slos.0.description: Field required"),
        ("- just\n- a list\n", "expected a mapping at the top level"),
        ("slos: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_spec_is_one_clear_error(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec("observability/slos/shop.yaml", text)
    message = info.value.message
    assert message.startswith("observability/slos/shop.yaml: "), message
    assert expected in message
    assert "\n" not in message


def test_every_problem_of_a_spec_is_in_its_one_line() -> None:
    text = spec(objective=120, top__owner="me")
    with pytest.raises(ConfigError) as info:
        parse_spec("shop.yaml", text)
    assert "objective" in info.value.message and "owner: unknown key" in info.value.message


def test_slo_names_are_unique_within_a_service() -> None:
    doc = yaml.safe_load(GOOD)
    doc["slos"].append(doc["slos"][0])
    with pytest.raises(ConfigError, match="SLO names must be unique; repeated: availability"):
        parse_spec("shop.yaml", yaml.safe_dump(doc))


def test_services_and_alert_names_are_unique_across_specs(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD.replace("name: availability", "name: other"))
    with pytest.raises(ConfigError, match="service 'shop' is already defined in"):
        load_specs(tmp_path)
    (tmp_path / "b.yaml").write_text(GOOD.replace("service: shop", "service: cart"))
    with pytest.raises(ConfigError, match="alert name 'ShopAvailabilityBudgetBurn' of cart/"):
        load_specs(tmp_path)


def test_find_slo_names_what_exists(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(GOOD)
    assert find_slo(tmp_path, "shop", "availability")[1].objective == 99.9
    with pytest.raises(ConfigError, match=r"no SLO spec for service 'cart' \(known: shop\)"):
        find_slo(tmp_path, "cart", "availability")
    with pytest.raises(ConfigError, match=r"has no SLO 'latency' \(known: availability\)"):
        find_slo(tmp_path, "shop", "latency")
    with pytest.raises(ConfigError, match="does not exist"):
        load_specs(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no"):
        load_specs(tmp_path / "empty")


def test_the_repository_specs_are_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    specs = {s.service: s for s in load_specs(root / "observability" / "slos").values()}
    assert set(specs) == {"app-python", "app-python-worker", "app-java"}
    assert specs["app-python"].slo("availability").objective == 99.5
    assert specs["app-python"].slo("latency").objective == 95
    assert 'le="0.3"' in specs["app-python"].slo("latency").sli.events.error_query


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99.999"), places=3))
def test_error_budget_is_exactly_the_complement_of_the_objective(objective: Decimal) -> None:
    parsed = parse_spec("x.yaml", spec(objective=float(objective)))
    slo = parsed.slo("availability")
    assert slo.objective_ratio + slo.error_budget == 1
    assert slo.error_budget == (100 - Decimal(str(float(objective)))) / 100
