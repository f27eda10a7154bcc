"""Dashboards as code: the committed JSON is what the code generates, and it holds together.

`kindops dashboards generate` is run through its CLI (exit codes, messages, files written or
not); the committed dashboards are then checked for what would break in Grafana or mislead an
operator: unknown datasources, duplicate ids, a SLO panel reading a series no rule records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from kindops.cli import app
from kindops.dashboards.catalog import CATALOG
from kindops.dashboards.generate import DATASOURCE_UIDS, panels

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "observability" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
RULES = ROOT / "observability" / "prometheus" / "rules"
runner = CliRunner()


def committed() -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS.glob("*.json"))
    }


def exprs(doc: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in panels(doc) for t in p.get("targets", []) if "expr" in t]


def test_committed_json_matches_the_code() -> None:
    result = runner.invoke(app, ["dashboards", "generate", "--check", "--out", str(DASHBOARDS)])
    assert result.exit_code == 0, result.output
    assert f"{len(CATALOG)} dashboards match their code" in result.output


def test_generate_writes_then_is_idempotent(tmp_path: Path) -> None:
    out = tmp_path / "dashboards"
    first = runner.invoke(app, ["dashboards", "generate", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert f"({len(CATALOG)} changed)" in first.output
    for uid in CATALOG:
        written = out / f"{uid}.json"
        assert written.read_text() == (DASHBOARDS / f"{uid}.json").read_text()
        assert written.stat().st_mode & 0o777 == 0o644
    again = runner.invoke(app, ["dashboards", "generate", "--out", str(out)])
    assert again.exit_code == 0 and "(0 changed)" in again.output


def test_check_reports_drift_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "dashboards"
    runner.invoke(app, ["dashboards", "generate", "--out", str(out)])
    edited = out / "kindops-red.json"
    edited.write_text(edited.read_text().replace("Service RED", "Edited by hand"))
    stale = out / "kindops-old.json"
    stale.write_text("{}")
    result = runner.invoke(app, ["dashboards", "generate", "--check", "--out", str(out)])
    assert result.exit_code == 1
    assert "kindops-red.json: differs from its code" in result.output
    assert "kindops-old.json: not in the dashboard catalog" in result.output
    assert "Edited by hand" in edited.read_text() and stale.exists()
    fixed = runner.invoke(app, ["dashboards", "generate", "--out", str(out)])
    assert fixed.exit_code == 0 and not stale.exists()
    assert "Edited by hand" not in edited.read_text()


def test_an_output_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("keep me")
    result = runner.invoke(app, ["dashboards", "generate", "--out", str(target)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: dashboards output {str(target)!r} is not a folder"
    ]
    assert target.read_text() == "keep me"


def test_every_dashboard_is_well_formed() -> None:
    docs = committed()
    assert set(docs) == set(CATALOG)
    for uid, doc in docs.items():
        assert doc["uid"] == uid and "kindops" in doc["tags"]
        assert doc["editable"] is False  # provisioned: changes go through the code
        ids = [p["id"] for p in panels(doc)]
        assert len(ids) == len(set(ids)), f"{uid}: duplicate panel ids"
        for panel in panels(doc):
            if panel["type"] == "row":
                continue
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(refs) == len(set(refs)), f"{uid}/{panel['title']}"
            for target in panel["targets"]:
                assert target["datasource"]["uid"] in DATASOURCE_UIDS
            assert panel.get("description"), f"{uid}/{panel['title']}: no description"


def test_red_dashboard_shows_p50_p95_p99_with_exemplars() -> None:
    doc = committed()["kindops-red"]
    latency = next(p for p in panels(doc) if p["title"] == "Latency p50 / p95 / p99")
    quantiles = [re.search(r"histogram_quantile\(([\d.]+)", t["expr"]) for t in latency["targets"]]
    assert [float(m.group(1)) for m in quantiles if m] == [0.5, 0.95, 0.99]
    assert all(t.get("exemplar") for t in latency["targets"])
    assert all(
        "http_server_request_duration_seconds_bucket" in t["expr"] for t in latency["targets"]
    )


def test_slo_panels_read_only_series_the_rules_record() -> None:
    recorded = {
        rule["record"]
        for path in RULES.glob("*.yaml")
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", [])
        for rule in group.get("rules", [])
        if "record" in rule
    }
    used = {
        name
        for doc in committed().values()
        for expr in exprs(doc)
        for name in re.findall(r"\b(slo:[a-z_]+:[a-z_0-9]+|sloth_slo_info)\b", expr)
    }
    assert used, "no dashboard reads the SLO recording rules"
    assert used <= recorded, f"not recorded by any rule: {sorted(used - recorded)}"


def test_kustomization_ships_every_dashboard() -> None:
    doc = yaml.safe_load((GRAFANA / "kustomization.yaml").read_text())
    generators = {g["name"]: g for g in doc["configMapGenerator"]}
    files = set(generators["kindops-grafana-dashboards"]["files"])
    assert files == {f"dashboards/{p.name}" for p in DASHBOARDS.glob("*.json")}
    for entry in [*files, *generators["kindops-grafana-datasources"]["files"]]:
        assert (GRAFANA / entry.split("=")[-1]).is_file(), entry
    total = sum((GRAFANA / f).stat().st_size for f in files)
    assert total < 900_000, "dashboards ConfigMap near the 1 MiB object limit: split it"
