from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from orders.telemetry.logs import ZERO_SPAN_ID, ZERO_TRACE_ID, TraceContextFilter, json_formatter


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(TraceContextFilter("app-python"))
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_every_line_is_json_with_trace_fields_outside_spans() -> None:
    stream = io.StringIO()
    _logger(stream).info("hello", extra={"order_id": "o1"})
    line = json.loads(stream.getvalue())
    assert line["message"] == "hello"
    assert line["level"] == "INFO"
    assert line["trace_id"] == ZERO_TRACE_ID
    assert line["span_id"] == ZERO_SPAN_ID
    assert line["service.name"] == "app-python"
    assert line["order_id"] == "o1"
    assert "timestamp" in line


def test_lines_inside_a_span_carry_its_ids() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logger.warning("inside")
        context = span.get_span_context()
    assert context.is_valid
    line = json.loads(stream.getvalue())
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_uvicorn_colour_duplicate_is_dropped() -> None:
    stream = io.StringIO()
    _logger(stream).info("started", extra={"color_message": "\x1b[36mstarted\x1b[0m"})
    assert "color_message" not in json.loads(stream.getvalue())
