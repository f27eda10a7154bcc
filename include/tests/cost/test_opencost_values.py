"""gitops/platform/opencost/values.yaml offline: parses, pinned, bounded, secure, wired to the
lab's Prometheus, and priced in sane amounts for OpenCost's custom-pricing units."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from kindops.cost.demo import Prices
from kindops.cost.jobs import PRICING_HELP
from tests.support.servers import ROOT

VALUES = ROOT / "gitops/platform/opencost/values.yaml"
DATASOURCES = ROOT / "observability/grafana/provisioning/datasources/datasources.yaml"


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    doc = yaml.safe_load(VALUES.read_text())
    assert isinstance(doc, dict)
    return doc


def test_the_exporter_image_is_pinned_by_version_and_digest(values: dict[str, Any]) -> None:
    image = values["opencost"]["exporter"]["image"]
    assert image["registry"] == "ghcr.io" and image["repository"] == "opencost/opencost"
    assert re.fullmatch(r"\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", image["tag"]), image["tag"]
    assert "latest" not in image["tag"]


def test_resources_are_requested_and_limited(values: dict[str, Any]) -> None:
    res = values["opencost"]["exporter"]["resources"]
    assert set(res["requests"]) == {"cpu", "memory"} == set(res["limits"])


def test_the_pod_runs_non_root_read_only_without_capabilities(values: dict[str, Any]) -> None:
    pod = values["podSecurityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    ctr = values["opencost"]["exporter"]["securityContext"]
    assert ctr["runAsNonRoot"] is True
    assert ctr["readOnlyRootFilesystem"] is True
    assert ctr["allowPrivilegeEscalation"] is False
    assert ctr["capabilities"] == {"drop": ["ALL"]}
    assert ctr["seccompProfile"] == {"type": "RuntimeDefault"}
    # a read-only root needs a writable /tmp
    volumes = {v["name"]: v for v in values["extraVolumes"]}
    mounts = {
        m["mountPath"]: m["name"] for m in values["opencost"]["exporter"]["extraVolumeMounts"]
    }
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert values["opencost"]["ui"]["enabled"] is False  # nothing else runs in the pod


def test_opencost_reads_the_labs_prometheus(values: dict[str, Any]) -> None:
    prom = values["opencost"]["prometheus"]
    assert prom["internal"]["enabled"] is False
    assert prom["external"]["enabled"] is True
    grafana = yaml.safe_load(DATASOURCES.read_text())
    lab_prometheus = next(d["url"] for d in grafana["datasources"] if d["uid"] == "prometheus")
    assert prom["external"]["url"] == lab_prometheus
    assert values["opencost"]["metrics"]["serviceMonitor"]["enabled"] is True


def test_custom_pricing_is_on_with_sane_prices_for_their_units(values: dict[str, Any]) -> None:
    pricing = values["opencost"]["customPricing"]
    assert pricing["enabled"] is True and pricing["provider"] == "custom"
    assert pricing["createConfigmap"] is True
    model = pricing["costModel"]
    numbers = {k: v for k, v in model.items() if k != "description"}
    assert all(isinstance(v, float) and v >= 0 for v in numbers.values()), numbers
    cpu, ram, storage = model["CPU"], model["RAM"], model["storage"]
    assert 0.001 <= cpu <= 0.5, "USD per vCPU-hour"
    assert 0.0001 <= ram <= 0.05, "USD per GiB-hour"
    assert ram < cpu, "a GiB of RAM costs less than a vCPU"
    assert 0.01 <= storage * 730 <= 1.0, "USD per GiB-hour: 0.01-1 USD per GiB-month"
    assert storage < ram, "a GiB of disk costs less than a GiB of RAM"
    assert model["spotCPU"] < cpu and model["spotRAM"] < ram
    for egress in ("zoneNetworkEgress", "regionNetworkEgress", "internetNetworkEgress"):
        assert 0 <= model[egress] <= 1, f"{egress}: USD per GiB"
    node_month = (8 * cpu + 16 * ram) * 730
    assert 50 <= node_month <= 500, "an 8 vCPU / 16 GiB kind node priced like a small VM"


def test_the_demo_opencost_and_the_review_speak_of_the_same_prices(values: dict[str, Any]) -> None:
    model = values["opencost"]["customPricing"]["costModel"]
    prices = Prices()
    assert prices.cpu_core_hour == model["CPU"]
    assert prices.ram_gib_hour == model["RAM"]
    assert prices.storage_gib_hour == model["storage"]
    assert "gitops/platform/opencost/values.yaml" in PRICING_HELP
    assert "opencost.customPricing.enabled=true" in PRICING_HELP
