"""Prometheus rules: promtool-valid, unit-tested alert by alert, complete, and SLO rules in
step with their specs.

* ``promtool check rules`` on every rule file;
* ``promtool test rules`` on every unit-test file (observability/prometheus/tests);
* every alert has ``for``, a known severity and team, summary, description and a runbook_url
  to docs/runbooks/<alert>.md;
* every alert (each severity of it) has a test case where it fires, and a case where it must
  stay silent;
* ``kindops slo generate --check``: the committed SLO rules are exactly what the specs give.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kindops.cli import app
from kindops.endpoints import RUNBOOK_BASE_URL
from kindops.slo.generate import HEADER
from tests.conftest import ROOT

RULES = ROOT / "observability" / "prometheus" / "rules"
UNIT_TESTS = ROOT / "observability" / "prometheus" / "tests"
SEVERITIES = {"page", "ticket", "none"}
TEAMS = {"apps", "platform", "finops"}


def rule_files() -> list[Path]:
    return sorted(RULES.glob("*.yaml"))


def unit_test_files() -> list[Path]:
    return sorted(UNIT_TESTS.glob("*.test.yaml"))


def alerts() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += [(path, rule) for rule in group["rules"] if "alert" in rule]
    return found


def coverage(docs: list[tuple[Path, dict[str, Any]]]) -> dict[str, dict[str, set[str]]]:
    """alertname -> {"fires": severities seen firing, "silent": {""} if a silent case exists,
    "files": rule files the cases load}."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: {"fires": set(), "silent": set(), "files": set()}
    )
    for path, doc in docs:
        loaded = {str((path.parent / f).resolve()) for f in doc.get("rule_files", [])}
        for case in doc.get("tests", []):
            for check in case.get("alert_rule_test", []) or []:
                entry = seen[check["alertname"]]
                entry["files"] |= loaded
                expected = check.get("exp_alerts") or []
                if expected:
                    entry["fires"] |= {
                        e.get("exp_labels", {}).get("severity", "") for e in expected
                    }
                else:
                    entry["silent"].add("")
    return seen


def test_the_rule_inventory() -> None:
    names = {rule["alert"] for _, rule in alerts()}
    assert {p.name for p in rule_files()} >= {
        "alerts-http.yaml",
        "alerts-worker.yaml",
        "alerts-kubernetes.yaml",
        "alerts-jobs.yaml",
        "alerts-finops.yaml",
        "alerts-meta.yaml",
        "slo-app-python.yaml",
        "slo-app-java.yaml",
        "slo-app-python-worker.yaml",
    }
    assert len(names) >= 20
    assert {
        "HTTPServerErrorsSurge",
        "BackupTooOld",
        "KubePodCrashLooping",
        "Watchdog",
        "AppPythonAvailabilityBudgetBurn",
    } <= names


@pytest.mark.integration
def test_promtool_check_rules_on_every_file() -> None:
    files = [str(p) for p in rule_files()]
    proc = subprocess.run(["promtool", "check", "rules", *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == len(files)


@pytest.mark.integration
def test_promtool_unit_tests_pass() -> None:
    # one promtool per file, side by side: the SLO files evaluate hours of rules each
    procs = {
        path.name: subprocess.Popen(
            ["promtool", "test", "rules", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for path in unit_test_files()
    }
    failed = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0 or "SUCCESS" not in out:
            failed[name] = out[-4000:]
    assert len(procs) >= 9
    assert not failed, "\n".join(f"{n}:\n{o}" for n, o in failed.items())


def test_every_alert_has_for_severity_team_and_annotations() -> None:
    problems = []
    for path, rule in alerts():
        name = rule["alert"]
        labels, annotations = rule.get("labels", {}), rule.get("annotations", {})
        where = f"{path.name}: {name}"
        if not rule.get("for"):
            problems.append(f"{where}: no for")
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity {labels.get('severity')!r}")
        if labels.get("team") not in TEAMS and "team" not in _recorded_labels(path, rule):
            problems.append(f"{where}: no team label")
        for key in ("summary", "description"):
            if not str(annotations.get(key, "")).strip():
                problems.append(f"{where}: no {key}")
        if annotations.get("runbook_url") != f"{RUNBOOK_BASE_URL}/{name}.md":
            problems.append(f"{where}: runbook_url {annotations.get('runbook_url')!r}")
    assert not problems, "\n".join(problems)


def _recorded_labels(path: Path, alert: dict[str, Any]) -> set[str]:
    """Labels an SLO alert inherits from its recording rules (the spec's labels, e.g. team)."""
    doc = yaml.safe_load(path.read_text())
    labels: set[str] = set()
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "record" in rule and rule["record"].split("{")[0] in alert["expr"]:
                labels |= set(rule.get("labels", {}))
    return labels


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    docs = [(p, yaml.safe_load(p.read_text())) for p in unit_test_files()]
    seen = coverage(docs)
    problems = []
    for path, rule in alerts():
        name, severity = rule["alert"], rule["labels"]["severity"]
        entry = seen.get(name)
        if entry is None or str(path.resolve()) not in entry["files"]:
            problems.append(f"{name}: no unit test loads {path.name}")
            continue
        if severity not in entry["fires"]:
            problems.append(f"{name}: no case where it fires with severity={severity}")
        if not entry["silent"]:
            problems.append(f"{name}: no case where it must not fire")
    unknown = set(seen) - {rule["alert"] for _, rule in alerts()}
    problems += [f"{name}: tested but defined nowhere" for name in sorted(unknown)]
    assert not problems, "\n".join(problems)


def test_the_coverage_check_catches_a_missing_case(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("groups: []\n")
    doc = {
        "rule_files": ["rules.yaml"],
        "tests": [
            {
                "alert_rule_test": [
                    {"alertname": "A", "exp_alerts": [{"exp_labels": {"severity": "page"}}]},
                    {"alertname": "B", "exp_alerts": []},
                ]
            }
        ],
    }
    seen = coverage([(tmp_path / "t.test.yaml", doc)])
    assert seen["A"]["fires"] == {"page"} and not seen["A"]["silent"]
    assert not seen["B"]["fires"] and seen["B"]["silent"]
    assert seen["A"]["files"] == {str(rules.resolve())}


def test_generated_slo_rules_match_their_specs() -> None:
    result = CliRunner().invoke(
        app,
        [
            "slo",
            "generate",
            "--check",
            "--specs",
            str(ROOT / "observability" / "slos"),
            "--out",
            str(RULES),
        ],
    )
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_generated_files_and_only_they_carry_the_header(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert (first == HEADER) == path.name.startswith("slo-"), path.name
