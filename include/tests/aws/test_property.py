"""Property: nothing untagged, protected, kept, invalid-tagged or unexpired is ever deleted.

Checked over random inventories on the pure rules layer (many examples), and on a smaller number
of random live inventories applied for real against the AWS-API server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindops.aws.config import LoadedRules, Rules, Service
from kindops.aws.model import Inventory, Kind, Resource
from kindops.aws.plan import build_plan

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
KINDS: list[tuple[Service, Kind]] = [
    ("sqs", "queue"),
    ("dynamodb", "table"),
    ("logs", "log-group"),
    ("s3", "bucket"),
    ("lambda", "function"),
    ("ecr", "repository"),
]

# -- an independent oracle for "this resource may be deleted" ---------------------------------
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_TTL = re.compile(r"^(\d+)([hd])$")


def oracle_expiry(value: str, kind: str, created: datetime) -> datetime | None:
    """The expiry a tag value means, or None if the oracle cannot read it."""
    if kind == "expires-at":
        if _TS.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
        return None
    m = _TTL.match(value)
    if not m or int(m.group(1)) == 0:
        return None
    return created + (
        timedelta(hours=int(m.group(1))) if m.group(2) == "h" else timedelta(days=int(m.group(1)))
    )


def may_delete(resource: Resource, rules: Rules, now: datetime) -> bool:
    tags = resource.tags
    if tags.get("project") != "kindops-lab":
        return False
    if rules.envs and tags.get("env") not in rules.envs:
        return False
    if resource.protection:
        return False
    if "keep" in tags and tags["keep"].lower() != "false":
        return False
    expiries = []
    for key in ("expires-at", "ttl"):
        if key in tags:
            at = oracle_expiry(tags[key], key, resource.created_at or now)
            if at is None:
                return False
            expiries.append(at)
    if not expiries:
        if rules.default_ttl is None:
            return False
        at = oracle_expiry(rules.default_ttl, "ttl", resource.created_at or now)
        assert at is not None
        expiries.append(at)
    return all(at <= now for at in expiries)


# -- random inventories ------------------------------------------------------------------------
def _moment(hours: int) -> str:
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


tag_values = {
    "project": st.sampled_from(["kindops-lab", "kindops-lab", "KindOps-Lab", "other", None]),
    "env": st.sampled_from(["dev", "ci", "prod", None]),
    "expires-at": st.one_of(
        st.none(),
        st.integers(-500, 500).map(_moment),
        st.sampled_from(["2025-05-01", "2025-06-01", "soon", "2025-06-01T00:00", "1717200000", ""]),
    ),
    "ttl": st.one_of(
        st.none(), st.sampled_from(["1h", "24h", "7d", "30d", "0h", "3 days", "1y", "72h", "h"])
    ),
    "keep": st.sampled_from([None, None, "true", "false", "True", "yes", ""]),
}


@st.composite
def resources(draw: st.DrawFn, index: int) -> list[Resource]:
    service, kind = draw(st.sampled_from(KINDS))
    tags = {k: v for k, v in ((k, draw(s)) for k, s in tag_values.items()) if v is not None}
    age = timedelta(hours=draw(st.integers(0, 24 * 40)))
    protection = draw(st.sampled_from([[], [], [], ["DynamoDB DeletionProtectionEnabled"]]))
    name = draw(st.sampled_from(["kindops-lab-", "kindops-", "app-"])) + str(index)
    resource = Resource(
        service=service,
        kind=kind,
        region="us-east-1",
        account="123456789012",
        name=name,
        arn=f"arn:{service}:{name}",
        tags=tags,
        created_at=NOW - age,
        protection=protection,
        size_bytes=1,
    )
    found = [resource]
    if kind == "repository":
        for n in range(draw(st.integers(0, 5))):
            image_tags = draw(st.sampled_from([[], [f"v{n}"], [f"v{n}", "latest"]]))
            found.append(
                Resource(
                    service="ecr",
                    kind="image",
                    region="us-east-1",
                    account="123456789012",
                    name=f"{name}@sha256:{n:064x}",
                    arn=f"arn:{name}@{n}",
                    created_at=NOW - timedelta(days=draw(st.integers(0, 20))),
                    age_basis="pushed",
                    attributes={
                        "repository": name,
                        "digest": f"sha256:{n:064x}",
                        "image_tags": image_tags,
                    },
                )
            )
    return found


@st.composite
def inventories(draw: st.DrawFn) -> tuple[Inventory, Rules]:
    count = draw(st.integers(0, 25))
    found: list[Resource] = []
    for index in range(count):
        found.extend(draw(resources(index)))
    rules = Rules.model_validate(
        {
            "version": 1,
            "regions": ["us-east-1"],
            "envs": draw(st.sampled_from([[], ["dev"], ["dev", "ci"]])),
            "default_ttl": draw(st.sampled_from([None, "24h", "7d"])),
            "ecr": {
                "untagged_image_max_age_days": draw(st.integers(0, 10)),
                "keep_newest_tagged": draw(st.integers(1, 3)),
            },
        }
    )
    inventory = Inventory(
        account="123456789012",
        regions=["us-east-1"],
        services=["sqs"],
        collected_at=NOW,
        resources=found,
    )
    return inventory, rules


def _image_may_go(
    image: Resource, repo: Resource, rules: Rules, siblings: list[Resource], now: datetime
) -> bool:
    if may_delete(repo, rules, now):
        return True  # removed with its expired repository
    tags = repo.tags
    # hygiene applies only in an in-scope, unprotected, un-kept repository with valid tags
    if (
        tags.get("project") != "kindops-lab"
        or repo.protection
        or (rules.envs and tags.get("env") not in rules.envs)
        or ("keep" in tags and tags["keep"].lower() != "false")
    ):
        return False
    for key in ("expires-at", "ttl"):
        if key in tags and oracle_expiry(tags[key], key, repo.created_at or now) is None:
            return False
    assert image.created_at is not None
    if not image.attributes["image_tags"]:
        return now - image.created_at > timedelta(days=rules.ecr.untagged_image_max_age_days)
    at_least_as_new = [
        s
        for s in siblings
        if s is not image
        and s.attributes["image_tags"]
        and s.created_at is not None
        and s.created_at >= image.created_at
    ]
    return len(at_least_as_new) >= rules.ecr.keep_newest_tagged


@settings(max_examples=200, deadline=None)
@given(inventories())
def test_only_qualifying_resources_are_ever_planned_for_deletion(
    case: tuple[Inventory, Rules],
) -> None:
    inventory, rules = case
    plan = build_plan(inventory, LoadedRules(rules, "rules.yaml", "0" * 64), NOW)
    assert sorted(i.resource.uid for i in plan.items) == sorted(r.uid for r in inventory.resources)
    repos = {r.name: r for r in inventory.resources if r.kind == "repository"}
    for item in plan.items:
        r = item.resource
        if r.kind == "image":
            repo = repos[r.attributes["repository"]]
            siblings = [
                i
                for i in inventory.resources
                if i.kind == "image" and i.attributes["repository"] == repo.name
            ]
            if item.action == "delete":
                assert _image_may_go(r, repo, rules, siblings, NOW), (item.reason, repo.tags)
            continue
        assert (item.action == "delete") == may_delete(r, rules, NOW), (item.reason, r.tags)
        if item.action != "delete":
            assert item.savings_usd == 0


@st.composite
def repositories(draw: st.DrawFn) -> tuple[Resource, list[Resource], Rules]:
    repo = Resource(
        service="ecr",
        kind="repository",
        region="us-east-1",
        account="123456789012",
        name="kindops-lab/app",
        arn="arn:repo",
        created_at=NOW - timedelta(days=90),
        tags={"project": "kindops-lab", "env": "dev"},
    )
    images = []
    for n in range(draw(st.integers(0, 15))):
        images.append(
            Resource(
                service="ecr",
                kind="image",
                region="us-east-1",
                account="123456789012",
                name=f"kindops-lab/app@sha256:{n:064x}",
                arn=f"arn:{n}",
                age_basis="pushed",
                created_at=NOW - timedelta(hours=draw(st.integers(0, 24 * 20))),
                size_bytes=1,
                attributes={
                    "repository": "kindops-lab/app",
                    "digest": f"sha256:{n:064x}",
                    "image_tags": draw(st.sampled_from([[], [f"v{n}"]])),
                },
            )
        )
    rules = Rules.model_validate(
        {
            "version": 1,
            "regions": ["us-east-1"],
            "envs": ["dev"],
            "ecr": {
                "untagged_image_max_age_days": draw(st.integers(0, 10)),
                "keep_newest_tagged": draw(st.integers(1, 5)),
            },
        }
    )
    return repo, images, rules


@settings(max_examples=200, deadline=None)
@given(repositories())
def test_ecr_hygiene_keeps_the_newest_tagged_and_recent_untagged(
    case: tuple[Resource, list[Resource], Rules],
) -> None:
    repo, images, rules = case
    inventory = Inventory(
        account="123456789012",
        regions=["us-east-1"],
        services=["ecr"],
        collected_at=NOW,
        resources=[repo, *images],
    )
    plan = build_plan(inventory, LoadedRules(rules, "rules.yaml", "0" * 64), NOW)
    action = {i.resource.name: i.action for i in plan.items}
    assert action[repo.name] == "keep"
    tagged = [i for i in images if i.attributes["image_tags"]]
    kept_tagged = [i for i in tagged if action[i.name] == "keep"]
    assert len(kept_tagged) == min(len(tagged), rules.ecr.keep_newest_tagged)
    for image in tagged:
        if action[image.name] == "delete":
            assert all(k.created_at >= image.created_at for k in kept_tagged)  # type: ignore[operator]
    max_age = timedelta(days=rules.ecr.untagged_image_max_age_days)
    for image in images:
        if not image.attributes["image_tags"]:
            assert image.created_at is not None
            assert (action[image.name] == "delete") == (NOW - image.created_at > max_age)


# -- a smaller number of live examples ---------------------------------------------------------
LIVE_TAGS = st.fixed_dictionaries(
    {},
    optional={
        "project": st.sampled_from(["kindops-lab", "other"]),
        "env": st.sampled_from(["dev", "prod"]),
        "expires-at": st.sampled_from(["PAST", "FUTURE", "not-a-date"]),
        "ttl": st.sampled_from(["1h", "bad"]),
        "keep": st.sampled_from(["true", "false", "maybe"]),
    },
)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["queue", "table", "log-group"]), LIVE_TAGS, st.booleans()),
        min_size=1,
        max_size=6,
    )
)
@pytest.mark.integration
def test_live_apply_deletes_exactly_what_qualifies(lab: Any, specs: list[Any]) -> None:
    lab.server.reset()
    for path in lab.tmp.glob("artifacts/aws-cleanup/audit.jsonl"):
        path.unlink()
    expected_left: dict[str, set[str]] = {"queue": set(), "table": set(), "log-group": set()}
    now = datetime.now(UTC)
    for n, (kind, raw, protected) in enumerate(specs):
        tags = {k: {"PAST": lab.past(), "FUTURE": lab.future()}.get(v, v) for k, v in raw.items()}
        name = f"kindops-lab-{kind}-{n}"
        protected = protected and kind == "table"
        resource = Resource(
            service="sqs",
            kind="queue",
            region="us-east-1",
            account="123456789012",
            name=name,
            arn=name,
            tags=tags,
            created_at=now,
            protection=["DynamoDB DeletionProtectionEnabled"] if protected else [],
        )
        if not may_delete(
            resource,
            Rules.model_validate({"version": 1, "regions": ["us-east-1"], "envs": ["dev"]}),
            now,
        ):
            expected_left[kind].add(name if kind != "log-group" else f"/{name}")
        if kind == "queue":
            lab.queue(name, tags)
        elif kind == "table":
            lab.table(name, tags, protected=protected)
        else:
            lab.log_group(f"/{name}", tags)
    result = lab.run("aws", "cleanup", "--apply", "--rules", lab.rules())
    assert result.exit_code == 0, result.stderr
    assert lab.queues() == expected_left["queue"]
    assert lab.tables() == expected_left["table"]
    assert lab.log_groups() == expected_left["log-group"]
    deleted = [a for a in lab.audit() if a["event"] == "deleted"]
    assert len(deleted) == len(specs) - sum(len(v) for v in expected_left.values())
