"""Airflow workflow health: did the lab's recurring operations run, and did they succeed?

Reads what the jobs and Airflow push to the Pushgateway (contract in observability/README.md,
"Metrics the jobs push"): ``kindops_job_last_success_timestamp_seconds`` per job, the last run of
every DAG task as the newer of the job's and Airflow's reports (the recording rule ``LATEST``, as
``KindopsWorkflowFailed`` reads it), the run durations Airflow reports, the backup metrics, and
the Pushgateway's own ``push_time_seconds`` / ``push_failure_time_seconds`` per pushing job.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from kindops.dashboards.common import (
    GREEN,
    ORANGE,
    RED,
    YELLOW,
    board,
    prom,
    row,
    stat,
    table,
    timeseries,
)

UID = "kindops-workflows"

#: A nightly job is late after 26 h; weekly ones show orange then, not red.
DAY = 86400
#: Per DAG task, 1 when its last run failed: the newer of the job's and Airflow's reports
#: (observability/prometheus/rules/alerts-jobs.yaml).
LATEST = "task:kindops_job_last_run_failed:latest"


def build() -> db.Dashboard:
    d = board(
        UID,
        "Airflow workflows",
        "Health of the lab's recurring operations run as Airflow DAGs: last success per job, "
        "failed tasks, pushes to the Pushgateway and the config backups.",
        ["airflow", "workflows"],
    ).time("now-7d", "now")

    d = d.with_row(row("Jobs"))
    d = d.with_panel(
        stat(
            "Jobs reporting",
            "Jobs that have pushed a success at least once.",
            "short",
            prom("count(max by (job) (kindops_job_last_success_timestamp_seconds))"),
            width=6,
        )
    )
    d = d.with_panel(
        stat(
            "Failed tasks",
            "DAG tasks whose last run failed and has not succeeded since.",
            "short",
            prom(f"count({LATEST} == 1) or vector(0)"),
            steps=((1, RED),),
            width=6,
        )
    )
    d = d.with_panel(
        stat(
            "Oldest last success",
            "The longest time any job has gone without a success.",
            "s",
            prom("max(time() - max by (job) (kindops_job_last_success_timestamp_seconds))"),
            steps=((26 * 3600, ORANGE), (8 * DAY, RED)),
            width=6,
        )
    )
    d = d.with_panel(
        stat(
            "Failing pushes",
            "Pushing jobs whose last push to the Pushgateway failed.",
            "short",
            prom("count(push_failure_time_seconds > push_time_seconds) or vector(0)"),
            steps=((1, RED),),
            width=6,
        )
    )
    d = d.with_panel(
        table(
            "Per job",
            "Time since the last success and since the last push of every job that pushes "
            "metrics, and whether its last push failed (1).",
            "s",
            [
                prom(
                    "time() - max by (job) (kindops_job_last_success_timestamp_seconds)",
                    instant=True,
                ),
                prom("time() - max by (job) (push_time_seconds)", instant=True),
                prom(
                    "max by (job) (push_failure_time_seconds > bool push_time_seconds)",
                    instant=True,
                ),
            ],
            rename={
                "job": "Job",
                "Value #A": "Since last success",
                "Value #B": "Since last push",
                "Value #C": "Last push failed",
            },
            units={"Last push failed": "bool"},
            steps=((26 * 3600, YELLOW), (8 * DAY, RED)),
        )
    )
    d = d.with_panel(
        table(
            "Task failures",
            "Last-run state of every DAG task, the newer of the job's and Airflow's reports: "
            "1 = failed, 0 = succeeded.",
            "bool",
            [prom(LATEST, instant=True)],
            rename={"dag_id": "DAG", "task_id": "Task", "Value": "Failed"},
            steps=((1, RED),),
        )
    )
    d = d.with_panel(
        timeseries(
            "Hours since last success",
            "Per job; a saw-tooth that resets at every successful run.",
            "h",
            [
                prom(
                    "(time() - max by (job) (kindops_job_last_success_timestamp_seconds)) / 3600",
                    "{{job}}",
                )
            ],
            steps=((26, ORANGE),),
            width=24,
        )
    )
    d = d.with_panel(
        timeseries(
            "Task run duration",
            "How long each DAG task's last run took, as Airflow measured it (killed and timed-out "
            "runs included).",
            "s",
            [
                prom(
                    "max by (dag_id, task_id) (kindops_job_last_run_duration_seconds)",
                    "{{dag_id}} / {{task_id}}",
                )
            ],
            width=24,
        )
    )

    d = d.with_row(row("Config backups"))
    d = d.with_panel(
        stat(
            "Last verified backup",
            "Age of the newest backup that a verification has passed since it was written; a "
            "written but unverified (or corrupt) one does not count (alert BackupTooOld at 26 h).",
            "s",
            prom(
                "time() - ((max(max_over_time(kindops_backup_last_success_timestamp_seconds[7d]))"
                " < max(max_over_time(kindops_backup_last_verified_timestamp_seconds[7d])))"
                " or max(max_over_time(kindops_backup_last_verified_timestamp_seconds[7d])))"
            ),
            base=GREEN,
            steps=((26 * 3600, RED),),
        )
    )
    d = d.with_panel(
        stat(
            "Last verification",
            "Time since a backup was last restored and verified.",
            "s",
            prom("time() - max(kindops_backup_last_verified_timestamp_seconds)"),
            steps=((8 * DAY, ORANGE),),
        )
    )
    d = d.with_panel(
        stat(
            "Backup size",
            "Size of the last backup archive.",
            "bytes",
            prom("max(kindops_backup_size_bytes)"),
        )
    )
    d = d.with_panel(
        stat(
            "Objects",
            "Files (objects) in the last backup archive.",
            "short",
            prom("max(kindops_backup_objects)"),
        )
    )
    return d
