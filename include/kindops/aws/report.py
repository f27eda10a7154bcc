"""Markdown a person reads: the cleanup plan, what apply did, the budget check."""

from __future__ import annotations

from collections.abc import Iterable

from kindops.aws.budget import BudgetStatus
from kindops.aws.model import ACTIONS, ApplyReport, Plan, PlanItem
from kindops.aws.tags import iso

SECTIONS = (
    ("delete", "To delete"),
    ("invalid-tag", "Needs attention: unreadable lifecycle tags (never deleted)"),
    ("report-only", "Needs attention: lab lookalikes without the scope tag (never deleted)"),
    ("protected", "Protected by the API (never deleted)"),
    ("keep", "Kept"),
)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _size(size: int | None, complete: bool = True) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            shown = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            return shown if complete else f">= {shown}"
        value /= 1024
    return str(size)


def _item_rows(items: Iterable[PlanItem]) -> list[str]:
    rows = [
        "| Service | Resource | Region | Size | Action | Reason | Saves/month |",
        "| --- | --- | --- | --- | --- | --- | ---: |",
    ]
    for item in items:
        r = item.resource
        rows.append(
            f"| {r.service} | `{_cell(r.name)}` | {r.region} | "
            f"{_size(r.size_bytes, r.size_complete)} | {item.action} | "
            f"{_cell(item.reason)} | {_usd(item.savings_usd)} |"
        )
    return rows


def _plan_body(plan: Plan, h: str) -> list[str]:
    t = plan.totals
    allowed = "yes" if plan.account_allowed else "**no** (apply will refuse)"
    lines = [
        f"- Account: `{plan.account}` (in the allow-list: {allowed})",
        f"- Regions: {', '.join(plan.regions)}",
        f"- Evaluated as of {iso(plan.as_of)}; inventory collected "
        f"{iso(plan.inventory_collected_at)}",
        f"- Rules: `{plan.rules.get('path')}` (version {plan.rules.get('version')}, "
        f"sha256 `{str(plan.rules.get('sha256', ''))[:12]}`)",
        "",
        f"{h} Totals",
        "",
        "| Action | Resources |",
        "| --- | ---: |",
        *(f"| {action} | {t['by_action'].get(action, 0)} |" for action in ACTIONS),
        f"| **all** | **{t['resources']}** |",
        "",
        f"Estimated savings if applied: **{_usd(t['savings_usd_month'])} per month** "
        f"(lab resources cost about {_usd(t['lab_monthly_usd'])} per month in total; "
        "list prices from the rules file).",
        "",
    ]
    if plan.inventory_errors:
        lines += [f"{h} Inventory incomplete", ""]
        lines += [
            f"- {e.service} in {e.region}: {e.code}: {_cell(e.message)}"
            for e in plan.inventory_errors
        ]
        lines.append("")
    for action, title in SECTIONS:
        chosen = [i for i in plan.items if i.action == action]
        if chosen:
            lines += [f"{h} {title} ({len(chosen)})", "", *_item_rows(chosen), ""]
    ignored = t["by_action"].get("ignore", 0)
    if ignored:
        lines += [
            f"{ignored} other resource(s) are not the lab's and are ignored (listed in plan.json).",
            "",
        ]
    return lines


def plan_markdown(plan: Plan) -> str:
    return "\n".join(
        [
            "# AWS cleanup plan",
            "",
            *_plan_body(plan, "##"),
            "Dry run: this plan deleted nothing. `kindops aws cleanup --apply --plan REF` deletes "
            "the resources to delete after re-checking each one live.",
            "",
        ]
    )


def _apply_body(report: ApplyReport) -> list[str]:
    t = report.totals
    lines = [
        f"- Account: `{report.account}`",
        f"- Started {iso(report.started_at)}, finished {iso(report.finished_at)}",
        f"- Audit log: `{report.audit_log}`",
        "",
        f"Planned {t['planned']}: **deleted {t['deleted']}**, skipped {t['skipped']}, "
        f"failed {t['failed']}. Savings: **{_usd(t['savings_usd_month'])} per month**.",
        "",
    ]
    if report.outcomes:
        lines += [
            "| Service | Resource | Region | Outcome | Why | Audit entry | Restore |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for o in report.outcomes:
            restore = (
                f"`kindops aws restore --audit-entry {o.audit_entry}`"
                if o.status == "deleted" and o.restorable
                else "-"
            )
            lines.append(
                f"| {o.service} | `{_cell(o.name)}` | {o.region} | {o.status} | "
                f"{_cell(o.reason)} | {o.audit_entry or '-'} | {restore} |"
            )
        lines.append("")
    return lines


def apply_markdown(report: ApplyReport) -> str:
    return "\n".join(["# AWS cleanup: applied", "", *_apply_body(report)])


def report_markdown(plan: Plan, applied: ApplyReport | None) -> str:
    lines = ["# AWS cleanup report", ""]
    if applied is None:
        lines += ["**Dry run**: the plan was not applied in this run; nothing was deleted.", ""]
    else:
        lines += ["## What was deleted", "", *_apply_body(applied)]
    lines += ["## The plan", "", *_plan_body(plan, "###")]
    return "\n".join(lines)


def budget_markdown(account: str, statuses: list[BudgetStatus]) -> str:
    lines = [
        "# AWS budget check",
        "",
        f"Account `{account}`.",
        "",
        "| Budget | Limit | Actual | Actual % | Forecast | Forecast % | Threshold | Status |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in statuses:
        forecast = f"{s.forecast} {s.unit}" if s.forecast is not None else "-"
        forecast_pct = f"{s.forecast_percent} %" if s.forecast_percent is not None else "-"
        state = "**over threshold**" if s.breached else "ok"
        lines.append(
            f"| {_cell(s.name)} | {s.limit} {s.unit} | {s.actual} {s.unit} | "
            f"{s.actual_percent} % | {forecast} | {forecast_pct} | "
            f"{s.threshold_percent} % | {state} |"
        )
    lines.append("")
    for s in statuses:
        for reason in s.reasons:
            lines.append(f"- **{s.name}**: {reason}")
        for note in s.notes:
            lines.append(f"- {s.name}: {note}")
    lines.append("")
    return "\n".join(lines)
