"""Service RED: rate, errors and duration (p50/p95/p99) of one HTTP service, then its pods,
its mesh traffic and its logs.

Series: ``http_server_request_duration_seconds_*`` from the OpenTelemetry HTTP server
instrumentation, ``job`` = ``service.name`` (see observability/otel-collector/config.yaml);
kube-state-metrics and cAdvisor for pods; Istio's standard metrics for the mesh.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from kindops.dashboards.common import (
    ORANGE,
    RED,
    YELLOW,
    board,
    logs,
    prom,
    query_variable,
    row,
    stat,
    table,
    timeseries,
)

UID = "kindops-red"

_M = "http_server_request_duration_seconds"
_SEL = 'job="$service", http_route=~"$route"'
_RATE = "[$__rate_interval]"


def _quantile(q: str, by: str = "le") -> str:
    return f"histogram_quantile({q}, sum by ({by}) (rate({_M}_bucket{{{_SEL}}}{_RATE})))"


def build() -> db.Dashboard:
    d = board(
        UID,
        "Service RED",
        "Rate, errors and duration of one HTTP service (OpenTelemetry semantic conventions), "
        "with its pods, its mesh traffic and its logs. Latency panels carry exemplars: click a "
        "dot to open the trace in Tempo.",
        ["red", "services"],
    )
    d = d.with_variable(
        query_variable("service", "Service", f"label_values({_M}_count, job)", "app-python")
    )
    d = d.with_variable(
        query_variable(
            "route",
            "Route",
            f'label_values({_M}_count{{job="$service"}}, http_route)',
            "$__all",
            multi=True,
        )
    )
    d = d.with_variable(
        query_variable("namespace", "Namespace", "label_values(kube_pod_info, namespace)", "apps")
    )

    total = f"sum(rate({_M}_count{{{_SEL}}}{_RATE}))"
    errors = f'sum(rate({_M}_count{{{_SEL}, http_response_status_code=~"5.."}}{_RATE}))'
    d = d.with_row(row("Golden signals"))
    d = d.with_panel(
        stat("Requests", "Requests per second over the selected routes.", "reqps", prom(total))
    )
    d = d.with_panel(
        stat(
            "Errors (5xx)",
            "Share of requests answered with a server error. The availability SLO allows 0.5 %.",
            "percentunit",
            prom(f"({errors} or vector(0)) / {total}"),
            steps=((0.005, YELLOW), (0.05, RED)),
        )
    )
    d = d.with_panel(
        stat(
            "p95 latency",
            "95th percentile of request duration. The latency SLO: p95 <= 300 ms.",
            "s",
            prom(_quantile("0.95")),
            steps=((0.3, ORANGE), (0.5, RED)),
        )
    )
    d = d.with_panel(
        stat(
            "Within 300 ms",
            "Share of requests served within the 300 ms SLO threshold (histogram bucket le=0.3).",
            "percentunit",
            prom(f'sum(rate({_M}_bucket{{{_SEL}, le="0.3"}}{_RATE})) / {total}'),
            base=RED,
            steps=((0.9, ORANGE), (0.95, "green")),
        )
    )

    d = d.with_row(row("Rate, errors, duration"))
    d = d.with_panel(
        timeseries(
            "Requests by route",
            "Requests per second by route template.",
            "reqps",
            [prom(f"sum by (http_route) (rate({_M}_count{{{_SEL}}}{_RATE}))", "{{http_route}}")],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Requests by status code",
            "Requests per second by HTTP response status code.",
            "reqps",
            [
                prom(
                    f"sum by (http_response_status_code) (rate({_M}_count{{{_SEL}}}{_RATE}))",
                    "{{http_response_status_code}}",
                )
            ],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Error ratio (5xx) by route",
            "Share of requests per route answered with a server error.",
            "percentunit",
            [
                prom(
                    "sum by (http_route) "
                    f'(rate({_M}_count{{{_SEL}, http_response_status_code=~"5.."}}{_RATE}))\n'
                    f"/ sum by (http_route) (rate({_M}_count{{{_SEL}}}{_RATE}))",
                    "{{http_route}}",
                )
            ],
            steps=((0.005, YELLOW), (0.05, RED)),
        )
    )
    d = d.with_panel(
        timeseries(
            "Latency p50 / p95 / p99",
            "Request duration percentiles from the histogram; dots are exemplars (traces).",
            "s",
            [
                prom(_quantile("0.50"), "p50", exemplar=True),
                prom(_quantile("0.95"), "p95", exemplar=True),
                prom(_quantile("0.99"), "p99", exemplar=True),
            ],
            steps=((0.3, ORANGE),),
        )
    )
    d = d.with_panel(
        timeseries(
            "p95 latency by route",
            "95th percentile of request duration per route template.",
            "s",
            [prom(_quantile("0.95", "le, http_route"), "{{http_route}}", exemplar=True)],
            steps=((0.3, ORANGE),),
        )
    )
    d = d.with_panel(
        table(
            "Routes",
            "Per route over the dashboard's time range: requests per second, error ratio and "
            "p95 latency.",
            "short",
            [
                prom(
                    f"sum by (http_route) (rate({_M}_count{{{_SEL}}}[$__range]))",
                    instant=True,
                ),
                prom(
                    "sum by (http_route) "
                    f'(rate({_M}_count{{{_SEL}, http_response_status_code=~"5.."}}[$__range]))\n'
                    f"/ sum by (http_route) (rate({_M}_count{{{_SEL}}}[$__range]))",
                    instant=True,
                ),
                prom(
                    "histogram_quantile(0.95, sum by (le, http_route) "
                    f"(rate({_M}_bucket{{{_SEL}}}[$__range])))",
                    instant=True,
                ),
            ],
            rename={
                "http_route": "Route",
                "Value #A": "req/s",
                "Value #B": "5xx ratio",
                "Value #C": "p95 (s)",
            },
        )
    )

    d = d.with_row(row("Pods in $namespace"))
    d = d.with_panel(
        timeseries(
            "CPU by pod",
            "CPU cores used per pod (cAdvisor).",
            "short",
            [
                prom(
                    "sum by (pod) (rate(container_cpu_usage_seconds_total"
                    f'{{namespace="$namespace", container!=""}}{_RATE}))',
                    "{{pod}}",
                )
            ],
            width=8,
        )
    )
    d = d.with_panel(
        timeseries(
            "Memory by pod",
            "Working set bytes per pod (cAdvisor): what the OOM killer compares with the limit.",
            "bytes",
            [
                prom(
                    "sum by (pod) (container_memory_working_set_bytes"
                    '{namespace="$namespace", container!=""})',
                    "{{pod}}",
                )
            ],
            width=8,
        )
    )
    d = d.with_panel(
        timeseries(
            "Container restarts (1h)",
            "Restarts per container over the last hour (kube-state-metrics).",
            "short",
            [
                prom(
                    "sum by (pod, container) (increase(kube_pod_container_status_restarts_total"
                    '{namespace="$namespace"}[1h]))',
                    "{{pod}}/{{container}}",
                )
            ],
            width=8,
            steps=((1, ORANGE), (3, RED)),
        )
    )

    d = d.with_row(row("Mesh (Istio)"))
    mesh = 'reporter="destination", destination_workload="$service"'
    d = d.with_panel(
        timeseries(
            "Mesh requests by response code",
            "Requests per second into the service as its sidecar saw them.",
            "reqps",
            [
                prom(
                    f"sum by (response_code) (rate(istio_requests_total{{{mesh}}}{_RATE}))",
                    "{{response_code}}",
                )
            ],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Mesh p95 latency by source",
            "95th percentile of request duration seen by the destination sidecar, per caller.",
            "ms",
            [
                prom(
                    "histogram_quantile(0.95, sum by (le, source_workload) "
                    f"(rate(istio_request_duration_milliseconds_bucket{{{mesh}}}{_RATE})))",
                    "{{source_workload}}",
                )
            ],
        )
    )

    d = d.with_row(row("Logs"))
    d = d.with_panel(
        logs(
            "Logs of $service",
            "The service's logs in Loki (OTLP: service.name becomes the service_name label). "
            "Expand a line and follow its trace_id to Tempo.",
            '{service_name="$service"}',
        )
    )
    return d
