"""Helm values of the observability stack: parse, pinned, sized, secure, and wired together.

The charts themselves cannot be fetched here; these checks cover what the values decide:
versions pinned in one place, no floating image, requests and limits on every workload, small
retention, no credential in git, and the names that connect the pieces (services, ports,
ConfigMaps, remote write) agreeing across the values, the collector config and the Grafana
datasources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "observability" / "helm-values"
COLLECTOR = ROOT / "observability" / "otel-collector"

#: Where each values file sets the resources of each workload it runs.
WORKLOADS = {
    "kube-prometheus-stack.yaml": [
        "prometheusOperator.resources",
        "prometheusOperator.prometheusConfigReloader.resources",
        "prometheus.prometheusSpec.resources",
        "alertmanager.alertmanagerSpec.resources",
        "grafana.resources",
        "grafana.sidecar.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
    ],
    "loki.yaml": ["singleBinary.resources"],
    "tempo.yaml": ["tempo.resources"],
    "opentelemetry-collector.yaml": ["resources"],
    "prometheus-pushgateway.yaml": ["resources"],
}


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((VALUES / name).read_text(encoding="utf-8"))
    return doc


def dig(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for key in dotted.split("."):
        assert isinstance(node, dict) and key in node, f"missing {dotted}"
        node = node[key]
    return node


def charts() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = load("charts.yaml")["charts"]
    return entries


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def test_every_chart_is_pinned_once_and_has_its_values() -> None:
    entries = charts()
    assert {c["chart"] for c in entries} == {
        "kube-prometheus-stack",
        "loki",
        "tempo",
        "opentelemetry-collector",
        "prometheus-pushgateway",
    }
    assert len({c["release"] for c in entries}) == len(entries)
    for chart in entries:
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(chart["version"])), chart
        assert chart["repo"].startswith("https://"), chart
        assert (VALUES / chart["values"]).is_file(), chart
    listed = {c["values"] for c in entries}
    assert listed == {p.name for p in VALUES.glob("*.yaml")} - {"charts.yaml"}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_images_in_values_are_pinned(name: str) -> None:
    for path, node in walk(load(name)):
        if path.endswith("image") and isinstance(node, dict) and "repository" in node:
            tag = str(node.get("tag", "")) or str(node.get("digest", ""))
            assert tag and tag != "latest", f"{name}: {path} is not pinned"
        if path.endswith("image") and isinstance(node, str):
            assert ":" in node and not node.endswith(":latest"), f"{name}: {path}"


@pytest.mark.parametrize(("name", "where"), [(n, w) for n, ws in WORKLOADS.items() for w in ws])
def test_every_workload_has_requests_and_limits(name: str, where: str) -> None:
    resources = dig(load(name), where)
    assert resources["requests"]["cpu"] and resources["requests"]["memory"], where
    assert resources["limits"]["memory"], where


def test_retention_is_small_and_storage_disposable() -> None:
    kps = load("kube-prometheus-stack.yaml")
    # The SLO report measures 30-day budgets and the cost review needs 8 days of history.
    retention = dig(kps, "prometheus.prometheusSpec.retention")
    assert retention.endswith("d") and int(retention[:-1]) >= 30
    assert dig(kps, "prometheus.prometheusSpec.retentionSize") == "4GB"
    assert dig(kps, "prometheus.prometheusSpec.storageSpec") == {}
    assert dig(kps, "grafana.persistence.enabled") is False
    assert dig(load("loki.yaml"), "loki.limits_config.retention_period") == "24h"
    assert dig(load("loki.yaml"), "singleBinary.persistence.size") == "2Gi"
    assert dig(load("tempo.yaml"), "tempo.retention") == "24h"
    assert dig(load("tempo.yaml"), "persistence.enabled") is False


def test_no_credential_is_committed() -> None:
    for name in WORKLOADS:
        for path, node in walk(load(name)):
            key = path.rsplit(".", 1)[-1].lower()
            if re.search(r"password|secret|token|apikey|api_key", key) and isinstance(node, str):
                # Allowed: key names, references to existing Secrets, and the operator's
                # `secrets: [<name>]` lists of Secrets to mount.
                reference = key.endswith(("key", "existingsecret", "configsecret"))
                assert reference or re.fullmatch(r"secrets\[\d+\]", key), f"{name}: {path}"
    grafana = load("kube-prometheus-stack.yaml")["grafana"]
    assert grafana["admin"]["existingSecret"] and "adminPassword" not in grafana


def test_containers_run_as_non_root_read_only() -> None:
    collector = load("opentelemetry-collector.yaml")
    assert collector["podSecurityContext"]["runAsNonRoot"] is True
    assert collector["securityContext"]["readOnlyRootFilesystem"] is True
    assert collector["securityContext"]["capabilities"]["drop"] == ["ALL"]
    grafana = load("kube-prometheus-stack.yaml")["grafana"]
    assert grafana["securityContext"]["runAsNonRoot"] is True
    assert grafana["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    assert load("tempo.yaml")["tempo"]["securityContext"]["readOnlyRootFilesystem"] is True


def test_collector_values_run_the_validated_config() -> None:
    values = load("opentelemetry-collector.yaml")
    release = dict(
        line.split("=", 1)
        for line in (ROOT / "tools.versions").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )["OTELCOL_BUILDER_VERSION"]
    assert values["image"]["tag"] == release.lstrip("v")  # same release as the CI build
    kustomization = yaml.safe_load((COLLECTOR / "kustomization.yaml").read_text())
    (generator,) = kustomization["configMapGenerator"]
    assert values["configMap"] == {"create": False, "existingName": generator["name"]}
    assert generator["files"] == ["relay=config.yaml"]  # the chart mounts the key `relay`
    config = yaml.safe_load((COLLECTOR / "config.yaml").read_text())
    ports = {
        int(m.group(1)) for m in re.finditer(r"[:-](\d+)\}?$", yaml.safe_dump(config), flags=re.M)
    }
    enabled = {p["containerPort"] for p in values["ports"].values() if p.get("enabled")}
    assert {4317, 4318, 8888, 8889} <= enabled and enabled <= ports
    probes = {
        values["livenessProbe"]["httpGet"]["port"],
        values["readinessProbe"]["httpGet"]["port"],
    }
    assert probes == {13133}
    endpoints = {e["port"]: e for e in values["serviceMonitor"]["metricsEndpoints"]}
    assert endpoints["prom-exporter"]["honorLabels"] is True  # keeps job = service.name


def test_service_names_agree_across_the_stack() -> None:
    config = (COLLECTOR / "config.yaml").read_text()
    releases = {c["chart"]: c["release"] for c in charts()}
    namespace = load("charts.yaml")["namespace"]
    assert f"http://{releases['loki']}.{namespace}.svc.cluster.local:3100/otlp" in config
    assert f"{releases['tempo']}.{namespace}.svc.cluster.local:4317" in config
    prometheus = f"{releases['kube-prometheus-stack']}-prometheus.{namespace}.svc:9090"
    assert dig(load("tempo.yaml"), "tempo.metricsGenerator.remoteWriteUrl") == (
        f"http://{prometheus}/api/v1/write"
    )
    kps = load("kube-prometheus-stack.yaml")
    assert dig(kps, "prometheus.prometheusSpec.enableRemoteWriteReceiver") is True
    assert "exemplar-storage" in dig(kps, "prometheus.prometheusSpec.enableFeatures")
    sources = (ROOT / "observability/grafana/provisioning/datasources/datasources.yaml").read_text()
    assert f"http://{prometheus}" in sources
    assert f"http://{releases['loki']}.{namespace}.svc:3100" in sources
    assert f"http://{releases['tempo']}.{namespace}.svc:3200" in sources


def test_every_alertmanager_credentials_file_is_a_mounted_secret() -> None:
    """The operator mounts ``alertmanagerSpec.secrets`` at /etc/alertmanager/secrets/<name>/."""
    config = (ROOT / "observability/alertmanager/alertmanager.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"/etc/alertmanager/secrets/([a-z0-9-]+)/", config))
    assert used, "the webhook reads its token from a mounted Secret"
    mounted = set(dig(load("kube-prometheus-stack.yaml"), "alertmanager.alertmanagerSpec.secrets"))
    assert used <= mounted, f"credentials files of Secrets not mounted: {sorted(used - mounted)}"
