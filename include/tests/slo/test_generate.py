"""`kindops slo generate`: specs to rules, --check, and bad specs that write nothing."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kindops.cli import app
from kindops.endpoints import RUNBOOK_BASE_URL
from kindops.slo.generate import HEADER, PAGE_WINDOWS, TICKET_WINDOWS, build_rules
from kindops.slo.spec import parse_spec

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "observability" / "slos"
runner = CliRunner()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A copy of the repository's specs, and an empty rules folder beside them."""
    shutil.copytree(SPECS, tmp_path / "slos")
    (tmp_path / "rules").mkdir()
    return tmp_path


def generate(repo: Path, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        ["slo", "generate", "--specs", str(repo / "slos"), "--out", str(repo / "rules"), *extra],
    )
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_generate_writes_one_headed_rule_file_per_spec_then_check_passes(repo: Path) -> None:
    code, out, _ = generate(repo)
    assert code == 0, out
    files = sorted(p.name for p in (repo / "rules").iterdir())
    assert files == ["slo-app-java.yaml", "slo-app-python-worker.yaml", "slo-app-python.yaml"]
    text = (repo / "rules" / "slo-app-python.yaml").read_text()
    assert text.splitlines()[0] == HEADER
    assert "# source: ../slos/app-python.yaml" in text
    assert generate(repo, "--check")[0] == 0
    # idempotent: a second run changes nothing
    before = snapshot(repo / "rules")
    code, out, _ = generate(repo)
    assert code == 0 and "(0 changed)" in out
    assert snapshot(repo / "rules") == before


@pytest.mark.integration
def test_generated_rules_pass_promtool(repo: Path) -> None:
    assert generate(repo)[0] == 0
    files = sorted(str(p) for p in (repo / "rules").iterdir())
    proc = subprocess.run(["promtool", "check", "rules", *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS: 34 rules found") == 3


def test_check_fails_on_any_difference_and_names_the_file(repo: Path) -> None:
    assert generate(repo)[0] == 0
    target = repo / "rules" / "slo-app-java.yaml"
    target.write_text(target.read_text().replace("(14.4 * 0.005)", "(15 * 0.005)", 1))
    code, _, err = generate(repo, "--check")
    assert code == 1
    assert f"{target}: differs from its spec" in err
    # a spec change is a difference too, and --check writes nothing
    spec = repo / "slos" / "app-python.yaml"
    spec.write_text(spec.read_text().replace("objective: 99.5", "objective: 99.9"))
    before = snapshot(repo / "rules")
    code, _, err = generate(repo, "--check")
    assert code == 1 and "slo-app-python.yaml: differs from its spec" in err
    assert snapshot(repo / "rules") == before
    target.unlink()
    assert f"{target}: missing" in generate(repo, "--check")[2]


def test_a_bad_spec_is_exit_2_with_one_line_and_nothing_written(repo: Path) -> None:
    assert generate(repo)[0] == 0
    before = snapshot(repo / "rules")
    bad = repo / "slos" / "app-java.yaml"
    bad.write_text(bad.read_text().replace("objective: 95", "objective: 100"))
    # another spec changed too: it must not be written either
    good = repo / "slos" / "app-python.yaml"
    good.write_text(good.read_text().replace("objective: 99.5", "objective: 99.9"))
    code, _, err = generate(repo)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "app-java.yaml" in lines[0]
    assert "slos.1.objective: Input should be less than 100" in lines[0]
    assert snapshot(repo / "rules") == before
    assert not any(p.name.startswith(".tmp-") for p in (repo / "rules").iterdir())


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    objective: 99.5\n",
            "    objective: 99.5\n    owner: me\n",
            "slos.0.owner: unknown key",
        ),
        (
            "[{{.window}}]))\n    alerting:\n      name: AppPythonAvailabilityBudgetBurn",
            "[5m]))\n    alerting:\n      name: AppPythonAvailabilityBudgetBurn",
            "slos.0.sli.events.total_query: the query must contain the {{.window}} placeholder",
        ),
        ("objective: 99.5", "objective: -3", "slos.0.objective: Input should be greater than 0"),
    ],
)
def test_bad_spec_kinds_on_an_empty_output(repo: Path, old: str, new: str, message: str) -> None:
    spec = repo / "slos" / "app-python.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))
    code, _, err = generate(repo)
    assert code == 2 and message in err
    assert list((repo / "rules").iterdir()) == []


def test_stale_generated_files_are_flagged_then_removed_but_hand_written_ones_kept(
    repo: Path,
) -> None:
    assert generate(repo)[0] == 0
    (repo / "rules" / "alerts-http.yaml").write_text("groups: []\n")
    (repo / "rules" / "slo-by-hand.yaml").write_text("groups: []\n")
    (repo / "slos" / "app-java.yaml").unlink()
    code, _, err = generate(repo, "--check")
    assert code == 1 and "slo-app-java.yaml: generated from a spec that no longer exists" in err
    code, out, _ = generate(repo)
    assert code == 0 and "slo-app-java.yaml: removed" in out
    assert sorted(p.name for p in (repo / "rules").iterdir()) == [
        "alerts-http.yaml",
        "slo-app-python-worker.yaml",
        "slo-app-python.yaml",
        "slo-by-hand.yaml",
    ]


def test_missing_specs_folder_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["slo", "generate", "--specs", str(tmp_path / "nope"), "--out", str(tmp_path / "rules")],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "rules").exists()


def test_burn_rate_factors_follow_the_workbook_for_any_period() -> None:
    assert [w.factor(30) for w in PAGE_WINDOWS] == [Decimal("14.4"), Decimal("6")]
    assert [w.factor(30) for w in TICKET_WINDOWS] == [Decimal("3"), Decimal("1")]
    # 28 days: 2 % of the budget in 1 h is 13.44x; 10 % in 3 d is 0.933...x
    assert PAGE_WINDOWS[0].factor(28) == Decimal("13.44")
    text = (SPECS / "app-python.yaml").read_text().replace("period: 30d", "period: 28d")
    rules = build_rules(parse_spec("x.yaml", text))
    page = next(
        r
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("labels", {}).get("severity") == "page"
    )
    assert "(13.44 * 0.005)" in page["expr"] and "(5.6 * 0.005)" in page["expr"]
    period = next(
        r
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("record") == "slo:sli_error:ratio_rate28d"
    )
    assert "[28d]" in period["expr"]


def test_rule_semantics_of_one_slo() -> None:
    rules = build_rules(parse_spec("x.yaml", (SPECS / "app-python.yaml").read_text()))
    groups = {g["name"]: g["rules"] for g in rules["groups"]}
    sli = groups["sloth-slo-sli-recordings-app-python-availability"]
    assert [r["labels"]["sloth_window"] for r in sli] == [
        "5m",
        "30m",
        "1h",
        "2h",
        "6h",
        "1d",
        "3d",
        "30d",
    ]
    assert all(r["record"] == f"slo:sli_error:ratio_rate{r['labels']['sloth_window']}" for r in sli)
    assert all(r["labels"]["team"] == "apps" for r in sli)
    meta = {r["record"]: r for r in groups["sloth-slo-meta-recordings-app-python-availability"]}
    assert meta["slo:objective:ratio"]["expr"] == "vector(0.995)"
    assert meta["slo:error_budget:ratio"]["expr"] == "vector(0.005)"
    assert meta["slo:time_period:days"]["expr"] == "vector(30)"
    assert "slo:period_burn_rate:ratio" in meta["slo:period_error_budget_remaining:ratio"]["expr"]
    alerts = groups["sloth-slo-alerts-app-python-availability"]
    assert [(a["alert"], a["labels"]["severity"], a["for"]) for a in alerts] == [
        ("AppPythonAvailabilityBudgetBurn", "page", "2m"),
        ("AppPythonAvailabilityBudgetBurn", "ticket", "15m"),
    ]
    page, ticket = alerts
    for expr, pairs in (
        (page["expr"], [("5m", "1h", "14.4"), ("30m", "6h", "6")]),
        (ticket["expr"], [("2h", "1d", "3"), ("6h", "3d", "1")]),
    ):
        for short, long, factor in pairs:
            assert f"ratio_rate{short}{{" in expr and f"ratio_rate{long}{{" in expr
            assert f"> ({factor} * 0.005)" in expr
    for alert in alerts:
        assert alert["labels"]["service"] == "app-python"
        assert alert["labels"]["slo"] == "availability"
        assert set(alert["annotations"]) == {"summary", "description", "runbook_url"}
        assert alert["annotations"]["runbook_url"] == (
            f"{RUNBOOK_BASE_URL}/AppPythonAvailabilityBudgetBurn.md"
        )
        assert alert["annotations"]["runbook_url"] == (
            "https://github.com/kindops-lab/kindops-lab/blob/main/docs/runbooks/"
            "AppPythonAvailabilityBudgetBurn.md"
        )


def test_multiline_queries_stay_readable_block_scalars(repo: Path) -> None:
    assert generate(repo)[0] == 0
    text = (repo / "rules" / "slo-app-python.yaml").read_text()
    assert "expr: |\n" in text
    doc = yaml.safe_load(text)
    assert len(doc["groups"]) == 6
