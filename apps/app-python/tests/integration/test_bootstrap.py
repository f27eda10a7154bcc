"""``orders-bootstrap`` as a command against the AWS-API server."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from orders.adapters import aws
from orders.devtools.stack import LocalStack, MotoServer

pytestmark = pytest.mark.integration


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders.bootstrap"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_creates_then_converges_idempotently(workdir: Path, moto: MotoServer) -> None:
    stack = LocalStack(workdir, moto.url, name=f"boot-{uuid.uuid4().hex[:8]}")
    first = run(stack.env(ORDERS_MAX_RECEIVE_COUNT="4"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"dlq {stack.dlq_name}: created",
        f"queue {stack.queue_name}: created",
        f"table {stack.table_name}: created",
    ]
    second = run(stack.env(ORDERS_MAX_RECEIVE_COUNT="7"))
    assert second.returncode == 0, second.stderr
    assert [line.split(": ")[1] for line in second.stdout.splitlines()] == ["exists"] * 3

    settings = stack.settings()
    sqs = aws.sqs_client(settings)
    url = sqs.get_queue_url(QueueName=stack.queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 7  # converged to the new configuration
    assert redrive["deadLetterTargetArn"].endswith(f":{stack.dlq_name}")
    table = aws.dynamodb_client(settings).describe_table(TableName=stack.table_name)["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["recent"]


def test_bad_configuration_is_one_line_and_a_non_zero_exit(workdir: Path, moto: MotoServer) -> None:
    stack = LocalStack(workdir, moto.url)
    result = run(stack.env(ORDERS_MAX_RECEIVE_COUNT="zero"))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ORDERS_MAX_RECEIVE_COUNT" in lines[0]


def test_unreachable_endpoint_is_one_line_and_a_non_zero_exit(workdir: Path) -> None:
    stack = LocalStack(workdir, "http://127.0.0.1:9")
    result = run(stack.env(AWS_MAX_ATTEMPTS="1"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("orders-bootstrap: queue")
