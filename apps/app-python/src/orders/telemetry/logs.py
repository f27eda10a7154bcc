"""JSON logs on stdout, one object per line, each carrying trace_id and span_id.

Standard ``logging`` with python-json-logger's formatter; a filter stamps the current span's
ids (all zeros outside a span) and the service name on every record, including the records of
libraries (uvicorn, botocore).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

ZERO_TRACE_ID = "0" * 32
ZERO_SPAN_ID = "0" * 16


class TraceContextFilter(logging.Filter):
    """Adds trace_id, span_id and service.name to every record."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        else:
            record.trace_id = ZERO_TRACE_ID
            record.span_id = ZERO_SPAN_ID
        record.service_name = self.service_name
        if hasattr(record, "color_message"):  # uvicorn's ANSI-coloured duplicate of the message
            del record.color_message
        return True


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        "{levelname}{name}{message}{trace_id}{span_id}{service_name}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger", "service_name": "service.name"},
        timestamp=True,
        json_ensure_ascii=False,
    )


def configure_logging(service_name: str, level: str = "INFO") -> None:
    """Route every logger to one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter())
    handler.addFilter(TraceContextFilter(service_name))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # libraries: keep their warnings, drop their chatter
    for name in ("botocore", "boto3", "urllib3", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lib = logging.getLogger(name)
        lib.handlers.clear()
        lib.propagate = True


def log_fields(**fields: Any) -> dict[str, Any]:
    """``extra=`` for a log call, skipping None values."""
    return {key: value for key, value in fields.items() if value is not None}
