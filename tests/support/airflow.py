"""`airflow dags test` for real: the DAG runs in a subprocess with the local runner."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pendulum

from tests.conftest import AIRFLOW_ENV, ROOT

AIRFLOW = str(Path(sys.executable).parent / "airflow")
#: The logical date templates are rendered for offline.
LOGICAL_DATE = pendulum.datetime(2026, 1, 5, tz="UTC")
_migrated: set[str] = set()


@dataclass
class DagRun:
    dag_id: str
    returncode: int
    output: str
    states: dict[str, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **AIRFLOW_ENV, "KINDOPS_RUNNER": "local", **extra}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def migrate(extra: dict[str, str] | None = None) -> None:
    """Create the Airflow metadata DB once per home."""
    env = _env(extra or {})
    home = env["AIRFLOW_HOME"]
    if home in _migrated:
        return
    proc = subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    _migrated.add(home)


def dags_test(
    dag_id: str,
    logical_date: str,
    env: dict[str, str],
    conf: dict[str, object] | None = None,
    timeout: int = 900,
) -> DagRun:
    """Run ``airflow dags test`` and read back every task's final state."""
    migrate(env)
    full = _env(env)
    args = [AIRFLOW, "dags", "test", dag_id, logical_date]
    if conf:
        args += ["-c", json.dumps(conf)]
    proc = subprocess.run(args, env=full, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    run = DagRun(dag_id, proc.returncode, proc.stdout + proc.stderr)
    db = full["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT run_id FROM dag_run WHERE dag_id=? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        if row:
            run.states = dict(
                conn.execute(
                    "SELECT task_id, state FROM task_instance WHERE dag_id=? AND run_id=?",
                    (dag_id, row[0]),
                ).fetchall()
            )
    return run


class Variables:
    """``var.value`` of a template context in which only ``values`` exist as Variables."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def render_fields(task: Any, variables: dict[str, str] | None = None) -> None:
    """Render ``task``'s template fields in place as a run of :data:`LOGICAL_DATE` would, with
    only ``variables`` existing as Airflow Variables (offline: no metadata DB)."""
    dag = task.dag
    task.render_template_fields(
        {
            "dag": dag,
            "task": task,
            "params": dag.params.dump() if dag is not None else {},
            "logical_date": LOGICAL_DATE,
            "dag_run": SimpleNamespace(run_after=LOGICAL_DATE),
            "var": SimpleNamespace(value=Variables(variables or {})),
        }
    )
