#!/usr/bin/env bash
# The orders stack on this machine for the lab demo: an OTLP sink, moto_server (SQS and
# DynamoDB APIs), the queue/DLQ/table, the API on :8000 and the worker; prints the URLs and
# runs the traced-order demo. Ctrl-C stops everything. Pass --exit-after-demo for a one-shot
# demo, --no-demo to only start the stack; --help for all options.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
uv sync --quiet --frozen --project "${here}"
exec uv run --quiet --frozen --project "${here}" python -m orders.devtools.run_local "$@"
