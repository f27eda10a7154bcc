"""Integration fixtures: per-test resources on the session's moto_server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from orders.adapters import aws
from orders.adapters.dynamodb import OrdersTable
from orders.adapters.sqs import OrdersQueue
from orders.bootstrap import bootstrap
from orders.devtools.stack import LocalStack, MotoServer
from orders.settings import Settings


@pytest.fixture
def resources(workdir: Path, moto: MotoServer) -> Settings:
    """A freshly bootstrapped queue, DLQ (maxReceiveCount 2) and table."""
    stack = LocalStack(workdir, moto.url, name=f"it-{uuid.uuid4().hex[:8]}")
    settings = stack.settings(max_receive_count=2, visibility_timeout_seconds=1)
    bootstrap(settings)
    return settings


@pytest.fixture
def table(resources: Settings) -> OrdersTable:
    return OrdersTable(aws.dynamodb_client(resources), resources.table_name)


@pytest.fixture
def queue(resources: Settings) -> OrdersQueue:
    return OrdersQueue(aws.sqs_client(resources), resources.queue_name, resources.dlq_name)
