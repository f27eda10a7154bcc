"""`kindops slo report` and `kindops slo budget` as a person or a DAG task runs them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kindops.cli import app
from tests.support.prometheus import Prometheus
from tests.support.servers import Pushgateway, free_port
from tests.support.slo_history import BEFORE_DATA, END, EXPECTED_HEALTHY, HEALTHY_AT

pytestmark = pytest.mark.integration

SPECS = Path(__file__).resolve().parents[3] / "observability" / "slos"
RUN = "slo_report/20260222T000000"
runner = CliRunner()


def run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = runner.invoke(app, ["slo", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def env(tmp_path: Path, prom: Prometheus) -> dict[str, str]:
    return {
        "KINDOPS_PROMETHEUS_URL": prom.url,
        "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
        "KINDOPS_SLO_SPECS": str(SPECS),
        "KINDOPS_RUN_ID": RUN,
        "KINDOPS_PUSHGATEWAY_URL": "",
        "KINDOPS_XCOM_PATH": "",
    }


def test_report_over_a_healthy_month(env: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = run(["report", "--at", HEALTHY_AT.isoformat(), "--json"], env)
    assert code == 0, out
    doc = json.loads(out)
    assert doc["verdict"] == "ok"
    assert doc["data"]["counts"] == {"exhausted": 0, "low": 0, "no-data": 0, "ok": 6}
    got = {(s["service"], s["slo"]): s["budget_remaining"] for s in doc["data"]["slos"]}
    assert got == pytest.approx(EXPECTED_HEALTHY, abs=0.02)
    folder = tmp_path / "artifacts" / "slo-report" / "slo_report_20260222T000000"
    assert sorted(p.name for p in folder.iterdir()) == [
        "burndown-app-java.png",
        "burndown-app-python-worker.png",
        "burndown-app-python.png",
        "report.json",
        "report.md",
        "result.json",
    ]
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    report = json.loads((folder / "report.json").read_text())
    entry = next(s for s in report["slos"] if (s["service"], s["slo"]) == ("app-java", "latency"))
    assert entry["objective_percent"] == 95 and entry["error_ratio"] == pytest.approx(0.01)
    assert len(entry["burndown"]) == 720 and entry["burndown"][-1][1] == pytest.approx(0.8)
    markdown = (folder / "report.md").read_text()
    assert "| app-python | availability | 99.5 % | 30d | 0.200 % | 40.0 % | 60.0 % | ok |" in (
        markdown
    )
    assert doc["artifacts"]["markdown"] == str((folder / "report.md").resolve())


def test_an_exhausted_budget_is_a_bad_verdict(env: dict[str, str]) -> None:
    code, out, _ = run(["report", "--at", END.isoformat()], env)
    assert code == 1
    assert "BAD slo.report" in out
    assert "1 exhausted, 5 ok; budget exhausted: app-python/availability" in out


def test_report_of_one_service(env: dict[str, str]) -> None:
    code, out, _ = run(["report", "--service", "app-java", "--at", END.isoformat(), "--json"], env)
    assert code == 0
    doc = json.loads(out)
    assert [(s["service"], s["slo"]) for s in doc["data"]["slos"]] == [
        ("app-java", "availability"),
        ("app-java", "latency"),
    ]
    assert set(doc["artifacts"]) == {"report", "markdown", "burndown-app-java", "result"}


def test_no_data_is_reported_not_hidden(env: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = run(["report", "--at", BEFORE_DATA.isoformat(), "--json"], env)
    assert code == 0
    doc = json.loads(out)
    assert doc["data"]["counts"]["no-data"] == 6
    markdown = (
        tmp_path / "artifacts" / "slo-report" / "slo_report_20260222T000000" / "report.md"
    ).read_text()
    assert "No SLI events over the period for: app-java/availability" in markdown


def test_unreachable_prometheus_is_exit_3_naming_the_url(
    env: dict[str, str], tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(["report"], {**env, "KINDOPS_PROMETHEUS_URL": url})
    assert code == 3
    assert f"error: Prometheus at {url} is unreachable" in err
    assert not (tmp_path / "artifacts" / "slo-report").exists()


@pytest.mark.parametrize(
    ("args", "extra_env", "message"),
    [
        (["report"], {"KINDOPS_PROMETHEUS_URL": None}, "KINDOPS_PROMETHEUS_URL: Field required"),
        (["report", "--service", "shop"], {}, "no SLO spec for service(s) shop"),
        (["report", "--at", "yesterday"], {}, "invalid time 'yesterday'"),
        (["report"], {"KINDOPS_SLO_SPECS": "/nonexistent"}, "does not exist"),
        (["budget", "app-python", "availability", "--min-remaining", "1.5"], {}, "from 0 to 1"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(
    env: dict[str, str], args: list[str], extra_env: dict[str, str | None], message: str
) -> None:
    # a None value unsets the variable for the run
    result = runner.invoke(app, ["slo", *args], env={**env, **extra_env})
    assert result.exit_code == 2, result.stdout
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("at", "minimum", "code"),
    [(HEALTHY_AT, 0.5, 0), (HEALTHY_AT, 0.7, 1), (END, 0.0, 1)],
)
def test_budget_gate(env: dict[str, str], at: object, minimum: float, code: int) -> None:
    got, out, _ = run(
        [
            "budget",
            "app-python",
            "availability",
            "--min-remaining",
            str(minimum),
            "--at",
            str(at),
            "--json",
        ],
        env,
    )
    assert got == code, out
    doc = json.loads(out)
    assert doc["data"]["min_remaining"] == minimum
    assert doc["verdict"] == ("ok" if code == 0 else "bad")


def test_budget_gate_without_data_is_exit_3(env: dict[str, str]) -> None:
    code, _, err = run(["budget", "app-java", "latency", "--at", BEFORE_DATA.isoformat()], env)
    assert code == 3
    assert "has no events for app-java/latency" in err


def test_a_good_report_records_its_success_on_the_pushgateway(
    env: dict[str, str], pushgateway: Pushgateway
) -> None:
    code, out, _ = run(
        ["report", "--at", HEALTHY_AT.isoformat(), "--json"],
        {**env, "KINDOPS_PUSHGATEWAY_URL": pushgateway.url},
    )
    assert code == 0
    assert json.loads(out)["data"]["push"] == "ok"
    success = pushgateway.samples("kindops_job_last_success_timestamp_seconds")
    pushed = [value for labels, value in success.items() if 'job="slo-report"' in labels]
    assert len(pushed) == 1, success
    assert abs(pushed[0] - time.time()) < 600


def test_a_failed_push_is_reported_not_fatal(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, _ = run(
        ["report", "--at", HEALTHY_AT.isoformat(), "--json"],
        {**env, "KINDOPS_PUSHGATEWAY_URL": url},
    )
    assert code == 0
    assert json.loads(out)["data"]["push"].startswith(f"Pushgateway {url} did not take")
