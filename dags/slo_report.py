"""
### SLO report (weekly)

Measures every SLO of `observability/slos` over its period (30 days) ending at the run's logical
date, from Prometheus: the SLI error ratio, the share of the error budget consumed and left, and
an hour-by-hour burn-down. Read it on Monday morning: an exhausted budget freezes risky changes
(the k6 baseline and game-day jobs gate on `kindops.slo.budget.remaining_budget`).

**Tasks:** `report` (`kindops slo report`): exit 1 (failed, no retry) when a budget is
exhausted, 2 on a bad SLO spec or configuration, 3 when Prometheus cannot be reached (retried).

**Inputs:** param `service` (empty = every service with a spec).

**Outputs:** in the artifact store under `slo-report/<run>/`: `report.json` (every SLO with its
burn-down), `report.md`, `burndown-<service>.png`, `result.json`; on a good run,
`kindops_job_last_success_timestamp_seconds{job="slo-report"}` on the Pushgateway (watched by
the `KindopsJobStale` alert).

**Needs:** Prometheus holding the services' metrics over the period; the SLO specs in the jobs
image (`KINDOPS_SLO_SPECS`, default `observability/slos`). Optional Airflow Variables
`kindops_prometheus_url` and `kindops_pushgateway_url` (empty: no push): when one exists it sets
the job's `KINDOPS_PROMETHEUS_URL` or `KINDOPS_PUSHGATEWAY_URL`; when it does not, the job's
default applies — the in-cluster Prometheus or Pushgateway in a task pod, this machine's
environment with the local runner (where the report needs `KINDOPS_PROMETHEUS_URL`).

Idempotency: the report is measured as of the logical date and stored under the run key of the
logical date, so a rerun reads the same period and replaces the same artifacts.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag

from kindops_airflow import Resources, job_task

AT = "{{ (logical_date or dag_run.run_after) | ts }}"


@dag(
    dag_id="slo_report",
    schedule="0 6 * * 1",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["slo", "reporting", "observability"],
    default_args={
        "owner": "sre",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=15),
    },
    params={
        "service": Param(
            "", type="string", description="Report only this service; empty = all services."
        ),
    },
)
def slo_report() -> None:
    job_task(
        "report",
        [
            "slo",
            "report",
            "--at",
            AT,
            "--service={{ params.service }}",
            "--json",
        ],
        endpoints=["prometheus"],
        resources=Resources(cpu="100m", memory="256Mi", memory_limit="512Mi"),
    )


slo_report()
