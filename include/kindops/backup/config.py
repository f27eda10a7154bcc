"""Backup configuration: one versioned YAML file (``version: 1``) plus the environment.

The file says *what* to back up (namespaces, kinds, label selector, Argo CD, Grafana, retention);
the environment says *where* things are and holds credentials (``KINDOPS_GRAFANA_URL`` and
``KINDOPS_PUSHGATEWAY_URL``, the lab's endpoints of :mod:`kindops.endpoints`,
``KINDOPS_GRAFANA_TOKEN``/``_FILE``, ``KINDOPS_KUBECONFIG``). The
packaged default is ``backup.yaml`` beside this module; ``KINDOPS_BACKUP_CONFIG`` or ``--config``
point elsewhere. Unknown keys are rejected; every problem is one line naming the file and key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from kindops.errors import ConfigError, yaml_position
from kindops.settings import KindopsSettings, load

Name = Annotated[str, StringConstraints(min_length=1, max_length=253)]

#: Resources that are never exported, whatever the configuration says.
NEVER_EXPORTED = frozenset({"secrets", "secret"})
#: Namespaces left out unless a config says otherwise (the cluster's own machinery).
DEFAULT_NAMESPACE_EXCLUDES = (
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
)
#: Cluster state and objects controllers derive from others: not configuration.
DEFAULT_RESOURCE_EXCLUDES = (
    "events",
    "events.events.k8s.io",
    "endpoints",
    "endpointslices.discovery.k8s.io",
    "leases.coordination.k8s.io",
    "nodes",
    "persistentvolumes",
    "componentstatuses",
    "controllerrevisions.apps",
    "csinodes.storage.k8s.io",
    "csistoragecapacities.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    "certificatesigningrequests.certificates.k8s.io",
    "apiservices.apiregistration.k8s.io",
    "flowschemas.flowcontrol.apiserver.k8s.io",
    "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io",
    "ipaddresses.networking.k8s.io",
    "servicecidrs.networking.k8s.io",
    "pods.metrics.k8s.io",
    "nodes.metrics.k8s.io",
    "analysisruns.argoproj.io",
    "experiments.argoproj.io",
    "policyreports.wgpolicyk8s.io",
    "clusterpolicyreports.wgpolicyk8s.io",
    "ephemeralreports.reports.kyverno.io",
    "clusterephemeralreports.reports.kyverno.io",
    "updaterequests.kyverno.io",
    "chaosresults.litmuschaos.io",
)


class BackupSettings(KindopsSettings):
    """Environment of the backup jobs (``KINDOPS_`` prefix). Of the lab's endpoints, the backup
    reads ``KINDOPS_GRAFANA_URL`` (empty: Grafana skipped unless required) and
    ``KINDOPS_PUSHGATEWAY_URL`` (empty: the backup metrics are not pushed)."""

    backup_config: str = ""
    """``KINDOPS_BACKUP_CONFIG``: path of the backup config; empty = the packaged default."""
    backup_prefix: str = "backups"
    """``KINDOPS_BACKUP_PREFIX``: folder of the archives in the artifact store."""
    kubeconfig: str = ""
    """``KINDOPS_KUBECONFIG``: kubeconfig path; empty = ``KUBECONFIG``/``~/.kube/config``, else
    the in-cluster service account."""
    kube_context: str = ""
    """``KINDOPS_KUBE_CONTEXT``: kubeconfig context; empty = the current one."""
    grafana_token: SecretStr = SecretStr("")
    """``KINDOPS_GRAFANA_TOKEN``: service-account token (or use ``KINDOPS_GRAFANA_TOKEN_FILE``)."""
    grafana_token_file: str = ""

    def grafana_bearer(self) -> str:
        token = self.grafana_token.get_secret_value().strip()
        if token:
            return token
        if self.grafana_token_file:
            try:
                return Path(self.grafana_token_file).read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"KINDOPS_GRAFANA_TOKEN_FILE={self.grafana_token_file}: cannot read it "
                    f"({exc.strerror})"
                ) from None
        return ""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(value: list[str]) -> list[str]:
    if len(value) != len(set(value)):
        raise ValueError("entries must be unique")
    return value


class IncludeExclude(_Strict):
    include: list[Name] = Field(default_factory=list)
    """Empty = everything."""
    exclude: list[Name] = Field(default_factory=list)

    @field_validator("include", "exclude")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        return _unique(value)


class ResourceFilter(IncludeExclude):
    """Entries name a resource as ``plural[.group]``, ``Kind[.group]``, singular or short name."""

    @field_validator("include")
    @classmethod
    def _no_secrets(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry.lower() in NEVER_EXPORTED:
                raise ValueError(f"{entry!r}: Secrets are never exported (use SealedSecrets)")
        return value


class KubernetesConfig(_Strict):
    namespaces: IncludeExclude = IncludeExclude(exclude=list(DEFAULT_NAMESPACE_EXCLUDES))
    resources: ResourceFilter = ResourceFilter(exclude=list(DEFAULT_RESOURCE_EXCLUDES))
    cluster_resources: bool = True
    """Export cluster-scoped objects (Namespaces, CRDs, ClusterRoles, ClusterPolicies...)."""
    label_selector: str = ""
    skip_bootstrap_rbac: bool = True
    """Skip the API server's own RBAC (label ``kubernetes.io/bootstrapping=rbac-defaults``)."""
    page_size: int = Field(default=500, ge=1, le=10_000)
    timeout_seconds: float = Field(default=30, gt=0, le=600)
    retries: int = Field(default=1, ge=0, le=10)


class ArgoCdConfig(_Strict):
    enabled: bool = True
    namespace: Name = "argocd"
    configmaps: list[Name] = Field(default_factory=lambda: ["argocd-cm", "argocd-rbac-cm"])


class GrafanaConfig(_Strict):
    enabled: Literal["auto"] | bool = "auto"
    """``auto``: back up Grafana when ``KINDOPS_GRAFANA_URL`` is set; ``true``: require it."""
    timeout_seconds: float = Field(default=30, gt=0, le=600)
    page_size: int = Field(default=1000, ge=1, le=5000)

    def mode(self) -> str:
        return str(self.enabled).lower()


class Retention(_Strict):
    """Grandfather-father-son: the newest backup of each of the last N days/weeks/months."""

    daily: int = Field(default=7, ge=0, le=3650)
    weekly: int = Field(default=4, ge=0, le=520)
    monthly: int = Field(default=6, ge=0, le=120)


class BackupConfig(_Strict):
    version: Literal[1]
    cluster_name: str = ""
    """Source cluster recorded in the manifest; empty = the kubeconfig context (or in-cluster)."""
    kubernetes: KubernetesConfig = KubernetesConfig()
    argocd: ArgoCdConfig = ArgoCdConfig()
    grafana: GrafanaConfig = GrafanaConfig()
    retention: Retention = Retention()


@dataclass(frozen=True)
class LoadedConfig:
    config: BackupConfig
    path: str
    sha256: str

    def ref(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "version": self.config.version}


def default_config_path() -> Path:
    return Path(str(resources.files("kindops.backup").joinpath("backup.yaml")))


def parse_config(text: str, source: str) -> BackupConfig:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"backup config {source}: invalid YAML{yaml_position(exc)}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"backup config {source}: expected a mapping with 'version: 1'")
    return validate_config(doc, source)


def validate_config(doc: dict[str, Any], source: str) -> BackupConfig:
    from pydantic import ValidationError

    try:
        return BackupConfig.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{loc}: {msg}")
        raise ConfigError(f"invalid backup config {source}: " + "; ".join(problems)) from None


def load_config(path: str | None, settings: BackupSettings | None = None) -> LoadedConfig:
    """Read the config from ``path``, else ``KINDOPS_BACKUP_CONFIG``, else the packaged one."""
    env = settings or load(BackupSettings)
    chosen = path or env.backup_config or str(default_config_path())
    try:
        raw = Path(chosen).read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"backup config {chosen}: cannot read it ({exc.strerror}); "
            "set --config or KINDOPS_BACKUP_CONFIG"
        ) from None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ConfigError(f"backup config {chosen}: not UTF-8 text") from None
    return LoadedConfig(parse_config(text, chosen), chosen, hashlib.sha256(raw).hexdigest())
