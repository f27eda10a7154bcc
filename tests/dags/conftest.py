from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ROOT


def load_dagbag(runner: str) -> Any:
    """Parse every DAG file with the given runner, failing on any Variable/Connection read."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import Connection, Variable

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a DAG read a Variable or Connection at import time")

    mp = pytest.MonkeyPatch()
    mp.setenv("KINDOPS_RUNNER", runner)
    mp.setattr(Variable, "get", refuse)
    mp.setattr(Connection, "get", refuse)
    try:
        return DagBag(dag_folder=str(ROOT / "dags"))
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def dagbag_k8s() -> Any:
    return load_dagbag("kubernetes")


@pytest.fixture(scope="session")
def dagbag_local() -> Any:
    return load_dagbag("local")


@pytest.fixture()
def env_restore() -> Iterator[Callable[[str, str], None]]:
    saved = dict(os.environ)

    def setenv(key: str, value: str) -> None:
        os.environ[key] = value

    yield setenv
    os.environ.clear()
    os.environ.update(saved)
