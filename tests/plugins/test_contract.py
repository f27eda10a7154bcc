"""The contract between the Airflow side and the jobs image is declared once on each side of the
boundary, and both declarations are equal: change one alone and a test here fails. Exit codes:
``kindops.errors.ExitCode`` and ``kindops_airflow.ExitCode``; endpoints: the fields of
``kindops.endpoints.Endpoints`` and the names of ``kindops_airflow.ENDPOINTS``.

``plugins/`` must not import the jobs package (the Airflow image does not install it) and the
jobs package must not import Airflow or ``plugins/``, so only a test can see both sides.
"""

from __future__ import annotations

import ast
from enum import IntEnum
from pathlib import Path

import pytest

import kindops_airflow
from kindops import endpoints, errors
from kindops_airflow import contract
from tests.conftest import ROOT


def enum_mismatches(jobs: type[IntEnum], airflow: type[IntEnum]) -> list[str]:
    """Every name missing on one side or given another value, in a readable line each."""
    problems = []
    for name in sorted(set(jobs.__members__) | set(airflow.__members__)):
        if name not in airflow.__members__:
            problems.append(f"{name}: only on the jobs' side ({int(jobs[name])})")
        elif name not in jobs.__members__:
            problems.append(f"{name}: only on the Airflow side ({int(airflow[name])})")
        elif int(jobs[name]) != int(airflow[name]):
            problems.append(f"{name}: jobs {int(jobs[name])}, Airflow {int(airflow[name])}")
    return problems


EXIT_NAMES = sorted(set(errors.ExitCode.__members__) | set(contract.ExitCode.__members__))


@pytest.mark.parametrize("name", EXIT_NAMES)
def test_each_exit_code_has_the_same_value_on_both_sides(name: str) -> None:
    assert name in errors.ExitCode.__members__, f"{name}: not in kindops.errors.ExitCode"
    assert name in contract.ExitCode.__members__, f"{name}: not in kindops_airflow.ExitCode"
    assert int(contract.ExitCode[name]) == int(errors.ExitCode[name])


def test_the_exit_codes_are_the_same_enum_on_both_sides() -> None:
    assert enum_mismatches(errors.ExitCode, contract.ExitCode) == []
    assert [(m.name, int(m)) for m in errors.ExitCode] == [
        (m.name, int(m)) for m in contract.ExitCode
    ]


def test_a_change_on_one_side_alone_is_caught() -> None:
    jobs = {m.name: int(m) for m in errors.ExitCode}
    drifted = IntEnum("ExitCode", {**jobs, "SKIPPED": 11})  # type: ignore[misc]
    assert enum_mismatches(errors.ExitCode, drifted) == ["SKIPPED: jobs 10, Airflow 11"]
    added = IntEnum("ExitCode", {**jobs, "TIMED_OUT": 4})  # type: ignore[misc]
    assert enum_mismatches(errors.ExitCode, added) == ["TIMED_OUT: only on the Airflow side (4)"]
    dropped = IntEnum("ExitCode", {k: v for k, v in jobs.items() if k != "UNREACHABLE"})  # type: ignore[misc]
    assert enum_mismatches(errors.ExitCode, dropped) == ["UNREACHABLE: only on the jobs' side (3)"]


def test_no_retry_is_exactly_a_bad_verdict_and_bad_input() -> None:
    assert {contract.ExitCode.BAD_VERDICT, contract.ExitCode.BAD_INPUT} == contract.NO_RETRY
    assert {int(c) for c in contract.NO_RETRY} == {
        int(errors.ExitCode.BAD_VERDICT),
        int(errors.ExitCode.BAD_INPUT),
    }
    # the codes a KindopsError can exit with: the two no-retry ones and the retryable one
    assert {int(e.exit_code) for e in (errors.ConfigError, errors.VerdictError)} == {
        int(c) for c in contract.NO_RETRY
    }
    assert int(errors.DependencyError.exit_code) not in {int(c) for c in contract.NO_RETRY}


def endpoint_mismatches(jobs_fields: set[str], airflow_names: set[str]) -> list[str]:
    """Endpoint variables one side has and the other does not."""
    jobs = {endpoints.env_var(f) for f in jobs_fields}
    airflow = {contract.endpoint_env(n) for n in airflow_names}
    return [f"{v}: only on the jobs' side" for v in sorted(jobs - airflow)] + [
        f"{v}: only on the Airflow side" for v in sorted(airflow - jobs)
    ]


JOB_ENDPOINTS = set(endpoints.Endpoints.model_fields)
ENDPOINT_VARS = sorted(
    {endpoints.env_var(f) for f in JOB_ENDPOINTS}
    | {contract.endpoint_env(n) for n in contract.ENDPOINTS}
)


@pytest.mark.parametrize("variable", ENDPOINT_VARS)
def test_each_endpoint_is_named_on_both_sides(variable: str) -> None:
    assert variable in {endpoints.env_var(f) for f in JOB_ENDPOINTS}, "not in kindops.endpoints"
    assert variable in {contract.endpoint_env(n) for n in contract.ENDPOINTS}, (
        "not in kindops_airflow.contract.ENDPOINTS"
    )


def test_the_endpoints_are_the_same_on_both_sides() -> None:
    assert endpoint_mismatches(JOB_ENDPOINTS, set(contract.ENDPOINTS)) == []
    assert len(set(contract.ENDPOINTS)) == len(contract.ENDPOINTS)
    # the Airflow side holds names only: the URLs and their defaults are the jobs'
    assert not any("/" in n or ":" in n for n in contract.ENDPOINTS)
    assert set(endpoints.IN_CLUSTER) == set(contract.ENDPOINTS) - {"runbook_base"}


def test_an_endpoint_added_on_one_side_alone_is_caught() -> None:
    airflow = set(contract.ENDPOINTS)
    assert endpoint_mismatches(JOB_ENDPOINTS | {"loki_url"}, airflow) == [
        "KINDOPS_LOKI_URL: only on the jobs' side"
    ]
    assert endpoint_mismatches(JOB_ENDPOINTS, airflow | {"tempo"}) == [
        "KINDOPS_TEMPO_URL: only on the Airflow side"
    ]


def test_an_endpoint_is_one_variable_on_each_side() -> None:
    assert contract.endpoint_env("runbook_base") == "KINDOPS_RUNBOOK_BASE_URL"
    assert contract.endpoint_variable("prometheus") == "kindops_prometheus_url"
    assert endpoints.env_var("runbook_base_url") == "KINDOPS_RUNBOOK_BASE_URL"


def test_the_package_exports_the_contract() -> None:
    assert kindops_airflow.ExitCode is contract.ExitCode
    assert kindops_airflow.NO_RETRY is contract.NO_RETRY
    assert kindops_airflow.ENDPOINTS is contract.ENDPOINTS


def imported_modules(folder: Path) -> dict[str, set[str]]:
    """Top-level module names each Python file under ``folder`` imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_imports_point_one_way() -> None:
    plugins = imported_modules(ROOT / "plugins")
    jobs = imported_modules(ROOT / "include" / "kindops")
    assert plugins and jobs
    assert {p: n & {"kindops"} for p, n in plugins.items() if "kindops" in n} == {}
    forbidden = {"airflow", "kindops_airflow"}
    assert {p: n & forbidden for p, n in jobs.items() if n & forbidden} == {}
