"""Cleaning live objects into manifests: exact output for the lab's Deployment and Service."""

from __future__ import annotations

import copy

from kindops.backup.export import to_yaml
from kindops.backup.neat import clean, skip_reason

from .backup_fakeapi import lab_objects, live_deployment, live_service

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-python
  namespace: app
  labels:
    app.kubernetes.io/name: app-python
    app.kubernetes.io/part-of: kindops-lab
  annotations:
    kindops.io/owner: platform
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: app-python
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-python
    spec:
      containers:
      - name: api
        image: localhost:5001/app-python:1.4.2
        ports:
        - containerPort: 8000
          name: http
        env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          periodSeconds: 5
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: 500m
            memory: 256Mi
        securityContext:
          runAsNonRoot: true
          readOnlyRootFilesystem: true
        volumeMounts:
        - name: config
          mountPath: /etc/app
      serviceAccountName: app-python
      volumes:
      - name: config
        configMap:
          name: app-config
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: app-python
  namespace: app
  labels:
    app.kubernetes.io/name: app-python
spec:
  ports:
  - name: http
    port: 80
    targetPort: 8000
  - name: metrics
    port: 9464
  selector:
    app.kubernetes.io/name: app-python
"""


def test_deployment_is_cleaned_exactly() -> None:
    assert to_yaml(clean(live_deployment())) == DEPLOYMENT


def test_service_is_cleaned_exactly() -> None:
    assert to_yaml(clean(live_service())) == SERVICE


def test_clean_does_not_touch_its_input() -> None:
    live = live_deployment()
    before = copy.deepcopy(live)
    clean(live)
    assert live == before


def test_non_default_values_are_kept() -> None:
    dep = live_deployment()
    spec = dep["spec"]
    spec["strategy"] = {"type": "Recreate"}
    spec["revisionHistoryLimit"] = 3
    pod = spec["template"]["spec"]
    pod["dnsPolicy"] = "None"
    pod["terminationGracePeriodSeconds"] = 60
    pod["containers"][0]["imagePullPolicy"] = "Always"
    pod["containers"][0]["readinessProbe"]["timeoutSeconds"] = 2
    out = clean(dep)["spec"]
    assert out["strategy"] == {"type": "Recreate"}
    assert out["revisionHistoryLimit"] == 3
    tpl = out["template"]["spec"]
    assert tpl["dnsPolicy"] == "None" and tpl["terminationGracePeriodSeconds"] == 60
    assert tpl["containers"][0]["imagePullPolicy"] == "Always"
    assert tpl["containers"][0]["readinessProbe"]["timeoutSeconds"] == 2


def test_headless_service_keeps_cluster_ip_none() -> None:
    svc = live_service()
    svc["spec"]["clusterIP"] = "None"
    svc["spec"]["clusterIPs"] = ["None"]
    spec = clean(svc)["spec"]
    assert spec["clusterIP"] == "None" and "clusterIPs" not in spec


def test_nodeport_service_drops_allocated_ports() -> None:
    svc = live_service()
    svc["spec"].update(type="NodePort", externalTrafficPolicy="Cluster")
    svc["spec"]["ports"][0]["nodePort"] = 31080
    spec = clean(svc)["spec"]
    assert spec["type"] == "NodePort" and "externalTrafficPolicy" not in spec
    assert "nodePort" not in spec["ports"][0]


def test_bare_pod_loses_what_admission_added() -> None:
    pod = next(p for p in lab_objects()["pods"] if p["metadata"]["name"] == "debug")
    out = clean(pod)
    assert out == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "app"},
        "spec": {
            "containers": [{"name": "shell", "image": "busybox:1.36", "command": ["sleep", "3600"]}]
        },
    }


def test_latest_images_keep_a_non_default_pull_policy() -> None:
    dep = live_deployment()
    container = dep["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "busybox"
    container["imagePullPolicy"] = "Always"  # the default for an untagged image
    assert "imagePullPolicy" not in clean(dep)["spec"]["template"]["spec"]["containers"][0]
    container["imagePullPolicy"] = "IfNotPresent"
    assert clean(dep)["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == (
        "IfNotPresent"
    )


def test_cronjob_and_namespace_defaults() -> None:
    objs = lab_objects()
    cron = clean(objs["cronjobs.batch"][0])
    assert cron["spec"] == {
        "schedule": "0 3 * * *",
        "concurrencyPolicy": "Forbid",
        "jobTemplate": {
            "spec": {
                "backoffLimit": 2,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "report", "image": "busybox:1.36"}],
                    }
                },
            }
        },
    }
    assert "status" not in cron
    ns = clean(objs["namespaces"][0], namespaced=False)
    assert ns == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}


def test_job_generated_selector_and_labels_are_dropped() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "migrate",
            "namespace": "app",
            "labels": {
                "batch.kubernetes.io/job-name": "migrate",
                "job-name": "migrate",
                "team": "sre",
            },
        },
        "spec": {
            "backoffLimit": 6,
            "completions": 1,
            "parallelism": 1,
            "completionMode": "NonIndexed",
            "suspend": False,
            "podReplacementPolicy": "TerminatingOrFailed",
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
            "template": {
                "metadata": {
                    "labels": {
                        "batch.kubernetes.io/controller-uid": "u",
                        "controller-uid": "u",
                        "job-name": "migrate",
                        "batch.kubernetes.io/job-name": "migrate",
                    }
                },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "m", "image": "migrate:1"}],
                },
            },
        },
    }
    out = clean(job)
    assert out["metadata"]["labels"] == {"team": "sre"}
    assert out["spec"] == {
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "migrate:1"}]}
        }
    }


def test_aggregated_cluster_role_loses_generated_rules_and_application_its_operation() -> None:
    objs = lab_objects()
    role = next(
        r
        for r in objs["clusterroles.rbac.authorization.k8s.io"]
        if r["metadata"]["name"] == "monitoring-view"
    )
    assert "rules" not in clean(role, namespaced=False)
    app = clean(objs["applications.argoproj.io"][0])
    assert "operation" not in app and "status" not in app
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]


def test_skip_reasons() -> None:
    objs = lab_objects()
    assert skip_reason(objs["secrets"][0]) == "secret"
    owned = next(p for p in objs["pods"] if p["metadata"].get("ownerReferences"))
    assert skip_reason(owned) == "owned"
    assert skip_reason(objs["replicasets.apps"][0]) == "owned"
    assert skip_reason(objs["configmaps"][0]) == "generated"  # kube-root-ca.crt
    bootstrap = objs["clusterroles.rbac.authorization.k8s.io"][0]
    assert skip_reason(bootstrap) == "bootstrap-rbac"
    assert skip_reason(bootstrap, skip_bootstrap_rbac=False) is None
    assert skip_reason(live_deployment()) is None
    sealed = objs["sealedsecrets.bitnami.com"][0]
    assert skip_reason(sealed) is None
