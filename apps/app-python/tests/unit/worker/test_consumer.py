from __future__ import annotations

import json

from orders.adapters.sqs import ReceivedMessage
from orders.worker.consumer import _by_order


def message(message_id: str, body: str) -> ReceivedMessage:
    return ReceivedMessage(message_id, f"rh-{message_id}", body, 1, 0)


def test_copies_of_one_order_are_grouped_in_arrival_order() -> None:
    a1 = message("1", json.dumps({"order_id": "a"}))
    b = message("2", json.dumps({"order_id": "b"}))
    a2 = message("3", json.dumps({"order_id": "a"}))
    assert _by_order([a1, b, a2]) == [[a1, a2], [b]]


def test_unparseable_bodies_stand_alone() -> None:
    bad1 = message("1", "not json")
    bad2 = message("2", "[1, 2]")
    bad3 = message("3", "not json")
    assert _by_order([bad1, bad2, bad3]) == [[bad1], [bad2], [bad3]]
