"""`kindops gameday ...`: chaos game days under load, judged on steady-state probes and SLO burn.

The work is in :mod:`kindops.gameday` (see ``kindops/gameday/README.md``). Exit codes: 0 every
scenario held its hypothesis; 1 a hypothesis failed, a safeguard aborted, an action failed or
the run was interrupted (the journal and evidence are written anyway); 2 bad input or the guard
refused (nothing injected); 3 a dependency (Prometheus, Kubernetes API, store) is unreachable.
"""

from __future__ import annotations

import signal
import sys
import time

import typer
from rich.console import Console

from kindops import logs
from kindops.errors import KindopsError
from kindops.result import JSON_OPTION, Context, Result, execute

app = typer.Typer(
    help="Game days: chaos scenarios under k6 load, steady-state probes, abort, rollback, "
    "evidence and a postmortem draft.",
    no_args_is_help=True,
)

SCENARIO_OPTION = typer.Option(
    ...,
    "--scenario",
    metavar="NAME",
    help="Catalog scenario (repeatable, comma lists allowed, 'all' for the catalog).",
)


def _seconds(value: str | None, option: str) -> float | None:
    if value is None or value == "":
        return None
    from kindops.errors import ConfigError
    from kindops.gameday.catalog import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Validate the scenario catalog and list its scenarios."""
    from kindops.gameday import jobs

    execute("gameday.list", jobs.list_scenarios, as_json)


@app.command()
def render(scenario: list[str] = SCENARIO_OPTION) -> None:
    """Print the LitmusChaos ChaosEngine(s) the cluster runner would create (YAML)."""
    from kindops.gameday import jobs
    from kindops.result import make_context

    try:
        typer.echo(jobs.render(make_context(), scenario), nl=False)
    except KindopsError as exc:
        Console(stderr=True).print(f"error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(int(exc.exit_code)) from None


@app.command()
def run(
    scenario: list[str] = SCENARIO_OPTION,
    runner: str = typer.Option(
        "cluster",
        "--runner",
        metavar="local|cluster",
        help="cluster: LitmusChaos in a kind lab cluster; local: processes and fault flags on "
        "this machine (kindops gameday lab).",
    ),
    min_budget: float | None = typer.Option(
        None,
        "--min-budget",
        metavar="SHARE",
        help="Refuse when an SLO of the target has less error budget left [0.25, "
        "KINDOPS_GAMEDAY_MIN_BUDGET]; above 0.",
    ),
    allow_zero_min_budget: bool = typer.Option(
        False,
        "--allow-zero-min-budget/--keep-min-budget",
        help="Accept a floor of 0 (the game day may spend the last of the error budget); "
        "recorded in the journal and logged as a warning.",
    ),
    warmup: str | None = typer.Option(
        None, "--warmup", metavar="DURATION", help="Override the load warm-up (e.g. 5s)."
    ),
    fault_duration: str | None = typer.Option(
        None, "--fault-duration", metavar="DURATION", help="Override the fault's duration."
    ),
    recovery_timeout: str | None = typer.Option(
        None, "--recovery-timeout", metavar="DURATION", help="Override the recovery timeout."
    ),
    vus: int = typer.Option(0, "--vus", min=0, help="Override the k6 VUs (0: the scenario's)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run scenario(s): guard, load, steady state, inject, abort/rollback, evidence."""
    from kindops.errors import ConfigError
    from kindops.gameday import jobs

    def job(ctx: Context) -> Result:
        if runner not in ("local", "cluster"):
            raise ConfigError(f"--runner {runner!r}: expected local or cluster")
        timing = jobs.Timing(
            warmup=_seconds(warmup, "--warmup"),
            fault_duration=_seconds(fault_duration, "--fault-duration"),
            recovery_timeout=_seconds(recovery_timeout, "--recovery-timeout"),
            vus=vus or None,
        )
        return jobs.run(
            ctx,
            scenario,
            "local" if runner == "local" else "cluster",
            min_budget,
            timing,
            allow_zero_min_budget=allow_zero_min_budget,
        )

    execute("gameday", job, as_json)


@app.command()
def publish(scenario: list[str] = SCENARIO_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Index this run's evidence (index.md); bad when a scenario failed or left no journal."""
    from kindops.gameday import jobs

    execute("gameday.publish", lambda ctx: jobs.publish(ctx, scenario), as_json)


@app.command()
def lab(
    app_name: list[str] = typer.Option(
        ["app-python"], "--app", metavar="APP", help="app-python and/or app-java (repeatable)."
    ),
    workdir: str | None = typer.Option(
        None, "--workdir", metavar="DIR", help="Logs, pidfiles, TSDB (default: a temp folder)."
    ),
) -> None:
    """Start the local game-day lab until Ctrl-C (apps, supervisor, collector, Prometheus).

    Prints the environment for `kindops gameday run --runner local` (also in <workdir>/lab.env).
    """
    from kindops.gameday.jobs import lab_workdir
    from kindops.gameday.lab import LocalLab

    console = Console(soft_wrap=True)
    logs.setup("INFO")
    stop = {"now": False}

    def on_signal(_signum: int, _frame: object) -> None:
        stop["now"] = True

    try:
        with LocalLab(lab_workdir(workdir), app_name) as local_lab:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, on_signal)
            info = local_lab.describe()
            console.print("local game-day lab is up:", markup=False)
            for key, value in info.items():
                console.print(f"  {key}: {value}", markup=False, highlight=False)
            console.print(f"\nsource {info['env_file']}   # then, in another shell:", markup=False)
            console.print(
                "kindops gameday run --runner local --scenario app-python-error-rate", markup=False
            )
            sys.stdout.flush()
            while not stop["now"]:
                time.sleep(0.5)
    except KindopsError as exc:
        Console(stderr=True).print(f"error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(int(exc.exit_code)) from None
