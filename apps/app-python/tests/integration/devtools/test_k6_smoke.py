"""The k6 smoke runner end to end: its own AWS-API server, API and worker, the real k6 binary
running include/k6/app-python/smoke.js, and everything stopped afterwards."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orders.devtools.stack import port_open

pytestmark = pytest.mark.integration


def test_k6_smoke_passes_and_leaves_no_process(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    env = {
        **os.environ,
        "K6_DURATION": "3s",
        "K6_VUS": "1",
        "K6_SUMMARY_PATH": str(summary),
        # a functional check: latency is the bench's business, not a test's
        "P95_THRESHOLD_MS": "60000",
    }
    result = subprocess.run(
        [sys.executable, "-m", "orders.devtools.k6_smoke", "--workdir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "k6 app-python smoke:" in result.stdout
    assert "thresholds passed" in result.stdout
    data = json.loads(summary.read_text())
    checks = data["root_group"]["checks"] + [
        check for group in data["root_group"]["groups"] for check in group["checks"]
    ]
    names = {check["name"] for check in checks}
    assert "teardown: first order stored by the worker" in names
    assert "replay: same order" in names
    assert all(check["fails"] == 0 for check in checks)
    # every process it started is gone: the API stopped and its worker with it ...
    logs = {log.name: log.read_text() for log in tmp_path.glob("orders-smoke-*.log")}
    assert any('"api stopping"' in text for text in logs.values()), logs.keys()
    assert any('"worker stopped"' in text for text in logs.values()), logs.keys()
    # ... and nothing listens any more on the ports it announced
    ports = [int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)", result.stdout)]
    assert len(ports) >= 2
    assert not any(port_open(port) for port in ports)
