"""Every shell script of the lab passes shellcheck (following what it sources)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SHELLCHECK = str(Path(sys.executable).parent / "shellcheck")
SKIP_DIRS = {".venv", ".tools", ".git", "node_modules", "target", "artifacts", ".airflow"}


def scripts() -> list[Path]:
    found = [ROOT / ".ci/run", ROOT / ".ci/install-tools"]
    for path in sorted(ROOT.rglob("*.sh")):
        if not SKIP_DIRS & set(path.relative_to(ROOT).parts):
            found.append(path)
    return found


def test_the_lab_has_shell_scripts_to_check() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in scripts()}
    assert {"infra/local/airflow.sh", "gitops/secrets/seal.sh", ".ci/install-tools"} <= names


@pytest.mark.parametrize("script", scripts(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shellcheck(script: Path) -> None:
    proc = subprocess.run(
        [SHELLCHECK, "-x", "-f", "gcc", str(script)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
