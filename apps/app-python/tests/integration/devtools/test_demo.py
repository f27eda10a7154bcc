"""The traced-order demo against the running stack."""

from __future__ import annotations

import pytest

from orders.devtools.demo import render, traced_order
from orders.devtools.otlp_sink import OtlpSink
from stacks import RunningStack

pytestmark = pytest.mark.integration


def test_traced_order_follows_one_trace_through_api_and_worker(
    main_stack: RunningStack, sink: OtlpSink
) -> None:
    assert main_stack.api is not None
    assert main_stack.worker is not None
    result = traced_order(main_stack.stack.base_url, main_stack.api, main_stack.worker, sink)
    assert result.order["status"] == "stored"
    assert result.order["trace_id"] == result.trace_id
    assert any(line["message"] == "order stored" for line in result.worker_lines)
    assert all(line["trace_id"] == result.trace_id for line in result.worker_lines)
    assert result.api_lines
    assert {s.service for s in result.spans} == {"app-python", "app-python-worker"}
    text = render(result)
    assert result.trace_id in text
    assert "CONSUMER process" in text
