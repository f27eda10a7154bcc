#!/usr/bin/env python3
"""app-python bench: order creation with OpenTelemetry on vs off (req/s, p95, ratio) and the
worker's end-to-end latency at 50 msg/s. Prints figures; asserts nothing.

Run: uv run --project apps/app-python python apps/app-python/scripts/bench.py [--help]
"""

from orders.devtools.bench import app

if __name__ == "__main__":
    app()
