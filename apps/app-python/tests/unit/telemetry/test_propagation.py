from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from orders.telemetry.propagation import MessageAttributes, extract_context, inject_context


def test_trace_context_round_trips_through_sqs_message_attributes() -> None:
    tracer = TracerProvider().get_tracer("test")
    attributes: MessageAttributes = {}
    with tracer.start_as_current_span("send") as span:
        inject_context(attributes)
        sent = span.get_span_context()
    assert sent.is_valid
    assert attributes["traceparent"]["DataType"] == "String"
    assert attributes["traceparent"]["StringValue"].split("-")[1] == format(sent.trace_id, "032x")
    received = trace.get_current_span(extract_context(attributes)).get_span_context()
    assert received.trace_id == sent.trace_id
    assert received.span_id == sent.span_id
    assert received.is_remote


def test_missing_or_foreign_attributes_give_an_empty_context() -> None:
    for attributes in (None, {}, {"traceparent": {"DataType": "Binary", "BinaryValue": b"x"}}):
        context = extract_context(attributes)
        assert not trace.get_current_span(context).get_span_context().is_valid
