"""The SLO report: budgets as JSON, a Markdown page, and one burn-down PNG per service."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime
from typing import Any

from kindops.slo.budget import LOW_REMAINING, SloBudget

STATUS_ORDER = ("exhausted", "low", "no-data", "ok")


def _x(moment: datetime) -> float:
    """A time as a matplotlib date number."""
    from matplotlib.dates import date2num  # matplotlib loads only when a report is drawn

    return float(date2num(moment))  # type: ignore[no-untyped-call]


def plot_name(service: str) -> str:
    return f"burndown-{service}.png"


def document(budgets: list[SloBudget], prometheus_url: str, at: datetime) -> dict[str, Any]:
    """The report as JSON: one entry per SLO with its burn-down (budget left per hour)."""
    slos = []
    for budget in budgets:
        entry = budget.summary()
        entry["burndown"] = [[t.isoformat(), round(v, 6)] for t, v in budget.burndown()]
        slos.append(entry)
    counts = {status: sum(1 for b in budgets if b.status == status) for status in STATUS_ORDER}
    return {
        "prometheus_url": prometheus_url,
        "at": at.isoformat(),
        "counts": counts,
        "exhausted": [f"{b.service}/{b.slo}" for b in budgets if b.status == "exhausted"],
        "slos": slos,
    }


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def markdown(budgets: list[SloBudget], prometheus_url: str, at: datetime) -> str:
    lines = [
        "# SLO error budgets",
        "",
        f"As of **{at.isoformat()}**, read from Prometheus at `{prometheus_url}`. "
        f"Each budget is measured over its period ending then; below "
        f"{LOW_REMAINING * 100:.0f} % left an SLO is *low*, at 0 or less it is *exhausted* "
        "(freeze risky changes, see `docs/runbooks/`).",
        "",
        "| service | SLO | objective | period | SLI error ratio | budget consumed "
        "| budget left | status |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in budgets:
        if b.has_data:
            ratio, consumed, left = (
                f"{b.error_ratio * 100:.3f} %",
                _pct(b.consumed),
                _pct(b.remaining),
            )
        else:
            ratio = consumed = left = "n/a"
        lines.append(
            f"| {b.service} | {b.slo} | {b.objective:g} % | {b.period} | {ratio} | {consumed} "
            f"| {left} | {b.status} |"
        )
    lines.append("")
    services = sorted({b.service for b in budgets})
    lines.append("Burn-down plots: " + ", ".join(f"`{plot_name(s)}`" for s in services) + ".")
    no_data = [f"{b.service}/{b.slo}" for b in budgets if b.status == "no-data"]
    if no_data:
        lines += [
            "",
            "No SLI events over the period for: " + ", ".join(no_data) + ". Check that "
            "Prometheus receives the service's metrics (collector, scrape targets) before "
            "trusting these budgets.",
        ]
    return "\n".join(lines) + "\n"


def plots(budgets: list[SloBudget]) -> dict[str, bytes]:
    """One PNG per service: budget left (%) over the period, a line per SLO."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    by_service: dict[str, list[SloBudget]] = defaultdict(list)
    for budget in budgets:
        by_service[budget.service].append(budget)
    images = {}
    for service, items in sorted(by_service.items()):
        fig = Figure(figsize=(9, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for budget in items:
            series = budget.burndown()
            if series:
                ax.plot(
                    [_x(t) for t, _ in series],
                    [v * 100 for _, v in series],
                    label=f"{budget.slo} ({budget.objective:g} %): {_pct(budget.remaining)} left",
                )
            else:
                ax.plot([], [], label=f"{budget.slo}: no data")
        ax.axhline(0, color="red", linewidth=1, linestyle="--")
        ax.axhline(LOW_REMAINING * 100, color="orange", linewidth=1, linestyle=":")
        end = max(b.end for b in items)
        start = min(b.start for b in items)
        ax.set_xlim(_x(start), _x(end))
        ax.xaxis_date()
        ax.set_title(
            f"{service}: error budget left over the period ending {end:%Y-%m-%d %H:%M} UTC"
        )
        ax.set_ylabel("budget left (%)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower left", fontsize="small")
        fig.autofmt_xdate()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        images[plot_name(service)] = buf.getvalue()
    return images
