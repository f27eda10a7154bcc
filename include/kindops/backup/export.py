"""Export the cluster's configuration: every selected kind, cleaned, one YAML file per object.

Kinds come from the API's discovery endpoints (so CRD objects — Argo CD Applications, Rollouts,
PrometheusRules, Kyverno policies, Istio policies, SealedSecrets, ExternalSecrets — are found
without being named). A kind the backup may not list (403) or that vanished (404) is reported and
skipped; any other failure fails the backup, which then publishes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from kindops.backup.archive import Member
from kindops.backup.config import NEVER_EXPORTED, BackupConfig
from kindops.backup.kube import ApiError, ApiResource, KubeClient
from kindops.backup.neat import clean, safe_segment, skip_reason
from kindops.errors import DependencyError

log = logging.getLogger(__name__)
SKIPPABLE_STATUS = {403: "forbidden", 404: "not found", 405: "not allowed"}


_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Block style for multi-line strings, so ConfigMap data diffs line by line."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(obj: dict[str, Any]) -> str:
    return yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )


@dataclass
class Collection:
    members: list[Member] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    unmatched_includes: list[str] = field(default_factory=list)


def object_path(res: ApiResource, obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    scope = str(meta.get("namespace")) if res.namespaced else "_cluster"
    return "/".join(
        (
            "kubernetes",
            safe_segment(scope),
            res.group_label,
            res.kind,
            safe_segment(str(meta.get("name"))) + ".yaml",
        )
    )


def select_resources(
    resources: list[ApiResource], cfg: BackupConfig
) -> tuple[list[ApiResource], list[str]]:
    """The kinds to list, and the include entries that matched no served kind."""
    kcfg = cfg.kubernetes
    include = [e.lower() for e in kcfg.resources.include]
    exclude = {e.lower() for e in kcfg.resources.exclude}
    chosen: list[ApiResource] = []
    matched: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for res in resources:
        names = res.names()
        if res.group == "" and res.plural in NEVER_EXPORTED:
            continue
        if not {"list", "get"} <= set(res.verbs):
            continue
        if not res.namespaced and not kcfg.cluster_resources:
            continue
        if include:
            hits = [e for e in include if e in names]
            if not hits:
                continue
            matched.update(hits)
        if names & exclude:
            continue
        if (res.group, res.plural) in seen:
            continue
        seen.add((res.group, res.plural))
        chosen.append(res)
    return chosen, [e for e in kcfg.resources.include if e.lower() not in matched]


class Exporter:
    def __init__(self, kube: KubeClient, cfg: BackupConfig) -> None:
        self.kube = kube
        self.cfg = cfg
        self.out = Collection()
        self._paths: set[str] = set()
        ns = cfg.kubernetes.namespaces
        self._ns_include = set(ns.include)
        self._ns_exclude = set(ns.exclude)

    def namespace_selected(self, name: str) -> bool:
        if self._ns_include and name not in self._ns_include:
            return False
        return name not in self._ns_exclude

    def add(self, res: ApiResource, obj: dict[str, Any], *, explicit: bool = False) -> None:
        meta = obj.get("metadata") or {}
        if not explicit:
            if res.namespaced and not self.namespace_selected(str(meta.get("namespace", ""))):
                return
            if (
                res.group == ""
                and res.kind == "Namespace"
                and not self.namespace_selected(str(meta.get("name", "")))
            ):
                return
        reason = skip_reason(obj, skip_bootstrap_rbac=self.cfg.kubernetes.skip_bootstrap_rbac)
        if reason is not None:
            self.out.ignored[reason] += 1
            return
        path = object_path(res, obj)
        if path in self._paths:
            return
        self._paths.add(path)
        cleaned = clean(obj, namespaced=res.namespaced)
        entry = {
            "source": "kubernetes",
            "apiVersion": res.api_version,
            "kind": res.kind,
            "group": res.group,
            "version": res.version,
            "resource": res.plural,
            "namespaced": res.namespaced,
            "namespace": str(meta.get("namespace", "")) if res.namespaced else "",
            "name": str(meta.get("name", "")),
        }
        self.out.members.append(Member(path, to_yaml(cleaned).encode(), entry))

    def skip(self, res: ApiResource, namespace: str | None, exc: ApiError) -> None:
        label = SKIPPABLE_STATUS.get(exc.status, str(exc.status))
        item = {"resource": res.qualified, "reason": f"{exc.status} {label}: {exc.message}"}
        if namespace:
            item["namespace"] = namespace
        self.out.skipped.append(item)
        log.warning("kind skipped", extra=item)

    def list_resource(self, res: ApiResource) -> None:
        kcfg = self.cfg.kubernetes
        targets: list[str | None] = [None]
        if res.namespaced and self._ns_include:
            targets = [*sorted(self._ns_include - self._ns_exclude)]
        for ns in targets:
            try:
                items = self.kube.list_items(res, ns, kcfg.label_selector, kcfg.page_size)
            except ApiError as exc:
                if exc.status in SKIPPABLE_STATUS:
                    self.skip(res, ns, exc)
                    continue
                raise DependencyError(
                    f"kubernetes API {self.kube.server}: listing {res.qualified}: {exc}"
                ) from None
            for obj in items:
                self.add(res, obj)

    def argocd_configmaps(self, resources: list[ApiResource]) -> None:
        acfg = self.cfg.argocd
        if not acfg.enabled:
            return
        cm = next(
            (r for r in resources if r.group == "" and r.plural == "configmaps"),
            ApiResource("", "v1", "configmaps", "ConfigMap", True, verbs=("get", "list")),
        )
        for name in acfg.configmaps:
            try:
                obj = self.kube.get(cm.path(acfg.namespace, name))
            except ApiError as exc:
                if exc.status in SKIPPABLE_STATUS:
                    self.skip(cm, acfg.namespace, exc)
                    continue
                raise DependencyError(
                    f"kubernetes API {self.kube.server}: reading {acfg.namespace}/{name}: {exc}"
                ) from None
            obj.setdefault("apiVersion", "v1")
            obj.setdefault("kind", "ConfigMap")
            self.add(cm, obj, explicit=True)

    def run(self) -> Collection:
        found = self.kube.discover()
        self.out.skipped.extend(found.problems)
        chosen, unmatched = select_resources(found.resources, self.cfg)
        self.out.unmatched_includes = unmatched
        log.info(
            "discovered kinds", extra={"served": len(found.resources), "selected": len(chosen)}
        )
        for res in chosen:
            self.list_resource(res)
        self.argocd_configmaps(found.resources)
        self.out.members.sort(key=lambda m: m.path)
        return self.out


def collect(kube: KubeClient, cfg: BackupConfig) -> Collection:
    return Exporter(kube, cfg).run()
