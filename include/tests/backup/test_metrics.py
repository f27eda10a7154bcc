"""Backup metrics reach a real Pushgateway (the Debian `prometheus-pushgateway` binary)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from backup_support import Lab

from tests.support.servers import free_port, process

PUSHGATEWAY = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"


@pytest.fixture()
def pushgateway(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
        PUSHGATEWAY,
        f"--web.listen-address=127.0.0.1:{port}",
        f"--persistence.file={tmp_path / 'pushgateway.data'}",
    ]
    with process(args, health=f"{url}/-/ready", log=tmp_path / "pushgateway.log"):
        yield url


def series(url: str) -> dict[str, float]:
    text = requests.get(f"{url}/metrics", timeout=10).text
    found = {}
    for line in text.splitlines():
        match = re.match(r"^(kindops_\w+)\{(.*)\} (\S+)$", line)
        if match and 'job="config-backup"' in match.group(2):
            found[match.group(1)] = float(match.group(3))
    return found


def test_run_and_verify_push_their_metrics(lab: Lab, pushgateway: str) -> None:
    result, doc = lab.run_json("backup", "run", KINDOPS_PUSHGATEWAY_URL=pushgateway)
    assert result.exit_code == 0, result.output
    assert doc["data"]["metrics"]["pushed"] is True
    got = series(pushgateway)
    assert got["kindops_backup_size_bytes"] == doc["data"]["size"] == len(lab.archive())
    assert got["kindops_backup_objects"] == doc["data"]["counts"]["files"]
    assert got["kindops_backup_last_success_timestamp_seconds"] > 1.7e9
    assert (
        got["kindops_job_last_success_timestamp_seconds"]
        == got["kindops_backup_last_success_timestamp_seconds"]
    )
    assert lab.run("backup", "verify", "--run", KINDOPS_PUSHGATEWAY_URL=pushgateway).exit_code == 0
    got = series(pushgateway)
    assert got["kindops_backup_last_verified_timestamp_seconds"] > 1.7e9
    assert "kindops_backup_size_bytes" in got  # push-add kept the run's metrics


def test_a_failed_backup_pushes_nothing(lab: Lab, pushgateway: str) -> None:
    lab.cluster.failing["deployments.apps"] = 500
    result = lab.run("backup", "run", KINDOPS_PUSHGATEWAY_URL=pushgateway)
    assert result.exit_code == 3
    assert series(pushgateway) == {}


def test_an_unreachable_pushgateway_does_not_fail_the_backup(lab: Lab) -> None:
    port = free_port()
    result, doc = lab.run_json("backup", "run", KINDOPS_PUSHGATEWAY_URL=f"http://127.0.0.1:{port}")
    assert result.exit_code == 0, result.output
    assert doc["data"]["metrics"]["pushed"] is False
    assert f"127.0.0.1:{port}" in doc["data"]["metrics"]["error"]
    assert (lab.store / doc["data"]["archive"]).exists()
