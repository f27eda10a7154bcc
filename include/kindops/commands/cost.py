"""`kindops cost ...`: the nightly OpenCost review, and a local OpenCost for the demo.

The work is in :mod:`kindops.cost.jobs` (see ``kindops/cost/README.md``). Environment:
``KINDOPS_OPENCOST_URL`` (required), ``KINDOPS_PUSHGATEWAY_URL`` and
``KINDOPS_ALERTMANAGER_URL`` (optional), ``KINDOPS_ARTIFACTS``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import typer
from rich.console import Console

from kindops.cost import jobs
from kindops.cost.analysis import Rules
from kindops.cost.demo import DemoOpenCost, Scenario
from kindops.errors import ExitCode
from kindops.result import JSON_OPTION, execute

app = typer.Typer(
    help="Cost: the nightly OpenCost review (cost per namespace, deployment, "
    "label; explained anomalies).",
    no_args_is_help=True,
)


@app.command()
def review(
    day: str | None = typer.Option(
        None, "--day", metavar="YYYY-MM-DD", help="UTC day to review (default: yesterday)."
    ),
    window_days: int = typer.Option(
        7, "--window-days", min=1, max=90, help="Trailing days the day is compared with."
    ),
    aggregate: list[str] | None = typer.Option(
        None,
        "--aggregate",
        metavar="DIM",
        help="Dimension (repeatable): namespace, deployment, label:<name>, or an OpenCost "
        "aggregate. Default: namespace, deployment, label:team, label:app.",
    ),
    z_threshold: float = typer.Option(
        3.5, "--z-threshold", min=0.5, help="Modified z-score from which a change is unusual."
    ),
    floor_usd: float = typer.Option(
        0.50, "--floor-usd", min=0.0, help="Smallest daily change (USD) that can be an anomaly."
    ),
    floor_ratio: float = typer.Option(
        0.25, "--floor-ratio", min=0.0, help="Smallest change as a share of the baseline median."
    ),
    min_history: int = typer.Option(
        5, "--min-history", min=1, help="Usable baseline days needed for a verdict."
    ),
    min_coverage: float = typer.Option(
        0.9,
        "--min-coverage",
        min=0.0,
        max=1.0,
        help="Share of a day its data must cover to be used.",
    ),
    both_directions: bool = typer.Option(
        False, "--both-directions", help="Also flag drops (default: increases only)."
    ),
    alert: bool = typer.Option(
        True,
        "--alert/--no-alert",
        help="Send CostAnomaly alerts (when KINDOPS_ALERTMANAGER_URL is set).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Review a day's cost per namespace, deployment and label against its trailing window;
    bad (exit 1) when a group's spend is an anomaly."""
    rules = Rules(
        z_threshold=z_threshold,
        floor_usd=floor_usd,
        floor_ratio=floor_ratio,
        min_history=min_history,
        min_coverage=min_coverage,
        direction="both" if both_directions else "up",
    )
    execute(
        jobs.JOB, lambda ctx: jobs.review(ctx, day, window_days, aggregate, rules, alert), as_json
    )


@app.command("demo-opencost")
def demo_opencost(
    port: int = typer.Option(9003, "--port", min=0, max=65535, help="Port on 127.0.0.1."),
    spike: list[str] | None = typer.Option(
        None,
        "--spike",
        metavar="NAMESPACE@DAY=FACTOR",
        help="Multiply a namespace's CPU on a day (e.g. kindops-apps@2026-11-01=4); "
        "DAY may be 'yesterday'.",
    ),
    unpriced: bool = typer.Option(
        False, "--unpriced", help="Serve every cost as 0 (OpenCost without pricing)."
    ),
) -> None:
    """Serve a local OpenCost allocation API with the lab's synthetic workloads (Ctrl-C stops)."""
    err = Console(stderr=True)
    spikes: dict[tuple[str, date], float] = {}
    for item in spike or []:
        try:
            where, _, factor = item.partition("=")
            namespace, _, day_text = where.partition("@")
            day = (
                datetime.now(UTC).date() - timedelta(days=1)
                if day_text == "yesterday"
                else date.fromisoformat(day_text)
            )
            spikes[(namespace, day)] = float(factor)
            if not namespace or spikes[(namespace, day)] <= 0:
                raise ValueError
        except ValueError:
            err.print(
                f"error: --spike {item!r}: expected NAMESPACE@YYYY-MM-DD=FACTOR",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
    try:
        server = DemoOpenCost(Scenario(spikes=spikes, priced=not unpriced), port)
    except OSError as exc:
        err.print(f"error: cannot listen on 127.0.0.1:{port}: {exc}", markup=False, highlight=False)
        raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
    Console().print(
        f"demo OpenCost allocation API on {server.url} "
        f"(KINDOPS_OPENCOST_URL={server.url}); Ctrl-C stops",
        markup=False,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
