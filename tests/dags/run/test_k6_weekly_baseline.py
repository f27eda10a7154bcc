"""`airflow dags test k6_weekly_baseline` with the local runner, for real: app-java (its jar)
and app-python (`scripts/run-local.sh`: API + worker on a local AWS-API server, pricing through
app-java) run as processes, k6 runs every step for 2 s, a real Prometheus holds the SLIs the
error-budget gate reads (app-python's budget is spent, app-java's is whole) and a real
Pushgateway receives the results.

app-java's load history holds three runs far faster than any real one, so its load step
regresses deterministically: that step fails, its stress step does not run, and the report
says so and fails. The k6 thresholds are off (param ``thresholds=false``) because p95 < 300 ms
cannot be promised on a shared CI machine; the threshold path runs for real in the jobs tests.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kindops.artifacts import ArtifactStore
from kindops.k6.history import Entry, History
from kindops.k6.runner import profile
from kindops.k6.summary import RunMetrics
from tests.support.airflow import dags_test
from tests.support.prometheus import Prometheus, Series, backfill
from tests.support.servers import BIN, ROOT, Pushgateway, free_port, process, wait_http

pytestmark = pytest.mark.integration

DAG = "k6_weekly_baseline"
DAY = "20260105T030000"
RUN_KEY = f"{DAG}_{DAY}"
JAVA_DIR = ROOT / "apps/app-java"
JAR = JAVA_DIR / "target/app-java.jar"
PYTHON_APP = ROOT / "apps/app-python"
SHAPE = {"K6_DURATION": "2s", "K6_VUS": "2", "K6_NO_THRESHOLDS": "true"}


def app_java_jar() -> Path:
    """The jar, built like apps/app-java/scripts/lib.sh does when it is missing or stale."""
    sources = [*(JAVA_DIR / "src/main").rglob("*"), JAVA_DIR / "pom.xml"]
    if not JAR.exists() or any(p.stat().st_mtime > JAR.stat().st_mtime for p in sources):
        subprocess.run(
            ["mvn", "-B", "-q", "-DskipTests", "package"], cwd=JAVA_DIR, check=True, timeout=900
        )
    return JAR


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    logs = tmp_path_factory.mktemp("apps")
    java_port, python_port = free_port(), free_port()
    java_env = {
        "SERVER_ADDRESS": "127.0.0.1",
        "SERVER_PORT": str(java_port),
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    java_url = f"http://127.0.0.1:{java_port}"
    python_url = f"http://127.0.0.1:{python_port}"
    python_app = [
        str(PYTHON_APP / "scripts/run-local.sh"),
        "--no-demo",
        "--api-port",
        str(python_port),
        "--pricing-url",
        java_url,
        "--workdir",
        str(logs / "app-python"),
    ]
    # Both start at once (the JVM and the Python stack start in parallel); then both must be ready.
    with (
        process(["java", "-jar", str(app_java_jar())], env=java_env, log=logs / "java.log") as java,
        process(python_app, log=logs / "python.log") as python,
    ):
        wait_http(f"{java_url}/actuator/health/readiness", 240, java)
        wait_http(f"{python_url}/healthz/ready", 240, python)
        yield {"app-python": python_url, "app-java": java_url}


def slo_series(minutes: int = 120) -> list[Series]:
    """app-python: 10 % of requests are 5xx (budget spent); app-java: none (budget whole)."""
    out = []
    for job, route, bad in (("app-python", "/orders", 0.1), ("app-java", "/api/v1/quotes", 0.0)):
        for code, share in (("200", 1 - bad), ("500", bad)):
            if share:
                labels = {"job": job, "http_route": route, "http_response_status_code": code}
                values = [600.0 * share * i for i in range(minutes)]
                out.append(Series("http_server_request_duration_seconds_count", labels, values))
    return out


def seed_fast_java_load(store: Path) -> None:
    fast = RunMetrics(p95_ms=0.001, rps=1e9, error_ratio=0.0, requests=10_000, p99_ms=0.002)
    history = History(ArtifactStore(str(store)), "app-java", "load")
    for day in ("20251215", "20251222", "20251229"):
        at = datetime.strptime(day, "%Y%m%d").replace(hour=3, tzinfo=UTC)
        history.record(
            Entry(
                run_key=f"{DAG}_{day}T030000",
                at=at,
                app="app-java",
                scenario="load",
                profile=profile(SHAPE),
                verdict="pass",
                reason="an earlier week",
                accepted=True,
                metrics=fast,
                recorded_at=at,
            )
        )


def seed_stale_attempt(store: Path) -> None:
    """A line an earlier attempt of this same logical date left: the rerun must replace it."""
    at = datetime.strptime(DAY, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    History(ArtifactStore(str(store)), "app-python", "smoke").record(
        Entry(
            run_key=RUN_KEY,
            at=at,
            app="app-python",
            scenario="smoke",
            profile=profile(SHAPE),
            verdict="regressed",
            reason="earlier attempt",
            accepted=False,
            metrics=RunMetrics(p95_ms=999.0, rps=1.0, error_ratio=0.5, requests=10),
            recorded_at=at,
        )
    )


def test_weekly_baseline_runs_gates_and_reports(
    apps: dict[str, str], tmp_path: Path, pushgateway: Pushgateway
) -> None:
    store = tmp_path / "artifacts"
    seed_fast_java_load(store)
    seed_stale_attempt(store)
    tsdb = tmp_path / "tsdb"
    backfill(tsdb, slo_series(), end=time.time(), step=60)
    with Prometheus(tsdb, features=()) as prometheus:
        run = dags_test(
            DAG,
            "2026-01-05T03:00:00+00:00",
            env={
                "KINDOPS_ARTIFACTS": str(store),
                "KINDOPS_K6_BIN": str(BIN / "k6"),
                "KINDOPS_K6_MIN_REQUESTS": "1",
                "KINDOPS_SLO_SPECS": str(ROOT / "observability/slos"),
                "AIRFLOW_VAR_KINDOPS_PROMETHEUS_URL": prometheus.url,
                "AIRFLOW_VAR_KINDOPS_PUSHGATEWAY_URL": pushgateway.url,
                "MPLCONFIGDIR": str(tmp_path / "mpl"),
            },
            conf={
                "base_url_app_python": apps["app-python"],
                "base_url_app_java": apps["app-java"],
                "duration": "2s",
                "vus": "2",
                "thresholds": False,
            },
        )
        pushed = pushgateway.metrics()

    assert run.states == {
        "app_python.smoke": "success",
        "app_python.load": "success",
        "app_python.stress": "skipped",
        "app_java.smoke": "success",
        "app_java.load": "failed",
        "app_java.stress": "upstream_failed",
        "report": "failed",
    }, run.tail()

    def step(app: str, scenario: str) -> dict[str, object]:
        doc = json.loads((store / f"k6-{app}-{scenario}/{RUN_KEY}/step.json").read_text())
        assert isinstance(doc, dict)
        return doc

    # app-python: real runs seed the baseline; stress was stopped by the gate before any load
    for scenario in ("smoke", "load"):
        doc = step("app-python", scenario)
        assert doc["verdict"] == "inconclusive" and doc["accepted"] is True, doc
        assert doc["profile"] == "K6_DURATION=2s,K6_NO_THRESHOLDS=true,K6_VUS=2"
        summary = json.loads(
            (store / f"k6-app-python-{scenario}/{RUN_KEY}/summary.json").read_text()
        )
        assert summary["metrics"]["http_reqs"]["values"]["count"] > 0
    stress = step("app-python", "stress")
    assert stress["verdict"] == "skipped"
    assert "error-budget gate closed: app-python availability" in str(stress["reason"])
    assert not (store / f"k6-app-python-stress/{RUN_KEY}/summary.json").exists()

    # the rerun of this logical date replaced the stale line instead of adding one
    smoke_history = [
        json.loads(line)
        for line in (store / "k6/history/app-python/smoke.jsonl").read_text().splitlines()
    ]
    assert [e["run_key"] for e in smoke_history] == [RUN_KEY]
    assert smoke_history[0]["accepted"] is True and smoke_history[0]["metrics"]["p95_ms"] != 999.0

    # app-java: smoke seeds; load regressed against its (seeded) history and was not accepted
    assert step("app-java", "smoke")["verdict"] == "inconclusive"
    load = step("app-java", "load")
    assert load["verdict"] == "regressed" and load["accepted"] is False
    java_load = (store / "k6/history/app-java/load.jsonl").read_text().splitlines()
    assert len(java_load) == 4 and json.loads(java_load[-1])["accepted"] is False

    # the report covers every step, says why stress was skipped and what did not run
    report = store / f"k6-report/{RUN_KEY}"
    md = (report / "report.md").read_text()
    assert "| app-python | stress | skipped |" in md
    assert "| app-java | load | REGRESSED |" in md
    assert "| app-java | stress | did not run |" in md
    assert (report / "trend-app-java-load.png").read_bytes().startswith(b"\x89PNG")
    assert "<html" in (report / "report.html").read_text()

    # results on the Pushgateway; the job's success timestamp only when the run is good
    assert (
        'kindops_k6_verdict{app="app-java",instance="",job="k6-baseline",scenario="load",'
        'verdict="regressed"} 1' in pushed
    )
    assert (
        'kindops_k6_verdict{app="app-python",instance="",job="k6-baseline",'
        'scenario="stress",verdict="skipped"} 1' in pushed
    )
    assert (
        'kindops_k6_p95_seconds{app="app-python",instance="",job="k6-baseline",'
        'scenario="smoke"}' in pushed
    )
    assert "kindops_job_last_success_timestamp_seconds{" not in pushed
