"""boto3 clients built from the settings: endpoints, region, timeouts and retries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from orders.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient


def client_config(
    settings: Settings,
    *,
    max_attempts: int | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
) -> Config:
    return Config(
        region_name=settings.aws_region,
        connect_timeout=connect_timeout or settings.aws_connect_timeout_seconds,
        read_timeout=read_timeout or settings.aws_read_timeout_seconds,
        # total attempts, the first included (botocore's "max_attempts" counts retries only)
        retries={
            "mode": "standard",
            "total_max_attempts": max_attempts or settings.aws_max_attempts,
        },
        max_pool_connections=50,
    )


def sqs_client(settings: Settings, **overrides: float | int | None) -> SQSClient:
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=settings.sqs_endpoint,
        config=client_config(settings, **overrides),  # type: ignore[arg-type]
    )


def dynamodb_client(settings: Settings, **overrides: float | int | None) -> DynamoDBClient:
    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=settings.dynamodb_endpoint,
        config=client_config(settings, **overrides),  # type: ignore[arg-type]
    )


def describe_error(exc: BaseException) -> str:
    """One short line for a boto error: the AWS error code and message, or the exception."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'ClientError')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


AWS_ERRORS = (BotoCoreError, ClientError)
