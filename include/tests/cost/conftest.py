"""Fixtures of the cost review tests: a real local OpenCost API and a real Alertmanager process
per test (the real Pushgateway is the shared ``pushgateway`` fixture)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cost_support import ALERTMANAGER, Lab

from kindops.cost.demo import DemoOpenCost, Scenario
from tests.support.servers import free_port, process


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


@pytest.fixture()
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager process with a minimal config and its own storage."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: blackhole\n  group_by: [alertname]\nreceivers:\n  - name: blackhole\n"
    )
    args = [
        ALERTMANAGER,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with process(args, health=f"{url}/-/ready", log=tmp_path / "alertmanager.log"):
        yield url
