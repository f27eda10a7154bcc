"""The app charts: lint, render every ci/ scenario, validate every object strictly, check the
lab's pod policy, the canary wiring (Rollout, Services, Istio, AnalysisTemplate and its PromQL),
the mesh security objects, the values schema and the template conditionals.

Helm is built by `.ci/install-tools helm` into `.tools/bin/helm` (pinned in tools.versions).
"""

from __future__ import annotations

import subprocess
from functools import cache
from typing import Any

import promql_parser
import pytest
import yaml

from tests.support.k8s import ROOT, pod_policy_violations, tool_versions, validate

pytestmark = pytest.mark.integration

HELM = ROOT / ".tools" / "bin" / "helm"
CHARTS = ROOT / "charts"
NAMESPACE = "apps"
KUBE_VERSION = tool_versions()["KUBERNETES_VERSION"]
COLLECTOR = "http://otel-collector-opentelemetry-collector.observability.svc:4318"
METRIC_PREFIX = "http_server_request_duration_seconds_"
ISTIO_GROUPS = {"networking.istio.io", "security.istio.io"}

# chart -> (job label of its HTTP metrics, health paths the probes use)
APPS: dict[str, dict[str, Any]] = {
    "app-python": {
        "job": "app-python",
        "probes": {
            "startup": "/healthz/startup",
            "liveness": "/healthz/live",
            "readiness": "/healthz/ready",
        },
    },
    "app-java": {
        "job": "app-java",
        "probes": {
            "startup": "/actuator/health/liveness",
            "liveness": "/actuator/health/liveness",
            "readiness": "/actuator/health/readiness",
        },
    },
}
SCENARIOS = [
    (chart, path.name)
    for chart in APPS
    for path in sorted((CHARTS / chart / "ci").glob("*-values.yaml"))
]
SCENARIO_IDS = [f"{chart}-{name.removesuffix('-values.yaml')}" for chart, name in SCENARIOS]


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM.is_file(), f"{HELM} missing: run `.ci/install-tools helm`"
    return subprocess.run(
        [str(HELM), *args], capture_output=True, text=True, timeout=120, check=False
    )


@cache
def _render(chart: str, values: str | None, sets: tuple[str, ...]) -> tuple[int, str, str]:
    args = [
        "template",
        chart,
        str(CHARTS / chart),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        KUBE_VERSION,
    ]
    if values:
        args += ["-f", str(CHARTS / chart / "ci" / values)]
    for s in sets:
        args += ["--set", s]
    proc = helm(*args)
    return proc.returncode, proc.stdout, proc.stderr


def render(chart: str, values: str | None = None, *sets: str) -> list[dict[str, Any]]:
    code, out, err = _render(chart, values, tuple(sets))
    assert code == 0, err
    return [d for d in yaml.safe_load_all(out) if d]


def render_fails(chart: str, *sets: str) -> str:
    code, _, err = _render(chart, None, tuple(sets))
    assert code != 0, f"helm template {chart} --set {sets} rendered"
    return err


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name, [d["metadata"]["name"] for d in by_kind(docs, kind)])
    return found[0]


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    pods = []
    for d in docs:
        if d["kind"] == "Pod":
            pods.append((d["metadata"]["name"], d["spec"]))
        elif d["kind"] in {"Deployment", "Rollout"}:
            pods.append((d["metadata"]["name"], d["spec"]["template"]["spec"]))
    return pods


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def is_helm_test(doc: dict[str, Any]) -> bool:
    return (doc["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test"


# --- every scenario ------------------------------------------------------------------------


def test_every_chart_has_the_three_scenarios() -> None:
    for chart in APPS:
        names = {p.name for p in (CHARTS / chart / "ci").glob("*-values.yaml")}
        assert {"default-values.yaml", "minimal-values.yaml", "production-values.yaml"} <= names


@pytest.mark.parametrize(("chart", "values"), SCENARIOS, ids=SCENARIO_IDS)
def test_lint_strict(chart: str, values: str) -> None:
    proc = helm(
        "lint",
        "--strict",
        str(CHARTS / chart),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        KUBE_VERSION,
        "-f",
        str(CHARTS / chart / "ci" / values),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize(("chart", "values"), SCENARIOS, ids=SCENARIO_IDS)
def test_rendered_objects_are_valid_and_secure(chart: str, values: str) -> None:
    docs = render(chart, values)
    assert docs
    for doc in docs:
        validate(doc)
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "kindops-lab", doc["metadata"]["name"]
        assert labels["app.kubernetes.io/name"] == chart
        assert labels["app.kubernetes.io/instance"] == chart
    for sa in by_kind(docs, "ServiceAccount"):
        assert sa["automountServiceAccountToken"] is False
    pods = pod_specs(docs)
    assert any(name.endswith("-test-health") for name, _ in pods), "no helm test pod"
    for name, spec in pods:
        assert pod_policy_violations(spec) == [], name
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounts = {
            m["mountPath"]: m["name"] for c in spec["containers"] for m in c.get("volumeMounts", [])
        }
        for c in spec["containers"]:
            assert "latest" not in c["image"], (name, c["image"])
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert c["resources"]["requests"] and c["resources"]["limits"]
            if name.endswith("-test-health"):
                continue
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in c, (name, c["name"], probe)
            assert mounts.get("/tmp") == "tmp", name
            assert "emptyDir" in volumes["tmp"], name
            assert env_of(c)["OTEL_EXPORTER_OTLP_ENDPOINT"] == COLLECTOR


@pytest.mark.parametrize("chart", APPS)
def test_image_tag_defaults_to_app_version(chart: str) -> None:
    app_version = yaml.safe_load((CHARTS / chart / "Chart.yaml").read_text())["appVersion"]
    docs = render(chart)
    images = {
        c["image"]
        for _, spec in pod_specs(docs)
        if not _.endswith("-test-health")
        for c in spec["containers"]
    }
    assert images == {f"localhost:5001/kindops/{chart}:{app_version}"}
    pinned = render(chart, None, "image.tag=0.2.0", f"image.digest=sha256:{'a' * 64}")
    images = {
        c["image"]
        for _, spec in pod_specs(pinned)
        if not _.endswith("-test-health")
        for c in spec["containers"]
    }
    assert images == {f"localhost:5001/kindops/{chart}:0.2.0@sha256:{'a' * 64}"}


@pytest.mark.parametrize("chart", APPS)
def test_probes_hit_the_apps_health_endpoints(chart: str) -> None:
    docs = render(chart)
    main = one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0]
    for kind, path in APPS[chart]["probes"].items():
        assert main[f"{kind}Probe"]["httpGet"] == {"path": path, "port": "http"}
    test_pod = next(d for d in by_kind(docs, "Pod") if is_helm_test(d))
    script = " ".join(test_pod["spec"]["containers"][0]["args"])
    assert APPS[chart]["probes"]["readiness"] in script
    assert f"http://{chart}:" in script


# --- values schema -------------------------------------------------------------------------


@pytest.mark.parametrize("chart", APPS)
@pytest.mark.parametrize(
    ("sets", "why"),
    [
        (("bogus=1",), "bogus"),
        (("canary.analysis.bogus=1",), "bogus"),
        (("image.tag=latest",), "tag"),
        (("canary.enabled=maybe",), "enabled"),
        (("istio.mtlsMode=DISABLE",), "mtlsMode"),
        (("canary.analysis.maxErrorRate=2",), "maxErrorRate"),
    ],
    ids=["unknown-key", "unknown-nested-key", "latest-tag", "bad-type", "bad-enum", "bad-range"],
)
def test_schema_rejects_bad_values(chart: str, sets: tuple[str, ...], why: str) -> None:
    err = render_fails(chart, *sets)
    assert "schema" in err.lower(), err
    assert why in err, err


def test_schema_rejects_a_bad_type_in_a_workload_value() -> None:
    assert "replicas" in render_fails("app-python", "api.replicas=two")
    assert "replicas" in render_fails("app-java", "replicas=two")


# --- canary wiring -------------------------------------------------------------------------


@pytest.mark.parametrize("chart", APPS)
def test_rollout_is_wired_to_services_istio_and_analysis(chart: str) -> None:
    docs = render(chart)
    rollout = one(docs, "Rollout")
    canary = rollout["spec"]["strategy"]["canary"]
    pod_labels = rollout["spec"]["template"]["metadata"]["labels"]
    selector = rollout["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    assert set(services) == {chart, f"{chart}-stable", f"{chart}-canary"}
    assert canary["canaryService"] == f"{chart}-canary"
    assert canary["stableService"] == f"{chart}-stable"
    for svc in services.values():
        assert svc["spec"]["selector"].items() <= pod_labels.items()
        assert svc["spec"]["ports"][0]["name"] == "http"

    steps = canary["steps"]
    weights = [s["setWeight"] for s in steps if "setWeight" in s]
    assert weights == sorted(weights) and weights[0] > 0 and weights[-1] < 100
    assert any("pause" in s for s in steps)
    assert canary["abortScaleDownDelaySeconds"] >= 0

    istio = canary["trafficRouting"]["istio"]
    vs = one(docs, "VirtualService", istio["virtualService"]["name"])
    routes = {r["name"]: r for r in vs["spec"]["http"]}
    assert set(istio["virtualService"]["routes"]) <= set(routes)
    dr = one(docs, "DestinationRule", istio["destinationRule"]["name"])
    subsets = {s["name"] for s in dr["spec"]["subsets"]}
    assert (
        {istio["destinationRule"]["stableSubsetName"], istio["destinationRule"]["canarySubsetName"]}
        == subsets
        == {"stable", "canary"}
    )
    dests = routes["primary"]["route"]
    assert {d["destination"]["subset"]: d["weight"] for d in dests} == {"stable": 100, "canary": 0}
    assert {d["destination"]["host"] for d in dests} == {dr["spec"]["host"]}
    assert dr["spec"]["host"] == f"{chart}.{NAMESPACE}.svc.cluster.local"

    template_name = canary["analysis"]["templates"][0]["templateName"]
    one(docs, "AnalysisTemplate", template_name)


def _selectors(query: str) -> list[promql_parser.VectorSelector]:
    found: list[promql_parser.VectorSelector] = []

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        return True

    promql_parser.walk(promql_parser.parse(query), visit)
    return found


@pytest.mark.parametrize("chart", APPS)
@pytest.mark.parametrize("job", [None, "orders-canary"])
def test_analysis_queries_parse_and_select_the_apps_job(chart: str, job: str | None) -> None:
    sets = (f"canary.analysis.job={job}",) if job else ()
    docs = render(chart, None, *sets)
    expected_job = job or APPS[chart]["job"]
    metrics = {m["name"]: m for m in one(docs, "AnalysisTemplate")["spec"]["metrics"]}
    assert set(metrics) == {"error-rate", "p95-latency"}
    for name, metric in metrics.items():
        assert metric["failureLimit"] >= 0 and metric["successCondition"], name
        query = metric["provider"]["prometheus"]["query"]
        selectors = _selectors(query)
        assert selectors, query
        for sel in selectors:
            assert sel.name is not None and sel.name.startswith(METRIC_PREFIX), query
            jobs = [(m.op, m.value) for m in sel.matchers.matchers if m.name == "job"]
            assert jobs == [(promql_parser.MatchOp.Equal, expected_job)], query
    assert "0.95" in metrics["p95-latency"]["provider"]["prometheus"]["query"]
    assert "<= 0.3" in metrics["p95-latency"]["successCondition"]
    assert "<= 0.01" in metrics["error-rate"]["successCondition"]


@pytest.mark.parametrize("chart", APPS)
def test_analysis_job_is_the_service_name_the_app_exports(chart: str) -> None:
    docs = render(chart)
    rollout = one(docs, "Rollout")
    env = env_of(rollout["spec"]["template"]["spec"]["containers"][0])
    query = one(docs, "AnalysisTemplate")["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    assert f'job="{env["OTEL_SERVICE_NAME"]}"' in query


# --- conditionals --------------------------------------------------------------------------


@pytest.mark.parametrize("chart", APPS)
def test_canary_disabled_renders_a_deployment_and_plain_routes(chart: str) -> None:
    docs = render(chart, None, "canary.enabled=false")
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"Rollout", "AnalysisTemplate"}
    deployment = one(docs, "Deployment", chart)
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert {s["metadata"]["name"] for s in by_kind(docs, "Service")} == {chart}
    vs = one(docs, "VirtualService")
    for route in vs["spec"]["http"]:
        assert all("subset" not in d["destination"] and "weight" not in d for d in route["route"])
    assert "subsets" not in one(docs, "DestinationRule")["spec"]


@pytest.mark.parametrize("chart", APPS)
def test_istio_disabled_renders_no_istio_objects(chart: str) -> None:
    docs = render(chart, None, "istio.enabled=false")
    assert not [d for d in docs if d["apiVersion"].split("/")[0] in ISTIO_GROUPS]
    canary = one(docs, "Rollout")["spec"]["strategy"]["canary"]
    assert "trafficRouting" not in canary
    assert "abortScaleDownDelaySeconds" not in canary  # a traffic-routing setting
    test_pod = next(d for d in by_kind(docs, "Pod") if is_helm_test(d))
    assert "sidecar.istio.io/nativeSidecar" not in test_pod["metadata"]["annotations"]


@pytest.mark.parametrize("chart", APPS)
def test_minimal_scenario_has_neither_rollouts_nor_istio(chart: str) -> None:
    docs = render(chart, "minimal-values.yaml")
    groups = {d["apiVersion"].split("/")[0] for d in docs}
    assert not groups & (ISTIO_GROUPS | {"argoproj.io"})


def test_worker_is_a_deployment_with_its_own_identity_and_probes() -> None:
    docs = render("app-python")
    worker = one(docs, "Deployment", "app-python-worker")
    spec = worker["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "app-python-worker"
    one(docs, "ServiceAccount", "app-python-worker")
    c = spec["containers"][0]
    assert c["command"] == ["orders-worker"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["exec"]["command"] == ["python", "-m", "orders.healthcheck"]
    env = env_of(c)
    assert env["WORKER_HEARTBEAT_FILE"].startswith("/tmp/")
    assert env["OTEL_SERVICE_NAME"] == "app-python-worker"
    api = one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0]
    assert api["command"] == ["orders-api"]
    assert env_of(api)["OTEL_SERVICE_NAME"] == "app-python"
    # the worker is never selected by the API's Services
    worker_labels = worker["spec"]["template"]["metadata"]["labels"]
    for svc in by_kind(docs, "Service"):
        assert not svc["spec"]["selector"].items() <= worker_labels.items()

    without = render("app-python", None, "worker.enabled=false")
    names = {(d["kind"], d["metadata"]["name"]) for d in without}
    assert not {n for n in names if n[1].endswith("-worker")}


# --- mesh security -------------------------------------------------------------------------


@pytest.mark.parametrize("chart", APPS)
def test_mtls_is_strict_for_every_pod_of_the_release(chart: str) -> None:
    docs = render(chart)
    pa = one(docs, "PeerAuthentication")
    assert pa["spec"]["mtls"]["mode"] == "STRICT"
    workloads = [d for d in docs if d["kind"] in {"Rollout", "Deployment"}]
    assert workloads
    for w in workloads:
        labels = w["spec"]["template"]["metadata"]["labels"]
        assert pa["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_app_java_accepts_only_app_pythons_worker() -> None:
    java = render("app-java")
    policy = one(java, "AuthorizationPolicy")
    assert policy["spec"]["action"] == "ALLOW"
    api_rule, health_rule = policy["spec"]["rules"]
    principals = api_rule["from"][0]["source"]["principals"]
    # the principal is the worker's ServiceAccount as app-python's chart names it
    worker_sa = one(render("app-python"), "ServiceAccount", "app-python-worker")
    assert principals == [f"cluster.local/ns/{NAMESPACE}/sa/{worker_sa['metadata']['name']}"]
    assert api_rule["to"][0]["operation"]["paths"] == ["/api/*"]
    assert health_rule["from"][0]["source"]["principals"] == [
        f"cluster.local/ns/{NAMESPACE}/sa/app-java"
    ]
    assert health_rule["to"][0]["operation"]["methods"] == ["GET"]
    assert not by_kind(java, "RequestAuthentication")

    other = render("app-java", "production-values.yaml")
    principals = one(other, "AuthorizationPolicy")["spec"]["rules"][0]["from"][0]["source"]
    assert principals["principals"] == ["cluster.local/ns/orders/sa/app-python-worker"]


def test_app_java_lets_the_extra_principals_call_every_endpoint() -> None:
    jobs = "cluster.local/ns/kindops-jobs/sa/kindops-jobs"
    docs = render("app-java", None, f"istio.extraPrincipals[0]={jobs}")
    api_rule, extra_rule, health_rule = one(docs, "AuthorizationPolicy")["spec"]["rules"]
    assert extra_rule == {"from": [{"source": {"principals": [jobs]}}]}  # no path restriction
    assert api_rule["to"][0]["operation"]["paths"] == ["/api/*"]
    assert health_rule["to"][0]["operation"]["methods"] == ["GET"]
    assert "/istio/extraPrincipals': got string, want array" in render_fails(
        "app-java", "istio.extraPrincipals=x"
    )


def test_app_python_api_accepts_the_ingress_gateway_and_worker_nothing() -> None:
    docs = render("app-python")
    api = one(docs, "AuthorizationPolicy", "app-python")
    principals = api["spec"]["rules"][0]["from"][0]["source"]["principals"]
    assert principals == ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]
    worker = one(docs, "AuthorizationPolicy", "app-python-worker")
    assert worker["spec"]["action"] == "ALLOW" and "rules" not in worker["spec"]
    assert not by_kind(docs, "RequestAuthentication")


def test_app_python_jwt_and_ingress_in_production() -> None:
    docs = render("app-python", "production-values.yaml")
    ra = one(docs, "RequestAuthentication")
    assert ra["spec"]["jwtRules"][0]["issuer"] == "https://auth.kindops.local"
    source = one(docs, "AuthorizationPolicy", "app-python")["spec"]["rules"][0]["from"][0]
    assert source["source"]["requestPrincipals"] == ["*"]
    assert "cluster.local/ns/kindops-jobs/sa/kindops-jobs" in source["source"]["principals"]
    vs = one(docs, "VirtualService")
    assert vs["spec"]["gateways"] == ["mesh", "istio-system/kindops-gateway"]
    assert "orders.kindops.local" in vs["spec"]["hosts"]
    api = one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0]
    admin = next(e for e in api["env"] if e["name"] == "ADMIN_TOKEN")
    assert admin["valueFrom"]["secretKeyRef"]["name"] == "app-python-admin"
    assert api["envFrom"] == [{"secretRef": {"name": "app-python-aws"}}]


def test_jwt_without_issuer_is_refused() -> None:
    err = render_fails("app-python", "istio.jwt.enabled=true")
    assert "istio.jwt.issuer is required" in err


# --- documentation -------------------------------------------------------------------------


def _undocumented_values(text: str) -> list[str]:
    """Leaf keys of values.yaml with no `# --` comment on themselves or on an ancestor."""
    missing: list[str] = []
    stack: list[tuple[int, str, bool]] = []  # (indent, key, documented)
    previous = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#") or stripped.startswith("-"):
            previous = (
                stripped
                if stripped.startswith("# --")
                else (previous if stripped.startswith("#") else "")
            )
            continue
        key, sep, rest = stripped.partition(":")
        if not sep:
            continue
        indent = len(line) - len(stripped)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        documented = bool(previous) or any(doc for _, _, doc in stack)
        path = ".".join([k for _, k, _ in stack] + [key])
        if rest.strip():
            if not documented:
                missing.append(path)
        else:
            stack.append((indent, key, documented))
        previous = ""
    return missing


@pytest.mark.parametrize("chart", APPS)
def test_every_value_is_documented_and_in_the_schema(chart: str) -> None:
    text = (CHARTS / chart / "values.yaml").read_text()
    assert _undocumented_values(text) == []
    assert _undocumented_values("a:\n  # -- doc\n  b: 1\n  c: 2\n") == ["a.c"]
    schema = yaml.safe_load((CHARTS / chart / "values.schema.json").read_text())
    values = yaml.safe_load(text)

    def walk(node: dict[str, Any], props: dict[str, Any], where: str) -> None:
        assert props.get("additionalProperties") is False, where
        for key, value in node.items():
            assert key in props["properties"], f"{where}.{key} not in the schema"
            sub = props["properties"][key]
            if isinstance(value, dict) and "properties" in sub:
                walk(value, sub, f"{where}.{key}")

    walk(values, schema, chart)
