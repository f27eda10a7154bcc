"""Restore plans: the order to apply an archive in, a server-side dry run, and a drift report.

Order (each phase sorted by kind rank, namespace, name):

1. ``namespaces-and-crds`` — Namespaces and CustomResourceDefinitions;
2. ``cluster`` — other cluster-scoped objects (ClusterRoles before their bindings, Kyverno
   ClusterPolicies, StorageClasses, ...);
3. ``config`` — namespaced configuration: ServiceAccounts, ConfigMaps, RBAC, Services,
   SealedSecrets/ExternalSecrets, Istio and monitoring objects, AnalysisTemplates, ...;
4. ``workloads`` — Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Pods, Rollouts, HPAs,
   PDBs;
5. ``argocd`` — AppProjects, then Applications and ApplicationSets, last: once they exist Argo CD
   starts syncing, so everything they manage is already in place.

The dry run sends each object as a server-side apply (``PATCH``, ``dryRun=All``,
``fieldManager=kindops-restore``, ``application/apply-patch+yaml``). An object whose Namespace or
CRD does not exist yet but is created by an earlier step is *deferred*, not failed. An object the
checking identity is not authorized to apply is *forbidden*: authorization judged the caller, not
the object, so it is reported as not checked rather than as a restore that would fail (a restore
runs as a cluster admin). A ``403`` from admission (a webhook, PodSecurity, a quota, an admission
policy) judges the object: that is a failure. The drift report exports the live cluster with the
archive's own selection and cleaning and compares.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kindops.backup.config import BackupConfig
from kindops.backup.export import collect
from kindops.backup.kube import ApiError, ApiResource, KubeClient

log = logging.getLogger(__name__)
FIELD_MANAGER = "kindops-restore"
PHASES = ("namespaces-and-crds", "cluster", "config", "workloads", "argocd")
ARGO_LAST = ("AppProject", "Application", "ApplicationSet")
WORKLOADS = (
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
    "Rollout",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
)
CONFIG = (
    "ServiceAccount",
    "LimitRange",
    "ResourceQuota",
    "SealedSecret",
    "SecretStore",
    "ExternalSecret",
    "ConfigMap",
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "Service",
)
CLUSTER = (
    "PriorityClass",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterSecretStore",
    "ClusterPolicy",
)


@dataclass(frozen=True)
class Step:
    number: int
    phase: str
    path: str
    api_version: str
    kind: str
    namespace: str
    name: str
    resource: ApiResource

    def ref(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    def doc(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "phase": self.phase,
            "file": self.path,
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


def phase_of(entry: dict[str, Any]) -> tuple[int, int]:
    kind, group = str(entry["kind"]), str(entry.get("group", ""))
    if group == "" and kind == "Namespace":
        return 0, 0
    if kind == "CustomResourceDefinition":
        return 0, 1
    if group == "argoproj.io" and kind in ARGO_LAST:
        return 4, ARGO_LAST.index(kind)
    if not entry.get("namespaced"):
        return 1, CLUSTER.index(kind) if kind in CLUSTER else len(CLUSTER)
    if kind in WORKLOADS:
        return 3, WORKLOADS.index(kind)
    return 2, CONFIG.index(kind) if kind in CONFIG else len(CONFIG)


def resource_of(entry: dict[str, Any]) -> ApiResource:
    return ApiResource(
        group=str(entry.get("group", "")),
        version=str(entry["version"]),
        plural=str(entry["resource"]),
        kind=str(entry["kind"]),
        namespaced=bool(entry.get("namespaced")),
    )


def plan(manifest: dict[str, Any]) -> list[Step]:
    entries = [e for e in manifest.get("files") or [] if e.get("source") == "kubernetes"]
    entries.sort(key=lambda e: (*phase_of(e), e.get("namespace", ""), e["kind"], e["name"]))
    return [
        Step(
            number=i,
            phase=PHASES[phase_of(e)[0]],
            path=e["path"],
            api_version=e["apiVersion"],
            kind=e["kind"],
            namespace=e.get("namespace", ""),
            name=e["name"],
            resource=resource_of(e),
        )
        for i, e in enumerate(entries, start=1)
    ]


GRAFANA_ORDER = (
    ("folder", "POST /api/folders"),
    ("datasource", "POST /api/datasources (re-enter the redacted secrets)"),
    ("dashboard", "POST /api/dashboards/db {dashboard, folderUid, overwrite: true}"),
    ("alert-rule", "POST /api/v1/provisioning/alert-rules"),
    ("contact-point", "POST /api/v1/provisioning/contact-points (re-enter redacted settings)"),
    ("notification-policies", "PUT /api/v1/provisioning/policies"),
)


def grafana_plan(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    files = [e for e in manifest.get("files") or [] if e.get("source") == "grafana"]
    steps = []
    for kind, request in GRAFANA_ORDER:
        chosen = [e for e in files if e.get("type") == kind]
        if chosen:
            steps.append(
                {
                    "type": kind,
                    "request": request,
                    "files": [e["path"] for e in chosen],
                    "redacted": sorted(
                        {f"{e['path']}: {k}" for e in chosen for k in e.get("redacted") or []}
                    ),
                }
            )
    return steps


# -- server-side dry run --------------------------------------------------------------------
@dataclass
class DryRun:
    results: list[dict[str, Any]] = field(default_factory=list)

    def outcome(self, outcome: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["outcome"] == outcome]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return self.outcome("fail")

    @property
    def forbidden(self) -> list[dict[str, Any]]:
        """Objects the identity may not apply: not checked (see the module docstring)."""
        return self.outcome("forbidden")

    @property
    def checked(self) -> int:
        """Objects the API server admitted past authorization (ok, deferred or failed)."""
        return len(self.results) - len(self.forbidden)

    def forbidden_kinds(self) -> list[str]:
        return sorted({str(r["object"]).split(" ", 1)[0] for r in self.forbidden})


def _deferred_by(step: Step, exc: ApiError, steps: list[Step]) -> str | None:
    """Name the earlier step a 404 waits for (its Namespace or its CRD), if any."""
    if exc.status != 404:
        return None
    for earlier in steps:
        if earlier.number >= step.number:
            break
        if (
            earlier.kind == "Namespace"
            and step.namespace
            and earlier.name == step.namespace
            and exc.details.get("kind") == "namespaces"
        ):
            return f"namespace {step.namespace} is created by step {earlier.number}"
        crd = f"{step.resource.plural}.{step.resource.group}"
        if earlier.kind == "CustomResourceDefinition" and earlier.name == crd:
            return f"CRD {crd} is created by step {earlier.number}"
    return None


#: The API server's wording of an authorization denial: ``User "<name>" cannot <verb> resource
#: "<resource>" in API group ...`` (request authorization); when a server-side apply would create
#: the object, the create check words it as the authorizer's reason alone (empty, or ``RBAC: ...``).
AUTHORIZATION_DENIAL = re.compile(r'^(User ".*" cannot [a-z]+ resource |RBAC: |$)')


def authorization_denied(exc: ApiError) -> bool:
    """A 403 from authorization (the caller may not), not from admission (the object may not).

    Both answer ``<resource> "<name>" is forbidden: <reason>``; admission always gives a reason
    of its own (``admission webhook ... denied the request``, ``violates PodSecurity ...``,
    ``exceeded quota ...``, ``ValidatingAdmissionPolicy ... denied request``).
    """
    if exc.status != 403:
        return False
    _, marker, reason = exc.message.partition(" is forbidden: ")
    return bool(marker) and AUTHORIZATION_DENIAL.match(reason.strip()) is not None


def server_dry_run(
    kube: KubeClient, steps: list[Step], files: dict[str, bytes], force: bool = False
) -> DryRun:
    out = DryRun()
    for step in steps:
        obj = yaml.safe_load(files[step.path])
        result: dict[str, Any] = {"step": step.number, "object": step.ref()}
        try:
            kube.apply(step.resource, obj, dry_run=True, field_manager=FIELD_MANAGER, force=force)
            result["outcome"] = "ok"
        except ApiError as exc:
            waits = _deferred_by(step, exc, steps)
            if waits:
                result.update(outcome="deferred", reason=waits)
            elif authorization_denied(exc):
                reason = f"403 {exc.reason}: {exc.message}".rstrip()
                result.update(outcome="forbidden", reason=reason)
            else:
                result.update(outcome="fail", reason=f"{exc.status} {exc.reason}: {exc.message}")
        out.results.append(result)
    return out


# -- drift ----------------------------------------------------------------------------------
@dataclass
class Drift:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0

    def doc(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": sorted(self.changed),
            "unchanged": self.unchanged,
        }


def drift(
    kube: KubeClient, cfg: BackupConfig, files: dict[str, bytes], manifest: dict[str, Any]
) -> Drift:
    """Live state vs the archive, both exported with the archive's selection and cleaning.

    *added*: live objects the archive does not have; *removed*: archived objects no longer
    live; *changed*: a unified diff of the cleaned YAML (archive → live).
    """
    live = {m.path: m.data for m in collect(kube, cfg).members}
    archived = {
        e["path"]: files[e["path"]]
        for e in manifest.get("files") or []
        if e.get("source") == "kubernetes"
    }
    out = Drift()
    out.added = sorted(set(live) - set(archived))
    out.removed = sorted(set(archived) - set(live))
    for path in sorted(set(live) & set(archived)):
        before, after = archived[path].decode(), live[path].decode()
        if before == after:
            out.unchanged += 1
            continue
        out.changed[path] = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"backup/{path}",
                tofile=f"live/{path}",
            )
        )
    return out


def markdown(
    name: str,
    steps: list[Step],
    grafana: list[dict[str, Any]],
    dry: DryRun | None,
    diff: Drift | None,
) -> str:
    lines = [
        f"# Restore plan for {name}",
        "",
        "Extract the archive, then apply each phase in order with server-side apply:",
        "",
        "```sh",
        f"mkdir restore && tar -xzf {name} -C restore && cd restore",
    ]
    for phase in PHASES:
        chosen = [s for s in steps if s.phase == phase]
        if chosen:
            lines.append(f"# {phase}: {len(chosen)} objects")
            lines += [
                f"kubectl apply --server-side --field-manager={FIELD_MANAGER} -f {s.path}"
                for s in chosen
            ]
    lines += ["```", "", "| step | phase | object | file |", "| --- | --- | --- | --- |"]
    lines += [f"| {s.number} | {s.phase} | {s.ref()} | `{s.path}` |" for s in steps]
    if grafana:
        lines += ["", "## Grafana (in this order)", ""]
        for g in grafana:
            lines.append(f"- {g['type']}: {len(g['files'])} files — `{g['request']}`")
            lines += [f"  - redacted: {r}" for r in g["redacted"]]
    if dry is not None:
        lines += [
            "",
            "## Server-side dry run",
            "",
            "| step | object | outcome | reason |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['step']} | {r['object']} | {r['outcome']} | {r.get('reason', '')} |"
            for r in dry.results
        ]
    if diff is not None:
        lines += [
            "",
            "## Drift (backup → live)",
            "",
            f"added {len(diff.added)}, removed {len(diff.removed)}, "
            f"changed {len(diff.changed)}, unchanged {diff.unchanged}",
            "",
        ]
        lines += [f"- added: `{p}`" for p in diff.added]
        lines += [f"- removed: `{p}`" for p in diff.removed]
        for path, text in diff.changed.items():
            lines += ["", f"### changed: `{path}`", "", "```diff", text.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"
