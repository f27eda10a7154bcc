"""Airflow-side glue for kindops-lab DAGs: the task factory, the local runner and the contract
with the jobs image."""

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
