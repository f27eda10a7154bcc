"""Every alert has a runbook and every runbook an alert; each runbook has the four parts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

RULES = ROOT / "observability" / "prometheus" / "rules"
RUNBOOKS = ROOT / "docs" / "runbooks"
SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")


def alert_names() -> set[str]:
    names = set()
    for path in sorted(RULES.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


def runbooks() -> list[Path]:
    return sorted(p for p in RUNBOOKS.glob("*.md") if p.name != "README.md")


def test_every_alert_has_a_runbook_and_every_runbook_an_alert() -> None:
    alerts = alert_names()
    pages = {p.stem for p in runbooks()}
    assert alerts, "no alerts found"
    assert not alerts - pages, f"alerts without a runbook: {sorted(alerts - pages)}"
    assert not pages - alerts, f"runbooks without an alert: {sorted(pages - alerts)}"


@pytest.mark.parametrize("path", runbooks(), ids=lambda p: p.stem)
def test_runbook_has_the_four_parts_in_order(path: Path) -> None:
    text = path.read_text()
    assert text.splitlines()[0] == f"# {path.stem}", "the title is the alert name"
    positions = [text.find(f"\n{heading}\n") for heading in SECTIONS]
    assert all(p > 0 for p in positions), f"missing sections: {SECTIONS}"
    assert positions == sorted(positions), "sections out of order"
    diagnosis = text[positions[2] : positions[3]]
    assert "```sh" in diagnosis, "Diagnosis needs commands to paste"
    for part, start, end in zip(SECTIONS, positions, [*positions[1:], len(text)], strict=True):
        body = re.sub(r"\s+", " ", text[start + len(part) + 1 : end]).strip()
        assert len(body) > 80, f"{part} is too thin to help anyone"


def test_runbooks_name_only_alerts_that_exist() -> None:
    """A runbook pointing the reader to another alert's runbook must not point to nothing."""
    alerts = alert_names()
    problems = []
    for path in runbooks():
        for name in set(
            re.findall(
                r"`([A-Z][A-Za-z]+(?:BudgetBurn|Looping|Frequent|TooOld|"
                r"Growing|NotEmpty|Surge|High|Failed|Stale|Reached|Overrun|"
                r"Anomaly))`",
                path.read_text(),
            )
        ):
            if name not in alerts:
                problems.append(f"{path.name}: mentions unknown alert {name}")
    assert not problems, "\n".join(problems)
