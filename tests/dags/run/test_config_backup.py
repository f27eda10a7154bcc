"""`airflow dags test config_backup` for real, on the local runner, against local fake Kubernetes
and Grafana API servers (a separate process) and a real Pushgateway: task states, the archive,
its verification marker, the restore plan, retention, pushed metrics, and an idempotent rerun."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.support.airflow import dags_test
from tests.support.servers import Pushgateway, free_port, process

FAKES = ROOT / "include" / "tests" / "backup" / "backup_fakeapi.py"
ARCHIVE = "2026-01-15T000000Z.tar.gz"
#: Old backups already in the store: (day in November 2025) -> kept by the packaged GFS policy
#: (7 daily, 4 weekly, 6 monthly) once the 2026-01-15 backup exists.
OLD_DAYS = range(1, 11)
KEPT_OLD = {2, 5, 6, 7, 8, 9, 10}


@pytest.fixture()
def fakes(tmp_path: Path) -> Iterator[dict[str, str]]:
    kube_port, grafana_port = free_port(), free_port()
    kube = f"http://127.0.0.1:{kube_port}"
    args = [
        sys.executable,
        str(FAKES),
        "--kube-port",
        str(kube_port),
        "--grafana-port",
        str(grafana_port),
    ]
    # the fakes import their JSON handler base from tests.support
    env = {"PYTHONPATH": str(ROOT)}
    with process(args, env=env, health=f"{kube}/healthz", log=tmp_path / "fakes.log"):
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "kind-kindops",
                    "clusters": [{"name": "kind-kindops", "cluster": {"server": kube}}],
                    "users": [{"name": "kindops-backup", "user": {"token": "test-token"}}],
                    "contexts": [
                        {
                            "name": "kind-kindops",
                            "context": {"cluster": "kind-kindops", "user": "kindops-backup"},
                        }
                    ],
                }
            )
        )
        yield {"kubeconfig": str(kubeconfig), "grafana": f"http://127.0.0.1:{grafana_port}"}


def archive_files(path: Path) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(path.read_bytes()), mode="r:gz") as tar:
        out = {}
        for member in tar:
            handle = tar.extractfile(member)
            assert handle is not None
            out[member.name] = handle.read()
        return out


@pytest.mark.integration
def test_daily_backup_runs_verifies_prunes_and_reruns_idempotently(
    tmp_path: Path, fakes: dict[str, str], pushgateway: Pushgateway
) -> None:
    artifacts = tmp_path / "artifacts"
    backups = artifacts / "backups"
    backups.mkdir(parents=True)
    for day in OLD_DAYS:
        (backups / f"2025-11-{day:02d}T013000Z.tar.gz").write_bytes(b"an old archive")
    env = {
        "KINDOPS_ARTIFACTS": str(artifacts),
        "KINDOPS_KUBECONFIG": fakes["kubeconfig"],
        "KINDOPS_GRAFANA_TOKEN": "grafana-token",
        "AIRFLOW_VAR_KINDOPS_GRAFANA_URL": fakes["grafana"],
        "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway.url,
    }
    first = dags_test("config_backup", "2026-01-15", env)
    assert first.states == {
        "backup": "success",
        "verify": "success",
        "restore_plan": "success",
        "prune": "success",
    }, first.tail()

    archive = backups / ARCHIVE
    files = archive_files(archive)
    manifest: dict[str, Any] = json.loads(files["manifest.json"])
    assert manifest["source"]["cluster"] == "kind-kindops"
    assert manifest["counts"]["kubernetes"] > 30 and manifest["counts"]["grafana"] == 11
    assert "kubernetes/argocd/argoproj.io/Application/app-python.yaml" in files
    assert not any("/Secret/" in name for name in files)
    marker = json.loads((backups / (ARCHIVE + ".verified.json")).read_text())
    assert marker["ok"] is True and marker["files"] == len(files) - 1

    # The restore check planned the newest archive; the local runner does no live dry run.
    plan_dir = artifacts / "backup-restore-plan" / "config_backup_20260115T000000"
    plan = json.loads((plan_dir / "plan.json").read_text())
    assert plan["archive"] == f"backups/{ARCHIVE}"
    assert plan["dry_run"] is None and plan["drift"] is None
    kube_files = [e for e in manifest["files"] if e["source"] == "kubernetes"]
    assert len(plan["steps"]) == len(kube_files) == manifest["counts"]["kubernetes"]
    assert {s["file"] for s in plan["steps"]} == {e["path"] for e in kube_files}
    assert plan["steps"][0]["phase"] == "namespaces-and-crds"
    assert plan["steps"][-1]["phase"] == "argocd"
    plan_md = (plan_dir / "plan.md").read_text()
    assert plan_md.startswith(f"# Restore plan for {ARCHIVE}\n")
    assert "## Server-side dry run" not in plan_md
    plan_result = json.loads((plan_dir / "result.json").read_text())
    assert plan_result["verdict"] == "ok" and plan_result["job"] == "backup.restore-plan"

    kept = sorted(p.name for p in backups.glob("*.tar.gz"))
    assert kept == sorted([ARCHIVE] + [f"2025-11-{d:02d}T013000Z.tar.gz" for d in KEPT_OLD])
    prune_result = json.loads(
        (artifacts / "backup-prune/config_backup_20260115T000000/result.json").read_text()
    )
    assert prune_result["data"]["newest_verified"] == f"backups/{ARCHIVE}"

    metrics = pushgateway.group("config-backup")
    assert metrics["kindops_backup_size_bytes"] == archive.stat().st_size
    assert metrics["kindops_backup_objects"] == len(files) - 1
    assert metrics["kindops_job_last_success_timestamp_seconds"] > 1.7e9
    assert metrics["kindops_backup_last_verified_timestamp_seconds"] > 1.7e9

    # A rerun of the same logical date replaces the same archive; nothing else appears.
    second = dags_test("config_backup", "2026-01-15", env)
    assert second.states == first.states, second.tail()
    assert sorted(p.name for p in backups.glob("*.tar.gz")) == kept
    rerun = archive_files(archive)
    assert set(rerun) == set(files)
    assert {k: v for k, v in rerun.items() if k != "manifest.json"} == {
        k: v for k, v in files.items() if k != "manifest.json"
    }
    marker = json.loads((backups / (ARCHIVE + ".verified.json")).read_text())
    assert marker["ok"] is True
    assert json.loads((plan_dir / "plan.json").read_text())["steps"] == plan["steps"]


def test_the_backup_pod_uses_the_backup_service_account(dagbag_k8s: Any) -> None:
    dag = dagbag_k8s.dags["config_backup"]
    pods = {t.task_id: t for t in dag.tasks}
    assert pods["backup"].service_account_name == "kindops-backup"
    assert pods["verify"].service_account_name != "kindops-backup"
    assert [t.task_id for t in dag.topological_sort()] == [
        "backup",
        "verify",
        "restore_plan",
        "prune",
    ]


def test_the_restore_check_dry_runs_as_its_own_identity_in_the_cluster_only(
    dagbag_k8s: Any, dagbag_local: Any
) -> None:
    pod = {t.task_id: t for t in dagbag_k8s.dags["config_backup"].tasks}["restore_plan"]
    assert pod.service_account_name == "kindops-restore-check"
    assert pod.automount_service_account_token is True
    assert pod.arguments == [
        "backup",
        "restore-plan",
        "--latest",
        "--json",
        "--server-dry-run",
        "--force-conflicts",
    ]
    others = [t for t in dagbag_k8s.dags["config_backup"].tasks if t.task_id != "restore_plan"]
    assert all(t.service_account_name != "kindops-restore-check" for t in others)
    local = {t.task_id: t for t in dagbag_local.dags["config_backup"].tasks}["restore_plan"]
    assert local.arguments == ["backup", "restore-plan", "--latest", "--json"]
