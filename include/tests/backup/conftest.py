"""Fixtures for the backup tests: the fake Kubernetes and Grafana APIs, the store and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from .backup_fakeapi import Servers
from .backup_support import RUN_ID, Lab


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    yield
    # execute() points the root logger at the runner's (now closed) stderr: detach it.
    logging.getLogger().handlers[:] = []


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Servers() as servers:
        kubeconfig = servers.kubeconfig(tmp_path / "kubeconfig")
        env = {
            **servers.env(kubeconfig),
            "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
            "KINDOPS_RUN_ID": RUN_ID,
            "KINDOPS_BACKUP_CONFIG": "",
            "KINDOPS_PUSHGATEWAY_URL": "",
            "KUBECONFIG": str(tmp_path / "no-such-kubeconfig"),
        }
        yield Lab(servers, tmp_path, env)
