"""The ``integration`` marker, kept honest: a test that starts a process must say so.

A test marked ``integration`` uses real local servers or processes (Prometheus, the AWS-API
server, Airflow, k6, helm, the apps...). Every other test is a unit test: ``make check`` runs
those alone (``-m "not integration"``) for feedback in seconds. This plugin (loaded for every run
by ``addopts``) fails an unmarked test, in its setup, call or teardown, the moment it starts a
subprocess, naming the command, so the split cannot drift. In-process fakes (HTTP servers on a
thread) are unit-test material and stay allowed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

MARKER = "integration"
_current: pytest.Item | None = None
_original = subprocess.Popen._execute_child  # type: ignore[attr-defined]


class UnmarkedProcessError(RuntimeError):
    """A unit test (not marked ``integration``) started a subprocess."""


def _guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> Any:
    item = _current
    if item is not None and item.get_closest_marker(MARKER) is None:
        command = args if isinstance(args, str) else " ".join(str(a) for a in args)
        raise UnmarkedProcessError(
            f"{item.nodeid} started a process ({command[:120]}): mark the test "
            f"@pytest.mark.{MARKER} (or its module: pytestmark = pytest.mark.{MARKER})"
        )
    return _original(self, args, *rest, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    subprocess.Popen._execute_child = _guarded  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    subprocess.Popen._execute_child = _original  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    global _current
    _current = item
    try:
        return (yield)
    finally:
        _current = None
