"""Inventory -> plan: every resource with its action, reason and estimated monthly cost. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from kindops.aws.config import LoadedRules
from kindops.aws.model import ACTIONS, Inventory, Plan, PlanItem, Resource
from kindops.aws.prices import money, monthly_usd
from kindops.aws.rules import Decision, evaluate, evaluate_images

ATTENTION = ("invalid-tag", "report-only")


def decide_all(
    inventory: Inventory, loaded: LoadedRules, now: datetime
) -> list[tuple[Resource, Decision]]:
    """Every resource of the inventory exactly once, with its decision."""
    rules = loaded.rules
    decided: list[tuple[Resource, Decision]] = []
    repos: dict[tuple[str, str], tuple[Resource, Decision]] = {}
    images: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for resource in inventory.resources:
        if resource.kind == "image":
            images[(resource.region, str(resource.attributes.get("repository", "")))].append(
                resource
            )
            continue
        decision = evaluate(resource, rules, now)
        decided.append((resource, decision))
        if resource.kind == "repository":
            repos[(resource.region, resource.name)] = (resource, decision)
    for key, group in images.items():
        if key not in repos:
            for image in group:
                decided.append(
                    (
                        image,
                        Decision(
                            "keep",
                            "repository-missing",
                            f"repository {key[1]} is not in the inventory",
                        ),
                    )
                )
            continue
        repo, repo_decision = repos[key]
        by_name = evaluate_images(repo, repo_decision, group, rules, now)
        decided.extend((image, by_name[image.name]) for image in group)
    return decided


def build_plan(
    inventory: Inventory,
    loaded: LoadedRules,
    now: datetime | None = None,
    inventory_ref: str | None = None,
) -> Plan:
    as_of = now or datetime.now(UTC)
    rules = loaded.rules
    items: list[PlanItem] = []
    savings = Decimal(0)
    for resource, decision in decide_all(inventory, loaded, as_of):
        cost = monthly_usd(resource, rules.prices)
        saved = Decimal(0)
        if decision.action == "delete" and decision.rule != "with-repository":
            saved = cost
        savings += saved
        items.append(
            PlanItem(
                resource=resource,
                action=decision.action,
                rule=decision.rule,
                reason=decision.reason,
                expires_at=decision.expires_at,
                monthly_usd=money(cost),
                savings_usd=money(saved),
            )
        )
    order = {action: n for n, action in enumerate(ACTIONS)}
    items.sort(
        key=lambda i: (order[i.action], i.resource.service, i.resource.region, i.resource.name)
    )
    by_action: Counter[str] = Counter(i.action for i in items)
    totals = {
        "resources": len(items),
        "by_action": {action: by_action.get(action, 0) for action in ACTIONS},
        "by_service": dict(sorted(Counter(i.resource.service for i in items).items())),
        "delete": by_action.get("delete", 0),
        "attention": sum(by_action.get(a, 0) for a in ATTENTION),
        "savings_usd_month": money(savings),
        "lab_monthly_usd": money(
            sum(
                (
                    Decimal(str(i.monthly_usd))
                    for i in items
                    if i.action not in ("ignore", "report-only")
                ),
                Decimal(0),
            )
        ),
    }
    return Plan(
        created_at=datetime.now(UTC),
        as_of=as_of,
        account=inventory.account,
        account_allowed=inventory.account in rules.accounts.allow,
        regions=inventory.regions,
        rules=loaded.ref(),
        inventory_collected_at=inventory.collected_at,
        inventory_ref=inventory_ref,
        inventory_errors=inventory.errors,
        items=items,
        totals=totals,
    )
