"""The telemetry pipeline end to end, with real processes on loopback.

OTLP sender (the OpenTelemetry SDK, as the apps use it; then app-python itself, its API and
worker as real processes) -> otelcol-kindops running
observability/otel-collector/config.yaml -> a real Prometheus scraping the collector's
``prometheus`` exporter, a Loki stand-in recording what reaches ``/otlp/v1/logs``, and a Tempo
stand-in (an OTLP gRPC trace service) recording the spans.

It proves the series mapping documented in the config (``job`` = service.name, ``instance`` =
service.instance.id, attribute names with underscores, ``_seconds`` + ``_bucket/_sum/_count``),
the resource stamping, the attribute scrubbing, and the correlation: the exemplar on the
latency histogram, the span in Tempo and the log line in Loki carry the same trace id.
"""

from __future__ import annotations

import gzip
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests
import yaml
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.support.http import JsonHandler, serve
from tests.support.servers import MotoServer, free_port, process, wait_http

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "observability" / "otel-collector" / "config.yaml"
OTELCOL = ROOT / ".tools" / "bin" / "otelcol-kindops"
PROMETHEUS = "/usr/bin/prometheus"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0)
SECRET = "Bearer s3cr3t-token"

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)


# -- stand-ins for Loki and Tempo ----------------------------------------------------------------
@dataclass
class Received:
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    spans: list[trace_service_pb2.ExportTraceServiceRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def loki_handler(received: Received) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_POST(self) -> None:  # the OTLP/HTTP exporter's only verb
            body = self.read_body()
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            with received.lock:
                received.requests.append((self.path, dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


class TempoSink(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        with self.received.lock:
            self.received.spans.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    assert OTELCOL.is_file(), f"{OTELCOL} is missing: run `.ci/install-tools collector`"
    work = tmp_path_factory.mktemp("pipeline")
    received = Received()
    stack = ExitStack()
    loki = stack.enter_context(serve(loki_handler(received)))
    tempo = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
        TempoSink(received), tempo
    )
    tempo_port = tempo.add_insecure_port("127.0.0.1:0")
    tempo.start()
    stack.callback(tempo.stop, grace=None)

    ports = {name: free_port() for name in ("grpc", "http", "prom", "health", "telemetry")}
    env = {
        "OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports['grpc']}",
        "OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{ports['http']}",
        "OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{ports['prom']}",
        "OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{ports['health']}",
        "OTELCOL_TELEMETRY_HOST": "127.0.0.1",
        "OTELCOL_TELEMETRY_PORT": str(ports["telemetry"]),
        "LOKI_OTLP_ENDPOINT": f"{loki}/otlp",
        "TEMPO_OTLP_ENDPOINT": f"127.0.0.1:{tempo_port}",
        "KINDOPS_ENVIRONMENT": "ci",
        "KINDOPS_CLUSTER_NAME": "kindops-test",
    }
    prom_port = free_port()
    prom_config = work / "prometheus.yml"
    prom_config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [
                    {
                        # as the ServiceMonitor of helm-values/opentelemetry-collector.yaml
                        "job_name": "otel-collector",
                        "honor_labels": True,
                        "static_configs": [{"targets": [f"127.0.0.1:{ports['prom']}"]}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    prom_args = [
        PROMETHEUS,
        f"--config.file={prom_config}",
        f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
        "--enable-feature=exemplar-storage",
    ]
    with (
        stack,
        process(
            [str(OTELCOL), f"--config={CONFIG}"],
            env=env,
            health=f"http://127.0.0.1:{ports['health']}/",
            log=work / "otelcol.log",
        ),
        process(prom_args, health=f"http://127.0.0.1:{prom_port}/-/ready", log=work / "prom.log"),
    ):
        yield {
            "otlp_http": f"http://127.0.0.1:{ports['http']}",
            "prometheus": f"http://127.0.0.1:{prom_port}",
            "exporter": f"http://127.0.0.1:{ports['prom']}/metrics",
            "received": received,
            "collector_log": work / "otelcol.log",
        }


def send(otlp_http: str) -> str:
    """One request's telemetry as an instrumented app sends it; returns the trace id (hex)."""
    resource = Resource.create(
        {
            "service.name": "app-python",
            "service.namespace": "kindops-lab",
            "service.instance.id": "app-python-0",
        }
    )
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_http}/v1/traces"))
    )
    metric_exporter = OTLPMetricExporter(endpoint=f"{otlp_http}/v1/metrics")
    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=3_600_000)
    meter_provider = MeterProvider(
        resource=resource,
        metric_readers=[reader],
        views=[
            View(
                instrument_name="http.server.request.duration",
                aggregation=ExplicitBucketHistogramAggregation(boundaries=BUCKETS),
            )
        ],
    )
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{otlp_http}/v1/logs"))
    )
    app_log = logging.getLogger("orders.api.pipeline-test")
    handler = LoggingHandler(logger_provider=logger_provider)
    app_log.addHandler(handler)
    app_log.setLevel(logging.INFO)
    try:
        duration = meter_provider.get_meter(
            "opentelemetry.instrumentation.fastapi"
        ).create_histogram(
            "http.server.request.duration", unit="s", description="Duration of HTTP requests."
        )
        tracer = tracer_provider.get_tracer("opentelemetry.instrumentation.fastapi")
        with tracer.start_as_current_span("POST /orders") as span:
            span.set_attribute("http.request.header.authorization", SECRET)
            span.set_attribute("enduser.id", "alice")
            duration.record(
                0.12,
                {
                    "http.route": "/orders",
                    "http.request.method": "POST",
                    "http.response.status_code": 201,
                    "http.request.header.authorization": SECRET,
                    "orders.order_id": "o-123",
                },
            )
            app_log.info("order accepted", extra={"http.request.header.authorization": SECRET})
            trace_id = format(span.get_span_context().trace_id, "032x")
        assert meter_provider.force_flush(30_000)
        assert tracer_provider.force_flush(30_000)
        assert logger_provider.force_flush(30_000)
    finally:
        app_log.removeHandler(handler)
        # The exporter closes first: the provider's final collection on shutdown would send the
        # same cumulative point again without exemplars (they belong to the interval of their
        # measurement), and the prometheus exporter keeps the latest point.
        metric_exporter.shutdown()
        for provider in (meter_provider, tracer_provider, logger_provider):
            provider.shutdown()
    return trace_id


@pytest.fixture(scope="module")
def sent(pipeline: dict[str, Any]) -> str:
    return send(pipeline["otlp_http"])


def wait_for_series(prometheus: str, expr: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        body = requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        result: list[dict[str, Any]] = body.json()["data"]["result"]
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def wait_until(check: Any, timeout: float = 60.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_red_metric_reaches_prometheus_with_the_documented_mapping(
    pipeline: dict[str, Any], sent: str
) -> None:
    expr = 'http_server_request_duration_seconds_count{job="app-python", http_route="/orders"}'
    result = wait_for_series(pipeline["prometheus"], expr)
    assert result, f"no {expr} in Prometheus; collector log: {pipeline['collector_log']}"
    (series,) = result
    labels = series["metric"]
    assert float(series["value"][1]) == 1
    assert labels["job"] == "app-python"  # service.name; service.namespace moved aside
    assert labels["instance"] == "app-python-0"  # service.instance.id
    assert labels["http_request_method"] == "POST"
    assert labels["http_response_status_code"] == "201"
    assert labels["otel_scope_name"] == "opentelemetry.instrumentation.fastapi"
    assert "http_request_header_authorization" not in labels  # scrubbed (attributes)
    assert "orders_order_id" not in labels  # never a metric label (attributes/metrics)
    buckets = {
        s["metric"]["le"]: float(s["value"][1])
        for s in wait_for_series(
            pipeline["prometheus"],
            'http_server_request_duration_seconds_bucket{job="app-python", http_route="/orders"}',
        )
    }
    assert buckets["0.1"] == 0 and buckets["0.3"] == 1 and buckets["+Inf"] == 1


def test_resource_attributes_land_on_target_info(pipeline: dict[str, Any], sent: str) -> None:
    result = wait_for_series(pipeline["prometheus"], 'target_info{job="app-python"}')
    assert result
    labels = result[0]["metric"]
    assert labels["kindops_service_namespace"] == "kindops-lab"
    assert labels["deployment_environment"] == "ci"
    assert labels["k8s_cluster_name"] == "kindops-test"


def test_latency_exemplar_carries_the_trace_id(pipeline: dict[str, Any], sent: str) -> None:
    def exemplars() -> list[str]:
        import time

        now = time.time()
        body = requests.get(
            f"{pipeline['prometheus']}/api/v1/query_exemplars",
            params={
                "query": 'http_server_request_duration_seconds_bucket{job="app-python"}',
                "start": f"{now - 600:.3f}",
                "end": f"{now + 60:.3f}",
            },
            timeout=10,
        ).json()
        return [
            e["labels"].get("trace_id", "")
            for group in body.get("data") or []
            for e in group["exemplars"]
        ]

    assert sent in wait_until(exemplars)


def test_spans_reach_tempo_scrubbed_and_stamped(pipeline: dict[str, Any], sent: str) -> None:
    received: Received = pipeline["received"]
    assert wait_until(lambda: received.spans), "no span reached the Tempo stand-in"
    spans = [
        (rs.resource, span)
        for request in received.spans
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    resource, span = next((r, s) for r, s in spans if s.trace_id.hex() == sent)
    res = {a.key: a.value.string_value for a in resource.attributes}
    attrs = {a.key: a.value.string_value for a in span.attributes}
    assert res["service.name"] == "app-python"
    assert res["service.namespace"] == "kindops-lab"  # moved aside for metrics only
    assert res["k8s.cluster.name"] == "kindops-test"
    assert res["deployment.environment"] == "ci"
    assert "http.request.header.authorization" not in attrs
    assert attrs["enduser.id"] not in ("", "alice")  # hashed


def test_logs_reach_loki_otlp_endpoint_with_the_trace_id(
    pipeline: dict[str, Any], sent: str
) -> None:
    received: Received = pipeline["received"]
    assert wait_until(lambda: received.requests), "nothing reached the Loki stand-in"
    for path, headers, _ in received.requests:
        assert path == "/otlp/v1/logs"
        assert headers["Content-Type"] == "application/x-protobuf"
    records = [
        (rl.resource, record)
        for _, _, b in received.requests
        for rl in ExportLogsServiceRequest.FromString(b).resource_logs
        for sl in rl.scope_logs
        for record in sl.log_records
    ]
    resource, record = next((r, rec) for r, rec in records if rec.trace_id.hex() == sent)
    assert record.body.string_value == "order accepted"
    assert "http.request.header.authorization" not in {a.key for a in record.attributes}
    res = {a.key: a.value.string_value for a in resource.attributes}
    assert res["service.name"] == "app-python"
    assert res["k8s.cluster.name"] == "kindops-test"


def test_exporter_endpoint_speaks_openmetrics(pipeline: dict[str, Any], sent: str) -> None:
    wait_http(pipeline["exporter"])
    # A request of its own: the endpoint shows the latest point of a series, and only that
    # point's exemplars, so the test reads the exemplar of the measurement it just made.
    trace_id = send(pipeline["otlp_http"])

    def scrape() -> requests.Response | None:
        response = requests.get(
            pipeline["exporter"],
            headers={"Accept": "application/openmetrics-text;version=1.0.0"},
            timeout=10,
        )
        return response if f'trace_id="{trace_id}"' in response.text else None

    response = wait_until(scrape)
    assert response is not None, f"no exemplar of {trace_id}; log: {pipeline['collector_log']}"
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")


# -- the real app ---------------------------------------------------------------------------------
APP = ROOT / "apps" / "app-python"
APP_BIN = APP / ".venv" / "bin"


@pytest.fixture(scope="module")
def app_python(pipeline: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """app-python's API and worker (its own venv) exporting to the collector; the API URL."""
    for exe in ("orders-bootstrap", "orders-api", "orders-worker"):
        assert (APP_BIN / exe).is_file(), f"{APP_BIN / exe} missing: `make setup` builds it"
    work = tmp_path_factory.mktemp("app-python")
    api_port = free_port()
    with MotoServer() as moto:
        env = {
            **moto.env(),
            "AWS_SESSION_TOKEN": "testing",
            "ORDERS_QUEUE_NAME": "orders",
            "ORDERS_DLQ_NAME": "orders-dlq",
            "ORDERS_TABLE_NAME": "orders",
            "API_HOST": "127.0.0.1",
            "API_PORT": str(api_port),
            "WORKER_WAIT_SECONDS": "1",
            "QUEUE_STATS_INTERVAL_SECONDS": "1",
            "DEPLOYMENT_ENVIRONMENT": "dev-local",
            # the standard OpenTelemetry variables, as the chart sets them in the cluster
            "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline["otlp_http"],
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=app-python-it",
        }
        boot = subprocess.run(
            [str(APP_BIN / "orders-bootstrap")],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert boot.returncode == 0, boot.stderr
        with (
            process(
                [str(APP_BIN / "orders-api")],
                env=env,
                health=f"http://127.0.0.1:{api_port}/healthz/live",
                log=work / "api.log",
                timeout=120,
            ),
            process([str(APP_BIN / "orders-worker")], env=env, log=work / "worker.log"),
        ):
            yield f"http://127.0.0.1:{api_port}"


def test_app_python_red_metrics_arrive_through_the_collector(
    pipeline: dict[str, Any], app_python: str
) -> None:
    created = requests.post(
        f"{app_python}/orders",
        json={"customer_id": "c-42", "items": [{"sku": "SKU-001", "quantity": 2}]},
        headers={"Idempotency-Key": "pipeline-test-1"},
        timeout=30,
    )
    assert created.status_code == 202, created.text
    order_id = created.json()["order_id"]
    assert requests.get(f"{app_python}/orders/{order_id}", timeout=30).status_code == 200

    expr = (
        'http_server_request_duration_seconds_count{job="app-python", http_route="/orders", '
        'http_request_method="POST", http_response_status_code="202"}'
    )
    result = wait_for_series(pipeline["prometheus"], expr, timeout=90)
    assert result, f"no {expr}; collector log: {pipeline['collector_log']}"
    assert result[0]["metric"]["instance"] == "app-python-it"
    assert float(result[0]["value"][1]) >= 1
    route = wait_for_series(
        pipeline["prometheus"],
        'http_server_request_duration_seconds_count{job="app-python", '
        'http_route="/orders/{order_id}", http_response_status_code="200"}',
    )
    assert route, "the GET route template is missing"
    assert wait_for_series(pipeline["prometheus"], 'orders_created_total{job="app-python"}')
    processed = wait_for_series(
        pipeline["prometheus"], 'orders_processed_total{job="app-python-worker"}', timeout=90
    )
    assert processed and float(processed[0]["value"][1]) >= 1
