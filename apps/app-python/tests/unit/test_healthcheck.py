from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from orders.devtools.stack import free_port
from orders.healthcheck import check


@pytest.fixture
def live_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz/live" else 404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_api_healthy_when_live_answers_200(
    monkeypatch: pytest.MonkeyPatch, live_server: int
) -> None:
    monkeypatch.delenv("WORKER_HEARTBEAT_FILE", raising=False)
    monkeypatch.setenv("API_PORT", str(live_server))
    assert check() is None


def test_api_unhealthy_when_nothing_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKER_HEARTBEAT_FILE", raising=False)
    monkeypatch.setenv("API_PORT", str(free_port()))
    reason = check()
    assert reason is not None
    assert "/healthz/live" in reason


def test_worker_heartbeat_age(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    heartbeat = tmp_path / "beat"
    heartbeat.touch()
    monkeypatch.setenv("WORKER_HEARTBEAT_FILE", str(heartbeat))
    monkeypatch.setenv("HEALTHCHECK_MAX_AGE_SECONDS", "60")
    assert check() is None
    old = time.time() - 120
    os.utime(heartbeat, (old, old))
    reason = check()
    assert reason is not None
    assert "heartbeat" in reason
