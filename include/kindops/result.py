"""Result documents: what every command returns, prints with ``--json`` and stores.

A result document is JSON with a schema version, the job name, the run key, a verdict and the
job's own data. It is written to the artifact store under ``<job>/<run key>/result.json`` and,
when ``KINDOPS_XCOM_PATH`` is set (Airflow), there too — that is the task's XCom value.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import typer
from rich.console import Console

from kindops import logs
from kindops.artifacts import ArtifactStore
from kindops.errors import ExitCode, KindopsError
from kindops.settings import KindopsSettings, load

SCHEMA_VERSION = 1
log = logging.getLogger("kindops")

Verdict = Literal["ok", "bad"]


def now() -> datetime:
    return datetime.now(UTC)


def run_key(run_id: str, at: datetime | None = None) -> str:
    """A store-safe key for a run: the sanitised run id, else the UTC time."""
    if run_id:
        key = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._-")
        if key:
            return key
    return (at or now()).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class Result:
    job: str
    verdict: Verdict
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    #: The step did not run on purpose (a closed gate): verdict "ok", exit 10.
    skipped: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if self.verdict != "ok":
            return ExitCode.BAD_VERDICT
        return ExitCode.SKIPPED if self.skipped else ExitCode.OK


@dataclass
class Context:
    """What a job function receives: settings, the store, and this run's key."""

    settings: KindopsSettings
    store: ArtifactStore
    run_key: str
    started_at: datetime

    def key(self, job: str, name: str) -> str:
        """The key of ``name`` for ``job`` in this run: ``aws-cleanup/<run>/plan.json``."""
        return f"{job.replace('.', '-')}/{self.run_key}/{name}"


def make_context() -> Context:
    settings = load(KindopsSettings)
    started = now()
    return Context(
        settings, ArtifactStore(settings.artifacts), run_key(settings.run_id, started), started
    )


def document(result: Result, ctx: Context) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "job": result.job,
        "run_key": ctx.run_key,
        "started_at": ctx.started_at.isoformat(),
        "finished_at": now().isoformat(),
        "verdict": result.verdict,
        "exit_code": int(result.exit_code),
        "summary": result.summary,
        "artifacts": result.artifacts,
        "data": result.data,
    }


def _push_task_outcome(exit_code: int) -> None:
    """Inside a DAG task with a Pushgateway configured, record the task's outcome as the job
    saw it (its exit code).

    Feeds ``KindopsWorkflowFailed`` together with Airflow's own report of the task, which also
    covers a job that never got here (killed, timed out); the newer report wins (ADR 0010). A
    Pushgateway that is down never fails the job itself, nor does a configuration too broken to
    say where the Pushgateway is.
    """
    try:
        url = load(KindopsSettings).pushgateway_url
    except KindopsError:
        return
    run_id = os.environ.get("KINDOPS_RUN_ID", "")
    task_id = os.environ.get("KINDOPS_TASK_ID", "")
    if not (url and task_id and "/" in run_id):
        return
    from kindops.pushgateway import push_task_outcome

    try:
        failed = exit_code not in (ExitCode.OK, ExitCode.SKIPPED)
        push_task_outcome(url, run_id.split("/", 1)[0], task_id, failed=failed)
    except KindopsError as exc:
        log.warning("task outcome not pushed", extra={"reason": exc.message})


def execute(job: str, fn: Callable[[Context], Result], as_json: bool) -> None:
    """Run a job function as a CLI command: logs, errors to one line, result out, exit code."""
    console = Console(stderr=False, soft_wrap=True)
    err = Console(stderr=True, soft_wrap=True)
    try:
        ctx = make_context()
        logs.setup(ctx.settings.log_level)
        log.info("job started", extra={"job": job, "run_key": ctx.run_key})
        result = fn(ctx)
        doc = document(result, ctx)
        result_key = ctx.key(job, "result.json")
        doc["artifacts"]["result"] = ctx.store.url(result_key)
        ctx.store.write_json(result_key, doc)
        if ctx.settings.xcom_path:
            xcom = Path(ctx.settings.xcom_path)
            xcom.parent.mkdir(parents=True, exist_ok=True)
            xcom.write_text(json.dumps(doc, default=str))
    except KindopsError as exc:
        err.print(f"error: {exc.message}", markup=False, highlight=False)
        _push_task_outcome(int(exc.exit_code))
        raise typer.Exit(int(exc.exit_code)) from None
    log.info("job finished", extra={"job": job, "verdict": result.verdict})
    _push_task_outcome(int(result.exit_code))
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    else:
        style = "green" if result.verdict == "ok" else "bold red"
        console.print(f"[{style}]{result.verdict.upper()}[/] {job}: ", end="")
        console.print(result.summary, markup=False, highlight=False)
        for name, url in sorted(doc["artifacts"].items()):
            console.print(f"  {name}: {url}", markup=False, highlight=False)
    raise typer.Exit(int(result.exit_code))


JSON_OPTION = typer.Option(False, "--json", help="Print the result document as JSON on stdout.")
