"""What a request needs, built once at start-up and reached through ``request.app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from orders.adapters.dynamodb import OrdersTable
from orders.adapters.sqs import OrdersQueue
from orders.services.faults import FaultFlags
from orders.services.ordering import OrderService
from orders.services.queue_depth import QueueDepthPoller
from orders.settings import Settings
from orders.telemetry.metrics import Instruments


@dataclass
class Container:
    settings: Settings
    orders: OrderService
    faults: FaultFlags
    instruments: Instruments
    queue_depth: QueueDepthPoller  # started and stopped with the app
    probe_queue: OrdersQueue  # short timeouts, one attempt: for readiness
    probe_table: OrdersTable


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_order_service(request: Request) -> OrderService:
    return get_container(request).orders
