"""The task factory and the local runner, without a scheduler."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from kubernetes.client import models as k8s

from kindops_airflow import LocalJobOperator, Resources, RunnerConfig, job_task
from kindops_airflow.factory import MARKER_LABEL


def config(runner: str, image: str = "localhost:5001/kindops-jobs:0.1.0") -> RunnerConfig:
    return RunnerConfig(runner, image, "kindops-jobs", "kindops-jobs", "kindops-artifacts", "k8s")


class ScriptJob(LocalJobOperator):
    """The local runner with the jobs CLI replaced by a small script (same env contract)."""

    def __init__(self, *, script: str, **kwargs: Any) -> None:
        super().__init__(arguments=["x"], **kwargs)
        self.script = script

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.script]


WRITE_XCOM = (
    "import json, os; open(os.environ['KINDOPS_XCOM_PATH'], 'w').write("
    "json.dumps({'verdict': 'ok', 'env': os.environ.get('MY_VAR')}))"
)


def test_local_runner_returns_the_result_document() -> None:
    op = ScriptJob(script=WRITE_XCOM, task_id="t", env={"MY_VAR": "42"})
    assert op.execute(context={}) == {"verdict": "ok", "env": "42"}


@pytest.mark.parametrize(
    ("code", "error"),
    [(1, AirflowFailException), (2, AirflowFailException), (3, AirflowException)],
)
def test_local_runner_maps_exit_codes(code: int, error: type[Exception]) -> None:
    script = f"import sys; print('error: thing went wrong', file=sys.stderr); sys.exit({code})"
    with pytest.raises(error, match=f"kindops exited {code}: error: thing went wrong") as info:
        ScriptJob(script=script, task_id="t").execute(context={})
    assert (type(info.value) is AirflowFailException) == (code in (1, 2))


def test_local_runner_skips_on_configured_code() -> None:
    with pytest.raises(AirflowSkipException):
        ScriptJob(script="import sys; sys.exit(99)", task_id="t", skip_on_exit_code=[99]).execute(
            {}
        )


def test_factory_picks_the_runner_and_keeps_the_command() -> None:
    local = job_task("plan", ["aws", "cleanup", "--json"], env={"A": "1"}, config=config("local"))
    assert isinstance(local, LocalJobOperator)
    assert local.arguments == ["aws", "cleanup", "--json"]
    assert local.env["A"] == "1" and "KINDOPS_RUN_ID" in local.env

    pod = job_task(
        "plan",
        ["aws", "cleanup", "--json"],
        env={"A": "1"},
        resources=Resources(memory="256Mi"),
        config=config("kubernetes"),
    )
    assert pod.arguments == ["aws", "cleanup", "--json"] and pod.cmds == ["kindops"]
    assert pod.labels[MARKER_LABEL] == "job_task"
    assert pod.labels["kindops.io/job"] == "aws-cleanup"
    assert pod.on_finish_action.value == "delete_succeeded_pod"
    assert pod.do_xcom_push is True
    assert pod.env_vars["A"] == "1"


def test_the_job_reports_under_the_task_id_airflow_knows() -> None:
    from airflow.sdk import DAG, TaskGroup

    with DAG("demo", schedule=None), TaskGroup("app_python"):
        local = job_task("smoke", ["k6", "run"], config=config("local"))
        pod = job_task("load", ["k6", "run"], config=config("kubernetes"))
    assert local.task_id == "app_python.smoke"
    rendered = local.render_template(local.env["KINDOPS_TASK_ID"], {"task": local})
    assert rendered == "app_python.smoke"
    assert pod.render_template(pod.env_vars["KINDOPS_TASK_ID"], {"task": pod}) == "app_python.load"


def test_runner_config_refuses_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINDOPS_RUNNER", "docker")
    with pytest.raises(ValueError, match="KINDOPS_RUNNER"):
        RunnerConfig.from_env()
    monkeypatch.setenv("KINDOPS_RUNNER", "kubernetes")
    for image in ("localhost:5001/kindops-jobs:latest", "kindops-jobs", "localhost:5001/jobs"):
        monkeypatch.setenv("KINDOPS_JOBS_IMAGE", image)
        with pytest.raises(ValueError, match="pin a version"):
            RunnerConfig.from_env()
    monkeypatch.setenv("KINDOPS_JOBS_IMAGE", "r.local/jobs@sha256:" + "a" * 64)
    assert RunnerConfig.from_env().image.endswith("a" * 64)


def test_factory_refuses_an_empty_command() -> None:
    with pytest.raises(ValueError, match="must name a kindops command"):
        job_task("x", [], config=config("local"))


def test_local_runner_runs_the_real_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINDOPS_ARTIFACTS", str(tmp_path))
    with pytest.raises(AirflowFailException, match="kindops exited 2"):
        LocalJobOperator(task_id="t", arguments=["no-such-command"]).execute({})


def finished_pod(code: int) -> k8s.V1Pod:
    terminated = k8s.V1ContainerStateTerminated(exit_code=code, reason="Error")
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="plan-abc", namespace="kindops-jobs"),
        status=k8s.V1PodStatus(
            phase="Succeeded" if code == 0 else "Failed",
            container_statuses=[
                k8s.V1ContainerStatus(
                    name="base",
                    ready=False,
                    restart_count=0,
                    image="localhost:5001/kindops-jobs:0.1.0",
                    image_id="",
                    state=k8s.V1ContainerState(terminated=terminated),
                )
            ],
        ),
    )


def offline(op: Any) -> None:
    """Replace only the operator's calls to the cluster API; the exit-code logic stays real
    (the provider's ``cleanup`` plus ours)."""
    op.do_xcom_push = False  # the pod's phase decides, as without the XCom sidecar
    op.log_events_on_failure = False
    op.is_istio_enabled = lambda _pod: False
    for name in ("patch_already_checked", "process_pod_deletion"):
        setattr(op, name, lambda *_a, **_k: None)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1, AirflowFailException),
        (2, AirflowFailException),
        (3, AirflowException),
        (137, AirflowException),
        (10, AirflowSkipException),
    ],
)
def test_cluster_runner_maps_exit_codes_like_the_local_runner(
    code: int, error: type[Exception]
) -> None:
    op = job_task("plan", ["aws", "cleanup"], skip_on_exit_code=[10], config=config("kubernetes"))
    offline(op)
    pod = finished_pod(code)
    with pytest.raises(error) as info:
        op.cleanup(pod, pod)
    assert (type(info.value) is AirflowFailException) == (code in (1, 2))
    expected = "returned exit code 10. Skipping" if code == 10 else "plan-abc returned a failure"
    assert expected in str(info.value)
    if code in (1, 2):
        assert str(info.value).startswith(f"kindops exited {code}: ")


def test_cluster_runner_succeeds_on_exit_0() -> None:
    op = job_task("plan", ["aws", "cleanup"], config=config("kubernetes"))
    offline(op)
    pod = finished_pod(0)
    assert op.cleanup(pod, pod) is None
