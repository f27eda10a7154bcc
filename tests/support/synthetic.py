"""Synthetic history of every series the lab's dashboards and rules read, named and labelled
exactly as the running lab exports them.

* apps (OpenTelemetry SDK -> collector ``prometheus`` exporter): ``job`` = ``service.name``,
  attributes as labels with dots turned to underscores, scope labels ``otel_scope_*``;
  ``http_server_request_duration_seconds_*`` of app-python and app-java, the worker's
  ``orders_*`` (see apps/app-python/src/orders/telemetry/semconv.py);
* kube-state-metrics, cAdvisor and Istio, as kube-prometheus-stack scrapes them;
* what the kindops jobs push to the Pushgateway (``kindops_*``) and the Pushgateway's own
  ``push_time_seconds`` / ``push_failure_time_seconds``.

``lab_series(end, points, step)`` returns them all; the app-python API serves some 5xx and
some slow requests, so error ratios and latency quantiles are non-trivial. A new dashboard that
reads a new series needs that series added here (the PromQL test says which one is missing).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

from tests.support.prometheus import Series

#: Histogram bounds of app-python (semconv LATENCY_BUCKETS; edge at the 300 ms SLO).
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.2,
    0.25,
    0.3,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
QUEUE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
ISTIO_BUCKETS_MS = (1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0)

FASTAPI_SCOPE = {
    "otel_scope_name": "opentelemetry.instrumentation.fastapi",
    "otel_scope_version": "0.66b2",
}
ORDERS_SCOPE = {"otel_scope_name": "orders", "otel_scope_version": "0.1.0"}
SPRING_SCOPE = {"otel_scope_name": "io.opentelemetry.spring-webmvc-6.0", "otel_scope_version": ""}


def _fmt(bound: float) -> str:
    """``le`` as the exporter writes it: 0.3, 1, 2.5, +Inf."""
    return "+Inf" if math.isinf(bound) else format(bound, "g")


def counter(name: str, labels: Mapping[str, str], rate: float, points: int, step: float) -> Series:
    """A counter growing by ``rate`` per second, with a gentle wave so rates vary."""
    values, total = [], 0.0
    for i in range(points):
        total += rate * step * (1 + 0.2 * math.sin(i / 7))
        values.append(round(total, 3))
    return Series(name, dict(labels), values)


def gauge(
    name: str, labels: Mapping[str, str], value: float, points: int, wave: float = 0.0
) -> Series:
    return Series(
        name, dict(labels), [round(value + wave * math.sin(i / 5), 3) for i in range(points)]
    )


def histogram(
    base: str,
    labels: Mapping[str, str],
    rate: float,
    bounds: Sequence[float],
    share_below: Sequence[float],
    mean: float,
    points: int,
    step: float,
) -> Iterator[Series]:
    """``<base>_bucket`` (cumulative, +Inf included), ``_sum`` and ``_count``: ``rate``
    observations per second, ``share_below[i]`` of them at or below ``bounds[i]``."""
    count = counter(f"{base}_count", labels, rate, points, step)
    for bound, share in [*zip(bounds, share_below, strict=True), (math.inf, 1.0)]:
        yield Series(
            f"{base}_bucket",
            {**labels, "le": _fmt(bound)},
            [round(v * share, 3) for v in count.values],
        )
    yield Series(f"{base}_sum", dict(labels), [round(v * mean, 3) for v in count.values])
    yield count


def _cdf(bounds: Sequence[float], median: float, spread: float) -> list[float]:
    """Log-normal shares at or below each bound (monotonic, < 1 below the top bound)."""
    out = []
    for b in bounds:
        z = (math.log(b) - math.log(median)) / spread
        out.append(round(0.5 * (1 + math.erf(z / math.sqrt(2))), 4))
    return out


def _http(
    job: str,
    scope: Mapping[str, str],
    routes: Sequence[tuple[str, str, str, float, float]],
    points: int,
    step: float,
) -> Iterator[Series]:
    """routes: (method, route, status, requests/s, median seconds)."""
    for method, route, status, rate, median in routes:
        labels = {
            "job": job,
            "http_request_method": method,
            "http_route": route,
            "http_response_status_code": status,
            "url_scheme": "http",
            "network_protocol_version": "1.1",
            **scope,
        }
        if status.startswith("5"):
            labels["error_type"] = status
        yield from histogram(
            "http_server_request_duration_seconds",
            labels,
            rate,
            LATENCY_BUCKETS,
            _cdf(LATENCY_BUCKETS, median, 0.8),
            median * 1.4,
            points,
            step,
        )


def apps(points: int, step: float) -> Iterator[Series]:
    yield from _http(
        "app-python",
        FASTAPI_SCOPE,
        [
            ("POST", "/orders", "201", 4.0, 0.08),
            ("POST", "/orders", "500", 0.05, 0.4),
            ("POST", "/orders", "422", 0.2, 0.01),
            ("GET", "/orders/{order_id}", "200", 6.0, 0.03),
            ("GET", "/orders/{order_id}", "404", 0.3, 0.02),
            ("GET", "/orders/{order_id}", "503", 0.02, 1.2),
            ("POST", "/admin/faults", "200", 0.001, 0.005),
        ],
        points,
        step,
    )
    yield from _http(
        "app-java",
        SPRING_SCOPE,
        [
            ("GET", "/api/v1/prices/{sku}", "200", 5.0, 0.02),
            ("GET", "/api/v1/prices/{sku}", "404", 0.1, 0.01),
            ("GET", "/api/v1/prices/{sku}", "500", 0.02, 0.3),
            ("GET", "/actuator/health/readiness", "200", 0.1, 0.002),
        ],
        points,
        step,
    )
    worker = {"job": "app-python-worker", **ORDERS_SCOPE}
    yield counter("orders_created_total", {"job": "app-python", **ORDERS_SCOPE}, 4.0, points, step)
    for source, rate in (("app-java", 3.8), ("fallback", 0.1)):
        yield counter(
            "orders_processed_total",
            {**worker, "orders_pricing_source": source},
            rate,
            points,
            step,
        )
    for error, rate in (("pricing_unavailable", 0.05), ("unknown_sku", 0.01)):
        yield counter("orders_failed_total", {**worker, "error_type": error}, rate, points, step)
    yield counter("orders_duplicates_total", worker, 0.01, points, step)
    for job in ("app-python", "app-python-worker"):
        yield counter(
            "orders_faults_injected_total",
            {"job": job, **ORDERS_SCOPE, "orders_fault_type": "latency"},
            0.002,
            points,
            step,
        )
    for status, extra, rate, median in (
        ("stored", {}, 3.9, 0.06),
        ("duplicate", {}, 0.01, 0.02),
        ("retry", {"error_type": "pricing_unavailable"}, 0.05, 0.5),
        ("failed", {"error_type": "unknown_sku"}, 0.01, 0.03),
    ):
        yield from histogram(
            "orders_processing_duration_seconds",
            {**worker, "orders_status": status, **extra},
            rate,
            LATENCY_BUCKETS,
            _cdf(LATENCY_BUCKETS, median, 0.7),
            median * 1.3,
            points,
            step,
        )
    yield from histogram(
        "orders_end_to_end_duration_seconds",
        worker,
        3.9,
        QUEUE_BUCKETS,
        _cdf(QUEUE_BUCKETS, 0.8, 0.9),
        1.2,
        points,
        step,
    )
    api = {"job": "app-python", **ORDERS_SCOPE}
    for queue, age in (("orders", 4.0), ("orders-dlq", 0.0)):
        dest = {**worker, "messaging_destination_name": queue}
        yield gauge("orders_queue_oldest_age_seconds", dest, age, points, wave=age / 2)
        # the queue depth, read by the worker and (its own view, kept when no worker runs)
        # by the API
        for reader in (worker, api):
            for state, depth in (
                ("visible", 12.0 if queue == "orders" else 1.0),
                ("in_flight", 3.0),
            ):
                yield gauge(
                    "orders_queue_messages",
                    {
                        **reader,
                        "messaging_destination_name": queue,
                        "orders_queue_message_state": state,
                    },
                    depth,
                    points,
                    wave=2.0 if queue == "orders" else 0.0,
                )
    for job in ("app-python", "app-python-worker", "app-java"):
        yield gauge("up", {"job": job, "instance": f"{job}-0"}, 1, points)


def kubernetes(points: int, step: float) -> Iterator[Series]:
    pods = {
        "apps": [
            ("app-python-6d9f7c9b8-x2k4p", "app-python"),
            ("app-python-worker-5b7c8d6f4-q8r2m", "app-python-worker"),
            ("app-java-7f8d9c6b5-m3n7v", "app-java"),
        ],
        "observability": [("otel-collector-5c9d8b7f6-h4j2k", "otel-collector")],
    }
    ksm = {"job": "kube-state-metrics", "instance": "10.244.0.12:8080"}
    cadvisor = {"job": "kubelet", "metrics_path": "/metrics/cadvisor", "node": "kindops-worker"}
    for namespace, members in pods.items():
        for pod, container in members:
            ids = {"namespace": namespace, "pod": pod}
            yield gauge("kube_pod_info", {**ksm, **ids, "node": "kindops-worker"}, 1, points)
            for condition, value in (("true", 1), ("false", 0)):
                yield gauge(
                    "kube_pod_status_ready",
                    {**ksm, **ids, "condition": condition},
                    value,
                    points,
                )
            cids = {**ids, "container": container}
            yield counter(
                "kube_pod_container_status_restarts_total", {**ksm, **cids}, 0.0005, points, step
            )
            yield gauge(
                "kube_pod_container_status_waiting_reason",
                {**ksm, **cids, "reason": "CrashLoopBackOff"},
                0,
                points,
            )
            yield counter(
                "container_cpu_usage_seconds_total", {**cadvisor, **cids}, 0.12, points, step
            )
            yield gauge(
                "container_memory_working_set_bytes",
                {**cadvisor, **cids},
                180e6,
                points,
                wave=10e6,
            )
    mesh = {
        "job": "envoy-stats",
        "reporter": "destination",
        "destination_workload": "app-python",
        "destination_workload_namespace": "apps",
    }
    for source, code, rate in (
        ("istio-ingressgateway", "200", 6.0),
        ("istio-ingressgateway", "201", 4.0),
        ("istio-ingressgateway", "500", 0.05),
        ("app-python-worker", "200", 0.5),
    ):
        labels = {**mesh, "source_workload": source, "response_code": code}
        yield counter("istio_requests_total", labels, rate, points, step)
        yield from histogram(
            "istio_request_duration_milliseconds",
            labels,
            rate,
            ISTIO_BUCKETS_MS,
            _cdf(ISTIO_BUCKETS_MS, 40.0, 0.8),
            55.0,
            points,
            step,
        )


def pushed(end: float, points: int) -> Iterator[Series]:
    """What the jobs and Airflow push (scraped from the Pushgateway with honor_labels)."""

    def at(job: str) -> dict[str, str]:
        return {"job": job, "instance": ""}

    hour = 3600.0
    for job, age in (
        ("config-backup", 5 * hour),
        ("cost-review", 9 * hour),
        ("k6-baseline", 30 * hour),
        ("aws-cleanup", 20 * hour),
        ("game-day", 9 * 24 * hour),
        ("slo-report", 30 * hour),
    ):
        yield gauge("kindops_job_last_success_timestamp_seconds", at(job), end - age, points)
        yield gauge("push_time_seconds", at(job), end - age + 2, points)
        yield gauge(
            "push_failure_time_seconds", at(job), 0.0 if job != "k6-baseline" else end, points
        )
    # Each task's last run as its job reported it, and as Airflow did (a second later, or a
    # later run): the backup's verify pod was OOM-killed an hour after its job last reported.
    for dag, task, failed, ended, airflow_failed, airflow_ended in (
        ("config_backup", "backup", 0, 5 * hour, 0, 5 * hour - 1),
        ("config_backup", "verify", 0, 5 * hour - 300, 1, 4 * hour),
        ("k6_baseline", "run", 1, 30 * hour, 1, 30 * hour - 1),
        ("cost_review", "review", 0, 9 * hour, 0, 9 * hour - 1),
    ):
        for job, value, at_end in (
            ("kindops-tasks", failed, ended),
            ("airflow-tasks", airflow_failed, airflow_ended),
        ):
            task_ids = {**at(job), "dag_id": dag, "task_id": task}
            yield gauge("kindops_job_last_run_failed", task_ids, value, points)
            yield gauge("kindops_job_last_run_timestamp_seconds", task_ids, end - at_end, points)
        airflow = {**at("airflow-tasks"), "dag_id": dag, "task_id": task}
        yield gauge("kindops_job_last_run_duration_seconds", airflow, 42.0, points)
    backup = at("config-backup")
    yield gauge("kindops_backup_last_success_timestamp_seconds", backup, end - 5 * hour, points)
    yield gauge(
        "kindops_backup_last_verified_timestamp_seconds", backup, end - 5 * hour + 240, points
    )
    yield gauge("kindops_backup_size_bytes", backup, 4.2e6, points)
    yield gauge("kindops_backup_objects", backup, 312, points)
    yield from cost_review(points)
    yield from k6_baseline(end, points)
    budget = {**at("aws-budget"), "budget": "kindops-lab-monthly"}
    yield gauge("kindops_aws_budget_used_ratio", budget, 0.42, points)
    yield gauge("kindops_aws_budget_forecast_ratio", budget, 0.9, points)


def cost_review(points: int) -> Iterator[Series]:
    """The nightly cost review's push (include/kindops/cost/publish.py)."""
    cost = {"job": "cost-review", "instance": ""}
    groups = [
        ("cluster", "total", 3.2, 0),
        ("cluster", "idle", 1.1, 0),
        ("cluster", "workloads", 2.1, 0),
        ("namespace", "apps", 0.9, 1),
        ("namespace", "observability", 0.8, 0),
        ("deployment", "app-python", 0.4, 0),
        ("deployment", "app-java", 0.5, 0),
        ("label:team", "apps", 0.9, 0),
        ("label:team", "platform", 1.2, 0),
    ]
    for group_by, group, usd, anomaly in groups:
        ids = {**cost, "group_by": group_by, "group": group}
        yield gauge("kindops_cost_daily_usd", ids, usd, points)
        yield gauge("kindops_cost_baseline_median_usd", ids, usd * 0.8, points)
        yield gauge("kindops_cost_anomaly", ids, anomaly, points)
        for resource, eff in (("cpu", 0.35), ("ram", 0.55), ("total", 0.45)):
            yield gauge("kindops_cost_group_efficiency", {**ids, "resource": resource}, eff, points)
    for component, usd in (("cpu", 1.9), ("ram", 1.1), ("pv", 0.2), ("gpu", 0.0)):
        yield gauge(
            "kindops_cost_component_daily_usd", {**cost, "component": component}, usd, points
        )
    for resource, eff in (("cpu", 0.35), ("ram", 0.55)):
        yield gauge("kindops_cost_efficiency", {**cost, "resource": resource}, eff, points)
    yield gauge("kindops_cost_idle_ratio", cost, 0.34, points)
    yield gauge("kindops_cost_inconclusive", {**cost, "group_by": "namespace"}, 0, points)
    yield gauge("kindops_cost_review_day_timestamp_seconds", cost, 1.7e9, points)


def k6_baseline(end: float, points: int) -> Iterator[Series]:
    """The weekly k6 baseline's push per step (include/kindops/k6/push.py): figures, baseline
    median and noise band, verdict (one-hot), run time. Half-way through the history this
    week's run replaces last week's push. app-python stress was skipped by the error-budget gate
    this week (a skipped step keeps its figures), app-java load regressed."""
    day = 86400.0
    half = points // 2

    def step(name: str, ids: Mapping[str, str], before: float, after: float) -> Series:
        return Series(name, dict(ids), [before if i < half else after for i in range(points)])

    for app, scenario, p95, rps, verdict in (
        ("app-python", "smoke", 0.041, 12.0, "pass"),
        ("app-python", "load", 0.085, 48.0, "improved"),
        ("app-python", "stress", 0.21, 95.0, "skipped"),
        ("app-java", "smoke", 0.032, 14.0, "inconclusive"),
        ("app-java", "load", 0.12, 44.0, "regressed"),
        ("app-java", "stress", 0.18, 102.0, "pass"),
    ):
        ids = {"job": "k6-baseline", "instance": "", "app": app, "scenario": scenario}
        last_week = 1.0 if verdict == "skipped" else 1.02
        for name, base, noise in (
            ("p95_seconds", p95, p95 * 0.05),
            ("p99_seconds", p95 * 1.6, p95 * 0.1),
            ("rps", rps, rps * 0.03),
            ("error_ratio", 0.002, 0.001),
            ("check_ratio", 0.999, 0.001),
        ):
            now = base * 1.3 if verdict == "regressed" and name.startswith("p9") else base
            yield step(f"kindops_k6_{name}", ids, round(base * last_week, 6), round(now, 6))
            yield step(f"kindops_k6_baseline_{name}", ids, base, base)
            yield step(f"kindops_k6_baseline_noise_{name}", ids, round(noise, 6), round(noise, 6))
        yield step("kindops_k6_run_timestamp_seconds", ids, end - 8 * day, end - day)
        for name in ("pass", "improved", "inconclusive", "regressed", "failed", "skipped"):
            one_hot = {**ids, "verdict": name}
            yield step("kindops_k6_verdict", one_hot, float(name == "pass"), float(name == verdict))


def opencost(points: int) -> Iterator[Series]:
    """OpenCost's allocation and price series (job="opencost")."""
    oc = {"job": "opencost", "instance": "10.244.0.20:9003"}
    node = "kindops-worker"
    yield gauge("node_total_hourly_cost", {**oc, "node": node}, 0.12, points)
    yield gauge("node_cpu_hourly_cost", {**oc, "node": node}, 0.02, points)
    yield gauge("node_ram_hourly_cost", {**oc, "node": node}, 0.003, points)
    for namespace, pod, container, cpu, mem in (
        ("apps", "app-python-6d9f7c9b8-x2k4p", "app-python", 0.25, 256e6),
        ("apps", "app-java-7f8d9c6b5-m3n7v", "app-java", 0.5, 512e6),
        ("observability", "otel-collector-5c9d8b7f6-h4j2k", "otel-collector", 0.1, 256e6),
    ):
        ids = {**oc, "node": node, "namespace": namespace, "pod": pod, "container": container}
        yield gauge("container_cpu_allocation", ids, cpu, points)
        yield gauge("container_memory_allocation_bytes", ids, mem, points)
    pv = "pvc-2f9a6c1e"
    yield gauge("pv_hourly_cost", {**oc, "persistentvolume": pv}, 0.0001, points)
    yield gauge(
        "pod_pvc_allocation",
        {
            **oc,
            "persistentvolume": pv,
            "namespace": "observability",
            "pod": "loki-0",
            "persistentvolumeclaim": "storage-loki-0",
        },
        2 * 1024**3,
        points,
    )


def lab_series(end: float, points: int = 180, step: float = 60.0) -> list[Series]:
    """Every synthetic series, ``points`` samples ``step`` seconds apart ending at ``end``."""
    return [
        *apps(points, step),
        *kubernetes(points, step),
        *pushed(end, points),
        *opencost(points),
    ]
