"""The shared fault flags: env defaults, the table item, caching, and a table outage."""

from __future__ import annotations

import pytest

from orders.adapters import aws
from orders.adapters.dynamodb import OrdersTable
from orders.domain.faults import Faults
from orders.services.faults import FaultFlags
from orders.settings import Settings

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_flags_are_shared_through_the_table_and_cached(table: OrdersTable) -> None:
    defaults = Faults(latency_ms=5)
    clock = Clock()
    api = FaultFlags(table, defaults, refresh_seconds=2, clock=clock)
    worker = FaultFlags(table, defaults, refresh_seconds=2, clock=clock)
    assert worker.current() == defaults
    assert worker.source == "env"

    api.set(Faults(worker_crash=True), actor="test")
    assert api.current() == Faults(worker_crash=True)  # the writer sees it at once
    assert worker.current() == defaults  # the reader within its refresh interval
    clock.now = 2.5
    assert worker.current() == Faults(worker_crash=True)
    assert worker.source == "table"


def test_a_table_outage_keeps_the_last_known_flags(resources: Settings, table: OrdersTable) -> None:
    table.put_faults(Faults(error_rate=0.5), "2030-01-01T00:00:00.000000Z")
    clock = Clock()
    flags = FaultFlags(table, Faults(), refresh_seconds=1, clock=clock)
    assert flags.current() == Faults(error_rate=0.5)
    dead = resources.model_copy(
        update={"dynamodb_endpoint_url": "http://127.0.0.1:9", "aws_max_attempts": 1}
    )
    flags.table = OrdersTable(aws.dynamodb_client(dead), resources.table_name)
    clock.now = 5
    assert flags.current() == Faults(error_rate=0.5)
