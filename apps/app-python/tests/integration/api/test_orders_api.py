"""The orders API as a real process (uvicorn) on a real AWS-API server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from orders.devtools.stack import wait_until
from stacks import RunningStack

pytestmark = pytest.mark.integration

BODY = {"customer_id": "c-api", "items": [{"sku": "SKU-001", "quantity": 2}]}


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


def wait_status(main: RunningStack, order_id: str, status: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        order: dict[str, Any] = main.client.get(f"/orders/{order_id}").json()
        return order if order["status"] == status else None

    return wait_until(probe, 60, f"order {order_id} {status}", interval=0.1)


def test_create_queues_then_worker_stores(main_stack: RunningStack) -> None:
    response = main_stack.client.post("/orders", json=BODY, headers={"Idempotency-Key": key()})
    assert response.status_code == 202
    order = response.json()
    assert order["status"] == "queued"
    assert response.headers["Location"] == f"/orders/{order['order_id']}"
    assert "Idempotent-Replayed" not in response.headers
    stored = wait_status(main_stack, order["order_id"], "stored")
    assert stored["total_cents"] == 2598
    assert stored["currency"] == "USD"
    assert stored["pricing_source"] == "fallback"
    assert stored["created_at"] == order["created_at"]
    listed = main_stack.client.get("/orders", params={"limit": 100}).json()
    assert order["order_id"] in [o["order_id"] for o in listed["orders"]]
    assert listed["count"] == len(listed["orders"])


def test_same_key_same_body_returns_the_same_order(main_stack: RunningStack) -> None:
    k = key()
    first = main_stack.client.post("/orders", json=BODY, headers={"Idempotency-Key": k})
    again = main_stack.client.post(
        "/orders",
        content=b'{ "items": [{"quantity": 2, "sku": "SKU-001"}], "customer_id": "c-api" }',
        headers={"Idempotency-Key": k, "Content-Type": "application/json"},
    )
    assert again.status_code == 202
    assert again.json()["order_id"] == first.json()["order_id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_same_key_other_body_is_a_conflict(main_stack: RunningStack) -> None:
    k = key()
    main_stack.client.post("/orders", json=BODY, headers={"Idempotency-Key": k})
    other = {"customer_id": "c-api", "items": [{"sku": "SKU-001", "quantity": 3}]}
    response = main_stack.client.post("/orders", json=other, headers={"Idempotency-Key": k})
    assert response.status_code == 409
    assert "different request body" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "headers", "location"),
    [
        (
            {"customer_id": "c-bad", "items": [{"sku": "SKU-1", "quantity": 1}]},
            True,
            ["body", "items", 0, "sku"],
        ),
        (
            {"customer_id": "c-bad", "items": [{"sku": "SKU-001", "quantity": 0}]},
            True,
            ["body", "items", 0, "quantity"],
        ),
        (
            {"customer_id": "c-bad", "items": [{"sku": "SKU-001", "quantity": 1001}]},
            True,
            ["body", "items", 0, "quantity"],
        ),
        ({"customer_id": "c-bad", "items": []}, True, ["body", "items"]),
        (
            {"customer_id": "c-bad", "items": [{"sku": "SKU-001", "quantity": 1}], "x": 1},
            True,
            ["body", "x"],
        ),
        ({"items": [{"sku": "SKU-001", "quantity": 1}]}, True, ["body", "customer_id"]),
        (BODY, False, ["header", "Idempotency-Key"]),
    ],
)
def test_bad_input_is_422_with_a_clear_body(
    main_stack: RunningStack, body: dict[str, Any], headers: bool, location: list[Any]
) -> None:
    response = main_stack.client.post(
        "/orders", json=body, headers={"Idempotency-Key": key()} if headers else {}
    )
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [location]
    assert errors[0]["msg"]


def test_malformed_json_is_422_and_creates_nothing(main_stack: RunningStack) -> None:
    response = main_stack.client.post(
        "/orders",
        content=b"{not json",
        headers={"Idempotency-Key": key(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    recent = main_stack.client.get("/orders", params={"limit": 100}).json()["orders"]
    assert all(order["customer_id"] != "c-bad" for order in recent)


def test_get_unknown_is_404_and_malformed_id_is_422(main_stack: RunningStack) -> None:
    assert main_stack.client.get(f"/orders/{uuid.uuid4().hex}").status_code == 404
    assert main_stack.client.get("/orders/not-an-id").status_code == 422
    assert main_stack.client.get("/orders", params={"limit": 0}).status_code == 422
    assert main_stack.client.get("/orders", params={"limit": 101}).status_code == 422


def test_probes(main_stack: RunningStack) -> None:
    assert main_stack.client.get("/healthz/live").json() == {"status": "ok"}
    assert main_stack.client.get("/healthz/startup").json() == {"status": "started"}
    ready = main_stack.client.get("/healthz/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"queue": "ok", "table": "ok"}}


def test_admin_api_is_absent_without_a_token(main_stack: RunningStack) -> None:
    response = main_stack.client.get("/admin/faults", headers={"X-Admin-Token": "anything"})
    assert response.status_code == 404
    assert "ADMIN_TOKEN" in response.json()["detail"]
