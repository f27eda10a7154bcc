"""A backup that fails or dies half-way leaves the previous archive exactly as it was."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .backup_support import ARCHIVE, Lab


def listing(lab: Lab) -> dict[str, bytes]:
    root = lab.store / "backups"
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.fixture()
def previous(lab: Lab) -> dict[str, bytes]:
    result = lab.run("backup", "run")
    assert result.exit_code == 0, result.output
    assert lab.run("backup", "verify", "--run").exit_code == 0
    before = listing(lab)
    assert set(before) == {"2026-01-15T020000Z.tar.gz", "2026-01-15T020000Z.tar.gz.verified.json"}
    # What the next run would change, so that a published rerun could not go unnoticed.
    lab.cluster.objects["configmaps"][-1]["data"]["policy.default"] = "role:admin"
    return before


def test_an_api_failure_mid_backup_keeps_the_previous_archive(
    lab: Lab, previous: dict[str, bytes]
) -> None:
    lab.cluster.failing["sealedsecrets.bitnami.com"] = 500  # listed after most kinds
    result = lab.run("backup", "run")
    assert result.exit_code == 3
    assert listing(lab) == previous
    assert lab.run("backup", "verify", ARCHIVE).exit_code == 0


def test_a_write_failure_while_publishing_keeps_the_previous_archive(
    lab: Lab, previous: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kindops.artifacts.os.fsync", disk_full)
    result = lab.run("backup", "run")
    assert result.exit_code == 3
    assert "cannot write backups/2026-01-15T020000Z.tar.gz" in result.stderr
    assert "No space left on device" in result.stderr
    assert listing(lab) == previous  # no half-written archive, no temp file left behind


@pytest.mark.integration
def test_a_killed_backup_keeps_the_previous_archive(lab: Lab, previous: dict[str, bytes]) -> None:
    lab.cluster.slow["sealedsecrets.bitnami.com"] = 30.0
    proc = subprocess.Popen(
        [sys.executable, "-m", "kindops", "backup", "run"],
        env={**os.environ, **lab.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).parent,
    )
    try:
        assert lab.cluster.slow_hit.wait(60), "the backup never reached the slow kind"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert listing(lab) == previous
