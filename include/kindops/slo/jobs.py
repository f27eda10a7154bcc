"""The ``kindops slo`` jobs: plain functions the CLI, a DAG task or a test can call."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from kindops import endpoints, pushgateway
from kindops.errors import ConfigError, DependencyError
from kindops.result import Context, Result, Verdict
from kindops.settings import KindopsSettings, load
from kindops.slo import report as slo_report
from kindops.slo.budget import DEFAULT_SPECS, NoSloDataError, SloBudget, measure
from kindops.slo.prometheus import PrometheusClient, parse_time
from kindops.slo.spec import ServiceSpec, find_slo, load_specs

log = logging.getLogger("kindops.slo")


class SloSettings(KindopsSettings):
    """``KINDOPS_PROMETHEUS_URL`` (required), ``KINDOPS_SLO_SPECS`` (the specs folder) and
    ``KINDOPS_PUSHGATEWAY_URL`` (optional: where the report records its last success); the two
    endpoints are the lab's (:mod:`kindops.endpoints`)."""

    model_config = SettingsConfigDict(env_prefix="KINDOPS_", extra="ignore")

    slo_specs: str = DEFAULT_SPECS

    @field_validator("prometheus_url")
    @classmethod
    def _prometheus(cls, value: str) -> str:
        return endpoints.required(value)


#: The report's Pushgateway job (``kindops_job_last_success_timestamp_seconds{job=...}``).
REPORT_JOB = "slo-report"


def _at(ctx: Context, at: str | None) -> datetime:
    return parse_time(at) if at else ctx.started_at


def _select(specs: list[ServiceSpec], services: list[str] | None) -> list[ServiceSpec]:
    # an empty value (a DAG param left blank) means every service
    services = [s.strip() for s in services or [] if s.strip()]
    if not services:
        return specs
    known = {s.service: s for s in specs}
    unknown = sorted(set(services) - set(known))
    if unknown:
        raise ConfigError(
            f"no SLO spec for service(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return [known[name] for name in dict.fromkeys(services)]


def report(
    ctx: Context, services: list[str] | None, at: str | None, specs_dir: str | None
) -> Result:
    """Measure every SLO's budget; write report.json, report.md and burn-down PNGs."""
    settings = load(SloSettings)
    when = _at(ctx, at)
    specs = _select(list(load_specs(specs_dir or settings.slo_specs).values()), services)
    client = PrometheusClient(settings.prometheus_url)
    budgets: list[SloBudget] = []
    for spec in specs:
        for slo in spec.slos:
            budget = measure(client, spec, slo, when)
            log.info(
                "budget measured",
                extra={
                    "service": spec.service,
                    "slo": slo.name,
                    "status": budget.status,
                    "remaining": budget.remaining,
                },
            )
            budgets.append(budget)

    doc = slo_report.document(budgets, client.url, when)
    prefix = f"slo-report/{ctx.run_key}"
    with ctx.store.staging(prefix) as folder:
        (folder / "report.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        (folder / "report.md").write_text(slo_report.markdown(budgets, client.url, when))
        for name, png in slo_report.plots(budgets).items():
            (folder / name).write_bytes(png)
    artifacts = {
        "report": ctx.store.url(f"{prefix}/report.json"),
        "markdown": ctx.store.url(f"{prefix}/report.md"),
    }
    for spec in specs:
        name = slo_report.plot_name(spec.service)
        artifacts[name.removesuffix(".png")] = ctx.store.url(f"{prefix}/{name}")

    counts = doc["counts"]
    parts = [f"{counts[s]} {s}" for s in slo_report.STATUS_ORDER if counts[s]]
    summary = f"{len(budgets)} SLOs as of {when.isoformat()}: " + ", ".join(parts)
    if doc["exhausted"]:
        summary += "; budget exhausted: " + ", ".join(doc["exhausted"])
    data = {
        "at": when.isoformat(),
        "counts": counts,
        "exhausted": doc["exhausted"],
        "slos": [b.summary() for b in budgets],
    }
    verdict: Verdict = "bad" if doc["exhausted"] else "ok"
    if verdict == "ok" and settings.pushgateway_url:
        # Best effort: the report in the artifact store is the record; a failed push is
        # reported, never a reason to fail the run.
        try:
            pushgateway.push_job_success(settings.pushgateway_url, REPORT_JOB)
            data["push"] = "ok"
        except DependencyError as exc:
            log.warning("push failed", extra={"error": exc.message})
            data["push"] = exc.message
    return Result("slo.report", verdict, summary, data, artifacts)


def budget(
    ctx: Context,
    service: str,
    slo: str,
    min_remaining: float,
    at: str | None,
    specs_dir: str | None,
) -> Result:
    """One SLO's remaining budget; bad verdict below ``min_remaining`` (a gate for risky runs)."""
    if not 0 <= min_remaining <= 1:
        raise ConfigError(f"--min-remaining {min_remaining}: expected a share from 0 to 1")
    settings = load(SloSettings)
    spec, objective = find_slo(specs_dir or settings.slo_specs, service, slo)
    client = PrometheusClient(settings.prometheus_url)
    measured = measure(client, spec, objective, _at(ctx, at))
    if not measured.has_data:
        raise NoSloDataError(
            f"Prometheus at {client.url} has no events for {service}/{slo} over the "
            f"{spec.period} ending {measured.end.isoformat()}: cannot tell how much budget is left"
        )
    ok = measured.remaining > 0 and measured.remaining >= min_remaining
    summary = (
        f"{service}/{slo}: {measured.remaining * 100:.1f} % of the {spec.period} error budget "
        f"left (minimum {min_remaining * 100:.1f} %)"
    )
    data = {**measured.summary(), "min_remaining": min_remaining}
    return Result("slo.budget", "ok" if ok else "bad", summary, data)
