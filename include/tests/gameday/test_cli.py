"""`kindops gameday ...` through its CLI: listing, rendering, bad input, and both guard refusals —
exit 2, one line on stderr, and nothing injected (the target saw no request, no journal)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.support.k8s import validate
from tests.support.prometheus import Prometheus, backfill
from tests.support.slo_history import Phase, Shares, slo_history

sys.path.insert(0, str(Path(__file__).parent))

from gameday_support import KubeState, fake_kube, recorder, write_kubeconfig

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
    import json

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
