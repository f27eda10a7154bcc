"""docker-compose.yaml renders to a valid Compose config that runs Airflow 3 for the lab."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}


def compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose not installed: run `make tools`"
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW_JWT_SECRET": "test-secret"}
    return subprocess.run(
        [exe, "-f", str(path), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
        timeout=60,
    )


def rendered() -> dict[str, Any]:
    proc = compose_config(ROOT / "docker-compose.yaml")
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = yaml.safe_load(proc.stdout)
    return doc


def test_renders_the_airflow_3_services() -> None:
    services = rendered()["services"]
    assert set(services) == AIRFLOW_SERVICES | {"postgres"}
    for name in AIRFLOW_SERVICES:
        svc = services[name]
        assert svc["image"].startswith("apache/airflow:3.3."), name
        env = svc["environment"]
        assert env["KINDOPS_RUNNER"] == "kubernetes", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        targets = {
            str(v).split(":")[1] if isinstance(v, str) else v["target"] for v in svc["volumes"]
        }
        assert {
            "/opt/airflow/dags",
            "/opt/airflow/plugins",
            "/opt/airflow/include",
            "/opt/airflow/.kube/config",
        } <= targets, name
    assert services["airflow-init"]["command"] == ["db", "migrate"]
    assert services["airflow-scheduler"]["depends_on"]["airflow-init"]["condition"] == (
        "service_completed_successfully"
    )


def test_images_are_pinned_and_ui_is_local_only() -> None:
    services = rendered()["services"]
    for name, svc in services.items():
        tag = svc["image"].rpartition(":")[2]
        assert tag and tag != "latest" and "/" not in tag, f"{name}: {svc['image']}"
    port = services["airflow-apiserver"]["ports"][0]
    published = port if isinstance(port, str) else f"{port['host_ip']}:{port['published']}"
    assert str(published).startswith("127.0.0.1:")


def test_a_broken_file_is_rejected(tmp_path: Path) -> None:
    broken = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    broken["services"]["airflow-scheduler"]["comand"] = ["scheduler"]
    (tmp_path / "docker-compose.yaml").write_text(yaml.safe_dump(broken))
    proc = compose_config(tmp_path / "docker-compose.yaml")
    assert proc.returncode != 0
    assert "comand" in proc.stderr
