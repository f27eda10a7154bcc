"""Budget check against the AWS-API server's Budgets API: under, at and over the threshold.

The local server does not compute spend: each test sets CalculatedSpend when it creates the
budget (the server has no UpdateBudget, so a budget is deleted and recreated to change it).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


def _budget(lab: Any, name: str, limit: str, actual: str, forecast: str | None) -> None:
    client = lab.client("budgets")
    with contextlib.suppress(client.exceptions.NotFoundException):
        client.delete_budget(AccountId=ACCOUNT, BudgetName=name)
    spend: dict[str, Any] = {"ActualSpend": {"Amount": actual, "Unit": "USD"}}
    if forecast is not None:
        spend["ForecastedSpend"] = {"Amount": forecast, "Unit": "USD"}
    client.create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": name,
            "BudgetLimit": {"Amount": limit, "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
            "CalculatedSpend": spend,
        },
    )


@pytest.mark.parametrize(
    ("actual", "forecast", "code", "breached"),
    [
        ("3.99", "3.99", 0, []),  # just under 80 % of 5
        ("4.00", "4.00", 1, ["kindops-lab-monthly-5usd"]),  # exactly 80 %: bad
        ("4.50", "9.00", 1, ["kindops-lab-monthly-5usd", "kindops-lab-monthly-10usd"]),
        ("1.00", "4.10", 1, ["kindops-lab-monthly-5usd"]),  # forecast alone
        ("0", None, 0, []),  # no forecast yet
    ],
)
def test_budget_verdict_at_under_over_threshold(
    lab: Any, actual: str, forecast: str | None, code: int, breached: list[str]
) -> None:
    _budget(lab, "kindops-lab-monthly-5usd", "5", actual, forecast)
    _budget(lab, "kindops-lab-monthly-10usd", "10", actual, forecast)
    result, doc = lab.run_json("aws", "budget", "--rules", lab.rules())
    assert result.exit_code == code, result.stderr
    assert doc["data"]["breached"] == breached
    for name in breached:
        assert name in doc["summary"]
    budget_md = lab.artifact("aws-budget/test_run/budget.md").read_text()
    assert (
        "| Budget | Limit | Actual | Actual % | Forecast | Forecast % | Threshold | Status |"
        in budget_md
    )
    stored = json.loads(lab.artifact("aws-budget/test_run/budget.json").read_text())
    assert [b["breached"] for b in stored["budgets"]] == [
        n in breached for n in ("kindops-lab-monthly-5usd", "kindops-lab-monthly-10usd")
    ]


def test_budget_report_says_which_budget_and_why(lab: Any) -> None:
    _budget(lab, "kindops-lab-monthly-5usd", "5", "4.25", "6.00")
    _budget(lab, "kindops-lab-monthly-10usd", "10", "4.25", "6.00")
    result, doc = lab.run_json("aws", "budget", "--rules", lab.rules())
    assert result.exit_code == 1
    assert doc["summary"] == (
        "kindops-lab-monthly-5usd: actual spend 4.25 USD is 85.00 % of the 5 USD limit "
        "(threshold 80 %), forecast spend 6.00 USD is 120.00 % of the 5 USD limit "
        "(threshold 80 %)"
    )
    md = lab.artifact("aws-budget/test_run/budget.md").read_text()
    assert (
        "| kindops-lab-monthly-5usd | 5 USD | 4.25 USD | 85.00 % | 6.00 USD | 120.00 % | "
        "80 % | **over threshold** |" in md
    )
    assert (
        "| kindops-lab-monthly-10usd | 10 USD | 4.25 USD | 42.50 % | 6.00 USD | 60.00 % | "
        "80 % | ok |" in md
    )
    # a higher threshold on the command line turns the same spend into a good verdict
    relaxed = lab.run("aws", "budget", "--rules", lab.rules(), "--threshold", "125")
    assert relaxed.exit_code == 0, relaxed.stderr


def test_threshold_and_names_come_from_the_rules_file(lab: Any) -> None:
    _budget(lab, "team-lab", "20", "12", "14")
    rules = lab.rules(
        budgets={
            "threshold_percent": 60,
            "check_forecast": False,
            "budgets": [{"name": "team-lab", "limit_usd": 20}],
        }
    )
    result, doc = lab.run_json("aws", "budget", "--config", rules)  # alias of --rules
    assert result.exit_code == 1
    assert doc["summary"] == (
        "team-lab: actual spend 12 USD is 60.00 % of the 20 USD limit (threshold 60 %)"
    )


def test_missing_budget_is_a_configuration_error(lab: Any) -> None:
    _budget(lab, "kindops-lab-monthly-5usd", "5", "1", "1")
    result = lab.run("aws", "budget", "--rules", lab.rules())
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: budget kindops-lab-monthly-10usd not found in account 123456789012; create it "
        "with the Terraform budgets module or `kindops aws ensure-budgets`"
    )


def test_ensure_budgets_is_idempotent(lab: Any) -> None:
    rules = lab.rules()
    first, doc = lab.run_json("aws", "ensure-budgets", "--rules", rules)
    assert first.exit_code == 0, first.stderr
    assert [b["status"] for b in doc["data"]["budgets"]] == ["created", "created"]
    second, doc = lab.run_json("aws", "ensure-budgets", "--rules", rules)
    assert second.exit_code == 0
    assert [b["status"] for b in doc["data"]["budgets"]] == ["unchanged", "unchanged"]
    budgets = lab.client("budgets").describe_budgets(AccountId=ACCOUNT)["Budgets"]
    assert sorted((b["BudgetName"], b["BudgetLimit"]["Amount"]) for b in budgets) == [
        ("kindops-lab-monthly-10usd", "10"),
        ("kindops-lab-monthly-5usd", "5"),
    ]
    check = lab.run("aws", "budget", "--rules", rules)
    assert check.exit_code == 0  # fresh budgets: no spend


def test_budget_ratios_reach_a_real_pushgateway(
    lab: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.servers import Pushgateway

    _budget(lab, "kindops-lab-monthly-5usd", "5", "4.50", "9.00")
    _budget(lab, "kindops-lab-monthly-10usd", "10", "4.50", "9.00")
    with Pushgateway(tmp_path / "pgw") as gateway:
        monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", gateway.url)
        result, _doc = lab.run_json("aws", "budget", "--rules", lab.rules())
        assert result.exit_code == 1
        text = gateway.metrics()
    from prometheus_client.parser import text_string_to_metric_families

    samples = {
        (s.name, s.labels.get("budget")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("kindops_aws_budget") and s.labels.get("job") == "aws-budget"
    }
    assert samples == {
        ("kindops_aws_budget_used_ratio", "kindops-lab-monthly-5usd"): 0.9,
        ("kindops_aws_budget_used_ratio", "kindops-lab-monthly-10usd"): 0.45,
        ("kindops_aws_budget_forecast_ratio", "kindops-lab-monthly-5usd"): 1.8,
        ("kindops_aws_budget_forecast_ratio", "kindops-lab-monthly-10usd"): 0.9,
    }
