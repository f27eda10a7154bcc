"""
### AWS cleanup (nightly)

Finds the lab's AWS resources (ECR, SQS, DynamoDB, Lambda, S3, CloudWatch Logs), plans what has
expired under the rules in `include/kindops/aws/aws-rules.yaml`, deletes only when allowed,
reports, and checks spend against the lab's AWS Budgets.

**Tasks:** `inventory` → `plan` → `apply_allowed` (gate) → `apply` → `report` → `budget`.

**Inputs:** params `apply` (default `false`) and `rules` (rules file, empty = packaged rules).
Deleting also needs the Airflow Variable `kindops_aws_cleanup_apply` set to `true`, the account
id in the rules' allow-list and the region in the rules' region list — otherwise the run only
plans (dry run).

**Outputs:** in the artifact store under `aws-cleanup/<run>/`: `inventory.json`, `plan.json`,
`plan.md`, the apply result, and the budget report; every deletion is appended to
`aws-cleanup/audit.jsonl` with a recovery record (`kindops aws restore`).

**Needs:** AWS credentials in the Kubernetes Secret `kindops-aws` (cluster runner) or this
machine's environment (local runner); `AWS_ENDPOINT_URL` points at a local AWS-API server in the
demo. Budget at or above its threshold fails the `budget` task (exit 1). Optional Airflow
Variable `kindops_pushgateway_url` (every task's outcome; the budget's spend ratios): when it
exists it sets the jobs' `KINDOPS_PUSHGATEWAY_URL` (empty: nothing pushed); when it does not, the
jobs' default applies — the in-cluster Pushgateway in a task pod, this machine's environment with
the local runner.

Idempotency: artifacts are keyed by the run's logical date, so a rerun replaces them; deletion
re-checks every resource against live state, so a rerun deletes nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, Variable, dag, task

from kindops_airflow import Resources, job_task

AWS_SECRET = ("kindops-aws",)
#: The rules file chosen by the run's params (empty: the packaged rules).
RULES_ENV = {"KINDOPS_AWS_RULES": "{{ params.rules }}"}


@dag(
    dag_id="aws_cleanup",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["aws", "finops", "cleanup"],
    default_args={
        "owner": "platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "execution_timeout": timedelta(minutes=30),
    },
    params={
        "apply": Param(
            False,
            type="boolean",
            description="Delete what the plan marks (needs the "
            "Variable kindops_aws_cleanup_apply=true too).",
        ),
        "rules": Param("", type="string", description="Rules file path; empty = packaged rules."),
    },
)
def aws_cleanup() -> None:
    inventory = job_task(
        "inventory", ["aws", "inventory", "--json"], env=RULES_ENV, secret_env=AWS_SECRET
    )
    plan = job_task(
        "plan",
        ["aws", "cleanup", "--inventory", "run", "--json"],
        env=RULES_ENV,
        secret_env=AWS_SECRET,
        resources=Resources(memory="256Mi"),
    )

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def apply_allowed(params: dict[str, object] | None = None) -> bool:
        """Apply only when the run's params AND the Variable both say so."""
        by_params = bool((params or {}).get("apply"))
        by_variable = Variable.get("kindops_aws_cleanup_apply", default="false").lower() == "true"
        return by_params and by_variable

    apply = job_task(
        "apply",
        ["aws", "cleanup", "--apply", "--plan", "run", "--json"],
        env=RULES_ENV,
        secret_env=AWS_SECRET,
    )
    # The report reads apply.json only when apply ran, so a skipped apply is fine.
    report = job_task(
        "report", ["aws", "report", "--json"], env=RULES_ENV, trigger_rule="none_failed"
    )
    budget = job_task(
        "budget",
        ["aws", "budget", "--json"],
        env=RULES_ENV,
        secret_env=AWS_SECRET,
        trigger_rule="all_done",  # spend is checked even when the report needs attention
    )

    inventory >> plan >> apply_allowed() >> apply >> report >> budget


aws_cleanup()
