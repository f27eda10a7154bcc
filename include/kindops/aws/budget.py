"""Budget check: the lab's AWS Budgets, actual and forecast spend against a threshold.

Reads ``CalculatedSpend`` (``ActualSpend``, ``ForecastedSpend``) of each configured budget with
DescribeBudgets. A budget at or above ``threshold_percent`` of its limit (actual, and forecast
when ``check_forecast``) makes the verdict bad. A configured budget that does not exist is a
configuration error (exit 2), not a spend verdict: the check cannot vouch for spend it cannot
see. ``ensure`` creates the configured budgets idempotently (the Terraform module owns them in
a real account; ``ensure`` is for the demo, tests, and a first run by hand).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from kindops.aws.client import BUDGETS_REGION, Aws, error_code, translated
from kindops.aws.config import BudgetSpec, LoadedRules
from kindops.errors import ConfigError


@dataclass
class BudgetStatus:
    name: str
    limit: Decimal
    unit: str
    actual: Decimal
    forecast: Decimal | None
    actual_percent: Decimal
    forecast_percent: Decimal | None
    threshold_percent: Decimal
    breached: bool
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        for key, value in doc.items():
            if isinstance(value, Decimal):
                doc[key] = float(value)
        return doc


def _amount(spend: dict[str, Any] | None) -> Decimal | None:
    if not spend or spend.get("Amount") in (None, ""):
        return None
    try:
        return Decimal(str(spend["Amount"]))
    except InvalidOperation:
        return None


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(Decimal("0.01"))


def describe_all(aws: Aws, account: str) -> dict[str, dict[str, Any]]:
    client = aws.client("budgets", BUDGETS_REGION)
    found: dict[str, dict[str, Any]] = {}
    with translated("budgets DescribeBudgets"):
        try:
            for page in client.get_paginator("describe_budgets").paginate(AccountId=account):
                for budget in page.get("Budgets", []):
                    found[str(budget["BudgetName"])] = dict(budget)
        except ClientError as exc:
            if error_code(exc) != "NotFoundException":  # no budget at all in the account
                raise
    return found


def evaluate(
    spec: BudgetSpec, budget: dict[str, Any], threshold: Decimal, check_forecast: bool
) -> BudgetStatus:
    """Pure: one budget document from DescribeBudgets against the threshold."""
    limit_doc = budget.get("BudgetLimit") or {}
    limit = _amount(limit_doc)
    if limit is None or limit <= 0:
        raise ConfigError(f"budget {spec.name} has no fixed BudgetLimit; the check needs one")
    unit = str(limit_doc.get("Unit", "USD"))
    spend = budget.get("CalculatedSpend") or {}
    actual = _amount(spend.get("ActualSpend")) or Decimal(0)
    forecast = _amount(spend.get("ForecastedSpend"))
    actual_pct = _pct(actual, limit)
    forecast_pct = _pct(forecast, limit) if forecast is not None else None
    status = BudgetStatus(
        name=spec.name,
        limit=limit,
        unit=unit,
        actual=actual,
        forecast=forecast,
        actual_percent=actual_pct,
        forecast_percent=forecast_pct,
        threshold_percent=threshold,
        breached=False,
    )
    if actual_pct >= threshold:
        status.reasons.append(
            f"actual spend {actual} {unit} is {actual_pct} % of the "
            f"{limit} {unit} limit (threshold {threshold} %)"
        )
    if check_forecast:
        if forecast_pct is None:
            status.notes.append("no forecast yet (AWS needs some spend history)")
        elif forecast_pct >= threshold:
            status.reasons.append(
                f"forecast spend {forecast} {unit} is {forecast_pct} % of the "
                f"{limit} {unit} limit (threshold {threshold} %)"
            )
    if limit != spec.limit_usd:
        status.notes.append(
            f"AWS limit {limit} {unit} differs from the configured {spec.limit_usd} USD"
        )
    status.breached = bool(status.reasons)
    return status


def check(aws: Aws, loaded: LoadedRules, threshold: Decimal | None = None) -> list[BudgetStatus]:
    rules = loaded.rules.budgets
    account = aws.account()
    found = describe_all(aws, account)
    missing = [spec.name for spec in rules.budgets if spec.name not in found]
    if missing:
        raise ConfigError(
            f"budget {', '.join(missing)} not found in account {account}; create it with the "
            "Terraform budgets module or `kindops aws ensure-budgets`"
        )
    limit = threshold if threshold is not None else rules.threshold_percent
    return [evaluate(spec, found[spec.name], limit, rules.check_forecast) for spec in rules.budgets]


def _budget_doc(spec: BudgetSpec, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "BudgetName": spec.name,
        "BudgetLimit": {"Amount": str(spec.limit_usd), "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    if existing:
        for key in ("TimeUnit", "BudgetType", "CostTypes", "CostFilters"):
            if existing.get(key):
                doc[key] = existing[key]
    return doc


def ensure(aws: Aws, loaded: LoadedRules) -> list[dict[str, str]]:
    """Create missing budgets, fix differing limits, leave matching ones alone."""
    account = aws.account()
    client = aws.client("budgets", BUDGETS_REGION)
    found = describe_all(aws, account)
    results = []
    for spec in loaded.rules.budgets.budgets:
        existing = found.get(spec.name)
        with translated(f"budget {spec.name}"):
            if existing is None:
                client.create_budget(AccountId=account, Budget=_budget_doc(spec))
                status = "created"
            elif _amount(existing.get("BudgetLimit")) != spec.limit_usd:
                client.update_budget(AccountId=account, NewBudget=_budget_doc(spec, existing))
                status = "updated"
            else:
                status = "unchanged"
        results.append({"name": spec.name, "limit_usd": str(spec.limit_usd), "status": status})
    return results
