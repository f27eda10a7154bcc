"""What a person reads: the Markdown report, the CSV of every group, the bar chart.

Everything here is a pure function of the review, so a rerun over the same data writes the
same bytes (no timestamps in the report).
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from kindops.cost.analysis import (
    DimensionReview,
    GroupReview,
    Review,
    display,
    signed,
    usd,
    z_text,
)
from kindops.cost.opencost import COMPONENTS

CHART_GROUPS = 20
TABLE_GROUPS = 15


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 4) -> float | None:
    if value is None:
        return None
    if math.isinf(value):
        return None
    return round(value, digits)


def json_text(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n"


def group_doc(g: GroupReview) -> dict[str, Any]:
    return {
        "group_by": g.group_by,
        "group": g.group,
        "status": g.status,
        "cost_usd": _num(g.cost),
        "baseline_median_usd": _num(g.median),
        "baseline_mad_usd": _num(g.mad),
        "baseline_days": g.baseline_days,
        "delta_usd": _num(g.delta),
        "z": _num(g.z, 2),
        "z_text": z_text(g.z),
        "reason": g.reason,
        "explanation": g.explanation,
        "drivers": [
            {
                "component": d.component,
                "today_usd": _num(d.today),
                "baseline_usd": _num(d.baseline),
                "delta_usd": _num(d.delta),
                "share": _num(d.share, 3),
            }
            for d in g.drivers
        ],
        "components_usd": {c: _num(v) for c, v in g.components.items()},
        "cpu_request_cores": _num(g.cpu_request, 3),
        "cpu_request_cores_median": _num(g.cpu_request_median, 3),
        "ram_request_gib": _num(g.ram_request_gib, 3),
        "ram_request_gib_median": _num(g.ram_request_gib_median, 3),
        "efficiency": {
            "cpu": _num(g.cpu_efficiency, 3),
            "ram": _num(g.ram_efficiency, 3),
            "total": _num(g.total_efficiency, 3),
        },
    }


def review_doc(review: Review, endpoint: str) -> dict[str, Any]:
    t = review.totals
    return {
        "schema_version": 1,
        "kind": "kindops.cost.review",
        "day": review.day.isoformat(),
        "window_days": review.window_days,
        "opencost": endpoint,
        "rules": {
            "z_threshold": review.rules.z_threshold,
            "floor_usd": review.rules.floor_usd,
            "floor_ratio": review.rules.floor_ratio,
            "min_history": review.rules.min_history,
            "min_coverage": review.rules.min_coverage,
            "direction": review.rules.direction,
        },
        "totals": {
            "total_usd": _num(t.total),
            "idle_usd": _num(t.idle),
            "workloads_usd": _num(t.workloads),
            "idle_ratio": _num(t.idle_ratio, 4),
            "components_usd": {c: _num(v) for c, v in t.components.items()},
            "efficiency": {k: _num(v, 4) for k, v in t.efficiency.items()},
        },
        "anomalies": [group_doc(g) for g in review.anomalies],
        "dimensions": [
            {
                "dimension": d.dimension,
                "aggregate": d.aggregate,
                "day_state": d.day_state,
                "coverage": _num(d.coverage, 3),
                "baseline_used": [x.isoformat() for x in d.baseline_used],
                "baseline_skipped": {
                    k: [x.isoformat() for x in v] for k, v in d.baseline_skipped.items()
                },
                "inconclusive": d.inconclusive_reason,
                "total_usd": _num(d.total_cost),
                "idle_usd": _num(d.idle_cost),
                "top_movers": [
                    {"group": g.group, "delta_usd": _num(g.delta), "cost_usd": _num(g.cost)}
                    for g in d.movers()
                ],
                "groups": [group_doc(g) for g in d.groups],
            }
            for d in review.dimensions
        ],
    }


CSV_FIELDS = [
    "day",
    "group_by",
    "group",
    "status",
    "cost_usd",
    "baseline_median_usd",
    "baseline_mad_usd",
    "delta_usd",
    "z",
    "baseline_days",
    *[f"{c}_usd" for c in COMPONENTS],
    "cpu_efficiency",
    "ram_efficiency",
    "total_efficiency",
    "reason",
]


def review_csv(review: Review) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in review.dimensions:
        for g in d.groups:
            row: dict[str, object] = {
                "day": review.day.isoformat(),
                "group_by": g.group_by,
                "group": g.group,
                "status": g.status,
                "cost_usd": f"{g.cost:.4f}",
                "baseline_median_usd": "" if g.median is None else f"{g.median:.4f}",
                "baseline_mad_usd": "" if g.mad is None else f"{g.mad:.4f}",
                "delta_usd": "" if g.median is None else f"{g.delta:.4f}",
                "z": z_text(g.z) if g.z is not None else "",
                "baseline_days": g.baseline_days,
                "cpu_efficiency": f"{g.cpu_efficiency:.4f}",
                "ram_efficiency": f"{g.ram_efficiency:.4f}",
                "total_efficiency": f"{g.total_efficiency:.4f}",
                "reason": g.reason,
            }
            row.update({f"{c}_usd": f"{v:.4f}" for c, v in g.components.items()})
            writer.writerow(row)
    return out.getvalue()


def _group_table(d: DimensionReview) -> list[str]:
    rows = [
        "| Group | Cost | Baseline median | Change | z | CPU eff. | RAM eff. | Status |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    ranked = sorted(d.groups, key=lambda g: (g.status != "anomaly", -g.cost, g.group))
    for g in ranked[:TABLE_GROUPS]:
        median = "-" if g.median is None else usd(g.median)
        change = "-" if g.median is None else signed(g.delta)
        status = "**anomaly**" if g.status == "anomaly" else g.status
        rows.append(
            f"| `{_cell(g.label)}` | {usd(g.cost)} | {median} | {change} | {z_text(g.z)} | "
            f"{_pct(g.cpu_efficiency)} | {_pct(g.ram_efficiency)} | {status} |"
        )
    rest = ranked[TABLE_GROUPS:]
    if rest:
        rows.append(
            f"| {len(rest)} more (in costs.csv) | {usd(sum(g.cost for g in rest))} | | | | | | |"
        )
    return rows


def review_markdown(review: Review, endpoint: str, chart_name: str | None) -> str:
    t = review.totals
    anomalies = review.anomalies
    r = review.rules
    eff = t.efficiency
    lines = [
        f"# Cost review: {review.day}",
        "",
        f"OpenCost `{endpoint}`, reviewed day {review.day} (UTC) against the trailing "
        f"{review.window_days} days.",
        "",
        "## Verdict",
        "",
    ]
    if anomalies:
        lines.append(f"**{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}**:")
        lines.append("")
        lines += [f"- {_cell(g.explanation)}" for g in anomalies]
    else:
        lines.append("No anomaly: every conclusive group is within its baseline.")
    inconclusive = review.inconclusive
    if inconclusive:
        lines.append("")
        lines += [
            f"- Inconclusive for **{d.dimension}**: {d.inconclusive_reason}." for d in inconclusive
        ]
    lines += [
        "",
        "## Totals",
        "",
        "| | USD |",
        "| --- | ---: |",
        f"| Cluster | {usd(t.total)} |",
        f"| Workloads | {usd(t.workloads)} |",
        f"| Idle (`__idle__`) | {usd(t.idle)} ({t.idle_ratio:.0%} of the cluster) |",
        *(f"| {c} | {usd(v)} |" for c, v in t.components.items() if v),
        "",
        f"Efficiency (cost-weighted usage / request): CPU {_pct(eff['cpu'])}, "
        f"RAM {_pct(eff['ram'])}, total {_pct(eff['total'])}.",
        "",
    ]
    if chart_name:
        lines += [f"![Cost by namespace]({chart_name})", ""]
    lines += ["## Top movers", ""]
    for d in review.dimensions:
        movers = d.movers()
        shown = ", ".join(f"`{_cell(g.label)}` {signed(g.delta)}" for g in movers) or "none"
        lines.append(f"- **{d.dimension}**: {shown}")
    lines.append("")
    for d in review.dimensions:
        lines += [f"## By {d.dimension}", "", f"OpenCost aggregate `{d.aggregate}`.", ""]
        lines += _group_table(d)
        lines.append("")
    lines += ["## Data quality", ""]
    for d in review.dimensions:
        skipped = "; ".join(
            f"{kind}: {', '.join(x.isoformat() for x in days)}"
            for kind, days in d.baseline_skipped.items()
        )
        lines.append(
            f"- **{d.dimension}**: reviewed day {d.day_state} ({d.coverage:.0%} covered); "
            f"{len(d.baseline_used)} of {review.window_days} baseline days used"
            + (f" (skipped {skipped})" if skipped else "")
        )
    lines += [
        "",
        "## Rule",
        "",
        f"Anomaly when the modified z-score (median/MAD over the baseline) is at least "
        f"{r.z_threshold:g} in absolute value, the change is at least {usd(r.floor_usd)} per "
        f"day and at least {r.floor_ratio:.0%} of the baseline median"
        + (" (increases only)" if r.direction == "up" else "")
        + f"; conclusive with at least {r.min_history} usable baseline days and a reviewed day "
        f"covered at least {r.min_coverage:.0%}. Idle is never a workload anomaly.",
        "",
    ]
    return "\n".join(lines)


def bar_chart(review: Review, dimension: DimensionReview) -> bytes:
    """PNG: cost by group (top groups) with the baseline median, anomalies in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted(dimension.groups, key=lambda g: (-g.cost, g.group))
    shown = groups[:CHART_GROUPS]
    rest = groups[CHART_GROUPS:]
    names = [display(g.group) for g in shown]
    costs = [g.cost for g in shown]
    colors = ["#d62728" if g.status == "anomaly" else "#1f77b4" for g in shown]
    if rest:
        names.append(f"{len(rest)} others")
        costs.append(sum(g.cost for g in rest))
        colors.append("#9e9e9e")
    if dimension.idle_cost:
        names.append("(idle)")
        costs.append(dimension.idle_cost)
        colors.append("#bdbdbd")
    fig, ax = plt.subplots(figsize=(10, 0.5 + 0.35 * max(len(names), 3)), dpi=100)
    try:
        y = list(range(len(names)))
        ax.barh(y, costs, color=colors)
        medians = [(i, g.median) for i, g in enumerate(shown) if g.median is not None]
        if medians:
            ax.scatter(
                [m for _, m in medians],
                [i for i, _ in medians],
                marker="|",
                s=300,
                color="black",
                label="baseline median",
                zorder=3,
            )
        for i, g in enumerate(shown):
            if g.status == "anomaly":
                ax.annotate(
                    f" anomaly {signed(g.delta)}",
                    (g.cost, i),
                    va="center",
                    color="#d62728",
                    fontsize=8,
                )
        ax.margins(x=0.18)
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("USD per day")
        ax.set_title(f"Cost by {dimension.dimension} on {review.day}")
        if medians:
            ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    finally:
        plt.close(fig)
