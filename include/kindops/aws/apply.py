"""Apply a plan: guard, re-check each resource live, record how to undo, delete, audit.

Nothing is deleted unless all of these hold (checked before the first API write):

- the caller asked for it (``--apply``);
- the caller's account (STS GetCallerIdentity) is in ``accounts.allow`` and is the plan's account;
- every region involved is in the configured ``regions``.

Then, for each planned deletion, just before deleting it:

1. describe it again; gone -> skipped; created/modified since the plan -> skipped;
2. evaluate it again with the current rules and the current time; anything but ``delete``
   (tags changed, keep=true added, protection turned on, ...) -> skipped, with the new reason;
3. append a ``recovery-record`` to the audit log (DynamoDB: after an on-demand backup);
   if the record cannot be taken, the resource is not deleted;
4. delete, and append ``deleted`` or ``delete-failed``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kindops.aws.audit import AuditLog
from kindops.aws.client import Aws, translated
from kindops.aws.config import LoadedRules, Rules
from kindops.aws.inventory import describe, ecr_repository
from kindops.aws.model import ApplyReport, Outcome, Plan, PlanItem, Resource
from kindops.aws.prices import money
from kindops.aws.recovery import capture
from kindops.aws.rules import evaluate, evaluate_images
from kindops.errors import ConfigError, KindopsError

log = logging.getLogger("kindops.aws.apply")

# Children before parents; tables after their backups; buckets after emptying.
KIND_ORDER = ("image", "queue", "function", "log-group", "table", "bucket", "repository")
ECR_BATCH = 100
S3_BATCH = 1000


def check_allowed(
    account: str, regions: Iterable[str], loaded: LoadedRules, plan_account: str | None = None
) -> None:
    """Refuse (exit 2) unless the account and every region may be cleaned."""
    rules = loaded.rules
    if account not in rules.accounts.allow:
        allowed = ", ".join(rules.accounts.allow) or "(none)"
        raise ConfigError(
            f"refusing to delete: account {account} is not in accounts.allow "
            f"[{allowed}] of {loaded.path}; nothing deleted"
        )
    if plan_account is not None and plan_account != account:
        raise ConfigError(
            f"refusing to delete: the plan is for account {plan_account} but the "
            f"credentials are for account {account}; nothing deleted"
        )
    outside = sorted(set(regions) - set(rules.regions))
    if outside:
        raise ConfigError(
            f"refusing to delete: region {', '.join(outside)} is not in the "
            f"configured regions [{', '.join(rules.regions)}] of {loaded.path}; "
            "nothing deleted"
        )


def _outcome(
    resource: Resource,
    status: str,
    reason: str,
    entry: str | None = None,
    restorable: bool = False,
    savings: float = 0.0,
) -> Outcome:
    return Outcome(
        uid=resource.uid,
        service=resource.service,
        kind=resource.kind,
        region=resource.region,
        name=resource.name,
        status=status,  # type: ignore[arg-type]
        reason=reason,
        audit_entry=entry,
        restorable=restorable,
        savings_usd=savings,
    )


def _delete(aws: Aws, resource: Resource) -> None:
    region, name = resource.region, resource.name
    if resource.kind == "queue":
        aws.client("sqs", region).delete_queue(QueueUrl=resource.attributes["url"])
    elif resource.kind == "table":
        aws.client("dynamodb", region).delete_table(TableName=name)
    elif resource.kind == "log-group":
        aws.client("logs", region).delete_log_group(logGroupName=name)
    elif resource.kind == "function":
        aws.client("lambda", region).delete_function(FunctionName=name)
    elif resource.kind == "repository":
        aws.client("ecr", region).delete_repository(repositoryName=name, force=True)
    elif resource.kind == "bucket":
        _empty_bucket(aws.client("s3", region), name)
        aws.client("s3", region).delete_bucket(Bucket=name)
    else:
        raise ValueError(f"cannot delete {resource.kind}")


def _empty_bucket(client: Any, name: str) -> None:
    """Delete every object, version and delete marker (S3 refuses to delete a full bucket)."""
    pending: list[dict[str, str]] = []

    def flush() -> None:
        if not pending:
            return
        response = client.delete_objects(Bucket=name, Delete={"Objects": pending, "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise ConfigError(
                f"bucket {name}: {len(errors)} object(s) not deleted, e.g. "
                f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )
        pending.clear()

    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        for obj in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            pending.append({"Key": obj["Key"], "VersionId": obj["VersionId"]})
            if len(pending) >= S3_BATCH:
                flush()
    flush()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            pending.append({"Key": obj["Key"]})
            if len(pending) >= S3_BATCH:
                flush()
    flush()


class Applier:
    def __init__(
        self,
        aws: Aws,
        loaded: LoadedRules,
        audit: AuditLog,
        run_key: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.aws = aws
        self.loaded = loaded
        self.rules: Rules = loaded.rules
        self.audit = audit
        self.run_key = run_key
        self.clock = clock

    def _common(self, resource: Resource) -> dict[str, Any]:
        return {
            "run_key": self.run_key,
            "account": resource.account,
            "region": resource.region,
            "service": resource.service,
            "kind": resource.kind,
            "name": resource.name,
            "arn": resource.arn,
        }

    def _record(
        self, fresh: Resource, reason: str, planned: PlanItem
    ) -> tuple[str, dict[str, Any]] | Outcome:
        """Take and append the recovery record; an Outcome when that failed."""
        entry = self.audit.new_entry_id(self.run_key)
        try:
            record = capture(self.aws, fresh, self.rules, entry)
        except KindopsError as exc:
            self.audit.append("recovery-failed", entry, error=exc.message, **self._common(fresh))
            return _outcome(
                fresh,
                "failed",
                f"recovery record could not be taken, not deleted: {exc.message}",
                entry,
            )
        self.audit.append(
            "recovery-record",
            entry,
            reason=reason,
            plan_reason=planned.reason,
            resource=fresh.model_dump(mode="json"),
            record=record,
            **self._common(fresh),
        )
        return entry, record

    def one(self, item: PlanItem) -> Outcome:
        planned = item.resource
        fresh = describe(self.aws, planned, self.rules)
        if fresh is None:
            return _outcome(planned, "skipped", "already gone")
        if fresh.created_at and planned.created_at and fresh.created_at != planned.created_at:
            return _outcome(
                planned,
                "skipped",
                f"changed since the plan (its {fresh.age_basis} time is now "
                f"{fresh.created_at.isoformat()}, the plan saw "
                f"{planned.created_at.isoformat()})",
            )
        decision = evaluate(fresh, self.rules, self.clock())
        if decision.action != "delete":
            return _outcome(
                planned,
                "skipped",
                f"no longer qualifies: {decision.action} ({decision.rule}): {decision.reason}",
            )
        taken = self._record(fresh, decision.reason, item)
        if isinstance(taken, Outcome):
            return taken
        entry, record = taken
        try:
            with translated(f"delete {fresh.kind} {fresh.name}"):
                _delete(self.aws, fresh)
        except KindopsError as exc:
            self.audit.append("delete-failed", entry, error=exc.message, **self._common(fresh))
            return _outcome(fresh, "failed", exc.message, entry)
        self.audit.append("deleted", entry, reason=decision.reason, **self._common(fresh))
        log.info("deleted", extra={"kind": fresh.kind, "resource": fresh.name, "entry": entry})
        return _outcome(
            fresh,
            "deleted",
            decision.reason,
            entry,
            restorable=bool(record.get("restorable")),
            savings=item.savings_usd,
        )

    def images(
        self, region: str, account: str, repository: str, items: list[PlanItem]
    ) -> list[Outcome]:
        with translated(f"re-check ECR repository {repository}"):
            found = ecr_repository(self.aws, region, account, repository, self.rules)
        if not found:
            return [_outcome(i.resource, "skipped", "repository already gone") for i in items]
        repo, live_images = found[0], found[1:]
        now = self.clock()
        decisions = evaluate_images(
            repo, evaluate(repo, self.rules, now), live_images, self.rules, now
        )
        live = {image.name: image for image in live_images}
        outcomes: list[Outcome] = []
        queued: list[tuple[PlanItem, Resource, str, str]] = []
        for item in items:
            image = live.get(item.resource.name)
            if image is None:
                outcomes.append(_outcome(item.resource, "skipped", "already gone"))
                continue
            decision = decisions[image.name]
            if decision.action != "delete" or decision.rule == "with-repository":
                outcomes.append(
                    _outcome(
                        image,
                        "skipped",
                        f"no longer qualifies: "
                        f"{decision.action} ({decision.rule}): {decision.reason}",
                    )
                )
                continue
            taken = self._record(image, decision.reason, item)
            if isinstance(taken, Outcome):
                outcomes.append(taken)
                continue
            queued.append((item, image, taken[0], decision.reason))
        client = self.aws.client("ecr", region)
        for start in range(0, len(queued), ECR_BATCH):
            batch = queued[start : start + ECR_BATCH]
            ids = [{"imageDigest": image.attributes["digest"]} for _, image, _, _ in batch]
            try:
                with translated(f"delete images of {repository}"):
                    response = client.batch_delete_image(repositoryName=repository, imageIds=ids)
                failures = {
                    str(
                        f.get("imageId", {}).get("imageDigest")
                    ): f"{f.get('failureCode')}: {f.get('failureReason')}"
                    for f in response.get("failures", [])
                }
            except KindopsError as exc:
                failures = {str(i["imageDigest"]): exc.message for i in ids}
            for item, image, entry, reason in batch:
                digest = str(image.attributes["digest"])
                if digest in failures and "ImageNotFound" not in failures[digest]:
                    self.audit.append(
                        "delete-failed", entry, error=failures[digest], **self._common(image)
                    )
                    outcomes.append(_outcome(image, "failed", failures[digest], entry))
                else:
                    self.audit.append("deleted", entry, reason=reason, **self._common(image))
                    outcomes.append(
                        _outcome(image, "deleted", reason, entry, savings=item.savings_usd)
                    )
        return outcomes


def apply_plan(
    aws: Aws,
    plan: Plan,
    loaded: LoadedRules,
    audit: AuditLog,
    run_key: str,
    plan_ref: str | None = None,
    only_regions: Iterable[str] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ApplyReport:
    """Apply ``plan``; with ``only_regions``, only its deletions in those regions.

    Every region the plan covers must be configured, even when only some are applied: a plan
    made under other rules is refused as a whole.
    """
    started = datetime.now(UTC)
    account = aws.account()
    deletions = [i for i in plan.deletions() if i.rule != "with-repository"]
    limit = set(only_regions or ())
    involved = limit | set(plan.regions) | {i.resource.region for i in deletions}
    check_allowed(account, involved, loaded, plan.account)
    if limit:
        deletions = [i for i in deletions if i.resource.region in limit]
    applier = Applier(aws, loaded, audit, run_key, clock)
    outcomes: list[Outcome] = []
    image_groups: dict[tuple[str, str, str], list[PlanItem]] = defaultdict(list)
    others: list[PlanItem] = []
    for item in deletions:
        if item.resource.kind == "image":
            r = item.resource
            image_groups[(r.region, r.account, str(r.attributes.get("repository")))].append(item)
        else:
            others.append(item)
    for (region, acct, repository), items in sorted(image_groups.items()):
        outcomes.extend(applier.images(region, acct, repository, items))
    others.sort(
        key=lambda i: (KIND_ORDER.index(i.resource.kind), i.resource.region, i.resource.name)
    )
    for item in others:
        outcomes.append(applier.one(item))
    statuses = [o.status for o in outcomes]
    totals = {
        "planned": len(deletions),
        "deleted": statuses.count("deleted"),
        "skipped": statuses.count("skipped"),
        "failed": statuses.count("failed"),
        "savings_usd_month": money(
            sum((_dec(o.savings_usd) for o in outcomes if o.status == "deleted"), _dec(0))
        ),
    }
    return ApplyReport(
        account=account,
        started_at=started,
        finished_at=datetime.now(UTC),
        plan_ref=plan_ref,
        rules=loaded.ref(),
        audit_log=audit.url(),
        outcomes=outcomes,
        totals=totals,
    )


def _dec(value: float | int) -> Decimal:
    return Decimal(str(value))
