"""The unit/integration split holds: an unmarked test that starts a process fails, naming it."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration

PROBE = """
import subprocess

import pytest


@pytest.fixture()
def server():
    subprocess.run(["true"], check=True)


def test_unit_that_starts_a_process():
    subprocess.run(["true"], check=True)


def test_unit_whose_fixture_starts_a_process(server):
    pass


def test_plain_unit():
    assert 1 + 1 == 2


@pytest.mark.integration
def test_marked(server):
    subprocess.run(["true"], check=True)
"""


def test_an_unmarked_test_that_starts_a_process_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeini("[pytest]\nmarkers =\n    integration: real processes\n")
    pytester.makepyfile(test_probe=PROBE)
    result = pytester.runpytest_subprocess("-p", "tests.support.markers", "-q")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_unit_whose_fixture_starts_a_process started a process (true): mark the test*",
            "*test_unit_that_starts_a_process started a process (true): mark the test*",
        ]
    )
