"""Every plain manifest under gitops/ is strictly schema-valid; kustomizations list real files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.support.k8s import pod_policy_violations, validate

NOT_MANIFESTS = {"kustomization.yaml", "values.yaml", "Chart.yaml"}


def manifest_files() -> list[Path]:
    return sorted(
        p
        for p in (ROOT / "gitops").rglob("*.yaml")
        if p.name not in NOT_MANIFESTS
        and "values" not in p.parts
        and not p.name.endswith("-values.yaml")
        and "templates" not in p.parts
    )


def docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


FILES = manifest_files()


def test_there_are_manifests() -> None:
    assert any(p.parent.name == "kindops-jobs" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_manifest_is_valid(path: Path) -> None:
    for doc in docs(path):
        assert doc.get("kind") and doc.get("apiVersion"), path
        validate(doc)
        labels = doc["metadata"].get("labels") or {}
        assert labels.get("app.kubernetes.io/part-of") == "kindops-lab", (path, doc["kind"])
        template = (doc.get("spec") or {}).get("template") or {}
        if template.get("spec", {}).get("containers"):
            assert pod_policy_violations(template) == [], path


def test_kustomizations_list_existing_files_and_every_manifest() -> None:
    for kust in (ROOT / "gitops").rglob("kustomization.yaml"):
        listed = set(yaml.safe_load(kust.read_text()).get("resources", []))
        for res in listed:
            assert (kust.parent / res).exists(), f"{kust}: {res} missing"
        here = {p.name for p in kust.parent.glob("*.yaml") if p.name != "kustomization.yaml"}
        assert here <= listed, f"{kust}: not listed: {sorted(here - listed)}"


def test_jobs_rbac_is_least_privilege() -> None:
    folder = ROOT / "gitops/platform/kindops-jobs"
    objs = [d for p in folder.glob("*.yaml") for d in docs(p)]
    kinds = {d["kind"] for d in objs}
    assert "ClusterRoleBinding" not in kinds or all(
        d["roleRef"]["name"] != "cluster-admin" for d in objs if d["kind"] == "ClusterRoleBinding"
    )
    for role in (d for d in objs if d["kind"] in {"Role", "ClusterRole"}):
        for rule in role["rules"]:
            where = role["metadata"]["name"]
            assert "*" not in rule["verbs"], where
            if "nonResourceURLs" in rule:  # discovery documents only, read-only
                assert set(rule["verbs"]) == {"get"}, where
                assert all(u.startswith(("/api", "/apis")) for u in rule["nonResourceURLs"])
                continue
            assert "*" not in rule["resources"] and "*" not in rule.get("apiGroups", []), where
            assert "secrets" not in rule["resources"], f"{where} may read Secrets"
    sa = next(
        d for d in objs if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "kindops-jobs"
    )
    assert sa["automountServiceAccountToken"] is False


def test_the_jobs_namespace_is_restricted_and_leaves_injection_to_each_pod() -> None:
    (namespace,) = docs(ROOT / "gitops/platform/kindops-jobs/namespace.yaml")
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # a namespace label (even `disabled`) would override the tasks' sidecar.istio.io/inject
    assert "istio-injection" not in labels and "istio.io/rev" not in labels
