"""Queue down: readiness fails, create answers 503, nothing is lost once the queue is back."""

from __future__ import annotations

import uuid

import pytest

from orders.devtools.stack import wait_until
from stacks import RunningStack

pytestmark = pytest.mark.integration


def test_queue_outage_and_recovery(main_stack: RunningStack) -> None:
    proxy = main_stack.sqs_proxy
    assert proxy is not None
    client = main_stack.client
    key = f"outage-{uuid.uuid4().hex}"
    body = {"customer_id": "c-outage", "items": [{"sku": "SKU-003", "quantity": 4}]}
    proxy.cut()
    try:
        ready = client.get("/healthz/ready")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["table"] == "ok"
        assert checks["queue"] != "ok"

        for _attempt in range(2):  # the client retries while the queue is still down
            down = client.post("/orders", json=body, headers={"Idempotency-Key": key})
            assert down.status_code == 503
            assert down.headers["Retry-After"] == "1"
            assert down.json()["dependency"] == "queue"
            assert "with the same Idempotency-Key" in down.json()["detail"]
    finally:
        proxy.restore()

    wait_until(lambda: client.get("/healthz/ready").status_code == 200, 60, "ready again")
    retried = client.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert retried.status_code == 202
    order = retried.json()
    assert retried.headers["Idempotent-Replayed"] == "true"  # the order recorded while down
    assert order["status"] in {"queued", "stored"}

    def stored() -> bool:
        return bool(client.get(f"/orders/{order['order_id']}").json()["status"] == "stored")

    wait_until(stored, 60, "the order stored")
    final = client.get(f"/orders/{order['order_id']}").json()
    assert final["total_cents"] == 4 * 499
    again = client.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert again.json()["order_id"] == order["order_id"]
    assert main_stack.api is not None
    assert any(
        line["message"].startswith("order recorded but not queued")
        and line.get("order_id") == order["order_id"]
        for line in main_stack.api.json_lines()
    )
