"""Orders stacks for tests: queue, DLQ and table bootstrapped, API and worker as processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from orders.adapters import aws
from orders.adapters.dynamodb import OrdersTable
from orders.adapters.sqs import OrdersQueue
from orders.bootstrap import bootstrap
from orders.devtools.otlp_sink import OtlpSink
from orders.devtools.stack import LocalStack, ManagedProcess, MotoServer, wait_until
from orders.devtools.tcp_proxy import TcpProxy
from orders.settings import Settings


@dataclass
class RunningStack:
    stack: LocalStack
    api: ManagedProcess | None
    worker: ManagedProcess | None
    client: httpx.Client
    sqs_proxy: TcpProxy | None = None

    @property
    def settings(self) -> Settings:
        return self.stack.settings()

    def queue(self) -> OrdersQueue:
        settings = self.settings
        return OrdersQueue(aws.sqs_client(settings), settings.queue_name, settings.dlq_name)

    def table(self) -> OrdersTable:
        settings = self.settings
        return OrdersTable(aws.dynamodb_client(settings), settings.table_name)

    def worker_lines(self, order_id: str, message: str | None = None) -> list[dict[str, Any]]:
        assert self.worker is not None
        return [
            line
            for line in self.worker.json_lines()
            if line.get("order_id") == order_id and (message is None or line["message"] == message)
        ]

    def wait_worker_line(self, order_id: str, message: str, timeout: float = 60) -> dict[str, Any]:
        assert self.worker is not None
        return self.worker.wait_for_log(
            lambda line: line.get("order_id") == order_id and line.get("message") == message,
            timeout,
            f"{message!r} for {order_id}",
        )


def make_stack(
    workdir: Path,
    moto: MotoServer,
    *,
    sink: OtlpSink | None = None,
    api: bool = True,
    worker: bool = True,
    bootstrap_overrides: dict[str, Any] | None = None,
    **env: str,
) -> RunningStack:
    stack = LocalStack(workdir, moto.url, otlp_endpoint=sink.endpoint if sink else None, env=env)
    bootstrap(stack.settings(**(bootstrap_overrides or {})))
    api_process = worker_process = None
    try:
        if api and worker:
            api_process, worker_process = stack.start()
        elif api:
            api_process = stack.start_api()
        elif worker:
            worker_process = stack.start_worker()
    except BaseException:
        stack.stop()
        raise
    return RunningStack(
        stack, api_process, worker_process, httpx.Client(base_url=stack.base_url, timeout=30)
    )


def take_from_dlq(queue: OrdersQueue, body_contains: str, timeout: float = 60) -> dict[str, Any]:
    """Receive from the DLQ until a message whose body contains the marker shows up."""

    def probe() -> dict[str, Any] | None:
        response = queue.client.receive_message(
            QueueUrl=queue.dlq_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
        )
        for raw in response.get("Messages", []):
            if body_contains in raw["Body"]:
                queue.client.delete_message(
                    QueueUrl=queue.dlq_url, ReceiptHandle=raw["ReceiptHandle"]
                )
                return dict(raw)
        return None

    return wait_until(probe, timeout, f"DLQ message containing {body_contains}", interval=0.2)
