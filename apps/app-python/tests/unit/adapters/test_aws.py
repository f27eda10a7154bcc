"""boto3 clients built from the settings: which endpoint, region, timeouts and attempts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from orders.adapters import aws
from orders.settings import Settings


def settings(**values: object) -> Settings:
    base: dict[str, object] = {"aws_region": "eu-west-1"}
    return Settings(**{**base, **values})


def test_each_service_takes_its_own_endpoint_before_the_shared_one() -> None:
    shared = "http://127.0.0.1:5000"
    configured = settings(aws_endpoint_url=shared, sqs_endpoint_url="http://127.0.0.1:6000")
    assert aws.sqs_client(configured).meta.endpoint_url == "http://127.0.0.1:6000"
    assert aws.dynamodb_client(configured).meta.endpoint_url == shared


def test_without_an_endpoint_the_clients_use_aws_in_the_configured_region() -> None:
    sqs = aws.sqs_client(settings())
    dynamodb = aws.dynamodb_client(settings())
    assert sqs.meta.region_name == dynamodb.meta.region_name == "eu-west-1"
    assert sqs.meta.endpoint_url.endswith("amazonaws.com")
    assert "eu-west-1" in dynamodb.meta.endpoint_url


@pytest.mark.parametrize("factory", [aws.sqs_client, aws.dynamodb_client])
def test_timeouts_and_attempts_come_from_the_settings(factory: object) -> None:
    configured = settings(
        aws_connect_timeout_seconds=1.5, aws_read_timeout_seconds=7, aws_max_attempts=4
    )
    config = factory(configured).meta.config  # type: ignore[operator]
    assert config.connect_timeout == 1.5
    assert config.read_timeout == 7
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}


def test_probe_overrides_win_and_one_attempt_means_no_retry() -> None:
    config = aws.sqs_client(
        settings(aws_max_attempts=5), max_attempts=1, connect_timeout=0.5, read_timeout=1
    ).meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.connect_timeout == 0.5
    assert config.read_timeout == 1


def test_errors_are_described_in_one_line() -> None:
    throttled = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "PutItem"
    )
    assert aws.describe_error(throttled) == "ThrottlingException: Rate exceeded"
    assert aws.error_code(throttled) == "ThrottlingException"
    down = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert aws.describe_error(down).startswith("EndpointConnectionError: ")
    assert "http://127.0.0.1:1" in aws.describe_error(down)
    assert aws.error_code(down) == ""
    assert isinstance(down, aws.AWS_ERRORS)
