"""`kindops slo ...`: SLO specs to Prometheus rules, error-budget reports and gates.

``generate`` and ``prometheusrules`` are repository tools (they write committed files, no result
document); ``report``
and ``budget`` are jobs (result documents, artifacts, exit codes). The work is in
:mod:`kindops.slo` (see ``kindops/slo/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from kindops import generated
from kindops.result import JSON_OPTION, execute
from kindops.slo import generate as slo_generate
from kindops.slo import jobs, operator
from kindops.slo.budget import DEFAULT_SPECS

app = typer.Typer(
    help="SLOs as code: generate rules from specs, report and gate on error budgets.",
    no_args_is_help=True,
)

SPECS_OPTION = typer.Option(
    None,
    "--specs",
    metavar="DIR",
    help="SLO specs folder (default: KINDOPS_SLO_SPECS, else observability/slos).",
)
AT_OPTION = typer.Option(
    None, "--at", metavar="TIME", help="End of the measured period (RFC 3339; default: now)."
)


@app.command()
def generate(
    specs: Path = typer.Option(
        Path(DEFAULT_SPECS), "--specs", metavar="DIR", help="SLO specs folder."
    ),
    out: Path = typer.Option(
        Path("observability/prometheus/rules"),
        "--out",
        metavar="DIR",
        help="Rules folder: writes slo-<service>.yaml there.",
    ),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if any rule file differs from its spec."
    ),
) -> None:
    """Turn SLO specs into Prometheus recording and burn-rate alert rules."""
    generated.run(
        lambda: slo_generate.plan(specs, out),
        check=check,
        files="rule files",
        match="match their specs",
        command="kindops slo generate",
    )


@app.command()
def prometheusrules(
    rules: Path = typer.Option(
        Path(operator.DEFAULT_RULES), "--rules", metavar="DIR", help="Prometheus rule files."
    ),
    out: Path = typer.Option(
        Path(operator.DEFAULT_OUT),
        "--out",
        metavar="DIR",
        help="Writes one PrometheusRule per rule file there, and their kustomization.yaml.",
    ),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if any object differs from its rule file."
    ),
) -> None:
    """Wrap every rule file as a prometheus-operator PrometheusRule (how the cluster loads it)."""
    generated.run(
        lambda: operator.plan(rules, out),
        check=check,
        files="PrometheusRule files",
        match="match their rule files",
        command="kindops slo prometheusrules",
    )


@app.command()
def report(
    service: list[str] | None = typer.Option(
        None, "--service", metavar="NAME", help="Only this service (repeatable; empty = all)."
    ),
    at: str | None = AT_OPTION,
    specs: str | None = SPECS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Budget consumed and left per SLO (JSON, Markdown, burn-down PNGs); bad if one is
    exhausted."""
    execute("slo.report", lambda ctx: jobs.report(ctx, service, at, specs), as_json)


@app.command()
def budget(
    service: str = typer.Argument(..., help="Service of the SLO spec, e.g. app-python."),
    slo: str = typer.Argument(..., help="SLO name, e.g. availability."),
    min_remaining: float = typer.Option(
        0.0,
        "--min-remaining",
        metavar="SHARE",
        help="Bad verdict below this share of budget left (0.25 = 25 %); always bad at 0.",
    ),
    at: str | None = AT_OPTION,
    specs: str | None = SPECS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Error budget left for one SLO: the gate before a load test or a game day."""
    execute(
        "slo.budget", lambda ctx: jobs.budget(ctx, service, slo, min_remaining, at, specs), as_json
    )
