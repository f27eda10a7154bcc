"""The repository stands alone: a clone with no sibling folders has everything its tests, scripts
and Makefile read. A grep-level check over every tracked source file, plus the vendored schemas'
own provenance."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

#: Files that run: code, scripts, build files. Prose and data may name other places freely.
CODE = re.compile(
    r"(\.(py|sh|js|java|groovy|tpl|toml|cfg)|Makefile|Dockerfile|/run|/install-[a-z-]+)$"
)
#: Ways to reach outside the checkout: a sibling folder, the parent of the root, a host path.
OUTSIDE = [
    re.compile(r"\.\./shared\b"),
    re.compile(r"""parent\s*/\s*["']shared["']"""),
    re.compile(r"\bROOT\.parent\b|\bREPO\.parent\b"),
    re.compile(r"""["']/work/"""),
]
PARENTS = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[(\d+)\]")


def tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [p for p in out.splitlines() if CODE.search(p) and (ROOT / p).is_file()]


def outside_reads(rel: str, text: str) -> list[str]:
    """Places in one file that would read outside the repository root."""
    found = [f"{rel}: {m.group(0)!r}" for rx in OUTSIDE for m in rx.finditer(text)]
    depth = len(Path(rel).parts) - 1  # parents[depth] is the repository root
    for m in PARENTS.finditer(text):
        if int(m.group(1)) > depth:
            found.append(f"{rel}: {m.group(0)} climbs above the repository root")
    return found


def test_the_checker_finds_what_it_must() -> None:
    sibling = "shared"  # the folder beside a checkout that a clone does not have
    assert outside_reads("tests/x.py", f'p = ROOT.parent / "{sibling}" / "schemas"')
    assert outside_reads("tests/x.py", f"Path('../{sibling}/schemas')")
    assert outside_reads("tests/support/x.py", "Path(__file__).resolve().parents[3]")
    assert not outside_reads("tests/support/x.py", "Path(__file__).resolve().parents[2]")
    assert not outside_reads("tests/x.py", 'ROOT / "tests" / "schemas"')


def test_nothing_reads_outside_the_repository() -> None:
    files = tracked()
    assert len(files) > 100, "git ls-files found too few files"
    problems = [
        p
        for rel in files
        if rel != "tests/test_self_contained.py"
        for p in outside_reads(rel, (ROOT / rel).read_text(errors="replace"))
    ]
    assert not problems, "reads outside the repository:\n" + "\n".join(problems)


def test_vendored_schemas_carry_their_licences_and_parse() -> None:
    crds = ROOT / "tests" / "schemas" / "crds"
    files = sorted(crds.rglob("*.json"))
    assert files, "no vendored CRD schemas"
    readme = (ROOT / "tests" / "schemas" / "README.md").read_text()
    for path in files:
        schema = json.loads(path.read_text())
        assert schema.get("properties") or schema.get("type"), f"{path}: not a JSON schema"
        group = path.parent.name
        licence = (
            "litmuschaos.io/LICENSE.chaos-operator"
            if group == "litmuschaos.io"
            else ("LICENSE.datree-crds-catalog")
        )
        assert (crds / licence).is_file(), f"{path}: licence {licence} missing"
        assert licence.rsplit("/", 1)[-1] in readme
