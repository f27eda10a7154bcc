"""Airflow-side glue for kindops-lab DAGs: the task factory, the local runner, the contract with
the jobs image, and the listener that reports every task's outcome (``kindops_airflow.listener``,
loaded by the plugin ``kindops_outcomes``)."""

from kindops_airflow.config import RunnerConfig
from kindops_airflow.contract import ENDPOINTS, NO_RETRY, ExitCode
from kindops_airflow.factory import K6_SCENARIOS, MARKER_LABEL, MESH_LABEL, Resources, job_task
from kindops_airflow.local import LocalJobOperator

__all__ = [
    "ENDPOINTS",
    "K6_SCENARIOS",
    "MARKER_LABEL",
    "MESH_LABEL",
    "NO_RETRY",
    "ExitCode",
    "LocalJobOperator",
    "Resources",
    "RunnerConfig",
    "job_task",
]
