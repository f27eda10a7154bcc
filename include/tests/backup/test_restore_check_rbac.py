"""The restore check's identity (`kindops-restore-check`): schema-valid, exactly the verbs a
server-side dry-run apply needs on the backed-up kinds, dry runs only, and enough for the check
to pass on the lab's archive with exactly these rights (the fake API enforces them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.k8s import validate

from .backup_support import ARCHIVE, Lab

GITOPS = Path(__file__).resolve().parents[3] / "gitops/platform/kindops-jobs"
RBAC = GITOPS / "restore-check-rbac.yaml"
BACKUP_RBAC = GITOPS / "backup-rbac.yaml"
SA_USER = "system:serviceaccount:kindops-jobs:kindops-restore-check"
#: Kinds the check may not apply, on purpose (see the manifest's header).
LEFT_OUT_GROUPS = {"rbac.authorization.k8s.io", "admissionregistration.k8s.io"}


def load(path: Path) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(path.read_text())}


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return load(RBAC)


def granted(rules: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (g, r)
        for rule in rules
        for g in rule.get("apiGroups", [])
        for r in rule.get("resources", [])
    }


def test_every_document_is_schema_valid(docs: dict[str, dict[str, Any]]) -> None:
    assert set(docs) == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
    for doc in docs.values():
        validate(doc)
    kustomization = yaml.safe_load((GITOPS / "kustomization.yaml").read_text())
    assert RBAC.name in kustomization["resources"]


def test_the_role_grants_create_and_patch_only(docs: dict[str, dict[str, Any]]) -> None:
    for rule in docs["ClusterRole"]["rules"]:
        assert sorted(rule["verbs"]) == ["create", "patch"], rule
        assert "nonResourceURLs" not in rule and "resourceNames" not in rule, rule
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"], rule
        assert "secrets" not in rule["resources"], rule
        assert not any("/" in r for r in rule["resources"]), rule  # no subresources
        assert not set(rule["apiGroups"]) & LEFT_OUT_GROUPS, rule


def test_the_role_covers_every_backed_up_kind_but_rbac_and_webhooks(
    docs: dict[str, dict[str, Any]],
) -> None:
    backed_up = granted(load(BACKUP_RBAC)["ClusterRole"]["rules"])
    expected = {(g, r) for g, r in backed_up if g not in LEFT_OUT_GROUPS}
    assert granted(docs["ClusterRole"]["rules"]) == expected


def test_the_binding_is_cluster_wide_for_the_service_account_only(
    docs: dict[str, dict[str, Any]],
) -> None:
    sa = docs["ServiceAccount"]["metadata"]
    assert (sa["name"], sa["namespace"]) == ("kindops-restore-check", "kindops-jobs")
    binding = docs["ClusterRoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": docs["ClusterRole"]["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]}
    ]
    assert f"system:serviceaccount:{sa['namespace']}:{sa['name']}" == SA_USER


def test_an_admission_policy_denies_the_account_anything_but_dry_runs(
    docs: dict[str, dict[str, Any]],
) -> None:
    policy = docs["ValidatingAdmissionPolicy"]
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    [rule] = spec["matchConstraints"]["resourceRules"]
    assert rule["apiGroups"] == rule["apiVersions"] == ["*"]
    assert set(rule["resources"]) == {"*", "*/*"}
    assert rule["operations"] == ["*"]
    [condition] = spec["matchConditions"]
    assert condition["expression"].strip() == f'request.userInfo.username == "{SA_USER}"'
    assert [v["expression"] for v in spec["validations"]] == ["request.dryRun == true"]
    binding = docs["ValidatingAdmissionPolicyBinding"]["spec"]
    assert binding == {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"]}


@pytest.fixture()
def backed_up(lab: Lab) -> Lab:
    result = lab.run("backup", "run", KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0, result.output
    lab.cluster.requests.clear()
    return lab


def test_the_check_passes_with_exactly_these_rights(
    backed_up: Lab, docs: dict[str, dict[str, Any]]
) -> None:
    lab = backed_up
    lab.cluster.allowed = docs["ClusterRole"]["rules"]
    # Deleted since the backup: applying it again creates it, which needs `create`.
    gone = lab.cluster.objects["configmaps"].pop(
        next(
            i
            for i, c in enumerate(lab.cluster.objects["configmaps"])
            if c["metadata"]["name"] == "argocd-rbac-cm"
        )
    )
    result, doc = lab.run_json("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert result.exit_code == 0, result.output
    outcomes: dict[str, set[str]] = {}
    for r in doc["data"]["dry_run"]:
        outcomes.setdefault(r["outcome"], set()).add(r["object"].split(" ", 1)[0])
    rbac = {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    assert outcomes["forbidden"] == rbac & {s["kind"] for s in doc["data"]["steps"]}
    assert outcomes["forbidden"], "the lab's archive has RBAC objects"
    assert set(outcomes) == {"ok", "forbidden"}
    ref = f"ConfigMap argocd/{gone['metadata']['name']}"
    assert next(r for r in doc["data"]["dry_run"] if r["object"] == ref)["outcome"] == "ok"
    assert (
        "forbidden to this identity, not checked (ClusterRole, ClusterRoleBinding"
        in (doc["summary"])
    )
    assert all(r.query["dryRun"] == ["All"] for r in lab.requests("PATCH"))

    # Without `create`, the deleted ConfigMap could not be checked.
    lab.cluster.allowed = [{**rule, "verbs": ["patch"]} for rule in docs["ClusterRole"]["rules"]]
    result, doc = lab.run_json("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert result.exit_code == 0, result.output
    denied = next(r for r in doc["data"]["dry_run"] if r["object"] == ref)
    assert denied["outcome"] == "forbidden"
    assert denied["reason"] == '403 Forbidden: configmaps "argocd-rbac-cm" is forbidden:'
    rbac_denial = next(r for r in doc["data"]["dry_run"] if r["object"].startswith("ClusterRole "))
    assert rbac_denial["reason"].startswith("403 Forbidden: clusterroles.rbac.authorization.k8s.io")
    assert 'cannot patch resource "clusterroles"' in rbac_denial["reason"]
    assert {r["outcome"] for r in doc["data"]["dry_run"]} == {"ok", "forbidden"}


def test_an_identity_that_may_apply_nothing_fails_the_check(backed_up: Lab) -> None:
    backed_up.cluster.allowed = []
    result, doc = backed_up.run_json("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert result.exit_code == 1
    assert doc["verdict"] == "bad"
    assert {r["outcome"] for r in doc["data"]["dry_run"]} == {"forbidden"}
    assert "the dry run checked nothing: every object was forbidden" in doc["summary"]


@pytest.mark.parametrize(
    "message",
    [
        'admission webhook "validate.kyverno.svc-fail" denied the request: resource Deployment'
        "/app/app-python was blocked due to the following policies: require-requests",
        'deployments.apps "app-python" is forbidden: ValidatingAdmissionPolicy '
        "'require-limits' with binding 'require-limits' denied request: limits are required",
        'deployments.apps "app-python" is forbidden: exceeded quota: app, requested: '
        "limits.cpu=2, used: limits.cpu=3, limited: limits.cpu=4",
    ],
)
def test_an_admission_denial_is_a_failure_not_a_forbidden_kind(
    backed_up: Lab, docs: dict[str, dict[str, Any]], message: str
) -> None:
    """Admission answers 403 too, but it judges the object: a restore would fail."""
    lab = backed_up
    lab.cluster.allowed = docs["ClusterRole"]["rules"]
    lab.cluster.reject_apply[("Deployment", "app", "app-python")] = (403, "Forbidden", message)
    result, doc = lab.run_json("backup", "restore-plan", ARCHIVE, "--server-dry-run")
    assert result.exit_code == 1, result.output
    [failed] = [r for r in doc["data"]["dry_run"] if r["outcome"] == "fail"]
    assert failed["object"] == "Deployment app/app-python"
    assert failed["reason"] == f"403 Forbidden: {message}"
    assert "would fail: step" in doc["summary"]
