"""The local runner end to end with real processes: app-python (API + worker under the lab's
supervisor, on a real AWS-API server), the OpenTelemetry Collector, Prometheus, and real k6.

* a safeguard trips on the real error ratio -> the fault is aborted and the flags are off, as the
  app's own admin endpoint says; the Grafana annotations of the window arrive;
* an action fails midway (the admin API refuses the token) -> the journal is complete anyway;
* SIGTERM mid-fault (Airflow stopping the task) -> the fault is reverted, the journal written;
* the fault leaves the worker hung and it does not recover: the rollback restarts it (SIGKILL
  once SIGTERM cannot end it), the supervisor starts a new one and the steady state is checked
  again — a deviated hypothesis without an abort: exit 1, verdict fail;
* pod-delete kills the API process and the supervisor brings it back; the restart rollback.

The tests run in any order. They share one lab, except the abort drill: it spends the
availability budget for real (70 % errors), after which the guard rightly refuses any further
game day on that lab, so it gets a lab of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from kindops.gameday import local
from kindops.gameday.catalog import DEFAULT_DIRS
from kindops.gameday.lab import LocalLab
from tests.support.http import recorder

# One game day at a time (xdist_group): each runs the apps under load and reads its SLO burn.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("gameday")]
RUN = "gameday_test/20261126T100000"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLab]:
    with LocalLab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture()
def own_lab(tmp_path: Path) -> Iterator[LocalLab]:
    """A lab for one test only: whatever budget it spends, no other test sees."""
    with LocalLab(tmp_path / "own-lab") as running:
        yield running


def wait_for_fault(lab: LocalLab, proc: subprocess.Popen[str], flag: str, value: float) -> None:
    deadline = time.monotonic() + 120
    while flags(lab)[flag] != value:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the fault was never injected"
        time.sleep(0.3)


def flags(lab: LocalLab) -> dict[str, Any]:
    response = requests.get(
        f"{lab.app_python_url}/admin/faults", headers={"X-Admin-Token": lab.admin_token}, timeout=10
    )
    response.raise_for_status()
    faults: dict[str, Any] = response.json()["faults"]
    return faults


def kindops(
    lab: LocalLab, artifacts: Path, args: list[str], **env: str
) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        **lab.env(),
        "KINDOPS_ARTIFACTS": str(artifacts),
        "KINDOPS_RUN_ID": RUN,
        "KINDOPS_LOG_LEVEL": "INFO",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "kindops", "gameday", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


def scenario_dir(artifacts: Path, name: str) -> Path:
    return artifacts / "gameday" / "gameday_test_20261126T100000" / name


def start_drill(
    env: dict[str, str], scenario: str, fault: str, *extra: str
) -> subprocess.Popen[str]:
    """``kindops gameday run`` of one local scenario in the background (short warm-up, 1 VU)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kindops",
            "gameday",
            "run",
            "--runner",
            "local",
            "--scenario",
            scenario,
            "--warmup",
            "8s",
            "--fault-duration",
            fault,
            "--recovery-timeout",
            "20s",
            "--vus",
            "1",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_journal_is_complete_when_an_action_fails(lab: LocalLab, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    proc = kindops(
        lab,
        artifacts,
        [
            "run",
            "--runner",
            "local",
            "--scenario",
            "app-python-error-rate",
            "--warmup",
            "8s",
            "--fault-duration",
            "10s",
            "--recovery-timeout",
            "10s",
            "--vus",
            "1",
        ],
        KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN="a-wrong-token-of-32-characters-x",
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "app-python-error-rate failed" in proc.stdout
    run = scenario_dir(artifacts, "app-python-error-rate")
    journal = json.loads((run / "journal.json").read_text())
    assert journal["status"] == "failed" and journal["verdict"] == "fail"
    assert "refused the token (401)" in journal["error"]
    names = [(a["activity"]["name"], a["status"]) for a in journal["run"]]
    assert names[:2] == [("start-load", "succeeded"), ("inject", "failed")]
    assert "refused the token" in journal["run"][1]["exception"]
    for action in journal["run"]:
        assert action["start"] and action["end"] and action["duration"] is not None
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["during"] is None and journal["steady_states"]["after"] is None
    assert journal["end"] and journal["duration"] > 0
    assert journal["load"]["metrics"]["requests"] > 0, "the load was stopped and judged"
    assert journal["timeline"][-1]["event"] == "failed"
    assert {p.name for p in run.iterdir()} >= {
        "journal.json",
        "evidence.json",
        "postmortem.md",
        "k6-summary.json",
        "k6-output.txt",
    }
    assert "Nothing was injected" in (run / "postmortem.md").read_text()
    assert flags(lab)["error_rate"] == 0


def test_sigterm_mid_fault_reverts_it_and_keeps_the_journal(lab: LocalLab, tmp_path: Path) -> None:
    """What Airflow does to a task it stops: the fault is reverted, k6 stopped, journal written."""
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, **lab.env(), "KINDOPS_ARTIFACTS": str(artifacts), "KINDOPS_RUN_ID": RUN}
    proc = start_drill(env, "worker-network-latency", "90s")
    try:
        wait_for_fault(lab, proc, "worker_slow_ms", 2000)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err[-3000:]
    assert flags(lab)["worker_slow_ms"] == 0, "the app itself says the fault is off"
    journal = json.loads(
        (scenario_dir(artifacts, "worker-network-latency") / "journal.json").read_text()
    )
    assert journal["status"] == "interrupted" and journal["verdict"] == "fail"
    assert "SIGTERM" in journal["error"]
    revert = journal["rollbacks"][0]
    assert revert["activity"]["name"] == "revert-fault" and revert["status"] == "succeeded"
    assert revert["output"]["flags"]["worker_slow_ms"] == 0
    k6_pid = journal["run"][0]["output"]["pid"]
    assert not local.alive(k6_pid), "k6 was stopped"
    assert journal["load"]["metrics"]["requests"] > 0, "k6 still wrote its summary"
    assert journal["windows"]["fault"]["end"] is not None


def test_a_safeguard_aborts_and_the_flags_are_off(own_lab: LocalLab, tmp_path: Path) -> None:
    lab = own_lab
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "app-python-error-rate.yaml").read_text())
    doc["name"] = "abort-drill"
    doc["fault"]["flags"] = {"error_rate": 0.7}  # far past the safeguard
    doc["safeguards"].update(interval="1s", consecutive=1)
    doc["safeguards"]["probes"][0]["tolerance"] = {"max": 0.2}
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "abort-drill.yaml").write_text(yaml.safe_dump(doc))
    artifacts = tmp_path / "artifacts"
    with recorder() as grafana:
        proc = kindops(
            lab,
            artifacts,
            [
                "run",
                "--runner",
                "local",
                "--scenario",
                "abort-drill",
                "--warmup",
                "8s",
                "--fault-duration",
                "60s",
                "--recovery-timeout",
                "20s",
                "--vus",
                "2",
            ],
            KINDOPS_GAMEDAY_CATALOG=str(catalog),
            KINDOPS_GRAFANA_URL=grafana.url,
            KINDOPS_GRAFANA_TOKEN="glsa_test",
        )
        posts = grafana.calls("POST", "/api/annotations")
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    assert flags(lab)["error_rate"] == 0, "the app itself says the fault is off"
    run = scenario_dir(artifacts, "abort-drill")
    journal = json.loads((run / "journal.json").read_text())
    assert journal["status"] == "aborted" and journal["verdict"] == "fail"
    assert journal["safeguards"]["tripped"]
    assert journal["safeguards"]["by"].startswith("error-ratio-runaway:")
    abort = next(a for a in journal["run"] if a["activity"]["name"] == "abort")
    assert abort["status"] == "succeeded"
    assert abort["output"]["reverted"] is True and abort["output"]["flags"]["error_rate"] == 0
    inject = next(a for a in journal["run"] if a["activity"]["name"] == "inject")
    assert inject["output"]["flags"] == {"error_rate": 0.7}
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    # the abort, not the clock, ended the 60 s fault: it is recorded before the fault ended, no
    # end-fault action ran, and the fault window closed before its scheduled end
    events = [e["event"] for e in journal["timeline"]]
    assert events.index("safeguard tripped") < events.index("fault aborted")
    assert events.index("fault aborted") < events.index("fault ended")
    assert "end-fault" not in [a["activity"]["name"] for a in journal["run"]]
    fault = journal["windows"]["fault"]
    start, end = (datetime.fromisoformat(fault[k]) for k in ("start", "end"))
    assert end < start + timedelta(seconds=60)
    evidence = json.loads((run / "evidence.json").read_text())
    tripped = [s for s in evidence["safeguards"]["samples"] if not s["tolerance_met"]]
    assert tripped and tripped[-1]["value"] > 0.2
    assert evidence["load"]["metrics"]["requests"] > 0
    assert {s["slo"] for s in evidence["slo_burn"]["slos"]} == {"availability", "latency"}
    assert (run / "postmortem.md").read_text().count("safeguard tripped") >= 1
    assert len(posts) == 2
    bodies = [p["body"] for p in posts]
    assert all({"gameday", "abort-drill", "local", "fail"} <= set(b["tags"]) for b in bodies)
    assert {"window", "fault"} == {t for b in bodies for t in b["tags"] if t in ("window", "fault")}
    assert all(b["time"] < b["timeEnd"] for b in bodies)
    assert posts[0]["headers"]["Authorization"] == "Bearer glsa_test"
    assert [a["id"] for a in evidence["annotations"]] == [1, 2]


def test_pod_delete_kills_the_api_and_the_supervisor_restarts_it(lab: LocalLab) -> None:
    pids = str(lab.pids)
    restarts = lab.supervised["app-python-api"].restarts
    kill = local.KillInjection(pids, "app-python-api", interval=600, force=True)
    first = kill.start()["pid"]
    new = local.wait_new_pid(pids, "app-python-api", first, 60)
    assert new is not None and new != first
    assert not local.alive(first)
    restarted = local.restart(pids, "app-python-api", lab.app_python_url, 120)
    assert restarted["old_pid"] == new and local.alive(restarted["new_pid"])
    assert requests.get(f"{lab.app_python_url}/healthz/live", timeout=10).status_code == 200
    assert restarted["ended_by"] == "SIGTERM"
    assert lab.supervised["app-python-api"].restarts == restarts + 2


def test_a_hung_worker_is_restarted_by_the_rollback_and_checked_again(
    lab: LocalLab, tmp_path: Path
) -> None:
    """Recovery fails -> the runner restarts the supervised process -> after-rollback check.

    Once the fault is on, the worker hangs (SIGSTOP: it neither works nor exits, and no wait
    cures that). The after-check fails; the rollback SIGTERMs it, which a stopped process cannot
    act on, so SIGKILL after the grace period; the lab's supervisor starts a new worker, which
    drains the backlog, and the steady state is checked again.
    """
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "worker-network-latency.yaml").read_text())
    doc["name"] = "hung-worker-drill"
    doc["fault"]["latency_ms"] = 200
    doc["steady_state"].update(
        interval="2s",
        probes=[
            p for p in doc["steady_state"]["probes"] if p["name"] in ("api-ready", "worker-storing")
        ],
    )
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "hung-worker-drill.yaml").write_text(yaml.safe_dump(doc))
    artifacts = tmp_path / "artifacts"
    env = {
        **os.environ,
        **lab.env(),
        "KINDOPS_ARTIFACTS": str(artifacts),
        "KINDOPS_RUN_ID": RUN,
        "KINDOPS_GAMEDAY_CATALOG": str(catalog),
    }
    worker = lab.supervised["app-python-worker"]
    restarts = worker.restarts
    hung = local.read_pid(str(lab.pids), "app-python-worker")
    # the fault lasts longer than the 10 s probe window: by its end, the hung worker's rate is 0
    proc = start_drill(env, "hung-worker-drill", "20s", "--json")
    try:
        wait_for_fault(lab, proc, "worker_slow_ms", 200)
        os.kill(hung, signal.SIGSTOP)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        if local.alive(hung):  # the test failed before the rollback: leave the lab working
            os.kill(hung, signal.SIGCONT)
    assert proc.returncode == 1, out + err[-3000:]
    result = json.loads(out)
    assert result["verdict"] == "bad"
    (outcome,) = result["data"]["scenarios"]
    assert (outcome["status"], outcome["verdict"]) == ("completed", "fail")
    journal = json.loads(
        (scenario_dir(artifacts, "hung-worker-drill") / "journal.json").read_text()
    )
    assert journal["safeguards"]["tripped"] is False
    assert journal["steady_states"]["after"]["steady_state_met"] is False
    assert "steady state not recovered within 20s of the fault" in journal["deviations"]
    (rollback,) = journal["rollbacks"]
    assert rollback["activity"] == {"type": "rollback", "name": "restart"}
    assert rollback["status"] == "succeeded"
    restarted = rollback["output"]
    assert restarted["process"] == "app-python-worker" and restarted["old_pid"] == hung
    assert restarted["ended_by"] == "SIGKILL", "a stopped process does not act on SIGTERM"
    assert not local.alive(hung)
    assert local.read_pid(str(lab.pids), "app-python-worker") == restarted["new_pid"]
    assert local.alive(restarted["new_pid"]) and restarted["new_pid"] != hung
    assert worker.restarts == restarts + 1
    again = journal["steady_states"]["after_rollback"]
    assert {p["probe"] for p in again["probes"]} == {"api-ready", "worker-storing"}
    assert again["steady_state_met"] is True, again
    events = [e["event"] for e in journal["timeline"]]
    assert events.index("steady state after NOT recovered") < events.index("rollback restart done")
    assert events.index("rollback restart done") < events.index("after rollback: recovered")
    evidence = json.loads(
        (scenario_dir(artifacts, "hung-worker-drill") / "evidence.json").read_text()
    )
    assert evidence["recovery"]["recovered"] is False
    assert evidence["recovery"]["recovered_after_rollback"] is True
    assert [r["name"] for r in evidence["recovery"]["rollbacks"]] == ["restart"]
