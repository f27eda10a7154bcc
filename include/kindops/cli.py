"""The one CLI of the jobs package: ``kindops <group> <command> [args]``.

Each command group lives in its own module under ``kindops.commands``.
"""

from __future__ import annotations

import typer

from kindops import __version__
from kindops.commands import aws

app = typer.Typer(
    name="kindops",
    help="kindops-lab SRE jobs. Exit codes: 0 ok, 1 bad verdict, 2 bad input, 3 unreachable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(aws.app, name="aws")


@app.command()
def version() -> None:
    """Print the jobs package version."""
    typer.echo(__version__)


def main() -> None:
    app()
