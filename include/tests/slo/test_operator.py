"""`kindops slo prometheusrules`: every rule file as the PrometheusRule the cluster loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kindops.cli import app
from kindops.slo.operator import DEFAULT_OUT, DEFAULT_RULES, HEADER
from tests.support.k8s import validate

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / DEFAULT_RULES
COMMITTED = ROOT / DEFAULT_OUT
runner = CliRunner()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A copy of the repository's rule files, and no output folder yet."""
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path


def generate(rules: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["slo", "prometheusrules", "--rules", str(rules), "--out", str(out), *extra]
    )
    return result.exit_code, result.stdout, result.stderr


def load(path: Path) -> dict[str, object]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_the_committed_objects_match_the_rule_files() -> None:
    code, out, err = generate(RULES, COMMITTED, "--check")
    assert code == 0, err
    count = len(list(RULES.glob("*.yaml"))) + 1  # and the kustomization
    assert out.strip() == f"{count} PrometheusRule files match their rule files"


def test_each_rule_file_becomes_one_valid_object_with_the_same_groups(repo: Path) -> None:
    out = repo / "out"
    code, _, err = generate(repo / "rules", out)
    assert code == 0, err
    sources = sorted((repo / "rules").glob("*.yaml"))
    kustomization = load(out / "kustomization.yaml")
    assert kustomization["resources"] == [f"kindops-{p.stem}.yaml" for p in sources]
    for source in sources:
        path = out / f"kindops-{source.stem}.yaml"
        assert path.read_text().splitlines()[0] == HEADER
        doc = load(path)
        validate(doc)  # the operator's CRD schema, strictly
        assert doc["metadata"] == {
            "name": f"kindops-{source.stem}",
            "namespace": "observability",
            "labels": {
                "app.kubernetes.io/name": f"kindops-{source.stem}",
                "app.kubernetes.io/part-of": "kindops-lab",
                "app.kubernetes.io/component": "alerting-rules",
            },
        }
        assert doc["spec"] == load(source)  # the rule file, unchanged
    # idempotent, and --check agrees
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "(0 changed)" in generate(repo / "rules", out)[1]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert generate(repo / "rules", out, "--check")[0] == 0


def test_an_edited_rule_file_fails_the_check_naming_the_object(repo: Path) -> None:
    out = repo / "out"
    assert generate(repo / "rules", out)[0] == 0
    rule_file = repo / "rules" / "alerts-http.yaml"
    rule_file.write_text(rule_file.read_text().replace("for: 5m", "for: 7m", 1))
    code, _, err = generate(repo / "rules", out, "--check")
    assert code == 1
    assert f"error: {out / 'kindops-alerts-http.yaml'}: differs from its rule file" in err


def test_a_removed_rule_file_removes_its_object_but_not_a_hand_written_file(repo: Path) -> None:
    out = repo / "out"
    assert generate(repo / "rules", out)[0] == 0
    (out / "notes.yaml").write_text("hand: written\n")
    (repo / "rules" / "alerts-meta.yaml").unlink()
    code, _, err = generate(repo / "rules", out, "--check")
    assert code == 1
    assert "kindops-alerts-meta.yaml: generated from a rule file that no longer exists" in err
    assert generate(repo / "rules", out)[0] == 0
    assert not (out / "kindops-alerts-meta.yaml").exists()
    assert (out / "notes.yaml").read_text() == "hand: written\n"
    assert "kindops-alerts-meta.yaml" not in load(out / "kustomization.yaml")["resources"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups: [}\n", "is not valid YAML at line 1, column 10"),
        ("- just a list\n", "is not a rule file"),
        ("groups: []\n", "is not a rule file"),
        ("groups: [{name: g, rules: []}]\n", "every group needs a name and rules"),
        ("groups: [{name: g, rules: [{record: r, expr: '1'}]}]\nextra: 1\n", "is not a rule"),
    ],
)
def test_a_bad_rule_file_is_exit_2_in_one_line_and_nothing_is_written(
    repo: Path, text: str, message: str
) -> None:
    out = repo / "out"
    (repo / "rules" / "broken.yaml").write_text(text)
    code, _, err = generate(repo / "rules", out)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert err.startswith("error: rule file ")
    assert not out.exists()


def test_no_rule_file_and_a_file_as_output_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    code, _, err = generate(tmp_path / "rules", tmp_path / "out")
    assert code == 2 and "no rule file" in err
    (tmp_path / "rules" / "a.yaml").write_text(
        "groups: [{name: g, rules: [{record: r, expr: '1'}]}]\n"
    )
    (tmp_path / "file").write_text("x")
    code, _, err = generate(tmp_path / "rules", tmp_path / "file")
    assert code == 2 and "is not a folder" in err
