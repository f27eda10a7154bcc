"""Domain errors and the exit codes every `kindops` command shares.

Exit codes:
    0  ok: the job ran and its verdict is good
    1  the job ran and its verdict is bad (regression, anomaly, budget breach, ...)
    2  bad input or configuration
    3  a dependency (API, server, store) is unreachable
    10 the step was skipped on purpose (a gate was closed); its result document says why

This is the jobs' side of the contract with Airflow. The Airflow image does not install this
package, so ``plugins/kindops_airflow/contract.py`` declares the same codes for the DAGs and the
runners; ``tests/plugins/test_contract.py`` fails when the two differ in a name or a value.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BAD_VERDICT = 1
    BAD_INPUT = 2
    UNREACHABLE = 3
    #: A gate closed (the DAG task's ``skip_on_exit_code``). Not 99 nor any other code k6 uses
    #: (97-110), so a k6 failure is never taken for a skip.
    SKIPPED = 10


class KindopsError(Exception):
    """A failure a person can act on; the CLI prints it as one line and exits non-zero."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(KindopsError):
    """Bad input or configuration (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


class DependencyError(KindopsError):
    """A dependency could not be reached (exit 3)."""

    exit_code = ExitCode.UNREACHABLE


class VerdictError(KindopsError):
    """The job ran but its verdict is bad (exit 1). Prefer returning a Result with a bad verdict."""

    exit_code = ExitCode.BAD_VERDICT


def yaml_position(exc: BaseException) -> str:
    """`` at line L, column C`` of a YAML parse error; empty when the parser gave no position."""
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
