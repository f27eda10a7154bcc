"""The cluster runner: a LitmusChaos ChaosEngine per scenario, followed to its ChaosResult verdict.

:func:`render_engine` turns a catalog scenario into a ``litmuschaos.io/v1alpha1`` ChaosEngine:

=====================  ================================================================
catalog fault          Litmus experiment (``components.env``)
=====================  ================================================================
pod-delete             ``pod-delete`` (TOTAL_CHAOS_DURATION, CHAOS_INTERVAL, FORCE)
pod-cpu-hog            ``pod-cpu-hog`` (CPU_CORES, TOTAL_CHAOS_DURATION, runtime, socket)
pod-network-latency    ``pod-network-latency`` (NETWORK_LATENCY, JITTER, DESTINATION_HOSTS)
fault-flags            ``pod-http-status-code`` (error_rate: STATUS_CODE=500, TOXICITY %)
                       and/or ``pod-http-latency`` (latency_ms: LATENCY, TOXICITY=100) —
                       the same 5xx share / added latency at the pod's HTTP port
=====================  ================================================================

The scenario's probes go into the engine, so Litmus judges the hypothesis in the cluster too:
HTTP checks become ``httpProbe`` and Prometheus queries ``promProbe`` (a ``range`` tolerance
becomes a ``>=`` and a ``<=`` probe); the phases map onto Litmus modes (before -> SOT,
after -> EOT, both -> Edge, during -> OnChaos, all three -> Continuous). Safeguards become
Continuous probes with ``stopOnFailure``: Litmus stops the experiment itself when one fails, and
the runner patches ``engineState: stop`` when its own safeguard sampling trips.

:class:`LitmusInjection` creates the engine, reads ``<engine>-<experiment>`` ChaosResults until
each has a final verdict (Pass, Fail, Stopped, Error) and stops the engine on abort; the probe
success percentage of every result is Litmus' resilience score for the run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from kindops.endpoints import IN_CLUSTER
from kindops.errors import ConfigError, DependencyError
from kindops.gameday.catalog import (
    FlagsFault,
    HttpProbe,
    PodCpuHog,
    PodDelete,
    PodNetworkLatency,
    PrometheusProbe,
    Scenario,
)
from kindops.gameday.settings import GamedaySettings

log = logging.getLogger("kindops.gameday")

GROUP = "litmuschaos.io"
VERSION = "v1alpha1"
FINAL_VERDICTS = frozenset({"Pass", "Fail", "Stopped", "Error"})
MODES = {
    frozenset({"before"}): "SOT",
    frozenset({"after"}): "EOT",
    frozenset({"before", "after"}): "Edge",
    frozenset({"during"}): "OnChaos",
}


def _env(values: dict[str, object]) -> list[dict[str, str]]:
    return [{"name": k, "value": str(v)} for k, v in values.items()]


def _seconds(value: float) -> int:
    return max(1, round(value))


def experiments(scenario: Scenario, settings: GamedaySettings) -> list[tuple[str, dict[str, Any]]]:
    """``(experiment name, env)`` of each Litmus experiment the scenario's fault needs."""
    fault = scenario.fault
    duration = _seconds(fault.duration)
    runtime = {
        "CONTAINER_RUNTIME": settings.gameday_container_runtime,
        "SOCKET_PATH": settings.gameday_socket_path,
    }
    if isinstance(fault, PodDelete):
        return [
            (
                "pod-delete",
                {
                    "TOTAL_CHAOS_DURATION": duration,
                    "CHAOS_INTERVAL": _seconds(fault.interval),
                    "FORCE": str(fault.force).lower(),
                },
            )
        ]
    if isinstance(fault, PodCpuHog):
        return [
            (
                "pod-cpu-hog",
                {"TOTAL_CHAOS_DURATION": duration, "CPU_CORES": fault.cores, **runtime},
            )
        ]
    if isinstance(fault, PodNetworkLatency):
        env: dict[str, Any] = {
            "TOTAL_CHAOS_DURATION": duration,
            "NETWORK_LATENCY": fault.latency_ms,
            "JITTER": fault.jitter_ms,
            **runtime,
        }
        if fault.destination_hosts:
            env["DESTINATION_HOSTS"] = fault.destination_hosts
        return [("pod-network-latency", env)]
    assert isinstance(fault, FlagsFault)
    flags = fault.flags
    if flags.worker_slow_ms:
        raise ConfigError(
            f"{scenario.name}: worker_slow_ms has no Litmus equivalent; in the cluster describe "
            "a slow dependency as pod-network-latency"
        )
    port = scenario.target.port
    found: list[tuple[str, dict[str, Any]]] = []
    if flags.error_rate:
        found.append(
            (
                "pod-http-status-code",
                {
                    "TOTAL_CHAOS_DURATION": duration,
                    "TARGET_SERVICE_PORT": port,
                    "STATUS_CODE": 500,
                    "MODIFY_RESPONSE_BODY": "false",
                    "TOXICITY": max(1, round(flags.error_rate * 100)),
                    **runtime,
                },
            )
        )
    if flags.latency_ms:
        found.append(
            (
                "pod-http-latency",
                {
                    "TOTAL_CHAOS_DURATION": duration,
                    "TARGET_SERVICE_PORT": port,
                    "LATENCY": flags.latency_ms,
                    "TOXICITY": 100,
                    **runtime,
                },
            )
        )
    return found


def _mode(phases: tuple[str, ...]) -> str:
    return MODES.get(frozenset(phases), "Continuous")


def _run_properties(
    timeout: float, interval: float, attempts: int = 1, stop: bool = False
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "probeTimeout": f"{_seconds(timeout)}s",
        "interval": f"{_seconds(interval)}s",
        "attempt": attempts,
    }
    if stop:
        props["stopOnFailure"] = True
    return props


def _litmus_probe(
    probe: HttpProbe | PrometheusProbe,
    settings: GamedaySettings,
    mode: str,
    props: dict[str, Any],
) -> list[dict[str, Any]]:
    if isinstance(probe, HttpProbe):
        return [
            {
                "name": probe.name,
                "type": "httpProbe",
                "mode": mode,
                "runProperties": props,
                "httpProbe/inputs": {
                    "url": settings.app_url(probe.app) + probe.path,
                    "method": {"get": {"criteria": "==", "responseCode": str(probe.status)}},
                },
            }
        ]
    query = probe.rendered(settings.gameday_probe_window)
    # Litmus runs the probe in the cluster: the lab's Prometheus there unless one is configured.
    endpoint = settings.prometheus_url or IN_CLUSTER["prometheus"]
    bounds = [(">=", probe.tolerance.low, "low"), ("<=", probe.tolerance.high, "high")]
    given = [(c, v, s) for c, v, s in bounds if v is not None]
    return [
        {
            "name": probe.name if len(given) == 1 else f"{probe.name}-{suffix}",
            "type": "promProbe",
            "mode": mode,
            "runProperties": props,
            "promProbe/inputs": {
                "endpoint": endpoint,
                "query": query,
                "comparator": {"criteria": criteria, "value": f"{value:g}"},
            },
        }
        for criteria, value, suffix in given
    ]


def engine_probes(scenario: Scenario, settings: GamedaySettings) -> list[dict[str, Any]]:
    probes: list[dict[str, Any]] = []
    steady = scenario.steady_state
    for probe in steady.probes:
        props = _run_properties(probe.timeout, steady.interval)
        probes += _litmus_probe(probe, settings, _mode(probe.phases), props)
    guards = scenario.safeguards
    for probe in guards.probes:
        props = _run_properties(probe.timeout, guards.interval, guards.consecutive, stop=True)
        probes += _litmus_probe(probe, settings, "Continuous", props)
    return probes


def engine_name(scenario: Scenario, at: datetime | None = None) -> str:
    stamp = (at or datetime.now(UTC)).strftime("%m%d%H%M%S")
    return f"gd-{scenario.name[:40]}-{stamp}"


def render_engine(
    scenario: Scenario, settings: GamedaySettings, name: str | None = None, run_key: str = ""
) -> dict[str, Any]:
    """The ChaosEngine of ``scenario`` (a plain dict, ready for the API or ``kubectl apply``)."""
    target = scenario.target
    probes = engine_probes(scenario, settings)
    exps = []
    for i, (experiment, env) in enumerate(experiments(scenario, settings)):
        spec: dict[str, Any] = {"components": {"env": _env(env)}}
        if i == 0:
            spec["probe"] = probes  # judged once, on the first experiment
        exps.append({"name": experiment, "spec": spec})
    labels = {
        "app.kubernetes.io/part-of": "kindops-lab",
        "app.kubernetes.io/managed-by": "kindops-gameday",
        "kindops.io/scenario": scenario.name,
    }
    if run_key:
        labels["kindops.io/run"] = run_key[:63].strip("-_.")
    appinfo = {"appns": target.namespace, "applabel": target.labels, "appkind": target.kind}
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ChaosEngine",
        "metadata": {
            "name": name or engine_name(scenario),
            "namespace": target.namespace,
            "labels": labels,
        },
        "spec": {
            "engineState": "active",
            "appinfo": appinfo,
            "chaosServiceAccount": settings.gameday_chaos_service_account,
            "jobCleanUpPolicy": "retain",
            "experiments": exps,
        },
    }


@dataclass
class ResultStatus:
    experiment: str
    verdict: str = "Awaited"
    phase: str = ""
    probe_success_percentage: float | None = None
    fail_step: str = ""
    probe_statuses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.verdict in FINAL_VERDICTS

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "verdict": self.verdict,
            "phase": self.phase,
            "probe_success_percentage": self.probe_success_percentage,
            "fail_step": self.fail_step,
            "probe_statuses": self.probe_statuses,
        }


def parse_result(experiment: str, doc: dict[str, Any]) -> ResultStatus:
    status = doc.get("status") or {}
    exp = status.get("experimentStatus") or {}
    raw = exp.get("probeSuccessPercentage")
    try:
        pct = float(raw) if raw not in (None, "", "Awaited") else None
    except (TypeError, ValueError):
        pct = None
    return ResultStatus(
        experiment,
        str(exp.get("verdict") or "Awaited"),
        str(exp.get("phase") or ""),
        pct,
        str(exp.get("failStep") or ""),
        list(status.get("probeStatuses") or []),
    )


class LitmusApi:
    """The few calls the cluster runner makes (and the RBAC in gameday-rbac.yaml allows)."""

    def __init__(self, api: k8s_client.ApiClient, timeout: float = 15.0) -> None:
        self.api = api
        self.custom = k8s_client.CustomObjectsApi(api)
        self.timeout = timeout
        self.server = api.configuration.host

    def _fail(self, what: str, exc: Exception) -> DependencyError | ConfigError:
        if isinstance(exc, ApiException):
            if exc.status in (401, 403):
                return ConfigError(
                    f"{what}: {exc.status} {exc.reason} (service account kindops-gameday lacks "
                    "the permission; see gitops/platform/kindops-jobs/gameday-rbac.yaml)"
                )
            return DependencyError(f"{what}: {exc.status} {exc.reason} from {self.server}")
        return DependencyError(f"{what}: Kubernetes API at {self.server} is unreachable: {exc}")

    def experiment_installed(self, namespace: str, name: str) -> bool:
        try:
            self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosexperiments", name, _request_timeout=self.timeout
            )
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise self._fail(f"reading ChaosExperiment {namespace}/{name}", exc) from None
        except Exception as exc:
            raise self._fail(f"reading ChaosExperiment {namespace}/{name}", exc) from None
        return True

    def create_engine(self, engine: dict[str, Any]) -> dict[str, Any]:
        ns = engine["metadata"]["namespace"]
        try:
            created: dict[str, Any] = self.custom.create_namespaced_custom_object(
                GROUP, VERSION, ns, "chaosengines", engine, _request_timeout=self.timeout
            )
        except Exception as exc:
            raise self._fail(f"creating ChaosEngine {engine['metadata']['name']}", exc) from None
        return created

    def stop_engine(self, namespace: str, name: str) -> dict[str, Any]:
        try:
            patched: dict[str, Any] = self.custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                namespace,
                "chaosengines",
                name,
                {"spec": {"engineState": "stop"}},
                _request_timeout=self.timeout,
            )
        except Exception as exc:
            raise self._fail(f"stopping ChaosEngine {namespace}/{name}", exc) from None
        return patched

    def get_engine(self, namespace: str, name: str) -> dict[str, Any]:
        try:
            doc: dict[str, Any] = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosengines", name, _request_timeout=self.timeout
            )
        except Exception as exc:
            raise self._fail(f"reading ChaosEngine {namespace}/{name}", exc) from None
        return doc

    def get_result(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosresults", name, _request_timeout=self.timeout
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self._fail(f"reading ChaosResult {namespace}/{name}", exc) from None
        except Exception as exc:
            raise self._fail(f"reading ChaosResult {namespace}/{name}", exc) from None
        return doc

    def abort_rollout(self, namespace: str, name: str) -> dict[str, Any]:
        """``kubectl argo rollouts abort``: ``status.abort=true`` (status subresource first)."""
        body = {"status": {"abort": True}}
        try:
            try:
                doc: dict[str, Any] = self.custom.patch_namespaced_custom_object_status(
                    "argoproj.io",
                    "v1alpha1",
                    namespace,
                    "rollouts",
                    name,
                    body,
                    _request_timeout=self.timeout,
                )
            except ApiException as exc:
                if exc.status != 404:
                    raise
                doc = self.custom.patch_namespaced_custom_object(
                    "argoproj.io",
                    "v1alpha1",
                    namespace,
                    "rollouts",
                    name,
                    body,
                    _request_timeout=self.timeout,
                )
        except Exception as exc:
            raise self._fail(f"aborting Rollout {namespace}/{name}", exc) from None
        return {
            "rollout": f"{namespace}/{name}",
            "abort": bool((doc.get("status") or {}).get("abort", True)),
        }


class LitmusInjection:
    """One ChaosEngine: ``start`` creates it, ``tick`` reads its results, ``stop`` stops it."""

    def __init__(self, api: LitmusApi, engine: dict[str, Any]) -> None:
        self.api = api
        self.engine = engine
        self.namespace = str(engine["metadata"]["namespace"])
        self.name = str(engine["metadata"]["name"])
        self.experiments = [str(e["name"]) for e in engine["spec"]["experiments"]]
        self.results: dict[str, ResultStatus] = {e: ResultStatus(e) for e in self.experiments}
        self._created = False
        self._stopped = False

    @property
    def active(self) -> bool:
        return self._created and not self._stopped and not self.final

    @property
    def final(self) -> bool:
        return all(r.final for r in self.results.values())

    def preflight(self) -> None:
        missing = [
            e for e in self.experiments if not self.api.experiment_installed(self.namespace, e)
        ]
        if missing:
            raise ConfigError(
                f"ChaosExperiment {', '.join(missing)} not installed in {self.namespace} "
                "(install the Litmus experiments from the chart hub first)"
            )

    def start(self) -> dict[str, Any]:
        self.preflight()
        created = self.api.create_engine(self.engine)
        self._created = True
        uid = (created.get("metadata") or {}).get("uid", "")
        return {
            "engine": f"{self.namespace}/{self.name}",
            "uid": uid,
            "experiments": self.experiments,
        }

    def poll(self) -> dict[str, ResultStatus]:
        for exp in self.experiments:
            doc = self.api.get_result(self.namespace, f"{self.name}-{exp}")
            if doc is not None:
                self.results[exp] = parse_result(exp, doc)
        return self.results

    def tick(self) -> dict[str, Any] | None:
        before = {e: r.verdict for e, r in self.results.items()}
        self.poll()
        after = {e: r.verdict for e, r in self.results.items()}
        return {"verdicts": after} if after != before else None

    def wait_final(self, timeout: float, poll_seconds: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if self.final:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_seconds)

    def stop(self, reason: str) -> dict[str, Any]:
        if not self._created:
            return {"engine": self.name, "stopped": False, "reason": "not created"}
        if self._stopped or self.final:
            return {"engine": self.name, "stopped": False, "reason": "already finished"}
        self.api.stop_engine(self.namespace, self.name)
        self._stopped = True
        return {"engine": f"{self.namespace}/{self.name}", "engineState": "stop", "reason": reason}

    def resilience_score(self) -> float | None:
        """Litmus' resilience score: the mean probe success percentage of the experiments."""
        values = [r.probe_success_percentage for r in self.results.values()]
        known = [v for v in values if v is not None]
        return round(sum(known) / len(known), 2) if known else None

    def summary(self) -> dict[str, Any]:
        return {
            "engine": f"{self.namespace}/{self.name}",
            "results": {e: r.to_dict() for e, r in self.results.items()},
            "resilience_score": self.resilience_score(),
            "stopped_by_runner": self._stopped,
        }


def settle(injection: object, timeout: float, poll_seconds: float) -> dict[str, Any]:
    """After the fault: wait (bounded) for every final verdict; Fail/Error/none deviate."""
    if not isinstance(injection, LitmusInjection):
        raise TypeError("the cluster runner settles LitmusChaos injections only")
    final = injection.final or injection.wait_final(timeout, poll_seconds)
    deviations = []
    for name, result in injection.results.items():
        if result.verdict in ("Fail", "Error"):
            step = f" (failed step: {result.fail_step})" if result.fail_step else ""
            deviations.append(f"Litmus verdict {result.verdict} for {name}{step}")
        elif not result.final:
            deviations.append(f"no Litmus verdict for {name} within {timeout:g}s")
    return {"summary": {**injection.summary(), "final": final}, "deviations": deviations}
