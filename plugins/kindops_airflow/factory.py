"""The one way a DAG declares an SRE task: a jobs-image command, its env and its resources.

``job_task("plan", ["aws", "cleanup", "--json"], env={...}, endpoints=[...])`` returns,
depending on ``KINDOPS_RUNNER``:

* ``kubernetes`` (default): a KubernetesPodOperator running ``kindops <args>`` in the pinned jobs
  image — requests/limits, restricted securityContext (non-root, read-only root fs, no
  capabilities, RuntimeDefault seccomp), labels, a least-privilege service account, logs
  streamed, the result document as XCom (via ``/airflow/xcom/return.json``), failed pods kept
  for evidence, and the same exit-code mapping as the local runner (``contract.NO_RETRY``: a bad
  verdict or bad input fails without retry);
* ``local``: a :class:`~kindops_airflow.local.LocalJobOperator` running the same command and env
  as a subprocess on this machine.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kubernetes.client import models as k8s

from kindops_airflow.config import RunnerConfig
from kindops_airflow.contract import (
    ENDPOINTS,
    NO_RETRY,
    UNSET,
    endpoint_env,
    endpoint_template,
    endpoint_variable,
)
from kindops_airflow.local import LocalJobOperator

#: Every task gets a run id that is stable for the run's logical date (idempotent reruns).
RUN_ID_TEMPLATE = "{{ dag.dag_id }}/{{ (logical_date or dag_run.run_after) | ts_nodash }}"
#: The task id as Airflow knows it (a task group's prefix included): the job reports its outcome
#: under the same dag_id/task_id as Airflow's listener does.
TASK_ID_TEMPLATE = "{{ task.task_id }}"
XCOM_PATH = "/airflow/xcom/return.json"
POD_USER = 10001
MARKER_LABEL = "kindops.io/task-factory"
#: The k6 scenarios' ConfigMap (gitops/platform/kindops-jobs) and where task pods read it.
K6_SCENARIOS = {"kindops-k6-scenarios": "/etc/kindops/k6"}
#: The pod label that has Istio inject its sidecar into one pod of a namespace without injection.
MESH_LABEL = "sidecar.istio.io/inject"
#: Endpoints every task gets: every job pushes its task outcome to the Pushgateway.
TASK_ENDPOINTS = ("pushgateway",)


@dataclass(frozen=True)
class Resources:
    """Requests and limits of a task pod (Kubernetes quantities)."""

    cpu: str = "100m"
    memory: str = "128Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "512Mi"

    def requirements(self) -> k8s.V1ResourceRequirements:
        return k8s.V1ResourceRequirements(
            requests={"cpu": self.cpu, "memory": self.memory},
            limits={"cpu": self.cpu_limit, "memory": self.memory_limit},
        )


SIDECAR_RESOURCES = Resources(cpu="10m", memory="16Mi", cpu_limit="50m", memory_limit="32Mi")


def _container_security() -> k8s.V1SecurityContext:
    return k8s.V1SecurityContext(
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        run_as_non_root=True,
        run_as_user=POD_USER,
        capabilities=k8s.V1Capabilities(drop=["ALL"]),
        seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
    )


def _pod_security() -> k8s.V1PodSecurityContext:
    return k8s.V1PodSecurityContext(
        run_as_non_root=True,
        run_as_user=POD_USER,
        run_as_group=POD_USER,
        fs_group=POD_USER,
        seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
    )


def _label_value(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in text)[:63]
    return cleaned.strip("-_.") or "task"


def exit_code(pod: k8s.V1Pod | None, container: str) -> int | None:
    """The exit code of ``container`` in a finished pod, if it terminated."""
    statuses = (pod.status.container_statuses if pod is not None and pod.status else None) or []
    status = next((s for s in statuses if s.name == container), None)
    if status is None or status.state is None or status.state.terminated is None:
        return None
    return int(status.state.terminated.exit_code)


def _pod_operator_class() -> type[Any]:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    class KindopsPodOperator(KubernetesPodOperator):  # type: ignore[misc]
        """KubernetesPodOperator with the jobs contract: the XCom sidecar gets requests and
        limits too, and a bad verdict or bad input (``NO_RETRY``) fails without retry, as in the
        local runner."""

        def cleanup(
            self,
            pod: k8s.V1Pod,
            remote_pod: k8s.V1Pod,
            xcom_result: dict[str, Any] | None = None,
            context: Any = None,
        ) -> None:
            from airflow.sdk.exceptions import (
                AirflowException,
                AirflowFailException,
                AirflowSkipException,
            )

            try:
                super().cleanup(pod, remote_pod, xcom_result, context)
            except AirflowSkipException:
                raise
            except AirflowException as exc:
                code = exit_code(remote_pod, self.base_container_name)
                if code in NO_RETRY:
                    raise AirflowFailException(f"kindops exited {code}: {exc}") from exc
                raise

        def build_pod_request_obj(self, context: Any = None, *, dry_run: bool = False) -> k8s.V1Pod:
            pod: k8s.V1Pod = super().build_pod_request_obj(context, dry_run=dry_run)
            base, *sidecars = pod.spec.containers
            # an endpoint without its Variable is left out: the job's in-cluster default applies
            base.env = [e for e in base.env or [] if e.value != UNSET]
            for container in sidecars:
                if container.resources is None or not container.resources.limits:
                    container.resources = SIDECAR_RESOURCES.requirements()
            return pod

    return KindopsPodOperator


def endpoint_env_vars(task_id: str, names: Sequence[str], env: Mapping[str, str]) -> dict[str, str]:
    """``KINDOPS_<NAME>_URL`` templates for ``names`` (and :data:`TASK_ENDPOINTS`), checked."""
    if isinstance(names, str):
        raise ValueError(f"task {task_id!r}: endpoints must be a list of names, not {names!r}")
    unknown = [n for n in names if n not in ENDPOINTS]
    if unknown:
        raise ValueError(
            f"task {task_id!r}: unknown endpoint {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(ENDPOINTS)})"
        )
    direct = sorted(set(env) & {endpoint_env(n) for n in ENDPOINTS})
    if direct:
        raise ValueError(
            f"task {task_id!r}: {', '.join(direct)} in env; name the endpoint in endpoints= "
            f"instead (its Airflow Variable, e.g. {endpoint_variable('prometheus')}, overrides "
            "the job's default)"
        )
    return {endpoint_env(n): endpoint_template(n) for n in dict.fromkeys((*TASK_ENDPOINTS, *names))}


def job_task(
    task_id: str,
    arguments: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    endpoints: Sequence[str] = (),
    cluster_only_args: Sequence[str] = (),
    resources: Resources | None = None,
    secret_env: Sequence[str] = (),
    timeout: timedelta | None = None,
    skip_on_exit_code: Container[int] | None = None,
    service_account: str | None = None,
    config_maps: Mapping[str, str] | None = None,
    mesh: bool = False,
    config: RunnerConfig | None = None,
    **operator_kwargs: Any,
) -> Any:
    """Declare ``kindops <arguments>`` as a task for the configured runner.

    ``env`` values and ``arguments`` are Jinja-templated. ``endpoints`` names the lab's endpoints
    the job needs (:data:`~kindops_airflow.contract.ENDPOINTS`, e.g. ``["prometheus"]``;
    ``pushgateway`` is always passed: every job pushes its task outcome): each becomes
    ``KINDOPS_<NAME>_URL`` from the Airflow Variable ``kindops_<name>_url`` when that Variable
    exists, and is left out when it does not, so the job's own default applies (in a pod, the
    lab's in-cluster Service; with the local runner, this machine's environment). An endpoint's
    variable is never set through ``env``. ``cluster_only_args`` are appended to ``arguments`` in
    the pod only: options that need what only a task pod has (the identity of
    ``service_account``, the cluster's network), which the local runner leaves out.
    ``secret_env`` names Kubernetes Secrets exposed as env in the pod (the local runner inherits
    this machine's environment instead).
    ``config_maps`` maps ConfigMap names to read-only mount paths in the pod (the local runner
    reads the same files from the checkout). ``mesh`` puts the pod in the Istio mesh (a native
    sidecar, set up by Istio's CNI plugin, so Pod Security ``restricted`` still holds): for tasks
    that call the apps, whose sidecars accept mTLS only.
    """
    cfg = config or RunnerConfig.from_env()
    args = [str(a) for a in arguments]
    if not args:
        raise ValueError(f"task {task_id!r}: arguments must name a kindops command")
    if isinstance(cluster_only_args, str):
        raise ValueError(f"task {task_id!r}: cluster_only_args must be a list of arguments")
    task_env = {
        "KINDOPS_RUN_ID": RUN_ID_TEMPLATE,
        "KINDOPS_TASK_ID": TASK_ID_TEMPLATE,
        "KINDOPS_LOG_LEVEL": "INFO",
        **endpoint_env_vars(task_id, endpoints, env or {}),
        **dict(env or {}),
    }
    if timeout is not None:
        operator_kwargs["execution_timeout"] = timeout

    if cfg.runner == "local":
        return LocalJobOperator(
            task_id=task_id,
            arguments=args,
            env=task_env,
            skip_on_exit_code=skip_on_exit_code,
            **operator_kwargs,
        )

    res = resources or Resources()
    job = _label_value("-".join(a for a in args[:2] if not a.startswith("-")))
    pod_env = {
        **task_env,
        "KINDOPS_ARTIFACTS": "/artifacts",
        "KINDOPS_XCOM_PATH": XCOM_PATH,
        "HOME": "/tmp",
        "MPLCONFIGDIR": "/tmp/matplotlib",
    }
    mounted = sorted((config_maps or {}).items())
    operator = _pod_operator_class()
    return operator(
        task_id=task_id,
        name=_label_value(f"kindops-{task_id}"),
        namespace=cfg.namespace,
        image=cfg.image,
        image_pull_policy="IfNotPresent",
        cmds=["kindops"],
        arguments=[*args, *(str(a) for a in cluster_only_args)],
        env_vars=pod_env,
        env_from=[
            k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=s)) for s in secret_env
        ],
        labels={
            "app.kubernetes.io/name": "kindops-jobs",
            "app.kubernetes.io/part-of": "kindops-lab",
            "app.kubernetes.io/managed-by": "airflow",
            "kindops.io/job": job,
            MARKER_LABEL: "job_task",
            **({MESH_LABEL: "true"} if mesh else {}),
        },
        container_resources=res.requirements(),
        security_context=_pod_security(),
        container_security_context=_container_security(),
        xcom_sidecar_container_security_context=_container_security(),
        service_account_name=service_account or cfg.service_account,
        # Only tasks given a dedicated service account (backups, game days) talk to the API.
        automount_service_account_token=service_account is not None,
        volumes=[
            k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource(size_limit="256Mi")),
            k8s.V1Volume(
                name="artifacts",
                persistent_volume_claim=(
                    k8s.V1PersistentVolumeClaimVolumeSource(claim_name=cfg.artifacts_pvc)
                ),
            ),
            *(
                k8s.V1Volume(name=name, config_map=k8s.V1ConfigMapVolumeSource(name=name))
                for name, _ in mounted
            ),
        ],
        volume_mounts=[
            k8s.V1VolumeMount(name="tmp", mount_path="/tmp"),
            k8s.V1VolumeMount(name="artifacts", mount_path="/artifacts"),
            *(
                k8s.V1VolumeMount(name=name, mount_path=path, read_only=True)
                for name, path in mounted
            ),
        ],
        kubernetes_conn_id=cfg.kubernetes_conn_id,
        do_xcom_push=True,
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
        log_events_on_failure=True,
        skip_on_exit_code=skip_on_exit_code,
        startup_timeout_seconds=300,
        **operator_kwargs,
    )
