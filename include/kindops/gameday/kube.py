"""The cluster runner's guard: only a kind lab cluster named in the allow-list (see
:mod:`kindops.gameday.guard` for the rules). Kept apart because it imports the Kubernetes client,
which the local runner never needs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from kindops.errors import DependencyError
from kindops.gameday.guard import GuardRefused, allowed_clusters, host_of, is_loopback_host

log = logging.getLogger("kindops.gameday")

#: kind's names for the API server inside the cluster's network.
KIND_NODE_SUFFIXES = ("-control-plane", "-external-load-balancer")


def server_is_kind(server: str, name: str) -> bool:
    """The API server address is loopback (kind's published port) or kind's node name."""
    host = host_of(server)
    if not host:
        return False
    return is_loopback_host(host) or host in {name + s for s in KIND_NODE_SUFFIXES}


@dataclass(frozen=True)
class KubeTarget:
    """The cluster the guard admitted, and the client configuration to reach it."""

    cluster: str
    context: str
    server: str
    mode: Literal["kubeconfig", "in-cluster"]
    configuration: k8s_client.Configuration = field(repr=False, compare=False)

    def describe(self) -> dict[str, str]:
        return {
            "cluster": self.cluster,
            "context": self.context,
            "server": self.server,
            "mode": self.mode,
        }


def kubeconfig_paths(environ: dict[str, str] | None = None) -> str | None:
    """The kubeconfig to read now (``KUBECONFIG``, else ``~/.kube/config``), or None."""
    env = os.environ if environ is None else environ
    configured = env.get("KUBECONFIG", "").strip()
    if configured:
        return configured
    default = Path(env.get("HOME", str(Path.home()))) / ".kube" / "config"
    return str(default) if default.is_file() else None


def from_kubeconfig(allowed: Iterable[str], config_file: str) -> KubeTarget:
    """Admit the kubeconfig's current context, or refuse (see the module docstring)."""
    allow = tuple(allowed)
    try:
        contexts, active = k8s_config.list_kube_config_contexts(config_file)
    except (ConfigException, OSError, yaml.YAMLError, TypeError, KeyError) as exc:
        raise GuardRefused(f"refused: no usable kubeconfig at {config_file}: {exc}") from None
    if not active or not isinstance(active, dict) or not active.get("name"):
        raise GuardRefused(f"refused: the kubeconfig {config_file} has no current-context")
    context = str(active["name"])
    known = {str(c.get("name")) for c in contexts or [] if isinstance(c, dict)}
    if context not in known:
        raise GuardRefused(f"refused: current-context {context!r} is not defined in {config_file}")
    if not context.startswith("kind-") or context.removeprefix("kind-") not in allow:
        raise GuardRefused(
            f"refused: kube context {context!r} is not a kind lab context (allowed: "
            + ", ".join(f"kind-{n}" for n in allow)
            + ")"
        )
    name = context.removeprefix("kind-")
    cluster_ref = str((active.get("context") or {}).get("cluster") or "")
    if cluster_ref != context:
        raise GuardRefused(
            f"refused: context {context!r} points at cluster entry {cluster_ref or '(none)'!r}; "
            f"kind names both {context!r}"
        )
    configuration = k8s_client.Configuration()
    try:
        k8s_config.load_kube_config(
            config_file=config_file,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, yaml.YAMLError, TypeError, KeyError, ValueError) as exc:
        raise GuardRefused(f"refused: context {context!r} cannot be loaded: {exc}") from None
    server = str(configuration.host or "")
    if not server_is_kind(server, name):
        raise GuardRefused(
            f"refused: context {context!r} talks to {server or '(no server)'}, which is not a "
            f"local kind API server (loopback or {name}-control-plane)"
        )
    return KubeTarget(name, context, server, "kubeconfig", configuration)


def cluster_identity(api: k8s_client.ApiClient) -> str:
    """The control-plane endpoint host that kubeadm recorded in ``kube-public/cluster-info``."""
    core = k8s_client.CoreV1Api(api)
    try:
        cm = core.read_namespaced_config_map("cluster-info", "kube-public", _request_timeout=10)
    except ApiException as exc:
        if exc.status in (401, 403, 404):
            raise GuardRefused(
                f"refused: cannot read kube-public/cluster-info ({exc.status} {exc.reason}); "
                "without it the cluster cannot prove it is a kind lab cluster"
            ) from None
        raise DependencyError(
            f"Kubernetes API at {api.configuration.host}: {exc.status} {exc.reason}"
        ) from None
    except Exception as exc:  # urllib3 raises many kinds; all mean "unreachable" here
        raise DependencyError(
            f"Kubernetes API at {api.configuration.host} is unreachable: {exc}"
        ) from None
    raw = (cm.data or {}).get("kubeconfig", "")
    try:
        doc: Any = yaml.safe_load(raw) or {}
        servers = [str(c["cluster"]["server"]) for c in doc.get("clusters") or []]
    except (yaml.YAMLError, KeyError, TypeError, AttributeError):
        servers = []
    if len(servers) != 1:
        raise GuardRefused("refused: kube-public/cluster-info does not name one API server")
    return host_of(servers[0])


def verify_identity(target: KubeTarget, allowed: Iterable[str]) -> KubeTarget:
    """Ask the API server who it is; its name must be the admitted (or an allowed) kind name."""
    api = k8s_client.ApiClient(target.configuration)
    try:
        host = cluster_identity(api)
    finally:
        api.close()
    names = {target.cluster} if target.mode == "kubeconfig" else set(allowed)
    for name in names:
        if host in {name + s for s in KIND_NODE_SUFFIXES}:
            return KubeTarget(
                name,
                target.context if target.mode == "kubeconfig" else f"kind-{name} (in-cluster)",
                target.server,
                target.mode,
                target.configuration,
            )
    raise GuardRefused(
        f"refused: the API server at {target.server} says it is {host or '(unknown)'!r}, not "
        + " or ".join(f"{n}-control-plane" for n in sorted(names))
    )


def in_cluster() -> KubeTarget:
    configuration = k8s_client.Configuration()
    try:
        k8s_config.load_incluster_config(client_configuration=configuration)
    except ConfigException as exc:
        raise GuardRefused(f"refused: no in-cluster service account: {exc}") from None
    return KubeTarget("", "", str(configuration.host), "in-cluster", configuration)


def admit_cluster(raw_allowed: str, environ: dict[str, str] | None = None) -> KubeTarget:
    """The cluster runner's guard: allow-list, context and server, then the cluster's identity."""
    allow = allowed_clusters(raw_allowed)
    env = dict(os.environ if environ is None else environ)
    config_file = kubeconfig_paths(env)
    if config_file:
        target = from_kubeconfig(allow, config_file)
    elif env.get("KUBERNETES_SERVICE_HOST"):
        target = in_cluster()
    else:
        raise GuardRefused(
            "refused: no kube context (no KUBECONFIG, no ~/.kube/config, not in a pod)"
        )
    return verify_identity(target, allow)
