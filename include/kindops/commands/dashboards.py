"""`kindops dashboards ...`: Grafana dashboards as code.

``generate`` is a repository tool (it writes the committed JSON, no result document). The
dashboards are in :mod:`kindops.dashboards`.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from kindops.dashboards import generate as dashboards_generate
from kindops.dashboards.catalog import CATALOG
from kindops.errors import ExitCode, KindopsError

app = typer.Typer(help="Grafana dashboards as code.", no_args_is_help=True)


@app.command()
def generate(
    out: Path = typer.Option(
        dashboards_generate.DEFAULT_OUT,
        "--out",
        metavar="DIR",
        help="Dashboards folder: writes <uid>.json there (it holds generated files only).",
    ),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if any JSON file differs from its code."
    ),
) -> None:
    """Render every dashboard of the catalog to Grafana JSON."""
    console = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        generation = dashboards_generate.plan(out, CATALOG)
        if check:
            diffs = generation.differences()
            for line in diffs:
                err.print(f"error: {line}", markup=False)
            if diffs:
                err.print(
                    "run `uv run kindops dashboards generate` and commit the result", markup=False
                )
                raise typer.Exit(int(ExitCode.BAD_VERDICT))
            console.print(f"{len(generation.files)} dashboards match their code", markup=False)
            return
        changes = generation.write()
    except KindopsError as exc:
        err.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(int(exc.exit_code)) from None
    for line in changes:
        console.print(line, markup=False)
    console.print(
        f"{len(generation.files)} dashboards up to date ({len(changes)} changed)", markup=False
    )
