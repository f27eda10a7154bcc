"""``python -m orders.devtools.bench``: what telemetry costs, and how fast the worker drains.

1. Order creation, OpenTelemetry on (exporting to a local OTLP sink) versus off
   (OTEL_SDK_DISABLED=true): req/s and p95 from k6's create-only scenario against the API
   alone, side by side with their ratio.
2. Worker end-to-end latency (enqueue -> stored) at a steady rate for a bounded count: p50, p95
   and max from the stored orders.

Prints figures; asserts nothing. Every process it starts is stopped at the end.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from orders.adapters import aws
from orders.adapters.dynamodb import OrdersTable
from orders.adapters.sqs import OrdersQueue
from orders.devtools.otlp_sink import OtlpSink
from orders.devtools.stack import (
    LOCAL_AWS_ENV,
    LocalStack,
    MotoServer,
    terminate_on_signals,
    wait_until,
)
from orders.devtools.tools import find_k6, k6_dir
from orders.domain.models import OrderItem, OrderMessage, OrderStatus, isoformat, utcnow

app = typer.Typer(add_completion=False)
console = Console()


@dataclass(frozen=True)
class HttpFigures:
    requests: int
    rate: float
    p95_ms: float
    failed_rate: float


def k6_create(base_url: str, duration: str, vus: int, summary: Path) -> HttpFigures:
    """k6's create-only scenario; figures from its JSON summary."""
    env = {
        **os.environ,
        "BASE_URL": base_url,
        "K6_DURATION": duration,
        "K6_VUS": str(vus),
        "K6_SUMMARY_PATH": str(summary),
        "K6_NO_USAGE_REPORT": "true",
    }
    script = k6_dir() / "app-python" / "create.js"
    subprocess.run(
        [find_k6(), "run", "--quiet", str(script)],
        env=env,
        check=False,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
    metrics = json.loads(summary.read_text())["metrics"]
    return HttpFigures(
        requests=int(metrics["http_reqs"]["values"]["count"]),
        rate=float(metrics["http_reqs"]["values"]["rate"]),
        p95_ms=float(metrics["http_req_duration"]["values"]["p(95)"]),
        failed_rate=float(metrics["http_req_failed"]["values"]["rate"]),
    )


def _epoch(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def worker_end_to_end(stack: LocalStack, count: int, rate: float) -> tuple[list[float], float]:
    """Send ``count`` messages at ``rate`` per second; (latencies in s, achieved send rate)."""
    settings = stack.settings()
    queue = OrdersQueue(aws.sqs_client(settings), stack.queue_name, stack.dlq_name)
    table = OrdersTable(aws.dynamodb_client(settings), stack.table_name)
    sent_at: dict[str, float] = {}

    def send() -> None:
        message = OrderMessage(
            order_id=uuid.uuid4().hex,
            customer_id="bench",
            items=[OrderItem(sku="SKU-001", quantity=1)],
            created_at=isoformat(utcnow()),
        )
        sent_at[message.order_id] = time.time()
        queue.send(message)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as senders:  # a send must not delay the next one
        for index in range(count):
            pause = started + index / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            senders.submit(send)
    send_rate = count / max(time.monotonic() - started, 1e-9)
    # wait for the queue to drain (one cheap call per second), then read each order once
    wait_until(
        lambda: queue.depth(queue.url) == (0, 0),
        120 + count / rate,
        f"{count} messages processed",
        interval=1.0,
    )
    latencies: list[float] = []
    for order_id, sent in sent_at.items():
        order = table.get_order(order_id)
        if order is not None and order.status is OrderStatus.STORED and order.stored_at:
            latencies.append(_epoch(order.stored_at) - sent)
    if len(latencies) < count:
        console.print(f"[yellow]{count - len(latencies)} of {count} orders not stored[/yellow]")
    return latencies, send_rate


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


@app.command()
def main(
    duration: str = typer.Option("15s", help="k6 duration of each creation run."),
    vus: int = typer.Option(4, min=1, help="k6 virtual users for the creation runs."),
    messages: int = typer.Option(500, min=1, help="Messages for the worker run."),
    rate: float = typer.Option(50.0, min=0.1, help="Messages per second for the worker run."),
    workdir: Path | None = typer.Option(None, help="Where logs go (default: a temp dir)."),
) -> None:
    """Measure telemetry overhead on order creation and the worker's end-to-end latency."""
    logging.basicConfig(level=logging.WARNING)
    os.environ.update(LOCAL_AWS_ENV)  # this process talks to the local AWS-API server too
    directory = workdir or Path(tempfile.mkdtemp(prefix="orders-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    sink = OtlpSink(keep=False)  # counts exports, keeps nothing: a sink, not a store
    moto: MotoServer | None = None
    stacks: list[LocalStack] = []
    figures: dict[str, HttpFigures] = {}
    with terminate_on_signals():
        try:
            sink.start()
            moto = MotoServer(directory / "moto_server.log")
            for mode in ("on", "off"):
                stack = LocalStack(
                    directory,
                    moto.url,
                    name=f"bench-{mode}-{uuid.uuid4().hex[:6]}",
                    otlp_endpoint=sink.endpoint if mode == "on" else None,
                )
                stacks.append(stack)
                stack.bootstrap()
                stack.start_api()
                console.print(f"order creation, OpenTelemetry {mode}: k6 {vus} VUs for {duration}")
                figures[mode] = k6_create(
                    stack.base_url, duration, vus, directory / f"create-{mode}.json"
                )
                stack.stop()
            e2e = LocalStack(
                directory,
                moto.url,
                name=f"bench-e2e-{uuid.uuid4().hex[:6]}",
                otlp_endpoint=sink.endpoint,
            )
            stacks.append(e2e)
            e2e.bootstrap()
            e2e.start_worker()
            console.print(f"worker end-to-end: {messages} messages at {rate:g}/s")
            latencies, send_rate = worker_end_to_end(e2e, messages, rate)
        finally:
            for stack in stacks:
                stack.stop()
            if moto is not None:
                moto.stop()
            sink.stop()

    on, off = figures["on"], figures["off"]
    table = Table(title=f"order creation (POST /orders, k6 {vus} VUs, {duration}, API alone)")
    for column in ("", "requests", "req/s", "p95 ms", "failed %"):
        table.add_column(column, justify="right")
    for label, fig in (("OpenTelemetry on", on), ("OpenTelemetry off", off)):
        table.add_row(
            label,
            str(fig.requests),
            f"{fig.rate:.1f}",
            f"{fig.p95_ms:.1f}",
            f"{fig.failed_rate * 100:.2f}",
        )
    table.add_row("on / off", "", f"{on.rate / off.rate:.3f}", f"{on.p95_ms / off.p95_ms:.3f}", "")
    console.print(table)
    e2e_table = Table(title=f"worker end-to-end, enqueue -> stored ({messages} msgs at {rate:g}/s)")
    for column in ("sent/s", "p50 ms", "p95 ms", "max ms", "mean ms"):
        e2e_table.add_column(column, justify="right")
    e2e_table.add_row(
        f"{send_rate:.1f}",
        f"{percentile(latencies, 0.50) * 1000:.1f}",
        f"{percentile(latencies, 0.95) * 1000:.1f}",
        f"{max(latencies) * 1000:.1f}",
        f"{statistics.fmean(latencies) * 1000:.1f}",
    )
    console.print(e2e_table)
    console.print(f"OTLP requests received by the sink: {sink.requests}; logs in {directory}")


if __name__ == "__main__":
    app()
