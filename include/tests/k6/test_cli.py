"""`kindops k6 run|compare|report` through the CLI: the real k6 binary against a real loopback
HTTP server, the real artifact store, exit codes and outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kindops.errors import ExitCode
from tests.support.prometheus import Prometheus
from tests.support.servers import Pushgateway, free_port

from .k6_support import Lab, TinyServer, metrics

pytestmark = pytest.mark.integration
WEEKS = ["20260105", "20260112", "20260119"]


def run(
    lab: Lab, server: TinyServer, *extra: str, app: str = "tiny", scenario: str = "smoke"
) -> tuple[int, dict[str, Any]]:
    return lab.json(
        "k6", "run", "--app", app, "--scenario", scenario, "--base-url", server.url, *extra
    )


def step_dir(lab: Lab, day: str, app: str = "tiny", scenario: str = "smoke") -> Path:
    return lab.store / f"k6-{app}-{scenario}/k6_weekly_baseline_{day}T030000"


def test_first_run_seeds_the_baseline_and_reruns_replace_it(
    lab: Lab, tiny_server: TinyServer
) -> None:
    lab.run_id("20260105")
    code, doc = run(lab, tiny_server)
    assert code == 0, doc
    data = doc["data"]
    assert data["verdict"] == "inconclusive" and data["accepted"] is True
    assert "seeding" in data["reason"]
    assert data["k6"]["exit_code"] == 0 and data["k6"]["version"] == "v1.1.0"
    assert data["profile"] == "default"
    # the real summary k6 wrote is stored verbatim and is the task's result
    stored = json.loads((step_dir(lab, "20260105") / "summary.json").read_text())
    assert stored == data["k6_summary"]
    real = stored["metrics"]
    # every request k6 made reached the server (plus the reachability probe before it)
    assert real["http_reqs"]["values"]["count"] == tiny_server.requests - 1 > 0
    assert data["metrics"]["p95_ms"] == real["http_req_duration"]["values"]["p(95)"]
    assert data["metrics"]["p99_ms"] == real["http_req_duration"]["values"]["p(99)"]
    assert "k6 tiny smoke:" in (step_dir(lab, "20260105") / "k6-output.txt").read_text()
    assert [e["run_key"] for e in lab.history()] == ["k6_weekly_baseline_20260105T030000"]

    first = lab.history()[0]
    code, doc = run(lab, tiny_server)  # the same logical date again
    assert code == 0
    history = lab.history()
    assert len(history) == 1, "a rerun replaces its line"
    assert history[0]["recorded_at"] != first["recorded_at"]

    lab.run_id("20260112")
    assert run(lab, tiny_server)[0] == 0
    assert [e["at"][:10] for e in lab.history()] == ["2026-01-05", "2026-01-12"]


def test_a_slower_run_regresses_exits_1_and_is_not_accepted(
    lab: Lab, tiny_server: TinyServer, pushgateway: Pushgateway
) -> None:
    lab.monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", pushgateway.url)
    lab.seed(WEEKS, metrics(p95=0.05, rps=1e6, p99=0.1))
    tiny_server.delay_s = 0.02
    lab.run_id("20260126")
    code, doc = run(lab, tiny_server)
    assert code == 1, doc
    data = doc["data"]
    assert data["verdict"] == "regressed" and data["accepted"] is False
    assert doc["verdict"] == "bad" and "p95 latency" in data["reason"]
    p95 = next(r for r in data["comparison"] if r["metric"] == "p95_ms")
    assert p95["verdict"] == "regressed" and p95["baseline"] == 0.05 and p95["current"] >= 20
    assert data["baseline_runs"] == [f"k6_weekly_baseline_{d}T030000" for d in WEEKS]
    last = lab.history()[-1]
    assert last["verdict"] == "regressed" and last["accepted"] is False
    assert len(lab.history()) == 4
    # the trend panel's baseline median and noise band, as the comparison computed them
    band = pushgateway.group("k6-baseline", "kindops_k6_baseline_")
    assert band["kindops_k6_baseline_p95_seconds"] == pytest.approx(p95["baseline"] / 1000)
    assert band["kindops_k6_baseline_noise_p95_seconds"] == pytest.approx(p95["noise"] / 1000)
    # the last line says why (what Airflow shows as the task's failure)
    res = lab.kindops(
        "k6", "run", "--app", "tiny", "--scenario", "smoke", "--base-url", tiny_server.url, "--json"
    )
    assert res.exit_code == 1
    assert (
        res.stderr.strip()
        .splitlines()[-1]
        .startswith("bad verdict (exit 1): tiny smoke: regressed — p95")
    )
    assert len(lab.history()) == 4, "the rerun replaced its own line"


def test_a_faster_run_improves_and_is_accepted(lab: Lab, tiny_server: TinyServer) -> None:
    lab.seed(WEEKS, metrics(p95=5000.0, rps=0.1, p99=9000.0))
    lab.run_id("20260126")
    res = lab.kindops(
        "k6", "run", "--app", "tiny", "--scenario", "smoke", "--base-url", tiny_server.url
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("OK k6.tiny.smoke: tiny smoke: improved")
    assert lab.history()[-1]["accepted"] is True


def test_k6_threshold_failure_is_recorded_never_accepted(lab: Lab, tiny_server: TinyServer) -> None:
    tiny_server.status = 500
    lab.run_id("20260105")
    code, doc = run(lab, tiny_server)
    assert code == 1, doc
    data = doc["data"]
    assert data["verdict"] == "failed" and data["k6"]["exit_code"] == 99
    assert "http_req_failed: rate<0.01" in data["reason"]
    entry = lab.history()[0]
    assert entry["accepted"] is False and entry["k6_exit_code"] == 99
    assert (step_dir(lab, "20260105") / "summary.json").exists(), "evidence kept"


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("broken", "k6 tiny/broken: script exception (exit 107)"),
        ("nosummary", "wrote no summary to K6_SUMMARY_PATH"),
        ("soak", "no k6 scenario tiny/soak"),
    ],
)
def test_scenario_problems_exit_2_and_touch_no_history(
    lab: Lab, tiny_server: TinyServer, scenario: str, message: str
) -> None:
    lab.seed(WEEKS, metrics())
    before = lab.history()
    lab.run_id("20260126")
    res = lab.kindops(
        "k6", "run", "--app", "tiny", "--scenario", scenario, "--base-url", tiny_server.url
    )
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert lab.history() == before


def test_unreachable_app_exits_3_before_running_k6(lab: Lab) -> None:
    res = lab.kindops(
        "k6",
        "run",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--base-url",
        f"http://127.0.0.1:{free_port()}",
    )
    assert res.exit_code == 3
    assert "is unreachable" in res.stderr
    assert lab.history() == []


def test_bad_options_exit_2(lab: Lab, tiny_server: TinyServer) -> None:
    for args in (
        ["--env", "lower=1"],
        ["--env", "BASE_URL=http://elsewhere"],
        ["--min-history", "9"],
        ["--gate-min-remaining", "0.5"],
    ):
        res = lab.kindops(
            "k6",
            "run",
            "--app",
            "tiny",
            "--scenario",
            "smoke",
            "--base-url",
            tiny_server.url,
            *args,
        )
        assert res.exit_code == 2, (args, res.output)
        assert res.stderr.startswith("error: "), args
    lab.monkeypatch.setenv("KINDOPS_K6_BIN", "/nonexistent/k6")
    res = lab.kindops(
        "k6", "run", "--app", "tiny", "--scenario", "smoke", "--base-url", tiny_server.url
    )
    assert res.exit_code == 2 and "KINDOPS_K6_BIN" in res.stderr


def test_profiles_never_mix(lab: Lab, tiny_server: TinyServer) -> None:
    lab.seed(WEEKS, metrics(p95=0.05, rps=1e6, p99=0.1))  # the default profile
    lab.monkeypatch.setenv("KINDOPS_K6_DURATION", "1s")
    lab.monkeypatch.setenv("KINDOPS_K6_VUS", "1")
    lab.run_id("20260126")
    code, doc = run(lab, tiny_server, "--env", "THINK_TIME_S=0")
    assert code == 0
    assert doc["data"]["profile"] == "K6_DURATION=1s,K6_VUS=1,THINK_TIME_S=0"
    assert doc["data"]["verdict"] == "inconclusive" and doc["data"]["baseline_runs"] == []
    assert doc["data"]["metrics"]["vus_max"] == 1


def test_gate_skips_stress_when_the_budget_is_low(
    lab: Lab, tiny_server: TinyServer, prometheus: Prometheus
) -> None:
    lab.monkeypatch.setenv("KINDOPS_PROMETHEUS_URL", prometheus.url)
    lab.run_id("20260105")
    code, doc = run(lab, tiny_server, "--gate", app="app-python", scenario="stress")
    assert code == ExitCode.SKIPPED and int(code) == 10
    assert doc["data"]["skipped"] is True and doc["data"]["verdict"] == "skipped"
    assert doc["exit_code"] == 10, "the stored document says what the task exited with"
    assert "error-budget gate closed: app-python availability" in doc["summary"]
    assert tiny_server.requests == 0, "no load was sent"
    step = json.loads((step_dir(lab, "20260105", "app-python", "stress") / "step.json").read_text())
    assert step["status"] == "skipped" and step["gate"]["min_remaining"] == 0.25
    assert lab.history("app-python", "stress") == []
    res = lab.kindops(
        "k6",
        "run",
        "--app",
        "app-python",
        "--scenario",
        "stress",
        "--base-url",
        tiny_server.url,
        "--gate",
    )
    assert res.exit_code == 10
    assert "skipped (exit 10): app-python stress: skipped — error-budget gate closed" in res.stderr

    code, doc = run(lab, tiny_server, "--gate", app="app-java", scenario="stress")
    assert code == 0, doc
    assert doc["data"]["gate"]["status"] == "open"
    assert tiny_server.requests > 0

    # the minimum is inclusive: a whole budget (no errors at all) meets a minimum of 100 %
    code, doc = run(
        lab, tiny_server, "--gate", "--gate-min-remaining", "1", app="app-java", scenario="stress"
    )
    assert code == 0, doc
    assert doc["data"]["gate"]["budgets"] == {"availability": 1.0, "latency": 1.0}


def test_gate_is_disabled_without_prometheus(lab: Lab, tiny_server: TinyServer) -> None:
    lab.run_id("20260105")
    code, doc = run(lab, tiny_server, "--gate", app="app-python", scenario="stress")
    assert code == 0
    assert doc["data"]["gate"]["status"] == "disabled"
    assert "KINDOPS_PROMETHEUS_URL" in doc["data"]["gate"]["reason"]


def test_results_are_pushed(lab: Lab, tiny_server: TinyServer, pushgateway: Pushgateway) -> None:
    lab.monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", pushgateway.url)
    lab.run_id("20260105")
    code, doc = run(lab, tiny_server)
    assert code == 0 and doc["data"]["push"] == "pushed"
    labels = '{app="tiny",instance="",job="k6-baseline",scenario="smoke"}'
    p95 = pushgateway.samples("kindops_k6_p95_seconds")[labels]
    assert p95 == pytest.approx(doc["data"]["metrics"]["p95_ms"] / 1000)
    assert pushgateway.samples("kindops_k6_rps")[labels] == pytest.approx(
        doc["data"]["metrics"]["rps"]
    )
    assert (
        pushgateway.samples("kindops_k6_verdict")[labels.replace("}", ',verdict="inconclusive"}')]
        == 1.0
    )

    res = lab.kindops("k6", "report", "--app", "tiny", "--scenario", "smoke")
    assert res.exit_code == 0, res.output
    assert "kindops_job_last_success_timestamp_seconds" in pushgateway.metrics()

    # an unreachable gateway never fails the run: the history is the record
    lab.monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", f"http://127.0.0.1:{free_port()}")
    code, doc = run(lab, tiny_server)
    assert code == 0 and doc["data"]["push"].startswith("failed: ")


def test_report_has_tables_trend_plots_and_says_what_did_not_run(
    lab: Lab, tiny_server: TinyServer, prometheus: Prometheus
) -> None:
    lab.seed(WEEKS, metrics(p95=5000.0, rps=0.1, p99=9000.0))
    lab.run_id("20260126")
    assert run(lab, tiny_server)[0] == 0
    code, doc = lab.json("k6", "report", "--app", "tiny", "--scenario", "smoke")
    assert code == 0, doc
    folder = lab.store / "k6-report/k6_weekly_baseline_20260126T030000"
    md = (folder / "report.md").read_text()
    assert "| tiny | smoke | improved |" in md
    assert "| p95 latency |" in md and "![p95 and req/s across runs](trend-tiny-smoke.png)" in md
    html = (folder / "report.html").read_text()
    assert "<table>" in html and 'src="trend-tiny-smoke.png"' in html
    assert (folder / "trend-tiny-smoke.png").read_bytes().startswith(b"\x89PNG")

    # stress skipped by the gate and a step that never ran
    lab.monkeypatch.setenv("KINDOPS_PROMETHEUS_URL", prometheus.url)
    assert run(lab, tiny_server, "--gate", app="app-python", scenario="stress")[0] == 10
    code, doc = lab.json(
        "k6", "report", "--app", "app-python", "--scenario", "stress", "--scenario", "load"
    )
    assert code == 1
    steps = {s["scenario"]: s for s in doc["data"]["steps"]}
    assert steps["stress"]["verdict"] == "skipped"
    assert steps["load"]["verdict"] == "missing"
    md = (folder / "report.md").read_text()
    assert "Gate: error-budget gate closed: app-python availability" in md
    assert "did not run" in md


# -- kindops k6 compare ----------------------------------------------------------------------
def real_summary(lab: Lab, server: TinyServer) -> Path:
    lab.run_id("20251201")
    assert run(lab, server)[0] == 0
    path = lab.tmp / "summary.json"
    path.write_bytes((step_dir(lab, "20251201") / "summary.json").read_bytes())
    (lab.store / "k6").rename(lab.tmp / "old-history")  # start the history afresh
    return path


def test_compare_a_summary_file(lab: Lab, tiny_server: TinyServer) -> None:
    summary = real_summary(lab, tiny_server)
    lab.run_id("20251229")
    code, doc = lab.json(
        "k6", "compare", "--app", "tiny", "--scenario", "smoke", "--summary", str(summary)
    )
    assert code == 0 and doc["data"]["verdict"] == "inconclusive", "empty history"
    assert len(lab.history()) == 1

    lab.seed(WEEKS, metrics(p95=0.001, rps=1e9, p99=0.002))
    lab.run_id("20260126")
    code, doc = lab.json(
        "k6",
        "compare",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--summary",
        str(summary),
        "--no-record",
    )
    assert code == 1 and doc["data"]["verdict"] == "regressed"
    assert len(lab.history()) == 4, "--no-record leaves the history alone"
    assert not (lab.store / "k6-tiny-smoke/k6_weekly_baseline_20260126T030000/step.json").exists()

    code, doc = lab.json(
        "k6",
        "compare",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--summary",
        str(summary),
        "--k6-exit-code",
        "99",
    )
    assert code == 1 and doc["data"]["verdict"] == "failed"
    assert lab.history()[-1]["accepted"] is False and len(lab.history()) == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"metrics": {"http_reqs": {"values": {"count": 4', "not valid JSON"),
        ('{"metrics": {"http_reqs": {"values": {"count": 4, "rate": 2}}}}', "lacks"),
        ("", "is empty"),
    ],
)
def test_compare_refuses_bad_summaries_and_keeps_the_history(
    lab: Lab, content: str, message: str
) -> None:
    lab.seed(WEEKS, metrics())
    before = lab.history()
    bad = lab.tmp / "bad.json"
    bad.write_text(content)
    res = lab.kindops(
        "k6", "compare", "--app", "tiny", "--scenario", "smoke", "--summary", str(bad)
    )
    assert res.exit_code == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert lab.history() == before
    res = lab.kindops(
        "k6",
        "compare",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--summary",
        str(lab.tmp / "missing.json"),
    )
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_compare_reads_a_damaged_history_as_an_error(lab: Lab, tiny_server: TinyServer) -> None:
    summary = real_summary(lab, tiny_server)
    path = lab.store / "k6/history/tiny/smoke.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("not json\n")
    res = lab.kindops(
        "k6", "compare", "--app", "tiny", "--scenario", "smoke", "--summary", str(summary)
    )
    assert res.exit_code == 2 and "line 1 is damaged" in res.stderr
    assert path.read_text() == "not json\n"


def test_accept_overrides_a_verdict_and_rebaseline_restarts_it(lab: Lab) -> None:
    lab.seed(WEEKS, metrics(p95=100.0))
    slower = metrics(p95=150.0)
    summary = lab.tmp / "slower.json"
    summary.write_text(
        json.dumps(
            {
                "metrics": {
                    "http_req_duration": {"values": {"p(95)": slower.p95_ms, "p(99)": 200.0}},
                    "http_reqs": {"values": {"count": 1000, "rate": slower.rps}},
                    "http_req_failed": {"values": {"rate": 0.0}},
                    "checks": {"values": {"rate": 1.0}},
                }
            }
        )
    )
    lab.run_id("20260126")
    code, doc = lab.json(
        "k6", "compare", "--app", "tiny", "--scenario", "smoke", "--summary", str(summary)
    )
    assert code == 1 and doc["data"]["verdict"] == "regressed"
    key = "k6_weekly_baseline_20260126T030000"

    res = lab.kindops(
        "k6",
        "accept",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--run",
        key,
        "--reason",
        "intended: new validation step",
        "--rebaseline",
    )
    assert res.exit_code == 0, res.output
    entry = lab.history()[-1]
    assert entry["accepted"] is True and entry["rebaseline"] is True
    assert "accepted as a new baseline by hand: intended: new validation step" in entry["reason"]

    # the next week is judged against the new normal only (one run: still seeding)
    lab.run_id("20260202")
    code, doc = lab.json(
        "k6", "compare", "--app", "tiny", "--scenario", "smoke", "--summary", str(summary)
    )
    assert code == 0 and doc["data"]["baseline_runs"] == [key]
    assert doc["data"]["verdict"] == "inconclusive"

    res = lab.kindops(
        "k6",
        "accept",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--run",
        key,
        "--reason",
        "incident week",
        "--reject",
    )
    assert res.exit_code == 0 and lab.history()[-2]["accepted"] is False

    for args, message in (
        (["--run", "nope", "--reason", "x"], "no run 'nope'"),
        (["--run", key, "--reason", " "], "--reason is required"),
    ):
        res = lab.kindops("k6", "accept", "--app", "tiny", "--scenario", "smoke", *args)
        assert res.exit_code == 2 and message in res.stderr


def test_a_run_that_failed_its_thresholds_cannot_be_accepted(
    lab: Lab, tiny_server: TinyServer
) -> None:
    tiny_server.status = 500
    lab.run_id("20260105")
    assert run(lab, tiny_server)[0] == 1
    res = lab.kindops(
        "k6",
        "accept",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--run",
        "k6_weekly_baseline_20260105T030000",
        "--reason",
        "looks fine",
    )
    assert res.exit_code == 2 and "cannot be a baseline" in res.stderr
    assert lab.history()[0]["accepted"] is False


def test_a_rerun_replaces_the_step_but_bad_input_deletes_nothing(
    lab: Lab, tiny_server: TinyServer
) -> None:
    lab.run_id("20260105")
    assert run(lab, tiny_server)[0] == 0
    folder = step_dir(lab, "20260105")
    kept = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {"step.json", "summary.json", "k6-output.txt", "result.json"} <= set(kept)

    code, _ = run(lab, tiny_server, "--env", "lower=1")
    assert code == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == kept, "bad input: untouched"

    res = lab.kindops(
        "k6",
        "run",
        "--app",
        "tiny",
        "--scenario",
        "smoke",
        "--base-url",
        f"http://127.0.0.1:{free_port()}",
    )
    assert res.exit_code == 3
    assert not (folder / "step.json").exists() and not (folder / "summary.json").exists(), (
        "a failed attempt leaves no earlier verdict behind"
    )
    assert len(lab.history()) == 1, "the history keeps the last judged run of the date"
