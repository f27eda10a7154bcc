"""`airflow dags test` for real on the local runner, with the plugins folder loaded: Airflow
reports every task's outcome to a real Pushgateway, also for tasks whose job never could.

The DAG is written for the test (a temporary dags folder), its tasks built by the real factory:

* ``list`` runs ``kindops gameday list`` and succeeds: the job and Airflow both report success;
* ``review`` runs ``kindops cost review`` against an OpenCost that accepts the connection and
  never answers; the task's ``execution_timeout`` fires and Airflow kills the job before it
  can report anything;
* ``oom`` is the local runner whose process is SIGKILLed as it starts, as the OOM killer would.

What was pushed is then fed to promtool with the real rules: ``KindopsWorkflowFailed`` fires for
the two dead tasks and not for the good one.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.support.airflow import dags_test
from tests.support.servers import Pushgateway, silent_server

pytestmark = pytest.mark.integration

RULES = ROOT / "observability" / "prometheus" / "rules" / "alerts-jobs.yaml"
DAG_ID = "outcome_probe"
TIMEOUT_S = 5

DAG_FILE = '''
"""Outcome probe: a task that succeeds, one a timeout kills, one the OOM killer kills."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag

from kindops_airflow import LocalJobOperator, job_task


class KilledJob(LocalJobOperator):
    """The local runner whose process is SIGKILLed as soon as it starts."""

    def command(self) -> list[str]:
        return ["sh", "-c", "kill -KILL $$"]


@dag(
    dag_id="outcome_probe",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "platform", "retries": 0},
)
def outcome_probe() -> None:
    job_task("list", ["gameday", "list", "--json"])
    job_task(
        "review",
        ["cost", "review", "--json", "--no-alert"],
        endpoints=["opencost"],
        timeout=timedelta(seconds=TIMEOUT_S),
    )
    KilledJob(task_id="oom", arguments=["gameday", "list"])


outcome_probe()
'''


def group(gateway: Pushgateway, job: str, task_id: str) -> dict[str, float]:
    return {
        s.name + (f"{{{s.labels['state']}}}" if "state" in s.labels else ""): s.value
        for s in gateway.pushed("kindops_job_last_run")
        if (s.labels["job"], s.labels["dag_id"], s.labels["task_id"]) == (job, DAG_ID, task_id)
    }


def promtool_case(gateway: Pushgateway, failed_tasks: list[str], folder: Path) -> Path:
    """A promtool test of the real rules on what the Pushgateway holds, scraped as Prometheus
    does (honor_labels: the pushed job, instance=""): KindopsWorkflowFailed fires for the
    failed tasks after its 15 minutes, and for no other task."""

    def selector(name: str, labels: dict[str, str]) -> str:
        return name + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"

    series = [
        {"series": selector(s.name, s.labels), "values": f"{s.value!r}x30"}
        for s in gateway.pushed("kindops_job_last_run")
    ]
    rule = next(
        r
        for g in yaml.safe_load(RULES.read_text())["groups"]
        for r in g["rules"]
        if r.get("alert") == "KindopsWorkflowFailed"
    )

    def expected(task_id: str) -> dict[str, Any]:
        def render(text: str) -> str:
            return text.replace("{{ $labels.dag_id }}", DAG_ID).replace(
                "{{ $labels.task_id }}", task_id
            )

        return {
            "exp_labels": {"dag_id": DAG_ID, "task_id": task_id, **rule["labels"]},
            "exp_annotations": {k: render(v) for k, v in rule["annotations"].items()},
        }

    doc = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "10m", "alertname": "KindopsWorkflowFailed", "exp_alerts": []},
                    {
                        "eval_time": "16m",
                        "alertname": "KindopsWorkflowFailed",
                        "exp_alerts": [expected(t) for t in failed_tasks],
                    },
                ],
            }
        ],
    }
    path = folder / "pushed.test.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_airflow_reports_the_tasks_whose_jobs_died(
    tmp_path: Path, pushgateway: Pushgateway
) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "outcome_probe.py").write_text(
        textwrap.dedent(DAG_FILE).replace("TIMEOUT_S", str(TIMEOUT_S))
    )
    with silent_server() as opencost:
        run = dags_test(
            DAG_ID,
            "2026-12-01",
            {
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway.url,
                "AIRFLOW_VAR_KINDOPS_OPENCOST_URL": opencost,
                "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
                "KINDOPS_PUSHGATEWAY_URL": "",
            },
            timeout=300,
        )
    assert run.states == {"list": "success", "review": "failed", "oom": "failed"}, run.tail()
    assert "kindops exited -9" in run.output, run.tail()

    # the good task: both reports, and they agree; Airflow's is the newer
    job = group(pushgateway, "kindops-tasks", "list")
    airflow = group(pushgateway, "airflow-tasks", "list")
    assert job["kindops_job_last_run_failed"] == airflow["kindops_job_last_run_failed"] == 0.0
    assert airflow["kindops_job_last_run_state{success}"] == 1.0
    assert (
        airflow["kindops_job_last_run_timestamp_seconds"]
        >= job["kindops_job_last_run_timestamp_seconds"]
    )
    assert 0 < airflow["kindops_job_last_run_duration_seconds"] < 120

    # the dead ones: nothing from their jobs, a failure with its duration from Airflow
    for task_id, at_least in (("review", TIMEOUT_S), ("oom", 0)):
        assert group(pushgateway, "kindops-tasks", task_id) == {}, task_id
        got = group(pushgateway, "airflow-tasks", task_id)
        assert got["kindops_job_last_run_failed"] == 1.0, (task_id, got)
        assert got["kindops_job_last_run_state{failed}"] == 1.0, (task_id, got)
        assert at_least <= got["kindops_job_last_run_duration_seconds"] < 120, (task_id, got)
        assert got["kindops_job_last_run_timestamp_seconds"] > 1.7e9

    case = promtool_case(pushgateway, ["oom", "review"], tmp_path)
    proc = subprocess.run(
        ["promtool", "test", "rules", str(case)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
