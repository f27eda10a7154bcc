"""The function behind ``kindops cost review``.

Artifacts of a review live under ``cost-review/<run key>/``: ``review.json`` (everything),
``report.md``, ``costs.csv`` (one row per group and dimension) and ``cost-by-namespace.png``
(the first dimension's chart), published together only once all are written; the result
document is ``result.json`` beside them. A rerun with the same run key replaces them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kindops.cost import analysis, publish, report
from kindops.cost.opencost import OpenCostClient, Series, opencost_aggregate
from kindops.cost.settings import CostSettings
from kindops.errors import ConfigError, DependencyError
from kindops.result import Context, Result, Verdict
from kindops.settings import load

log = logging.getLogger(__name__)

JOB = "cost.review"
DEFAULT_DIMENSIONS = ("namespace", "deployment", "label:team", "label:app")
PRICING_HELP = (
    "kind has no cloud pricing API, so OpenCost needs custom prices: set "
    "opencost.customPricing.enabled=true with costModel CPU (USD per vCPU-hour), RAM (USD per "
    "GiB-hour) and storage (USD per GiB-hour), as in gitops/platform/opencost/values.yaml"
)


def parse_day(text: str | None, today: date) -> date:
    """The reviewed UTC day: ``text`` (YYYY-MM-DD) or yesterday; refuses a day not yet over."""
    if not text:
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--day {text!r}: expected a date like 2026-11-01") from None
    if day >= today:
        raise ConfigError(
            f"--day {day} has not ended yet (today is {today} UTC): review a past day"
        )
    return day


def check_data(series: Sequence[Series], day: date, first: date, endpoint: str) -> None:
    """Refuse data a review cannot stand on: none at all, none for the day, or no prices."""
    if not any(s.days for s in series):
        raise DependencyError(
            f"OpenCost {endpoint} returned no allocations for {first}..{day}: check that "
            "OpenCost reads the lab's Prometheus (opencost.prometheus.external.url) and that "
            "Prometheus scrapes OpenCost and kube-state-metrics"
        )
    if not any(day in s.days for s in series):
        have = sorted({d for s in series for d in s.days})
        raise DependencyError(
            f"OpenCost {endpoint} has no allocations for {day} (it has {len(have)} other "
            f"day(s), last {have[-1]}): was the cluster or Prometheus down that day?"
        )
    unpriced = [s.dimension for s in series if day in s.days and not s.days[day].priced]
    if unpriced:
        raise ConfigError(
            f"every cost OpenCost {endpoint} reports for {day} is $0 although workloads "
            f"ran: no pricing is configured; {PRICING_HELP}"
        )


def _summary(rev: analysis.Review) -> str:
    t = rev.totals
    eff = t.efficiency
    cpu = f"{eff['cpu']:.0%}" if eff["cpu"] is not None else "-"
    ram = f"{eff['ram']:.0%}" if eff["ram"] is not None else "-"
    text = (
        f"{rev.day}: {analysis.usd(t.total)} (idle {t.idle_ratio:.0%}, CPU efficiency {cpu}, "
        f"RAM efficiency {ram}); "
    )
    anomalies = rev.anomalies
    if anomalies:
        shown = ", ".join(
            f"{g.group_by} {g.label} {analysis.signed(g.delta)}"
            + (f" ({g.drivers[0].component})" if g.drivers else "")
            for g in anomalies[:5]
        )
        more = f" and {len(anomalies) - 5} more" if len(anomalies) > 5 else ""
        text += f"{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}: {shown}{more}"
    else:
        text += "no anomaly"
    inconclusive = rev.inconclusive
    if inconclusive:
        text += "; inconclusive: " + "; ".join(
            f"{d.dimension} ({d.inconclusive_reason})" for d in inconclusive
        )
    return text


def review(
    ctx: Context,
    day_text: str | None,
    window_days: int,
    dimensions: Sequence[str] | None,
    rules: analysis.Rules,
    alert: bool = True,
    today: date | None = None,
) -> Result:
    settings = load(CostSettings)
    dims = list(dict.fromkeys(dimensions or DEFAULT_DIMENSIONS))
    for dim in dims:
        opencost_aggregate(dim)
    if not 1 <= rules.min_history <= window_days:
        raise ConfigError(
            f"--min-history {rules.min_history} must be between 1 and --window-days {window_days}"
        )
    day = parse_day(day_text, today or datetime.now(UTC).date())
    first = day - timedelta(days=window_days)
    client = OpenCostClient(
        settings.opencost_url,
        settings.opencost_timeout,
        settings.opencost_attempts,
        settings.opencost_backoff,
    )
    series = client.fetch(dims, first, day)
    check_data(series, day, first, client.endpoint)
    rev = analysis.review(series, day, window_days, rules)

    prefix = f"{JOB.replace('.', '-')}/{ctx.run_key}"
    chart_name = f"cost-by-{dims[0].replace(':', '-').replace(',', '-')}.png"
    doc = report.review_doc(rev, client.endpoint)
    with ctx.store.staging(prefix) as folder:
        (folder / "review.json").write_text(report.json_text(doc))
        (folder / "report.md").write_text(report.review_markdown(rev, client.endpoint, chart_name))
        (folder / "costs.csv").write_text(report.review_csv(rev))
        (folder / chart_name).write_bytes(report.bar_chart(rev, rev.dimensions[0]))
    names = {
        "review": "review.json",
        "report": "report.md",
        "csv": "costs.csv",
        "chart": chart_name,
    }
    artifacts = {k: ctx.store.url(f"{prefix}/{v}") for k, v in names.items()}

    data: dict[str, Any] = {
        "day": day.isoformat(),
        "window_days": window_days,
        "opencost": client.endpoint,
        "totals": doc["totals"],
        "anomalies": [
            {k: a[k] for k in ("group_by", "group", "cost_usd", "baseline_median_usd", "z")}
            | {"explanation": a["explanation"]}
            for a in doc["anomalies"]
        ],
        "inconclusive": {d.dimension: d.inconclusive_reason for d in rev.inconclusive},
        "top_movers": {d["dimension"]: d["top_movers"] for d in doc["dimensions"]},
        "review_key": f"{prefix}/review.json",
    }
    timeout = settings.opencost_timeout
    if settings.pushgateway_url:
        data["metrics_pushed"] = publish.push_metrics(settings.pushgateway_url, rev, timeout)
    else:
        log.info("KINDOPS_PUSHGATEWAY_URL is empty: metrics not pushed")
    if settings.alertmanager_url and alert:
        am = publish.Alertmanager(settings.alertmanager_url, timeout)
        data["alerts"] = publish.send_alerts(
            am, rev, settings.runbook_base_url, artifacts["report"], settings.cost_alert_hours
        )
    verdict: Verdict = "bad" if rev.anomalies else "ok"
    return Result(JOB, verdict, _summary(rev), data=data, artifacts=artifacts)
