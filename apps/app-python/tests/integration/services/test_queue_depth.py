"""Queue depths read into the ``orders.queue.messages`` gauge, against the real AWS-API server."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from orders.adapters.sqs import OrdersQueue
from orders.devtools.stack import wait_until
from orders.services.queue_depth import QueueDepth, QueueDepthPoller
from orders.telemetry import semconv
from orders.telemetry.metrics import Instruments

pytestmark = pytest.mark.integration

Depths = dict[tuple[str, str], float]


def reading() -> tuple[Instruments, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return Instruments(MeterProvider(metric_readers=[reader]).get_meter("orders")), reader


def depths(reader: InMemoryMetricReader) -> Depths:
    """(queue, state) -> value of the queue gauge, as an exporter would see it now."""
    data = reader.get_metrics_data()
    out: Depths = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != semconv.ORDERS_QUEUE_MESSAGES.name:
                    continue
                for point in metric.data.data_points:
                    attrs = point.attributes or {}
                    key = (
                        str(attrs[semconv.MESSAGING_DESTINATION_NAME]),
                        str(attrs[semconv.QUEUE_MESSAGE_STATE]),
                    )
                    out[key] = float(point.value)  # type: ignore[union-attr]
    return out


def test_refresh_reads_visible_and_in_flight_of_the_queue_and_its_dlq(queue: OrdersQueue) -> None:
    for body in ("a", "b", "c"):
        queue.send_raw(queue.url, body)
    queue.send_raw(queue.dlq_url, "dead")
    # one message in flight, hidden long enough for the read below
    taken = queue.client.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=1, VisibilityTimeout=120
    )
    assert len(taken.get("Messages", [])) == 1
    instruments, reader = reading()

    assert QueueDepth(queue, instruments).refresh() == 2
    assert depths(reader) == {
        (queue.queue_name, "visible"): 2,
        (queue.queue_name, "in_flight"): 1,
        (queue.dlq_name, "visible"): 1,
        (queue.dlq_name, "in_flight"): 0,
    }


def test_a_queue_that_cannot_be_read_is_skipped_and_logged(
    queue: OrdersQueue, caplog: pytest.LogCaptureFixture
) -> None:
    queue.send_raw(queue.url, "a")
    broken = OrdersQueue(queue.client, queue.queue_name, f"{queue.dlq_name}-missing")
    instruments, reader = reading()

    with caplog.at_level(logging.WARNING, logger="orders.services.queue_depth"):
        assert QueueDepth(broken, instruments).refresh() == 1
    assert depths(reader) == {(queue.queue_name, "visible"): 1, (queue.queue_name, "in_flight"): 0}
    warnings = [r for r in caplog.records if r.getMessage() == "queue depth not read"]
    assert [getattr(r, "queue", None) for r in warnings] == [f"{queue.dlq_name}-missing"]


def test_the_poller_keeps_the_gauge_fresh_until_stopped(queue: OrdersQueue) -> None:
    instruments, reader = reading()
    poller = QueueDepthPoller(QueueDepth(queue, instruments), interval_seconds=0.05)
    poller.start()
    try:
        assert poller.running
        wait_until(lambda: depths(reader).get((queue.queue_name, "visible")) == 0, 30, "a read")
        queue.send_raw(queue.url, "a")
        queue.send_raw(queue.url, "b")
        wait_until(
            lambda: depths(reader).get((queue.queue_name, "visible")) == 2, 30, "the new depth"
        )
    finally:
        poller.stop()
    assert not poller.running


def test_an_interval_of_zero_turns_the_poller_off(queue: OrdersQueue) -> None:
    instruments, reader = reading()
    poller = QueueDepthPoller(QueueDepth(queue, instruments), interval_seconds=0)
    poller.start()
    assert not poller.running
    assert depths(reader) == {}
    poller.stop()
