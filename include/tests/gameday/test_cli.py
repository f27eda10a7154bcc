"""`kindops gameday ...` through its CLI: listing, rendering, bad input, and both guard refusals —
exit 2, one line on stderr, and nothing injected (the target saw no request, no journal). Then
whole cluster-runner game days through the CLI, against a fake Kubernetes API playing Litmus, a
fake Argo CD, a real Prometheus holding SLO history and real k6: the budget floor and its
override, a deviated hypothesis (exit 1, evidence written) and the rollback steps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kindops.gameday.catalog import DEFAULT_DIRS
from tests.support.http import Recorder, recorder
from tests.support.k8s import validate
from tests.support.prometheus import Prometheus, backfill
from tests.support.slo_history import Phase, Shares, slo_history

from .gameday_support import (
    ARGOCD_TOKEN,
    ArgoCdState,
    KubeState,
    argocd_app,
    fake_argocd,
    fake_kube,
    write_kubeconfig,
)

# One game day at a time (xdist_group): each runs the apps under load and reads its SLO burn.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("gameday")]

RUN = "gameday_test/20261126T100000"


def kindops(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KINDOPS_", "KUBECONFIG"))}
    full = {
        **base,
        "HOME": str(tmp_path),
        "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
        "KINDOPS_RUN_ID": RUN,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "kindops", "gameday", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_list_validates_the_catalog(tmp_path: Path) -> None:
    proc = kindops(["list", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = {s["name"] for s in json.loads(proc.stdout)["data"]["scenarios"]}
    assert names == {
        "app-python-error-rate",
        "app-python-pod-delete",
        "app-java-cpu-hog",
        "app-java-latency",
        "worker-network-latency",
    }


def test_render_prints_valid_chaos_engines(tmp_path: Path) -> None:
    proc = kindops(["render", "--scenario", "all"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    engines = list(yaml.safe_load_all(proc.stdout))
    assert len(engines) == 5
    for engine in engines:
        validate(engine)


def test_a_broken_catalog_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "x.yaml").write_text("version: kindops/gameday/v1\nname: x\nsurprise: 1\n")
    proc = kindops(["list"], tmp_path, KINDOPS_GAMEDAY_CATALOG=str(catalog))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "x.yaml" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope"], "unknown scenario"),
        (["--scenario", "app-python-error-rate", "--runner", "k8s"], "expected local or cluster"),
        (["--scenario", "app-python-error-rate", "--fault-duration", "soon"], "--fault-duration"),
        (["--scenario", "app-python-error-rate", "--min-budget", "2"], "--min-budget"),
    ],
)
def test_bad_input_is_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    proc = kindops(
        ["run", *args, "--runner", "local"] if "--runner" not in args else ["run", *args], tmp_path
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr


def test_the_local_runner_refuses_remote_apps(tmp_path: Path) -> None:
    proc = kindops(["run", "--runner", "local", "--scenario", "app-python-error-rate"], tmp_path)
    assert proc.returncode == 2
    assert "only injects into this machine" in proc.stderr
    assert "http://app-python.apps.svc:8000" in proc.stderr


def test_a_run_without_prometheus_is_exit_2_naming_it(tmp_path: Path) -> None:
    with recorder() as app:
        proc = kindops(
            ["run", "--runner", "local", "--scenario", "app-python-error-rate"],
            tmp_path,
            KINDOPS_GAMEDAY_APP_PYTHON_URL=app.url,
            KINDOPS_GAMEDAY_APP_JAVA_URL=app.url,
        )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: KINDOPS_PROMETHEUS_URL is not set")
    assert proc.stderr.strip().count("\n") == 0
    assert app.requests == [], "nothing reached the app"


# -- the budget guard, against a real Prometheus holding a bad month -----------------------------
@pytest.fixture(scope="module")
def spent_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """app-python answered 2 % of 5xx for the last 12 hours: 4x its 0.5 % availability budget
    over the data there is (the budget is measured on the events Prometheus holds)."""
    storage = tmp_path_factory.mktemp("tsdb")
    end = datetime.now(UTC).timestamp() - 60
    series = slo_history([Phase(144, Shares(python_errors=0.02))], step=300.0)
    backfill(storage, series, end, 300.0)
    with Prometheus(storage) as prom:
        yield prom.url


def test_the_budget_guard_refuses_and_injects_nothing(
    tmp_path: Path, spent_prometheus: str
) -> None:
    with recorder() as app:
        proc = kindops(
            ["run", "--runner", "local", "--scenario", "app-python-error-rate"],
            tmp_path,
            KINDOPS_PROMETHEUS_URL=spent_prometheus,
            KINDOPS_GAMEDAY_APP_PYTHON_URL=app.url,
            KINDOPS_GAMEDAY_APP_JAVA_URL=app.url,
            KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN="token-of-the-test",
            KINDOPS_GAMEDAY_PIDS=str(tmp_path),
        )
        time.sleep(0.2)
        calls = list(app.requests)
    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    line = proc.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: refused: error-budget guard closed: app-python availability")
    assert "minimum 25 %" in line
    assert calls == [], "nothing reached the app"
    assert not list((tmp_path / "artifacts").rglob("journal.json"))


# -- the cluster guard through the CLI -----------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"allowed": ""}, "ALLOWED_CLUSTERS is empty"),
        ({"allowed": "*"}, "not a kind cluster name"),
        ({"context": "kind-prod"}, "not a kind lab context"),
        ({"server": "https://10.20.30.40:6443"}, "not a local kind API server"),
        ({"identity": "https://eks.example.com"}, "says it is 'eks.example.com'"),
        ({"no_kubeconfig": "1"}, "no kube context"),
    ],
)
def test_the_cluster_guard_refuses_and_creates_nothing(
    tmp_path: Path, setup: dict[str, str], message: str
) -> None:
    state = KubeState(identity=setup.get("identity", "https://kindops-control-plane:6443"))
    with fake_kube(state) as (url, st):
        env = {"KINDOPS_GAMEDAY_ALLOWED_CLUSTERS": setup.get("allowed", "kindops")}
        if "no_kubeconfig" not in setup:
            config = write_kubeconfig(
                tmp_path / "kubeconfig",
                setup.get("server", url),
                context=setup.get("context", "kind-kindops"),
            )
            env["KUBECONFIG"] = str(config)
        proc = kindops(
            ["run", "--runner", "cluster", "--scenario", "app-python-pod-delete"], tmp_path, **env
        )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert st.writes() == [], "no ChaosEngine was created"


# -- the budget floor ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "env", "source"),
    [
        (["--min-budget", "0"], {}, "--min-budget 0"),
        (["--min-budget", "0.0"], {}, "--min-budget 0"),
        ([], {"KINDOPS_GAMEDAY_MIN_BUDGET": "0"}, "KINDOPS_GAMEDAY_MIN_BUDGET 0"),
        (["--min-budget", "0", "--keep-min-budget"], {}, "--min-budget 0"),
    ],
)
def test_a_zero_budget_floor_is_refused_without_the_override(
    tmp_path: Path, args: list[str], env: dict[str, str], source: str
) -> None:
    with recorder() as app:
        proc = kindops(
            ["run", "--runner", "local", "--scenario", "app-python-error-rate", *args],
            tmp_path,
            KINDOPS_GAMEDAY_APP_PYTHON_URL=app.url,
            KINDOPS_GAMEDAY_APP_JAVA_URL=app.url,
            KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN="token-of-the-test",
            **env,
        )
        calls = list(app.requests)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"error: refused: {source} switches the error-budget guard's floor off")
    assert "--allow-zero-min-budget" in line
    assert calls == [], "nothing reached the app"
    assert not list((tmp_path / "artifacts").rglob("journal.json"))


# -- whole cluster game days through the CLI -----------------------------------------------------
@pytest.fixture(scope="module")
def lean_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """app-python answered 0.4 % of 5xx for the last 12 hours: 80 % of its 0.5 % availability
    budget is spent, 20 % is left — below the default floor (25 %), above 10 %."""
    storage = tmp_path_factory.mktemp("tsdb-lean")
    end = datetime.now(UTC).timestamp() - 60
    series = slo_history([Phase(144, Shares(python_errors=0.004))], step=300.0)
    backfill(storage, series, end, 300.0)
    with Prometheus(storage) as prom:
        yield prom.url


def drill_catalog(folder: Path, argocd: bool = False) -> Path:
    """A short cluster drill probing only HTTP (the recorder stands in for app-python)."""
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "app-python-pod-delete.yaml").read_text())
    doc["name"] = "cluster-drill"
    doc["fault"].update(duration="4s", interval="2s")
    doc["steady_state"] = {
        "title": "the app answers",
        "interval": "200ms",
        "probes": [{"name": "ready", "type": "http", "app": "app-python", "path": "/ready"}],
    }
    doc["safeguards"] = {
        "interval": "200ms",
        "consecutive": 2,
        "probes": [{"name": "guard", "type": "http", "app": "app-python", "path": "/guard"}],
    }
    doc["recovery"] = {"timeout": "2s"}
    # the recorder is no orders API: judge the load on transport errors only
    doc["load"].update(warmup="1s", vus=1, duration="7s", thresholds={"max_error_ratio": 1.0})
    if argocd:
        doc["rollback"]["cluster"]["argocd"] = {"application": "app-python"}
    folder.mkdir(exist_ok=True)
    (folder / "cluster-drill.yaml").write_text(yaml.safe_dump(doc))
    return folder


@contextmanager
def cluster_lab(
    tmp_path: Path,
    prometheus: str,
    kube: KubeState | None = None,
    argo: ArgoCdState | None = None,
) -> Iterator[tuple[dict[str, str], KubeState, Recorder, ArgoCdState]]:
    """A fake kind cluster (Litmus), a fake Argo CD, the recorder as the app, the drill catalog."""
    with (
        fake_kube(kube) as (kube_url, kube_state),
        fake_argocd(argo) as (argo_url, argo_state),
        recorder() as app,
    ):
        env = {
            "KUBECONFIG": str(write_kubeconfig(tmp_path / "kubeconfig", kube_url)),
            "KINDOPS_GAMEDAY_ALLOWED_CLUSTERS": "kindops",
            "KINDOPS_GAMEDAY_CATALOG": str(drill_catalog(tmp_path / "catalog", argo is not None)),
            "KINDOPS_PROMETHEUS_URL": prometheus,
            "KINDOPS_GAMEDAY_APP_PYTHON_URL": app.url,
            "KINDOPS_GAMEDAY_APP_JAVA_URL": app.url,
            "KINDOPS_GAMEDAY_POLL_SECONDS": "0.2",
            "KINDOPS_ARGOCD_URL": argo_url,
            "KINDOPS_GAMEDAY_ARGOCD_TOKEN": ARGOCD_TOKEN,
        }
        yield env, kube_state, app, argo_state


DRILL = ["run", "--runner", "cluster", "--scenario", "cluster-drill", "--json"]


def journal_of(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "artifacts" / "gameday" / "gameday_test_20261126T100000" / "cluster-drill"
    doc: dict[str, Any] = json.loads((path / "journal.json").read_text())
    return doc


def test_the_zero_floor_override_is_recorded_and_still_reads_the_budget(
    tmp_path: Path, lean_prometheus: str, spent_prometheus: str
) -> None:
    with cluster_lab(tmp_path, lean_prometheus) as (env, kube, _app, _argo):
        refused = kindops(DRILL, tmp_path, **env)
        assert refused.returncode == 2, refused.stdout + refused.stderr[-2000:]
        assert "has 20.0 % of its error budget left (minimum 25 %)" in refused.stderr
        assert kube.writes() == []
        proc = kindops([*DRILL, "--min-budget", "0", "--allow-zero-min-budget"], tmp_path, **env)
        created = [w for w in kube.writes() if w[0] == "POST"]
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert len(created) == 1, "the game day ran: one ChaosEngine"
    guard = journal_of(tmp_path)["guard"]
    assert guard["budget_floor"] == {
        "min_remaining": 0.0,
        "source": "--min-budget",
        "allow_zero_min_budget": True,
        "overridden": True,
    }
    assert guard["budget"]["min_remaining"] == 0.0
    assert round(guard["budget"]["budgets"]["availability"], 2) == 0.2
    warnings = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert any(
        w["level"] == "warning" and w["msg"].startswith("error-budget floor is 0") for w in warnings
    ), proc.stderr[-2000:]
    # the override lowers the floor to 0; it does not switch the guard off: an overspent budget
    # (below 0) is still refused
    with cluster_lab(tmp_path, spent_prometheus) as (env, kube, _app, _argo):
        spent = kindops([*DRILL, "--min-budget", "0", "--allow-zero-min-budget"], tmp_path, **env)
        assert kube.writes() == []
    assert spent.returncode == 2, spent.stdout + spent.stderr[-2000:]
    assert "error: refused: error-budget guard closed: app-python availability" in spent.stderr


def test_a_deviated_hypothesis_is_exit_1_with_its_evidence(
    tmp_path: Path, lean_prometheus: str
) -> None:
    """Litmus judges the fault Fail; nothing tripped a safeguard: a failed run, not an abort."""
    with cluster_lab(tmp_path, lean_prometheus, KubeState(final_verdict="Fail")) as (
        env,
        kube,
        _app,
        _argo,
    ):
        proc = kindops([*DRILL, "--min-budget", "0.1"], tmp_path, **env)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["verdict"] == "bad"
    assert result["summary"] == "0/1 scenario(s) passed: cluster-drill completed (deviated)"
    (outcome,) = result["data"]["scenarios"]
    assert (outcome["status"], outcome["verdict"], outcome["deviated"]) == (
        "completed",
        "fail",
        True,
    )
    assert outcome["deviations"] == [
        "Litmus verdict Fail for pod-delete (failed step: probe failed)"
    ]
    stored = tmp_path / "artifacts" / "gameday" / "gameday_test_20261126T100000" / "result.json"
    assert json.loads(stored.read_text())["verdict"] == "bad"
    journal = journal_of(tmp_path)
    assert journal["status"] == "completed" and journal["verdict"] == "fail"
    assert journal["safeguards"]["tripped"] is False
    assert [a["activity"]["name"] for a in journal["run"]] == [
        "start-load",
        "inject",
        "await-verdict",
        "await-load",
    ]
    assert journal["rollbacks"] == [], "the steady state came back: nothing to roll back"
    assert journal["chaos"]["results"]["pod-delete"]["verdict"] == "Fail"
    assert set(outcome["artifacts"]) >= {"journal", "evidence", "postmortem", "chaosengine"}
    assert not [w for w in kube.writes() if w[0] == "PATCH"], "no engine stop, no rollback"


def test_no_recovery_aborts_the_rollout_and_rolls_the_argo_cd_application_back(
    tmp_path: Path, lean_prometheus: str
) -> None:
    argo = ArgoCdState(apps={"app-python": argocd_app("app-python", ["4f1c", "9a7e"])})
    with cluster_lab(tmp_path, lean_prometheus, argo=argo) as (env, kube, app, argo_state):
        # the fault leaves the app unready until Argo CD brings the previous revision back
        argo_state.on_rollback = lambda _name, _rev: app.statuses.update({"/ready": 200})

        def break_once_injected() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any("/chaosresults/" in r[1] for r in list(kube.requests)):
                    app.statuses["/ready"] = 503
                    return
                time.sleep(0.02)

        breaker = threading.Thread(target=break_once_injected)
        breaker.start()
        proc = kindops([*DRILL, "--min-budget", "0.1"], tmp_path, **env)
        breaker.join()
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    journal = journal_of(tmp_path)
    assert journal["guard"]["rollback_plan"]["argocd"]["to"]["revision"] == "4f1c"
    assert journal["steady_states"]["after"]["steady_state_met"] is False
    steps = [(r["activity"]["name"], r["status"]) for r in journal["rollbacks"]]
    assert steps == [("abort-rollout", "succeeded"), ("argocd-rollback", "succeeded")]
    assert kube.rollouts["app-python"]["status"] == {"abort": True}
    (post,) = argo_state.calls("POST")
    assert post["body"] == {"name": "app-python", "id": 1, "prune": False, "dryRun": False}
    assert journal["steady_states"]["after_rollback"]["steady_state_met"] is True
    assert journal["status"] == "completed" and journal["verdict"] == "fail"


def test_an_argo_cd_rollback_that_could_not_run_refuses_the_game_day(
    tmp_path: Path, lean_prometheus: str
) -> None:
    auto = argocd_app("app-python", ["4f1c", "9a7e"], automated={"prune": True, "selfHeal": True})
    argo = ArgoCdState(apps={"app-python": auto})
    with cluster_lab(tmp_path, lean_prometheus, argo=argo) as (env, kube, _app, argo_state):
        proc = kindops([*DRILL, "--min-budget", "0.1"], tmp_path, **env)
        outside = kindops(
            [*DRILL, "--min-budget", "0.1"],
            tmp_path,
            **{**env, "KINDOPS_ARGOCD_URL": "https://argocd.example.com"},
        )
        assert kube.writes() == [], "no ChaosEngine was created"
        assert argo_state.calls("POST") == []
    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    line = proc.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: Argo CD Application app-python syncs automatically")
    assert not list((tmp_path / "artifacts").rglob("journal.json"))
    assert outside.returncode == 2
    assert "KINDOPS_ARGOCD_URL https://argocd.example.com is not the lab's" in outside.stderr
