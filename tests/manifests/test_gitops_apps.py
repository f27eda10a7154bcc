"""The app of apps: gitops/bootstrap (root Application + its project, through kustomize) and
gitops/apps (the chart the root renders), rendered here as Argo CD renders them.

Every rendered Application and AppProject is strictly valid (Argo CD's CRD schemas); every chart
is pinned to an exact version; every source and destination is allowed by the Application's
project, and every project grants no more than its Applications use; every path source and
`$values` file exists; the observability Applications are the ones observability/helm-values/
charts.yaml pins; sync waves put CRDs and operators before what uses them.

Helm is built by `.ci/install-tools helm` into `.tools/bin/helm`; kubectl (kustomize) is on PATH.
"""

from __future__ import annotations

import re
import shutil
import string
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT
from tests.support.k8s import crd_schema, tool_versions
from tests.support.k8s import validate as validate_core

pytestmark = pytest.mark.integration

HELM = ROOT / ".tools" / "bin" / "helm"
APPS_CHART = ROOT / "gitops" / "apps"
VALUES = yaml.safe_load((APPS_CHART / "values.yaml").read_text())
APP_NAMES = [a["name"] for a in VALUES["applications"]]
EXACT_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")
#: Kubernetes kinds that are not namespaced (what path sources and the app charts may render).
CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "ClusterPolicy",
}


@cache
def crd_validator(group: str, kind: str, version: str) -> Any:
    """A strict validator of one CRD kind's offline schema, built (and schema-checked) once."""
    schema = crd_schema(group, kind, version)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(doc: dict[str, Any]) -> None:
    """tests.support.k8s.validate, with each CRD schema loaded once (they are large)."""
    group, _, version = str(doc["apiVersion"]).rpartition("/")
    if "." in group and not group.endswith(".k8s.io"):
        crd_validator(group, str(doc["kind"]), version).validate(doc)
    else:
        validate_core(doc)


def run(*cmd: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stderr.strip()}"
    return proc.stdout


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM.is_file(), f"{HELM} missing: run `.ci/install-tools helm`"
    return subprocess.run(
        [str(HELM), *args], capture_output=True, text=True, timeout=120, check=False
    )


def load_all(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl not found on PATH (its kustomize builds the bootstrap)"
    return load_all(run(kubectl, "kustomize", str(folder)))


@cache
def bootstrap() -> tuple[dict[str, Any], dict[str, Any]]:
    """(root Application, its AppProject) as `kubectl apply -k gitops/bootstrap` sends them."""
    docs = kustomize(ROOT / "gitops" / "bootstrap")
    root = next(d for d in docs if d["kind"] == "Application")
    project = next(d for d in docs if d["kind"] == "AppProject")
    assert len(docs) == 2, [d["kind"] for d in docs]
    return root, project


def template_args(source: dict[str, Any]) -> list[str]:
    """The root's helm parameters with Argo CD's build environment substituted, as --set-string."""
    env = {
        "ARGOCD_APP_SOURCE_REPO_URL": source["repoURL"],
        "ARGOCD_APP_SOURCE_TARGET_REVISION": source["targetRevision"],
    }
    args: list[str] = []
    for param in source["helm"]["parameters"]:
        args += [
            "--set-string",
            f"{param['name']}={string.Template(param['value']).substitute(env)}",
        ]
    return args


@cache
def rendered() -> list[dict[str, Any]]:
    root, _ = bootstrap()
    source = root["spec"]["source"]
    proc = helm(
        "template",
        source["helm"]["releaseName"],
        str(ROOT / source["path"]),
        "--namespace",
        root["spec"]["destination"]["namespace"],
        "--kube-version",
        tool_versions()["KUBERNETES_VERSION"],
        *template_args(source),
    )
    assert proc.returncode == 0, proc.stderr
    return load_all(proc.stdout)


def applications() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered() if d["kind"] == "Application"}


def projects() -> dict[str, dict[str, Any]]:
    found = {d["metadata"]["name"]: d for d in rendered() if d["kind"] == "AppProject"}
    _, boot = bootstrap()
    found[boot["metadata"]["name"]] = boot
    return found


def sources(app: dict[str, Any]) -> list[dict[str, Any]]:
    spec = app["spec"]
    return list(spec.get("sources") or [spec["source"]])


def repo() -> tuple[str, str]:
    root, _ = bootstrap()
    return root["spec"]["source"]["repoURL"], root["spec"]["source"]["targetRevision"]


def wave(doc: dict[str, Any]) -> int:
    return int(doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def project_of(app: dict[str, Any]) -> dict[str, Any]:
    return projects()[app["spec"]["project"]]


def group_kind(doc: dict[str, Any]) -> tuple[str, str]:
    group = str(doc["apiVersion"]).rpartition("/")[0]
    return group, str(doc["kind"])


def allowed(kinds: list[dict[str, str]], doc: dict[str, Any]) -> bool:
    return {"group": group_kind(doc)[0], "kind": group_kind(doc)[1]} in kinds


# ---- bootstrap


def test_bootstrap_is_valid_and_names_the_repository_once() -> None:
    root, project = bootstrap()
    for doc in (root, project):
        validate(doc)
        assert doc["metadata"]["namespace"] == "argocd"
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kindops-lab"
    url, revision = repo()
    assert url.startswith("https://") and url.endswith(".git")
    assert revision and revision != "HEAD"
    # kustomize copied the root's repository into its project: nothing else to keep in step
    assert project["spec"]["sourceRepos"] == [url]
    assert root["spec"]["project"] == project["metadata"]["name"]
    # ... and no other file of gitops/ spells it (the Applications get it from the root)
    for path in (ROOT / "gitops").rglob("*"):
        if path.suffix in {".yaml", ".json", ".tpl"} and path.name != "root.yaml":
            assert url not in path.read_text(), f"{path} repeats {url}"


def test_bootstrap_project_only_creates_the_app_of_apps() -> None:
    root, project = bootstrap()
    spec = project["spec"]
    assert spec["clusterResourceWhitelist"] == []
    assert spec["namespaceResourceWhitelist"] == [
        {"group": "argoproj.io", "kind": "Application"},
        {"group": "argoproj.io", "kind": "AppProject"},
    ]
    assert spec["destinations"] == [root["spec"]["destination"]]
    kinds = {d["kind"] for d in rendered()}
    assert kinds == {"Application", "AppProject"}
    assert {d["metadata"]["namespace"] for d in rendered()} == {"argocd"}


def test_the_chart_refuses_to_render_without_the_repository() -> None:
    proc = helm(
        "template",
        "x",
        str(APPS_CHART),
        "--kube-version",
        tool_versions()["KUBERNETES_VERSION"],
        "--set-string",
        "targetRevision=main",
    )
    assert proc.returncode != 0
    assert "repoURL is required" in proc.stderr


@pytest.mark.parametrize("version", ["latest", "*", "HEAD", ">=1.0.0", "1.x", "^2.1.0", "2.1"])
def test_the_chart_refuses_an_unpinned_version(version: str, tmp_path: Path) -> None:
    values = yaml.safe_load((APPS_CHART / "values.yaml").read_text())
    chart_app = next(a for a in values["applications"] if "chart" in a)
    chart_app["chart"]["version"] = version
    values.update(repoURL="https://example.invalid/r.git", targetRevision="main")
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
    proc = helm(
        "template",
        "x",
        str(APPS_CHART),
        "--kube-version",
        tool_versions()["KUBERNETES_VERSION"],
        "-f",
        str(tmp_path / "values.yaml"),
    )
    assert proc.returncode != 0, f"rendered with chart version {version!r}"
    assert "/chart/version" in proc.stderr, proc.stderr


# ---- every rendered object


def test_rendered_objects_are_valid() -> None:
    docs = rendered()
    assert docs
    for doc in docs:
        validate(doc)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kindops-lab"
        assert "argocd.argoproj.io/sync-wave" in doc["metadata"]["annotations"]


def test_every_listed_application_is_rendered_once() -> None:
    names = [d["metadata"]["name"] for d in rendered() if d["kind"] == "Application"]
    assert sorted(names) == sorted(APP_NAMES)
    assert len(set(names)) == len(names)


def test_projects_come_before_their_applications() -> None:
    apps = applications().values()
    for project in (d for d in rendered() if d["kind"] == "AppProject"):
        assert all(wave(project) < wave(app) for app in apps)


@pytest.mark.parametrize("name", APP_NAMES)
def test_chart_versions_are_pinned(name: str) -> None:
    url, revision = repo()
    for source in sources(applications()[name]):
        target = str(source["targetRevision"])
        if "chart" in source:
            assert EXACT_VERSION.fullmatch(target), f"{name}: chart version {target!r}"
            assert source["repoURL"].startswith("https://")
        else:  # this repository, at the root's revision
            assert source["repoURL"] == url
            assert target == revision


@pytest.mark.parametrize("name", APP_NAMES)
def test_sources_and_destination_are_allowed_by_the_project(name: str) -> None:
    app = applications()[name]
    project = project_of(app)["spec"]
    for source in sources(app):
        assert source["repoURL"] in project["sourceRepos"], (name, source["repoURL"])
    destination = app["spec"]["destination"]
    assert destination in project["destinations"], (name, destination)


def test_projects_grant_nothing_their_applications_do_not_use() -> None:
    apps = list(applications().values())
    for name, project in projects().items():
        spec = project["spec"]
        text = yaml.safe_dump(spec)
        assert "*" not in text, f"{name}: wildcard in {text}"
        mine = [a for a in apps if a["spec"]["project"] == name]
        used = {a["spec"]["destination"]["namespace"] for a in mine}
        for app in mine:
            used |= {resource_namespace(app, d) for d in repo_objects(app["metadata"]["name"])}
        if not mine:  # the bootstrap project: the root app, rendering gitops/apps
            mine = [bootstrap()[0]]
            used = {mine[0]["spec"]["destination"]["namespace"]}
            used |= {d["metadata"]["namespace"] for d in rendered()}
        used_repos = {s["repoURL"] for a in mine for s in sources(a)}
        assert set(spec["sourceRepos"]) == used_repos, name
        used.discard("")
        granted = {d["namespace"] for d in spec["destinations"]}
        assert granted == used, f"{name}: granted {sorted(granted)}, used {sorted(used)}"


@pytest.mark.parametrize("name", APP_NAMES)
def test_automated_sync_with_self_heal(name: str) -> None:
    policy = applications()[name]["spec"]["syncPolicy"]
    assert policy["automated"]["selfHeal"] is True
    assert policy["retry"]["limit"] > 0
    options = policy.get("syncOptions") or []
    if applications()[name]["spec"].get("ignoreDifferences"):
        assert "RespectIgnoreDifferences=true" in options, name


def test_only_argo_cd_the_sealing_key_and_namespaces_are_never_pruned() -> None:
    kept = {
        n for n, a in applications().items() if not a["spec"]["syncPolicy"]["automated"]["prune"]
    }
    assert kept == {"argo-cd", "sealed-secrets", "namespaces"}
    # deleting the Application that runs Argo CD must not delete Argo CD
    assert "finalizers" not in applications()["argo-cd"]["metadata"]
    for name in set(APP_NAMES) - {"argo-cd"}:
        finalizers = applications()[name]["metadata"]["finalizers"]
        assert finalizers == ["resources-finalizer.argocd.argoproj.io"], name


@pytest.mark.parametrize("name", APP_NAMES)
def test_helm_sources_skip_tests_and_name_their_release(name: str) -> None:
    for source in sources(applications()[name]):
        helm_spec = source.get("helm")
        if "chart" in source or (helm_spec and helm_spec.get("valueFiles")):
            assert helm_spec and helm_spec["skipTests"] is True, name
            assert helm_spec["releaseName"], name


# ---- what the sources point at


def resource_namespace(app: dict[str, Any], doc: dict[str, Any]) -> str:
    """Where an object lands: its own namespace, else the destination's; "" if cluster-scoped."""
    if doc["kind"] in CLUSTER_SCOPED:
        return ""
    return str(doc["metadata"].get("namespace") or app["spec"]["destination"]["namespace"])


def render_chart(folder: Path, source: dict[str, Any], app: dict[str, Any]) -> list[dict[str, Any]]:
    files: list[str] = []
    for ref in source.get("helm", {}).get("valueFiles", []):
        files += ["-f", str(ROOT / ref.removeprefix("$values/"))]
    proc = helm(
        "template",
        source["helm"]["releaseName"],
        str(folder),
        "--namespace",
        app["spec"]["destination"]["namespace"],
        "--kube-version",
        tool_versions()["KUBERNETES_VERSION"],
        "--skip-tests",
        *files,
    )
    assert proc.returncode == 0, proc.stderr
    return load_all(proc.stdout)


@cache
def repo_objects(name: str) -> list[dict[str, Any]]:
    """Everything the app's sources in this repository render (charts, kustomize, plain)."""
    app = applications()[name]
    url, _ = repo()
    docs: list[dict[str, Any]] = []
    for source in sources(app):
        if source["repoURL"] == url and "path" in source:
            folder = ROOT / source["path"]
            if (folder / "Chart.yaml").exists():
                docs += render_chart(folder, source, app)
            elif (folder / "kustomization.yaml").exists():
                docs += kustomize(folder)
            else:
                docs += [d for p in sorted(folder.glob("*.yaml")) for d in load_all(p.read_text())]
    return docs


@pytest.mark.parametrize("name", APP_NAMES)
def test_path_sources_exist_and_render_what_the_project_allows(name: str) -> None:
    app = applications()[name]
    url, _ = repo()
    project = project_of(app)["spec"]
    granted = {d["namespace"] for d in project["destinations"]}
    cluster_kinds = project.get("clusterResourceWhitelist") or []
    namespaced_kinds = project.get("namespaceResourceWhitelist")
    for source in sources(app):
        if source["repoURL"] == url and "path" in source:
            assert (ROOT / source["path"]).is_dir(), f"{name}: {source['path']} missing"
    for doc in repo_objects(name):
        where = f"{name}: {doc['kind']} {doc['metadata']['name']}"
        if doc["kind"] in CLUSTER_SCOPED:
            assert allowed(cluster_kinds, doc), f"{where}: cluster kind not whitelisted"
        else:
            namespace = resource_namespace(app, doc)
            assert namespace in granted, f"{where}: namespace {namespace} not granted"
            if namespaced_kinds:
                assert allowed(namespaced_kinds, doc), f"{where}: kind not whitelisted"


@pytest.mark.parametrize("name", APP_NAMES)
def test_values_refs_exist(name: str) -> None:
    app = applications()[name]
    url, revision = repo()
    refs = {s["ref"]: s for s in sources(app) if "ref" in s}
    for source in sources(app):
        for ref in (source.get("helm") or {}).get("valueFiles", []):
            assert ref.startswith("$values/"), f"{name}: {ref} is not a $values ref"
            path = ROOT / ref.removeprefix("$values/")
            assert path.is_file(), f"{name}: {ref} -> {path} missing"
            assert isinstance(yaml.safe_load(path.read_text()), dict), f"{name}: {path} not a map"
    if any((s.get("helm") or {}).get("valueFiles") for s in sources(app)):
        assert refs == {"values": {"repoURL": url, "targetRevision": revision, "ref": "values"}}


def test_observability_applications_are_the_pinned_charts() -> None:
    pins = yaml.safe_load((ROOT / "observability/helm-values/charts.yaml").read_text())
    by_release = {}
    for app in applications().values():
        for source in sources(app):
            if "chart" in source:
                by_release[source["helm"]["releaseName"]] = (app, source)
    for chart in pins["charts"]:
        app, source = by_release[chart["release"]]
        assert app["spec"]["destination"]["namespace"] == pins["namespace"]
        assert (source["repoURL"], source["chart"], source["targetRevision"]) == (
            chart["repo"],
            chart["chart"],
            chart["version"],
        )
        assert source["helm"]["valueFiles"] == [
            f"$values/observability/helm-values/{chart['values']}"
        ]


def test_every_gitops_and_observability_folder_is_deployed() -> None:
    url, _ = repo()
    used: set[str] = set()
    for app in applications().values():
        for source in sources(app):
            if source["repoURL"] == url and "path" in source:
                used.add(source["path"])
            for ref in (source.get("helm") or {}).get("valueFiles", []):
                used.add(str(Path(ref.removeprefix("$values/")).parent))
                used.add(ref.removeprefix("$values/"))
    folders = [p for p in (ROOT / "gitops/platform").iterdir() if p.is_dir()]
    folders += [p.parent for p in (ROOT / "observability").glob("*/kustomization.yaml")]
    for folder in folders:
        assert str(folder.relative_to(ROOT)) in used, f"{folder} is deployed by no Application"
    for values in (ROOT / "gitops/values").rglob("*.yaml"):
        assert str(values.relative_to(ROOT)) in used, f"{values} is used by no Application"
    assert "gitops/secrets/sealed" in used


def test_sync_waves_put_what_is_needed_first() -> None:
    apps = applications()
    needs = {
        # CRDs / controllers / Secrets / namespaces  ->  what uses them
        "namespaces": [
            n for n in APP_NAMES if n not in {"argo-cd", "namespaces", "sealed-secrets"}
        ],
        "sealed-secrets": ["kindops-secrets"],
        "kindops-jobs": ["kindops-secrets"],
        "kindops-secrets": ["kube-prometheus-stack", "app-python", "app-java"],
        "kube-prometheus-stack": [
            "loki",
            "tempo",
            "otel-collector",
            "prometheus-pushgateway",
            "opencost",
            "argo-rollouts",
            "prometheus-rules",
        ],
        "istio-base": ["istiod"],
        "istio-cni": ["istiod", "app-python", "app-java"],
        "istiod": ["app-python", "app-java"],
        "argo-rollouts": ["app-python", "app-java"],
        "kyverno": ["kyverno-policies"],
        "kyverno-policies": ["app-python", "app-java"],
        "litmus-core": ["kubernetes-chaos"],
        "otel-collector": ["app-python", "app-java"],
    }
    for first, thens in needs.items():
        for then in thens:
            assert wave(apps[first]) < wave(apps[then]), f"{first} must sync before {then}"
    assert min(apps, key=lambda n: wave(apps[n])) == "argo-cd"


def test_app_charts_render_with_their_gitops_values() -> None:
    for name in ("app-python", "app-java"):
        docs = repo_objects(name)
        kinds = {d["kind"] for d in docs}
        assert {"Rollout", "AnalysisTemplate", "VirtualService"} <= kinds, name
        assert "Pod" not in kinds, f"{name}: helm test pods must not be synced"
        for doc in docs:
            validate(doc)


def test_readme_lists_the_pinned_charts() -> None:
    rows = re.findall(
        r"^\| `([a-z0-9-]+)` \| `([a-z0-9-]+)` \| ([0-9][^ ]*) \| (https://\S+) \|$",
        (ROOT / "gitops" / "README.md").read_text(),
        flags=re.MULTILINE,
    )
    pinned = {
        (a["name"], a["chart"]["name"], a["chart"]["version"], a["chart"]["repo"])
        for a in VALUES["applications"]
        if "chart" in a
    }
    assert set(rows) == pinned
