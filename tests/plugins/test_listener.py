"""The task-outcome listener against a real Pushgateway: what each hook pushes, where the URL
comes from, and that a Pushgateway that is down, slow or refusing never fails a task.

The hooks get a stand-in task instance carrying what both of Airflow's kinds carry (dag_id,
task_id, state, start and end dates); the task process's own (RuntimeTaskInstance) is exercised
by test_listener_dags_test.py, the scheduler's and API server's (TaskInstance) only here.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests
from airflow.utils.state import TaskInstanceState

from kindops.pushgateway import push_task_outcome
from kindops_airflow import listener
from tests.conftest import ROOT
from tests.support.servers import Pushgateway, free_port, silent_server

pytestmark = pytest.mark.integration

STARTED = datetime(2026, 12, 1, 6, 0, 0, tzinfo=UTC)
ENDED = datetime(2026, 12, 1, 6, 0, 42, 500000, tzinfo=UTC)


@dataclass
class TaskInstance:
    dag_id: str = "slo_report"
    task_id: str = "report"
    state: TaskInstanceState | None = None
    start_date: datetime | None = STARTED
    end_date: datetime | None = ENDED


@pytest.fixture()
def gateway_url(pushgateway: Pushgateway, monkeypatch: pytest.MonkeyPatch) -> str:
    """The listener pointed at the test's Pushgateway through the environment."""
    monkeypatch.delenv("AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL", raising=False)
    monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", pushgateway.url)
    return pushgateway.url


def group(gateway: Pushgateway, job: str, dag_id: str, task_id: str) -> dict[str, float]:
    """``{metric name or name{state}: value}`` of one Pushgateway group."""
    found = {}
    for s in gateway.pushed("kindops_job_last_run"):
        labels = s.labels
        if (labels.get("job"), labels.get("dag_id"), labels.get("task_id")) == (
            job,
            dag_id,
            task_id,
        ):
            key = f"{s.name}{{{labels['state']}}}" if "state" in labels else s.name
            found[key] = s.value
    return found


def one_hot(state: str) -> dict[str, float]:
    return {
        f"kindops_job_last_run_state{{{s}}}": 1.0 if s == state else 0.0 for s in listener.STATES
    }


def test_each_hook_replaces_the_tasks_group_with_airflows_outcome(
    pushgateway: Pushgateway, gateway_url: str
) -> None:
    ti = TaskInstance(state=TaskInstanceState.UP_FOR_RETRY)
    listener.on_task_instance_failed(previous_state=None, task_instance=ti, error="exit 3")
    assert group(pushgateway, "airflow-tasks", "slo_report", "report") == {
        "kindops_job_last_run_failed": 1.0,
        "kindops_job_last_run_timestamp_seconds": ENDED.timestamp(),
        "kindops_job_last_run_duration_seconds": 42.5,
        **one_hot("up_for_retry"),
    }

    listener.on_task_instance_success(previous_state=None, task_instance=ti)
    got = group(pushgateway, "airflow-tasks", "slo_report", "report")
    assert got["kindops_job_last_run_failed"] == 0.0
    assert {k: v for k, v in got.items() if "state" in k} == one_hot("success")

    # a task instance that never started (failed in the queue, set by hand): no duration, and
    # none left over from the last run — the group is replaced, not merged
    never = TaskInstance(state=TaskInstanceState.FAILED, start_date=None, end_date=None)
    before = time.time()
    listener.on_task_instance_failed(previous_state=None, task_instance=never, error=None)
    got = group(pushgateway, "airflow-tasks", "slo_report", "report")
    assert "kindops_job_last_run_duration_seconds" not in got
    assert got["kindops_job_last_run_failed"] == 1.0
    assert got["kindops_job_last_run_timestamp_seconds"] >= before
    assert {k: v for k, v in got.items() if "state" in k} == one_hot("failed")

    listener.on_task_instance_skipped(previous_state=None, task_instance=TaskInstance("k6", "gate"))
    assert group(pushgateway, "airflow-tasks", "k6", "gate")["kindops_job_last_run_failed"] == 0.0
    # other tasks' groups are untouched
    assert group(pushgateway, "airflow-tasks", "slo_report", "report")[
        "kindops_job_last_run_failed"
    ] == (1.0)


def test_airflows_report_sits_beside_the_jobs_own_in_one_metric_family(
    pushgateway: Pushgateway, gateway_url: str
) -> None:
    # the job reports first (it exits), then the task instance ends
    push_task_outcome(pushgateway.url, "k6_weekly_baseline", "app_python.smoke", failed=False)
    help_lines = {ln for ln in pushgateway.metrics().splitlines() if ln.startswith("# HELP")}
    for name in (listener.LAST_RUN_FAILED, listener.LAST_RUN):
        assert f"# HELP {name} {listener.HELP[name]}" in help_lines, (
            "help text differs from the job's"
        )
    ti = TaskInstance("k6_weekly_baseline", "app_python.smoke", TaskInstanceState.SUCCESS)
    listener.on_task_instance_success(previous_state=None, task_instance=ti)

    job = group(pushgateway, "kindops-tasks", "k6_weekly_baseline", "app_python.smoke")
    airflow = group(pushgateway, "airflow-tasks", "k6_weekly_baseline", "app_python.smoke")
    assert job["kindops_job_last_run_failed"] == airflow["kindops_job_last_run_failed"] == 0.0
    assert set(job) == {"kindops_job_last_run_failed", "kindops_job_last_run_timestamp_seconds"}
    labels = {frozenset(s.labels) for s in pushgateway.pushed("kindops_job_last_run_failed")}
    assert labels == {frozenset({"job", "instance", "dag_id", "task_id"})}
    log = (pushgateway.workdir / "pushgateway.log").read_text()
    assert "inconsistent" not in log.lower(), log


def test_url_is_the_variable_else_the_environment_read_at_hook_time(
    pushgateway: Pushgateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL", raising=False)
    monkeypatch.delenv("KINDOPS_PUSHGATEWAY_URL", raising=False)
    assert listener.pushgateway_url() == ""
    listener.on_task_instance_success(previous_state=None, task_instance=TaskInstance())
    assert pushgateway.pushed("kindops_") == []  # off: nothing pushed, nothing raised

    monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", pushgateway.url.removeprefix("http://"))
    assert listener.pushgateway_url() == pushgateway.url.removeprefix("http://")
    listener.on_task_instance_success(previous_state=None, task_instance=TaskInstance("a", "t"))
    assert group(pushgateway, "airflow-tasks", "a", "t")["kindops_job_last_run_failed"] == 0.0

    # the Variable wins over the environment, and an empty one switches the push off
    monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL", pushgateway.url + "/")
    listener.on_task_instance_success(previous_state=None, task_instance=TaskInstance("b", "t"))
    assert group(pushgateway, "airflow-tasks", "b", "t")["kindops_job_last_run_failed"] == 0.0
    monkeypatch.setenv("AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL", "")
    assert listener.pushgateway_url() == ""


def test_a_pushgateway_that_is_down_slow_or_refusing_costs_a_warning_only(
    pushgateway: Pushgateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL", raising=False)
    ti = TaskInstance(state=TaskInstanceState.FAILED)
    caplog.set_level(logging.WARNING, logger=listener.log.name)

    def hook_seconds(url: str) -> float:
        monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", url)
        start = time.monotonic()
        assert listener.on_task_instance_failed(None, ti, "boom") is None
        return time.monotonic() - start

    assert hook_seconds(f"http://127.0.0.1:{free_port()}") < 1.0  # connection refused
    with silent_server() as url:  # accepts, never answers: bounded by the read timeout
        assert hook_seconds(url) < sum(listener.TIMEOUT) + 1.0
    # the Pushgateway rejects the push: the family already exists with another type
    requests.put(
        f"{pushgateway.url}/metrics/job/other",
        data="# TYPE kindops_job_last_run_failed counter\nkindops_job_last_run_failed 1\n",
        timeout=10,
    ).raise_for_status()
    hook_seconds(pushgateway.url)
    assert group(pushgateway, "airflow-tasks", "slo_report", "report") == {}

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3, warnings
    assert all(w.startswith("task outcome not pushed to ") for w in warnings)
    assert "HTTP 400" in warnings[2]


def test_a_task_instance_the_listener_cannot_read_is_logged_not_raised(
    gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=listener.log.name)
    listener.on_task_instance_success(previous_state=None, task_instance=object())
    assert any(r.getMessage() == "task outcome not pushed" for r in caplog.records)


def test_grouping_key_values_that_need_it_are_base64_encoded() -> None:
    url = listener.group_url("127.0.0.1:9091/", "dag", "a/b")
    assert url == "http://127.0.0.1:9091/metrics/job/airflow-tasks/dag_id/dag/task_id@base64/YS9i"


def test_the_plugin_registers_the_listener_and_imports_no_kindops() -> None:
    from airflow.listeners.listener import get_listener_manager

    assert listener.__name__ in {
        getattr(p, "__name__", "") for p in get_listener_manager().pm.get_plugins()
    }
    # Airflow's side runs without the jobs package: importing the plugin must not need it
    code = "import sys; sys.modules['kindops'] = None; import kindops_outcomes, kindops_airflow"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
