"""The shared command contract: exit codes, one-line errors, --json, stored result documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kindops.errors import ConfigError, DependencyError
from kindops.result import JSON_OPTION, SCHEMA_VERSION, Context, Result, execute, run_key

app = typer.Typer()


@app.command()
def job(outcome: str, as_json: bool = JSON_OPTION) -> None:
    def run(ctx: Context) -> Result:
        if outcome == "config":
            raise ConfigError("KINDOPS_THING is required")
        if outcome == "down":
            raise DependencyError("http://127.0.0.1:9 unreachable")
        url = ctx.store.write_text(ctx.key("demo.job", "report.md"), "# report\n")
        return Result(
            "demo.job",
            "bad" if outcome == "bad" else "ok",
            f"outcome {outcome}",
            data={"n": 3},
            artifacts={"report": url},
            skipped=outcome == "skipped",
        )

    execute("demo.job", run, as_json)


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("KINDOPS_ARTIFACTS", str(tmp_path / "art"))
    monkeypatch.setenv("KINDOPS_RUN_ID", "demo_dag/20261125T000000")
    monkeypatch.setenv("KINDOPS_XCOM_PATH", str(tmp_path / "xcom" / "return.json"))
    return CliRunner()


def test_ok_prints_json_and_stores_the_document(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(app, ["ok", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["verdict"] == "ok" and doc["exit_code"] == 0 and doc["data"] == {"n": 3}
    assert doc["run_key"] == "demo_dag_20261125T000000"
    stored = tmp_path / "art/demo-job/demo_dag_20261125T000000/result.json"
    assert json.loads(stored.read_text())["summary"] == "outcome ok"
    assert json.loads((tmp_path / "xcom/return.json").read_text())["verdict"] == "ok"
    assert (tmp_path / "art/demo-job/demo_dag_20261125T000000/report.md").exists()


def test_bad_verdict_exits_1_and_still_stores(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(app, ["bad"])
    assert res.exit_code == 1
    assert "BAD demo.job: outcome bad" in res.stdout
    assert (tmp_path / "art/demo-job/demo_dag_20261125T000000/result.json").exists()


def test_a_skipped_step_exits_10_and_its_document_says_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    res = runner.invoke(app, ["skipped", "--json"])
    assert res.exit_code == 10, res.output
    assert json.loads(res.stdout)["exit_code"] == 10
    stored = tmp_path / "art/demo-job/demo_dag_20261125T000000/result.json"
    assert json.loads(stored.read_text())["exit_code"] == 10


@pytest.mark.parametrize(
    ("outcome", "code", "line"),
    [
        ("config", 2, "error: KINDOPS_THING is required"),
        ("down", 3, "error: http://127.0.0.1:9 unreachable"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    runner: CliRunner, tmp_path: Path, outcome: str, code: int, line: str
) -> None:
    res = runner.invoke(app, [outcome, "--json"])
    assert res.exit_code == code
    assert res.stderr.strip() == line
    assert res.stdout == ""
    assert not (tmp_path / "art").exists()


def test_run_key_is_stable_for_a_run_id_and_safe() -> None:
    assert run_key("aws_cleanup/20261125T000000") == "aws_cleanup_20261125T000000"
    assert run_key("../../etc") == "etc"
    assert len(run_key("")) == len("20261126T000000Z")


def test_task_outcome_is_pushed_when_a_pushgateway_is_set(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.http import JsonHandler, serve

    seen: list[tuple[str, str]] = []

    class Gateway(JsonHandler):
        def do_POST(self) -> None:
            seen.append((self.path, self.read_body().decode()))
            self.send_empty(200)

    with serve(Gateway) as url:
        monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", url.removeprefix("http://"))
        monkeypatch.setenv("KINDOPS_TASK_ID", "plan")
        assert runner.invoke(app, ["bad"]).exit_code == 1
        assert runner.invoke(app, ["config"]).exit_code == 2
        assert runner.invoke(app, ["skipped"]).exit_code == 10
    paths = [p for p, _ in seen]
    assert paths == ["/metrics/job/kindops-tasks/dag_id/demo_dag/task_id/plan"] * 3
    failed = [
        next(ln for ln in body.splitlines() if ln.startswith("kindops_job_last_run_failed "))
        for _, body in seen
    ]
    assert failed == [f"kindops_job_last_run_failed {v}" for v in ("1.0", "1.0", "0.0")]
