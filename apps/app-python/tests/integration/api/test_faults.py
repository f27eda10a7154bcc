"""Game-day fault flags: set at runtime through /admin/faults, obeyed by the API and the worker
(shared through the table), and turned off again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orders.devtools.otlp_sink import OtlpSink
from orders.devtools.stack import MotoServer, wait_until
from orders.worker.consumer import CRASH_EXIT_CODE
from stacks import RunningStack, make_stack

pytestmark = pytest.mark.integration

TOKEN = "game-day-token"
ADMIN = {"X-Admin-Token": TOKEN}
OFF: dict[str, Any] = {"latency_ms": 0, "error_rate": 0, "worker_crash": False, "worker_slow_ms": 0}


@pytest.fixture(scope="module")
def faults_stack(workdir: Path, moto: MotoServer, sink: OtlpSink) -> Iterator[RunningStack]:
    running = make_stack(
        workdir,
        moto,
        sink=sink,
        bootstrap_overrides={"visibility_timeout_seconds": 2},
        ADMIN_TOKEN=TOKEN,
        ORDERS_VISIBILITY_TIMEOUT_SECONDS="2",
    )
    yield running
    running.client.close()
    running.stack.stop()


def put(stack: RunningStack, **flags: Any) -> dict[str, Any]:
    response = stack.client.put("/admin/faults", json={**OFF, **flags}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def create(stack: RunningStack, trace_id: str | None = None) -> Any:
    headers = {"Idempotency-Key": f"faults-{uuid.uuid4().hex}"}
    if trace_id is not None:  # the request's server span, and so its log lines, get this id
        headers["traceparent"] = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    return stack.client.post(
        "/orders",
        json={"customer_id": "c-faults", "items": [{"sku": "SKU-001", "quantity": 1}]},
        headers=headers,
    )


def api_lines(stack: RunningStack, trace_id: str) -> dict[str, dict[str, Any]]:
    """The API's log lines of one request by message, once its access line is written."""
    assert stack.api is not None
    stack.api.wait_for_log(
        lambda line: line["message"] == "request" and line["trace_id"] == trace_id,
        30,
        f"the access line of trace {trace_id}",
    )
    lines = stack.api.json_lines()
    return {line["message"]: line for line in lines if line["trace_id"] == trace_id}


def test_admin_api_requires_the_token(faults_stack: RunningStack) -> None:
    assert faults_stack.client.get("/admin/faults").status_code == 401
    wrong = faults_stack.client.get("/admin/faults", headers={"X-Admin-Token": "nope"})
    assert wrong.status_code == 401
    current = faults_stack.client.get("/admin/faults", headers=ADMIN).json()
    assert current["faults"] == OFF
    bad = faults_stack.client.put("/admin/faults", json={"error_rate": 2}, headers=ADMIN)
    assert bad.status_code == 422


def test_error_rate_and_latency_take_effect_and_turn_off(faults_stack: RunningStack) -> None:
    assert put(faults_stack, error_rate=1.0)["source"] == "table"
    try:
        failing = create(faults_stack)
        assert failing.status_code == 500
        assert failing.json() == {"detail": "injected fault: error"}
        assert faults_stack.client.get("/healthz/ready").status_code == 200  # probes unaffected
        put(faults_stack, latency_ms=300)
        slow_trace = uuid.uuid4().hex
        assert create(faults_stack, slow_trace).status_code == 202
        slow = api_lines(faults_stack, slow_trace)
        assert slow["injected fault: added latency"]["delay_ms"] == 300
        assert slow["injected fault: added latency"]["level"] == "WARNING"
        assert slow["request"]["http.response.status_code"] == 202
    finally:
        put(faults_stack)
    off_trace = uuid.uuid4().hex
    assert create(faults_stack, off_trace).status_code == 202
    off = api_lines(faults_stack, off_trace)
    assert "injected fault: added latency" not in off
    assert "injected fault: error response" not in off
    assert faults_stack.client.get("/admin/faults", headers=ADMIN).json()["faults"] == OFF
    assert faults_stack.api is not None
    changes = [
        line for line in faults_stack.api.json_lines() if line["message"] == "fault flags changed"
    ]
    assert {line["active"] for line in changes} >= {"error_rate=1.0", "latency_ms=300", "none"}
    assert all(line.get("actor") == "admin-api" for line in changes)


def test_worker_slow_processing_flag(faults_stack: RunningStack) -> None:
    put(faults_stack, worker_slow_ms=200)
    try:
        assert faults_stack.worker is not None
        faults_stack.worker.wait_for_log(
            lambda line: (
                line["message"] == "fault flags changed" and line["faults"]["worker_slow_ms"] == 200
            ),
            60,
            "the worker to see the slow flag",
        )
        order_id = create(faults_stack).json()["order_id"]
        faults_stack.worker.wait_for_log(
            lambda line: (
                line["message"] == "injected fault: slow processing" and line["delay_ms"] == 200
            ),
            60,
            "the slow-processing line",
        )
        faults_stack.wait_worker_line(order_id, "order stored")
    finally:
        put(faults_stack)


def test_worker_crash_flag_exits_non_zero_and_loses_nothing(
    faults_stack: RunningStack, sink: OtlpSink
) -> None:
    worker = faults_stack.worker
    assert worker is not None
    put(faults_stack, worker_crash=True)
    try:
        # the worker sees the change at its next refresh (FAULTS_REFRESH_SECONDS)
        worker.wait_for_log(
            lambda line: (
                line["message"] == "fault flags changed" and line["faults"]["worker_crash"]
            ),
            60,
            "the worker to see the crash flag",
        )
        order_id = create(faults_stack).json()["order_id"]
        assert worker.wait(timeout=60) == CRASH_EXIT_CODE
        assert faults_stack.client.get(f"/orders/{order_id}").json()["status"] == "queued"
    finally:
        put(faults_stack)
    replacement = faults_stack.stack.start_worker()
    faults_stack.worker = replacement
    wait_until(
        lambda: faults_stack.client.get(f"/orders/{order_id}").json()["status"] == "stored",
        60,
        "the order stored by the new worker",
    )

    def injected(received: OtlpSink) -> set[str]:
        return {
            point["attributes"].get("orders.fault.type")
            for metric in received.metrics()
            if metric.name == "orders.faults.injected"
            for point in metric.points
        }

    assert sink.wait_for(lambda s: {"error", "latency", "worker_crash"} <= injected(s) or None, 30)
