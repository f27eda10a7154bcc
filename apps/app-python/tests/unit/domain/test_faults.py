from __future__ import annotations

import pytest
from pydantic import ValidationError

from orders.domain.faults import Faults


def test_off_by_default() -> None:
    assert Faults().active is False
    assert Faults().describe() == "none"


def test_describe_lists_only_active_flags() -> None:
    faults = Faults(latency_ms=200, worker_crash=True)
    assert faults.active is True
    assert faults.describe() == "latency_ms=200, worker_crash=True"


@pytest.mark.parametrize(
    "body", [{"error_rate": 1.1}, {"latency_ms": -1}, {"worker_slow_ms": 10**9}, {"chaos": 1}]
)
def test_out_of_range_or_unknown_flags_are_rejected(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Faults.model_validate(body)
