"""The functions behind ``kindops gameday ...``: one per command, each returning a Result.

Artifacts of one scenario of one run live under ``gameday/<run key>/<scenario>/``:
``journal.json`` (always, even when the run fails midway), ``evidence.json``,
``k6-summary.json`` + ``k6-output.txt``, ``chaosengine.yaml`` (cluster) and ``postmortem.md``.
``kindops gameday publish`` indexes a run's scenarios in ``gameday/<run key>/index.md``.
"""

from __future__ import annotations

import json
import logging
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

import yaml

from kindops.errors import ConfigError
from kindops.gameday import argocd, burn, evidence, grafana, guard, local, postmortem
from kindops.gameday.catalog import (
    FlagsFault,
    PodDelete,
    PodNetworkLatency,
    Scenario,
    catalog_dir,
    load_catalog,
    select,
)
from kindops.gameday.experiment import Deps, Experiment, RollbackStep
from kindops.gameday.journal import Interrupted, Journal, StopRequest, describe
from kindops.gameday.load import BackgroundLoad
from kindops.gameday.probes import ProbeRunner
from kindops.gameday.settings import GamedaySettings
from kindops.k6 import gate
from kindops.k6.settings import K6Settings
from kindops.result import Context, Result
from kindops.settings import load
from kindops.slo.budget import NoSloDataError

if TYPE_CHECKING:  # the Kubernetes client is imported only by the cluster runner (seconds)
    from kindops.gameday import litmus
    from kindops.gameday.kube import KubeTarget

log = logging.getLogger("kindops.gameday")

Runner = Literal["local", "cluster"]
PREFIX = "gameday"


@dataclass(frozen=True)
class Timing:
    warmup: float | None = None
    fault_duration: float | None = None
    recovery_timeout: float | None = None
    vus: int | None = None


def scenario_prefix(ctx: Context, name: str) -> str:
    return f"{PREFIX}/{ctx.run_key}/{name}"


def catalog(settings: GamedaySettings) -> dict[str, Scenario]:
    return load_catalog(catalog_dir(settings.gameday_catalog))


# -- list / render -----------------------------------------------------------------------------
def list_scenarios(ctx: Context) -> Result:
    settings = load(GamedaySettings)
    found = catalog(settings)
    rows = [s.summary() for s in found.values()]
    return Result(
        "gameday.list", "ok", f"{len(rows)} scenario(s) in the catalog", {"scenarios": rows}
    )


def render(ctx: Context, names: list[str]) -> str:
    from kindops.gameday import litmus

    settings = load(GamedaySettings)
    docs = [litmus.render_engine(s, settings) for s in select(catalog(settings), names)]
    return yaml.safe_dump_all(docs, sort_keys=False)


# -- run ---------------------------------------------------------------------------------------
@contextmanager
def interruptible() -> Iterator[StopRequest]:
    """SIGTERM (Airflow stopping the task) and SIGINT unwind the run through its ``finally``."""
    stop = StopRequest()

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.signal = signal.Signals(signum).name
        raise Interrupted(stop.signal)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _apps_used(scenario: Scenario) -> set[str]:
    apps: set[str] = {scenario.target.app, scenario.load.app}
    apps |= {
        p.app
        for p in (*scenario.steady_state.probes, *scenario.safeguards.probes)
        if p.type == "http"
    }
    return apps


def preflight_local(scenario: Scenario, settings: GamedaySettings) -> dict[str, str]:
    """Config a local run needs before anything starts (exit 2 when missing): tokens, pids."""
    fault = scenario.fault
    tokens: dict[str, str] = {}
    if isinstance(fault, FlagsFault | PodNetworkLatency):
        tokens[scenario.target.app] = settings.admin_token(scenario.target.app)
    if isinstance(fault, PodDelete) or scenario.rollback.local == "restart":
        local.read_pid(settings.gameday_pids, scenario.target.process)
    local.injection(
        scenario,
        settings.gameday_pids,
        {a: settings.app_url(a) for a in ("app-python", "app-java")},
        {**{a: "" for a in ("app-python", "app-java")}, **tokens},
    )
    return tokens


def _load_factory(scenario: Scenario, settings: GamedaySettings) -> Any:
    k6 = load(K6Settings)
    binary, root = k6.k6_binary(), k6.scenarios_root()
    base_url = settings.app_url(scenario.load.app)

    def make() -> BackgroundLoad:
        return BackgroundLoad(binary, root, scenario.load, base_url, scenario.load.duration)

    return make


def _local_deps(
    scenario: Scenario, settings: GamedaySettings, tokens: dict[str, str], stop: StopRequest
) -> Deps:
    urls = {a: settings.app_url(a) for a in ("app-python", "app-java")}
    all_tokens = {a: tokens.get(a, "") for a in urls}
    target = scenario.target

    def rollback() -> dict[str, Any]:
        url = urls[target.app] if target.component == "api" else None
        return local.restart(settings.gameday_pids, target.process, url, scenario.recovery.timeout)

    return Deps(
        probes=ProbeRunner(urls, settings.prometheus_url, settings.gameday_probe_window),
        injection=lambda: local.injection(scenario, settings.gameday_pids, urls, all_tokens),
        load=_load_factory(scenario, settings),
        rollbacks=[("restart", rollback)],
        sleep=stop.sleep,
    )


def _argocd_api(settings: GamedaySettings) -> argocd.ArgoCdApi:
    """The lab's Argo CD (guarded: a cluster Service or loopback), with the game day's token."""
    if not settings.argocd_url:
        raise ConfigError(
            "KINDOPS_ARGOCD_URL is not set: the Argo CD rollback needs the lab's Argo CD API server"
        )
    guard.admit_argocd(settings.argocd_url)
    return argocd.ArgoCdApi(
        settings.argocd_url,
        settings.gameday_argocd_token.get_secret_value().strip(),
        verify=settings.gameday_argocd_ca or True,
    )


def cluster_rollbacks(
    scenario: Scenario,
    api: litmus.LitmusApi,
    argo: argocd.ArgoCdApi | None,
    poll_seconds: float,
    sleep: Callable[[float], None],
) -> list[RollbackStep]:
    """The cluster rollback steps of ``scenario``: the Rollout abort, then the Argo CD rollback."""
    plan = scenario.rollback.cluster
    steps: list[RollbackStep] = []
    if plan.rollout is not None:
        rollout = plan.rollout
        steps.append(
            ("abort-rollout", lambda: api.abort_rollout(scenario.target.namespace, rollout))
        )
    if plan.argocd is not None:
        if argo is None:
            raise ConfigError(f"{scenario.name}: the Argo CD rollback needs the Argo CD API")
        client, app = argo, plan.argocd
        steps.append(
            (
                "argocd-rollback",
                lambda: argocd.rollback(
                    client,
                    app.application,
                    app.prune,
                    wait=scenario.recovery.timeout,
                    poll_seconds=poll_seconds,
                    sleep=sleep,
                ),
            )
        )
    return steps


def _cluster_deps(
    scenario: Scenario,
    settings: GamedaySettings,
    api: litmus.LitmusApi,
    argo: argocd.ArgoCdApi | None,
    engine: dict[str, Any],
    stop: StopRequest,
) -> Deps:
    from kindops.gameday import litmus

    urls = {a: settings.app_url(a) for a in ("app-python", "app-java")}
    return Deps(
        probes=ProbeRunner(urls, settings.prometheus_url, settings.gameday_probe_window),
        injection=lambda: litmus.LitmusInjection(api, engine),
        load=_load_factory(scenario, settings),
        rollbacks=cluster_rollbacks(scenario, api, argo, settings.gameday_poll_seconds, stop.sleep),
        verdict_timeout=settings.gameday_verdict_timeout,
        settle=lambda injection: litmus.settle(
            injection, min(settings.gameday_verdict_timeout, 120.0), settings.gameday_poll_seconds
        ),
        sleep=stop.sleep,
    )


def _publish(
    ctx: Context,
    settings: GamedaySettings,
    scenario: Scenario,
    journal: Journal,
    experiment: Experiment | None,
    engine: dict[str, Any] | None,
    budget: guard.BudgetCheck,
) -> dict[str, str]:
    """Evidence bundle, Grafana annotations and the postmortem draft (after the journal)."""
    prefix = scenario_prefix(ctx, scenario.name)
    store = ctx.store
    doc = journal.doc
    start, end = evidence.window_of(doc)
    artifacts = {"journal": store.url(f"{prefix}/journal.json")}
    try:
        slo = burn.window_burn(
            settings.prometheus_url,
            settings.slo_specs,
            scenario.target.service,
            start,
            end,
            budget.budgets,
        )
    except Exception as exc:  # the evidence says why; the bundle is still written
        slo = {"service": scenario.target.service, "error": describe(exc), "slos": []}
    annotations: list[dict[str, Any]] = []
    if settings.grafana_url:
        tags = ["gameday", scenario.name, doc["runner"], doc["verdict"]]
        token = settings.grafana_token.get_secret_value()
        text = f"Game day {scenario.name}: {doc['status']}, verdict {doc['verdict']}"
        annotations.append(
            grafana.annotate(
                settings.grafana_url,
                token,
                start=start,
                end=end,
                text=text,
                tags=[*tags, "window"],
                dashboard_uid=settings.grafana_dashboard_uid,
            )
        )
        fault = doc["windows"]["fault"]
        if fault and fault.get("end"):
            annotations.append(
                grafana.annotate(
                    settings.grafana_url,
                    token,
                    start=datetime.fromisoformat(fault["start"]),
                    end=datetime.fromisoformat(fault["end"]),
                    text=f"{scenario.name}: {scenario.fault.type} on {scenario.target.process}",
                    tags=[*tags, "fault"],
                    dashboard_uid=settings.grafana_dashboard_uid,
                )
            )
    with store.staging(prefix) as folder:
        load = experiment.outcome if experiment else None
        if load is not None and load.summary is not None:
            (folder / "k6-summary.json").write_bytes(load.summary)
            artifacts["k6_summary"] = store.url(f"{prefix}/k6-summary.json")
        if load is not None and load.output:
            (folder / "k6-output.txt").write_text(load.output)
            artifacts["k6_output"] = store.url(f"{prefix}/k6-output.txt")
        if engine is not None:
            (folder / "chaosengine.yaml").write_text(yaml.safe_dump(engine, sort_keys=False))
            artifacts["chaosengine"] = store.url(f"{prefix}/chaosengine.yaml")
        artifacts["evidence"] = store.url(f"{prefix}/evidence.json")
        artifacts["postmortem"] = store.url(f"{prefix}/postmortem.md")
        record = evidence.build(doc, slo, annotations, artifacts)
        (folder / "evidence.json").write_text(
            json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
        )
        (folder / "postmortem.md").write_text(postmortem.render(record, scenario.owner))
    return artifacts


def run_one(
    ctx: Context,
    settings: GamedaySettings,
    scenario: Scenario,
    runner: Runner,
    kube: KubeTarget | None,
    floor: guard.Floor,
    stop: StopRequest,
    argo: argocd.ArgoCdApi | None = None,
) -> dict[str, Any]:
    """Guard, run and publish one scenario. A guard refusal raises (nothing injected)."""
    service = scenario.target.service
    known = gate.service_slos(settings.slo_specs, service)
    unknown = sorted(set(scenario.target.slos) - set(known))
    if unknown:
        raise ConfigError(
            f"{scenario.name}: {service} has no SLO {', '.join(unknown)} "
            f"(known: {', '.join(known)})"
        )
    slos = list(scenario.target.slos) or known
    reader = gate.prometheus_reader(settings.prometheus_url, settings.slo_specs)
    budget = guard.check_budget(reader, service, slos, floor.value)
    for other in (s for s in known if s not in budget.budgets):  # for the burn's "before"
        try:
            budget.budgets[other] = reader(service, other)
        except NoSloDataError:
            budget.budgets[other] = None
    tokens: dict[str, str] = {}
    engine: dict[str, Any] | None = None
    api: litmus.LitmusApi | None = None
    rollback_plan: dict[str, Any] | None = None
    if runner == "local":
        tokens = preflight_local(scenario, settings)
    else:
        argocd_rollback = scenario.rollback.cluster.argocd
        if argocd_rollback is not None:  # a rollback that could not run refuses the game day
            assert argo is not None
            rollback_plan = {"argocd": argocd.plan(argo, argocd_rollback.application)}
        from kubernetes import client as k8s_client

        from kindops.gameday import litmus

        assert kube is not None
        engine = litmus.render_engine(scenario, settings, run_key=ctx.run_key)
        api = litmus.LitmusApi(k8s_client.ApiClient(kube.configuration))
    journal = Journal(scenario.model_dump(mode="json"), runner, ctx.run_key)
    journal.doc["guard"] = {
        "budget": budget.to_dict(),
        "budget_floor": floor.to_dict(),
        "cluster": kube.describe() if kube else None,
        "rollback_plan": rollback_plan,
    }
    prefix = scenario_prefix(ctx, scenario.name)
    experiment: Experiment | None = None
    status = "failed"
    interrupted: Interrupted | None = None
    try:
        if runner == "local":
            deps = _local_deps(scenario, settings, tokens, stop)
        else:
            assert api is not None and engine is not None
            deps = _cluster_deps(scenario, settings, api, argo, engine, stop)
        experiment = Experiment(scenario, deps, journal)
        status = experiment.run()
    except Interrupted as exc:
        status, interrupted = "interrupted", exc
        journal.doc["error"] = describe(exc)
    except Exception as exc:
        journal.doc["error"] = describe(exc)
    finally:
        journal.finish(status)
        ctx.store.write_json(f"{prefix}/journal.json", journal.doc)
    artifacts = _publish(ctx, settings, scenario, journal, experiment, engine, budget)
    if interrupted is not None:
        raise interrupted
    return {
        "scenario": scenario.name,
        "status": journal.doc["status"],
        "verdict": journal.doc["verdict"],
        "deviated": journal.doc["deviated"],
        "deviations": journal.doc["deviations"],
        "artifacts": artifacts,
    }


def run(
    ctx: Context,
    names: list[str],
    runner: Runner,
    min_budget: float | None,
    timing: Timing,
    allow_zero_min_budget: bool = False,
) -> Result:
    settings = load(GamedaySettings)
    if min_budget is None:
        floor = guard.budget_floor(
            settings.gameday_min_budget, "KINDOPS_GAMEDAY_MIN_BUDGET", allow_zero_min_budget
        )
    else:
        floor = guard.budget_floor(min_budget, "--min-budget", allow_zero_min_budget)
    scenarios = [
        s.with_timing(
            warmup=timing.warmup,
            fault_duration=timing.fault_duration,
            recovery_timeout=timing.recovery_timeout,
            vus=timing.vus,
        )
        for s in select(catalog(settings), names)
    ]
    kube: KubeTarget | None = None
    argo: argocd.ArgoCdApi | None = None
    if runner == "cluster":
        from kindops.gameday import kube as kube_guard
        from kindops.gameday import litmus

        for scenario in scenarios:
            litmus.render_engine(scenario, settings)  # a fault without a Litmus equivalent: exit 2
        if any(s.rollback.cluster.argocd is not None for s in scenarios):
            argo = _argocd_api(settings)
        kube = kube_guard.admit_cluster(settings.gameday_allowed_clusters)
        log.info("cluster admitted", extra=kube.describe())
    else:
        urls = {f"{a} URL": settings.app_url(a) for s in scenarios for a in _apps_used(s)}
        guard.admit_local(urls)
    settings.prometheus()  # the probes and the budget guard: exit 2 before anything runs
    outcomes: list[dict[str, Any]] = []
    with interruptible() as stop:
        for scenario in scenarios:
            if stop.signal is not None:
                break
            try:
                outcomes.append(run_one(ctx, settings, scenario, runner, kube, floor, stop, argo))
            except Interrupted as exc:
                outcomes.append(
                    {
                        "scenario": scenario.name,
                        "status": "interrupted",
                        "verdict": "fail",
                        "deviated": False,
                        "deviations": [f"interrupted ({exc})"],
                        "artifacts": {},
                    }
                )
                break
    passed = [o for o in outcomes if o["verdict"] == "pass"]
    failed = [o for o in outcomes if o["verdict"] != "pass"]
    parts = [
        f"{o['scenario']} {o['status']}" + (" (deviated)" if o["deviated"] else "")
        for o in outcomes
    ]
    summary = f"{len(passed)}/{len(scenarios)} scenario(s) passed: " + ", ".join(parts)
    artifacts = {
        f"{o['scenario']}.{k}": v
        for o in outcomes
        for k, v in o["artifacts"].items()
        if k in ("evidence", "journal", "postmortem")
    }
    return Result(
        "gameday",
        "ok" if not failed and len(outcomes) == len(scenarios) else "bad",
        summary,
        {"runner": runner, "scenarios": outcomes, "min_budget": floor.value},
        artifacts,
    )


# -- publish -----------------------------------------------------------------------------------
def publish(ctx: Context, names: list[str]) -> Result:
    """Index this run's scenarios (``index.json`` + ``index.md``).

    The verdict is bad when a scenario failed or left no journal, so the DAG run fails with it
    (the run task's failure alone would not fail a DAG run whose last task succeeded).
    """
    settings = load(GamedaySettings)
    wanted = select(catalog(settings), names)
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    for scenario in wanted:
        prefix = scenario_prefix(ctx, scenario.name)
        if not ctx.store.exists(f"{prefix}/journal.json"):
            missing.append(scenario.name)
            continue
        journal = ctx.store.read_json(f"{prefix}/journal.json")
        ev = (
            ctx.store.read_json(f"{prefix}/evidence.json")
            if ctx.store.exists(f"{prefix}/evidence.json")
            else {}
        )
        metrics = ((ev.get("load") or {}).get("metrics")) or {}
        rows.append(
            {
                "scenario": scenario.name,
                "title": scenario.title,
                "status": journal["status"],
                "verdict": journal["verdict"],
                "deviations": journal["deviations"],
                "p95_ms": metrics.get("p95_ms"),
                "error_ratio": metrics.get("error_ratio"),
                "burn": [
                    {
                        "slo": s["slo"],
                        "burn_rate": s.get("burn_rate"),
                        "budget_consumed": s.get("budget_consumed"),
                    }
                    for s in (ev.get("slo_burn") or {}).get("slos", [])
                ],
                "evidence": ctx.store.url(f"{prefix}/evidence.json"),
                "postmortem": ctx.store.url(f"{prefix}/postmortem.md"),
            }
        )
    lines = [
        f"# Game day {ctx.run_key}",
        "",
        "| scenario | status | verdict | p95 ms | failed | deviations |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        p95 = "n/a" if r["p95_ms"] is None else f"{r['p95_ms']:.1f}"
        err = "n/a" if r["error_ratio"] is None else f"{r['error_ratio'] * 100:.2f} %"
        lines.append(
            f"| {r['scenario']} | {r['status']} | {r['verdict']} | {p95} | {err} | "
            + ("; ".join(r["deviations"]) or "none")
            + " |"
        )
    for name in missing:
        lines.append(f"| {name} | no journal | fail | | | the run left no journal |")
    index = {"run_key": ctx.run_key, "scenarios": rows, "missing": missing}
    with ctx.store.staging(f"{PREFIX}/{ctx.run_key}") as folder:
        (folder / "index.json").write_text(json.dumps(index, indent=2, default=str) + "\n")
        (folder / "index.md").write_text("\n".join(lines) + "\n")
    failing = [r["scenario"] for r in rows if r["verdict"] != "pass"]
    summary = (
        f"{len(rows)} scenario(s) published"
        + (f"; failed: {', '.join(failing)}" if failing else "")
        + (f"; no journal: {', '.join(missing)}" if missing else "")
    )
    return Result(
        "gameday.publish",
        "bad" if missing or failing else "ok",
        summary,
        index,
        {"index": ctx.store.url(f"{PREFIX}/{ctx.run_key}/index.md")},
    )


def lab_workdir(given: str | None) -> Path:
    return Path(given) if given else Path(tempfile.mkdtemp(prefix="kindops-gameday-lab-"))
