"""`kindops k6 ...`: k6 runs judged against their own history (baselines k6 OSS does not keep).

The work is in :mod:`kindops.k6.jobs`; see ``kindops/k6/README.md``. Exit codes: 0 pass,
improved or inconclusive; 1 regressed or k6 thresholds failed (the run is recorded, never
accepted); 2 bad input (unknown scenario, script error, bad summary); 3 unreachable (the app,
Prometheus, the store) or k6 failed to run; 10 skipped by the error-budget gate.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

import typer
from rich.console import Console

from kindops.errors import ExitCode, KindopsError
from kindops.k6 import jobs, scenarios
from kindops.k6.settings import K6Settings
from kindops.result import JSON_OPTION, Context, Result, execute
from kindops.settings import load

app = typer.Typer(
    help="k6 baselines: run a scenario, judge it against its history, report the trend.",
    no_args_is_help=True,
)

APP_OPTION = typer.Option(..., "--app", metavar="APP", help="App name (e.g. app-python).")
SCENARIO_OPTION = typer.Option(
    ..., "--scenario", metavar="NAME", help="Scenario (smoke, load, stress, ...)."
)


def _threshold(flag: str, text: str) -> Any:
    return field(default=None, metadata={"option": typer.Option(None, flag, help=text)})


@dataclass(frozen=True)
class Thresholds:
    """The regression limits ``run`` and ``compare`` take as options; None keeps the configured
    value (``KINDOPS_K6_*``, else the default in brackets). Each field is one option, declared
    here once: :func:`threshold_options` puts them in a command's signature."""

    p95: float | None = _threshold("--p95-threshold", "Relative p95 rise that regresses [0.10].")
    p99: float | None = _threshold("--p99-threshold", "Relative p99 rise that regresses [0.20].")
    errors: float | None = _threshold(
        "--error-threshold", "Absolute failed-ratio rise that regresses [0.005]."
    )
    rps: float | None = _threshold("--rps-threshold", "Relative req/s drop that regresses [0.10].")
    checks: float | None = _threshold(
        "--checks-threshold", "Absolute checks-ratio drop that regresses [0.005]."
    )
    noise_k: float | None = _threshold("--noise-k", "Noise band in robust standard deviations [3].")
    history_size: int | None = _threshold(
        "--history-size", "Baseline = median of the last N runs [5]."
    )
    min_history: int | None = _threshold("--min-history", "Fewer accepted runs: inconclusive [3].")
    min_requests: int | None = _threshold(
        "--min-requests", "Fewer requests: inconclusive, not accepted [100]."
    )

    def overrides(self) -> dict[str, float | int | None]:
        """The :class:`~kindops.k6.settings.Limits` fields these options override."""
        return {
            "p95": self.p95,
            "p99": self.p99,
            "error_ratio": self.errors,
            "rps": self.rps,
            "checks": self.checks,
            "noise_k": self.noise_k,
            "history_size": self.history_size,
            "min_history": self.min_history,
            "min_requests": self.min_requests,
        }


NO_THRESHOLDS = Thresholds()


def threshold_options(command: Callable[..., None]) -> Callable[..., None]:
    """Declare the :class:`Thresholds` options in ``command``'s signature where its
    ``thresholds`` parameter is (``--help`` lists them there), and call ``command`` with the
    ``Thresholds`` they make. Typer reads the options from the signature, as for any command."""
    signature = inspect.signature(command)
    names = [f.name for f in fields(Thresholds)]
    if "thresholds" not in signature.parameters or set(names) & set(signature.parameters):
        raise TypeError(f"{command.__name__}: needs a thresholds parameter, and no threshold name")
    hints = get_type_hints(command)
    field_hints = get_type_hints(Thresholds)
    params: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        if param.name != "thresholds":
            params.append(param.replace(annotation=hints[param.name]))
            continue
        params += [
            inspect.Parameter(
                f.name, param.kind, default=f.metadata["option"], annotation=field_hints[f.name]
            )
            for f in fields(Thresholds)
        ]

    @functools.wraps(command)
    def wrapper(**options: Any) -> None:
        thresholds = Thresholds(**{name: options.pop(name) for name in names})
        command(**options, thresholds=thresholds)

    wrapper.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    setattr(wrapper, "__signature__", inspect.Signature(params, return_annotation=None))  # noqa: B010
    return wrapper


@app.command()
@threshold_options
def run(
    app_name: str = APP_OPTION,
    scenario: str = SCENARIO_OPTION,
    base_url: str = typer.Option(
        ..., "--base-url", metavar="URL", help="The app's base URL (k6's BASE_URL)."
    ),
    gate: bool = typer.Option(
        False, "--gate", help="Skip (exit 10) when the app's error budget is low."
    ),
    gate_min_remaining: float | None = typer.Option(
        None,
        "--gate-min-remaining",
        metavar="SHARE",
        help="With --gate: minimum share of budget left [KINDOPS_K6_GATE_MIN_REMAINING, 0.25].",
    ),
    gate_slo: list[str] | None = typer.Option(
        None, "--gate-slo", metavar="SLO", help="SLO the gate reads (repeatable; default: all)."
    ),
    env: list[str] | None = typer.Option(
        None, "--env", metavar="NAME=VALUE", help="Extra k6 environment (part of the profile)."
    ),
    probe: bool = typer.Option(
        True, "--probe/--no-probe", help="Check the app answers before running k6."
    ),
    thresholds: Thresholds = NO_THRESHOLDS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a scenario with k6, keep its summary, and judge it against the history."""
    outcome: list[Result] = []

    def job(ctx: Context) -> Result:
        minimum = gate_min_remaining
        if gate and minimum is None:
            minimum = load(K6Settings).k6_gate_min_remaining
        result = jobs.run(
            ctx,
            app_name,
            scenario,
            base_url,
            gate_min_remaining=minimum if gate else None,
            gate_slos=gate_slo or [],
            extra_env=env or [],
            probe=probe,
            overrides=thresholds.overrides(),
        )
        outcome.append(result)
        return result

    if gate_min_remaining is not None and not gate:
        _fail("--gate-min-remaining needs --gate")
    _execute_and_explain(f"k6.{app_name}.{scenario}", job, as_json, outcome)


def _execute_and_explain(
    name: str, job: Callable[[Context], Result], as_json: bool, outcome: list[Result]
) -> None:
    """``execute``, then, for a skip (exit 10: the gate closed; the result document says
    ``data.skipped``) or a bad verdict, one last line on stderr saying why (what the task's
    failure or skip message shows)."""
    try:
        execute(name, job, as_json)
    except typer.Exit as done:
        result = outcome[0] if outcome else None
        err = Console(stderr=True, soft_wrap=True)
        if result is not None and done.exit_code == ExitCode.SKIPPED:
            err.print(
                f"skipped (exit {int(ExitCode.SKIPPED)}): {result.summary}",
                markup=False,
                highlight=False,
            )
        if result is not None and done.exit_code == ExitCode.BAD_VERDICT:
            err.print(
                f"bad verdict (exit {int(ExitCode.BAD_VERDICT)}): {result.summary}",
                markup=False,
                highlight=False,
            )
        raise


@app.command("compare")
@threshold_options
def compare_cmd(
    app_name: str = APP_OPTION,
    scenario: str = SCENARIO_OPTION,
    summary: str = typer.Option(
        ...,
        "--summary",
        metavar="REF",
        help="k6 summary JSON: a local file, or an artifact key in the store.",
    ),
    profile: str = typer.Option(
        "default", "--profile", help="How the run was shaped; baselines never mix profiles."
    ),
    k6_exit_code: int | None = typer.Option(
        None, "--k6-exit-code", help="k6's exit code for that run (99: thresholds failed)."
    ),
    record: bool = typer.Option(
        True, "--record/--no-record", help="Record the run in the history (and accept it if good)."
    ),
    thresholds: Thresholds = NO_THRESHOLDS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Judge a k6 summary (handleSummary JSON) against the stored history of its app+scenario."""
    outcome: list[Result] = []

    def job(ctx: Context) -> Result:
        result = jobs.compare_summary(
            ctx,
            app_name,
            scenario,
            summary,
            profile=profile,
            k6_exit_code=k6_exit_code,
            record=record,
            overrides=thresholds.overrides(),
        )
        outcome.append(result)
        return result

    _execute_and_explain(f"k6.{app_name}.{scenario}", job, as_json, outcome)


@app.command("accept")
def accept_cmd(
    app_name: str = APP_OPTION,
    scenario: str = SCENARIO_OPTION,
    run_key: str = typer.Option(..., "--run", metavar="RUN_KEY", help="The run's key."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the history)."),
    rebaseline: bool = typer.Option(
        False, "--rebaseline", help="Baselines start again at this run (an intended change)."
    ),
    reject: bool = typer.Option(False, "--reject", help="Take the run out of the baseline."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Override a verdict: accept a run into the baseline (or reject one) by hand."""
    execute(
        "k6.accept",
        lambda ctx: jobs.accept(ctx, app_name, scenario, run_key, reason, rebaseline, reject),
        as_json,
    )


@app.command("report")
def report_cmd(
    app_names: list[str] = typer.Option(..., "--app", metavar="APP", help="App (repeatable)."),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", metavar="NAME", help="Scenario (repeatable) [smoke, load, stress]."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """This run's steps in one report (Markdown + HTML, trend plots); bad if any regressed,
    failed or did not run."""
    outcome: list[Result] = []

    def job(ctx: Context) -> Result:
        outcome.append(jobs.report(ctx, app_names, scenario or []))
        return outcome[0]

    _execute_and_explain(jobs.REPORT_JOB, job, as_json, outcome)


@app.command("configmap")
def configmap_cmd(
    source: str | None = typer.Option(
        None, "--scenarios", metavar="DIR", help="Scenarios folder [KINDOPS_K6_SCENARIOS]."
    ),
    output: Path | None = typer.Option(
        None, "--output", metavar="FILE", help="Write the ConfigMap here (default: stdout)."
    ),
    check: Path | None = typer.Option(
        None, "--check", metavar="FILE", help="Exit 1 if FILE differs from the scenarios."
    ),
) -> None:
    """Render the k6 scenarios as the ConfigMap task pods mount (or check a committed one)."""
    try:
        root = Path(source) if source else load(K6Settings).scenarios_root()
        text = scenarios.render_configmap(root)
        if check is not None:
            current = check.read_text(encoding="utf-8") if check.is_file() else ""
            if current != text:
                diff = difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    str(check),
                    "generated",
                    lineterm="",
                    n=0,
                )
                changed = sum(1 for line in diff if line[:1] in "+-") - 2
                _fail(
                    f"{check} is out of date with {root} ({max(changed, 1)} lines differ); "
                    f"run: kindops k6 configmap --output {check}",
                    code=1,
                )
            typer.echo(f"{check} matches {root}")
            return
        if output is None:
            typer.echo(text, nl=False)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=output.parent, prefix=".tmp-", delete=False, encoding="utf-8"
        ) as fh:
            fh.write(text)
        os.replace(fh.name, output)
        typer.echo(f"wrote {output}")
    except KindopsError as exc:
        _fail(exc.message, code=int(exc.exit_code))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}", code=3)


def _fail(message: str, code: int = 2) -> None:
    Console(stderr=True, soft_wrap=True).print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(code)
