"""Clean live objects into the manifests a person would have written (as kubectl-neat does).

Removed: ``status``; the fields the API server sets (uid, resourceVersion, generation,
creationTimestamp, selfLink, managedFields, ownerReferences, deletion*); the
``kubectl.kubernetes.io/last-applied-configuration`` annotation and other controller
bookkeeping annotations; values the API server defaults when they equal the default (Service
clusterIP/clusterIPs/ipFamilies, pod template dnsPolicy/schedulerName/restartPolicy/
terminationMessagePath, probe timings, volume defaultMode, workload strategies, ...); and what
admission plugins inject into bare Pods (service-account token volume, default tolerations).

Objects a controller owns (``ownerReferences[].controller: true``: ReplicaSets of Deployments,
Pods of ReplicaSets, Jobs of CronJobs...) are not exported at all: their owner recreates them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

Obj = dict[str, Any]

DROP_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "managedFields",
    "ownerReferences",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generateName",
)
DROP_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        "deployment.kubernetes.io/revision",
        "deprecated.daemonset.template.generation",
        "rollout.argoproj.io/revision",
        "pv.kubernetes.io/bind-completed",
        "pv.kubernetes.io/bound-by-controller",
        "volume.beta.kubernetes.io/storage-provisioner",
        "volume.kubernetes.io/storage-provisioner",
        "volume.kubernetes.io/selected-node",
    }
)
JOB_LABELS = frozenset(
    {
        "controller-uid",
        "job-name",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-name",
    }
)
POD_TEMPLATE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Rollout"}
)
DEFAULT_TOLERATIONS = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})
PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def controller_of(obj: Obj) -> Obj | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def skip_reason(obj: Obj, *, skip_bootstrap_rbac: bool = True) -> str | None:
    """Why a live object is not exported, or None to export it."""
    meta = obj.get("metadata") or {}
    if obj.get("kind") == "Secret" and str(obj.get("apiVersion")) == "v1":
        return "secret"
    owner = controller_of(obj)
    if owner is not None:
        return "owned"
    if obj.get("kind") == "ConfigMap" and meta.get("name") == "kube-root-ca.crt":
        return "generated"
    labels = meta.get("labels") or {}
    if skip_bootstrap_rbac and labels.get("kubernetes.io/bootstrapping") == "rbac-defaults":
        return "bootstrap-rbac"
    return None


def _drop_if(d: Obj, key: str, default: Any) -> None:
    if key in d and d[key] == default:
        del d[key]


def _drop_empty(d: Obj, *keys: str) -> None:
    for key in keys:
        if key in d and d[key] in ({}, [], None, ""):
            del d[key]


def clean_metadata(meta: Obj, *, namespaced: bool) -> Obj:
    out = {k: v for k, v in meta.items() if k not in DROP_METADATA}
    if not namespaced:
        out.pop("namespace", None)
    annotations = {
        k: v for k, v in (out.get("annotations") or {}).items() if k not in DROP_ANNOTATIONS
    }
    if annotations:
        out["annotations"] = annotations
    else:
        out.pop("annotations", None)
    _drop_empty(out, "labels", "finalizers")
    return out


def _default_pull_policy(image: str) -> str:
    if "@" in image:
        return "IfNotPresent"
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _clean_probe(probe: Obj) -> None:
    for key, default in PROBE_DEFAULTS.items():
        _drop_if(probe, key, default)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        _drop_if(http, "scheme", "HTTP")


def _clean_container(c: Obj) -> None:
    _drop_if(c, "terminationMessagePath", "/dev/termination-log")
    _drop_if(c, "terminationMessagePolicy", "File")
    _drop_if(c, "imagePullPolicy", _default_pull_policy(str(c.get("image", ""))))
    for port in c.get("ports") or []:
        _drop_if(port, "protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(c.get(name), dict):
            _clean_probe(c[name])
    for env in c.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            _drop_if(field_ref, "apiVersion", "v1")
    _drop_empty(c, "resources", "securityContext")


def _clean_volume(v: Obj) -> None:
    for source in ("configMap", "secret", "downwardAPI", "projected"):
        if isinstance(v.get(source), dict):
            _drop_if(v[source], "defaultMode", 420)
    if isinstance(v.get("hostPath"), dict):
        _drop_if(v["hostPath"], "type", "")


def clean_pod_spec(spec: Obj, *, bare_pod: bool = False, job: bool = False) -> None:
    _drop_if(spec, "dnsPolicy", "ClusterFirst")
    _drop_if(spec, "schedulerName", "default-scheduler")
    _drop_if(spec, "terminationGracePeriodSeconds", 30)
    _drop_if(spec, "enableServiceLinks", True)
    if not job:
        _drop_if(spec, "restartPolicy", "Always")
    if spec.get("serviceAccount") == spec.get("serviceAccountName"):
        spec.pop("serviceAccount", None)
    _drop_empty(spec, "securityContext")
    if bare_pod:
        # Set by the scheduler and by admission plugins, not by whoever wrote the Pod.
        spec.pop("nodeName", None)
        _drop_if(spec, "priority", 0)
        _drop_if(spec, "preemptionPolicy", "PreemptLowerPriority")
        _drop_if(spec, "serviceAccountName", "default")
        spec["tolerations"] = [
            t
            for t in spec.get("tolerations") or []
            if not (
                t.get("key") in DEFAULT_TOLERATIONS
                and t.get("tolerationSeconds") == 300
                and t.get("effect") == "NoExecute"
                and t.get("operator") == "Exists"
            )
        ]
        token_volumes = {
            str(v.get("name"))
            for v in spec.get("volumes") or []
            if str(v.get("name", "")).startswith("kube-api-access-") and "projected" in v
        }
        spec["volumes"] = [
            v for v in spec.get("volumes") or [] if v.get("name") not in token_volumes
        ]
        for field in CONTAINER_FIELDS:
            for c in spec.get(field) or []:
                c["volumeMounts"] = [
                    m for m in c.get("volumeMounts") or [] if m.get("name") not in token_volumes
                ]
                _drop_empty(c, "volumeMounts")
        _drop_empty(spec, "tolerations", "volumes")
    for field in CONTAINER_FIELDS:
        for c in spec.get(field) or []:
            _clean_container(c)
    for v in spec.get("volumes") or []:
        _clean_volume(v)


def _clean_template(template: Obj, *, job: bool = False) -> None:
    meta = template.get("metadata")
    if isinstance(meta, dict):
        meta.pop("creationTimestamp", None)
        if job:
            labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in JOB_LABELS}
            meta["labels"] = labels
        _drop_empty(meta, "labels", "annotations")
        if not meta:
            template.pop("metadata")
    if isinstance(template.get("spec"), dict):
        clean_pod_spec(template["spec"], job=job)


def _clean_job_spec(spec: Obj) -> None:
    for key, default in (
        ("backoffLimit", 6),
        ("completionMode", "NonIndexed"),
        ("completions", 1),
        ("parallelism", 1),
        ("suspend", False),
        ("manualSelector", False),
    ):
        _drop_if(spec, key, default)
    if "podFailurePolicy" not in spec:
        _drop_if(spec, "podReplacementPolicy", "TerminatingOrFailed")
    if not spec.get("manualSelector"):
        spec.pop("selector", None)  # generated from the Job's uid
    if isinstance(spec.get("template"), dict):
        _clean_template(spec["template"], job=True)


def _clean_service(spec: Obj) -> None:
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
    spec.pop("clusterIPs", None)
    spec.pop("ipFamilies", None)
    spec.pop("healthCheckNodePort", None)
    _drop_if(spec, "ipFamilyPolicy", "SingleStack")
    _drop_if(spec, "sessionAffinity", "None")
    _drop_if(spec, "sessionAffinityConfig", {"clientIP": {"timeoutSeconds": 10800}})
    _drop_if(spec, "internalTrafficPolicy", "Cluster")
    _drop_if(spec, "externalTrafficPolicy", "Cluster")
    _drop_if(spec, "allocateLoadBalancerNodePorts", True)
    _drop_if(spec, "type", "ClusterIP")
    for port in spec.get("ports") or []:
        _drop_if(port, "protocol", "TCP")
        _drop_if(port, "targetPort", port.get("port"))
        port.pop("nodePort", None)  # allocated by the API server


def _clean_kind(obj: Obj) -> None:
    kind = obj.get("kind")
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else None
    meta = obj["metadata"]
    if kind == "Namespace":
        if spec == {"finalizers": ["kubernetes"]} or spec == {}:
            obj.pop("spec", None)
        labels = meta.get("labels") or {}
        if labels.get("kubernetes.io/metadata.name") == meta.get("name"):
            labels.pop("kubernetes.io/metadata.name")
        _drop_empty(meta, "labels")
    elif kind == "Service" and group == "" and spec is not None:
        _clean_service(spec)
    elif kind == "ServiceAccount" and group == "":
        obj.pop("secrets", None)  # references to generated token Secrets
    elif kind == "PersistentVolumeClaim" and spec is not None:
        spec.pop("volumeName", None)
        _drop_if(spec, "volumeMode", "Filesystem")
    elif kind == "Pod" and group == "" and spec is not None:
        clean_pod_spec(spec, bare_pod=True)
    elif kind == "Job" and group == "batch":
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in JOB_LABELS}
        meta["labels"] = labels
        _drop_empty(meta, "labels")
        if spec is not None:
            _clean_job_spec(spec)
    elif kind == "CronJob" and group == "batch" and spec is not None:
        for key, default in (
            ("concurrencyPolicy", "Allow"),
            ("failedJobsHistoryLimit", 1),
            ("successfulJobsHistoryLimit", 3),
            ("suspend", False),
        ):
            _drop_if(spec, key, default)
        job_template = spec.get("jobTemplate") or {}
        (job_template.get("metadata") or {}).pop("creationTimestamp", None)
        _drop_empty(job_template, "metadata")
        if isinstance(job_template.get("spec"), dict):
            _clean_job_spec(job_template["spec"])
    elif kind in POD_TEMPLATE_KINDS and spec is not None:
        if isinstance(spec.get("template"), dict):
            _clean_template(spec["template"])
        _drop_if(spec, "revisionHistoryLimit", 10)
        if kind == "Deployment":
            _drop_if(spec, "progressDeadlineSeconds", 600)
            _drop_if(
                spec,
                "strategy",
                {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                },
            )
        elif kind == "StatefulSet":
            _drop_if(spec, "podManagementPolicy", "OrderedReady")
            _drop_if(
                spec, "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
            )
            _drop_if(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                {"whenDeleted": "Retain", "whenScaled": "Retain"},
            )
            for claim in spec.get("volumeClaimTemplates") or []:
                claim.pop("status", None)
                (claim.get("metadata") or {}).pop("creationTimestamp", None)
                if isinstance(claim.get("spec"), dict):
                    _drop_if(claim["spec"], "volumeMode", "Filesystem")
        elif kind == "DaemonSet":
            _drop_if(
                spec,
                "updateStrategy",
                {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
            )
    elif kind == "CustomResourceDefinition" and spec is not None:
        _drop_if(spec, "conversion", {"strategy": "None"})
    elif kind == "ClusterRole" and obj.get("aggregationRule"):
        obj.pop("rules", None)  # filled in by the aggregation controller
    elif kind == "Application" and group == "argoproj.io":
        obj.pop("operation", None)  # an in-flight sync request, not configuration


def clean(obj: Obj, *, namespaced: bool = True) -> Obj:
    """A cleaned deep copy of ``obj``: apiVersion, kind, metadata first, no status."""
    src = copy.deepcopy(obj)
    out: Obj = {
        "apiVersion": src.pop("apiVersion", None),
        "kind": src.pop("kind", None),
        "metadata": clean_metadata(src.pop("metadata", None) or {}, namespaced=namespaced),
    }
    src.pop("status", None)
    out.update(src)
    _clean_kind(out)
    return out


_UNSAFE = re.compile(r"[^A-Za-z0-9._:@+=-]")


def safe_segment(text: str) -> str:
    """A path segment from a name (object names are already DNS-safe; this guards the rest)."""
    cleaned = _UNSAFE.sub("_", text).strip(".") or "_"
    return cleaned[:250]
