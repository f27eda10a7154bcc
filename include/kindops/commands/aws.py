"""`kindops aws ...`: lab AWS cleanup and budget checks.

Each command is one DAG task (see ``kindops/aws/README.md``); the work is in
:mod:`kindops.aws.jobs`. AWS access follows the standard AWS environment (``AWS_PROFILE``,
``AWS_REGION``, ``AWS_ENDPOINT_URL`` for a local AWS-API server). The job module (and boto3)
is imported inside each command so other ``kindops`` commands do not pay for it.
"""

from __future__ import annotations

import typer

from kindops.result import JSON_OPTION, execute

app = typer.Typer(
    help="Lab AWS resources: cleanup plan/apply and budget checks.", no_args_is_help=True
)

RULES_OPTION = typer.Option(
    None,
    "--rules",
    "--config",
    metavar="PATH",
    help="Rules file (default: KINDOPS_AWS_RULES, else the packaged one).",
)
REGION_OPTION = typer.Option(
    None, "--region", metavar="REGION", help="Limit to this configured region (repeatable)."
)


@app.command()
def inventory(
    rules: str | None = RULES_OPTION,
    region: list[str] | None = REGION_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List the lab's resources in every configured region (writes inventory.json)."""
    from kindops.aws import jobs

    execute("aws.inventory", lambda ctx: jobs.inventory(ctx, rules, region), as_json)


@app.command()
def cleanup(
    rules: str | None = RULES_OPTION,
    region: list[str] | None = REGION_OPTION,
    inventory_ref: str | None = typer.Option(
        None,
        "--inventory",
        metavar="REF",
        help="Plan from a stored inventory: artifact key, 'run' or a file name of this run.",
    ),
    plan_ref: str | None = typer.Option(
        None,
        "--plan",
        metavar="REF",
        help="With --apply: execute a stored plan (artifact key, 'run' or a file name of this "
        "run) after re-checking it live.",
    ),
    apply: bool = typer.Option(
        False,
        "--apply",
        help="Delete for real (account and region must be allowed). Default: dry run.",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        metavar="TIME",
        help="Preview the plan at another time (RFC 3339); not with --apply.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Plan the cleanup (dry run), or with --apply delete what still qualifies."""
    from kindops.aws import jobs

    job = "aws.cleanup.apply" if apply else "aws.cleanup"
    execute(
        job,
        lambda ctx: jobs.cleanup(ctx, rules, region, inventory_ref, plan_ref, apply, as_of),
        as_json,
    )


@app.command()
def report(
    plan_ref: str = typer.Option(
        "run",
        "--plan",
        metavar="REF",
        help="Plan to report on (artifact key, 'run' or a file name of this run).",
    ),
    apply_ref: str | None = typer.Option(
        None,
        "--apply-result",
        metavar="REF",
        help="Apply result to include (default: this run's, if apply ran).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write report.json + report.md; bad if deletions failed or tags are unreadable."""
    from kindops.aws import jobs

    execute("aws.report", lambda ctx: jobs.report(ctx, plan_ref, apply_ref), as_json)


@app.command()
def budget(
    rules: str | None = RULES_OPTION,
    threshold: float | None = typer.Option(
        None,
        "--threshold",
        metavar="PERCENT",
        help="Bad verdict at or above this % of a budget (default: the rules file's).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check actual and forecast spend against the lab's AWS Budgets."""
    from kindops.aws import jobs

    execute("aws.budget", lambda ctx: jobs.budget(ctx, rules, threshold), as_json)


@app.command("ensure-budgets")
def ensure_budgets(rules: str | None = RULES_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Create the configured budgets if missing (idempotent)."""
    from kindops.aws import jobs

    execute("aws.ensure-budgets", lambda ctx: jobs.ensure_budgets(ctx, rules), as_json)


@app.command()
def restore(
    audit_entry: str | None = typer.Option(
        None, "--audit-entry", metavar="ID", help="Audit entry of the deletion to undo."
    ),
    list_entries: bool = typer.Option(False, "--list", help="List restorable audit entries."),
    as_recorded: bool = typer.Option(
        False,
        "--as-recorded",
        help="Restore the tags exactly as recorded (default adds keep=true so the next cleanup "
        "does not delete it again).",
    ),
    rules: str | None = RULES_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Recreate a deleted queue, table (from its backup), log group, repository or bucket."""
    from kindops.aws import jobs

    execute(
        "aws.restore",
        lambda ctx: jobs.restore_entry(ctx, rules, audit_entry, list_entries, as_recorded),
        as_json,
    )


@app.command("seed-demo")
def seed_demo(
    rules: str | None = RULES_OPTION,
    actual: float = typer.Option(3.10, "--actual-spend", help="Budgets' actual spend (USD)."),
    forecast: float = typer.Option(4.35, "--forecast-spend", help="Budgets' forecast spend (USD)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Seed a mixed demo inventory into a LOCAL AWS-API server (refuses anything else)."""
    from kindops.aws import jobs

    execute("aws.seed-demo", lambda ctx: jobs.seed_demo(ctx, rules, actual, forecast), as_json)
