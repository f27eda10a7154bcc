"""The pure decision layer and the plan built from it: every branch, exact reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kindops.aws.config import LoadedRules, Rules, Service
from kindops.aws.model import Inventory, Kind, Resource
from kindops.aws.plan import build_plan
from kindops.aws.rules import evaluate, evaluate_images

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LAB = {"project": "kindops-lab", "env": "dev"}


def rules(**overrides: Any) -> Rules:
    doc: dict[str, Any] = {
        "version": 1,
        "regions": ["us-east-1"],
        "envs": ["dev"],
        "accounts": {"allow": ["123456789012"]},
    }
    doc.update(overrides)
    return Rules.model_validate(doc)


def res(
    name: str,
    tags: dict[str, str],
    kind: Kind = "queue",
    service: Service = "sqs",
    age: timedelta = timedelta(days=1),
    **extra: Any,
) -> Resource:
    return Resource(
        service=service,
        kind=kind,
        region=extra.pop("region", "us-east-1"),
        account="123456789012",
        name=name,
        arn=f"arn:aws:{service}:::{name}",
        tags=tags,
        created_at=NOW - age,
        **extra,
    )


@pytest.mark.parametrize(
    ("tags", "extra", "action", "rule"),
    [
        ({**LAB, "expires-at": "2025-05-30T00:00:00Z"}, {}, "delete", "expired"),
        ({**LAB, "expires-at": "2025-06-02T00:00:00Z"}, {}, "keep", "not-expired"),
        ({**LAB, "ttl": "12h"}, {}, "delete", "expired"),  # created 1 day ago
        ({**LAB, "ttl": "7d"}, {}, "keep", "not-expired"),
        ({**LAB}, {}, "keep", "no-expiry"),
        ({**LAB, "expires-at": "2025-05-30T00:00:00Z", "keep": "true"}, {}, "keep", "keep-tag"),
        ({**LAB, "expires-at": "2025-05-30T00:00:00Z", "keep": "false"}, {}, "delete", "expired"),
        (
            {**LAB, "expires-at": "2025-05-30T00:00:00Z", "keep": "yes"},
            {},
            "invalid-tag",
            "invalid-tag",
        ),
        ({**LAB, "expires-at": "soon"}, {}, "invalid-tag", "invalid-tag"),
        ({**LAB, "ttl": "3 days"}, {}, "invalid-tag", "invalid-tag"),
        (
            {**LAB, "expires-at": "2025-05-30T00:00:00Z"},
            {"protection": ["DynamoDB DeletionProtectionEnabled"]},
            "protected",
            "deletion-protection",
        ),
        (
            {"project": "kindops-lab", "env": "prod", "expires-at": "2025-05-30T00:00:00Z"},
            {},
            "keep",
            "env-excluded",
        ),
        (
            {"project": "kindops-lab", "expires-at": "2025-05-30T00:00:00Z"},
            {},
            "keep",
            "env-excluded",
        ),
        ({"project": "other", "expires-at": "2025-05-30T00:00:00Z"}, {}, "ignore", "out-of-scope"),
        (
            {"project": "KindOps-Lab", "env": "dev", "expires-at": "2025-05-30T00:00:00Z"},
            {},
            "report-only",
            "untagged-lookalike",
        ),
        (
            {"Project": "kindops-lab", "env": "dev", "expires-at": "2025-05-30T00:00:00Z"},
            {},
            "report-only",
            "untagged-lookalike",
        ),
        (
            {**LAB, "expires-at": "2025-05-30T00:00:00Z"},
            {"region": "eu-west-1"},
            "ignore",
            "region-not-configured",
        ),
    ],
)
def test_each_rule(tags: dict[str, str], extra: dict[str, Any], action: str, rule: str) -> None:
    decision = evaluate(res("q", tags, **extra), rules(), NOW)
    assert (decision.action, decision.rule) == (action, rule), decision.reason


def test_lookalike_by_name_is_reported_never_deleted() -> None:
    for name in ("kindops-lab-old", "/aws/lambda/kindops-fn", "KINDOPS_tmp"):
        decision = evaluate(res(name, {"expires-at": "2020-01-01"}), rules(), NOW)
        assert decision.action == "report-only"
        assert "never deleted" in decision.reason
    assert evaluate(res("payments", {}), rules(), NOW).action == "ignore"


def test_both_expiry_tags_use_the_later_one() -> None:
    tags = {**LAB, "expires-at": "2025-05-01T00:00:00Z", "ttl": "7d"}  # ttl ends 2025-06-07
    decision = evaluate(res("q", tags), rules(), NOW)
    assert decision.action == "keep"
    assert decision.expires_at == NOW - timedelta(days=1) + timedelta(days=7)
    assert "the later" in decision.reason


def test_default_ttl_applies_only_without_lifecycle_tags() -> None:
    r = rules(default_ttl="12h")
    assert evaluate(res("q", dict(LAB)), r, NOW).action == "delete"
    assert evaluate(res("q", {**LAB, "ttl": "30d"}), r, NOW).action == "keep"


def test_ttl_without_creation_time_is_kept() -> None:
    resource = res("q", {**LAB, "ttl": "1h"}).model_copy(update={"created_at": None})
    decision = evaluate(resource, rules(), NOW)
    assert (decision.action, decision.rule) == ("keep", "no-creation-time")


def test_protected_reason_says_it_expired_and_is_never_overridden() -> None:
    decision = evaluate(
        res("t", {**LAB, "expires-at": "2025-05-30T12:00:00Z"}, protection=["S3 Object Lock"]),
        rules(),
        NOW,
    )
    assert decision.reason == "S3 Object Lock (expired 2d ago); protection is never overridden"


def test_reasons_are_explainable() -> None:
    decision = evaluate(res("q", {**LAB, "expires-at": "2025-05-30T00:00:00Z"}), rules(), NOW)
    assert decision.reason == "expired 2d 12h ago: expires-at=2025-05-30T00:00:00Z"
    bad = evaluate(res("q", {**LAB, "ttl": "soon"}), rules(), NOW)
    assert bad.reason.startswith("ttl: 'soon' is not a duration")
    assert bad.reason.endswith("never deleted until the tag is fixed")


def _image(repo: str, n: int, tags: list[str], age_days: float) -> Resource:
    return Resource(
        service="ecr",
        kind="image",
        region="us-east-1",
        account="123456789012",
        name=f"{repo}@sha256:{n:064x}",
        arn=f"arn:{repo}@{n}",
        created_at=NOW - timedelta(days=age_days),
        age_basis="pushed",
        size_bytes=2**30,
        attributes={"repository": repo, "digest": f"sha256:{n:064x}", "image_tags": tags},
    )


def test_ecr_image_hygiene_exact() -> None:
    r = rules(ecr={"untagged_image_max_age_days": 7, "keep_newest_tagged": 2})
    repo = res("kindops-lab/api", dict(LAB), kind="repository", service="ecr")
    images = [
        _image("kindops-lab/api", 1, [], 8),  # untagged, old -> delete
        _image("kindops-lab/api", 2, [], 7),  # untagged, exactly 7d -> keep
        _image("kindops-lab/api", 3, ["v3"], 1),  # newest tagged -> keep
        _image("kindops-lab/api", 4, ["v2"], 2),  # 2nd newest -> keep
        _image("kindops-lab/api", 5, ["v1"], 30),  # 3rd -> delete
        _image("kindops-lab/api", 6, ["v0", "old"], 40),  # 4th -> delete
    ]
    decisions = evaluate_images(repo, evaluate(repo, r, NOW), images, r, NOW)
    got = {name.rsplit(":", 1)[-1][-1]: (d.action, d.rule) for name, d in decisions.items()}
    assert got == {
        "1": ("delete", "ecr-untagged-expired"),
        "2": ("keep", "ecr-untagged-recent"),
        "3": ("keep", "ecr-newest-tagged"),
        "4": ("keep", "ecr-newest-tagged"),
        "5": ("delete", "ecr-tagged-beyond-newest"),
        "6": ("delete", "ecr-tagged-beyond-newest"),
    }


@pytest.mark.parametrize(
    ("repo_tags", "protection", "expected"),
    [
        ({**LAB, "keep": "true"}, [], ("keep", "repository-kept")),
        ({**LAB, "ttl": "soon"}, [], ("keep", "repository-kept")),
        ({"project": "kindops-lab", "env": "prod"}, [], ("keep", "repository-kept")),
        ({**LAB, "expires-at": "2025-01-01"}, [], ("delete", "with-repository")),
    ],
)
def test_images_follow_a_kept_or_deleted_repository(
    repo_tags: dict[str, str], protection: list[str], expected: tuple[str, str]
) -> None:
    r = rules(ecr={"untagged_image_max_age_days": 0, "keep_newest_tagged": 1})
    repo = res(
        "kindops-lab/api", repo_tags, kind="repository", service="ecr", protection=protection
    )
    images = [_image("kindops-lab/api", n, [], 100) for n in range(3)]
    decisions = evaluate_images(repo, evaluate(repo, r, NOW), images, r, NOW)
    assert {(d.action, d.rule) for d in decisions.values()} == {expected}


def _loaded(r: Rules) -> LoadedRules:
    return LoadedRules(rules=r, path="rules.yaml", sha256="0" * 64)


def test_plan_totals_and_savings_from_the_price_table() -> None:
    gib = 2**30
    expired = {**LAB, "expires-at": "2025-05-01T00:00:00Z"}
    inventory = Inventory(
        account="123456789012",
        regions=["us-east-1"],
        services=["s3", "logs", "dynamodb"],
        collected_at=NOW,
        resources=[
            res("kindops-lab-b", expired, kind="bucket", service="s3", size_bytes=10 * gib),
            res("/kindops-lab/g", expired, kind="log-group", service="logs", size_bytes=gib),
            res(
                "kindops-lab-t",
                expired,
                kind="table",
                service="dynamodb",
                size_bytes=gib,
                attributes={
                    "billing_mode": "PROVISIONED",
                    "read_capacity_units": 5,
                    "write_capacity_units": 5,
                },
            ),
            res("kindops-lab-q", expired),
            res(
                "kindops-lab-kept",
                {**LAB, "keep": "true"},
                kind="bucket",
                service="s3",
                size_bytes=gib,
            ),
            res("someone-else", {}),
        ],
    )
    plan = build_plan(inventory, _loaded(rules()), NOW)
    # 10 GiB S3 at 0.023 + 1 GiB logs at 0.03 + table: 1 GiB at 0.25 + (5*0.00013 + 5*0.00065)*730
    # + one queue at 0.05
    expected = 0.23 + 0.03 + 0.25 + (5 * 0.00013 + 5 * 0.00065) * 730 + 0.05
    assert plan.totals["savings_usd_month"] == pytest.approx(expected, abs=1e-4)
    assert plan.totals["by_action"] == {
        "delete": 4,
        "protected": 0,
        "invalid-tag": 0,
        "report-only": 0,
        "keep": 1,
        "ignore": 1,
    }
    assert plan.totals["lab_monthly_usd"] == pytest.approx(expected + 0.023, abs=1e-4)
    assert [i.action for i in plan.items][:4] == ["delete"] * 4
    assert plan.account_allowed


def test_plan_lists_every_resource_exactly_once() -> None:
    repo = res("kindops-lab/api", dict(LAB), kind="repository", service="ecr")
    images = [_image("kindops-lab/api", n, [f"v{n}"], n) for n in range(12)]
    inventory = Inventory(
        account="123456789012",
        regions=["us-east-1"],
        services=["ecr"],
        collected_at=NOW,
        resources=[repo, *images],
    )
    plan = build_plan(inventory, _loaded(rules()), NOW)
    assert sorted(i.resource.name for i in plan.items) == sorted(
        r.name for r in inventory.resources
    )
    assert plan.totals["delete"] == 2  # 12 tagged, keep_newest_tagged=10
