"""The backup config file: the packaged default, strict validation, and selection rules."""

from __future__ import annotations

import pytest

from kindops.backup.config import (
    BackupConfig,
    default_config_path,
    load_config,
    parse_config,
)
from kindops.backup.export import select_resources
from kindops.backup.kube import ApiResource
from kindops.errors import ConfigError

from .backup_fakeapi import RESOURCES


def served() -> list[ApiResource]:
    return [
        ApiResource(
            r.group,
            r.version,
            r.plural,
            r.kind,
            r.namespaced,
            singular=r.kind.lower(),
            short_names=r.short,
            verbs=r.verbs,
        )
        for r in RESOURCES
    ]


def test_the_packaged_config_is_the_model_default() -> None:
    packaged = parse_config(default_config_path().read_text(), "backup.yaml")
    # A config that names only `version` gets the same safe selection as the packaged file.
    assert packaged == BackupConfig(version=1)
    assert "kube-system" in packaged.kubernetes.namespaces.exclude
    assert packaged.retention.daily == 7


def test_problems_name_the_file_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("version: 2\nretention: {daily: -1}\nextra: 1\n", "my.yaml")
    text = err.value.message
    assert text.startswith("invalid backup config my.yaml: ")
    assert "version: Input should be 1" in text
    assert "retention.daily" in text and "extra: unknown key" in text
    with pytest.raises(ConfigError, match=r"my.yaml: invalid YAML at line 2"):
        parse_config("version: [1\n", "my.yaml")
    with pytest.raises(ConfigError, match="Secrets are never exported"):
        parse_config("version: 1\nkubernetes: {resources: {include: [Secret]}}\n", "my.yaml")
    with pytest.raises(ConfigError, match="entries must be unique"):
        parse_config("version: 1\nkubernetes: {namespaces: {include: [a, a]}}\n", "my.yaml")


def test_env_names_the_config(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "b.yaml"  # type: ignore[operator]
    path.write_text("version: 1\ncluster_name: lab-a\n")
    monkeypatch.setenv("KINDOPS_BACKUP_CONFIG", str(path))
    loaded = load_config(None)
    assert loaded.config.cluster_name == "lab-a" and loaded.path == str(path)
    assert len(loaded.sha256) == 64


def test_default_selection_exports_config_kinds_only() -> None:
    chosen, unmatched = select_resources(served(), BackupConfig(version=1))
    names = {r.qualified for r in chosen}
    assert unmatched == []
    assert {
        "configmaps",
        "deployments.apps",
        "applications.argoproj.io",
        "sealedsecrets.bitnami.com",
        "clusterpolicies.kyverno.io",
        "customresourcedefinitions.apiextensions.k8s.io",
    } <= names
    for never in (
        "secrets",
        "events",
        "events.events.k8s.io",
        "endpoints",
        "nodes",
        "leases.coordination.k8s.io",
        "controllerrevisions.apps",
        "analysisruns.argoproj.io",
        "bindings",
        "selfsubjectaccessreviews.authorization.k8s.io",
    ):
        assert never not in names, never


def test_resources_match_by_plural_kind_short_name_and_group() -> None:
    for entry in ("deployments", "deployments.apps", "Deployment", "deployment.apps", "deploy"):
        cfg = BackupConfig.model_validate(
            {"version": 1, "kubernetes": {"resources": {"include": [entry]}}}
        )
        chosen, unmatched = select_resources(served(), cfg)
        assert [r.qualified for r in chosen] == ["deployments.apps"], entry
        assert unmatched == []
    cfg = BackupConfig.model_validate(
        {
            "version": 1,
            "kubernetes": {
                "cluster_resources": False,
                "resources": {"include": ["namespaces", "cm"]},
            },
        }
    )
    chosen, _ = select_resources(served(), cfg)
    assert [r.qualified for r in chosen] == ["configmaps"]
