"""`kindops dashboards ...`: Grafana dashboards as code.

``generate`` is a repository tool (it writes the committed JSON, no result document). The
dashboards are in :mod:`kindops.dashboards`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kindops import generated
from kindops.dashboards import generate as dashboards_generate
from kindops.dashboards.catalog import CATALOG

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
    generated.run(
        lambda: dashboards_generate.plan(out, CATALOG),
        check=check,
        files="dashboards",
        match="match their code",
        command="kindops dashboards generate",
    )
