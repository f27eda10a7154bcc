from __future__ import annotations

import pytest

from orders.errors import ConfigError
from orders.settings import Settings, load_settings


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "PRICING_URL", "ADMIN_TOKEN", "ORDERS_QUEUE_NAME"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.queue_name == "orders"
    assert settings.dlq_name == "orders-dlq"
    assert settings.pricing_url == ""
    assert settings.admin_enabled is False
    assert settings.deployment_environment == "dev-local"


def test_reads_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:6000")
    monkeypatch.setenv("ORDERS_MAX_RECEIVE_COUNT", "3")
    monkeypatch.setenv("PRICING_URL", "http://127.0.0.1:8080/")
    monkeypatch.setenv("ADMIN_TOKEN", "s3cret")
    monkeypatch.setenv("FAULT_ERROR_RATE", "0.25")
    settings = load_settings()
    assert settings.sqs_endpoint == "http://127.0.0.1:6000"
    assert settings.dynamodb_endpoint == "http://127.0.0.1:5000"
    assert settings.max_receive_count == 3
    assert settings.pricing_url == "http://127.0.0.1:8080"
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.fault_error_rate == 0.25


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")
    monkeypatch.setenv("ADMIN_TOKEN", "  ")
    settings = Settings()
    assert settings.aws_endpoint_url is None
    assert settings.admin_enabled is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDERS_MAX_RECEIVE_COUNT", "0"),
        ("FAULT_ERROR_RATE", "1.5"),
        ("PRICING_URL", "app-java:8080"),
        ("LOG_LEVEL", "LOUD"),
        ("WORKER_WAIT_SECONDS", "30"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert name in message
    assert "\n" not in message
