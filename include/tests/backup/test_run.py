"""`kindops backup run` against the fake Kubernetes and Grafana APIs (real local HTTP servers)."""

from __future__ import annotations

import gzip
import json

import yaml

from kindops.backup.archive import sha256
from kindops.localproc import free_port

from .backup_fakeapi import bulk_configmaps, bulk_namespaces
from .backup_support import ARCHIVE, Lab, leaked_secrets

LAB_CRD_KINDS = {
    "argoproj.io/Application",
    "argoproj.io/AppProject",
    "argoproj.io/Rollout",
    "argoproj.io/AnalysisTemplate",
    "monitoring.coreos.com/PrometheusRule",
    "monitoring.coreos.com/ServiceMonitor",
    "kyverno.io/ClusterPolicy",
    "networking.istio.io/VirtualService",
    "networking.istio.io/DestinationRule",
    "security.istio.io/PeerAuthentication",
    "security.istio.io/AuthorizationPolicy",
    "security.istio.io/RequestAuthentication",
    "bitnami.com/SealedSecret",
    "external-secrets.io/ExternalSecret",
}


def test_backup_exports_the_lab_into_one_dated_archive(lab: Lab) -> None:
    result, doc = lab.run_json("backup", "run")
    assert result.exit_code == 0, result.output
    assert doc["verdict"] == "ok" and doc["data"]["archive"] == ARCHIVE
    files = lab.files()
    manifest = json.loads(files.pop("manifest.json"))

    # One YAML per object at <namespace|_cluster>/<group>/<kind>/<name>.yaml.
    assert "kubernetes/app/apps/Deployment/app-python.yaml" in files
    assert "kubernetes/app/core/Service/app-python.yaml" in files
    assert "kubernetes/_cluster/core/Namespace/app.yaml" in files
    assert "kubernetes/_cluster/kyverno.io/ClusterPolicy/require-resources.yaml" in files
    assert "kubernetes/argocd/core/ConfigMap/argocd-cm.yaml" in files
    assert "kubernetes/argocd/core/ConfigMap/argocd-rbac-cm.yaml" in files
    kinds = set(manifest["counts"]["by_kind"])
    assert kinds >= LAB_CRD_KINDS
    # Controller-owned, generated, excluded and secret objects are not there.
    paths = "\n".join(files)
    for absent in (
        "/ReplicaSet/",
        "app-python-5d9c7b",
        "/Secret/",
        "kube-root-ca.crt",
        "/Event/",
        "/Endpoints/",
        "/Lease/",
        "/Node/",
        "kube-system",
        "system:basic-user",
        "/AnalysisRun/",
        "nightly-report-29001",
    ):
        assert absent not in paths, absent
    # Kubernetes files are cleaned: no status, uid, managedFields or last-applied.
    for path, data in files.items():
        if path.startswith("kubernetes/"):
            obj = yaml.safe_load(data)
            assert "status" not in obj, path
            assert not {"uid", "resourceVersion", "managedFields", "creationTimestamp"} & set(
                obj["metadata"]
            ), path
            assert b"last-applied-configuration" not in data, path

    # The manifest: every file with its checksum, counts, source, versions.
    assert manifest["schema_version"] == 1
    assert manifest["tool"] == {"name": "kindops", "version": "0.1.0"}
    assert manifest["source"]["cluster"] == "kind-kindops"
    assert manifest["source"]["server"] == lab.servers.kube_url
    assert manifest["logical_time"] == "2026-01-15T02:00:00+00:00"
    assert {f["path"] for f in manifest["files"]} == set(files)
    for entry in manifest["files"]:
        assert entry["sha256"] == sha256(files[entry["path"]])
    assert manifest["counts"]["files"] == len(files)
    assert manifest["counts"]["grafana_by_type"] == {
        "alert-rule": 1,
        "contact-point": 2,
        "dashboard": 3,
        "datasource": 2,
        "folder": 2,
        "notification-policies": 1,
    }
    assert manifest["counts"]["ignored"]["owned"] >= 4
    assert manifest["skipped"] == [
        {
            "resource": "metrics.k8s.io/v1beta1",
            "reason": "discovery: 503 ServiceUnavailable: the server is "
            "currently unable to handle the request",
        }
    ]


def test_no_secret_data_in_any_form(lab: Lab) -> None:
    assert lab.run("backup", "run").exit_code == 0
    data = lab.archive()
    assert leaked_secrets(gzip.decompress(data)) == []
    files = lab.files()
    sealed = yaml.safe_load(files["kubernetes/app/bitnami.com/SealedSecret/db-password.yaml"])
    assert sealed["spec"]["encryptedData"] == {"password": "AgBy3i4OJSWK+PiTySYZZA=="}
    # No request ever asked for Secrets.
    assert not [r for r in lab.cluster.requests if "secrets" in r.path.split("/")]
    ds = json.loads(files["grafana/datasources/prometheus.json"])
    assert not {"secureJsonData", "basicAuthPassword", "password"} & set(ds)
    assert ds["jsonData"]["sigV4SecretKey"] == "[REDACTED]"
    point = json.loads(files["grafana/contact-points/webhook-am.json"])
    assert point["settings"]["password"] == "[REDACTED]"
    assert point["settings"]["url"] == "http://alertmanager:9093/api/v2/alerts"
    entry = next(
        f
        for f in json.loads(files["manifest.json"])["files"]
        if f["path"] == "grafana/contact-points/slack-oncall.json"
    )
    assert entry["redacted"] == ["settings.token", "settings.url"]


def test_grafana_dashboards_keep_their_folders(lab: Lab) -> None:
    assert lab.run("backup", "run").exit_code == 0
    files = lab.files()
    dash = json.loads(files["grafana/dashboards/platform/svc-red.json"])
    assert dash["folderUid"] == "platform" and dash["dashboard"]["id"] is None
    assert dash["dashboard"]["panels"][0]["title"] == "Requests"
    assert "grafana/dashboards/slo/slo-burn.json" in files
    assert "grafana/dashboards/general/home.json" in files
    nested = json.loads(files["grafana/folders/slo.json"])
    assert nested == {"uid": "slo", "title": "SLOs", "parentUid": "platform"}
    policies = json.loads(files["grafana/notification-policies.json"])
    assert policies["receiver"] == "oncall"


def test_lists_are_paginated_with_continue_tokens(lab: Lab) -> None:
    lab.cluster.add("namespaces", bulk_namespaces(3))
    lab.cluster.add("configmaps", bulk_configmaps(25, namespaces=3))
    cfg = lab.config(kubernetes={"page_size": 4})
    result = lab.run("backup", "run", "--config", cfg)
    assert result.exit_code == 0, result.output
    cm_calls = lab.requests("GET", "/api/v1/configmaps")
    served = len(lab.cluster.objects["configmaps"])
    assert len(cm_calls) == -(-served // 4) > 1
    assert all(r.query["limit"] == ["4"] for r in cm_calls)
    assert sum("continue" in r.query for r in cm_calls) == len(cm_calls) - 1
    bulk = [p for p in lab.files() if "/ConfigMap/cm-" in p]
    assert len(bulk) == 25


def test_a_stale_continue_token_restarts_the_list_once(lab: Lab) -> None:
    lab.cluster.add("configmaps", bulk_configmaps(9, namespaces=1))
    lab.cluster.add("namespaces", bulk_namespaces(1))
    lab.cluster.expire_once.add("configmaps")
    cfg = lab.config(kubernetes={"page_size": 5})
    result = lab.run("backup", "run", "--config", cfg)
    assert result.exit_code == 0, result.output
    calls = lab.requests("GET", "/api/v1/configmaps")
    firsts = [r for r in calls if "continue" not in r.query]
    assert len(firsts) == 2  # the list started over after the 410
    names = [p for p in lab.files() if "/ConfigMap/" in p]
    assert len(names) == len(set(names)) == 9 + 3  # bulk + app-config, argocd-cm, argocd-rbac-cm


def test_a_token_that_keeps_expiring_fails_with_exit_3(lab: Lab) -> None:
    lab.cluster.add("configmaps", bulk_configmaps(9, namespaces=1))
    lab.cluster.expire_always.add("configmaps")
    result = lab.run("backup", "run", "--config", lab.config(kubernetes={"page_size": 5}))
    assert result.exit_code == 3
    assert "configmaps kept expiring (410 Gone" in result.stderr
    assert not (lab.store / ARCHIVE).exists()


def test_a_forbidden_kind_is_reported_and_skipped(lab: Lab) -> None:
    lab.cluster.forbidden.add("clusterpolicies.kyverno.io")
    result, doc = lab.run_json("backup", "run")
    assert result.exit_code == 0, result.output
    skipped = doc["data"]["skipped"]
    assert any(
        s["resource"] == "clusterpolicies.kyverno.io" and s["reason"].startswith("403 forbidden")
        for s in skipped
    )
    files = lab.files()
    assert not any("/ClusterPolicy/" in p for p in files)
    assert "kubernetes/app/apps/Deployment/app-python.yaml" in files
    manifest = json.loads(files["manifest.json"])
    assert any(s["resource"] == "clusterpolicies.kyverno.io" for s in manifest["skipped"])
    human = lab.run("backup", "run")
    assert "skipped" in human.stdout and "clusterpolicies.kyverno.io (403 forbidden)" in (
        human.stdout
    )


def test_a_server_error_fails_the_backup_and_publishes_nothing(lab: Lab) -> None:
    lab.cluster.failing["deployments.apps"] = 500
    result = lab.run("backup", "run")
    assert result.exit_code == 3
    assert "listing deployments.apps" in result.stderr and lab.servers.kube_url in result.stderr
    assert not (lab.store / "backups").exists()


def test_a_slow_api_times_out_with_exit_3_naming_the_server(lab: Lab) -> None:
    lab.cluster.slow["configmaps"] = 3.0
    cfg = lab.config(kubernetes={"timeout_seconds": 0.5, "retries": 0})
    result = lab.run("backup", "run", "--config", cfg)
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: kubernetes API {lab.servers.kube_url}: timed out after 0.5s"
    )


def test_an_unreachable_api_exits_3(lab: Lab) -> None:
    port = free_port()  # nothing listens there
    kubeconfig = lab.tmp / "dead-kubeconfig"
    kubeconfig.write_text(
        (lab.tmp / "kubeconfig")
        .read_text()
        .replace(lab.servers.kube_url, f"http://127.0.0.1:{port}")
    )
    cfg = lab.config(kubernetes={"retries": 0})
    result = lab.run("backup", "run", "--config", cfg, KINDOPS_KUBECONFIG=str(kubeconfig))
    assert result.exit_code == 3
    assert f"kubernetes API http://127.0.0.1:{port}: unreachable" in result.stderr


def test_bad_credentials_exit_2(lab: Lab) -> None:
    lab.cluster.token = "another-token"
    result = lab.run("backup", "run")
    assert result.exit_code == 2
    assert "401 Unauthorized" in result.stderr


def test_grafana_failures(lab: Lab) -> None:
    lab.grafana.token = "rotated"
    result = lab.run("backup", "run")
    assert result.exit_code == 2 and "Grafana" in result.stderr and "401" in result.stderr
    result = lab.run("backup", "run", KINDOPS_GRAFANA_URL="http://127.0.0.1:9")
    assert result.exit_code == 3 and "Grafana http://127.0.0.1:9: unreachable" in result.stderr
    assert not (lab.store / ARCHIVE).exists()


def test_grafana_is_optional_unless_required(lab: Lab) -> None:
    result, doc = lab.run_json("backup", "run", KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0
    assert doc["data"]["counts"]["grafana"] == 0
    assert lab.grafana.requests == []
    required = lab.config(grafana={"enabled": True})
    result = lab.run("backup", "run", "--config", required, KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 2
    assert "KINDOPS_GRAFANA_URL is not set" in result.stderr


def test_grafana_token_from_a_file(lab: Lab) -> None:
    token = lab.tmp / "grafana-token"
    token.write_text(lab.grafana.token + "\n")
    result = lab.run(
        "backup", "run", KINDOPS_GRAFANA_TOKEN="", KINDOPS_GRAFANA_TOKEN_FILE=str(token)
    )
    assert result.exit_code == 0, result.output


def test_namespace_resource_and_label_selection(lab: Lab) -> None:
    cfg = lab.config(
        kubernetes={
            "namespaces": {"include": ["app", "monitoring"]},
            "resources": {"exclude": ["virtualservices.networking.istio.io", "sa"]},
            "cluster_resources": False,
        },
        argocd={"enabled": False},
    )
    result = lab.run("backup", "run", "--config", cfg, KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0, result.output
    files = set(lab.files()) - {"manifest.json"}
    assert {p.split("/")[1] for p in files} == {"app", "monitoring"}
    assert not any("/VirtualService/" in p or "/ServiceAccount/" in p for p in files)
    assert "kubernetes/app/networking.istio.io/DestinationRule/app-python.yaml" in files
    # Namespaced lists went to the included namespaces only.
    cm_lists = {r.path for r in lab.requests("GET", "/configmaps")}
    assert cm_lists == {
        "/api/v1/namespaces/app/configmaps",
        "/api/v1/namespaces/monitoring/configmaps",
    }

    lab.cluster.requests.clear()
    selected = lab.config(
        kubernetes={
            "label_selector": "app.kubernetes.io/name=app-python",
            "resources": {"include": ["deployments.apps", "Service", "cm", "nosuchkind"]},
        },
        argocd={"enabled": False},
    )
    result, doc = lab.run_json("backup", "run", "--config", selected, KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0
    files = set(lab.files()) - {"manifest.json"}
    assert files == {
        "kubernetes/app/apps/Deployment/app-python.yaml",
        "kubernetes/app/core/Service/app-python.yaml",
        "kubernetes/app/core/ConfigMap/app-config.yaml",
    }
    assert doc["data"]["unmatched_includes"] == ["nosuchkind"]
    assert all(
        r.query.get("labelSelector") == ["app.kubernetes.io/name=app-python"]
        for r in lab.requests("GET", "/deployments")
    )


def test_bad_config_is_one_line_and_exit_2(lab: Lab) -> None:
    bad = lab.config(kubernetes={"page_size": 0, "resourcez": {}})
    result = lab.run("backup", "run", "--config", bad)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert "kubernetes.page_size" in line and "kubernetes.resourcez: unknown key" in line
    secrets = lab.config(kubernetes={"resources": {"include": ["secrets"]}})
    result = lab.run("backup", "run", "--config", secrets)
    assert result.exit_code == 2 and "Secrets are never exported" in result.stderr
    result = lab.run("backup", "run", "--config", str(lab.tmp / "missing.yaml"))
    assert result.exit_code == 2 and "cannot read it" in result.stderr
    assert not (lab.store / "backups").exists()


def test_rerun_of_the_same_logical_date_replaces_the_same_archive(lab: Lab) -> None:
    assert lab.run("backup", "run").exit_code == 0
    first = lab.files()
    lab.cluster.objects["configmaps"][-1]["data"]["policy.default"] = "role:admin"
    assert lab.run("backup", "verify", "--run").exit_code == 0
    assert (lab.store / (ARCHIVE + ".verified.json")).exists()
    assert lab.run("backup", "run").exit_code == 0
    assert sorted(p.name for p in (lab.store / "backups").iterdir()) == [
        "2026-01-15T020000Z.tar.gz"
    ]  # replaced in place; the stale marker is gone
    second = lab.files()
    changed = [p for p in second if p != "manifest.json" and second[p] != first.get(p)]
    assert changed == ["kubernetes/argocd/core/ConfigMap/argocd-rbac-cm.yaml"]
    other = lab.run("backup", "run", KINDOPS_RUN_ID="config_backup/20260116T020000")
    assert other.exit_code == 0
    assert (lab.store / "backups/2026-01-16T020000Z.tar.gz").exists()
