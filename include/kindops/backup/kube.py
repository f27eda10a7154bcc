"""A thin, generic Kubernetes API client over the official ``kubernetes`` package.

The official client brings configuration (kubeconfig, in-cluster service account, TLS, auth);
this module adds what a backup needs on top of it: discovery of every served kind, lists
paginated with ``limit`` + ``continue`` (restarting once on ``410 Gone``), server-side apply, and
errors mapped onto the CLI's exit codes (unreachable or timed out → exit 3 naming the server).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from kindops.errors import ConfigError, DependencyError

log = logging.getLogger(__name__)
APPLY_PATCH = "application/apply-patch+yaml"


class ApiError(Exception):
    """A non-2xx answer from the API server."""

    def __init__(self, status: int, reason: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details


@dataclass(frozen=True)
class ApiResource:
    """One listable kind, as discovery describes it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_label(self) -> str:
        return self.group or "core"

    @property
    def qualified(self) -> str:
        """``plural.group`` (just ``plural`` for the core group), as Velero names resources."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def names(self) -> set[str]:
        base = {self.plural, self.kind.lower(), *(s.lower() for s in self.short_names)}
        if self.singular:
            base.add(self.singular.lower())
        if self.group:
            base |= {f"{n}.{self.group}" for n in list(base)}
        return base

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            root += f"/namespaces/{namespace}"
        root += f"/{self.plural}"
        return f"{root}/{name}" if name else root


@dataclass
class Discovery:
    resources: list[ApiResource] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)


class KubeClient:
    """Generic JSON access to one API server."""

    def __init__(
        self,
        configuration: k8s_client.Configuration,
        *,
        timeout: float = 30.0,
        retries: int = 1,
        cluster_name: str = "",
    ) -> None:
        configuration.retries = urllib3.Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=0,
            redirect=0,
            backoff_factor=0.2,
            raise_on_status=False,
        )
        self.configuration = configuration
        self.api = k8s_client.ApiClient(configuration)
        self.timeout = timeout
        self.server = configuration.host
        self.cluster_name = cluster_name or "unknown"

    @classmethod
    def from_environment(
        cls,
        kubeconfig: str = "",
        context: str = "",
        *,
        timeout: float = 30.0,
        retries: int = 1,
    ) -> KubeClient:
        """Kubeconfig (``kubeconfig``, ``KUBECONFIG`` or ``~/.kube/config``), else in-cluster."""
        configuration = k8s_client.Configuration()
        path = (
            kubeconfig or os.environ.get("KUBECONFIG", "") or os.path.expanduser("~/.kube/config")
        )
        path = path.split(os.pathsep)[0]
        try:
            if kubeconfig or os.path.exists(path):
                k8s_config.load_kube_config(
                    config_file=path, context=context or None, client_configuration=configuration
                )
                contexts, active = k8s_config.list_kube_config_contexts(config_file=path)
                chosen = next((c for c in contexts if c["name"] == context), active)
                name = str((chosen or {}).get("context", {}).get("cluster", "")) or "kubeconfig"
            else:
                k8s_config.load_incluster_config(client_configuration=configuration)
                name = "in-cluster"
        except (ConfigException, OSError, ValueError, TypeError) as exc:
            where = path if (kubeconfig or os.path.exists(path)) else "in-cluster"
            raise ConfigError(
                f"kubernetes config ({where}): {exc}; set KINDOPS_KUBECONFIG or KUBECONFIG"
            ) from None
        return cls(configuration, timeout=timeout, retries=retries, cluster_name=name)

    # -- raw requests --------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> Any:
        """One API call returning the decoded JSON body; non-2xx raises :class:`ApiError`."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            resp = self.api.call_api(
                path,
                method,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=(self.timeout, self.timeout),
            )
            data = resp.data
        except ApiException as exc:
            raise self._api_error(exc) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._unreachable(exc) from None
        except OSError as exc:
            raise self._unreachable(exc) from None
        try:
            return json.loads(data) if data else {}
        except ValueError:
            raise DependencyError(
                f"kubernetes API {self.server}: {method} {path} did not answer JSON"
            ) from None

    def _unreachable(self, exc: BaseException) -> DependencyError:
        reason = getattr(exc, "reason", None) or exc
        refused = isinstance(reason, urllib3.exceptions.NewConnectionError)
        if not refused and isinstance(reason, (urllib3.exceptions.TimeoutError, TimeoutError)):
            return DependencyError(
                f"kubernetes API {self.server}: timed out after {self.timeout:g}s"
            )
        return DependencyError(f"kubernetes API {self.server}: unreachable ({reason})")

    def _api_error(self, exc: ApiException) -> Exception:
        status = int(exc.status or 0)
        if status == 0:
            return DependencyError(f"kubernetes API {self.server}: {exc.reason}")
        body: dict[str, Any] = {}
        try:
            parsed = json.loads(exc.body or "{}")
            if isinstance(parsed, dict):
                body = parsed
        except (TypeError, ValueError):
            pass
        message = str(body.get("message") or exc.reason or "")
        if status == 401:
            return ConfigError(
                f"kubernetes API {self.server}: 401 Unauthorized (check the credentials)"
            )
        return ApiError(
            status, str(body.get("reason") or exc.reason or ""), message, body.get("details") or {}
        )

    def get(self, path: str, query: list[tuple[str, str]] | None = None) -> Any:
        return self.request("GET", path, query)

    # -- discovery -----------------------------------------------------------------------------
    def discover(self) -> Discovery:
        """Every listable kind at its group's preferred version (``/api``, ``/apis``, ...)."""
        found = Discovery()
        try:
            core = self.get("/api")
            groups = self.get("/apis")
        except ApiError as exc:
            raise DependencyError(
                f"kubernetes API {self.server}: discovery failed: {exc}"
            ) from None
        docs: list[tuple[str, str, str]] = [
            ("", v, f"/api/{v}") for v in (core.get("versions") or [])[:1]
        ]
        for grp in groups.get("groups") or []:
            preferred = (grp.get("preferredVersion") or {}).get("version") or (
                (grp.get("versions") or [{}])[0].get("version")
            )
            if preferred:
                name = str(grp["name"])
                docs.append((name, str(preferred), f"/apis/{name}/{preferred}"))
        for group, version, path in docs:
            try:
                doc = self.get(path)
            except ApiError as exc:
                found.problems.append(
                    {"resource": f"{group or 'core'}/{version}", "reason": f"discovery: {exc}"}
                )
                log.warning("discovery failed", extra={"path": path, "error": str(exc)})
                continue
            for res in doc.get("resources") or []:
                name = str(res.get("name", ""))
                verbs = tuple(res.get("verbs") or ())
                if not name or "/" in name:
                    continue  # subresources (status, scale, log, ...)
                found.resources.append(
                    ApiResource(
                        group=group,
                        version=version,
                        plural=name,
                        kind=str(res.get("kind", "")),
                        namespaced=bool(res.get("namespaced")),
                        singular=str(res.get("singularName") or ""),
                        short_names=tuple(res.get("shortNames") or ()),
                        verbs=verbs,
                    )
                )
        return found

    # -- lists ---------------------------------------------------------------------------------
    def list_items(
        self,
        resource: ApiResource,
        namespace: str | None = None,
        label_selector: str = "",
        page_size: int = 500,
    ) -> list[dict[str, Any]]:
        """Every item of a list, page by page (``limit`` + ``continue``).

        A ``410 Gone`` on a continue token (the token expired) restarts the list once from the
        start, dropping what was read. Items carry ``apiVersion`` and ``kind`` (list items of
        built-in types omit them).
        """
        restarted = False
        while True:
            items: list[dict[str, Any]] = []
            token = ""
            try:
                while True:
                    query = [("limit", str(page_size))]
                    if label_selector:
                        query.append(("labelSelector", label_selector))
                    if token:
                        query.append(("continue", token))
                    doc = self.get(resource.path(namespace), query)
                    for item in doc.get("items") or []:
                        item.setdefault("apiVersion", resource.api_version)
                        item.setdefault("kind", resource.kind)
                        items.append(item)
                    token = str((doc.get("metadata") or {}).get("continue") or "")
                    if not token:
                        return items
            except ApiError as exc:
                if exc.status != 410 or not token:
                    raise
                if restarted:
                    raise DependencyError(
                        f"kubernetes API {self.server}: listing {resource.qualified} kept "
                        "expiring (410 Gone again after a restart)"
                    ) from None
                restarted = True
                log.warning(
                    "continue token expired; restarting the list",
                    extra={"resource": resource.qualified, "namespace": namespace or ""},
                )

    def apply(
        self,
        resource: ApiResource,
        obj: dict[str, Any],
        *,
        dry_run: bool,
        field_manager: str,
        force: bool = False,
    ) -> Any:
        """Server-side apply of one object (``PATCH`` with the apply-patch content type)."""
        meta = obj.get("metadata") or {}
        query = [("fieldManager", field_manager)]
        if dry_run:
            query.insert(0, ("dryRun", "All"))
        if force:
            query.append(("force", "true"))
        path = resource.path(meta.get("namespace"), str(meta.get("name")))
        return self.request("PATCH", path, query, body=obj, content_type=APPLY_PATCH)
