"""The pure decision layer: what happens to one resource, and why.

No I/O and no clock: ``now`` is an argument, so the same function decides the plan, the live
re-check just before a delete, and the property tests.

Order of the checks (the first that applies decides):

1. scope: the scope tag must match exactly; otherwise ``report-only`` if the resource looks
   like the lab's (name prefix, scope tag with another case or value), else ``ignore``;
2. region outside the configured list: ``ignore``;
3. env filter: ``keep`` (``env-excluded``);
4. unreadable lifecycle tags (expires-at, ttl, keep): ``invalid-tag`` — never deleted;
5. API deletion protection (DynamoDB DeletionProtectionEnabled, S3 Object Lock / MFA delete,
   log group deletion protection): ``protected`` — never overridden;
6. ``keep=true``: ``keep``;
7. expiry from ``expires-at`` and/or ``ttl`` + creation time (the later of the two when both
   are set), else ``default_ttl``; expired -> ``delete``, otherwise ``keep``.

ECR images have no tags of their own: they follow their repository. In a repository that is
kept only because it has not expired (or has no expiry), image hygiene applies: untagged images
older than N days are deleted and tagged images beyond the newest N are deleted. Images of a
repository that is deleted go with it; images of a protected/kept/invalid repository are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kindops.aws.config import Rules
from kindops.aws.model import Action, Resource
from kindops.aws.tags import (
    TagValueError,
    human_delta,
    iso,
    parse_bool,
    parse_expires_at,
    parse_ttl,
)

# Repository rules under which its images get the ECR hygiene rules.
IMAGE_HYGIENE_RULES = frozenset({"not-expired", "no-expiry"})


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: str
    reason: str
    expires_at: datetime | None = None


def _name_parts(name: str) -> list[str]:
    return [part.lower() for part in name.split("/") if part]


def lookalike_reason(resource: Resource, rules: Rules) -> str | None:
    """Why a resource without the scope tag still looks like the lab's, or None."""
    key, value = rules.scope.tag_key, rules.scope.tag_value
    prefixes = [p.lower() for p in rules.lookalike.name_prefixes]
    for tag_key, tag_value in resource.tags.items():
        if tag_key == key:
            if tag_value != value and any(tag_value.lower().startswith(p) for p in prefixes):
                return f"tag {key}={tag_value!r} is not {value!r} (values are case-sensitive)"
        elif tag_key.lower() == key.lower() and tag_value.lower() == value.lower():
            return f"tag key {tag_key!r} is not {key!r} (tag keys are case-sensitive)"
    for part in _name_parts(resource.name):
        for prefix in prefixes:
            if part.startswith(prefix):
                return f"name starts with {prefix!r} but the {key}={value} tag is missing"
    return None


def in_scope(resource: Resource, rules: Rules) -> bool:
    return resource.tags.get(rules.scope.tag_key) == rules.scope.tag_value


def _tag_problems(resource: Resource, rules: Rules) -> tuple[list[str], dict[str, object]]:
    names = rules.tags
    problems: list[str] = []
    parsed: dict[str, object] = {}
    readers = (
        (names.expires_at, parse_expires_at),
        (names.ttl, parse_ttl),
        (names.keep, parse_bool),
    )
    for key, reader in readers:
        if key in resource.tags:
            try:
                parsed[key] = reader(resource.tags[key])
            except TagValueError as exc:
                problems.append(f"{key}: {exc}")
    return problems, parsed


def expiry(resource: Resource, rules: Rules) -> tuple[datetime | None, str]:
    """When a resource with valid tags expires, and how that was derived.

    Returns ``(None, why)`` when it never expires or cannot be dated. Raises TagValueError on
    unreadable tags (callers check tags first).
    """
    names = rules.tags
    candidates: list[tuple[datetime, str]] = []
    if names.expires_at in resource.tags:
        at = parse_expires_at(resource.tags[names.expires_at])
        candidates.append((at, f"{names.expires_at}={resource.tags[names.expires_at]}"))
    ttl_text = resource.tags.get(names.ttl)
    source = names.ttl
    if ttl_text is None and not candidates and rules.default_ttl is not None:
        ttl_text, source = rules.default_ttl, "default_ttl"
    if ttl_text is not None:
        ttl = parse_ttl(ttl_text)
        if resource.created_at is None:
            if not candidates:
                return None, f"{source}={ttl_text} but the creation time is unknown"
        else:
            basis = {"created": "creation", "last-modified": "last modification", "pushed": "push"}[
                resource.age_basis
            ]
            candidates.append(
                (
                    resource.created_at + ttl,
                    f"{source}={ttl_text} after {basis} at {iso(resource.created_at)}",
                )
            )
    if not candidates:
        return None, f"no {names.expires_at} or {names.ttl} tag and no default_ttl"
    at, how = max(candidates, key=lambda c: c[0])
    if len(candidates) > 1:
        how = " and ".join(c[1] for c in candidates) + f" (the later, {iso(at)}, applies)"
    return at, how


def evaluate(resource: Resource, rules: Rules, now: datetime) -> Decision:
    """Decide one non-image resource. Pure: same inputs, same decision."""
    if not in_scope(resource, rules):
        why = lookalike_reason(resource, rules)
        if why is not None:
            return Decision(
                "report-only",
                "untagged-lookalike",
                f"looks like a lab resource: {why}; never deleted",
            )
        return Decision("ignore", "out-of-scope", "not a lab resource")
    if resource.region not in rules.regions:
        return Decision(
            "ignore",
            "region-not-configured",
            f"region {resource.region} is not in the configured regions",
        )
    env_key = rules.tags.env
    if rules.envs and resource.tags.get(env_key) not in rules.envs:
        shown = resource.tags.get(env_key)
        what = f"{env_key}={shown}" if shown is not None else f"no {env_key} tag"
        return Decision(
            "keep", "env-excluded", f"{what}; the cleanup covers {env_key} in {sorted(rules.envs)}"
        )
    problems, parsed = _tag_problems(resource, rules)
    if problems:
        return Decision(
            "invalid-tag",
            "invalid-tag",
            "; ".join(problems) + "; never deleted until the tag is fixed",
        )
    at, how = expiry(resource, rules)
    state = ""
    if at is not None:
        state = f" (expired {human_delta(now - at)} ago)" if at <= now else ""
    if resource.protection:
        return Decision(
            "protected",
            "deletion-protection",
            f"{', '.join(resource.protection)}{state}; protection is never overridden",
            at,
        )
    if parsed.get(rules.tags.keep) is True:
        return Decision("keep", "keep-tag", f"{rules.tags.keep}=true{state}", at)
    if at is None:
        rule = "no-creation-time" if "creation time is unknown" in how else "no-expiry"
        return Decision("keep", rule, how, None)
    if at <= now:
        return Decision("delete", "expired", f"expired {human_delta(now - at)} ago: {how}", at)
    return Decision("keep", "not-expired", f"expires in {human_delta(at - now)}: {how}", at)


def evaluate_images(
    repository: Resource,
    repo_decision: Decision,
    images: Iterable[Resource],
    rules: Rules,
    now: datetime,
) -> dict[str, Decision]:
    """Decide every image of one repository (keyed by image name ``repo@digest``)."""
    images = list(images)
    repo = repository.name
    if repo_decision.action == "delete":
        return {
            i.name: Decision(
                "delete",
                "with-repository",
                f"removed with repository {repo} ({repo_decision.rule})",
            )
            for i in images
        }
    if repo_decision.rule not in IMAGE_HYGIENE_RULES:
        return {
            i.name: Decision(
                "keep",
                "repository-kept",
                f"repository {repo} is {repo_decision.action} "
                f"({repo_decision.rule}); its images are untouched",
            )
            for i in images
        }
    decisions: dict[str, Decision] = {}
    max_age = timedelta(days=rules.ecr.untagged_image_max_age_days)
    tagged: list[Resource] = []
    for image in images:
        if image.attributes.get("image_tags"):
            tagged.append(image)
            continue
        if image.created_at is None:
            decisions[image.name] = Decision(
                "keep", "ecr-untagged-undated", "untagged image with unknown push time"
            )
            continue
        age = now - image.created_at
        if age > max_age:
            decisions[image.name] = Decision(
                "delete",
                "ecr-untagged-expired",
                f"untagged image pushed {human_delta(age)} ago "
                f"(> {rules.ecr.untagged_image_max_age_days}d)",
            )
        else:
            decisions[image.name] = Decision(
                "keep",
                "ecr-untagged-recent",
                f"untagged image pushed {human_delta(age)} ago "
                f"(<= {rules.ecr.untagged_image_max_age_days}d)",
            )
    keep_n = rules.ecr.keep_newest_tagged
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    # Newest first; an undated image counts as oldest; ties broken by digest for stability.
    tagged.sort(
        key=lambda i: (i.created_at or epoch, str(i.attributes.get("digest", i.name))), reverse=True
    )
    for rank, image in enumerate(tagged, start=1):
        tags = ",".join(sorted(image.attributes.get("image_tags", [])))
        if rank <= keep_n:
            decisions[image.name] = Decision(
                "keep", "ecr-newest-tagged", f"tagged {tags}: #{rank} of the {keep_n} newest kept"
            )
        else:
            decisions[image.name] = Decision(
                "delete",
                "ecr-tagged-beyond-newest",
                f"tagged {tags}: #{rank} newest, beyond keep_newest_tagged={keep_n}",
            )
    return decisions
