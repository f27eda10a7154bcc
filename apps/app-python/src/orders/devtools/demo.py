"""The traced-order demo: one order followed from the API request to the worker's store.

The demo client starts the trace itself (a W3C ``traceparent`` header with a trace id it
chose), so the same id can be looked up everywhere: the API's and the worker's log lines, the
spans the services exported, and the stored order's ``trace_id``.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from orders.devtools.otlp_sink import OtlpSink, SpanRecord
from orders.devtools.stack import ManagedProcess, wait_until


@dataclass
class TracedOrder:
    trace_id: str
    order: dict[str, Any]
    api_lines: list[dict[str, Any]]
    worker_lines: list[dict[str, Any]]
    spans: list[SpanRecord]


def traced_order(
    base_url: str,
    api: ManagedProcess,
    worker: ManagedProcess,
    sink: OtlpSink | None = None,
    timeout: float = 30.0,
) -> TracedOrder:
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    body = {
        "customer_id": "demo",
        "items": [{"sku": "SKU-001", "quantity": 2}, {"sku": "SKU-003", "quantity": 1}],
    }
    with httpx.Client(base_url=base_url, timeout=10) as client:
        created = client.post(
            "/orders",
            json=body,
            headers={"Idempotency-Key": f"demo-{uuid.uuid4().hex}", "traceparent": traceparent},
        )
        created.raise_for_status()
        order_id = created.json()["order_id"]

        def stored() -> dict[str, Any] | None:
            order: dict[str, Any] = client.get(f"/orders/{order_id}").json()
            return order if order.get("status") in {"stored", "failed"} else None

        order = wait_until(stored, timeout, f"order {order_id} to be processed", interval=0.2)

    def worker_logged() -> list[dict[str, Any]]:
        return [line for line in worker.json_lines() if line.get("trace_id") == trace_id]

    worker_lines = wait_until(worker_logged, 10, "worker log lines of the trace")
    api_lines = [line for line in api.json_lines() if line.get("trace_id") == trace_id]
    spans: list[SpanRecord] = []
    if sink is not None:

        def both_sides(received: OtlpSink) -> list[SpanRecord]:
            # the API's and the worker's spans: each process exports its own batches, so the
            # worker's can arrive before the API's
            found = [s for s in received.spans() if s.trace_id == trace_id]
            kinds = {s.kind for s in found}
            return found if {"SERVER", "PRODUCER", "CONSUMER"} <= kinds else []

        spans = sink.wait_for(both_sides, 10)
    return TracedOrder(trace_id, order, api_lines, worker_lines, spans)


def span_tree(spans: list[SpanRecord]) -> list[str]:
    """Indented lines: service, kind, span name, in parent order."""
    by_parent: dict[str, list[SpanRecord]] = {}
    ids = {span.span_id for span in spans}
    for span in sorted(spans, key=lambda s: s.start_ns):
        parent = span.parent_span_id if span.parent_span_id in ids else ""
        by_parent.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for span in by_parent.get(parent, []):
            duration_ms = (span.end_ns - span.start_ns) / 1e6
            indent = "  " * depth
            lines.append(
                f"{indent}{span.service:<18} {span.kind:<8} {span.name} ({duration_ms:.1f} ms)"
            )
            walk(span.span_id, depth + 1)

    walk("", 0)
    return lines


def render(result: TracedOrder) -> str:
    parts = [
        f"trace id: {result.trace_id}",
        "order:",
        json.dumps(result.order, indent=2),
        f"worker log lines with trace_id {result.trace_id}:",
        *(json.dumps(line) for line in result.worker_lines),
        f"API log lines with trace_id {result.trace_id}:",
        *(json.dumps(line) for line in result.api_lines),
    ]
    if result.spans:
        parts += ["spans of the trace:", *span_tree(result.spans)]
    return "\n".join(parts)
