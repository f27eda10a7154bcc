"""The Airflow side of the contract with the jobs image (ADR 0003).

The Airflow image does not install the jobs package, so what the DAGs and the runners must agree
on with it is declared here once, and ``tests/plugins/test_contract.py`` holds it equal, name by
name and value by value, to the jobs' own declaration: change one side alone and that test fails.

* :class:`ExitCode` mirrors ``kindops.errors.ExitCode``; :data:`NO_RETRY` is derived from it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """How a ``kindops`` command ended, and so what becomes of its task."""

    OK = 0
    """The job ran and its verdict is good: the task succeeds."""
    BAD_VERDICT = 1
    """The job ran and its verdict is bad: the task fails without retry (the evidence is
    written; running again would only repeat the verdict)."""
    BAD_INPUT = 2
    """Bad input or configuration: the task fails without retry (a retry changes neither)."""
    UNREACHABLE = 3
    """A dependency is unreachable: the task fails and may retry."""
    SKIPPED = 10
    """The step was skipped on purpose (a closed gate): tasks that expect it name it in
    ``skip_on_exit_code`` and are skipped; elsewhere it fails like any other code."""


#: Exit codes that fail a task at once, whatever its ``retries``.
NO_RETRY: frozenset[ExitCode] = frozenset({ExitCode.BAD_VERDICT, ExitCode.BAD_INPUT})
