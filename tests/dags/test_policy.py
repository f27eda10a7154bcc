"""Policy over all DAGs: the STYLE.md header, approved tags, retries, factory-built job tasks."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from typing import Any

import pytest

from kindops_airflow import MARKER_LABEL, LocalJobOperator
from kindops_airflow.conventions import APPROVED_TAGS, OWNERS
from tests.conftest import ROOT

HEADER_KEYWORDS = {
    "dag_id",
    "schedule",
    "start_date",
    "catchup",
    "max_active_runs",
    "doc_md",
    "tags",
    "default_args",
    "params",
}
ALLOWED_PLAIN_OPERATORS = {"EmptyOperator"}


def dag_decorator_keywords(path: str) -> set[str]:
    tree = ast.parse((ROOT / "dags" / path).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "dag":
                    return {k.arg for k in deco.keywords if k.arg}
    raise AssertionError(f"{path}: no @dag(...) decorator")


@pytest.fixture(scope="module")
def bag(dagbag_k8s: Any) -> Any:
    return dagbag_k8s


def test_header_is_complete(bag: Any) -> None:
    for dag_id, dag in bag.dags.items():
        missing = HEADER_KEYWORDS - dag_decorator_keywords(f"{dag_id}.py")
        assert not missing, f"{dag_id}: @dag header lacks {sorted(missing)}"
        assert dag.start_date is not None and dag.start_date.tzinfo is not None, dag_id
        assert dag.catchup is False, dag_id
        assert 1 <= dag.max_active_runs <= 3, dag_id


def test_doc_is_an_operator_page(bag: Any) -> None:
    for dag_id, dag in bag.dags.items():
        doc = dag.doc_md or ""
        assert len(doc) > 200, f"{dag_id}: doc_md=__doc__ must describe the DAG"
        for needed in ("Inputs", "Outputs", "Needs", "Idempotency:"):
            assert needed in doc, f"{dag_id}: doc lacks {needed!r}"


def test_tags_owner_retries_timeout(bag: Any) -> None:
    for dag_id, dag in bag.dags.items():
        assert dag.tags and set(dag.tags) <= APPROVED_TAGS, f"{dag_id}: tags {dag.tags}"
        args = dag.default_args
        assert args.get("owner") in OWNERS, f"{dag_id}: owner"
        assert isinstance(args.get("retries"), int) and args["retries"] >= 1, f"{dag_id}: retries"
        assert isinstance(args.get("execution_timeout"), timedelta), f"{dag_id}: timeout"


def test_params_are_typed(bag: Any) -> None:
    for dag_id, dag in bag.dags.items():
        for name, param in dag.params.items():
            schema = dag.params.get_param(name).schema
            assert "type" in schema, f"{dag_id}: param {name} has no type"
            assert param is not None or "null" in str(schema["type"]), f"{dag_id}: {name} default"


def test_dags_name_endpoints_and_never_read_their_variables() -> None:
    """Endpoints are ``job_task(..., endpoints=[...])``: the factory reads the Variable, the job
    holds the default; a DAG never templates ``kindops_<name>_url`` itself."""
    pattern = re.compile(r"""var\.value\.get\(\s*['"]kindops_\w+_url""")
    offenders = {
        path.name: pattern.findall(path.read_text())
        for path in sorted((ROOT / "dags").glob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    assert pattern.search("{{ var.value.get('kindops_prometheus_url', 'http://p:9090') }}")


def test_dags_do_not_branch_on_the_runner() -> None:
    """What differs between the runners is the factory's business (``cluster_only_args``,
    ``secret_env``, ``service_account``...): a DAG is the same file on both."""
    for path in sorted((ROOT / "dags").glob("*.py")):
        text = path.read_text()
        assert "RunnerConfig" not in text and "KINDOPS_RUNNER" not in text, path.name


def test_every_job_task_is_built_by_the_factory(dagbag_k8s: Any, dagbag_local: Any) -> None:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    for dag_id, dag in dagbag_k8s.dags.items():
        pods = set()
        for task in dag.tasks:
            assert not isinstance(task, LocalJobOperator), f"{dag_id}.{task.task_id}"
            if isinstance(task, KubernetesPodOperator):
                assert task.labels.get(MARKER_LABEL) == "job_task", (
                    f"{dag_id}.{task.task_id}: pod task not built by kindops_airflow.job_task"
                )
                pods.add(task.task_id)
            else:
                kind = type(task).__name__
                is_taskflow = kind.startswith("_") and "Decorated" in kind
                assert is_taskflow or kind in ALLOWED_PLAIN_OPERATORS, (
                    f"{dag_id}.{task.task_id}: {kind}; jobs run through job_task, glue is @task"
                )
        local = {
            t.task_id for t in dagbag_local.dags[dag_id].tasks if isinstance(t, LocalJobOperator)
        }
        assert local == pods, f"{dag_id}: the local runner must run the same tasks as pods"
        assert not any(
            isinstance(t, KubernetesPodOperator) for t in dagbag_local.dags[dag_id].tasks
        )
