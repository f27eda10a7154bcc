"""The functions behind ``kindops k6 ...``: one per command, each returning a Result.

Artifacts of one step (an app and a scenario in one run) live under
``k6-<app>-<scenario>/<run key>/``: ``summary.json`` (k6's, verbatim), ``k6-output.txt``,
``step.json`` (verdict, comparison, gate) and ``result.json``. The history of every app and
scenario is ``k6/history/<app>/<scenario>.jsonl``; the weekly report is
``k6-report/<run key>/`` (``report.md``, ``report.html``, ``trend-<app>-<scenario>.png``).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kindops.errors import ConfigError
from kindops.k6 import gate as gates
from kindops.k6 import push, runner, scenarios
from kindops.k6 import report as reports
from kindops.k6.compare import Comparison, compare
from kindops.k6.history import Entry, History
from kindops.k6.settings import K6Settings, Limits, check_name
from kindops.k6.summary import RunMetrics, parse
from kindops.result import Context, Result, Verdict, now
from kindops.settings import load

log = logging.getLogger("kindops.k6")

REPORT_JOB = "k6.report"
REPORT_PREFIX = "k6-report"
DEFAULT_SCENARIOS = ("smoke", "load", "stress")
STEP_ARTIFACTS = ("step.json", "summary.json", "k6-output.txt")
_LOGICAL = re.compile(r"(\d{8}T\d{6})")


def step_job(app: str, scenario: str) -> str:
    return f"k6.{check_name('app', app)}.{check_name('scenario', scenario)}"


def logical_date(ctx: Context) -> datetime:
    """The run's logical date from ``KINDOPS_RUN_ID`` (``<dag>/<YYYYMMDDTHHMMSS>``), else now."""
    match = _LOGICAL.search(ctx.settings.run_id)
    if match:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return ctx.started_at


def limits_from(settings: K6Settings, overrides: Mapping[str, float | int | None]) -> Limits:
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - {f.name for f in fields(Limits)}
    if unknown:
        raise ConfigError(f"unknown limit(s): {', '.join(sorted(unknown))}")
    return replace(settings.limits(), **given)


# -- judging (shared by run and compare) -----------------------------------------------------
def _fmt_change(comparison: Comparison, key: str) -> str:
    row = comparison.metric(key)
    if row.baseline is None or row.change_pct is None:
        return ""
    return f" (baseline {row.baseline:.1f}, {row.change_pct:+.1f} %)"


def _headline(app: str, scenario: str, metrics: RunMetrics, comparison: Comparison) -> str:
    return (
        f"{app} {scenario}: {comparison.verdict} — p95 {metrics.p95_ms:.1f} ms"
        f"{_fmt_change(comparison, 'p95_ms')}, {metrics.rps:.1f} req/s"
        f"{_fmt_change(comparison, 'rps')}, {metrics.error_ratio * 100:.2f} % failed; "
        f"{comparison.reason}"
    )


def judge(
    ctx: Context,
    settings: K6Settings,
    limits: Limits,
    app: str,
    scenario: str,
    metrics: RunMetrics,
    profile: str,
    *,
    summary_key: str | None,
    k6: dict[str, Any],
    gate: dict[str, Any] | None = None,
    record: bool = True,
    raw_summary: Any = None,
    extra_artifacts: dict[str, str] | None = None,
) -> Result:
    """Compare with the history, record the run, write step.json, push; the step's Result."""
    job = step_job(app, scenario)
    at = logical_date(ctx)
    history = History(ctx.store, app, scenario)
    base_entries = history.baseline(ctx.run_key, at, profile, limits.history_size)
    comparison = compare(metrics, [e.metrics for e in base_entries], limits)
    accepted = comparison.accepted and record
    entry = Entry(
        run_key=ctx.run_key,
        at=at,
        app=app,
        scenario=scenario,
        profile=profile,
        verdict=comparison.verdict,
        reason=comparison.reason,
        accepted=accepted,
        metrics=metrics,
        k6_exit_code=k6.get("exit_code"),
        k6_version=k6.get("version"),
        summary=summary_key,
        recorded_at=now(),
    )
    if record:
        history.record(entry)
    baseline: dict[str, float | None] = {row.metric: row.baseline for row in comparison.metrics}
    noise: dict[str, float | None] = {row.metric: row.noise for row in comparison.metrics}
    step = {
        "app": app,
        "scenario": scenario,
        "run_key": ctx.run_key,
        "at": at.isoformat(),
        "status": "judged",
        "verdict": comparison.verdict,
        "reason": comparison.reason,
        "accepted": accepted,
        "recorded": record,
        "profile": profile,
        "metrics": metrics.to_dict(),
        "comparison": [asdict_row(r) for r in comparison.to_dict()["metrics"]],
        "baseline_runs": [e.run_key for e in base_entries],
        "limits": asdict(limits),
        "gate": gate,
        "k6": k6,
        "summary": summary_key,
    }
    artifacts = dict(extra_artifacts or {})
    if record:
        artifacts["step"] = ctx.store.write_json(ctx.key(job, "step.json"), step)
        artifacts["history"] = ctx.store.url(history.key)
    data = {
        **step,
        "push": _push_step(settings, app, scenario, comparison.verdict, metrics, baseline, noise),
    }
    if raw_summary is not None:
        data["k6_summary"] = raw_summary
    verdict: Verdict = "bad" if comparison.verdict in ("regressed", "failed") else "ok"
    log.info(
        "step judged",
        extra={
            "app": app,
            "scenario": scenario,
            "verdict": comparison.verdict,
            "accepted": accepted,
        },
    )
    return Result(job, verdict, _headline(app, scenario, metrics, comparison), data, artifacts)


def asdict_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}


def _push_step(
    settings: K6Settings,
    app: str,
    scenario: str,
    verdict: str,
    metrics: RunMetrics | None,
    baseline: dict[str, float | None] | None,
    noise: dict[str, float | None] | None = None,
) -> str:
    if not settings.pushgateway_url:
        return "disabled (KINDOPS_PUSHGATEWAY_URL not set)"
    return push.push_step(
        settings.pushgateway_url,
        app,
        scenario,
        verdict,
        now().timestamp(),
        metrics,
        baseline,
        noise,
    )


# -- kindops k6 run --------------------------------------------------------------------------
def _gate(
    settings: K6Settings, app: str, min_remaining: float, slos: Sequence[str]
) -> gates.GateDecision:
    if not settings.prometheus_url:
        return gates.disabled("KINDOPS_PROMETHEUS_URL is not set", min_remaining)
    names = list(slos) or gates.service_slos(settings.slo_specs, app)
    reader = gates.prometheus_reader(settings.prometheus_url, settings.slo_specs)
    return gates.evaluate(reader, app, names, min_remaining)


def _shape(settings: K6Settings, extra_env: Sequence[str]) -> dict[str, str]:
    shape: dict[str, str] = {}
    if settings.k6_duration:
        shape["K6_DURATION"] = settings.k6_duration
    if settings.k6_vus:
        shape["K6_VUS"] = settings.k6_vus
    if settings.k6_no_thresholds:
        shape["K6_NO_THRESHOLDS"] = "true"
    for item in extra_env:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            raise ConfigError(f"--env {item!r}: expected NAME=VALUE with an upper-case NAME")
        if name in ("BASE_URL", "K6_SUMMARY_PATH"):
            raise ConfigError(f"--env {name} is set by kindops k6 run itself")
        shape[name] = value
    return shape


def run(
    ctx: Context,
    app: str,
    scenario: str,
    base_url: str,
    *,
    gate_min_remaining: float | None = None,
    gate_slos: Sequence[str] = (),
    extra_env: Sequence[str] = (),
    probe: bool = True,
    overrides: Mapping[str, float | int | None] | None = None,
) -> Result:
    """Gate (optional), run k6, keep its summary, judge it against the history."""
    settings = load(K6Settings)
    limits = limits_from(settings, overrides or {})
    job = step_job(app, scenario)
    shape = _shape(settings, extra_env)
    profile = runner.profile(shape)
    root = settings.scenarios_root()

    with tempfile.TemporaryDirectory(prefix="kindops-k6-") as tmp:
        workdir = Path(tmp)
        script = scenarios.materialize(root, app, scenario, workdir / "scenarios")
        binary = settings.k6_binary()
        # The input is good: this attempt replaces the step's artifacts; an earlier attempt's
        # verdict or summary must never be read as this one's.
        for name in STEP_ARTIFACTS:
            ctx.store.delete(ctx.key(job, name))
        gate_doc: dict[str, Any] | None = None
        if gate_min_remaining is not None:
            decision = _gate(settings, app, gate_min_remaining, gate_slos)
            gate_doc = decision.to_dict()
            log.info("gate", extra={"app": app, "status": decision.status})
            if decision.closed:
                return _skipped(ctx, settings, app, scenario, profile, decision)
        if probe:
            runner.probe(base_url)
        k6_version = runner.version(binary)
        result = runner.run(binary, script, base_url, shape, workdir)

    artifacts = {
        "k6_output": ctx.store.write_text(ctx.key(job, "k6-output.txt"), result.output),
    }
    summary_key = ctx.key(job, "summary.json")
    where = f"k6 {app}/{scenario}"
    if result.summary is not None:
        artifacts["summary"] = ctx.store.write_bytes(summary_key, result.summary)
    runner.check_exit(result, where)
    if result.summary is None:
        raise ConfigError(
            f"{where}: k6 exited {result.exit_code} but wrote no summary to K6_SUMMARY_PATH "
            "(the scenario must export handleSummary from handleSummaryFactory)"
        )
    metrics = parse(result.summary, where=summary_key)
    if result.exit_code != 0 and metrics.thresholds_ok:
        reason = "test marked failed" if result.exit_code == runner.MARKED_FAILED else "failed"
        metrics = replace(metrics, failed_thresholds=[f"k6 exit {result.exit_code}: {reason}"])
    k6 = {
        "exit_code": result.exit_code,
        "version": k6_version,
        "base_url": base_url,
        "command": result.command,
        "shape": shape,
    }
    return judge(
        ctx,
        settings,
        limits,
        app,
        scenario,
        metrics,
        profile,
        summary_key=summary_key,
        k6=k6,
        gate=gate_doc,
        raw_summary=json.loads(result.summary),
        extra_artifacts=artifacts,
    )


def _skipped(
    ctx: Context,
    settings: K6Settings,
    app: str,
    scenario: str,
    profile: str,
    decision: gates.GateDecision,
) -> Result:
    job = step_job(app, scenario)
    step = {
        "app": app,
        "scenario": scenario,
        "run_key": ctx.run_key,
        "at": logical_date(ctx).isoformat(),
        "status": "skipped",
        "verdict": "skipped",
        "reason": decision.reason,
        "accepted": False,
        "recorded": False,
        "profile": profile,
        "gate": decision.to_dict(),
    }
    url = ctx.store.write_json(ctx.key(job, "step.json"), step)
    data = {
        **step,
        "skipped": True,
        "push": _push_step(settings, app, scenario, "skipped", None, None),
    }
    summary = f"{app} {scenario}: skipped — {decision.reason}"
    return Result(job, "ok", summary, data, {"step": url}, skipped=True)


# -- kindops k6 compare ----------------------------------------------------------------------
def read_summary(ctx: Context, ref: str) -> tuple[bytes, str]:
    """A summary from a local file, or else from the artifact store; (bytes, where)."""
    path = Path(ref)
    if path.is_file():
        return path.read_bytes(), str(path)
    if path.is_absolute() or not ctx.store.exists(ref):
        raise ConfigError(f"summary {ref!r}: no such file, nor artifact in the store")
    return ctx.store.read_bytes(ref), ref


def compare_summary(
    ctx: Context,
    app: str,
    scenario: str,
    summary_ref: str,
    *,
    profile: str = "default",
    k6_exit_code: int | None = None,
    record: bool = True,
    overrides: Mapping[str, float | int | None] | None = None,
) -> Result:
    """Judge a summary produced elsewhere (by hand, CI, a bench) against the history."""
    settings = load(K6Settings)
    limits = limits_from(settings, overrides or {})
    job = step_job(app, scenario)
    raw, where = read_summary(ctx, summary_ref)
    metrics = parse(raw, where=where)
    if k6_exit_code is not None and k6_exit_code not in runner.JUDGED_CODES:
        raise ConfigError(
            f"--k6-exit-code {k6_exit_code}: k6 did not finish a test; there is nothing to judge"
        )
    if k6_exit_code not in (None, 0) and metrics.thresholds_ok:
        metrics = replace(metrics, failed_thresholds=[f"k6 exit {k6_exit_code}"])
    summary_key = ctx.key(job, "summary.json")
    artifacts = {"summary": ctx.store.write_bytes(summary_key, raw)} if record else {}
    k6 = {"exit_code": k6_exit_code, "version": None, "source": where}
    return judge(
        ctx,
        settings,
        limits,
        app,
        scenario,
        metrics,
        profile,
        summary_key=summary_key if record else None,
        k6=k6,
        record=record,
        extra_artifacts=artifacts,
    )


# -- kindops k6 accept ----------------------------------------------------------------------
def accept(
    ctx: Context, app: str, scenario: str, run_key: str, reason: str, rebaseline: bool, reject: bool
) -> Result:
    """Accept a recorded run into the baseline by hand (or take one out with ``reject``)."""
    if not reason.strip():
        raise ConfigError("--reason is required: say why the verdict is overridden")
    if reject and rebaseline:
        raise ConfigError("--reject and --rebaseline exclude each other")
    history = History(ctx.store, check_name("app", app), check_name("scenario", scenario))
    entry = history.find(run_key)
    if not reject and not entry.metrics.thresholds_ok:
        raise ConfigError(
            f"{run_key} failed k6's own thresholds ({'; '.join(entry.metrics.failed_thresholds)}); "
            "such a run cannot be a baseline"
        )
    action = "rejected" if reject else ("accepted as a new baseline" if rebaseline else "accepted")
    updated = entry.model_copy(
        update={
            "accepted": not reject,
            "rebaseline": rebaseline,
            "reason": f"{entry.reason}; {action} by hand: {reason.strip()}",
            "recorded_at": now(),
        }
    )
    history.record(updated)
    summary = f"{app} {scenario} {run_key}: {action} (verdict was {entry.verdict})"
    data = {
        "app": app,
        "scenario": scenario,
        "run_key": run_key,
        "action": action,
        "verdict": entry.verdict,
        "accepted": not reject,
        "rebaseline": rebaseline,
    }
    return Result("k6.accept", "ok", summary, data, {"history": ctx.store.url(history.key)})


# -- kindops k6 report -----------------------------------------------------------------------
def report(ctx: Context, apps: Sequence[str], scenario_names: Sequence[str]) -> Result:
    """This run's steps of every app and scenario in one Markdown + HTML report with trends."""
    settings = load(K6Settings)
    if not apps:
        raise ConfigError("name at least one --app")
    names = list(dict.fromkeys(scenario_names or DEFAULT_SCENARIOS))
    steps: list[dict[str, Any]] = []
    plots: dict[str, bytes] = {}
    for app in dict.fromkeys(apps):
        for scenario in names:
            key = ctx.key(step_job(app, scenario), "step.json")
            if ctx.store.exists(key):
                step = ctx.store.read_json(key)
            else:
                step = {
                    "app": app,
                    "scenario": scenario,
                    "run_key": ctx.run_key,
                    "status": "missing",
                    "verdict": "missing",
                    "reason": "no result for this run: the step did not run or errored "
                    "(see its task log)",
                }
            steps.append(step)
            if step["status"] == "judged":
                entries = History(ctx.store, app, scenario).entries()
                plots[reports.plot_name(app, scenario)] = reports.trend_png(step, entries)

    prefix = f"{REPORT_PREFIX}/{ctx.run_key}"
    with ctx.store.staging(prefix) as folder:
        (folder / "report.md").write_text(reports.markdown(ctx.run_key, steps, set(plots)))
        (folder / "report.html").write_text(reports.html_page(ctx.run_key, steps, set(plots)))
        for name, png in plots.items():
            (folder / name).write_bytes(png)
    artifacts = {
        "markdown": ctx.store.url(f"{prefix}/report.md"),
        "html": ctx.store.url(f"{prefix}/report.html"),
    }
    for name in plots:
        artifacts[name.removesuffix(".png")] = ctx.store.url(f"{prefix}/{name}")

    bad = [s for s in steps if s["verdict"] in ("regressed", "failed", "missing")]
    verdict: Verdict = "bad" if bad else "ok"
    by_app: dict[str, list[str]] = {}
    for s in steps:
        by_app.setdefault(s["app"], []).append(f"{s['scenario']} {s['verdict']}")
    summary = "; ".join(f"{app}: {', '.join(parts)}" for app, parts in by_app.items())
    pushed = "disabled (KINDOPS_PUSHGATEWAY_URL not set)"
    if settings.pushgateway_url:
        pushed = (
            push.push_success(settings.pushgateway_url, now().timestamp())
            if verdict == "ok"
            else "not pushed: the run is not good"
        )
    data = {
        "steps": [
            {k: s.get(k) for k in ("app", "scenario", "verdict", "reason", "accepted", "profile")}
            for s in steps
        ],
        "push": pushed,
    }
    return Result(REPORT_JOB, verdict, summary, data, artifacts)
