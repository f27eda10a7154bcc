"""
### Config backup (daily)

Backs up the lab's configuration: every Kubernetes object of the configured namespaces and kinds
(CRD objects included: Argo CD Applications/AppProjects, Rollouts, PrometheusRules, Kyverno and
Istio policies, SealedSecrets, ExternalSecrets), cleaned into plain manifests; Argo CD's
`argocd-cm`/`argocd-rbac-cm`; and Grafana's folders, dashboards, datasources, alert rules,
contact points and notification policies — never a Secret, never a secret value.

**Tasks:** `backup` (`kindops backup run`) → `verify` (`kindops backup verify --run`: re-reads
the archive, checks every SHA-256 against the manifest, exit 1 if anything is corrupt) →
`restore_plan` (`kindops backup restore-plan --latest`: the ordered apply plan of the newest
archive; with the cluster runner also a server-side dry-run apply of every object, exit 1 if one
would fail) → `prune` (`kindops backup prune`: GFS retention, never the newest verified backup).
Prune runs only once the newest archive has passed its restore check, so an archive that would
not apply never costs an older one.

The dry run needs a cluster identity allowed to apply, which only the task pod has (service
account `kindops-restore-check`), so `--server-dry-run --force-conflicts` are the task's
`cluster_only_args`: the factory adds them to the pod's command and the local runner, which has
no such identity, plans without touching a cluster (`--force-conflicts`: a field changed live
since the backup is drift, not an unrestorable archive). To dry-run from a workstation, run
`kindops backup restore-plan --latest --server-dry-run` with a kubeconfig.

**Inputs:** params `config` (backup config path inside the jobs image; empty = the packaged
`include/kindops/backup/backup.yaml`) and `prune` (`true` deletes what retention drops; `false`
only reports it).

**Outputs:** in the artifact store, `backups/<YYYY-MM-DD>T<HHMMSS>Z.tar.gz` named after the
logical date (manifest inside: file list, SHA-256 per file, counts, source cluster, versions),
`backups/<archive>.verified.json`, `backup-restore-plan/<run>/plan.md` and `plan.json` (steps,
Grafana order, each object's dry-run outcome), and each task's `result.json`; metrics
`kindops_backup_last_success_timestamp_seconds`, `kindops_backup_size_bytes`,
`kindops_backup_objects`, `kindops_backup_last_verified_timestamp_seconds` and
`kindops_job_last_success_timestamp_seconds` on the Pushgateway (group `job=config-backup`),
read by the `BackupTooOld` alert.

**Needs:** the `kindops-backup` service account (read-only ClusterRole,
`gitops/platform/kindops-jobs/backup-rbac.yaml`) for the `backup` task; the
`kindops-restore-check` service account (`restore-check-rbac.yaml`: create/patch on the backed-up
kinds except RBAC and webhook configurations, whose objects the check reports as forbidden, not
checked; an admission policy denies it anything but dry runs) for `restore_plan`; the Secret
`kindops-grafana` with `KINDOPS_GRAFANA_TOKEN` (a Grafana service-account token allowed to read
the provisioning API). Optional Airflow Variables `kindops_grafana_url` (the `backup` task) and
`kindops_pushgateway_url` (every task): when one exists it sets the job's `KINDOPS_GRAFANA_URL` or
`KINDOPS_PUSHGATEWAY_URL` (empty turns that part off); when it does not, the job's default
applies — the in-cluster Grafana or Pushgateway in a task pod, this machine's environment with
the local runner. A kind the service account may not list is reported and skipped; an
unreachable API server or Grafana fails the `backup` task with exit 3 (retried) and publishes
nothing.

Idempotency: the archive is named after the logical date and replaced atomically, so a rerun of
the same date rewrites the same archive (a crash leaves the previous one intact); verify
rewrites its marker; the restore check rewrites its plan (a dry run changes nothing); prune
recomputes retention from what is in the store.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag

from kindops_airflow import Resources, job_task

ENV = {"KINDOPS_BACKUP_CONFIG": "{{ params.config }}"}
PRUNE_MODE = "{{ '--apply' if params.prune else '--dry-run' }}"
#: The live dry run needs the restore-check identity, which only the task pod has.
SERVER_DRY_RUN = ["--server-dry-run", "--force-conflicts"]


@dag(
    dag_id="config_backup",
    schedule="30 1 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["backup", "reliability"],
    default_args={
        "owner": "sre",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=30),
    },
    params={
        "config": Param(
            "", type="string", description="Backup config path; empty = the packaged config."
        ),
        "prune": Param(
            True, type="boolean", description="Delete what retention drops (false: report only)."
        ),
    },
)
def config_backup() -> None:
    backup = job_task(
        "backup",
        ["backup", "run", "--json"],
        env=ENV,
        endpoints=["grafana"],
        secret_env=("kindops-grafana",),
        service_account="kindops-backup",
        resources=Resources(cpu="200m", memory="256Mi", memory_limit="768Mi"),
    )
    verify = job_task("verify", ["backup", "verify", "--run", "--json"], env=ENV)
    restore_plan = job_task(
        "restore_plan",
        ["backup", "restore-plan", "--latest", "--json"],
        env=ENV,
        cluster_only_args=SERVER_DRY_RUN,
        service_account="kindops-restore-check",
        resources=Resources(cpu="100m", memory="256Mi", memory_limit="512Mi"),
    )
    prune = job_task("prune", ["backup", "prune", PRUNE_MODE, "--json"], env=ENV)

    backup >> verify >> restore_plan >> prune


config_backup()
