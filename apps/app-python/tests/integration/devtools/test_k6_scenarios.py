"""Every app-python k6 scenario loads in the real k6, and the shared library scales stages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from orders.devtools.tools import find_k6, k6_dir

pytestmark = pytest.mark.integration


def inspect(script: Path, *env: str) -> subprocess.CompletedProcess[str]:
    args = [find_k6(), "inspect"]
    for pair in env:
        args += ["-e", pair]
    return subprocess.run(
        [*args, str(script)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("name", ["smoke", "load", "stress", "create"])
def test_scenario_loads_with_the_shared_thresholds(name: str) -> None:
    result = inspect(k6_dir() / "app-python" / f"{name}.js")
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["thresholds"] == {
        "http_req_duration": ["p(95)<300"],
        "http_req_failed": ["rate<0.01"],
        "checks": ["rate>0.99"],
    }


def test_stages_scale_with_total_duration_and_peak_vus() -> None:
    result = inspect(k6_dir() / "app-python" / "load.js", "TOTAL_DURATION=1m40s", "PEAK_VUS=4")
    assert result.returncode == 0, result.stderr
    stages = json.loads(result.stdout)["stages"]
    assert stages == [
        {"duration": "20s", "target": 4},
        {"duration": "1m0s", "target": 4},
        {"duration": "20s", "target": 0},
    ]


def test_bad_duration_is_a_clear_error() -> None:
    result = inspect(k6_dir() / "app-python" / "stress.js", "TOTAL_DURATION=soon")
    assert result.returncode != 0
    assert 'invalid duration \\"soon\\"' in result.stderr  # k6 logs it escaped
