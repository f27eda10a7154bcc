"""
### Monthly game day

Breaks the lab on purpose, under load, and keeps the evidence: one or more scenarios of the chaos
catalog (`include/chaos/*.yaml`) run one after the other. For each: the guard (a kind lab cluster
from the allow-list, enough error budget left on the SLOs the fault spends), k6 load, the
steady-state hypothesis before, the fault (a LitmusChaos ChaosEngine in the cluster; process
kills, a CPU burner or the apps' fault flags with the local runner), the hypothesis sampled
during the fault with safeguards that abort it, the hypothesis after (recovery), and a rollback
when it does not recover (cluster: Argo Rollouts abort and/or an Argo CD Application rolled back
to its previous sync; local: process restart).

**Tasks:** `run` (`kindops gameday run`) → `publish` (`kindops gameday publish`, runs whatever
happened). A hypothesis that fails, a safeguard abort or a failed action fails `run` (exit 1,
no retry) **with the evidence still written**; `publish` indexes what every scenario left and
fails too, so the DAG run is failed. A guard refusal fails `run` with exit 2 and injects nothing.

**Inputs:** params `scenarios` (catalog names, or `all`), `runner` (`cluster` = LitmusChaos in
the kind cluster, `local` = the local lab of `kindops gameday lab`), `min_budget` (refuse below
this share of error budget left; above 0 — 0 is refused unless `allow_zero_min_budget` is true,
which the journal records), and shorter or longer phases for a drill: `warmup`,
`fault_duration`, `recovery_timeout` (durations such as `30s`; empty = the scenario's) and `vus`
(0 = the scenario's).

**Outputs:** in the artifact store under `gameday/<run>/<scenario>/`: `journal.json` (Chaos
Toolkit-style journal), `evidence.json` (probes, k6 summary against the load thresholds and SLO
burn for the same window, the timeline), `k6-summary.json`, `k6-output.txt`, `chaosengine.yaml`
(cluster) and `postmortem.md` (SRE-book draft); `gameday/<run>/index.md`; Grafana annotations
of each run window and fault window when `kindops_grafana_url` is set.

**Needs:** the cluster runner task runs as service account `kindops-gameday`
(`gitops/platform/kindops-jobs/gameday-rbac.yaml`: create/get/patch ChaosEngines, get
ChaosResults and ChaosExperiments in `apps`, patch Argo Rollouts to abort, read
`kube-public/cluster-info`), the Secret `kindops-gameday` (`KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN`,
`KINDOPS_GAMEDAY_APP_JAVA_ADMIN_TOKEN`, `KINDOPS_GRAFANA_TOKEN`, and `KINDOPS_GAMEDAY_ARGOCD_TOKEN`
for scenarios whose rollback names an Argo CD Application: an Argo CD account allowed to get and
sync it), the Litmus experiments installed in `apps`, and the k6 scenarios ConfigMap. Optional
Airflow Variables `kindops_prometheus_url` (probes, budget guard, burn), `kindops_grafana_url`
(empty: no annotations) and `kindops_argocd_url` (the lab's Argo CD API server) for `run`, and
`kindops_pushgateway_url` (every task's outcome; empty: not pushed): when one exists it sets the
job's `KINDOPS_<NAME>_URL`; when it does not, the job's default applies — the lab's in-cluster
Service in a task pod, this machine's environment with the local runner, which needs the lab's
environment (`source <lab>/lab.env`).

Idempotency: artifacts are keyed by the logical date; a rerun replaces that date's journal and
evidence. A rerun injects again (a new ChaosEngine name each time) — a game day is an action,
not a state.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag

from kindops_airflow import K6_SCENARIOS, Resources, job_task

SCENARIOS = "{{ params.scenarios | join(',') }}"
#: Probes and guard (Prometheus), annotations (Grafana), the cluster's Argo CD rollback step.
RUN_ENDPOINTS = ["prometheus", "grafana", "argocd"]
#: A budget floor of 0 takes an explicit yes (the CLI refuses it otherwise).
ZERO_FLOOR = (
    "{{ '--allow-zero-min-budget' if params.allow_zero_min_budget else '--keep-min-budget' }}"
)
GAMEDAY_SECRET = ("kindops-gameday",)
GAMEDAY_SA = "kindops-gameday"


@dag(
    dag_id="monthly_game_day",
    schedule="0 10 * * 4#1",  # the first Thursday of the month, 10:00 UTC
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["chaos", "gameday", "reliability"],
    default_args={
        "owner": "sre",
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=90),
    },
    params={
        "scenarios": Param(
            ["app-python-error-rate"],
            type="array",
            items={"type": "string"},
            minItems=1,
            description="Catalog scenarios to run in order (include/chaos), or ['all'].",
        ),
        "runner": Param(
            "cluster",
            type="string",
            enum=["cluster", "local"],
            description="cluster: LitmusChaos in the kind lab; local: the local lab.",
        ),
        "min_budget": Param(
            0.25,
            type="number",
            minimum=0,
            maximum=1,
            description="Refuse when an SLO the fault spends has less budget left than this "
            "(above 0; 0 needs allow_zero_min_budget).",
        ),
        "allow_zero_min_budget": Param(
            False,
            type="boolean",
            description="Accept min_budget 0: the game day may spend the last of the budget "
            "(recorded in the journal).",
        ),
        "warmup": Param("", type="string", description="Load warm-up (e.g. 30s); empty = own."),
        "fault_duration": Param("", type="string", description="Fault duration; empty = own."),
        "recovery_timeout": Param("", type="string", description="Recovery timeout; empty = own."),
        "vus": Param(0, type="integer", minimum=0, description="k6 VUs; 0 = the scenario's."),
    },
)
def monthly_game_day() -> None:
    run = job_task(
        "run",
        [
            "gameday",
            "run",
            "--scenario",
            SCENARIOS,
            "--runner",
            "{{ params.runner }}",
            "--min-budget",
            "{{ params.min_budget }}",
            ZERO_FLOOR,
            "--warmup",
            "{{ params.warmup }}",
            "--fault-duration",
            "{{ params.fault_duration }}",
            "--recovery-timeout",
            "{{ params.recovery_timeout }}",
            "--vus",
            "{{ params.vus }}",
            "--json",
        ],
        endpoints=RUN_ENDPOINTS,
        secret_env=GAMEDAY_SECRET,
        service_account=GAMEDAY_SA,
        resources=Resources(cpu="500m", memory="256Mi", cpu_limit="1", memory_limit="768Mi"),
        timeout=timedelta(minutes=80),
        retries=0,
        config_maps=K6_SCENARIOS,
        mesh=True,  # it calls the apps (mTLS only)
    )
    publish = job_task(
        "publish",
        ["gameday", "publish", "--scenario", SCENARIOS, "--json"],
        trigger_rule="all_done",
    )
    run >> publish


monthly_game_day()
