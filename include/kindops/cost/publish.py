"""Where the review goes besides the artifact store: Pushgateway metrics, Alertmanager alerts.

Metrics are pushed with ``push_to_gateway`` under the grouping key ``job=cost-review``: a PUT
that replaces the whole group, so a rerun leaves exactly the last review's series.

Each anomaly is one ``CostAnomaly`` alert posted to ``/api/v2/alerts`` with the labels
``alertname, severity=ticket, team=finops, job=cost-review, group_by, group`` — the same label
set the Prometheus rule over ``kindops_cost_anomaly`` produces, so Alertmanager deduplicates a
rerun (or both sources) into one alert. An alert lives ``KINDOPS_COST_ALERT_HOURS`` (26 h: until
the next nightly run) and each review resolves the ``CostAnomaly`` alerts of this job that it
no longer finds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from prometheus_client import CollectorRegistry, Gauge
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kindops.cost.analysis import GroupReview, Review, signed, usd
from kindops.cost.opencost import day_start
from kindops.errors import DependencyError
from kindops.pushgateway import push

log = logging.getLogger(__name__)

JOB = "cost-review"
ALERT = "CostAnomaly"
ALERT_LABELS = {"severity": "ticket", "team": "finops", "job": JOB}

#: Every metric the review pushes (name -> help), the contract with dashboards and alert rules.
METRICS = {
    "kindops_cost_daily_usd": "Cost of the reviewed UTC day in USD by group "
    "(group_by=cluster: total, idle, workloads).",
    "kindops_cost_baseline_median_usd": "Median daily cost of the group over the trailing "
    "baseline window in USD.",
    "kindops_cost_anomaly": "1 when the group's daily cost is an anomaly against its baseline, "
    "0 when it is not (absent when inconclusive).",
    "kindops_cost_inconclusive": "1 when the dimension's verdict is inconclusive "
    "(partial or missing data).",
    "kindops_cost_component_daily_usd": "Cluster cost of the reviewed day in USD by cost "
    "component.",
    "kindops_cost_idle_ratio": "Idle cost over total cluster cost on the reviewed day (0-1).",
    "kindops_cost_efficiency": "Cost-weighted usage over request on the reviewed day (0-1).",
    "kindops_cost_group_efficiency": "Usage over request of the group on the reviewed day (0-1).",
    "kindops_cost_review_day_timestamp_seconds": "Start of the reviewed UTC day (Unix time).",
    "kindops_job_last_success_timestamp_seconds": "Unix time of the job's last successful run.",
}


def _gauge(name: str, labels: Iterable[str], registry: CollectorRegistry) -> Gauge:
    return Gauge(name, METRICS[name], list(labels), registry=registry)


def registry_for(review: Review, now: float | None = None) -> CollectorRegistry:
    registry = CollectorRegistry()
    daily = _gauge("kindops_cost_daily_usd", ["group_by", "group"], registry)
    median = _gauge("kindops_cost_baseline_median_usd", ["group_by", "group"], registry)
    anomaly = _gauge("kindops_cost_anomaly", ["group_by", "group"], registry)
    inconclusive = _gauge("kindops_cost_inconclusive", ["group_by"], registry)
    component = _gauge("kindops_cost_component_daily_usd", ["component"], registry)
    idle = _gauge("kindops_cost_idle_ratio", [], registry)
    efficiency = _gauge("kindops_cost_efficiency", ["resource"], registry)
    group_eff = _gauge("kindops_cost_group_efficiency", ["group_by", "group", "resource"], registry)
    day = _gauge("kindops_cost_review_day_timestamp_seconds", [], registry)
    success = _gauge("kindops_job_last_success_timestamp_seconds", [], registry)

    t = review.totals
    daily.labels("cluster", "total").set(t.total)
    daily.labels("cluster", "idle").set(t.idle)
    daily.labels("cluster", "workloads").set(t.workloads)
    for name, value in t.components.items():
        component.labels(name).set(value)
    idle.set(t.idle_ratio)
    for resource, ratio in t.efficiency.items():
        if ratio is not None:
            efficiency.labels(resource).set(ratio)
    for d in review.dimensions:
        inconclusive.labels(d.dimension).set(1 if d.inconclusive_reason else 0)
        for g in d.groups:
            daily.labels(g.group_by, g.group).set(g.cost)
            if g.median is not None:
                median.labels(g.group_by, g.group).set(g.median)
            if g.status != "inconclusive":
                anomaly.labels(g.group_by, g.group).set(1 if g.status == "anomaly" else 0)
            if g.cost > 0:
                group_eff.labels(g.group_by, g.group, "cpu").set(g.cpu_efficiency)
                group_eff.labels(g.group_by, g.group, "ram").set(g.ram_efficiency)
                group_eff.labels(g.group_by, g.group, "total").set(g.total_efficiency)
    day.set(day_start(review.day).timestamp())
    success.set(now if now is not None else time.time())
    return registry


def push_metrics(url: str, review: Review, timeout: float) -> list[str]:
    """Replace the ``job=cost-review`` group on the Pushgateway; returns the metric names."""
    registry = registry_for(review)
    push(url, JOB, registry, replace=True, timeout=timeout)
    log.info("metrics pushed", extra={"pushgateway": url, "job": JOB})
    return sorted(METRICS)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def alert_for(
    g: GroupReview, review: Review, runbook_base: str, report_url: str, now: datetime, hours: float
) -> dict[str, Any]:
    assert g.median is not None
    return {
        "labels": {"alertname": ALERT, **ALERT_LABELS, "group_by": g.group_by, "group": g.group},
        "annotations": {
            "summary": f"Cost anomaly: {g.group_by} {g.label} cost {usd(g.cost)} on "
            f"{review.day} ({signed(g.delta)} vs baseline median {usd(g.median)})",
            "description": g.explanation,
            "runbook_url": f"{runbook_base.rstrip('/')}/{ALERT}.md",
            "report": report_url,
            "day": review.day.isoformat(),
        },
        "startsAt": _iso(now),
        "endsAt": _iso(now + timedelta(hours=hours)),
    }


class Alertmanager:
    """Alertmanager's v2 API with a timeout and bounded retries."""

    def __init__(self, url: str, timeout: float, attempts: int = 3, backoff: float = 1.0) -> None:
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/api/v2/alerts"
        self.timeout = timeout
        retry = Retry(
            total=attempts - 1,
            backoff_factor=backoff,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,
        )
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            resp = self.session.request(method, self.endpoint, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise DependencyError(
                f"Alertmanager {self.endpoint} unreachable: {type(exc).__name__}"
            ) from None
        if resp.status_code >= 300:
            raise DependencyError(
                f"Alertmanager {self.endpoint} answered HTTP {resp.status_code}: {resp.text[:200]}"
            )
        return resp.json() if resp.content else None

    def active(self) -> list[dict[str, Any]]:
        params = {"active": "true", "filter": [f'alertname="{ALERT}"', f'job="{JOB}"']}
        found = self._call("GET", params=params)
        return [a for a in found or [] if isinstance(a, dict)]

    def post(self, alerts: list[dict[str, Any]]) -> None:
        if alerts:
            self._call("POST", json=alerts)


def send_alerts(
    am: Alertmanager,
    review: Review,
    runbook_base: str,
    report_url: str,
    hours: float,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fire one alert per anomaly and resolve this job's alerts that are no longer anomalies."""
    moment = now or datetime.now(UTC)
    firing = [
        alert_for(g, review, runbook_base, report_url, moment, hours) for g in review.anomalies
    ]
    keys = {(a["labels"]["group_by"], a["labels"]["group"]) for a in firing}
    resolved = []
    for old in am.active():
        labels = old.get("labels") or {}
        if (labels.get("group_by"), labels.get("group")) in keys:
            continue
        resolved.append(
            {
                "labels": labels,
                "annotations": old.get("annotations") or {},
                "startsAt": old.get("startsAt") or _iso(moment),
                "endsAt": _iso(moment),
            }
        )
    am.post(firing + resolved)
    log.info(
        "alerts sent",
        extra={"alertmanager": am.url, "firing": len(firing), "resolved": len(resolved)},
    )
    return {"firing": len(firing), "resolved": len(resolved)}
