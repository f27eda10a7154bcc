"""Grafana provisioning: datasources wired for logs <-> traces <-> metrics, dashboards found.

The charts cannot be installed here; what Grafana would reject or silently break is checked
instead: UIDs that do not resolve, a `$` Grafana would expand as an environment variable, an
exemplar label that is not the one the collector writes, providers pointing nowhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "observability" / "grafana"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "datasources.yaml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml"


def datasources() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))
    assert doc["apiVersion"] == 1
    by_uid = {ds["uid"]: ds for ds in doc["datasources"]}
    assert len(by_uid) == len(doc["datasources"]), "duplicate datasource uid"
    return by_uid


def test_datasources_have_the_expected_types_and_one_default() -> None:
    ds = datasources()
    assert {uid: d["type"] for uid, d in ds.items()} == {
        "prometheus": "prometheus",
        "alertmanager": "alertmanager",
        "loki": "loki",
        "tempo": "tempo",
    }
    assert [uid for uid, d in ds.items() if d.get("isDefault")] == ["prometheus"]
    for d in ds.values():
        assert d["url"].startswith("http://") and ".observability.svc" in d["url"]
        assert d.get("editable") is False


def test_every_cross_reference_resolves() -> None:
    ds = datasources()
    refs = []
    prom = ds["prometheus"]["jsonData"]
    refs += [e["datasourceUid"] for e in prom["exemplarTraceIdDestinations"]]
    refs += [f["datasourceUid"] for f in ds["loki"]["jsonData"]["derivedFields"]]
    tempo = ds["tempo"]["jsonData"]
    refs += [
        tempo["tracesToLogsV2"]["datasourceUid"],
        tempo["tracesToMetrics"]["datasourceUid"],
        tempo["serviceMap"]["datasourceUid"],
        tempo["lokiSearch"]["datasourceUid"],
    ]
    assert sorted(set(refs)) == ["loki", "prometheus", "tempo"]
    assert set(refs) <= set(ds)


def test_correlation_matches_what_the_pipeline_writes() -> None:
    ds = datasources()
    # the collector's prometheus exporter names the exemplar label trace_id
    assert [e["name"] for e in ds["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]] == [
        "trace_id"
    ]
    fields = ds["loki"]["jsonData"]["derivedFields"]
    label = next(f for f in fields if f["matcherType"] == "label")
    assert label["matcherRegex"] == "trace_id"  # OTLP structured metadata key in Loki
    line = next(f for f in fields if f["matcherType"] == "regex")
    sample = '{"level": "INFO", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "msg": "ok"}'
    match = re.search(line["matcherRegex"], sample)
    assert match and match.group(1) == "4bf92f3577b34da6a3ce929d0e0e4736"
    tempo = ds["tempo"]["jsonData"]
    assert tempo["tracesToMetrics"]["tags"] == [{"key": "service.name", "value": "job"}]
    assert "trace_id=" in tempo["tracesToLogsV2"]["query"]
    assert tempo["nodeGraph"]["enabled"] is True


def test_dollar_signs_are_escaped_for_grafana() -> None:
    """Grafana expands $NAME / ${NAME} from the environment in provisioning files."""
    for path in (DATASOURCES, PROVIDERS):
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        bare = re.findall(r"(?<!\$)\$(?!\$)[{A-Za-z_]", text.replace("$$", ""))
        assert not bare, f"{path.name}: unescaped $ would be expanded by Grafana: {bare}"


def test_dashboards_reference_only_provisioned_datasources() -> None:
    uids = set(datasources())
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        text = path.read_text()
        used = set(re.findall(r'"uid":\s*"([^"]+)"', text)) - {json.loads(text)["uid"]}
        assert used <= uids, f"{path.name}: {sorted(used - uids)}"


def test_dashboard_provider_loads_the_kindops_folder() -> None:
    doc = yaml.safe_load(PROVIDERS.read_text())
    (provider,) = doc["providers"]
    assert provider["type"] == "file" and provider["folder"] == "kindops"
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"].endswith("/kindops")


def test_sidecar_labels_match_the_configmaps() -> None:
    kps = yaml.safe_load(
        (ROOT / "observability/helm-values/kube-prometheus-stack.yaml").read_text()
    )
    sidecar = kps["grafana"]["sidecar"]
    kustomization = yaml.safe_load((GRAFANA / "kustomization.yaml").read_text())
    generators = {g["name"]: g["options"] for g in kustomization["configMapGenerator"]}
    dash = generators["kindops-grafana-dashboards"]
    src = generators["kindops-grafana-datasources"]
    assert dash["labels"] == {sidecar["dashboards"]["label"]: sidecar["dashboards"]["labelValue"]}
    assert src["labels"] == {sidecar["datasources"]["label"]: sidecar["datasources"]["labelValue"]}
    assert sidecar["dashboards"]["folderAnnotation"] in dash["annotations"]
    assert kustomization["namespace"] == sidecar["dashboards"]["searchNamespace"]
    # the chart's own datasources would clash with the provisioned UIDs
    assert sidecar["datasources"]["defaultDatasourceEnabled"] is False
