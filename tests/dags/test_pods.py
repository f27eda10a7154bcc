"""Every cluster-runner task renders offline to a pod that is schema-valid and policy-clean.

Templates are rendered as at run time, with a context whose Airflow Variables are given: none by
default (a lab that set none), so what a pod carries without them is what is checked.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from kubernetes.client import ApiClient

from kindops_airflow.contract import ENDPOINTS, UNSET, endpoint_env, endpoint_variable
from tests.support.airflow import render_fields
from tests.support.k8s import pod_policy_violations, validate


def rendered_pods(
    bag: Any, variables: dict[str, str] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Every pod task rendered (on a copy: the bag is shared) and built as the cluster would."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    pods = []
    for dag_id, dag in sorted(bag.dags.items()):
        for task in dag.tasks:
            if isinstance(task, KubernetesPodOperator):
                task = copy.deepcopy(task)
                render_fields(task, variables)
                pod = task.build_pod_request_obj(context=None, dry_run=True)
                pods.append(
                    (f"{dag_id}.{task.task_id}", ApiClient().sanitize_for_serialization(pod))
                )
    return pods


def endpoint_env_of(pod: dict[str, Any]) -> dict[str, str]:
    names = {endpoint_env(n) for n in ENDPOINTS}
    env = pod["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value", "") for e in env if e["name"] in names}


def test_there_are_pod_tasks(dagbag_k8s: Any) -> None:
    assert len(rendered_pods(dagbag_k8s)) >= 1


def test_pods_are_schema_valid_and_follow_policy(dagbag_k8s: Any) -> None:
    for name, pod in rendered_pods(dagbag_k8s):
        pod["metadata"]["name"] = pod["metadata"].get("name") or "x"
        validate(pod)
        assert pod_policy_violations(pod) == [], name
        spec = pod["spec"]
        assert spec["serviceAccountName"], name
        assert spec["containers"][0]["command"] == ["kindops"], name
        env = {e["name"] for e in spec["containers"][0]["env"]}
        assert {"KINDOPS_RUN_ID", "KINDOPS_XCOM_PATH", "KINDOPS_ARTIFACTS"} <= env, name


def test_policy_catches_bad_pods() -> None:
    bad = {
        "spec": {"containers": [{"name": "c", "image": "busybox:latest", "securityContext": {}}]}
    }
    problems = pod_policy_violations(bad)
    assert any("not pinned" in p for p in problems)
    assert any("no limits.memory" in p for p in problems)
    assert any("writable" in p for p in problems)
    with pytest.raises(Exception, match=r"[Aa]dditional|unexpected|not allowed"):
        validate(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "x"},
                "spec": {"containers": [{"name": "c", "image": "a:1", "bogus": 1}]},
            }
        )


def test_the_steps_that_call_the_apps_read_the_scenarios_and_join_the_mesh(
    dagbag_k8s: Any,
) -> None:
    from kindops.k6.scenarios import CONFIGMAP_NAME, MOUNT_PATH
    from kindops_airflow import K6_SCENARIOS, MESH_LABEL

    assert K6_SCENARIOS == {CONFIGMAP_NAME: MOUNT_PATH}  # the jobs package reads it there
    readers, meshed = set(), set()
    for name, pod in rendered_pods(dagbag_k8s):
        if pod["metadata"]["labels"].get(MESH_LABEL) == "true":
            meshed.add(name)
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        mounts = {m["name"]: m for m in pod["spec"]["containers"][0]["volumeMounts"]}
        if CONFIGMAP_NAME not in volumes:
            assert CONFIGMAP_NAME not in mounts, name
            continue
        readers.add(name)
        assert volumes[CONFIGMAP_NAME]["configMap"] == {"name": CONFIGMAP_NAME}, name
        assert mounts[CONFIGMAP_NAME] == {
            "name": CONFIGMAP_NAME,
            "mountPath": MOUNT_PATH,
            "readOnly": True,
        }, name
    steps = {
        f"k6_weekly_baseline.{app}.{step}"
        for app in ("app_python", "app_java")
        for step in ("smoke", "load", "stress")
    }
    assert readers == steps | {"monthly_game_day.run"}
    # the apps' sidecars accept mTLS only: exactly the tasks that call them are in the mesh
    assert meshed == readers


def test_both_apps_let_in_exactly_the_identities_of_the_meshed_tasks(dagbag_k8s: Any) -> None:
    import yaml

    from kindops_airflow import MESH_LABEL
    from tests.conftest import ROOT

    identities = {
        f"cluster.local/ns/{pod['metadata']['namespace']}/sa/{pod['spec']['serviceAccountName']}"
        for _, pod in rendered_pods(dagbag_k8s)
        if pod["metadata"]["labels"].get(MESH_LABEL) == "true"
    }
    assert identities == {
        "cluster.local/ns/kindops-jobs/sa/kindops-jobs",  # the k6 steps
        "cluster.local/ns/kindops-jobs/sa/kindops-gameday",  # the game day's run
    }
    for app in ("app-python", "app-java"):
        values = yaml.safe_load((ROOT / f"gitops/values/dev-local/{app}.yaml").read_text())
        assert set(values["istio"]["extraPrincipals"]) == identities, app


#: The endpoints each task declares (every task gets the Pushgateway: its outcome is pushed).
TASK_ENDPOINTS = {
    **{f"aws_cleanup.{t}": set() for t in ("inventory", "plan", "apply", "report", "budget")},
    "config_backup.backup": {"grafana"},
    **{f"config_backup.{t}": set() for t in ("verify", "restore_plan", "prune")},
    **{
        f"k6_weekly_baseline.{app}.{step}": {"prometheus"} if step == "stress" else set()
        for app in ("app_python", "app_java")
        for step in ("smoke", "load", "stress")
    },
    "k6_weekly_baseline.report": set(),
    "monthly_game_day.run": {"prometheus", "grafana", "argocd"},
    "monthly_game_day.publish": set(),
    "opencost_review.review": {"opencost", "alertmanager", "runbook_base"},
    "slo_report.report": {"prometheus"},
}


def test_without_variables_a_pod_leaves_every_endpoint_to_the_job(dagbag_k8s: Any) -> None:
    pods = rendered_pods(dagbag_k8s)
    assert {name for name, _ in pods} == set(TASK_ENDPOINTS)
    for name, pod in pods:
        assert UNSET not in json.dumps(pod), name
        assert "var.value" not in json.dumps(pod), name
        assert endpoint_env_of(pod) == {}, f"{name}: an absent Variable must leave the env out"


def test_an_existing_variable_sets_exactly_the_endpoints_a_task_declares(dagbag_k8s: Any) -> None:
    variables = {endpoint_variable(n): f"http://{n}.example:80" for n in ENDPOINTS}
    variables[endpoint_variable("grafana")] = ""  # an empty Variable: that part off
    for name, pod in rendered_pods(dagbag_k8s, variables):
        expected = {endpoint_env(n): variables[endpoint_variable(n)] for n in ENDPOINTS}
        wanted = TASK_ENDPOINTS[name] | {"pushgateway"}
        assert endpoint_env_of(pod) == {
            k: v for k, v in expected.items() if k in {endpoint_env(n) for n in wanted}
        }, name
        assert UNSET not in json.dumps(pod), name
