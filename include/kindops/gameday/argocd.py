"""The cluster runner's Argo CD rollback: an Application back to the revision of its previous sync.

Argo CD's REST API (the API server's ``/api/v1``, a bearer token of an Argo CD account that may
``get`` and ``sync`` the Application):

* ``GET /api/v1/applications/{name}`` answers the Application. ``status.history`` is its sync
  history, oldest first: ``id``, ``revision`` (``revisions`` for a multi-source Application),
  ``deployedAt``, ``source``;
* ``POST /api/v1/applications/{name}/rollback`` with ``{"name", "id", "prune", "dryRun"}`` starts a
  sync operation to the revision of history entry ``id`` and answers the Application;
  ``status.operationState`` then follows that operation to ``Succeeded``, ``Failed`` or
  ``Error``.

Argo CD refuses to roll back an Application that syncs automatically
(``spec.syncPolicy.automated`` set and not ``enabled: false``): its controller would sync Git's
head again at once. :func:`plan` refuses such an Application before anything is injected, and
:func:`rollback` checks again before the request.

The target is the latest history entry before the current one whose revision differs from the
current revision (a re-sync of the same commit adds an entry too, and rolling back to it would
change nothing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

import requests

from kindops.errors import ConfigError, DependencyError

log = logging.getLogger("kindops.gameday")

FINAL_PHASES = frozenset({"Succeeded", "Failed", "Error"})


@dataclass(frozen=True)
class Deployment:
    """One entry of an Application's sync history."""

    id: int
    revision: str
    deployed_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ArgoCdApi:
    """The two calls the rollback needs, with errors that say what to fix."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        verify: bool | str = True,
        timeout: float = 15.0,
    ) -> None:
        if not token:
            raise ConfigError(
                "KINDOPS_GAMEDAY_ARGOCD_TOKEN is not set: the Argo CD rollback needs an API token "
                "of an account allowed to get and sync the Application"
            )
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.verify = verify

    def _call(
        self, method: str, name: str, suffix: str = "", body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        what = f"{method} application {name}{suffix}"
        url = f"{self.url}/api/v1/applications/{quote(name, safe='')}{suffix}"
        try:
            response = self.session.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DependencyError(f"Argo CD at {self.url} is unreachable: {exc}") from None
        if response.status_code == 200:
            try:
                doc = response.json()
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise DependencyError(f"Argo CD answered {what} with something not JSON")
            return doc
        message = _message(response)
        if response.status_code == 401:
            raise ConfigError(
                f"Argo CD refused the token (401) for {what}: set KINDOPS_GAMEDAY_ARGOCD_TOKEN "
                "to a valid API token"
            )
        if response.status_code == 403:
            raise ConfigError(
                f"Argo CD denied {what} (403: {message}): the account needs 'applications, get' "
                f"and 'applications, sync' on {name}, and the Application must exist"
            )
        if response.status_code == 404:
            raise ConfigError(f"Argo CD has no Application {name} (404: {message})")
        if 400 <= response.status_code < 500:
            raise ConfigError(f"Argo CD refused {what} ({response.status_code}): {message}")
        raise DependencyError(f"Argo CD answered {response.status_code} to {what}: {message}")

    def application(self, name: str) -> dict[str, Any]:
        return self._call("GET", name)

    def rollback(self, name: str, history_id: int, prune: bool) -> dict[str, Any]:
        body = {"name": name, "id": history_id, "prune": prune, "dryRun": False}
        return self._call("POST", name, "/rollback", body)


def _message(response: requests.Response) -> str:
    """grpc-gateway errors are ``{"error", "code", "message"}``; anything else: the text."""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        text = doc.get("message") or doc.get("error")
        if text:
            return str(text)[:300]
    return response.text.strip()[:300] or response.reason


def automated(app: dict[str, Any]) -> bool:
    """Argo CD's own test: ``automated`` is set and not explicitly ``enabled: false``."""
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    auto = policy.get("automated")
    if auto is None:
        return False
    return not isinstance(auto, dict) or auto.get("enabled", True) is not False


def history(app: dict[str, Any]) -> list[Deployment]:
    """The sync history, oldest first (ids may come as numbers or numeric strings)."""
    out: list[Deployment] = []
    for entry in (app.get("status") or {}).get("history") or []:
        try:
            history_id = int(entry.get("id"))
        except (TypeError, ValueError):
            continue
        revision = entry.get("revision") or ",".join(entry.get("revisions") or [])
        out.append(Deployment(history_id, str(revision), str(entry.get("deployedAt") or "")))
    return sorted(out, key=lambda d: d.id)


def plan(api: ArgoCdApi, name: str) -> dict[str, Any]:
    """What the rollback would do now; refuses (ConfigError) when it could not be done."""
    return _plan(api.application(name), name)


def _plan(app: dict[str, Any], name: str) -> dict[str, Any]:
    if automated(app):
        raise ConfigError(
            f"Argo CD Application {name} syncs automatically, and Argo CD refuses to roll back "
            "such an Application (its controller would sync Git's head again): name only "
            "manually synced Applications in rollback.cluster.argocd, or roll back with a git "
            "revert"
        )
    deployments = history(app)
    if not deployments:
        raise ConfigError(f"Argo CD Application {name} has no sync history to roll back in")
    current = deployments[-1]
    earlier = [d for d in deployments[:-1] if d.revision != current.revision]
    if not earlier:
        entries = f"{len(deployments)} entr{'y' if len(deployments) == 1 else 'ies'}"
        raise ConfigError(
            f"Argo CD Application {name} has no earlier revision than {current.revision} in its "
            f"sync history ({entries})"
        )
    return {"application": name, "from": current.to_dict(), "to": earlier[-1].to_dict()}


def _operation(app: dict[str, Any]) -> dict[str, str]:
    """The Application's last operation: phase, revision, message, startedAt."""
    state = (app.get("status") or {}).get("operationState") or {}
    sync = (state.get("operation") or {}).get("sync") or {}
    revision = sync.get("revision") or (state.get("syncResult") or {}).get("revision") or ""
    return {
        "phase": str(state.get("phase") or ""),
        "revision": str(revision),
        "message": str(state.get("message") or ""),
        "started_at": str(state.get("startedAt") or ""),
    }


def rollback(
    api: ArgoCdApi,
    name: str,
    prune: bool,
    wait: float,
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Roll ``name`` back to its previous revision; follow the operation for up to ``wait`` s.

    Raises when Argo CD refuses or the operation ends ``Failed``/``Error``; an operation still
    running after ``wait`` is reported as such (the after-rollback probes judge the service).
    """
    app = api.application(name)
    target = _plan(app, name)
    to = target["to"]
    previous = _operation(app)["started_at"]
    answered = api.rollback(name, int(to["id"]), prune)
    requested = ((answered.get("operation") or {}).get("sync") or {}).get("revision")
    log.info(
        "Argo CD rollback requested",
        extra={"application": name, "to_revision": to["revision"], "history_id": to["id"]},
    )
    deadline = time.monotonic() + wait
    operation = {"phase": "Requested", "message": "", "started_at": ""}
    while True:
        seen = _operation(api.application(name))
        if seen["phase"] and seen["started_at"] != previous and seen["revision"] == to["revision"]:
            operation = seen
            if seen["phase"] in FINAL_PHASES:
                break
        if time.monotonic() >= deadline:
            break
        sleep(min(poll_seconds, max(0.05, deadline - time.monotonic())))
    if operation["phase"] in ("Failed", "Error"):
        raise DependencyError(
            f"Argo CD rollback of {name} to {to['revision']} ended {operation['phase']}: "
            + (operation["message"] or "no message")
        )
    return {
        **target,
        "prune": prune,
        "requested_revision": requested or to["revision"],
        "operation": {k: operation[k] for k in ("phase", "message", "started_at")},
    }
