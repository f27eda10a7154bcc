"""The backup pods' RBAC: schema-valid, read-only, no Secrets, and enough for the lab's backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.k8s import validate

from .backup_support import Lab

RBAC = Path(__file__).resolve().parents[3] / "gitops/platform/kindops-jobs/backup-rbac.yaml"


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(RBAC.read_text())}


def test_every_document_is_schema_valid(docs: dict[str, dict[str, Any]]) -> None:
    assert set(docs) == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding"}
    for doc in docs.values():
        validate(doc)


def test_the_role_is_read_only_and_never_touches_secrets(docs: dict[str, dict[str, Any]]) -> None:
    rules = docs["ClusterRole"]["rules"]
    for rule in rules:
        assert set(rule["verbs"]) <= {"get", "list"}, rule
        assert "*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", [])
        assert "secrets" not in rule.get("resources", []), rule
    granted = {
        (g, r)
        for rule in rules
        for g in rule.get("apiGroups", [])
        for r in rule.get("resources", [])
    }
    needed = {
        ("argoproj.io", "applications"),
        ("argoproj.io", "appprojects"),
        ("argoproj.io", "rollouts"),
        ("argoproj.io", "analysistemplates"),
        ("monitoring.coreos.com", "prometheusrules"),
        ("monitoring.coreos.com", "servicemonitors"),
        ("kyverno.io", "clusterpolicies"),
        ("networking.istio.io", "virtualservices"),
        ("networking.istio.io", "destinationrules"),
        ("security.istio.io", "peerauthentications"),
        ("security.istio.io", "authorizationpolicies"),
        ("security.istio.io", "requestauthentications"),
        ("bitnami.com", "sealedsecrets"),
        ("external-secrets.io", "externalsecrets"),
        ("", "configmaps"),
    }
    assert needed <= granted


def test_the_binding_ties_the_role_to_the_service_account(docs: dict[str, dict[str, Any]]) -> None:
    sa = docs["ServiceAccount"]["metadata"]
    binding = docs["ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == docs["ClusterRole"]["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "kindops-backup", "namespace": sa["namespace"]}
    ]
    assert sa["name"] == "kindops-backup"


def test_a_backup_with_exactly_these_rights_is_complete(
    lab: Lab, docs: dict[str, dict[str, Any]]
) -> None:
    lab.cluster.allowed = [r for r in docs["ClusterRole"]["rules"] if "resources" in r]
    result, doc = lab.run_json("backup", "run", KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0, result.output
    forbidden = [s for s in doc["data"]["skipped"] if s["reason"].startswith("403")]
    assert forbidden == []
    assert "kubernetes/argocd/core/ConfigMap/argocd-rbac-cm.yaml" in lab.files()
    # And the fake really enforces them: without the ConfigMap rule, ConfigMaps are skipped.
    lab.cluster.allowed = [
        {**r, "resources": [x for x in r["resources"] if x != "configmaps"]}
        for r in lab.cluster.allowed
    ]
    result, doc = lab.run_json("backup", "run", KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0
    assert {s["resource"] for s in doc["data"]["skipped"] if s["reason"].startswith("403")} == {
        "configmaps"
    }
