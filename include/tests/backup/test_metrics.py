"""Backup metrics reach a real Pushgateway (the Debian `prometheus-pushgateway` binary)."""

from __future__ import annotations

import pytest

from tests.support.servers import Pushgateway, free_port

from .backup_support import Lab

pytestmark = pytest.mark.integration

JOB = "config-backup"


def test_run_and_verify_push_their_metrics(lab: Lab, pushgateway: Pushgateway) -> None:
    result, doc = lab.run_json("backup", "run", KINDOPS_PUSHGATEWAY_URL=pushgateway.url)
    assert result.exit_code == 0, result.output
    assert doc["data"]["metrics"]["pushed"] is True
    got = pushgateway.group(JOB)
    assert got["kindops_backup_size_bytes"] == doc["data"]["size"] == len(lab.archive())
    assert got["kindops_backup_objects"] == doc["data"]["counts"]["files"]
    assert got["kindops_backup_last_success_timestamp_seconds"] > 1.7e9
    assert (
        got["kindops_job_last_success_timestamp_seconds"]
        == got["kindops_backup_last_success_timestamp_seconds"]
    )
    verify = lab.run("backup", "verify", "--run", KINDOPS_PUSHGATEWAY_URL=pushgateway.url)
    assert verify.exit_code == 0
    got = pushgateway.group(JOB)
    assert got["kindops_backup_last_verified_timestamp_seconds"] > 1.7e9
    assert "kindops_backup_size_bytes" in got  # push-add kept the run's metrics


def test_a_failed_backup_pushes_nothing(lab: Lab, pushgateway: Pushgateway) -> None:
    lab.cluster.failing["deployments.apps"] = 500
    result = lab.run("backup", "run", KINDOPS_PUSHGATEWAY_URL=pushgateway.url)
    assert result.exit_code == 3
    assert pushgateway.group(JOB) == {}


def test_an_unreachable_pushgateway_does_not_fail_the_backup(lab: Lab) -> None:
    port = free_port()
    result, doc = lab.run_json("backup", "run", KINDOPS_PUSHGATEWAY_URL=f"http://127.0.0.1:{port}")
    assert result.exit_code == 0, result.output
    assert doc["data"]["metrics"]["pushed"] is False
    assert f"127.0.0.1:{port}" in doc["data"]["metrics"]["error"]
    assert (lab.store / doc["data"]["archive"]).exists()
