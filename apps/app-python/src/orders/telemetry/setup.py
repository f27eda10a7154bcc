"""Telemetry set-up at a program's entry point.

Exporters, sampler, propagators and endpoints come only from the standard ``OTEL_*``
variables: ``OTEL_SDK_DISABLED``, ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` /
``OTEL_LOGS_EXPORTER`` (``otlp``, ``console``, ``none``; comma-separated), ``OTEL_EXPORTER_OTLP_*``,
``OTEL_TRACES_SAMPLER*``, ``OTEL_METRIC_EXPORT_INTERVAL``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_SERVICE_NAME``, ``OTEL_PROPAGATORS``. Nothing vendor-specific: the backend is chosen in the
collector.

Automatic instrumentation covers botocore (SQS, DynamoDB) and httpx (pricing client); the API
entry point adds FastAPI (see ``instrument_fastapi``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from orders import __version__
from orders.errors import ConfigError
from orders.telemetry import semconv

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk._logs import LoggerProvider

log = logging.getLogger(__name__)

# Routes that are probes: neither traced nor counted in the RED metrics.
DEFAULT_EXCLUDED_URLS = "/healthz/.*"

_OTLP_PROTOCOLS = {"http/protobuf": "otlp_proto_http"}


def sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "false").strip().lower() == "true"


def resource_attributes(service_name: str, environment: str) -> dict[str, str]:
    """Our resource attributes; OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES still win."""
    attributes = {
        semconv.SERVICE_NAME: service_name,
        semconv.SERVICE_VERSION: __version__,
        semconv.SERVICE_NAMESPACE: semconv.SERVICE_NAMESPACE_VALUE,
        semconv.DEPLOYMENT_ENVIRONMENT: environment,
        semconv.DEPLOYMENT_ENVIRONMENT_NAME: environment,
    }
    from_env = {
        pair.split("=", 1)[0].strip()
        for pair in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")
        if "=" in pair
    }
    if os.environ.get("OTEL_SERVICE_NAME"):
        from_env.add(semconv.SERVICE_NAME)
    return {key: value for key, value in attributes.items() if key not in from_env}


def _exporter_names(signal: str, default: str) -> list[str]:
    raw = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", default)
    names = [name.strip().lower() for name in raw.split(",") if name.strip()]
    return [] if "none" in names else names


def _load_exporter(signal: str, name: str) -> Any:
    """Instantiate an exporter by its standard name through the SDK's entry points."""
    if name == "otlp":
        protocol = os.environ.get(
            f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL",
            os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        )
        if protocol not in _OTLP_PROTOCOLS:
            raise ConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported by this image; "
                "use http/protobuf (the collector's port 4318)"
            )
        name = _OTLP_PROTOCOLS[protocol]
    group = f"opentelemetry_{signal}_exporter"
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        known = sorted({ep.name for ep in entry_points(group=group)} | {"otlp", "none"})
        raise ConfigError(
            f"OTEL_{signal.upper()}_EXPORTER: unknown exporter {name!r} (known: {', '.join(known)})"
        )
    return found[0].load()()


def _views() -> list[View]:
    return [
        View(
            instrument_name=spec.name,
            aggregation=ExplicitBucketHistogramAggregation(boundaries=spec.buckets),
        )
        for spec in semconv.METRICS
        if spec.buckets is not None
    ]


@dataclass
class Telemetry:
    """Handles of the configured providers (all None when the SDK is disabled)."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None

    @property
    def enabled(self) -> bool:
        return self.tracer_provider is not None

    def instrument_fastapi(self, app: FastAPI) -> None:
        if not self.enabled:
            return
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        excluded = os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS)
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            excluded_urls=excluded,
            exclude_spans=["receive", "send"],
        )

    def shutdown(self) -> None:
        """Flush and stop exporters (bounded by the exporters' own timeouts)."""
        for provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            if provider is not None:
                try:
                    provider.shutdown()
                except Exception:  # shutting down must never mask the real exit status
                    log.exception("telemetry shutdown failed")


def configure_telemetry(service_name: str, environment: str) -> Telemetry:
    """Install the global tracer and meter providers and the library instrumentation."""
    # Stable HTTP semantic conventions (http.server.request.duration in seconds) unless the
    # operator chose otherwise.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    if sdk_disabled():
        return Telemetry()

    resource = Resource.create(resource_attributes(service_name, environment))

    tracer_provider = TracerProvider(resource=resource)  # sampler: OTEL_TRACES_SAMPLER
    for name in _exporter_names("traces", "otlp"):
        exporter: SpanExporter = _load_exporter("traces", name)
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(tracer_provider)

    readers = []
    for name in _exporter_names("metrics", "otlp"):
        metric_exporter: MetricExporter = _load_exporter("metrics", name)
        readers.append(PeriodicExportingMetricReader(metric_exporter))
    meter_provider = MeterProvider(resource=resource, metric_readers=readers, views=_views())
    metrics.set_meter_provider(meter_provider)

    logger_provider = _configure_log_export(resource)

    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    BotocoreInstrumentor().instrument(  # type: ignore[no-untyped-call]
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    HTTPXClientInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    log.info(
        "telemetry configured",
        extra={
            "traces_exporters": _exporter_names("traces", "otlp"),
            "metrics_exporters": _exporter_names("metrics", "otlp"),
            "logs_exporters": _exporter_names("logs", "none"),
        },
    )
    return Telemetry(tracer_provider, meter_provider, logger_provider)


def _configure_log_export(resource: Resource) -> LoggerProvider | None:
    """OTLP log export only when OTEL_LOGS_EXPORTER asks for it; stdout JSON is always on."""
    names = _exporter_names("logs", "none")
    if not names:
        return None
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider(resource=resource)
    for name in names:
        provider.add_log_record_processor(BatchLogRecordProcessor(_load_exporter("logs", name)))
    logging.getLogger().addHandler(LoggingHandler(logger_provider=provider))
    return provider
