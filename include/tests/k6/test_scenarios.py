"""Scenario folders (tree and ConfigMap-flat) and the committed ConfigMap staying in sync."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kindops.cli import app
from kindops.errors import ConfigError
from kindops.k6.scenarios import configmap_key, materialize, render_configmap, scenario_files
from tests.support.k8s import validate
from tests.support.servers import ROOT

from .k6_support import K6

SCENARIOS = ROOT / "include/k6"
COMMITTED = ROOT / "gitops/platform/kindops-jobs/k6-scenarios-configmap.yaml"


def test_committed_configmap_matches_the_scenarios() -> None:
    assert COMMITTED.read_text() == render_configmap(SCENARIOS), (
        "regenerate: uv run kindops k6 configmap --output "
        "gitops/platform/kindops-jobs/k6-scenarios-configmap.yaml"
    )
    doc = yaml.safe_load(COMMITTED.read_text())
    validate(doc)
    files = {p.relative_to(SCENARIOS).as_posix(): p.read_text() for p in SCENARIOS.rglob("*.js")}
    assert {k.replace("__", "/"): v for k, v in doc["data"].items()} == files


def test_configmap_check_command_fails_on_drift(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app, ["k6", "configmap", "--scenarios", str(SCENARIOS), "--check", str(COMMITTED)]
    )
    assert ok.exit_code == 0, ok.output
    stale = tmp_path / "cm.yaml"
    stale.write_text(COMMITTED.read_text().replace("handleSummaryFactory", "handleSummaryMaker"))
    bad = runner.invoke(
        app, ["k6", "configmap", "--scenarios", str(SCENARIOS), "--check", str(stale)]
    )
    assert bad.exit_code == 1
    assert "out of date" in bad.output
    out = tmp_path / "out/cm.yaml"
    wrote = runner.invoke(
        app, ["k6", "configmap", "--scenarios", str(SCENARIOS), "--output", str(out)]
    )
    assert wrote.exit_code == 0 and out.read_text() == COMMITTED.read_text()


def flatten(tree: Path, into: Path) -> None:
    """What the kubelet makes of the ConfigMap: flat keys (symlinks into ..data)."""
    data = into / "..data"
    data.mkdir(parents=True)
    for rel, text in scenario_files(tree).items():
        key = configmap_key(rel)
        (data / key).write_text(text)
        (into / key).symlink_to(Path("..data") / key)


@pytest.mark.integration
def test_a_flat_configmap_folder_runs_like_the_tree(tmp_path: Path) -> None:
    flat = tmp_path / "mounted"
    flatten(SCENARIOS, flat)
    script = materialize(flat, "app-python", "smoke", tmp_path / "tree")
    assert script == (tmp_path / "tree/app-python/smoke.js").resolve()
    assert (tmp_path / "tree/lib/common.js").read_text() == (
        SCENARIOS / "lib/common.js"
    ).read_text()
    # k6 resolves the relative imports of the rebuilt tree (inspect parses the whole script)
    done = subprocess.run([K6, "inspect", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"thresholds"' in done.stdout


def test_the_tree_is_used_in_place(tmp_path: Path) -> None:
    assert (
        materialize(SCENARIOS, "app-java", "load", tmp_path)
        == (SCENARIOS / "app-java/load.js").resolve()
    )
    assert not any(tmp_path.iterdir())


def test_unknown_scenario_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no k6 scenario app-python/soak .*app-python/smoke"):
        materialize(SCENARIOS, "app-python", "soak", tmp_path)
    with pytest.raises(ConfigError, match="lower-case"):
        materialize(SCENARIOS, "../etc", "smoke", tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        materialize(tmp_path / "nowhere", "app-python", "smoke", tmp_path)


def test_file_names_that_cannot_be_keys_are_refused(tmp_path: Path) -> None:
    tree = tmp_path / "s"
    shutil.copytree(SCENARIOS, tree)
    (tree / "app-python/bad__name.js").write_text("//\n")
    with pytest.raises(ConfigError, match="must not contain"):
        render_configmap(tree)
