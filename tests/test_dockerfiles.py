"""Every Dockerfile: hadolint-clean, multi-stage, pinned bases, non-root, HEALTHCHECK.

No container engine runs here, so the jobs image's dependency recipe is also replayed with uv
into a scratch virtualenv to prove it installs and runs the CLI without Airflow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

DOCKERFILES = sorted(
    p
    for p in ROOT.glob("**/Dockerfile")
    if not any(part in {".venv", "node_modules", "target", ".tools"} for part in p.parts)
)
IDS = [str(p.relative_to(ROOT)) for p in DOCKERFILES]


def test_the_images_exist() -> None:
    assert "include/Dockerfile" in IDS


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_hadolint_clean(path: Path) -> None:
    exe = Path(sys.executable).parent / "hadolint"
    proc = subprocess.run(
        [str(exe), "--failure-threshold", "warning", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _resolve(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), value)


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_image_policy(path: Path) -> None:
    cmds = dockerfile.parse_file(str(path))
    args: dict[str, str] = {}
    stages: list[str] = []
    froms = []
    for c in cmds:
        if c.cmd == "ARG" and "=" in c.value[0]:
            key, _, val = c.value[0].partition("=")
            args.setdefault(key, val)
        if c.cmd == "FROM":
            image = _resolve(c.value[0], args)
            froms.append(image)
            if len(c.value) >= 3 and c.value[1].upper() == "AS":
                stages.append(c.value[2])
    assert len(froms) >= 2, f"{path}: not multi-stage"
    for image in froms:
        if image in stages:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert ("@sha256:" in image) or (tag and tag != "latest"), f"{path}: {image} not pinned"
    final = cmds[max(i for i, c in enumerate(cmds) if c.cmd == "FROM") :]
    users = [c.value[0] for c in final if c.cmd == "USER"]
    assert users, f"{path}: final stage has no USER"
    assert users[-1].split(":")[0] not in {"0", "root"}, f"{path}: runs as root"
    assert any(c.cmd == "HEALTHCHECK" for c in final), f"{path}: no HEALTHCHECK"
    for c in cmds:
        for source in c.value if c.cmd in {"COPY", "FROM"} else ():
            assert not str(source).endswith(":latest"), f"{path}: {source}"


def test_jobs_image_recipe_installs_without_airflow(tmp_path: Path) -> None:
    """Replay include/Dockerfile's dependency steps with uv and run the CLI from the result."""
    uv = shutil.which("uv") or str(ROOT / ".tools/bin/uv")
    req = tmp_path / "requirements.txt"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    steps = [
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--package",
            "kindops",
            "--extra",
            "s3",
            "--no-emit-workspace",
            "--no-hashes",
            "-q",
            "-o",
            str(req),
        ],
        [uv, "venv", "-q", "--python", sys.executable, str(tmp_path / "venv")],
        [uv, "pip", "install", "-q", "--python", str(tmp_path / "venv/bin/python"), "-r", str(req)],
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(tmp_path / "venv/bin/python"),
            "--no-deps",
            str(ROOT / "include"),
        ],
    ]
    for step in steps:
        proc = subprocess.run(step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
    assert "apache-airflow" not in req.read_text()
    out = subprocess.run(
        [str(tmp_path / "venv/bin/kindops"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert "aws" in out.stdout
