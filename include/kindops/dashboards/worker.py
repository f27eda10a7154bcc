"""Orders worker and queue: throughput, failures, processing time, queue depth and age.

Series: the worker's own instruments (``orders.*`` in app-python's telemetry/semconv.py, as the
collector names them: ``orders_processed_total``, ``orders_failed_total``,
``orders_processing_duration_seconds_*``, ``orders_end_to_end_duration_seconds_*``,
``orders_queue_messages``, ``orders_queue_oldest_age_seconds``...), ``job="$worker"``.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from kindops.dashboards.common import (
    ORANGE,
    RED,
    YELLOW,
    board,
    logs,
    prom,
    query_variable,
    row,
    stat,
    timeseries,
)

UID = "kindops-worker"

_W = 'job="$worker"'
_RATE = "[$__rate_interval]"
_MAIN_QUEUE = 'messaging_destination_name!~".+-dlq"'
_DLQ = 'messaging_destination_name=~".+-dlq"'


def _quantile(q: str, metric: str, by: str = "le") -> str:
    return f"histogram_quantile({q}, sum by ({by}) (rate({metric}_bucket{{{_W}}}{_RATE})))"


def build() -> db.Dashboard:
    d = board(
        UID,
        "Orders worker and queue",
        "The queue consumer: orders processed and failed, processing and end-to-end time, "
        "queue depth, oldest message age and the dead-letter queue.",
        ["worker", "queue", "services"],
    )
    d = d.with_variable(
        query_variable(
            "worker", "Worker", "label_values(orders_processed_total, job)", "app-python-worker"
        )
    )
    d = d.with_variable(
        query_variable("api", "API", "label_values(orders_created_total, job)", "app-python")
    )

    processed = f"sum(rate(orders_processed_total{{{_W}}}{_RATE}))"
    failed = f"sum(rate(orders_failed_total{{{_W}}}{_RATE}))"
    d = d.with_row(row("Now"))
    d = d.with_panel(
        stat("Processed", "Orders priced and stored per second.", "ops", prom(processed))
    )
    d = d.with_panel(
        stat(
            "Failed attempts",
            "Share of processing attempts that failed (transient ones are retried).",
            "percentunit",
            prom(f"({failed} or vector(0)) / ({processed} + ({failed} or vector(0)))"),
            steps=((0.01, YELLOW), (0.05, RED)),
        )
    )
    d = d.with_panel(
        stat(
            "Oldest message",
            "Age of the oldest message waiting in the queue; the queue-age SLO wants < 2 min.",
            "s",
            prom(f"max(orders_queue_oldest_age_seconds{{{_W}, {_MAIN_QUEUE}}})"),
            steps=((60, YELLOW), (120, ORANGE), (600, RED)),
        )
    )
    d = d.with_panel(
        stat(
            "Dead letters",
            "Messages in the dead-letter queue: orders that failed every delivery.",
            "short",
            prom(f"sum(orders_queue_messages{{{_W}, {_DLQ}}})"),
            steps=((1, RED),),
        )
    )

    d = d.with_row(row("Throughput and failures"))
    d = d.with_panel(
        timeseries(
            "Created (API) vs processed (worker)",
            "Orders accepted by the API and orders the worker finished, per second; a lasting "
            "gap is a growing backlog.",
            "ops",
            [
                prom('sum(rate(orders_created_total{job="$api"}[$__rate_interval]))', "created"),
                prom(processed, "processed"),
            ],
        )
    )
    d = d.with_panel(
        timeseries(
            "Processed by pricing source",
            "Orders processed per second by where the price came from.",
            "ops",
            [
                prom(
                    f"sum by (orders_pricing_source) (rate(orders_processed_total{{{_W}}}{_RATE}))",
                    "{{orders_pricing_source}}",
                )
            ],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Failures by error type",
            "Failed processing attempts per second by error.type.",
            "ops",
            [
                prom(
                    f"sum by (error_type) (rate(orders_failed_total{{{_W}}}{_RATE}))",
                    "{{error_type}}",
                )
            ],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Duplicates and injected faults",
            "Redelivered messages of orders already processed, and faults injected by the "
            "game-day flags, per second.",
            "ops",
            [
                prom(f"sum(rate(orders_duplicates_total{{{_W}}}{_RATE}))", "duplicates"),
                prom(
                    "sum by (job, orders_fault_type) "
                    "(rate(orders_faults_injected_total[$__rate_interval]))",
                    "fault {{orders_fault_type}} ({{job}})",
                ),
            ],
        )
    )

    d = d.with_row(row("Time"))
    d = d.with_panel(
        timeseries(
            "Processing time p50 / p95 / p99",
            "Time the worker spends on one message.",
            "s",
            [
                prom(_quantile(q, "orders_processing_duration_seconds"), f"p{q[2:]}", exemplar=True)
                for q in ("0.50", "0.95", "0.99")
            ],
        )
    )
    d = d.with_panel(
        timeseries(
            "End-to-end time p50 / p95",
            "From enqueue (SQS SentTimestamp) to the order stored.",
            "s",
            [
                prom(_quantile(q, "orders_end_to_end_duration_seconds"), f"p{q[2:]}")
                for q in ("0.50", "0.95")
            ],
        )
    )
    d = d.with_panel(
        timeseries(
            "p95 processing time by outcome",
            "95th percentile of processing time per orders.status.",
            "s",
            [
                prom(
                    _quantile("0.95", "orders_processing_duration_seconds", "le, orders_status"),
                    "{{orders_status}}",
                )
            ],
            width=24,
        )
    )

    d = d.with_row(row("Queue"))
    d = d.with_panel(
        timeseries(
            "Messages by queue and state",
            "Approximate messages visible and in flight, in the queue and the DLQ.",
            "short",
            [
                prom(
                    "sum by (messaging_destination_name, orders_queue_message_state) "
                    f"(orders_queue_messages{{{_W}}})",
                    "{{messaging_destination_name}} {{orders_queue_message_state}}",
                )
            ],
        )
    )
    d = d.with_panel(
        timeseries(
            "Oldest message age",
            "Age of the oldest message in the last receive, per queue (0 when empty).",
            "s",
            [
                prom(
                    "max by (messaging_destination_name) "
                    f"(orders_queue_oldest_age_seconds{{{_W}}})",
                    "{{messaging_destination_name}}",
                )
            ],
            steps=((120, ORANGE), (600, RED)),
        )
    )

    d = d.with_row(row("Logs"))
    d = d.with_panel(
        logs(
            "Logs of $worker",
            "The worker's logs in Loki; each carries the trace_id of the order it processed.",
            '{service_name="$worker"}',
        )
    )
    return d
