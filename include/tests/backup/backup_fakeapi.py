"""Local fake Kubernetes and Grafana API servers for the backup tests (real threaded HTTP).

The Kubernetes side serves discovery (``/api``, ``/apis``, ``/apis/<group>/<version>``), lists
with ``limit`` + ``continue`` tokens and label selectors, single GETs, and server-side apply
``PATCH`` requests (dry run or not; authorized as ``patch``, and also as ``create`` when the
object does not exist yet), with knobs for a 410 on a stale continue token, a 403 on a kind, an
erroring kind, a broken API group and a slow kind. Payloads follow what a kind cluster running
the lab serves. The Grafana side serves the HTTP API endpoints the backup reads.

Run as a process from the repository root (it imports ``tests.support.http``):
``PYTHONPATH=. python include/tests/backup/backup_fakeapi.py --kube-port P --grafana-port Q``
(``[--token T] [--bulk N]``).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from tests.support.http import POLL_SECONDS, JsonHandler

LIVE_META = {
    "creationTimestamp": "2026-01-10T08:00:00Z",
    "managedFields": [
        {
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-01-10T08:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {}},
        }
    ],
}


@dataclass(frozen=True)
class Res:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = ("create", "delete", "get", "list", "patch", "update", "watch")
    short: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


READ = ("get", "list", "watch")
RESOURCES = [
    Res("", "v1", "namespaces", "Namespace", False, short=("ns",)),
    Res("", "v1", "configmaps", "ConfigMap", True, short=("cm",)),
    Res("", "v1", "secrets", "Secret", True),
    Res("", "v1", "services", "Service", True, short=("svc",)),
    Res("", "v1", "serviceaccounts", "ServiceAccount", True, short=("sa",)),
    Res("", "v1", "pods", "Pod", True, short=("po",)),
    Res("", "v1", "events", "Event", True, short=("ev",)),
    Res("", "v1", "endpoints", "Endpoints", True, short=("ep",)),
    Res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, short=("pvc",)),
    Res("", "v1", "nodes", "Node", False, short=("no",)),
    Res("", "v1", "bindings", "Binding", True, verbs=("create",)),
    Res("", "v1", "limitranges", "LimitRange", True),
    Res("", "v1", "resourcequotas", "ResourceQuota", True),
    Res("apps", "v1", "deployments", "Deployment", True, short=("deploy",)),
    Res("apps", "v1", "statefulsets", "StatefulSet", True, short=("sts",)),
    Res("apps", "v1", "daemonsets", "DaemonSet", True, short=("ds",)),
    Res("apps", "v1", "replicasets", "ReplicaSet", True, short=("rs",)),
    Res("apps", "v1", "controllerrevisions", "ControllerRevision", True),
    Res("batch", "v1", "jobs", "Job", True),
    Res("batch", "v1", "cronjobs", "CronJob", True, short=("cj",)),
    Res("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    Res("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    Res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    Res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    Res(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        short=("crd",),
    ),
    Res("coordination.k8s.io", "v1", "leases", "Lease", True),
    Res("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True),
    Res("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, short=("pdb",)),
    Res("events.k8s.io", "v1", "events", "Event", True),
    Res(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        False,
        verbs=("create",),
    ),
    Res("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True),
    Res("argoproj.io", "v1alpha1", "applications", "Application", True, short=("app",)),
    Res("argoproj.io", "v1alpha1", "appprojects", "AppProject", True),
    Res("argoproj.io", "v1alpha1", "applicationsets", "ApplicationSet", True),
    Res("argoproj.io", "v1alpha1", "rollouts", "Rollout", True, short=("ro",)),
    Res("argoproj.io", "v1alpha1", "analysistemplates", "AnalysisTemplate", True),
    Res("argoproj.io", "v1alpha1", "analysisruns", "AnalysisRun", True),
    Res("monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule", True),
    Res("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor", True),
    Res("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", False, short=("cpol",)),
    Res("kyverno.io", "v1", "policies", "Policy", True, short=("pol",)),
    Res("networking.istio.io", "v1", "virtualservices", "VirtualService", True, short=("vs",)),
    Res("networking.istio.io", "v1", "destinationrules", "DestinationRule", True, short=("dr",)),
    Res("security.istio.io", "v1", "peerauthentications", "PeerAuthentication", True),
    Res("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy", True),
    Res("security.istio.io", "v1", "requestauthentications", "RequestAuthentication", True),
    Res("bitnami.com", "v1alpha1", "sealedsecrets", "SealedSecret", True),
    Res("external-secrets.io", "v1beta1", "externalsecrets", "ExternalSecret", True, short=("es",)),
    Res("external-secrets.io", "v1beta1", "secretstores", "SecretStore", True),
    Res("external-secrets.io", "v1beta1", "clustersecretstores", "ClusterSecretStore", False),
]
#: Older versions a group also serves (discovery must pick the preferred one).
EXTRA_VERSIONS = {
    "networking.istio.io": ["v1beta1", "v1alpha3"],
    "autoscaling": ["v1"],
    "security.istio.io": ["v1beta1"],
}
#: Aggregated group whose backend is down: discovery answers 503 (as on a fresh kind cluster).
BROKEN_GROUP = ("metrics.k8s.io", "v1beta1")


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta.update(
        {
            "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{namespace}/{name}/{extra}")),
            "resourceVersion": "4711",
            **copy.deepcopy(LIVE_META),
        }
    )
    meta.update(extra)
    return meta


def live_deployment() -> dict[str, Any]:
    """``app/app-python`` as the API server returns it."""
    applied = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app-python", "namespace": "app"},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(
            "app-python",
            "app",
            generation=3,
            labels={
                "app.kubernetes.io/name": "app-python",
                "app.kubernetes.io/part-of": "kindops-lab",
            },
            annotations={
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied) + "\n",
                "kindops.io/owner": "platform",
            },
        ),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "app-python"}},
            "progressDeadlineSeconds": 600,
            "revisionHistoryLimit": 10,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {
                    "creationTimestamp": None,
                    "labels": {"app.kubernetes.io/name": "app-python"},
                },
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "image": "localhost:5001/app-python:1.4.2",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8000, "name": "http", "protocol": "TCP"}],
                            "env": [
                                {
                                    "name": "POD_NAME",
                                    "valueFrom": {
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.name",
                                        }
                                    },
                                }
                            ],
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                                "periodSeconds": 5,
                                "timeoutSeconds": 1,
                                "successThreshold": 1,
                                "failureThreshold": 3,
                            },
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "securityContext": {
                                "runAsNonRoot": True,
                                "readOnlyRootFilesystem": True,
                            },
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
                        }
                    ],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "serviceAccount": "app-python",
                    "serviceAccountName": "app-python",
                    "terminationGracePeriodSeconds": 30,
                    "volumes": [
                        {"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}}
                    ],
                },
            },
        },
        "status": {
            "availableReplicas": 2,
            "observedGeneration": 3,
            "readyReplicas": 2,
            "replicas": 2,
            "updatedReplicas": 2,
            "conditions": [{"type": "Available", "status": "True"}],
        },
    }


def live_service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(
            "app-python",
            "app",
            labels={"app.kubernetes.io/name": "app-python"},
            annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        ),
        "spec": {
            "clusterIP": "10.96.120.15",
            "clusterIPs": ["10.96.120.15"],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8000},
                {"name": "metrics", "port": 9464, "protocol": "TCP", "targetPort": 9464},
            ],
            "selector": {"app.kubernetes.io/name": "app-python"},
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }


def _owned(kind: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "apps/v1",
            "kind": kind,
            "name": name,
            "uid": str(uuid.uuid4()),
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def lab_objects() -> dict[str, list[dict[str, Any]]]:
    """Objects by qualified resource name: what the lab's kind cluster holds."""
    ns_names = ["default", "kube-system", "app", "argocd", "monitoring", "kindops-jobs"]
    o: dict[str, list[dict[str, Any]]] = {r.qualified: [] for r in RESOURCES}
    for ns in ns_names:
        o["namespaces"].append(
            {
                "metadata": _meta(ns, labels={"kubernetes.io/metadata.name": ns}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )
        o["configmaps"].append(
            {
                "metadata": _meta("kube-root-ca.crt", ns),
                "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n..."},
            }
        )
        o["serviceaccounts"].append(
            {"metadata": _meta("default", ns), "secrets": [{"name": "default-token-x"}]}
        )
    o["configmaps"] += [
        {
            "metadata": _meta("app-config", "app", labels={"app.kubernetes.io/name": "app-python"}),
            "data": {"LOG_LEVEL": "info", "settings.yaml": "queue: jobs\nworkers: 4\n"},
        },
        {"metadata": _meta("coredns", "kube-system"), "data": {"Corefile": ".:53 {}\n"}},
        {
            "metadata": _meta(
                "argocd-cm", "argocd", labels={"app.kubernetes.io/part-of": "argocd"}
            ),
            "data": {"url": "https://argocd.localtest.me", "admin.enabled": "true"},
        },
        {
            "metadata": _meta(
                "argocd-rbac-cm", "argocd", labels={"app.kubernetes.io/part-of": "argocd"}
            ),
            "data": {"policy.default": "role:readonly"},
        },
    ]
    o["secrets"] += [
        {
            "metadata": _meta("db-password", "app"),
            "type": "Opaque",
            "data": {"password": base64.b64encode(b"hunter2-plaintext").decode()},
        },
        {
            "metadata": _meta("argocd-secret", "argocd"),
            "type": "Opaque",
            "data": {"admin.password": base64.b64encode(b"argocd-admin-pw").decode()},
        },
    ]
    o["serviceaccounts"].append({"metadata": _meta("app-python", "app")})
    o["services"].append(live_service())
    dep = live_deployment()
    o["deployments.apps"].append(dep)
    o["replicasets.apps"].append(
        {
            "metadata": _meta(
                "app-python-5d9c7b", "app", ownerReferences=_owned("Deployment", "app-python")
            ),
            "spec": dep["spec"],
        }
    )
    for i in range(2):
        o["pods"].append(
            {
                "metadata": _meta(
                    f"app-python-5d9c7b-{i}",
                    "app",
                    ownerReferences=_owned("ReplicaSet", "app-python-5d9c7b"),
                ),
                "spec": dep["spec"]["template"]["spec"],
                "status": {"phase": "Running"},
            }
        )
    o["pods"].append(
        {
            "metadata": _meta("debug", "app"),
            "spec": {
                "containers": [
                    {
                        "name": "shell",
                        "image": "busybox:1.36",
                        "command": ["sleep", "3600"],
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent",
                        "volumeMounts": [
                            {
                                "name": "kube-api-access-7x2q",
                                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                "readOnly": True,
                            }
                        ],
                    }
                ],
                "nodeName": "kindops-control-plane",
                "priority": 0,
                "preemptionPolicy": "PreemptLowerPriority",
                "serviceAccountName": "default",
                "serviceAccount": "default",
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "enableServiceLinks": True,
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "key": "node.kubernetes.io/not-ready",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    },
                    {
                        "key": "node.kubernetes.io/unreachable",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    },
                ],
                "volumes": [
                    {
                        "name": "kube-api-access-7x2q",
                        "projected": {
                            "defaultMode": 420,
                            "sources": [
                                {
                                    "serviceAccountToken": {
                                        "expirationSeconds": 3607,
                                        "path": "token",
                                    }
                                }
                            ],
                        },
                    }
                ],
            },
            "status": {"phase": "Running", "podIP": "10.244.0.12"},
        }
    )
    o["events"].append({"metadata": _meta("app-python.17a", "app"), "reason": "Scheduled"})
    o["endpoints"].append({"metadata": _meta("app-python", "app"), "subsets": []})
    o["leases.coordination.k8s.io"].append({"metadata": _meta("kube-scheduler", "kube-system")})
    o["nodes"].append({"metadata": _meta("kindops-control-plane"), "spec": {}})
    o["cronjobs.batch"].append(
        {
            "metadata": _meta("nightly-report", "kindops-jobs"),
            "spec": {
                "schedule": "0 3 * * *",
                "concurrencyPolicy": "Forbid",
                "failedJobsHistoryLimit": 1,
                "successfulJobsHistoryLimit": 3,
                "suspend": False,
                "jobTemplate": {
                    "metadata": {"creationTimestamp": None},
                    "spec": {
                        "backoffLimit": 2,
                        "template": {
                            "metadata": {"creationTimestamp": None},
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [
                                    {
                                        "name": "report",
                                        "image": "busybox:1.36",
                                        "terminationMessagePath": "/dev/termination-log",
                                        "terminationMessagePolicy": "File",
                                        "imagePullPolicy": "IfNotPresent",
                                    }
                                ],
                                "dnsPolicy": "ClusterFirst",
                                "schedulerName": "default-scheduler",
                                "securityContext": {},
                                "terminationGracePeriodSeconds": 30,
                            },
                        },
                    },
                },
            },
            "status": {"lastScheduleTime": "2026-01-14T03:00:00Z"},
        }
    )
    o["jobs.batch"].append(
        {
            "metadata": _meta(
                "nightly-report-29001",
                "kindops-jobs",
                ownerReferences=[
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "name": "nightly-report",
                        "uid": "x",
                        "controller": True,
                    }
                ],
            ),
            "spec": {},
        }
    )
    rbac = "rbac.authorization.k8s.io"
    o[f"clusterroles.{rbac}"] += [
        {
            "metadata": _meta(
                "system:basic-user",
                labels={"kubernetes.io/bootstrapping": "rbac-defaults"},
                annotations={"rbac.authorization.kubernetes.io/autoupdate": "true"},
            ),
            "rules": [
                {
                    "apiGroups": ["authorization.k8s.io"],
                    "resources": ["selfsubjectreviews"],
                    "verbs": ["create"],
                }
            ],
        },
        {
            "metadata": _meta("kindops-backup-read"),
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
        },
        {
            "metadata": _meta("monitoring-view"),
            "aggregationRule": {
                "clusterRoleSelectors": [
                    {"matchLabels": {"kindops.io/aggregate-to-monitoring-view": "true"}}
                ]
            },
            "rules": [
                {
                    "apiGroups": ["monitoring.coreos.com"],
                    "resources": ["prometheusrules"],
                    "verbs": ["get"],
                }
            ],
        },
    ]
    o[f"clusterrolebindings.{rbac}"].append(
        {
            "metadata": _meta("kindops-backup-read"),
            "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "kindops-backup-read"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "kindops-backup", "namespace": "kindops-jobs"}
            ],
        }
    )
    o[f"roles.{rbac}"].append(
        {
            "metadata": _meta("config-reader", "app"),
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
        }
    )
    o["customresourcedefinitions.apiextensions.k8s.io"].append(
        {
            "metadata": _meta("rollouts.argoproj.io"),
            "spec": {
                "group": "argoproj.io",
                "scope": "Namespaced",
                "names": {
                    "kind": "Rollout",
                    "plural": "rollouts",
                    "singular": "rollout",
                    "listKind": "RolloutList",
                    "shortNames": ["ro"],
                },
                "conversion": {"strategy": "None"},
                "versions": [
                    {
                        "name": "v1alpha1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
            "status": {"acceptedNames": {"kind": "Rollout"}, "storedVersions": ["v1alpha1"]},
        }
    )

    def crd(res: str, name: str, ns: str | None, spec: dict[str, Any], **meta: Any) -> None:
        r = next(x for x in RESOURCES if x.qualified == res)
        o[res].append(
            {
                "apiVersion": r.api_version,
                "kind": r.kind,
                "metadata": _meta(name, ns, **meta),
                "spec": spec,
                "status": {"observedGeneration": 1},
            }
        )

    crd(
        "applications.argoproj.io",
        "app-python",
        "argocd",
        {
            "project": "kindops-lab",
            "source": {
                "repoURL": "https://git.example.invalid/kindops-lab.git",
                "path": "gitops/apps/app-python",
                "targetRevision": "main",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "app"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
        finalizers=["resources-finalizer.argocd.argoproj.io"],
    )
    o["applications.argoproj.io"][0]["operation"] = {"sync": {"revision": "abc123"}}
    crd(
        "appprojects.argoproj.io",
        "kindops-lab",
        "argocd",
        {"sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}]},
    )
    crd(
        "rollouts.argoproj.io",
        "app-java",
        "app",
        {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "app-java"}},
            "template": {
                "metadata": {"labels": {"app": "app-java"}},
                "spec": {"containers": [{"name": "app", "image": "localhost:5001/app-java:0.3.0"}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "1m"}}]}},
        },
    )
    crd(
        "analysistemplates.argoproj.io",
        "success-rate",
        "app",
        {
            "metrics": [
                {
                    "name": "success-rate",
                    "successCondition": "result[0] >= 0.99",
                    "provider": {
                        "prometheus": {"address": "http://prometheus:9090", "query": "sum(up)"}
                    },
                }
            ]
        },
    )
    crd("analysisruns.argoproj.io", "app-java-7f-2", "app", {"metrics": []})
    crd(
        "prometheusrules.monitoring.coreos.com",
        "app-slo",
        "monitoring",
        {"groups": [{"name": "slo", "rules": [{"alert": "HighErrorRate", "expr": "up == 0"}]}]},
    )
    crd(
        "servicemonitors.monitoring.coreos.com",
        "app-python",
        "monitoring",
        {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "app-python"}},
            "endpoints": [{"port": "metrics"}],
        },
    )
    crd(
        "clusterpolicies.kyverno.io",
        "require-resources",
        None,
        {
            "validationFailureAction": "Enforce",
            "rules": [{"name": "limits", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]}}],
        },
    )
    crd(
        "virtualservices.networking.istio.io",
        "app-python",
        "app",
        {"hosts": ["app-python"], "http": [{"route": [{"destination": {"host": "app-python"}}]}]},
    )
    crd(
        "destinationrules.networking.istio.io",
        "app-python",
        "app",
        {"host": "app-python", "subsets": [{"name": "stable", "labels": {"track": "stable"}}]},
    )
    crd("peerauthentications.security.istio.io", "default", "app", {"mtls": {"mode": "STRICT"}})
    crd(
        "authorizationpolicies.security.istio.io",
        "app-python",
        "app",
        {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["*"]}}]}]},
    )
    crd(
        "requestauthentications.security.istio.io",
        "jwt",
        "app",
        {"jwtRules": [{"issuer": "https://issuer.example.invalid"}]},
    )
    crd(
        "sealedsecrets.bitnami.com",
        "db-password",
        "app",
        {
            "encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA=="},
            "template": {"metadata": {"name": "db-password", "namespace": "app"}},
        },
    )
    crd(
        "externalsecrets.external-secrets.io",
        "aws-creds",
        "app",
        {
            "secretStoreRef": {"name": "aws", "kind": "SecretStore"},
            "target": {"name": "aws-creds"},
            "data": [{"secretKey": "key", "remoteRef": {"key": "kindops/aws"}}],
        },
    )
    crd(
        "secretstores.external-secrets.io",
        "aws",
        "app",
        {"provider": {"aws": {"service": "SecretsManager", "region": "us-east-1"}}},
    )
    for res, items in o.items():
        r = next(x for x in RESOURCES if x.qualified == res)
        for item in items:
            item.setdefault("apiVersion", r.api_version)
            item.setdefault("kind", r.kind)
    return o


def bulk_configmaps(count: int, namespaces: int = 10) -> list[dict[str, Any]]:
    """``count`` ConfigMaps spread over ``bulk-N`` namespaces (pagination and the bench)."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(
                f"cm-{i:05d}", f"bulk-{i % namespaces}", labels={"kindops.io/bulk": "true"}
            ),
            "data": {"index": str(i), "payload": "x" * 200},
        }
        for i in range(count)
    ]


def bulk_namespaces(namespaces: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _meta(f"bulk-{i}", labels={"kubernetes.io/metadata.name": f"bulk-{i}"}),
            "spec": {"finalizers": ["kubernetes"]},
        }
        for i in range(namespaces)
    ]


def _status(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }


def _selector_match(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any = None


@dataclass
class FakeCluster:
    """State and knobs of the fake API server."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=lab_objects)
    token: str = "test-token"
    forbidden: set[str] = field(default_factory=set)
    failing: dict[str, int] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)
    expire_once: set[str] = field(default_factory=set)
    expire_always: set[str] = field(default_factory=set)
    reject_apply: dict[tuple[str, str, str], tuple[int, str, str]] = field(default_factory=dict)
    allowed: list[dict[str, Any]] | None = None
    """RBAC rules (a ClusterRole's ``rules``) the caller has; None = everything."""
    user: str = "system:serviceaccount:kindops-jobs:kindops-backup"
    """The caller, as authorization denials name it."""
    requests: list[Seen] = field(default_factory=list)
    slow_hit: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, qualified: str, items: list[dict[str, Any]]) -> None:
        self.objects.setdefault(qualified, []).extend(items)

    def resource(self, group: str, version: str, plural: str) -> Res | None:
        return next(
            (r for r in RESOURCES if (r.group, r.version, r.plural) == (group, version, plural)),
            None,
        )

    def permitted(self, res: Res, verb: str) -> bool:
        if self.allowed is None:
            return True
        for rule in self.allowed:
            if (
                res.group in rule.get("apiGroups", [])
                and res.plural in rule.get("resources", [])
                and verb in rule.get("verbs", [])
            ):
                return True
        return False


def _group_versions() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in RESOURCES:
        if r.group and r.version not in out.setdefault(r.group, []):
            out[r.group].append(r.version)
    for g, extra in EXTRA_VERSIONS.items():
        out[g] += extra
    return out


class _Handler(JsonHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, delayed ACKs stall
        # every keep-alive response by ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class KubeHandler(_Handler):
    cluster: FakeCluster

    def _record(self, body: Any = None) -> tuple[str, dict[str, list[str]]]:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        with self.cluster.lock:
            self.cluster.requests.append(
                Seen(self.command, url.path, query, dict(self.headers.items()), body)
            )
        return url.path, query

    def _authorized(self) -> bool:
        if self.cluster.token and self.headers.get("Authorization") != (
            f"Bearer {self.cluster.token}"
        ):
            self.send_json(401, _status(401, "Unauthorized", "Unauthorized"))
            return False
        return True

    def _route(self, path: str) -> tuple[Res | None, str | None, str | None, str]:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"]:
            group, rest = "", parts[1:]
        else:
            group, rest = parts[1], parts[2:]
        version, rest = rest[0], rest[1:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        plural = rest[0] if rest else ""
        name = rest[1] if len(rest) > 1 else None
        return self.cluster.resource(group, version, plural), namespace, name, group

    def do_GET(self) -> None:
        path, query = self._record()
        if path == "/healthz":
            self.send_json(200, {"status": "ok"})
            return
        if not self._authorized():
            return
        if path == "/api":
            self.send_json(
                200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
            return
        versions = _group_versions()
        if path == "/apis":
            groups = [
                {
                    "name": g,
                    "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                    "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                }
                for g, vs in versions.items()
            ]
            bg, bv = BROKEN_GROUP
            groups.append(
                {
                    "name": bg,
                    "versions": [{"groupVersion": f"{bg}/{bv}", "version": bv}],
                    "preferredVersion": {"groupVersion": f"{bg}/{bv}", "version": bv},
                }
            )
            self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
            return
        parts = [p for p in path.split("/") if p]
        if (parts[:1] == ["api"] and len(parts) == 2) or (
            parts[:1] == ["apis"] and len(parts) == 3
        ):
            group = "" if parts[0] == "api" else parts[1]
            version = parts[-1]
            if (group, version) == BROKEN_GROUP:
                self.send_json(
                    503,
                    _status(
                        503,
                        "ServiceUnavailable",
                        "the server is currently unable to handle the request",
                    ),
                )
                return
            served = [r for r in RESOURCES if r.group == group and r.version == version]
            if not served:
                self.send_json(
                    404,
                    _status(404, "NotFound", "the server could not find the requested resource"),
                )
                return
            resources = []
            for r in served:
                resources.append(
                    {
                        "name": r.plural,
                        "singularName": r.kind.lower(),
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": list(r.verbs),
                        "shortNames": list(r.short),
                    }
                )
                resources.append(
                    {
                        "name": f"{r.plural}/status",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
            self.send_json(
                200,
                {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": f"{group}/{version}" if group else version,
                    "resources": resources,
                },
            )
            return
        self._list_or_get(path, query)

    def _list_or_get(self, path: str, query: dict[str, list[str]]) -> None:
        res, namespace, name, _ = self._route(path)
        if res is None:
            self.send_json(
                404, _status(404, "NotFound", "the server could not find the requested resource")
            )
            return
        c = self.cluster
        if res.qualified in c.slow:
            c.slow_hit.set()
            time.sleep(c.slow[res.qualified])
        if res.qualified in c.forbidden or not c.permitted(res, "get" if name else "list"):
            self.send_json(
                403,
                _status(
                    403,
                    "Forbidden",
                    f"{res.plural}{'.' + res.group if res.group else ''} is forbidden: User "
                    f'"system:serviceaccount:kindops-jobs:kindops-backup" cannot list resource '
                    f'"{res.plural}" in API group "{res.group}" at the cluster scope',
                    {"group": res.group, "kind": res.plural},
                ),
            )
            return
        if res.qualified in c.failing:
            code = c.failing[res.qualified]
            self.send_json(code, _status(code, "InternalError", "etcdserver: request timed out"))
            return
        items = [
            i
            for i in c.objects.get(res.qualified, [])
            if namespace is None or i["metadata"].get("namespace") == namespace
        ]
        if name is not None:
            found = [i for i in items if i["metadata"]["name"] == name]
            if not found:
                self.send_json(
                    404,
                    _status(
                        404,
                        "NotFound",
                        f'{res.plural} "{name}" not found',
                        {"name": name, "kind": res.plural},
                    ),
                )
            else:
                self.send_json(200, found[0])
            return
        selector = (query.get("labelSelector") or [""])[0]
        if selector:
            items = [
                i for i in items if _selector_match(i["metadata"].get("labels") or {}, selector)
            ]
        items.sort(key=lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"]))
        token = (query.get("continue") or [""])[0]
        start = 0
        if token:
            if res.qualified in c.expire_always or res.qualified in c.expire_once:
                c.expire_once.discard(res.qualified)
                self.send_json(
                    410,
                    _status(
                        410,
                        "Expired",
                        "The provided continue parameter is "
                        "too old to display a consistent list result. You can "
                        "start a new list without the continue parameter.",
                    ),
                )
                return
            start = int(json.loads(base64.b64decode(token))["start"])
        limit = int((query.get("limit") or ["0"])[0]) or len(items) or 1
        page = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": "5000"}
        if start + limit < len(items):
            meta["continue"] = base64.b64encode(
                json.dumps({"start": start + limit, "rv": 5000}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        # List items of built-in kinds carry no apiVersion/kind; CRD objects do.
        listed = [
            (
                {k: v for k, v in i.items() if k not in ("apiVersion", "kind")}
                if "." not in res.group or res.group.endswith(".k8s.io")
                else i
            )
            for i in page
        ]
        self.send_json(
            200,
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.api_version,
                "metadata": meta,
                "items": listed,
            },
        )

    def do_PATCH(self) -> None:
        raw = self.read_body()
        try:
            body = yaml.safe_load(raw)
        except yaml.YAMLError:
            body = None
        path, query = self._record(body)
        if not self._authorized():
            return
        res, namespace, name, _ = self._route(path)
        if self.headers.get("Content-Type") != "application/apply-patch+yaml":
            self.send_json(415, _status(415, "UnsupportedMediaType", "expected apply patch"))
            return
        if not (query.get("fieldManager") or [""])[0]:
            self.send_json(422, _status(422, "Invalid", "fieldManager is required for apply"))
            return
        if res is None:
            self.send_json(
                404, _status(404, "NotFound", "the server could not find the requested resource")
            )
            return
        if not isinstance(body, dict):
            self.send_json(400, _status(400, "BadRequest", "body is not an object"))
            return
        forbidden = f'{res.plural}{"." + res.group if res.group else ""} "{name}" is forbidden: '
        if not self.cluster.permitted(res, "patch"):
            where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            message = (
                f'User "{self.cluster.user}" cannot patch resource "{res.plural}" in API group '
                f'"{res.group}" {where}'
            )
            self.send_json(403, _status(403, "Forbidden", forbidden + message, {"name": name}))
            return
        existing_ns = {n["metadata"]["name"] for n in self.cluster.objects.get("namespaces", [])}
        if res.namespaced and namespace not in existing_ns:
            self.send_json(
                404,
                _status(
                    404,
                    "NotFound",
                    f'namespaces "{namespace}" not found',
                    {"name": namespace, "kind": "namespaces"},
                ),
            )
            return
        exists = any(
            (i["metadata"].get("namespace"), i["metadata"]["name"]) == (namespace, name)
            for i in self.cluster.objects.get(res.qualified, [])
        )
        # An apply that would create the object is also authorized as a create: the API server's
        # patch handler checks the "create" verb and words a denial as the authorizer's reason
        # alone (RBAC gives none).
        if not exists and not self.cluster.permitted(res, "create"):
            self.send_json(403, _status(403, "Forbidden", forbidden, {"name": name}))
            return
        rejected = self.cluster.reject_apply.get((res.kind, namespace or "", name or ""))
        if rejected:
            code, reason, message = rejected
            self.send_json(code, _status(code, reason, message))
            return
        live = copy.deepcopy(body)
        live.setdefault("metadata", {}).update(uid=str(uuid.uuid4()), resourceVersion="6000")
        if (query.get("dryRun") or [""])[0] != "All":
            with self.cluster.lock:
                items = self.cluster.objects.setdefault(res.qualified, [])
                items[:] = [
                    i
                    for i in items
                    if (i["metadata"].get("namespace"), i["metadata"]["name"]) != (namespace, name)
                ]
                items.append(live)
        self.send_json(200, live)


# -- Grafana --------------------------------------------------------------------------------
def grafana_state() -> dict[str, Any]:
    dash = {
        "id": 17,
        "uid": "svc-red",
        "title": "Service RED",
        "version": 4,
        "panels": [
            {
                "id": 1,
                "type": "timeseries",
                "title": "Requests",
                "targets": [{"expr": "sum(rate(http_server_requests_total[5m]))"}],
            }
        ],
        "schemaVersion": 39,
    }
    return {
        "folders": [
            {"id": 3, "uid": "platform", "title": "Platform", "parentUid": ""},
            {"id": 4, "uid": "slo", "title": "SLOs", "parentUid": "platform"},
        ],
        "dashboards": {
            "svc-red": {
                "dashboard": dash,
                "meta": {
                    "folderUid": "platform",
                    "folderTitle": "Platform",
                    "slug": "svc-red",
                    "provisioned": False,
                    "canSave": True,
                },
            },
            "slo-burn": {
                "dashboard": {"id": 18, "uid": "slo-burn", "title": "SLO burn rate", "panels": []},
                "meta": {"folderUid": "slo", "folderTitle": "SLOs", "slug": "slo-burn"},
            },
            "home": {
                "dashboard": {"id": 1, "uid": "home", "title": "Home", "panels": []},
                "meta": {"folderUid": "", "slug": "home"},
            },
        },
        "datasources": [
            {
                "id": 1,
                "uid": "prometheus",
                "orgId": 1,
                "name": "Prometheus",
                "type": "prometheus",
                "url": "http://prometheus:9090",
                "access": "proxy",
                "basicAuth": True,
                "basicAuthUser": "grafana",
                "basicAuthPassword": "prom-basic-pw",
                "password": "legacy-pw",
                "secureJsonData": {"basicAuthPassword": "prom-basic-pw"},
                "secureJsonFields": {"basicAuthPassword": True},
                "jsonData": {"httpMethod": "POST", "sigV4SecretKey": "sigv4-secret-value"},
            },
            {
                "id": 2,
                "uid": "loki",
                "orgId": 1,
                "name": "Loki",
                "type": "loki",
                "url": "http://loki:3100",
                "access": "proxy",
                "jsonData": {},
            },
        ],
        "alert_rules": [
            {
                "id": 9,
                "uid": "backup-too-old",
                "title": "Backup too old",
                "folderUID": "platform",
                "ruleGroup": "backups",
                "condition": "A",
                "data": [],
                "for": "1h",
            }
        ],
        "contact_points": [
            {
                "uid": "slack-oncall",
                "name": "oncall",
                "type": "slack",
                "settings": {
                    "url": "https://hooks.slack.invalid/T000/B000/XXXX",
                    "recipient": "#oncall",
                    "token": "xoxb-slack-token",
                },
            },
            {
                "uid": "webhook-am",
                "name": "alertmanager",
                "type": "webhook",
                "settings": {
                    "url": "http://alertmanager:9093/api/v2/alerts",
                    "username": "am",
                    "password": "webhook-pw",
                },
            },
        ],
        "policies": {
            "receiver": "oncall",
            "group_by": ["alertname"],
            "routes": [
                {"receiver": "alertmanager", "object_matchers": [["severity", "=", "page"]]}
            ],
        },
    }


@dataclass
class FakeGrafana:
    state: dict[str, Any] = field(default_factory=grafana_state)
    token: str = "grafana-token"
    requests: list[str] = field(default_factory=list)


class GrafanaHandler(_Handler):
    grafana: FakeGrafana

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.grafana.requests.append(self.path)
        if url.path == "/api/health":
            self.send_json(200, {"database": "ok", "version": "11.6.0"})
            return
        if self.headers.get("Authorization") != f"Bearer {self.grafana.token}":
            self.send_json(401, {"message": "invalid API key"})
            return
        s = self.grafana.state
        limit, page = int(q.get("limit", 1000)), int(q.get("page", 1))

        def paged(items: list[Any]) -> list[Any]:
            return items[(page - 1) * limit : page * limit]

        if url.path == "/api/folders":
            parent = q.get("parentUid", "")
            self.send_json(
                200,
                paged(
                    [
                        {"id": f["id"], "uid": f["uid"], "title": f["title"]}
                        for f in s["folders"]
                        if f["parentUid"] == parent
                    ]
                ),
            )
        elif url.path == "/api/search":
            hits = [
                {
                    "uid": uid,
                    "title": d["dashboard"]["title"],
                    "type": "dash-db",
                    "folderUid": d["meta"]["folderUid"],
                }
                for uid, d in sorted(s["dashboards"].items())
            ]
            self.send_json(200, paged(hits))
        elif url.path.startswith("/api/dashboards/uid/"):
            uid = url.path.rsplit("/", 1)[1]
            if uid in s["dashboards"]:
                self.send_json(200, s["dashboards"][uid])
            else:
                self.send_json(404, {"message": "Dashboard not found"})
        elif url.path == "/api/datasources":
            self.send_json(200, s["datasources"])
        elif url.path == "/api/v1/provisioning/alert-rules":
            self.send_json(200, s["alert_rules"])
        elif url.path == "/api/v1/provisioning/contact-points":
            self.send_json(200, s["contact_points"])
        elif url.path == "/api/v1/provisioning/policies":
            self.send_json(200, s["policies"])
        else:
            self.send_json(404, {"message": "Not found"})


class Servers:
    """Both fakes on loopback, each in a daemon thread."""

    def __init__(
        self,
        cluster: FakeCluster | None = None,
        grafana: FakeGrafana | None = None,
        kube_port: int = 0,
        grafana_port: int = 0,
    ) -> None:
        self.cluster = cluster or FakeCluster()
        self.grafana = grafana or FakeGrafana()
        kube = type("Kube", (KubeHandler,), {"cluster": self.cluster})
        graf = type("Graf", (GrafanaHandler,), {"grafana": self.grafana})
        self._kube = ThreadingHTTPServer(("127.0.0.1", kube_port), kube)
        self._graf = ThreadingHTTPServer(("127.0.0.1", grafana_port), graf)
        self._kube.daemon_threads = self._graf.daemon_threads = True
        self.kube_url = f"http://127.0.0.1:{self._kube.server_address[1]}"
        self.grafana_url = f"http://127.0.0.1:{self._graf.server_address[1]}"
        self._threads = [
            threading.Thread(target=s.serve_forever, args=(POLL_SECONDS,), daemon=True)
            for s in (self._kube, self._graf)
        ]

    def start(self) -> Servers:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        for s in (self._kube, self._graf):
            s.shutdown()
            s.server_close()

    def __enter__(self) -> Servers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig pointing at the fake API server with its bearer token."""
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "kind-kindops",
            "clusters": [{"name": "kind-kindops", "cluster": {"server": self.kube_url}}],
            "users": [{"name": "kindops-backup", "user": {"token": self.cluster.token}}],
            "contexts": [
                {
                    "name": "kind-kindops",
                    "context": {"cluster": "kind-kindops", "user": "kindops-backup"},
                }
            ],
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    def env(self, kubeconfig: Path) -> dict[str, str]:
        return {
            "KINDOPS_KUBECONFIG": str(kubeconfig),
            "KINDOPS_GRAFANA_URL": self.grafana_url,
            "KINDOPS_GRAFANA_TOKEN": self.grafana.token,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kube-port", type=int, required=True)
    parser.add_argument("--grafana-port", type=int, required=True)
    parser.add_argument("--bulk", type=int, default=0, help="extra ConfigMaps to serve")
    args = parser.parse_args()
    cluster = FakeCluster()
    if args.bulk:
        cluster.add("namespaces", bulk_namespaces())
        cluster.add("configmaps", bulk_configmaps(args.bulk))
    servers = Servers(cluster, kube_port=args.kube_port, grafana_port=args.grafana_port)
    servers.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        servers.stop()


if __name__ == "__main__":
    main()
