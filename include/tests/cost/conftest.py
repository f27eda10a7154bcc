"""Fixtures of the cost review tests: a real local OpenCost API and a real Alertmanager process
per test (the real Pushgateway is the shared ``pushgateway`` fixture)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kindops.cost.demo import DemoOpenCost, Scenario

from .cost_support import Lab


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    yield
    # execute() points the root logger at the runner's (now closed) stderr: detach it.
    logging.getLogger().handlers[:] = []


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[Lab]:
    with DemoOpenCost(Scenario()) as server:
        env = {
            "KINDOPS_OPENCOST_URL": server.url,
            "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
            "KINDOPS_RUN_ID": "opencost_review/20261101T000000",
            "KINDOPS_OPENCOST_BACKOFF": "0",
            "KINDOPS_OPENCOST_TIMEOUT": "5",
            "KINDOPS_PUSHGATEWAY_URL": "",
            "KINDOPS_ALERTMANAGER_URL": "",
            "KINDOPS_XCOM_PATH": "",
            "MPLCONFIGDIR": str(tmp_path / "mpl"),
        }
        yield Lab(server, tmp_path, env)
