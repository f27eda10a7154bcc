from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orders.services.processing import RetryPolicy


def test_retry_delay_doubles_per_receive_and_is_capped() -> None:
    policy = RetryPolicy(base_seconds=2, max_seconds=60, max_receive_count=5)
    assert [policy.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


@given(
    base=st.integers(min_value=0, max_value=900),
    cap=st.integers(min_value=0, max_value=43200),
    receives=st.integers(min_value=0, max_value=10_000),
)
def test_retry_delay_is_a_valid_visibility_timeout(base: int, cap: int, receives: int) -> None:
    delay = RetryPolicy(base, cap, 5).delay(receives)
    assert 0 <= delay <= min(cap, 43200)
