"""The cluster runner: ChaosEngines for every scenario validate against Litmus' schema, and the
injection logic (create, follow the ChaosResult to a verdict, stop on abort, roll back) works
against a local fake Kubernetes API server over real HTTP."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s_client

from kindops.errors import ConfigError
from kindops.gameday import litmus
from kindops.gameday.argocd import ArgoCdApi
from kindops.gameday.catalog import DEFAULT_DIRS, Scenario, load_catalog, parse
from kindops.gameday.experiment import Deps, Experiment
from kindops.gameday.jobs import cluster_rollbacks
from kindops.gameday.journal import Journal
from kindops.gameday.probes import ProbeRunner
from kindops.gameday.settings import GamedaySettings
from tests.support.http import Recorder, recorder
from tests.support.k8s import validate

from .gameday_support import (
    ARGOCD_TOKEN,
    ArgoCdState,
    KubeState,
    argocd_app,
    fake_argocd,
    fake_kube,
)

CATALOG = load_catalog(DEFAULT_DIRS[0])


@pytest.fixture()
def settings(monkeypatch: pytest.MonkeyPatch) -> GamedaySettings:
    for key in (
        "KINDOPS_PROMETHEUS_URL",
        "KINDOPS_GAMEDAY_APP_PYTHON_URL",
        "KINDOPS_GAMEDAY_APP_JAVA_URL",
        "KINDOPS_GAMEDAY_PROBE_WINDOW",
    ):
        monkeypatch.delenv(key, raising=False)
    return GamedaySettings()


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_scenario_renders_a_schema_valid_chaos_engine(
    name: str, settings: GamedaySettings
) -> None:
    engine = litmus.render_engine(CATALOG[name], settings, run_key="monthly_game_day_20261126")
    validate(engine)  # tests/schemas/crds/litmuschaos.io/chaosengine_v1alpha1.json
    assert engine["spec"]["engineState"] == "active"
    assert engine["metadata"]["namespace"] == "apps"
    assert len(engine["metadata"]["name"]) <= 63
    experiment = engine["spec"]["experiments"][0]
    env = {e["name"]: e["value"] for e in experiment["spec"]["components"]["env"]}
    assert env["TOTAL_CHAOS_DURATION"] == str(round(CATALOG[name].fault.duration))
    probes = experiment["spec"]["probe"]
    names = {p["name"] for p in probes}
    assert {p.name for p in CATALOG[name].safeguards.probes} <= names
    for probe in probes:
        if probe["type"] == "promProbe":
            query = probe["promProbe/inputs"]["query"]
            assert ("{{" not in query and "[1m]" in query) or "[" not in query
            assert probe["promProbe/inputs"]["endpoint"].endswith(":9090")
    stops = [p for p in probes if p["runProperties"].get("stopOnFailure")]
    assert {p["name"] for p in stops} == {p.name for p in CATALOG[name].safeguards.probes}
    # what `kubectl apply` would read back: plain YAML
    assert yaml.safe_load(yaml.safe_dump(engine)) == engine


def test_fault_mapping_to_litmus_experiments(settings: GamedaySettings) -> None:
    def exps(name: str) -> dict[str, dict[str, Any]]:
        return dict(litmus.experiments(CATALOG[name], settings))

    assert exps("app-python-pod-delete")["pod-delete"]["FORCE"] == "true"
    assert exps("app-java-cpu-hog")["pod-cpu-hog"]["CPU_CORES"] == 1
    assert exps("worker-network-latency")["pod-network-latency"]["NETWORK_LATENCY"] == 2000
    status = exps("app-python-error-rate")["pod-http-status-code"]
    assert (status["STATUS_CODE"], status["TOXICITY"], status["TARGET_SERVICE_PORT"]) == (
        500,
        10,
        8000,
    )
    assert exps("app-java-latency")["pod-http-latency"]["LATENCY"] == 400


def test_modes_follow_phases_and_ranges_split(settings: GamedaySettings) -> None:
    engine = litmus.render_engine(CATALOG["app-python-error-rate"], settings)
    modes = {p["name"]: p["mode"] for p in engine["spec"]["experiments"][0]["spec"]["probe"]}
    assert modes["api-ready"] == "Continuous"
    assert modes["error-ratio-normal"] == "Edge"
    assert modes["error-ratio-bounded"] == "OnChaos"
    assert modes["error-ratio-runaway"] == "Continuous"
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "app-python-error-rate.yaml").read_text())
    doc["steady_state"]["probes"][1]["tolerance"] = {"range": [0, 0.01]}
    ranged = litmus.render_engine(parse("x", yaml.safe_dump(doc)), settings)
    validate(ranged)
    split = {
        p["name"]: p["promProbe/inputs"]["comparator"]
        for p in ranged["spec"]["experiments"][0]["spec"]["probe"]
        if p["name"].startswith("error-ratio-normal")
    }
    assert split == {
        "error-ratio-normal-low": {"criteria": ">=", "value": "0"},
        "error-ratio-normal-high": {"criteria": "<=", "value": "0.01"},
    }


def test_a_flag_without_litmus_equivalent_is_a_config_error(settings: GamedaySettings) -> None:
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "app-python-error-rate.yaml").read_text())
    doc["fault"]["flags"] = {"worker_slow_ms": 100}
    with pytest.raises(ConfigError, match="no Litmus equivalent"):
        litmus.render_engine(parse("x", yaml.safe_dump(doc)), settings)


# -- against the fake API server -----------------------------------------------------------------
def api_for(url: str) -> litmus.LitmusApi:
    configuration = k8s_client.Configuration()
    configuration.host = url
    return litmus.LitmusApi(k8s_client.ApiClient(configuration), timeout=5)


def drill(app_url: str, fault_seconds: str = "20s") -> Scenario:
    """A cluster scenario probing only HTTP (the fake app), so no Prometheus is needed."""
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "app-python-pod-delete.yaml").read_text())
    doc["fault"].update(duration=fault_seconds, interval="5s")
    doc["steady_state"] = {
        "title": "the fake app answers",
        "interval": "200ms",
        "probes": [{"name": "ready", "type": "http", "app": "app-python", "path": "/ready"}],
    }
    doc["safeguards"] = {
        "interval": "200ms",
        "consecutive": 2,
        "probes": [{"name": "guard", "type": "http", "app": "app-python", "path": "/guard"}],
    }
    doc["recovery"] = {"timeout": "2s"}
    doc["load"].update(warmup="1s", duration="2m")
    return parse("drill.yaml", yaml.safe_dump(doc))


def run_drill(
    kube_url: str,
    app: Recorder,
    settings: GamedaySettings,
    scenario: Scenario,
    argo: ArgoCdApi | None = None,
) -> tuple[Journal, litmus.LitmusInjection]:
    api = api_for(kube_url)
    engine = litmus.render_engine(scenario, settings, name="gd-drill")
    injection = litmus.LitmusInjection(api, engine)
    deps = Deps(
        probes=ProbeRunner({"app-python": app.url, "app-java": app.url}, "http://127.0.0.1:9"),
        injection=lambda: injection,
        load=None,
        rollbacks=cluster_rollbacks(scenario, api, argo, 0.05, time.sleep),
        verdict_timeout=30,
        settle=lambda inj: litmus.settle(inj, 10, 0.1),
    )
    journal = Journal(scenario.model_dump(mode="json"), "cluster", "test")
    status = Experiment(scenario, deps, journal).run()
    journal.finish(status)
    return journal, injection


def test_engine_created_and_followed_to_its_verdict(settings: GamedaySettings) -> None:
    with fake_kube(KubeState(reads_to_verdict=3)) as (url, state), recorder() as app:
        journal, injection = run_drill(url, app, settings, drill(app.url))
    created = [r for r in state.requests if r[0] == "POST"]
    assert [r[1] for r in created] == ["/apis/litmuschaos.io/v1alpha1/namespaces/apps/chaosengines"]
    validate(created[0][2])
    assert injection.results["pod-delete"].verdict == "Pass"
    doc = journal.doc
    assert doc["status"] == "completed" and doc["verdict"] == "pass", doc["deviations"]
    assert doc["chaos"]["results"]["pod-delete"]["verdict"] == "Pass"
    assert doc["chaos"]["resilience_score"] == 100.0
    assert [a["activity"]["name"] for a in doc["run"]] == ["inject", "await-verdict"]
    # the verdict, not the clock, ended the fault: the Pass was read while the fault was on, the
    # window closed before its scheduled 20 s end, and with far fewer samples than 20 s of
    # sampling every 200 ms would take
    events = [e["event"] for e in doc["timeline"]]
    progress = [e for e in doc["timeline"] if e["event"] == "fault progress"]
    assert progress[-1]["detail"] == {"verdicts": {"pod-delete": "Pass"}}
    assert events.index("fault progress") < events.index("fault ended")
    assert ended_before_schedule(doc, 20)
    assert doc["steady_states"]["during"]["samples_taken"] < 100
    assert not [r for r in state.requests if r[0] == "PATCH"], "nothing stopped or rolled back"


def test_a_fail_verdict_deviates_the_hypothesis(settings: GamedaySettings) -> None:
    with fake_kube(KubeState(final_verdict="Fail")) as (url, _), recorder() as app:
        journal, _ = run_drill(url, app, settings, drill(app.url))
    assert journal.doc["status"] == "completed" and journal.doc["deviated"]
    assert any("Litmus verdict Fail" in d for d in journal.doc["deviations"])
    assert journal.doc["verdict"] == "fail"


def test_a_safeguard_aborts_by_patching_engine_state_stop(settings: GamedaySettings) -> None:
    state = KubeState(reads_to_verdict=10_000)  # Litmus would run for the whole fault
    with fake_kube(state) as (url, _), recorder() as app:

        def break_app_after_injection() -> None:
            deadline = time.monotonic() + 20
            while not state.engines and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            app.statuses["/guard"] = 503

        flipper = threading.Thread(target=break_app_after_injection)
        flipper.start()
        journal, injection = run_drill(url, app, settings, drill(app.url, "60s"))
        flipper.join()
    doc = journal.doc
    assert doc["status"] == "aborted" and doc["verdict"] == "fail"
    assert doc["safeguards"]["tripped"] and doc["safeguards"]["by"].startswith("guard:")
    patches = [(p, b) for m, p, b in state.requests if m == "PATCH"]
    engine_path = "/apis/litmuschaos.io/v1alpha1/namespaces/apps/chaosengines/gd-drill"
    assert (engine_path, {"spec": {"engineState": "stop"}}) in patches
    assert state.engines["gd-drill"]["spec"]["engineState"] == "stop"
    assert injection.results["pod-delete"].verdict == "Stopped"
    abort = next(a for a in doc["run"] if a["activity"]["name"] == "abort")
    assert abort["status"] == "succeeded" and abort["output"]["engineState"] == "stop"
    # the abort, not the clock, ended the 60 s fault: recorded before the fault ended, and the
    # fault window closed before its scheduled end
    events = [e["event"] for e in doc["timeline"]]
    assert events.index("safeguard tripped") < events.index("fault aborted")
    assert events.index("fault aborted") < events.index("fault ended")
    assert "end-fault" not in [a["activity"]["name"] for a in doc["run"]]
    assert ended_before_schedule(doc, 60)
    assert doc["steady_states"]["during"]["samples_taken"] < 300


def ended_before_schedule(doc: dict[str, Any], seconds: float) -> bool:
    """The fault window closed before ``seconds`` after it opened (its scheduled end)."""
    fault = doc["windows"]["fault"]
    start, end = (datetime.fromisoformat(fault[k]) for k in ("start", "end"))
    return end < start + timedelta(seconds=seconds)


def break_once_injected(state: KubeState, app: Recorder) -> threading.Thread:
    """The app stops being ready once the fault is on (the first ChaosResult read), and stays so."""

    def run() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any("/chaosresults/" in r[1] for r in list(state.requests)):
                break
            time.sleep(0.02)
        app.statuses["/ready"] = 503

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_no_recovery_aborts_the_rollout(settings: GamedaySettings) -> None:
    with fake_kube() as (url, state), recorder() as app:
        thread = break_once_injected(state, app)
        journal, _ = run_drill(url, app, settings, drill(app.url))
        thread.join()
    doc = journal.doc
    assert doc["steady_states"]["after"]["steady_state_met"] is False
    assert len(doc["rollbacks"]) == 1
    rollback = doc["rollbacks"][0]
    assert rollback["activity"] == {"type": "rollback", "name": "abort-rollout"}
    assert rollback["status"] == "succeeded"
    assert rollback["output"] == {"rollout": "apps/app-python", "abort": True}
    assert state.rollouts["app-python"]["status"] == {"abort": True}
    status_patch = [p for m, p, _ in state.requests if m == "PATCH" and "rollouts" in p]
    assert status_patch == ["/apis/argoproj.io/v1alpha1/namespaces/apps/rollouts/app-python/status"]
    assert doc["steady_states"]["after_rollback"]["steady_state_met"] is False
    assert doc["verdict"] == "fail"


def test_a_missing_chaos_experiment_fails_the_inject_action(settings: GamedaySettings) -> None:
    with fake_kube(KubeState(experiments=set())) as (url, state), recorder() as app:
        journal, _ = run_drill(url, app, settings, drill(app.url))
    doc = journal.doc
    assert doc["status"] == "failed"
    inject = doc["run"][0]
    assert inject["activity"]["name"] == "inject" and inject["status"] == "failed"
    assert "ChaosExperiment pod-delete not installed in apps" in inject["exception"]
    assert state.writes() == [], "no engine was created"


# -- the Argo CD rollback step ------------------------------------------------------------------
def argocd_drill(app_url: str, rollout: str | None = "app-python") -> Scenario:
    doc = drill(app_url).model_dump(mode="json")
    doc["rollback"]["cluster"] = {"rollout": rollout, "argocd": {"application": "app-python"}}
    return parse("drill.yaml", yaml.safe_dump(doc))


def test_no_recovery_aborts_the_rollout_then_rolls_the_application_back(
    settings: GamedaySettings,
) -> None:
    argo_state = ArgoCdState(apps={"app-python": argocd_app("app-python", ["4f1c", "9a7e"])})
    with fake_kube() as (url, state), recorder() as app, fake_argocd(argo_state) as (argo_url, _):
        # the previous revision brings the service back
        argo_state.on_rollback = lambda _name, _rev: app.statuses.update({"/ready": 200})
        thread = break_once_injected(state, app)
        argo = ArgoCdApi(argo_url, ARGOCD_TOKEN, timeout=5)
        journal, _ = run_drill(url, app, settings, argocd_drill(app.url), argo)
        thread.join()
    doc = journal.doc
    assert doc["steady_states"]["after"]["steady_state_met"] is False
    steps = [(r["activity"]["name"], r["status"]) for r in doc["rollbacks"]]
    assert steps == [("abort-rollout", "succeeded"), ("argocd-rollback", "succeeded")]
    argo_step = doc["rollbacks"][1]["output"]
    assert argo_step["from"]["revision"] == "9a7e" and argo_step["to"]["revision"] == "4f1c"
    assert argo_step["operation"]["phase"] == "Succeeded"
    (post,) = argo_state.calls("POST")
    assert post["path"] == "/api/v1/applications/app-python/rollback"
    assert post["body"] == {"name": "app-python", "id": 1, "prune": False, "dryRun": False}
    assert post["authorization"] == f"Bearer {ARGOCD_TOKEN}"
    assert doc["steady_states"]["after_rollback"]["steady_state_met"] is True
    events = [e["event"] for e in doc["timeline"]]
    assert events.index("rollback abort-rollout done") < events.index(
        "rollback argocd-rollback done"
    )
    assert events[-1] == "after rollback: recovered"
    # not recovered within the timeout is still a failed hypothesis, even once rolled back
    assert doc["status"] == "completed" and doc["verdict"] == "fail"


def test_a_failed_rollback_step_does_not_skip_the_next_and_fails_the_run(
    settings: GamedaySettings,
) -> None:
    """Argo CD refuses an auto-synced Application; the Rollout abort still ran and was checked."""
    auto = argocd_app("app-python", ["4f1c", "9a7e"], automated={"prune": True, "selfHeal": True})
    argo_state = ArgoCdState(apps={"app-python": auto})
    with fake_kube() as (url, state), recorder() as app, fake_argocd(argo_state) as (argo_url, _):
        thread = break_once_injected(state, app)
        argo = ArgoCdApi(argo_url, ARGOCD_TOKEN, timeout=5)
        journal, _ = run_drill(url, app, settings, argocd_drill(app.url), argo)
        thread.join()
    doc = journal.doc
    steps = [(r["activity"]["name"], r["status"]) for r in doc["rollbacks"]]
    assert steps == [("abort-rollout", "succeeded"), ("argocd-rollback", "failed")]
    assert "syncs automatically" in doc["rollbacks"][1]["exception"]
    assert state.rollouts["app-python"]["status"] == {"abort": True}
    assert argo_state.calls("POST") == [], "no rollback request for an auto-synced Application"
    assert doc["steady_states"]["after_rollback"]["steady_state_met"] is False
    assert doc["status"] == "failed" and doc["verdict"] == "fail"
    assert doc["error"].startswith("rollback failed: argocd-rollback: Argo CD Application")
