"""
### k6 weekly baseline

Load-tests app-python and app-java every week with the lab's k6 scenarios and judges every run
against the median of its last accepted runs (k6 OSS has no run-to-run comparison): per metric
(p95, p99, failed ratio, req/s, passed checks) a change, a noise band from the history's spread,
and a verdict — pass, improved, inconclusive, regressed, or failed (k6's own thresholds).

**Tasks:** per app, `smoke` → `load` → `stress`; app-python's chain, then app-java's (one app at
a time: two load tests on one node would skew both baselines), then `report`. Each step is
`kindops k6 run` (k6 inside the jobs image; scenarios from the ConfigMap
`kindops-k6-scenarios`, see `docs/adr/0006-k6-runs.md`). A step that regresses or fails its
thresholds fails without retry and its app's heavier steps do not run; the other app still runs.
`stress` passes the **error-budget gate** first: when an SLO of the app has less than
`gate_min_remaining` of its error budget left (or no SLO data), the step exits 10 and is
**skipped**, and the report says why. `report` runs whatever happened and fails when a step
regressed, failed or did not run.

**Inputs:** params `base_url_app_python`, `base_url_app_java` (the apps' base URLs),
`duration`/`vus` (k6's K6_DURATION/K6_VUS for every step; empty = each scenario's own shape),
`thresholds` (default true; false runs k6 without the scenarios' thresholds, for calibration on
another machine), `gate_min_remaining` (default 0.25). Runs of another shape or without
thresholds form a separate baseline (a "profile"): they never judge, nor are judged by, the
weekly runs.

**Outputs:** in the artifact store: `k6-<app>-<scenario>/<run>/` (`summary.json`, `step.json`,
`k6-output.txt`, `result.json`), the history `k6/history/<app>/<scenario>.jsonl`, and the report
`k6-report/<run>/report.md`, `report.html` with trend plots; metrics `kindops_k6_*` and
`kindops_job_last_success_timestamp_seconds{job="k6-baseline"}` on the Pushgateway.

**Needs:** the apps reachable at the base URLs. Optional Airflow Variables
`kindops_prometheus_url` (the `stress` steps' gate reads error budgets there; empty disables the
gate) and `kindops_pushgateway_url` (every task; empty turns the push off): when one exists it
sets the job's `KINDOPS_PROMETHEUS_URL` or `KINDOPS_PUSHGATEWAY_URL`; when it does not, the job's
default applies — the in-cluster Prometheus or Pushgateway in a task pod, this machine's
environment with the local runner.

Idempotency: the run key is the logical date; a rerun replaces that date's artifacts and its
line in each history (never a second line), and is judged against the runs before that date.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, TaskGroup, dag

from kindops_airflow import K6_SCENARIOS, ExitCode, Resources, job_task

APPS = ("app-python", "app-java")
STEPS = {
    "smoke": timedelta(minutes=10),
    "load": timedelta(minutes=15),
    "stress": timedelta(minutes=20),
}
ENV = {
    "KINDOPS_K6_DURATION": "{{ params.duration }}",
    "KINDOPS_K6_VUS": "{{ params.vus }}",
    "KINDOPS_K6_NO_THRESHOLDS": "{{ not params.thresholds }}",
}
K6_RESOURCES = Resources(cpu="500m", memory="256Mi", cpu_limit="1", memory_limit="768Mi")


@dag(
    dag_id="k6_weekly_baseline",
    schedule="0 3 * * 1",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["load-testing", "reliability", "reporting"],
    default_args={
        "owner": "sre",
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=30),
    },
    params={
        "base_url_app_python": Param(
            "http://app-python.apps.svc:8000", type="string", description="app-python base URL."
        ),
        "base_url_app_java": Param(
            "http://app-java.apps.svc:8080", type="string", description="app-java base URL."
        ),
        "duration": Param(
            "", type="string", description="K6_DURATION for every step (e.g. 30s); empty = own."
        ),
        "vus": Param("", type="string", description="K6_VUS for every step; empty = own."),
        "thresholds": Param(
            True,
            type="boolean",
            description="Enforce the scenarios' k6 thresholds (off: a calibration run, judged "
            "only against runs that were also off).",
        ),
        "gate_min_remaining": Param(
            0.25,
            type="number",
            minimum=0,
            maximum=1,
            description="Skip stress when an SLO has less than this share of budget left.",
        ),
    },
)
def k6_weekly_baseline() -> None:
    previous: Any = None
    for app in APPS:
        group = app.replace("-", "_")
        base_url = "{{ params.base_url_" + group + " }}"
        with TaskGroup(group_id=group, tooltip=f"{app}: smoke, load, stress") as chain:
            last: Any = None
            for scenario, timeout in STEPS.items():
                args = ["k6", "run", "--app", app, "--scenario", scenario, "--base-url", base_url]
                extra: dict[str, Any] = {}
                if scenario == "stress":
                    args += ["--gate", "--gate-min-remaining", "{{ params.gate_min_remaining }}"]
                    extra["skip_on_exit_code"] = [ExitCode.SKIPPED]  # the gate closed
                    extra["endpoints"] = ["prometheus"]  # where the gate reads error budgets
                if last is None and previous is not None:
                    # The next app is tested whatever happened to the previous one.
                    extra["trigger_rule"] = "all_done"
                step = job_task(
                    scenario,
                    [*args, "--json"],
                    env=ENV,
                    resources=K6_RESOURCES,
                    timeout=timeout,
                    config_maps=K6_SCENARIOS,
                    mesh=True,  # it calls the apps (mTLS only)
                    **extra,
                )
                if last is not None:
                    last >> step
                last = step
        if previous is not None:
            previous >> chain
        previous = chain

    report = job_task(
        "report",
        ["k6", "report", *[a for app in APPS for a in ("--app", app)], "--json"],
        env=ENV,
        resources=Resources(cpu="100m", memory="256Mi", memory_limit="768Mi"),
        trigger_rule="all_done",
    )
    previous >> report


k6_weekly_baseline()
