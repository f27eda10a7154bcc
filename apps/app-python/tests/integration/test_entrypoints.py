"""The API and worker commands refuse a bad configuration with one line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("module", "variable", "value"),
    [
        ("orders.api", "API_PORT", "not-a-port"),
        ("orders.worker", "WORKER_BATCH_SIZE", "11"),
        ("orders.worker", "OTEL_TRACES_EXPORTER", "zipkin"),
    ],
)
def test_bad_configuration_fails_fast(module: str, variable: str, value: str) -> None:
    env = {**os.environ, variable: value}
    env.pop("OTEL_SDK_DISABLED", None)
    result = subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert variable in errors[0]
