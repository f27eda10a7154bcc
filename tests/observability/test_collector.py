"""The collector config against the collector built from the manifest (otelcol-kindops).

The binary is built by `.ci/install-tools collector` (OpenTelemetry Collector Builder, every
component pinned to one release). These tests check that the manifest, the config and the
binary agree, and that the binary accepts the config and rejects broken ones.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_DIR = ROOT / "observability" / "otel-collector"
CONFIG = COLLECTOR_DIR / "config.yaml"
MANIFEST = COLLECTOR_DIR / "builder-config.yaml"
OTELCOL = ROOT / ".tools" / "bin" / "otelcol-kindops"
KINDS = ("receivers", "processors", "exporters", "extensions")


def tools_versions() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / "tools.versions").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def manifest() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return doc


def config() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return doc


def otelcol() -> Path:
    assert OTELCOL.is_file(), f"{OTELCOL} is missing: run `.ci/install-tools collector`"
    return OTELCOL


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(otelcol()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def built_components() -> dict[str, dict[str, str]]:
    """kind -> {component type: "module version"} as the binary reports them."""
    listed = run("components")
    assert listed.returncode == 0, listed.stderr
    doc = yaml.safe_load(listed.stdout)
    return {kind: {c["name"]: c["module"] for c in doc.get(kind) or []} for kind in KINDS}


def test_every_module_is_pinned_to_the_one_release() -> None:
    release = tools_versions()["OTELCOL_BUILDER_VERSION"]
    minor = int(release.split(".")[1])
    stable = f"v1.{minor - 94}.0"  # core's stable modules are released as v1.(minor-94)
    doc = manifest()
    entries = [e for kind in (*KINDS, "providers") for e in doc.get(kind, [])]
    entries.append(doc["telemetry"])
    assert entries
    for entry in entries:
        module, version = entry["gomod"].split()
        expected = stable if module.startswith("go.opentelemetry.io/collector/confmap") else release
        assert version == expected, f"{module} is at {version}, the release is {expected}"


def test_config_uses_exactly_the_built_components() -> None:
    built = {kind: set(types) for kind, types in built_components().items()}
    used = {kind: {name.split("/")[0] for name in config().get(kind, {})} for kind in KINDS}
    assert used == built


def test_pipelines_cover_three_signals_with_the_required_processors() -> None:
    service = config()["service"]
    pipelines = service["pipelines"]
    assert set(pipelines) == {"traces", "metrics", "logs"}
    for name, pipeline in pipelines.items():
        assert pipeline["receivers"] == ["otlp"], name
        processors = pipeline["processors"]
        assert processors[0] == "memory_limiter", f"{name}: memory_limiter must come first"
        assert processors[-1] == "batch", f"{name}: batch must come last"
        assert {"resource", "attributes"} <= set(processors), name
        assert "debug" in pipeline["exporters"], name
    assert pipelines["metrics"]["exporters"][0] == "prometheus"
    assert pipelines["logs"]["exporters"][0] == "otlp_http/loki"
    assert pipelines["traces"]["exporters"][0] == "otlp_grpc/tempo"


def test_every_endpoint_comes_from_the_environment_with_a_default() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    endpoints = re.findall(r"^\s*endpoint:\s*(.+)$", body, flags=re.M)
    assert len(endpoints) >= 6
    for value in endpoints:
        assert re.fullmatch(r"\$\{env:[A-Z0-9_]+:-[^}]+\}", value.strip()), value
    assert "/otlp" in config()["exporters"]["otlp_http/loki"]["endpoint"]


def test_the_header_explains_the_backend_swap() -> None:
    header = CONFIG.read_text(encoding="utf-8").split("\n\n", 1)[0]
    for backend in ("Grafana Cloud", "Datadog", "New Relic", "Elastic"):
        assert backend in header


def test_the_binary_holds_exactly_the_manifest_modules() -> None:
    listed = run("components")
    assert yaml.safe_load(listed.stdout)["buildinfo"]["command"] == "otelcol-kindops"
    built = built_components()
    for kind in KINDS:
        assert sorted(built[kind].values()) == sorted(e["gomod"] for e in manifest()[kind]), kind


def test_the_config_is_valid() -> None:
    checked = run("validate", f"--config={CONFIG}")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["service"]["pipelines"]["metrics"]["processors"].append("filter"), "filter"),
        (lambda c: c["exporters"].update({"loki": {"endpoint": "http://127.0.0.1:1"}}), "loki"),
        (lambda c: c["processors"]["memory_limiter"].update({"limit_mib": "lots"}), "limit_mib"),
    ],
    ids=["undefined-processor", "removed-loki-exporter", "bad-memory-limit"],
)
def test_a_broken_config_is_rejected(tmp_path: Path, change: Any, message: str) -> None:
    doc = config()
    change(doc)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(doc), encoding="utf-8")
    checked = run("validate", f"--config={broken}")
    assert checked.returncode != 0
    assert message in checked.stderr


def test_environment_overrides_are_applied(tmp_path: Path) -> None:
    """A bad value given through the environment must reach the component (and fail it)."""
    checked = run("validate", f"--config={CONFIG}", env={"OTELCOL_DEBUG_VERBOSITY": "chatty"})
    assert checked.returncode != 0
    assert "chatty" in checked.stderr
