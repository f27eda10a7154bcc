"""The workflow-health metrics every kindops job pushes, and the push itself.

Contract (``observability/README.md``, "Metrics the jobs push"; alerts ``KindopsJobStale`` and
``KindopsWorkflowFailed``):

* ``kindops_job_last_success_timestamp_seconds`` — Unix time of the job's last good run, in the
  Pushgateway group ``job=<job name>`` (``slo-report``, ``k6-baseline``, ``cost-review``, ...);
* ``kindops_job_last_run_failed`` (1 failed / 0 succeeded) and
  ``kindops_job_last_run_timestamp_seconds``, per DAG task, in the group
  ``job=kindops-tasks, dag_id=<dag>, task_id=<task>``: the job's own report of how the task
  ended. Airflow reports the same task in its own group ``job=airflow-tasks`` (the listener in
  ``plugins/kindops_airflow/listener.py``, with the same help texts) and the alert reads the
  newer of the two (ADR 0010).

Pushes are POSTs (push-add): metrics of the group not pushed this time are kept.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, pushadd_to_gateway

from kindops.errors import DependencyError

log = logging.getLogger("kindops.pushgateway")

LAST_SUCCESS = "kindops_job_last_success_timestamp_seconds"
LAST_RUN_FAILED = "kindops_job_last_run_failed"
LAST_RUN = "kindops_job_last_run_timestamp_seconds"
TASKS_JOB = "kindops-tasks"


def push(
    url: str,
    job: str,
    registry: CollectorRegistry,
    grouping: dict[str, str] | None = None,
    *,
    replace: bool = False,
    timeout: float = 10,
) -> None:
    """Push ``registry`` to the group ``job`` (+ ``grouping``) of the Pushgateway at ``url``.

    ``replace`` PUTs (the group's other metrics are dropped); the default POSTs (push-add).
    A Pushgateway that does not take the metrics raises DependencyError (exit 3).
    """
    send = push_to_gateway if replace else pushadd_to_gateway
    try:
        send(url, job=job, registry=registry, grouping_key=grouping or {}, timeout=timeout)
    except OSError as exc:
        raise DependencyError(f"Pushgateway {url} did not take the metrics: {exc}") from None


def push_job_success(url: str, job: str, at: float | None = None) -> None:
    """Record a good run of ``job`` (``kindops_job_last_success_timestamp_seconds``)."""
    registry = CollectorRegistry()
    Gauge(LAST_SUCCESS, "Unix time of the job's last successful run.", registry=registry).set(
        time.time() if at is None else at
    )
    push(url, job, registry)
    log.info("job success pushed", extra={"pushgateway": url, "job": job})


def push_task_outcome(
    url: str, dag_id: str, task_id: str, failed: bool, at: float | None = None
) -> None:
    """Record how a DAG task's run ended (``kindops_job_last_run_failed``)."""
    registry = CollectorRegistry()
    Gauge(
        LAST_RUN_FAILED,
        "1 when the task's last run failed, 0 when it succeeded.",
        registry=registry,
    ).set(1 if failed else 0)
    Gauge(LAST_RUN, "Unix time the task's last run ended.", registry=registry).set(
        time.time() if at is None else at
    )
    push(url, TASKS_JOB, registry, {"dag_id": dag_id, "task_id": task_id})
    log.info(
        "task outcome pushed",
        extra={"pushgateway": url, "dag_id": dag_id, "task_id": task_id, "failed": failed},
    )
