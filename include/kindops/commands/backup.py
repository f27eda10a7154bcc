"""`kindops backup ...`: config backups of the cluster, Grafana and Argo CD.

Each command is a DAG task or an operator's tool (see ``kindops/backup/README.md``); the work is
in :mod:`kindops.backup.jobs`. The cluster comes from ``KINDOPS_KUBECONFIG``/``KUBECONFIG`` (else
the in-cluster service account), Grafana from ``KINDOPS_GRAFANA_URL`` + ``KINDOPS_GRAFANA_TOKEN``.
"""

from __future__ import annotations

from types import ModuleType

import typer

from kindops.result import JSON_OPTION, execute

RUN_JOB = "backup.run"


def jobs() -> ModuleType:
    """The job functions, imported on use: the Kubernetes client is slow to import, and
    ``kindops --help`` or other command groups should not pay for it."""
    from kindops.backup import jobs as module

    return module


app = typer.Typer(
    help="Config backups: run, verify, prune, list, restore-plan.", no_args_is_help=True
)

CONFIG_OPTION = typer.Option(
    None,
    "--config",
    metavar="PATH",
    help="Backup config (default: KINDOPS_BACKUP_CONFIG, else packaged).",
)
ARCHIVE_ARG = typer.Argument(
    None, metavar="[ARCHIVE]", help="Archive key, name in the backups folder, or local file."
)
LATEST_OPTION = typer.Option(False, "--latest", help="The newest archive in the store.")


@app.command()
def run(config: str | None = CONFIG_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Export the configured namespaces/kinds and Grafana into one dated archive (atomic)."""
    execute(RUN_JOB, lambda ctx: jobs().run(ctx, config), as_json)


@app.command()
def verify(
    archive: str | None = ARCHIVE_ARG,
    latest: bool = LATEST_OPTION,
    this_run: bool = typer.Option(False, "--run", help="This run's archive (KINDOPS_RUN_ID)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-read an archive and check every checksum against its manifest (exit 1 if corrupt)."""
    execute("backup.verify", lambda ctx: jobs().verify(ctx, archive, latest, this_run), as_json)


@app.command()
def prune(
    config: str | None = CONFIG_OPTION,
    apply: bool = typer.Option(
        False, "--apply/--dry-run", help="Delete for real (default: dry run, shows what and why)."
    ),
    daily: int | None = typer.Option(None, "--daily", min=0, help="Override retention.daily."),
    weekly: int | None = typer.Option(None, "--weekly", min=0, help="Override retention.weekly."),
    monthly: int | None = typer.Option(
        None, "--monthly", min=0, help="Override retention.monthly."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply GFS retention; the newest verified backup is always kept."""
    overrides = {"daily": daily, "weekly": weekly, "monthly": monthly}
    execute("backup.prune", lambda ctx: jobs().prune(ctx, config, apply, overrides), as_json)


@app.command("list")
def list_cmd(as_json: bool = JSON_OPTION) -> None:
    """List the archives, newest first, with their verification state."""
    execute("backup.list", lambda ctx: jobs().list_backups(ctx), as_json)


@app.command("restore-plan")
def restore_plan(
    archive: str | None = ARCHIVE_ARG,
    latest: bool = LATEST_OPTION,
    server_dry_run: bool = typer.Option(
        False,
        "--server-dry-run",
        help="Server-side dry-run apply of every object (needs patch rights in the cluster).",
    ),
    diff: bool = typer.Option(False, "--diff", help="Drift report against the live cluster."),
    force_conflicts: bool = typer.Option(
        False, "--force-conflicts", help="Dry-run with force=true (take over field ownership)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """The ordered apply plan of an archive; optionally dry-run it and diff it against live."""
    execute(
        "backup.restore-plan",
        lambda ctx: jobs().restore_plan(
            ctx, archive, latest, server_dry_run, diff, force_conflicts
        ),
        as_json,
    )
