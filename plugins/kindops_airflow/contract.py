"""The Airflow side of the contract with the jobs image (ADR 0003).

The Airflow image does not install the jobs package, so what the DAGs and the runners must agree
on with it is declared here once, and ``tests/plugins/test_contract.py`` holds it equal, name by
name and value by value, to the jobs' own declaration: change one side alone and that test fails.

* :class:`ExitCode` mirrors ``kindops.errors.ExitCode``; :data:`NO_RETRY` is derived from it.
* :data:`ENDPOINTS` names the lab's endpoints of ``kindops.endpoints`` — names only: the URLs and
  their defaults belong to the jobs. A task declares the ones it needs
  (``job_task(..., endpoints=[...])``); the Airflow Variable ``kindops_<name>_url``, when it
  exists, becomes the task's ``KINDOPS_<NAME>_URL``; when it does not, the variable is left out
  and the job's own default applies (in a task pod, the lab's in-cluster Service; with the local
  runner, whatever this machine's environment says).
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


#: The lab's endpoints, by name: ``KINDOPS_<NAME>_URL`` in the job, ``kindops_<name>_url`` in
#: Airflow.
ENDPOINTS: tuple[str, ...] = (
    "prometheus",
    "pushgateway",
    "alertmanager",
    "grafana",
    "opencost",
    "argocd",
    "runbook_base",
)
#: What an endpoint's template renders to when its Variable does not exist: both runners drop
#: such an entry from the task's environment (Jinja cannot leave a key out).
UNSET = "<no Airflow Variable: the job default applies>"


def endpoint_env(name: str) -> str:
    """The job's environment variable of endpoint ``name``."""
    return f"KINDOPS_{name.upper()}_URL"


def endpoint_variable(name: str) -> str:
    """The Airflow Variable that overrides endpoint ``name``."""
    return f"kindops_{name}_url"


def endpoint_template(name: str) -> str:
    """The Variable's value at run time, or :data:`UNSET` when it does not exist."""
    return f"{{{{ var.value.get({endpoint_variable(name)!r}, {UNSET!r}) }}}}"
