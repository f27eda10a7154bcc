"""`airflow dags test monthly_game_day` for real, on the local runner: one real scenario end to end.

The local game-day lab runs app-python (API + worker under the lab's supervisor, on a real
AWS-API server) with its metrics going app -> OTLP -> the lab's collector -> Prometheus. The DAG
runs `app-python-error-rate` with short phases (warm-up 8 s, fault 15 s, recovery up to 20 s:
k6 runs 43 s at 4 VUs), then `publish`. Asserted: task states, the journal, the ONE evidence
record joining probes, k6 figures against the load thresholds and SLO burn for the same window,
the postmortem draft, the Grafana annotations (a local HTTP server), and the flags off again.

The scenario runs from a copy of the catalog without its p95 load threshold: the latency of a
shared test machine is not what this test is about (the threshold itself is judged in
`include/tests/gameday`); the error-ratio threshold and the probes decide the verdict.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import requests
import yaml

from kindops.gameday.catalog import DEFAULT_DIRS
from kindops.gameday.lab import LocalLab
from tests.support.airflow import dags_test
from tests.support.http import recorder

RUN = "monthly_game_day_20261126T000000"
SCENARIO = "app-python-error-rate"


def catalog_without_latency_threshold(folder: Path) -> Path:
    folder.mkdir()
    for source in DEFAULT_DIRS[0].glob("*.yaml"):
        doc = yaml.safe_load(source.read_text())
        doc["load"]["thresholds"].pop("max_p95_ms", None)
        (folder / source.name).write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


# One game day at a time (xdist_group): each runs the apps under load and reads its SLO burn.
@pytest.mark.integration
@pytest.mark.xdist_group("gameday")
def test_a_local_game_day_runs_end_to_end_and_keeps_its_evidence(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    catalog = catalog_without_latency_threshold(tmp_path / "catalog")
    with LocalLab(tmp_path / "lab", ["app-python"]) as lab, recorder() as grafana:
        env = {
            **lab.env(),
            "AIRFLOW_VAR_KINDOPS_PROMETHEUS_URL": lab.prometheus_url,
            "AIRFLOW_VAR_KINDOPS_GRAFANA_URL": grafana.url,
            "KINDOPS_ARTIFACTS": str(artifacts),
            "KINDOPS_GAMEDAY_CATALOG": str(catalog),
        }
        conf = {
            "scenarios": [SCENARIO],
            "runner": "local",
            "warmup": "8s",
            # Enough failed calls for the SLO burn to see them on a busy machine: Prometheus'
            # rate() skips the first sample of the 5xx series, born with the fault's first error.
            "fault_duration": "15s",
            "recovery_timeout": "20s",
            "vus": 4,
        }
        run = dags_test("monthly_game_day", "2026-11-26", env, conf)
        faults = requests.get(
            f"{lab.app_python_url}/admin/faults",
            headers={"X-Admin-Token": lab.admin_token},
            timeout=10,
        ).json()["faults"]
    assert run.states == {"run": "success", "publish": "success"}, run.tail(80)
    assert faults["error_rate"] == 0, "the fault flag is off again"

    folder = artifacts / "gameday" / RUN / SCENARIO
    assert {p.name for p in folder.iterdir()} == {
        "journal.json",
        "evidence.json",
        "k6-summary.json",
        "k6-output.txt",
        "postmortem.md",
    }
    journal = json.loads((folder / "journal.json").read_text())
    assert (journal["status"], journal["verdict"], journal["runner"]) == (
        "completed",
        "pass",
        "local",
    )
    actions = {a["activity"]["name"]: a for a in journal["run"]}
    assert list(actions) == ["start-load", "inject", "end-fault", "await-load"]
    assert all(a["status"] == "succeeded" for a in actions.values())
    assert actions["inject"]["output"]["flags"] == {"error_rate": 0.1}
    assert actions["end-fault"]["output"]["reverted"] is True
    states = journal["steady_states"]
    assert states["before"]["steady_state_met"] and states["after"]["steady_state_met"]
    assert states["during"]["samples_taken"] >= 2
    assert journal["rollbacks"] == []

    ev = json.loads((folder / "evidence.json").read_text())
    start, end = (datetime.fromisoformat(ev["window"][k]) for k in ("start", "end"))
    fault_start = datetime.fromisoformat(ev["fault_window"]["start"])
    assert start < fault_start < end
    steps = {p["step"] for p in ev["probes"]}
    assert steps == {"before", "during", "after"}
    queries = [p["query"] for p in ev["probes"] if p["type"] == "prometheus"]
    assert queries and all("[10s]" in q for q in queries)
    load = ev["load"]
    assert load["metrics"]["requests"] > 50
    assert [(t["name"], t["met"]) for t in load["thresholds"]] == [("error_ratio", True)]
    assert 0 < load["metrics"]["error_ratio"] <= 0.15, "k6 felt the injected errors"
    burn = {s["slo"]: s for s in ev["slo_burn"]["slos"]}
    assert ev["slo_burn"]["window"]["seconds"] == round((end - start).total_seconds())
    assert burn["availability"]["error_ratio"] > 0 and burn["availability"]["burn_rate"] > 0
    assert burn["availability"]["budget_consumed"] > 0
    assert ev["recovery"]["recovered"] is True and ev["recovery"]["rollbacks"] == []
    assert states["after"]["seconds_to_recover"] is not None
    events = [e["event"] for e in ev["timeline"]]
    assert events[:3] == ["load started", "steady state before met", "fault injected"]

    draft = (folder / "postmortem.md").read_text()
    assert f"{load['metrics']['requests']} requests" in draft
    assert "## Timeline" in draft and "10 % of requests answered 500" in draft

    index = (artifacts / "gameday" / RUN / "index.md").read_text()
    assert f"| {SCENARIO} | completed | pass |" in index
    result = json.loads((artifacts / "gameday" / RUN / "result.json").read_text())
    assert result["verdict"] == "ok" and result["data"]["runner"] == "local"

    notes = grafana.requests
    assert [(n["method"], n["path"]) for n in notes] == [("POST", "/api/annotations")] * 2
    assert all({"gameday", SCENARIO, "local", "pass"} <= set(n["body"]["tags"]) for n in notes)
    assert [a["id"] for a in ev["annotations"]] == [1, 2]
