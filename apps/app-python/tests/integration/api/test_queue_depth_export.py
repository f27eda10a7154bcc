"""The API exports the queue's depth itself: with no worker running, waiting orders stay
visible in the API's own ``orders.queue.messages`` series (what the lab's
``OrdersWorkerNotConsuming`` alert reads)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orders.devtools.otlp_sink import OtlpSink
from orders.devtools.stack import MotoServer
from orders.telemetry import semconv
from stacks import RunningStack, make_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def api_only(workdir: Path, moto: MotoServer, sink: OtlpSink) -> Iterator[RunningStack]:
    running = make_stack(workdir, moto, sink=sink, worker=False)
    yield running
    running.client.close()
    running.stack.stop()


def queue_points(sink: OtlpSink, service: str, queue: str) -> list[dict[str, Any]]:
    return [
        point
        for metric in sink.metrics()
        if metric.service == service and metric.name == semconv.ORDERS_QUEUE_MESSAGES.name
        for point in metric.points
        if point["attributes"].get(semconv.MESSAGING_DESTINATION_NAME) == queue
    ]


def test_the_api_reports_the_backlog_when_no_worker_runs(
    api_only: RunningStack, sink: OtlpSink
) -> None:
    queue, dlq = api_only.stack.queue_name, api_only.stack.dlq_name
    for _ in range(3):
        response = api_only.client.post(
            "/orders",
            json={"customer_id": "c-depth", "items": [{"sku": "SKU-001", "quantity": 1}]},
            headers={"Idempotency-Key": f"depth-{uuid.uuid4().hex}"},
        )
        assert response.status_code == 202

    def backlog(received: OtlpSink) -> list[dict[str, Any]] | None:
        points = queue_points(received, semconv.API_SERVICE_NAME, queue)
        visible = [p for p in points if p["attributes"][semconv.QUEUE_MESSAGE_STATE] == "visible"]
        return points if visible and visible[-1]["value"] == 3 else None

    points = sink.wait_for(backlog, 30)
    assert {p["attributes"][semconv.QUEUE_MESSAGE_STATE] for p in points} == {
        "visible",
        "in_flight",
    }
    dead = queue_points(sink, semconv.API_SERVICE_NAME, dlq)
    assert dead
    assert all(p["value"] == 0 for p in dead)
    # the API's own view: nothing of this queue came from a worker
    assert not queue_points(sink, semconv.WORKER_SERVICE_NAME, queue)
