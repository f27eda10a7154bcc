"""``orders-bootstrap``: create the queue, its DLQ (redrive policy) and the table — idempotently.

For a local AWS-API server, the in-cluster one, or a sandbox account; in real AWS, Terraform
owns these resources. Each run converges the queue attributes (redrive policy, visibility
timeout) to the configuration and prints one line per resource: ``created`` or ``exists``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from orders.adapters import aws
from orders.adapters.aws import AWS_ERRORS, describe_error, error_code
from orders.adapters.dynamodb import RECENT_INDEX, TTL_ATTRIBUTE
from orders.errors import ConfigError, OrdersError
from orders.settings import Settings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger(__name__)

DLQ_RETENTION_SECONDS = 14 * 24 * 3600


class BootstrapError(OrdersError):
    """A resource could not be created or converged."""


@dataclass(frozen=True)
class Result:
    kind: str
    name: str
    action: str  # created | exists


def ensure_queue(client: SQSClient, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """Create a queue or bring an existing one to ``attributes``: (url, action)."""
    try:
        url = client.get_queue_url(QueueName=name)["QueueUrl"]
    except AWS_ERRORS as exc:
        if error_code(exc) not in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
            raise BootstrapError(f"queue {name}: {describe_error(exc)}") from exc
    else:
        try:
            client.set_queue_attributes(QueueUrl=url, Attributes=attributes)  # type: ignore[arg-type]
        except AWS_ERRORS as exc:
            raise BootstrapError(f"queue {name}: {describe_error(exc)}") from exc
        return url, "exists"
    try:
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
    except AWS_ERRORS as exc:
        raise BootstrapError(f"queue {name}: {describe_error(exc)}") from exc
    return url, "created"


def ensure_table(client: DynamoDBClient, name: str) -> str:
    try:
        client.describe_table(TableName=name)
        return "exists"
    except AWS_ERRORS as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise BootstrapError(f"table {name}: {describe_error(exc)}") from exc
    try:
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "bucket", "AttributeType": "S"},
                {"AttributeName": "created_at", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": RECENT_INDEX,
                    "KeySchema": [
                        {"AttributeName": "bucket", "KeyType": "HASH"},
                        {"AttributeName": "created_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            Tags=[
                {"Key": "project", "Value": "kindops-lab"},
                {"Key": "app", "Value": "app-python"},
            ],
        )
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    except AWS_ERRORS as exc:
        if error_code(exc) == "ResourceInUseException":  # created concurrently
            return "exists"
        raise BootstrapError(f"table {name}: {describe_error(exc)}") from exc
    return "created"


def bootstrap(settings: Settings) -> list[Result]:
    sqs = aws.sqs_client(settings)
    dynamodb = aws.dynamodb_client(settings)
    results = []
    dlq_url, action = ensure_queue(
        sqs, settings.dlq_name, {"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )
    results.append(Result("dlq", settings.dlq_name, action))
    try:
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    except AWS_ERRORS as exc:
        raise BootstrapError(f"queue {settings.dlq_name}: {describe_error(exc)}") from exc
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(settings.max_receive_count)}
    _, action = ensure_queue(
        sqs,
        settings.queue_name,
        {
            "RedrivePolicy": json.dumps(redrive),
            "VisibilityTimeout": str(settings.visibility_timeout_seconds),
        },
    )
    results.append(Result("queue", settings.queue_name, action))
    results.append(
        Result("table", settings.table_name, ensure_table(dynamodb, settings.table_name))
    )
    return results


app = typer.Typer(add_completion=False, help=__doc__.splitlines()[0] if __doc__ else None)


@app.command()
def run() -> None:
    """Create or converge the orders queue, its DLQ and the orders table."""
    try:
        settings = load_settings()
        results = bootstrap(settings)
    except (ConfigError, BootstrapError) as exc:
        typer.echo(f"orders-bootstrap: {exc}", err=True)
        raise typer.Exit(1) from None
    for result in results:
        typer.echo(f"{result.kind} {result.name}: {result.action}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
