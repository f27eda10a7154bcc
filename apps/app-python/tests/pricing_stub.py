"""A local HTTP server speaking app-java's quote API; behaviour chosen by SKU."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PRICES = {"SKU-001": 1299, "SKU-002": 2499, "SKU-003": 499}
ALWAYS_500 = "SKU-500"  # answers 500 forever
FLAKY_503 = "SKU-503"  # answers 503 to the first call of each order, then a quote
UNKNOWN = "SKU-404"  # answers 404
SLOW = "SKU-408"  # answers after 2 s (longer than the client timeout)
WRONG_ORDER = "SKU-777"  # quotes another order id


class _QuietServer(ThreadingHTTPServer):
    """The client may hang up first (the slow SKU outlives its timeout): not an error here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


@dataclass
class PricingStub:
    """A local HTTP server speaking app-java's POST /api/v1/quotes."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    calls_per_order: dict[str, int] = field(default_factory=dict)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = stub.answer(self.path, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                return

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append({"path": path, "body": body})
            order_id = body["orderId"]
            calls = self.calls_per_order[order_id] = self.calls_per_order.get(order_id, 0) + 1
        if path != "/api/v1/quotes":
            return 404, {"error": "no such route"}
        skus = {item["sku"] for item in body["items"]}
        if ALWAYS_500 in skus:
            return 500, {"error": "boom"}
        if FLAKY_503 in skus and calls == 1:
            return 503, {"error": "warming up"}
        if UNKNOWN in skus:
            return 404, {"error": f"unknown sku {UNKNOWN}"}
        if SLOW in skus:
            time.sleep(2)
        lines = [
            {
                "sku": item["sku"],
                "quantity": item["quantity"],
                "unitPriceCents": PRICES.get(item["sku"], 100),
                "lineTotalCents": PRICES.get(item["sku"], 100) * item["quantity"],
            }
            for item in body["items"]
        ]
        return 200, {
            "orderId": "another-order" if WRONG_ORDER in skus else order_id,
            "currency": "USD",
            "totalCents": sum(line["lineTotalCents"] for line in lines),
            "lines": lines,
        }
