"""The functions behind ``kindops aws ...``: one per command, each returning a Result.

Artifacts of the cleanup all live under one run folder, ``aws-cleanup/<run key>/``:
``inventory.json``, ``plan.json``/``plan.md``, ``apply.json``/``apply.md``,
``report.json``/``report.md``; the audit log is ``aws-cleanup/audit.jsonl`` (all runs). Budget
checks write ``aws-budget/<run key>/budget.json``/``budget.md``. A REF option takes an artifact
key, ``run`` for this run's own artifact, or a bare file name in this run's folder
(``plan.json``); DAG tasks share the run key through ``KINDOPS_RUN_ID``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kindops.aws import budget as budgets
from kindops.aws import demo
from kindops.aws.apply import apply_plan, check_allowed
from kindops.aws.audit import AuditLog
from kindops.aws.client import Aws
from kindops.aws.config import LoadedRules, load_rules
from kindops.aws.inventory import collect, describe
from kindops.aws.model import ACTIONS, ApplyReport, Inventory, Plan, Resource
from kindops.aws.plan import build_plan
from kindops.aws.recovery import check_restorable, restore
from kindops.aws.report import apply_markdown, budget_markdown, plan_markdown, report_markdown
from kindops.aws.tags import TagValueError, parse_expires_at
from kindops.errors import ConfigError
from kindops.result import Context, Result, now

CLEANUP = "aws.cleanup"
BUDGET = "aws.budget"
M = TypeVar("M", bound=BaseModel)


def select_regions(loaded: LoadedRules, requested: list[str] | None) -> list[str]:
    configured = list(loaded.rules.regions)
    if not requested:
        return configured
    outside = [r for r in requested if r not in configured]
    if outside:
        raise ConfigError(
            f"region {', '.join(outside)} is not in the configured regions "
            f"[{', '.join(configured)}] of {loaded.path}"
        )
    return list(dict.fromkeys(requested))


def resolve_ref(ctx: Context, ref: str, name: str) -> str:
    """``run`` -> this run's ``name``; a bare file name -> that file in this run's folder;
    anything else is a full artifact key."""
    if ref == "run":
        return ctx.key(CLEANUP, name)
    if "/" not in ref:
        return ctx.key(CLEANUP, ref)
    return ref


def load_doc(ctx: Context, key: str, model: type[M], what: str) -> M:
    doc = ctx.store.read_json(key)
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{what} {key} is not valid: {where}: {first['msg']}") from None


def parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_expires_at(text)
    except TagValueError as exc:
        raise ConfigError(f"--as-of: {exc}") from None


# -- inventory -------------------------------------------------------------------------------
def inventory(ctx: Context, rules_path: str | None, regions: list[str] | None) -> Result:
    loaded = load_rules(rules_path)
    chosen = select_regions(loaded, regions)
    inv = collect(Aws(), loaded, chosen)
    key = ctx.key(CLEANUP, "inventory.json")
    url = ctx.store.write_json(key, inv.model_dump(mode="json"))
    counts = dict(sorted(Counter(r.service for r in inv.resources).items()))
    shown = ", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing"
    summary = (
        f"account {inv.account}, {', '.join(chosen)}: {len(inv.resources)} resources ({shown})"
    )
    if inv.errors:
        summary += f"; INCOMPLETE: {len(inv.errors)} service/region listing(s) failed"
    return Result(
        "aws.inventory",
        "bad" if inv.errors else "ok",
        summary,
        data={
            "account": inv.account,
            "regions": chosen,
            "resources": len(inv.resources),
            "by_service": counts,
            "errors": [e.model_dump() for e in inv.errors],
            "inventory_key": key,
        },
        artifacts={"inventory": url},
    )


# -- cleanup: plan, and apply ----------------------------------------------------------------
def _write_plan(ctx: Context, plan: Plan) -> dict[str, str]:
    key = ctx.key(CLEANUP, "plan.json")
    return {
        "plan": ctx.store.write_json(key, plan.model_dump(mode="json")),
        "plan_md": ctx.store.write_text(ctx.key(CLEANUP, "plan.md"), plan_markdown(plan)),
    }


def _plan_summary(plan: Plan) -> str:
    t = plan.totals
    counts = t["by_action"]
    parts = [f"{counts[a]} {a}" for a in ACTIONS if counts.get(a) and a != "ignore"]
    return (
        f"{t['resources']} resources: {', '.join(parts) or 'nothing of the lab'}; "
        f"savings ~${t['savings_usd_month']:.2f}/month"
    )


def cleanup(
    ctx: Context,
    rules_path: str | None,
    regions: list[str] | None,
    inventory_ref: str | None,
    plan_ref: str | None,
    apply: bool,
    as_of: str | None,
) -> Result:
    if plan_ref and not apply:
        raise ConfigError(
            "--plan takes a stored plan to apply: add --apply (to preview a plan, "
            "use --inventory or no REF)"
        )
    if plan_ref and inventory_ref:
        raise ConfigError("use either --plan (apply a stored plan) or --inventory, not both")
    if as_of and apply:
        raise ConfigError(
            "--as-of previews a plan at another time; it cannot be combined with "
            "--apply (apply always re-checks at the current time)"
        )
    loaded = load_rules(rules_path)
    chosen = select_regions(loaded, regions)
    aws = Aws()
    if apply:  # refuse before reading anything if the account or a region is not allowed
        check_allowed(aws.account(), chosen, loaded)
    artifacts: dict[str, str] = {}
    data: dict[str, Any] = {}
    if plan_ref:
        key = resolve_ref(ctx, plan_ref, "plan.json")
        plan = load_doc(ctx, key, Plan, "plan")
        data["plan_key"] = key
        if plan.rules.get("sha256") != loaded.sha256:
            data["note"] = (
                "the rules changed since the plan; the live re-check uses the current rules"
            )
    else:
        if inventory_ref:
            inv_key = resolve_ref(ctx, inventory_ref, "inventory.json")
            inv = load_doc(ctx, inv_key, Inventory, "inventory")
            if regions:
                inv.resources = [r for r in inv.resources if r.region in chosen]
            data["inventory_key"] = inv_key
        else:
            inv = collect(aws, loaded, chosen)
            inv_key = ctx.key(CLEANUP, "inventory.json")
            artifacts["inventory"] = ctx.store.write_json(inv_key, inv.model_dump(mode="json"))
            data["inventory_key"] = inv_key
        plan = build_plan(inv, loaded, parse_as_of(as_of), inventory_ref=data["inventory_key"])
        artifacts.update(_write_plan(ctx, plan))
        data["plan_key"] = ctx.key(CLEANUP, "plan.json")
    data.update(
        {
            "account": plan.account,
            "account_allowed": plan.account_allowed,
            "as_of": plan.as_of.isoformat(),
            "totals": plan.totals,
            "to_delete": [
                {"service": i.resource.service, "name": i.resource.name, "reason": i.reason}
                for i in plan.deletions()
                if i.rule != "with-repository"
            ][:100],
        }
    )
    if not apply:
        data["dry_run"] = True
        return Result(
            CLEANUP,
            "ok",
            _plan_summary(plan) + "; dry run, nothing deleted",
            data=data,
            artifacts=artifacts,
        )
    report = apply_plan(
        aws,
        plan,
        loaded,
        AuditLog(ctx.store),
        ctx.run_key,
        plan_ref=data["plan_key"],
        only_regions=regions or None,
    )
    apply_key = ctx.key(CLEANUP, "apply.json")
    artifacts["apply"] = ctx.store.write_json(apply_key, report.model_dump(mode="json"))
    artifacts["apply_md"] = ctx.store.write_text(
        ctx.key(CLEANUP, "apply.md"), apply_markdown(report)
    )
    artifacts["audit"] = report.audit_log
    t = report.totals
    data.update(
        {
            "dry_run": False,
            "apply_key": apply_key,
            "applied": t,
            "outcomes": [o.model_dump() for o in report.outcomes][:200],
        }
    )
    summary = (
        f"deleted {t['deleted']} of {t['planned']} planned, skipped {t['skipped']}, "
        f"failed {t['failed']}; savings ~${t['savings_usd_month']:.2f}/month"
    )
    return Result(
        f"{CLEANUP}.apply", "bad" if t["failed"] else "ok", summary, data=data, artifacts=artifacts
    )


# -- report ----------------------------------------------------------------------------------
def report(ctx: Context, plan_ref: str, apply_ref: str | None) -> Result:
    plan_key = resolve_ref(ctx, plan_ref, "plan.json")
    plan = load_doc(ctx, plan_key, Plan, "plan")
    applied: ApplyReport | None = None
    if apply_ref is not None:
        applied = load_doc(ctx, resolve_ref(ctx, apply_ref, "apply.json"), ApplyReport, "apply")
    elif plan_ref == "run" and ctx.store.exists(ctx.key(CLEANUP, "apply.json")):
        applied = load_doc(ctx, ctx.key(CLEANUP, "apply.json"), ApplyReport, "apply")
    attention = [
        {
            "service": i.resource.service,
            "name": i.resource.name,
            "action": i.action,
            "reason": i.reason,
        }
        for i in plan.items
        if i.action in ("invalid-tag", "report-only")
    ]
    failed = [o.model_dump() for o in applied.outcomes if o.status == "failed"] if applied else []
    invalid = sum(1 for a in attention if a["action"] == "invalid-tag")
    problems = []
    if failed:
        problems.append(f"{len(failed)} deletion(s) failed")
    if invalid:
        problems.append(f"{invalid} resource(s) with unreadable lifecycle tags")
    if plan.inventory_errors:
        problems.append(f"inventory incomplete ({len(plan.inventory_errors)} listing(s) failed)")
    doc = {
        "schema_version": 1,
        "kind": "kindops.aws.report",
        "plan_key": plan_key,
        "account": plan.account,
        "plan_totals": plan.totals,
        "applied": applied.totals if applied else None,
        "attention": attention,
        "failed": failed,
        "problems": problems,
    }
    artifacts = {
        "report": ctx.store.write_json(ctx.key(CLEANUP, "report.json"), doc),
        "report_md": ctx.store.write_text(
            ctx.key(CLEANUP, "report.md"), report_markdown(plan, applied)
        ),
    }
    if applied:
        t = applied.totals
        head = f"applied: deleted {t['deleted']}, skipped {t['skipped']}, failed {t['failed']}"
    else:
        head = f"dry run: {plan.totals['delete']} would be deleted"
    summary = head + (f"; needs attention: {'; '.join(problems)}" if problems else "")
    return Result("aws.report", "bad" if problems else "ok", summary, data=doc, artifacts=artifacts)


# -- budgets ---------------------------------------------------------------------------------
def budget(ctx: Context, rules_path: str | None, threshold: float | None) -> Result:
    loaded = load_rules(rules_path)
    aws = Aws()
    limit = Decimal(str(threshold)) if threshold is not None else None
    if limit is not None and limit <= 0:
        raise ConfigError("--threshold must be a positive percentage")
    statuses = budgets.check(aws, loaded, limit)
    account = aws.account()
    doc = {
        "schema_version": 1,
        "kind": "kindops.aws.budget",
        "account": account,
        "budgets": [s.as_dict() for s in statuses],
    }
    artifacts = {
        "budget": ctx.store.write_json(ctx.key(BUDGET, "budget.json"), doc),
        "budget_md": ctx.store.write_text(
            ctx.key(BUDGET, "budget.md"), budget_markdown(account, statuses)
        ),
    }
    pushed = push_budget_metrics(statuses, ctx.settings.pushgateway_url)
    if pushed:
        artifacts["pushgateway"] = pushed
    breached = [s for s in statuses if s.breached]
    if breached:
        summary = "; ".join(f"{s.name}: {', '.join(s.reasons)}" for s in breached)
    else:
        top = max(statuses, key=lambda s: max(s.actual_percent, s.forecast_percent or 0))
        summary = (
            f"{len(statuses)} budget(s) under {statuses[0].threshold_percent} %; highest "
            f"{top.name}: actual {top.actual_percent} %, forecast "
            f"{top.forecast_percent if top.forecast_percent is not None else '-'} %"
        )
    return Result(
        BUDGET,
        "bad" if breached else "ok",
        summary,
        data={**doc, "breached": [s.name for s in breached]},
        artifacts=artifacts,
    )


def push_budget_metrics(statuses: list[budgets.BudgetStatus], url: str) -> str:
    """Push spend ratios for the ``AwsBudgetThreshold`` alerts to the Pushgateway at ``url``
    (``KINDOPS_PUSHGATEWAY_URL``); empty: nothing is pushed.

    ``kindops_aws_budget_used_ratio{budget}`` (actual / limit) and
    ``kindops_aws_budget_forecast_ratio{budget}``, group ``job=aws-budget``.
    """
    if not url:
        return ""
    from prometheus_client import CollectorRegistry, Gauge

    from kindops.pushgateway import push

    registry = CollectorRegistry()
    used = Gauge(
        "kindops_aws_budget_used_ratio",
        "Actual spend / budget limit.",
        ["budget"],
        registry=registry,
    )
    forecast = Gauge(
        "kindops_aws_budget_forecast_ratio",
        "Forecast spend / budget limit.",
        ["budget"],
        registry=registry,
    )
    for status in statuses:
        used.labels(status.name).set(float(status.actual_percent) / 100)
        if status.forecast_percent is not None:
            forecast.labels(status.name).set(float(status.forecast_percent) / 100)
    push(url, "aws-budget", registry, replace=True)
    return url


def ensure_budgets(ctx: Context, rules_path: str | None) -> Result:
    loaded = load_rules(rules_path)
    results = budgets.ensure(Aws(), loaded)
    summary = ", ".join(f"{r['name']} {r['status']}" for r in results)
    return Result("aws.ensure-budgets", "ok", summary, data={"budgets": results})


# -- restore ---------------------------------------------------------------------------------
def restorable_entries(audit: AuditLog) -> list[dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    deleted: dict[str, str] = {}
    restored: dict[str, str] = {}
    for doc in audit.entries():
        entry, event = str(doc.get("entry")), doc.get("event")
        if event == "recovery-record":
            records[entry] = doc
        elif event == "deleted":
            deleted[entry] = str(doc.get("ts"))
        elif event == "restored":
            restored[entry] = str(doc.get("ts"))
    return [
        {
            "entry": e,
            "service": d.get("service"),
            "kind": d.get("kind"),
            "name": d.get("name"),
            "region": d.get("region"),
            "deleted_at": deleted[e],
            "restored_at": restored.get(e),
        }
        for e, d in records.items()
        if e in deleted and (d.get("record") or {}).get("restorable")
    ]


def restore_entry(
    ctx: Context,
    rules_path: str | None,
    entry: str | None,
    list_only: bool,
    as_recorded: bool = False,
) -> Result:
    audit = AuditLog(ctx.store)
    if list_only:
        found = restorable_entries(audit)
        return Result(
            "aws.restore",
            "ok",
            f"{len(found)} restorable audit entries",
            data={"entries": found, "audit_log": audit.url()},
        )
    if not entry:
        raise ConfigError("give --audit-entry ID (see `kindops aws restore --list`)")
    events = audit.find(entry)
    if not events:
        raise ConfigError(f"audit entry {entry} not found in {audit.key}")
    record_doc = next((e for e in events if e.get("event") == "recovery-record"), None)
    if record_doc is None:
        raise ConfigError(f"audit entry {entry} has no recovery record")
    if not any(e.get("event") == "deleted" for e in events):
        states = ", ".join(str(e.get("event")) for e in events)
        raise ConfigError(f"audit entry {entry} was not deleted ({states}); nothing to restore")
    loaded = load_rules(rules_path)
    resource = Resource.model_validate(record_doc["resource"])
    aws = Aws()
    account = aws.account()
    if account != resource.account:
        raise ConfigError(
            f"audit entry {entry} is for account {resource.account}; the "
            f"credentials are for account {account}"
        )
    record = dict(record_doc.get("record") or {})
    check_restorable(resource, record)
    if describe(aws, resource, loaded.rules) is not None:
        raise ConfigError(
            f"{resource.kind} {resource.name} already exists in {resource.region}; nothing restored"
        )
    keep_key = loaded.rules.tags.keep
    extra = {} if as_recorded else {keep_key: "true"}
    done = restore(aws, resource, record, extra)
    done["tags_added"] = extra
    audit.append(
        "restored",
        entry,
        run_key=ctx.run_key,
        account=account,
        region=resource.region,
        service=resource.service,
        kind=resource.kind,
        name=resource.name,
        restored=done,
    )
    return Result(
        "aws.restore",
        "ok",
        f"restored {resource.kind} {resource.name} in {resource.region}",
        data={
            "entry": entry,
            "resource": resource.uid,
            "restored": done,
            "note": record.get("restore_note"),
            "keep": (
                f"tagged {keep_key}=true so the next cleanup leaves it; remove "
                "the tag to let its lifecycle tags apply again"
            )
            if extra
            else "tags restored exactly as recorded",
        },
    )


# -- demo ------------------------------------------------------------------------------------
def seed_demo(ctx: Context, rules_path: str | None, actual: float, forecast: float) -> Result:
    loaded = load_rules(rules_path)
    endpoint, seeded = demo.seed(
        Aws(), loaded.rules, now(), Decimal(str(actual)), Decimal(str(forecast))
    )
    created = sum(1 for s in seeded if s.status == "created")
    return Result(
        "aws.seed-demo",
        "ok",
        f"seeded {created} new, {len(seeded) - created} existing at {endpoint}",
        data={
            "endpoint": endpoint,
            "region": loaded.rules.regions[0],
            "seeded": [vars(s) for s in seeded],
        },
    )
