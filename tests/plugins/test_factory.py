"""The task factory and the local runner, without a scheduler."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from kubernetes.client import ApiClient
from kubernetes.client import models as k8s

from kindops_airflow import LocalJobOperator, Resources, RunnerConfig, job_task
from kindops_airflow.contract import ENDPOINTS, UNSET, endpoint_env, endpoint_template
from kindops_airflow.factory import MARKER_LABEL
from tests.support.airflow import render_fields


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


@pytest.mark.integration
def test_local_runner_returns_the_result_document() -> None:
    op = ScriptJob(script=WRITE_XCOM, task_id="t", env={"MY_VAR": "42"})
    assert op.execute(context={}) == {"verdict": "ok", "env": "42"}


@pytest.mark.parametrize(
    ("code", "error"),
    [(1, AirflowFailException), (2, AirflowFailException), (3, AirflowException)],
)
@pytest.mark.integration
def test_local_runner_maps_exit_codes(code: int, error: type[Exception]) -> None:
    script = f"import sys; print('error: thing went wrong', file=sys.stderr); sys.exit({code})"
    with pytest.raises(error, match=f"kindops exited {code}: error: thing went wrong") as info:
        ScriptJob(script=script, task_id="t").execute(context={})
    assert (type(info.value) is AirflowFailException) == (code in (1, 2))


@pytest.mark.integration
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


def test_cluster_only_args_reach_the_pod_only() -> None:
    kwargs: dict[str, Any] = {"cluster_only_args": ["--server-dry-run"]}
    local = job_task("t", ["backup", "restore-plan"], config=config("local"), **kwargs)
    assert local.arguments == ["backup", "restore-plan"]
    pod = job_task("t", ["backup", "restore-plan"], config=config("kubernetes"), **kwargs)
    assert pod.arguments == ["backup", "restore-plan", "--server-dry-run"]
    with pytest.raises(ValueError, match="cluster_only_args must be a list"):
        job_task("t", ["x"], cluster_only_args="--server-dry-run", config=config("local"))


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


@pytest.mark.integration
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


# -- endpoints: the Variable when it exists, else nothing (the job's own default) ---------------
def in_a_dag(runner: str, **kwargs: Any) -> Any:
    # the provider's default connection: a pod renders offline without it being defined
    cfg = RunnerConfig(
        runner,
        "r.local/jobs:1",
        "kindops-jobs",
        "kindops-jobs",
        "kindops-artifacts",
        "kubernetes_default",
    )
    with DAG("endpoints_demo", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
        return job_task("t", ["slo", "report"], config=cfg, **kwargs)


def test_endpoints_become_their_variables_and_every_task_gets_the_pushgateway() -> None:
    op = job_task("t", ["slo", "report"], endpoints=["prometheus"], config=config("local"))
    urls = {k: v for k, v in op.env.items() if k.endswith("_URL")}
    assert urls == {
        "KINDOPS_PUSHGATEWAY_URL": endpoint_template("pushgateway"),
        "KINDOPS_PROMETHEUS_URL": endpoint_template("prometheus"),
    }
    assert endpoint_template("prometheus") == (
        "{{ var.value.get('kindops_prometheus_url', '" + UNSET + "') }}"
    )
    bare = job_task("t", ["aws", "inventory"], config=config("kubernetes"))
    assert {k for k in bare.env_vars if k.endswith("_URL")} == {"KINDOPS_PUSHGATEWAY_URL"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoints": ["prometheus", "promethus"]}, "unknown endpoint 'promethus' \\(known: "),
        ({"endpoints": "prometheus"}, "endpoints must be a list of names, not 'prometheus'"),
        (
            {"env": {"KINDOPS_GRAFANA_URL": "http://grafana:3000"}},
            "KINDOPS_GRAFANA_URL in env; name the endpoint in endpoints=",
        ),
    ],
)
def test_a_bad_endpoint_declaration_fails_at_parse(kwargs: dict[str, Any], message: str) -> None:
    for runner in ("local", "kubernetes"):
        with pytest.raises(ValueError, match=f"task 't': {message}"):
            job_task("t", ["slo", "report"], config=config(runner), **kwargs)


PRINT_ENDPOINTS = (
    "import json, os; open(os.environ['KINDOPS_XCOM_PATH'], 'w').write(json.dumps("
    "{k: os.environ.get(k) for k in " + repr([endpoint_env(n) for n in ENDPOINTS]) + "}))"
)


@pytest.mark.integration
def test_local_runner_passes_an_endpoint_only_when_its_variable_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ENDPOINTS:
        monkeypatch.delenv(endpoint_env(name), raising=False)
    monkeypatch.setenv("KINDOPS_PROMETHEUS_URL", "http://this-machine:9090")
    monkeypatch.setenv("KINDOPS_GRAFANA_URL", "http://this-machine:3000")
    op = in_a_dag("local", endpoints=["prometheus", "grafana", "alertmanager"])
    monkeypatch.setattr(op, "command", lambda: [sys.executable, "-c", PRINT_ENDPOINTS])
    render_fields(op, {"kindops_grafana_url": "", "kindops_alertmanager_url": "http://am:9093"})
    seen = op.execute(context={})
    assert seen == {
        **{endpoint_env(n): None for n in ENDPOINTS},
        "KINDOPS_PROMETHEUS_URL": "http://this-machine:9090",  # no Variable: this machine's
        "KINDOPS_GRAFANA_URL": "",  # an empty Variable turns it off
        "KINDOPS_ALERTMANAGER_URL": "http://am:9093",
    }
    assert UNSET not in json.dumps(seen)


def test_cluster_runner_passes_an_endpoint_only_when_its_variable_exists() -> None:
    op = in_a_dag("kubernetes", endpoints=["prometheus", "grafana", "alertmanager"])
    render_fields(op, {"kindops_grafana_url": "", "kindops_alertmanager_url": "http://am:9093"})
    pod = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(dry_run=True))
    env = {e["name"]: e.get("value", "") for e in pod["spec"]["containers"][0]["env"]}
    assert {k: v for k, v in env.items() if k.endswith("_URL")} == {
        "KINDOPS_GRAFANA_URL": "",
        "KINDOPS_ALERTMANAGER_URL": "http://am:9093",
    }
    assert UNSET not in json.dumps(pod)
