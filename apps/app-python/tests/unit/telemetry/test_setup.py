from __future__ import annotations

import pytest

from orders.errors import ConfigError
from orders.telemetry import semconv
from orders.telemetry.setup import _load_exporter, configure_telemetry, resource_attributes


def test_resource_attributes_name_service_version_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    attributes = resource_attributes(semconv.WORKER_SERVICE_NAME, "staging-local")
    assert attributes[semconv.SERVICE_NAME] == "app-python-worker"
    assert attributes[semconv.DEPLOYMENT_ENVIRONMENT] == "staging-local"
    assert attributes[semconv.SERVICE_VERSION]


def test_standard_variables_win_over_our_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "renamed")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=sre")
    attributes = resource_attributes(semconv.API_SERVICE_NAME, "dev-local")
    assert semconv.SERVICE_NAME not in attributes
    assert semconv.DEPLOYMENT_ENVIRONMENT not in attributes


def test_sdk_disabled_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    telemetry = configure_telemetry(semconv.API_SERVICE_NAME, "dev-local")
    assert telemetry.enabled is False
    telemetry.shutdown()


def test_unknown_exporter_and_grpc_fail_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER: unknown exporter 'zipkin'"):
        _load_exporter("traces", "zipkin")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(ConfigError, match="http/protobuf"):
        _load_exporter("metrics", "otlp")


def test_otlp_and_console_exporters_load_by_standard_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_PROTOCOL", raising=False)
    assert type(_load_exporter("traces", "otlp")).__name__ == "OTLPSpanExporter"
    assert type(_load_exporter("metrics", "console")).__name__ == "ConsoleMetricExporter"
