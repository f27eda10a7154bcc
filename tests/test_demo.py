"""`make demo` on embedded defaults: the whole local demo, for real, as a person runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_the_demo_runs_the_cleanup_dag_and_follows_one_order(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "KINDOPS_ARTIFACTS": str(artifacts)}
    env.pop("PYTEST_CURRENT_TEST", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "infra/local/demo.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    plans = sorted(artifacts.glob("aws-cleanup/aws_cleanup_*/plan.json"))
    assert plans, f"no cleanup plan in {artifacts}:\n{out[-3000:]}"
    assert json.loads(plans[-1].read_text())["totals"]["delete"] > 0
    result = json.loads((plans[-1].parent / "result.json").read_text())
    assert result["data"]["dry_run"] is True, "the demo never deletes"
    assert f"The plan ({plans[-1].with_suffix('.md')})" in out
    for task in ("inventory", "plan", "report", "budget"):
        assert any(line.split()[:1] == [task] for line in out.splitlines()), (task, out[-3000:])
    assert "Done" in out and f"Artifacts: {artifacts.resolve()}" in out
