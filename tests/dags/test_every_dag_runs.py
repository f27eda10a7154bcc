"""Every DAG has an end-to-end `airflow dags test` on the local runner in tests/dags/run/."""

from __future__ import annotations

from tests.conftest import ROOT


def test_every_dag_has_a_local_run_test() -> None:
    dags = {p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_")}
    runs = {p.stem.removeprefix("test_") for p in (ROOT / "tests/dags/run").glob("test_*.py")}
    assert dags, "no DAGs"
    assert dags <= runs, f"DAGs without a dags-test run: {sorted(dags - runs)}"
