"""Test helpers for the game-day jobs: real HTTP servers on loopback.

* :class:`FakeKube` — a Kubernetes API server that plays the Litmus chaos operator for
  ChaosEngines created through it: the ChaosResult ``<engine>-<experiment>`` appears a few reads
  after the engine, runs (``Awaited``), and reaches ``Pass`` after ``reads_to_verdict`` more
  reads — unless the engine is patched to ``engineState: stop`` first (verdict ``Stopped``). It
  also serves ``kube-public/cluster-info`` (the guard's identity check), ChaosExperiments and
  Argo Rollouts (``status.abort`` patches), and records every request.
* :class:`Recorder` — a tiny HTTP server answering with a programmable status per path and
  recording requests (the Grafana annotations API, a flippable health endpoint, an app that
  must NOT be called).
* :class:`ArgoCdState` / :func:`fake_argocd` — Argo CD's API server for Applications: ``GET
  /api/v1/applications/{name}`` and ``POST .../rollback`` with Argo CD's own rules (bearer token,
  no rollback while auto-sync is on, the id must be in ``status.history``, one operation at a
  time), grpc-gateway error bodies, and a controller that completes the sync operation a few
  reads later (``status.operationState``, a new history entry).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.http import JsonHandler, serve

LITMUS = "/apis/litmuschaos.io/v1alpha1/namespaces/"
ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/"


def cluster_info(server: str) -> dict[str, Any]:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "", "cluster": {"server": server, "certificate-authority-data": "LS0tLQ=="}}
        ],
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cluster-info", "namespace": "kube-public"},
        "data": {"kubeconfig": yaml.safe_dump(kubeconfig)},
    }


@dataclass
class KubeState:
    identity: str = "https://kindops-control-plane:6443"
    cluster_info_status: int = 200
    experiments: set[str] = field(
        default_factory=lambda: {
            "pod-delete",
            "pod-cpu-hog",
            "pod-network-latency",
            "pod-http-status-code",
            "pod-http-latency",
        }
    )
    reads_to_appear: int = 1
    reads_to_verdict: int = 3
    final_verdict: str = "Pass"
    engines: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    rollouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] in ("POST", "PATCH", "PUT", "DELETE")]


class _KubeHandler(JsonHandler):
    state: KubeState

    def _status(self, code: int, reason: str, message: str) -> None:
        self.send_json(
            code,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": reason,
                "message": message,
                "code": code,
            },
        )

    def _record(self, body: Any = None) -> None:
        with self.state.lock:
            self.state.requests.append((self.command, self.path.split("?")[0], body))

    def do_GET(self) -> None:
        self._record()
        path = self.path.split("?")[0]
        s = self.state
        if path == "/api/v1/namespaces/kube-public/configmaps/cluster-info":
            if s.cluster_info_status != 200:
                self._status(s.cluster_info_status, "Forbidden", "cluster-info is not readable")
                return
            self.send_json(200, cluster_info(s.identity))
            return
        if path.startswith(LITMUS):
            ns, plural, name = path[len(LITMUS) :].split("/")
            if plural == "chaosexperiments":
                if name in s.experiments:
                    self.send_json(
                        200,
                        {
                            "apiVersion": "litmuschaos.io/v1alpha1",
                            "kind": "ChaosExperiment",
                            "metadata": {"name": name, "namespace": ns},
                        },
                    )
                else:
                    self._status(404, "NotFound", f"chaosexperiments {name} not found")
                return
            if plural == "chaosengines" and name in s.engines:
                self.send_json(200, s.engines[name])
                return
            if plural == "chaosresults":
                self._result(ns, name)
                return
        self._status(404, "NotFound", f"{path} not found")

    def _result(self, ns: str, name: str) -> None:
        s = self.state
        with s.lock:
            engine = next((e for n, e in s.engines.items() if name.startswith(n + "-")), None)
            if engine is None:
                self._status(404, "NotFound", f"chaosresults {name} not found")
                return
            s.reads[name] = s.reads.get(name, 0) + 1
            reads = s.reads[name]
            stopped = engine["spec"].get("engineState") == "stop"
        if reads <= s.reads_to_appear and not stopped:
            self._status(404, "NotFound", f"chaosresults {name} not found")
            return
        if stopped:
            verdict, phase, pct = "Stopped", "Completed", "0"
        elif reads > s.reads_to_appear + s.reads_to_verdict:
            verdict, phase = s.final_verdict, "Completed"
            pct = "100" if s.final_verdict == "Pass" else "50"
        else:
            verdict, phase, pct = "Awaited", "Running", "Awaited"
        exp = name[len(engine["metadata"]["name"]) + 1 :]
        self.send_json(
            200,
            {
                "apiVersion": "litmuschaos.io/v1alpha1",
                "kind": "ChaosResult",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"engine": engine["metadata"]["name"], "experiment": exp},
                "status": {
                    "experimentStatus": {
                        "phase": phase,
                        "verdict": verdict,
                        "probeSuccessPercentage": pct,
                        "failStep": "" if verdict != "Fail" else "probe failed",
                    },
                    "probeStatuses": [
                        {"name": "api-ready", "type": "httpProbe", "status": {"verdict": "Passed"}}
                    ],
                },
            },
        )

    def do_POST(self) -> None:
        body = self.read_json()
        self._record(body)
        path = self.path.split("?")[0]
        if path.startswith(LITMUS) and path.endswith("/chaosengines"):
            name = body["metadata"]["name"]
            created = copy.deepcopy(body)
            created["metadata"]["uid"] = f"uid-{name}"
            with self.state.lock:
                if name in self.state.engines:
                    self._status(409, "AlreadyExists", f"chaosengines {name} already exists")
                    return
                self.state.engines[name] = created
            self.send_json(201, created)
            return
        self._status(404, "NotFound", f"{path} not found")

    def do_PATCH(self) -> None:
        body = self.read_json()
        self._record(body)
        path = self.path.split("?")[0]
        s = self.state
        if path.startswith(LITMUS):
            _ns, plural, name = path[len(LITMUS) :].split("/")
            if plural == "chaosengines" and name in s.engines:
                with s.lock:
                    s.engines[name]["spec"].update((body or {}).get("spec", {}))
                self.send_json(200, s.engines[name])
                return
        if path.startswith(ROLLOUTS):
            parts = path[len(ROLLOUTS) :].split("/")
            ns, name = parts[0], parts[2]
            with s.lock:
                rollout = s.rollouts.setdefault(
                    name,
                    {
                        "apiVersion": "argoproj.io/v1alpha1",
                        "kind": "Rollout",
                        "metadata": {"name": name, "namespace": ns},
                        "status": {},
                    },
                )
                rollout["status"].update((body or {}).get("status", {}))
            self.send_json(200, rollout)
            return
        self._status(404, "NotFound", f"{path} not found")


@contextmanager
def fake_kube(state: KubeState | None = None) -> Iterator[tuple[str, KubeState]]:
    st = state or KubeState()
    with serve(type("Handler", (_KubeHandler,), {"state": st})) as url:
        yield url, st


def write_kubeconfig(
    path: Path,
    server: str,
    context: str = "kind-kindops",
    cluster: str | None = None,
    current: str | None = None,
) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster or context, "cluster": {"server": server}}],
        "users": [{"name": context, "user": {"token": "t0ken"}}],
        "contexts": [
            {"name": context, "context": {"cluster": cluster or context, "user": context}}
        ],
        "current-context": context if current is None else current,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


# -- Argo CD ---------------------------------------------------------------------------------------
ARGOCD_TOKEN = "argocd-api-token-of-the-gameday-account"
ARGOCD_APPS = "/api/v1/applications/"


def _stamp(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00Z"


def argocd_app(
    name: str, revisions: list[str], automated: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An Application as Argo CD's API answers it, synced once per revision (ids 1..n)."""
    source = {
        "repoURL": "https://git.kindops.test/kindops-lab.git",
        "path": f"gitops/apps/{name}",
        "targetRevision": "HEAD",
    }
    policy: dict[str, Any] = {"syncOptions": ["CreateNamespace=true"]}
    if automated is not None:
        policy["automated"] = automated
    history = [
        {
            "id": i,
            "revision": rev,
            "deployStartedAt": _stamp(i),
            "deployedAt": _stamp(i),
            "source": source,
            "initiatedBy": {"username": "admin"},
        }
        for i, rev in enumerate(revisions, start=1)
    ]
    last = revisions[-1]
    return {
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "apps"},
            "syncPolicy": policy,
        },
        "status": {
            "sync": {"status": "Synced", "revision": last},
            "health": {"status": "Healthy"},
            "history": history,
            "operationState": {
                "operation": {"sync": {"revision": last}},
                "phase": "Succeeded",
                "message": "successfully synced (all tasks run)",
                "startedAt": _stamp(len(revisions)),
                "finishedAt": _stamp(len(revisions)),
                "syncResult": {"revision": last},
            },
        },
    }


@dataclass
class ArgoCdState:
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    token: str = ARGOCD_TOKEN
    #: reads of the Application after a rollback before the controller finishes the operation
    reads_to_finish: int = 2
    final_phase: str = "Succeeded"
    #: called with (application, revision) when a rollback is accepted
    on_rollback: Any = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["method"] == method]


class _ArgoCdHandler(JsonHandler):
    state: ArgoCdState

    def _error(self, status: int, code: int, message: str) -> None:
        """grpc-gateway's error body, as Argo CD's API server writes it."""
        self.send_json(status, {"error": message, "code": code, "message": message})

    def _begin(self) -> tuple[str, str, Any] | None:
        body = self.read_json()
        path = self.path.split("?")[0]
        with self.state.lock:
            self.state.requests.append(
                {
                    "method": self.command,
                    "path": path,
                    "authorization": self.headers.get("Authorization"),
                    "body": body,
                }
            )
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            self._error(401, 16, "invalid session: token signature is invalid")
            return None
        if not path.startswith(ARGOCD_APPS):
            self._error(404, 5, f"{path} not found")
            return None
        name, _, action = path[len(ARGOCD_APPS) :].partition("/")
        return name, action, body

    def _finish_operation(self, name: str, app: dict[str, Any]) -> None:
        """The controller: a pending rollback completes after ``reads_to_finish`` reads."""
        s = self.state
        if name not in s.pending:
            return
        s.pending[name] -= 1
        operation = app["operation"]
        status = app["status"]
        revision = operation["sync"]["revision"]
        if s.pending[name] > 0:
            status["operationState"] = {
                "operation": operation,
                "phase": "Running",
                "message": "one or more tasks are running",
                "startedAt": "2026-11-26T10:30:00Z",
            }
            return
        del s.pending[name]
        app.pop("operation", None)
        status["operationState"] = {
            "operation": operation,
            "phase": s.final_phase,
            "message": "successfully synced (all tasks run)"
            if s.final_phase == "Succeeded"
            else "one or more objects failed to apply: Deployment.apps app-python is invalid",
            "startedAt": "2026-11-26T10:30:00Z",
            "finishedAt": "2026-11-26T10:30:05Z",
            "syncResult": {"revision": revision},
        }
        if s.final_phase == "Succeeded":
            entries = status["history"]
            entries.append(
                {
                    **entries[-1],
                    "id": entries[-1]["id"] + 1,
                    "revision": revision,
                    "deployedAt": "2026-11-26T10:30:05Z",
                }
            )
            status["sync"] = {"status": "OutOfSync", "revision": revision}

    def do_GET(self) -> None:
        parsed = self._begin()
        if parsed is None:
            return
        name, action, _ = parsed
        with self.state.lock:
            app = self.state.apps.get(name)
            if app is None or action:
                self._error(403, 7, "permission denied")
                return
            self._finish_operation(name, app)
            doc = copy.deepcopy(app)
        self.send_json(200, doc)

    def do_POST(self) -> None:
        parsed = self._begin()
        if parsed is None:
            return
        name, action, body = parsed
        s = self.state
        with s.lock:
            app = s.apps.get(name)
            if app is None or action != "rollback":
                self._error(403, 7, "permission denied")
                return
            policy = app["spec"].get("syncPolicy") or {}
            auto = policy.get("automated")
            if auto is not None and auto.get("enabled", True):
                self._error(400, 9, "rollback cannot be initiated when auto-sync is enabled")
                return
            wanted = (body or {}).get("id")
            entry = next((h for h in app["status"]["history"] if h["id"] == wanted), None)
            if entry is None:
                self._error(400, 3, f"application {name} does not have deployment with id {wanted}")
                return
            if app.get("operation") or name in s.pending:
                self._error(400, 9, "another operation is already in progress")
                return
            app["operation"] = {
                "sync": {
                    "revision": entry["revision"],
                    "prune": bool((body or {}).get("prune")),
                    "dryRun": bool((body or {}).get("dryRun")),
                    "syncStrategy": {"apply": {}},
                },
                "initiatedBy": {"username": "kindops-gameday"},
            }
            s.pending[name] = s.reads_to_finish
            doc = copy.deepcopy(app)
        if s.on_rollback is not None:
            s.on_rollback(name, entry["revision"])
        self.send_json(200, doc)


@contextmanager
def fake_argocd(state: ArgoCdState | None = None) -> Iterator[tuple[str, ArgoCdState]]:
    st = state or ArgoCdState()
    with serve(type("Handler", (_ArgoCdHandler,), {"state": st})) as url:
        yield url, st
