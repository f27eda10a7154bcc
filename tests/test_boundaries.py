"""Imports point one way (DESIGN.md §3), and every rule that says so fails when broken.

The contracts are import-linter's (``[tool.importlinter]`` in pyproject.toml, run by ``make
imports``): dags, plugins, the jobs package, app-python and the tests' shared package, each with
what it must not import. Its graph holds every import, at module level or inside a function, but
only of the packages it can import by name, so what it cannot see is checked here by walking the
syntax tree of every Python file (module level, functions and ``TYPE_CHECKING`` blocks alike):

- nothing imports a DAG file: Airflow puts dags/ on sys.path, so a DAG is importable by its bare
  name (``import aws_cleanup``) from another DAG, a test or a tool, which is no import of
  import-linter's ``dags``;
- app-python (its source, tests and scripts) imports nothing of the lab;
- nothing of the lab imports app-python (include/tests, the test folders that are no package and
  infra/ are outside import-linter's packages);
- every file of import-linter's packages is in its graph: a folder without ``__init__.py``
  would drop out of it silently.

Each rule and each contract is shown to fail on a small synthetic lab with one violation in it.
"""

from __future__ import annotations

import ast
import functools
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
CONFIG = ROOT / "pyproject.toml"
#: Where lint-imports finds the packages of its contracts, as `make imports` runs it.
IMPORT_PATH = ("include", "plugins", "apps/app-python/src")
#: The folders of import-linter's root packages; `dags` is a folder of modules, not a package.
CONTRACT_PACKAGES = {
    "dags": False,
    "include/kindops": True,
    "plugins/kindops_airflow": True,
    "apps/app-python/src/orders": True,
}
APP = "apps/app-python"
SKIP_DIRS = {
    ".git",
    ".venv",
    ".tools",
    "node_modules",
    "target",
    "artifacts",
    ".airflow",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".import_linter_cache",
    "build",
    "dist",
}

DAG_RULE = "nothing imports a DAG file (Airflow loads them from dags/)"
APP_RULE = "app-python imports nothing of the lab"
LAB_RULE = "the lab imports nothing of app-python"


def python_files(root: Path, under: str = ".") -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root / under):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found += [Path(folder, name) for name in sorted(files) if name.endswith(".py")]
    return found


@functools.cache
def imports(path: Path) -> tuple[tuple[int, str], ...]:
    """Every absolute import of one file, wherever it stands: (line, module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return tuple(sorted(found))


def within(module: str, packages: Iterable[str]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in packages)


@dataclass(frozen=True)
class Rule:
    name: str
    forbidden: frozenset[str]
    files: tuple[Path, ...]


def rules(root: Path) -> list[Rule]:
    app = python_files(root, APP)
    lab = [p for p in python_files(root) if p.relative_to(root).parts[0] != "apps"]
    dags = frozenset({"dags", *(p.stem for p in (root / "dags").glob("*.py"))})
    return [
        Rule(DAG_RULE, dags, (*lab, *app)),
        Rule(APP_RULE, frozenset({"dags", "kindops", "kindops_airflow", "tests"}), tuple(app)),
        Rule(LAB_RULE, frozenset({"orders"}), tuple(lab)),
    ]


def violations(root: Path) -> list[str]:
    """One line per forbidden import: the file, the line, the module and the rule it breaks."""
    found: list[str] = []
    for rule in rules(root):
        for path in rule.files:
            for line, module in imports(path):
                if within(module, rule.forbidden):
                    found.append(f"{path.relative_to(root)}:{line}: imports {module}: {rule.name}")
    return found


def outside_the_graph(root: Path) -> list[str]:
    """Files of import-linter's packages that its graph misses: a folder without __init__.py."""
    found: list[str] = []
    for folder, is_package in CONTRACT_PACKAGES.items():
        base = root / folder
        for path in python_files(root, folder):
            inner = path.parent.relative_to(base)
            folders = [base / p for p in (inner, *inner.parents) if p != Path(".")]
            folders += [base] if is_package else []
            found += [
                f"{path.relative_to(root)}: {f.relative_to(root)}/ has no __init__.py"
                for f in folders
                if not (f / "__init__.py").is_file()
            ]
    return found


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over `root` with the lab's contracts, run as `make imports` runs it."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(root / p) for p in IMPORT_PATH),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(CONFIG), "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


# --- the lab -------------------------------------------------------------------------------------


def test_the_lab_keeps_its_import_contracts() -> None:
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in proc.stdout


def test_the_lab_imports_no_dag_file_and_nothing_across_the_app_line() -> None:
    found = violations(ROOT)
    assert not found, "\n".join(found)


def test_import_linter_sees_every_module_of_its_packages() -> None:
    found = outside_the_graph(ROOT)
    assert not found, "\n".join(found)


def test_the_rules_walk_the_whole_lab() -> None:
    by_name = {rule.name: rule for rule in rules(ROOT)}
    lab = {p.relative_to(ROOT).as_posix() for p in by_name[LAB_RULE].files}
    app = {p.relative_to(ROOT).as_posix() for p in by_name[APP_RULE].files}
    assert {"dags", "aws_cleanup", "monthly_game_day"} <= by_name[DAG_RULE].forbidden
    assert {
        "dags/aws_cleanup.py",
        "plugins/kindops_airflow/factory.py",
        "include/kindops/cli.py",
        "include/tests/conftest.py",
        "tests/dags/conftest.py",
        "infra/local/demo.py",
    } <= lab
    assert {"apps/app-python/src/orders/api/main.py", "apps/app-python/tests/conftest.py"} <= app
    assert not any(".venv" in p or p.startswith(APP) for p in lab)


# --- every rule fails when broken: a small synthetic lab -----------------------------------------

CLEAN = {
    "dags/aws_cleanup.py": "import airflow.sdk\nfrom kindops_airflow import job_task\n",
    "dags/slo_report.py": "from kindops_airflow import job_task\n",
    "plugins/kindops_airflow/__init__.py": "from kindops_airflow.factory import job_task\n",
    "plugins/kindops_airflow/factory.py": "import airflow.sdk\nimport kubernetes.client\n",
    "include/kindops/__init__.py": "",
    "include/kindops/cli.py": "import json\n",
    "include/kindops/aws/__init__.py": "",
    "include/kindops/aws/cleanup.py": "from kindops.cli import json\n",
    "include/tests/aws/test_cleanup.py": "from kindops.aws import cleanup\n",
    "tests/__init__.py": "",
    "tests/support/__init__.py": "",
    "tests/support/http.py": "import json\n",
    "tests/dags/test_policy.py": "import kindops_airflow\nimport tests.support.http\n",
    "infra/local/demo.py": "import subprocess\n",
    "apps/app-python/src/orders/__init__.py": "",
    "apps/app-python/src/orders/api.py": "import fastapi\n",
    "apps/app-python/tests/conftest.py": "from stacks import RunningStack\nimport orders.api\n",
}


def lab(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """The synthetic lab, with `extra` files (path: source) added or replacing its own."""
    for name, source in {**CLEAN, **(extra or {})}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


def lazy(statement: str) -> str:
    """A module whose only forbidden import stands inside a function (line 5)."""
    return f'"""A lazy import."""\n\n\ndef later() -> None:\n    {statement}\n'


def test_the_synthetic_lab_is_clean(tmp_path: Path) -> None:
    root = lab(tmp_path)
    assert violations(root) == []
    assert outside_the_graph(root) == []
    proc = lint_imports(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in proc.stdout


@pytest.mark.parametrize(
    ("path", "statement", "module", "rule"),
    [
        ("tests/dags/test_run.py", "import aws_cleanup", "aws_cleanup", DAG_RULE),
        ("dags/slo_report.py", "from aws_cleanup import plan", "aws_cleanup", DAG_RULE),
        ("include/tests/aws/test_dag.py", "from dags import aws_cleanup", "dags", DAG_RULE),
        ("infra/local/demo.py", "import dags.slo_report", "dags.slo_report", DAG_RULE),
        (
            "apps/app-python/tests/test_x.py",
            "from tests.support import http",
            "tests.support",
            APP_RULE,
        ),
        ("apps/app-python/src/orders/jobs.py", "import kindops.cli", "kindops.cli", APP_RULE),
        ("include/tests/aws/test_app.py", "from orders.api import app", "orders.api", LAB_RULE),
        ("tests/dags/test_app.py", "import orders", "orders", LAB_RULE),
    ],
)
def test_each_rule_fails_naming_the_file_and_the_import(
    tmp_path: Path, path: str, statement: str, module: str, rule: str
) -> None:
    root = lab(tmp_path, {path: lazy(statement)})
    assert violations(root) == [f"{path}:5: imports {module}: {rule}"]


def test_an_import_under_type_checking_counts(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from orders.api import app\n"
    )
    root = lab(tmp_path, {"tests/support/typing_only.py": source})
    assert violations(root) == [f"tests/support/typing_only.py:4: imports orders.api: {LAB_RULE}"]


def test_a_folder_without_init_drops_out_of_the_graph_and_fails(tmp_path: Path) -> None:
    root = lab(tmp_path, {"include/kindops/cost/review.py": "import json\n"})
    assert outside_the_graph(root) == [
        "include/kindops/cost/review.py: include/kindops/cost/ has no __init__.py"
    ]


#: One lazy import that breaks each contract: (contract id, file, statement, chain reported).
BREAKS = [
    (
        "dags",
        "dags/slo_report.py",
        "from kindops.cli import json",
        "dags.slo_report -> kindops.cli",
    ),
    (
        "plugins",
        "plugins/kindops_airflow/factory.py",
        "import kindops.aws.cleanup",
        "kindops_airflow.factory -> kindops.aws.cleanup",
    ),
    (
        "jobs",
        "include/kindops/cli.py",
        "from airflow.sdk import Variable",
        "kindops.cli -> airflow",
    ),
    ("jobs", "include/kindops/cli.py", "import kindops_airflow", "kindops.cli -> kindops_airflow"),
    (
        "apps",
        "apps/app-python/src/orders/api.py",
        "import tests.support.http",
        "orders.api -> tests.support.http",
    ),
    (
        "tests",
        "tests/support/http.py",
        "from dags import aws_cleanup",
        "tests.support.http -> dags.aws_cleanup",
    ),
]


def test_every_contract_is_shown_to_fail() -> None:
    assert {contract for contract, *_ in BREAKS} == set(contracts())


@pytest.mark.parametrize(("contract", "path", "statement", "chain"), BREAKS)
def test_each_contract_fails_on_a_lazy_import(
    tmp_path: Path, contract: str, path: str, statement: str, chain: str
) -> None:
    root = lab(tmp_path, {path: lazy(statement)})
    proc = lint_imports(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary, broken = proc.stdout.split("Broken contracts", 1)
    assert f"{contracts()[contract]['name']} BROKEN" in summary
    assert f"{chain} (l.5)" in broken
