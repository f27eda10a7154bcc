"""A small OTLP/HTTP receiver: decodes traces, metrics and logs (protobuf) into plain records.

Stands in for the collector in tests, the demo and the bench. Listens on loopback only.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

log = logging.getLogger(__name__)

T = TypeVar("T")

SPAN_KINDS = {
    0: "UNSPECIFIED",
    1: "INTERNAL",
    2: "SERVER",
    3: "CLIENT",
    4: "PRODUCER",
    5: "CONSUMER",
}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pair in pairs:
        if not isinstance(pair, KeyValue):
            raise TypeError(f"not an OTLP KeyValue: {type(pair).__name__}")
        result[pair.key] = _value(pair.value)
    return result


class _QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-request (an exporter whose process stopped) is logged, not
    printed to stderr."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("OTLP sink: request from %s failed", client_address, exc_info=True)


@dataclass(frozen=True)
class SpanRecord:
    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    status_code: int
    start_ns: int
    end_ns: int


@dataclass(frozen=True)
class MetricRecord:
    service: str
    scope: str
    name: str
    unit: str
    kind: str  # sum | histogram | gauge | exponential_histogram | summary
    monotonic: bool
    points: tuple[dict[str, Any], ...]  # {"attributes": {...}, "value"|"count"|"sum": ...}


@dataclass(frozen=True)
class LogRecord:
    service: str
    body: Any
    trace_id: str
    span_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


class OtlpSink:
    """Thread-safe store of what was exported to it."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._spans: list[SpanRecord] = []
        self._metrics: list[MetricRecord] = []
        self._logs: list[LogRecord] = []
        self.requests = {"traces": 0, "metrics": 0, "logs": 0}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- server ---
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                payload = self.rfile.read(length)
                if self.headers.get("Content-Encoding", "") == "gzip":
                    payload = gzip.decompress(payload)
                try:
                    body = sink.receive(self.path, payload)
                except ValueError as exc:
                    self.send_error(404 if "path" in str(exc) else 400, str(exc))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _QuietServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.endpoint

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("sink not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OtlpSink:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- decoding ---
    def receive(self, path: str, payload: bytes) -> bytes:
        """Decode and keep one export request; ValueError for an unknown path or a bad body."""
        try:
            return self._receive(path, payload)
        except DecodeError as exc:
            raise ValueError(f"undecodable OTLP request to {path}: {exc}") from exc

    def _receive(self, path: str, payload: bytes) -> bytes:
        if path == "/v1/traces":
            traces = trace_service_pb2.ExportTraceServiceRequest.FromString(payload)
            spans = self._decode_spans(traces)
            with self._lock:
                self.requests["traces"] += 1
                if self.keep:
                    self._spans.extend(spans)
            return trace_service_pb2.ExportTraceServiceResponse().SerializeToString()  # type: ignore[no-any-return]
        if path == "/v1/metrics":
            metrics_request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(payload)
            records = self._decode_metrics(metrics_request)
            with self._lock:
                self.requests["metrics"] += 1
                if self.keep:
                    self._metrics.extend(records)
            return metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()  # type: ignore[no-any-return]
        if path == "/v1/logs":
            logs_request = logs_service_pb2.ExportLogsServiceRequest.FromString(payload)
            logs = self._decode_logs(logs_request)
            with self._lock:
                self.requests["logs"] += 1
                if self.keep:
                    self._logs.extend(logs)
            return logs_service_pb2.ExportLogsServiceResponse().SerializeToString()  # type: ignore[no-any-return]
        raise ValueError(f"unknown path {path}")

    @staticmethod
    def _decode_spans(request: Any) -> list[SpanRecord]:
        records = []
        for resource_spans in request.resource_spans:
            service = str(_attributes(resource_spans.resource.attributes).get("service.name", ""))
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    records.append(
                        SpanRecord(
                            service=service,
                            name=span.name,
                            kind=SPAN_KINDS.get(span.kind, str(span.kind)),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes=_attributes(span.attributes),
                            status_code=span.status.code,
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                        )
                    )
        return records

    @staticmethod
    def _decode_metrics(request: Any) -> list[MetricRecord]:
        records = []
        for resource_metrics in request.resource_metrics:
            service = str(_attributes(resource_metrics.resource.attributes).get("service.name", ""))
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    kind = metric.WhichOneof("data") or ""
                    data = getattr(metric, kind) if kind else None
                    points: list[dict[str, Any]] = []
                    for point in getattr(data, "data_points", []):
                        entry: dict[str, Any] = {"attributes": _attributes(point.attributes)}
                        if kind in {"sum", "gauge"}:
                            entry["value"] = getattr(point, point.WhichOneof("value") or "as_int")
                        else:
                            entry["count"] = point.count
                            entry["sum"] = point.sum
                            if kind == "histogram":
                                entry["bounds"] = tuple(point.explicit_bounds)
                        points.append(entry)
                    records.append(
                        MetricRecord(
                            service=service,
                            scope=scope_metrics.scope.name,
                            name=metric.name,
                            unit=metric.unit,
                            kind=kind,
                            monotonic=bool(getattr(data, "is_monotonic", False)),
                            points=tuple(points),
                        )
                    )
        return records

    @staticmethod
    def _decode_logs(request: Any) -> list[LogRecord]:
        records = []
        for resource_logs in request.resource_logs:
            service = str(_attributes(resource_logs.resource.attributes).get("service.name", ""))
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    records.append(
                        LogRecord(
                            service=service,
                            body=_value(record.body),
                            trace_id=record.trace_id.hex(),
                            span_id=record.span_id.hex(),
                            attributes=_attributes(record.attributes),
                        )
                    )
        return records

    # --- queries ---
    def spans(self) -> list[SpanRecord]:
        with self._lock:
            return list(self._spans)

    def metrics(self) -> list[MetricRecord]:
        with self._lock:
            return list(self._metrics)

    def logs(self) -> list[LogRecord]:
        with self._lock:
            return list(self._logs)

    def wait_for(
        self, probe: Callable[[OtlpSink], T | None], timeout: float, interval: float = 0.1
    ) -> T:
        """Poll ``probe`` until it returns something truthy; TimeoutError at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe(self)
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"OTLP sink: condition not met within {timeout:.1f}s")
            time.sleep(interval)
