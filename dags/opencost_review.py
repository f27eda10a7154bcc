"""
### OpenCost review (nightly)

Reviews one UTC day of OpenCost allocation: cost per namespace, deployment (`namespace/name`),
`team` label and `app` label, CPU/RAM efficiency and the idle share, each group's cost against
its trailing 7 days (median/MAD modified z-score with a USD 0.50/day and 25 % floor). Every
anomaly is explained (which cost component moved: cpu, ram, pv, network, ... against its
baseline median, requests before and after) and sent to Alertmanager as `CostAnomaly`
(severity `ticket`, team `finops`); the review's metrics feed the FinOps dashboard.

**Tasks:** `review` (`kindops cost review`): exit 1 (failed, no retry) on an anomaly, 2 when
OpenCost reports every cost as $0 (pricing missing), 3 when OpenCost, the Pushgateway or
Alertmanager cannot be reached (retried).

**Inputs:** the run's data interval is one UTC day (`0 0 * * *`): the run for logical date D
starts at D+1 00:00 and reviews day D. Params: `day` (YYYY-MM-DD, overrides the reviewed day),
`window_days` (default 7).

**Outputs:** in the artifact store under `cost-review/<run>/`: `review.json`, `report.md`,
`costs.csv`, `cost-by-namespace.png`, `result.json`; metrics `kindops_cost_*` and
`kindops_job_last_success_timestamp_seconds` on the Pushgateway (grouping key
`job=cost-review`); `CostAnomaly` alerts on Alertmanager.

**Needs:** OpenCost with custom pricing (`gitops/platform/opencost`). Optional Airflow Variables
`kindops_opencost_url`, `kindops_pushgateway_url`, `kindops_alertmanager_url` (an empty
Pushgateway or Alertmanager URL turns that output off) and `kindops_runbook_base_url` (where the
alert's `runbook_url` points): when one exists it sets the job's `KINDOPS_<NAME>_URL`; when it
does not, the job's default applies — the lab's in-cluster Service (and the repository's
runbooks) in a task pod, this machine's environment with the local runner.

Idempotency: the run key is the logical date, so a rerun reviews the same day and replaces the
artifacts; the Pushgateway group is replaced by a PUT; alerts carry the same labels, so
Alertmanager deduplicates them, and a rerun that no longer finds an anomaly resolves its alert.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag

from kindops_airflow import Resources, job_task

#: The reviewed day: the param, else the logical date's day; a manual run without a logical date
#: reviews the day before it was triggered.
DAY = "{{ params.day or ((logical_date or (dag_run.run_after - macros.timedelta(days=1))) | ds) }}"
#: The allocation API, where anomalies are sent, and where their runbook is.
REVIEW_ENDPOINTS = ["opencost", "alertmanager", "runbook_base"]


@dag(
    dag_id="opencost_review",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["finops", "reporting"],
    default_args={
        "owner": "platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=20),
    },
    params={
        "day": Param(
            "",
            type="string",
            description="UTC day to review (YYYY-MM-DD); empty = the run's logical date.",
        ),
        "window_days": Param(
            7, type="integer", minimum=1, maximum=90, description="Trailing baseline days."
        ),
    },
)
def opencost_review() -> None:
    job_task(
        "review",
        ["cost", "review", "--day", DAY, "--window-days", "{{ params.window_days }}", "--json"],
        endpoints=REVIEW_ENDPOINTS,
        resources=Resources(cpu="100m", memory="256Mi", memory_limit="768Mi"),
    )


opencost_review()
