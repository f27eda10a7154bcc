"""Task outcomes as Airflow saw them, pushed to the Pushgateway when a task instance ends.

A kindops job reports its own outcome when it exits (``kindops.result``, group
``job=kindops-tasks``). A task whose job never gets there (its pod OOM-killed, evicted or never
started, the task timed out, the worker lost) reports nothing itself, so this listener reports
what Airflow decided, in the same metric family, in a group of its own that only it writes
(ADR 0010):

    group: job=airflow-tasks, dag_id=<dag id>, task_id=<task id>   (PUT: the whole group)
    kindops_job_last_run_failed              1 failed or up for retry, 0 success or skipped
    kindops_job_last_run_timestamp_seconds   when the task instance ended
    kindops_job_last_run_duration_seconds    how long it ran (absent if it never started)
    kindops_job_last_run_state{state=...}    one-hot over STATES

The alert reads the newer of the two reports of a task (the recording rule
``task:kindops_job_last_run_failed:latest``).

The Pushgateway is the Variable ``kindops_pushgateway_url``, else the environment variable
``KINDOPS_PUSHGATEWAY_URL``, read when a task ends; empty means off. A Pushgateway that is down
or slow costs the task at most ``TIMEOUT`` and a warning in its log, never its state.

The hooks run where Airflow changes a task's state: in the task's own process (the usual case),
in the scheduler (a worker lost or killed from outside) and in the API server (a state set by
hand). This module imports no ``kindops``: the jobs package is not installed where Airflow runs.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from airflow.listeners import hookimpl

log = logging.getLogger(__name__)

VARIABLE = "kindops_pushgateway_url"
ENV = "KINDOPS_PUSHGATEWAY_URL"
#: The Pushgateway group (its ``job`` label) of the outcomes Airflow reports.
JOB = "airflow-tasks"
#: (connect, read) seconds of the one push per finished task.
TIMEOUT = (2.0, 3.0)

#: The states a finished task instance reports, and those that count as failed.
STATES = ("success", "failed", "up_for_retry", "skipped")
FAILED_STATES = frozenset({"failed", "up_for_retry"})

LAST_RUN_FAILED = "kindops_job_last_run_failed"
LAST_RUN = "kindops_job_last_run_timestamp_seconds"
DURATION = "kindops_job_last_run_duration_seconds"
STATE = "kindops_job_last_run_state"
#: The help texts: the first two are the jobs' own (kindops.pushgateway), word for word, so the
#: Pushgateway serves one family whoever pushed it.
HELP = {
    LAST_RUN_FAILED: "1 when the task's last run failed, 0 when it succeeded.",
    LAST_RUN: "Unix time the task's last run ended.",
    DURATION: "Seconds the task's last run took, as Airflow measured it.",
    STATE: "1 for the state the task's last run ended in (Airflow's), 0 for the others.",
}


@dataclass(frozen=True)
class Outcome:
    """How one task instance ended, as Airflow saw it."""

    dag_id: str
    task_id: str
    state: str
    ended_at: float
    duration: float | None = None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"state {self.state!r}: expected one of {', '.join(STATES)}")

    @property
    def failed(self) -> bool:
        return self.state in FAILED_STATES

    def exposition(self) -> str:
        """The group's metrics in the Prometheus text format."""
        lines: list[str] = []

        def family(name: str, samples: list[tuple[str, float]]) -> None:
            lines.extend([f"# HELP {name} {HELP[name]}", f"# TYPE {name} gauge"])
            lines.extend(f"{name}{labels} {value!r}" for labels, value in samples)

        family(LAST_RUN_FAILED, [("", 1.0 if self.failed else 0.0)])
        family(LAST_RUN, [("", self.ended_at)])
        if self.duration is not None:
            family(DURATION, [("", self.duration)])
        family(STATE, [(f'{{state="{s}"}}', 1.0 if s == self.state else 0.0) for s in STATES])
        return "\n".join(lines) + "\n"


def _segment(name: str, value: str) -> str:
    """One grouping-key pair of a Pushgateway URL path (base64 where a value needs it)."""
    if not value or "/" in value:
        encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
        return f"{name}@base64/{encoded}"
    return f"{name}/{quote(value, safe='')}"


def group_url(base: str, dag_id: str, task_id: str) -> str:
    """The URL of the group of ``dag_id``/``task_id`` on the Pushgateway at ``base``."""
    base = base.strip().rstrip("/")
    if "://" not in base:
        base = f"http://{base}"
    pairs = (("job", JOB), ("dag_id", dag_id), ("task_id", task_id))
    path = "/".join(_segment(name, value) for name, value in pairs)
    return f"{base}/metrics/{path}"


def push(url: str, outcome: Outcome, timeout: tuple[float, float] = TIMEOUT) -> bool:
    """Replace the outcome group of the task on the Pushgateway at ``url``; False (and a warning)
    when the Pushgateway does not take it."""
    target = group_url(url, outcome.dag_id, outcome.task_id)
    try:
        resp = requests.put(
            target,
            data=outcome.exposition().encode(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        log.warning("task outcome not pushed to %s: %s", target, exc)
        return False
    if not resp.ok:
        log.warning(
            "task outcome not pushed to %s: HTTP %s %s", target, resp.status_code, resp.text[:200]
        )
        return False
    log.info(
        "task outcome pushed: %s.%s %s to %s", outcome.dag_id, outcome.task_id, outcome.state, url
    )
    return True


def pushgateway_url() -> str:
    """The Variable ``kindops_pushgateway_url`` if it exists (empty = off), else the env."""
    try:
        from airflow.sdk import Variable

        value = Variable.get(VARIABLE, default=None)
    except Exception as exc:  # no metadata DB or API at hand: the environment decides
        log.debug("Variable %s not readable: %s", VARIABLE, exc)
        value = None
    if value is None:
        value = os.environ.get(ENV, "")
    return str(value).strip()


def _timestamp(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def outcome_of(task_instance: Any, state: str) -> Outcome:
    """The outcome of a task instance: a RuntimeTaskInstance (the task's process) or a
    TaskInstance (scheduler, API server); both carry dag_id, task_id, start and end dates."""
    started = _timestamp(getattr(task_instance, "start_date", None))
    ended = _timestamp(getattr(task_instance, "end_date", None))
    duration: float | None = None
    if started is not None and ended is not None:
        duration = max(ended - started, 0.0)
    elif getattr(task_instance, "duration", None) is not None:
        duration = float(task_instance.duration)
    return Outcome(
        dag_id=str(task_instance.dag_id),
        task_id=str(task_instance.task_id),
        state=state,
        ended_at=time.time() if ended is None else ended,
        duration=duration,
    )


def report(task_instance: Any, state: str) -> None:
    """Push the outcome when a Pushgateway is configured; never raise."""
    try:
        url = pushgateway_url()
        if url:
            push(url, outcome_of(task_instance, state))
    except Exception:
        log.warning("task outcome not pushed", exc_info=True)


def _failed_state(task_instance: Any) -> str:
    state = getattr(task_instance, "state", None)
    return "up_for_retry" if getattr(state, "value", state) == "up_for_retry" else "failed"


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    report(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any) -> None:
    report(task_instance, _failed_state(task_instance))


@hookimpl
def on_task_instance_skipped(previous_state: Any, task_instance: Any) -> None:
    report(task_instance, "skipped")
