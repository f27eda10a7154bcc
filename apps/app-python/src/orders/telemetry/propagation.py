"""W3C trace context in SQS message attributes (``traceparent``, ``tracestate``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.propagate import extract, inject
from opentelemetry.propagators.textmap import Getter, Setter

MessageAttributes = dict[str, dict[str, Any]]


class _AttributesSetter(Setter[MessageAttributes]):
    def set(self, carrier: MessageAttributes, key: str, value: str) -> None:
        carrier[key] = {"DataType": "String", "StringValue": value}


class _AttributesGetter(Getter[Mapping[str, Mapping[str, Any]]]):
    def get(self, carrier: Mapping[str, Mapping[str, Any]], key: str) -> list[str] | None:
        attribute = carrier.get(key)
        if attribute is None:
            return None
        value = attribute.get("StringValue")
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Mapping[str, Mapping[str, Any]]) -> list[str]:
        return list(carrier.keys())


def inject_context(attributes: MessageAttributes, context: Context | None = None) -> None:
    """Write the current (or given) trace context into SQS message attributes."""
    inject(attributes, context=context, setter=_AttributesSetter())


def extract_context(attributes: Mapping[str, Mapping[str, Any]] | None) -> Context:
    """Read a trace context from SQS message attributes (empty context if absent)."""
    return extract(attributes or {}, getter=_AttributesGetter())
