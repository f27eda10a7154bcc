"""`kindops backup restore-plan`: order, server-side dry run against the fake API, drift."""

from __future__ import annotations

import json

import pytest

from kindops.backup.restore import PHASES

from .backup_support import ARCHIVE, Lab


@pytest.fixture()
def backed_up(lab: Lab) -> Lab:
    result = lab.run("backup", "run")
    assert result.exit_code == 0, result.output
    lab.cluster.requests.clear()
    return lab


def test_plan_order(backed_up: Lab) -> None:
    result, doc = backed_up.run_json("backup", "restore-plan", ARCHIVE)
    assert result.exit_code == 0, result.output
    steps = doc["data"]["steps"]
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    phases = [s["phase"] for s in steps]
    assert phases == sorted(phases, key=PHASES.index)  # phases never interleave
    kinds = [s["kind"] for s in steps]
    first_other = next(
        i for i, k in enumerate(kinds) if k not in ("Namespace", "CustomResourceDefinition")
    )
    assert set(kinds[:first_other]) == {"Namespace", "CustomResourceDefinition"}
    assert kinds.index("ClusterRole") < kinds.index("ClusterRoleBinding")
    assert {s["kind"] for s in steps if s["phase"] == "cluster"} == {
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterPolicy",
    }
    config = [s["kind"] for s in steps if s["phase"] == "config"]
    assert config.index("ServiceAccount") < config.index("ConfigMap") < config.index("Service")
    assert kinds.index("Deployment") > max(i for i, k in enumerate(kinds) if k == "ConfigMap")
    assert kinds[-2:] == ["AppProject", "Application"]  # Argo CD last
    assert [s["phase"] for s in steps[-2:]] == ["argocd", "argocd"]
    grafana = [g["type"] for g in doc["data"]["grafana"]]
    assert grafana == [
        "folder",
        "datasource",
        "dashboard",
        "alert-rule",
        "contact-point",
        "notification-policies",
    ]
    plan_md = backed_up.store / "backup-restore-plan" / "config_backup_20260115T020000" / "plan.md"
    text = plan_md.read_text()
    assert (
        "kubectl apply --server-side --field-manager=kindops-restore -f "
        "kubernetes/_cluster/core/Namespace/app.yaml" in text
    )
    assert "redacted: grafana/contact-points/slack-oncall.json: settings.token" in text
    assert backed_up.cluster.requests == []  # a plan alone never calls the cluster


def test_server_dry_run_sends_every_object_as_a_dry_run_apply(backed_up: Lab) -> None:
    lab = backed_up
    result, doc = lab.run_json("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert result.exit_code == 0, result.output
    patches = lab.requests("PATCH")
    steps = doc["data"]["steps"]
    assert len(patches) == len(steps)
    for req in patches:
        assert req.query["dryRun"] == ["All"]
        assert req.query["fieldManager"] == ["kindops-restore"]
        assert "force" not in req.query
        assert req.headers["Content-Type"] == "application/apply-patch+yaml"
    deploy = next(
        r for r in patches if r.path == "/apis/apps/v1/namespaces/app/deployments/app-python"
    )
    assert deploy.body["kind"] == "Deployment" and deploy.body["spec"]["replicas"] == 2
    assert {r["outcome"] for r in doc["data"]["dry_run"]} == {"ok"}
    # Dry runs change nothing.
    assert lab.cluster.objects["deployments.apps"][0]["metadata"]["resourceVersion"] == "4711"


def test_server_dry_run_reports_what_would_fail(backed_up: Lab) -> None:
    lab = backed_up
    lab.cluster.reject_apply[("Rollout", "app", "app-java")] = (
        422,
        "Invalid",
        'Rollout.argoproj.io "app-java" is invalid: spec.strategy: Required value',
    )
    # A namespace that is gone: its objects wait for the plan's own Namespace step.
    lab.cluster.objects["namespaces"] = [
        n for n in lab.cluster.objects["namespaces"] if n["metadata"]["name"] != "monitoring"
    ]
    result, doc = lab.run_json(
        "backup", "restore-plan", ARCHIVE, "--server-dry-run", "--force-conflicts"
    )
    assert result.exit_code == 1
    failed = [r for r in doc["data"]["dry_run"] if r["outcome"] == "fail"]
    assert failed == [
        {
            "step": failed[0]["step"],
            "object": "Rollout app/app-java",
            "outcome": "fail",
            "reason": "422 Invalid: Rollout.argoproj.io "
            '"app-java" is invalid: spec.strategy: Required value',
        }
    ]
    deferred = [r for r in doc["data"]["dry_run"] if r["outcome"] == "deferred"]
    assert deferred and all(r["object"].split()[1].startswith("monitoring/") for r in deferred)
    ns_step = next(
        s["step"]
        for s in doc["data"]["steps"]
        if s["kind"] == "Namespace" and s["name"] == "monitoring"
    )
    assert deferred[0]["reason"] == f"namespace monitoring is created by step {ns_step}"
    assert all(r.query["force"] == ["true"] for r in lab.requests("PATCH"))
    human = lab.run("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert "would fail: step" in human.stdout and "Rollout app/app-java" in human.stdout


def test_drift_report(backed_up: Lab) -> None:
    lab = backed_up
    objs = lab.cluster.objects
    objs["deployments.apps"][0]["spec"]["replicas"] = 5
    objs["services"].clear()
    objs["configmaps"].append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "hotfix", "namespace": "app"},
            "data": {"k": "v"},
        }
    )
    result, doc = lab.run_json("backup", "restore-plan", "--latest", "--diff")
    assert result.exit_code == 0, result.output
    drift = doc["data"]["drift"]
    assert drift["added"] == ["kubernetes/app/core/ConfigMap/hotfix.yaml"]
    assert drift["removed"] == ["kubernetes/app/core/Service/app-python.yaml"]
    assert drift["changed"] == ["kubernetes/app/apps/Deployment/app-python.yaml"]
    diff = drift["diffs"]["kubernetes/app/apps/Deployment/app-python.yaml"]
    assert "--- backup/kubernetes/app/apps/Deployment/app-python.yaml" in diff
    assert "-  replicas: 2\n+  replicas: 5\n" in diff
    assert drift["unchanged"] > 20
    assert (
        "drift: 1 added, 1 removed, 1 changed"
        in lab.run("backup", "restore-plan", "--latest", "--diff").stdout
    )


def test_a_corrupt_archive_gets_no_plan(backed_up: Lab) -> None:
    lab = backed_up
    data = bytearray(lab.archive())
    data[-20] ^= 0x01
    (lab.store / ARCHIVE).write_bytes(bytes(data))
    result = lab.run("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert result.exit_code == 1
    assert "CORRUPT, no plan" in result.stdout
    assert lab.requests("PATCH") == []


def test_plan_json_is_stored(backed_up: Lab) -> None:
    result = backed_up.run("backup", "restore-plan", ARCHIVE)
    assert result.exit_code == 0
    path = backed_up.store / "backup-restore-plan/config_backup_20260115T020000/plan.json"
    doc = json.loads(path.read_text())
    assert doc["archive"] == ARCHIVE and doc["dry_run"] is None and doc["drift"] is None
