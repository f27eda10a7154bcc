"""Airflow-side glue for kindops-lab DAGs: the task factory and the local runner."""

from kindops_airflow.config import RunnerConfig
from kindops_airflow.factory import MARKER_LABEL, Resources, job_task
from kindops_airflow.local import LocalJobOperator

__all__ = ["MARKER_LABEL", "LocalJobOperator", "Resources", "RunnerConfig", "job_task"]
