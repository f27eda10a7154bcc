"""The one CLI of the jobs package: ``kindops <group> <command> [args]``.

Each command group lives in its own module under ``kindops.commands``.
"""

from __future__ import annotations

import typer

from kindops import __version__
from kindops.commands import aws, backup, cost, dashboards, gameday, k6, slo

app = typer.Typer(
    name="kindops",
    help="kindops-lab SRE jobs. Exit codes: 0 ok, 1 bad verdict, 2 bad input, 3 unreachable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(aws.app, name="aws")
app.add_typer(slo.app, name="slo")
app.add_typer(dashboards.app, name="dashboards")
app.add_typer(backup.app, name="backup")
app.add_typer(cost.app, name="cost")
app.add_typer(k6.app, name="k6")
app.add_typer(gameday.app, name="gameday")


@app.command()
def version() -> None:
    """Print the jobs package version."""
    typer.echo(__version__)


def main() -> None:
    app()
