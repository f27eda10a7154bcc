"""Every DAG file imports cleanly, reads no Variable/Connection at import and has tasks."""

from __future__ import annotations

from typing import Any

from tests.conftest import ROOT


def test_no_import_errors(dagbag_k8s: Any, dagbag_local: Any) -> None:
    assert dagbag_k8s.import_errors == {}
    assert dagbag_local.import_errors == {}


def test_every_dag_file_defines_one_dag(dagbag_k8s: Any) -> None:
    files = sorted(p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_"))
    assert files, "no DAG files found"
    assert sorted(dagbag_k8s.dags) == files, "each dags/<name>.py defines exactly the DAG <name>"


def test_dags_have_tasks(dagbag_k8s: Any) -> None:
    for dag_id, dag in dagbag_k8s.dags.items():
        assert dag.tasks, f"{dag_id} has no tasks"
        roots = [t for t in dag.tasks if not t.upstream_task_ids]
        assert roots, f"{dag_id}: no root task"
