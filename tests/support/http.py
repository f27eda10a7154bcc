"""Small HTTP servers for tests: the APIs the lab talks to (Grafana, Kubernetes, Argo CD, webhooks)
served on loopback from a thread, answering JSON.

:class:`JsonHandler` is the quiet base handler (read a body, answer a JSON document);
:func:`serve` runs a handler class for the length of a block; :func:`recorder` is a server that
records every request and answers like Grafana's annotation API.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that logs nothing, reads request bodies and answers JSON documents."""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def read_json(self) -> Any:
        """The request's JSON body; ``None`` when it has none."""
        raw = self.read_body()
        return json.loads(raw) if raw else None

    def send_json(self, status: int, doc: Any) -> None:
        """Answer ``doc``; a client that already hung up is not an error of the server."""
        body = json.dumps(doc).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_empty(self, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


#: How often a served loop checks for shutdown.
POLL_SECONDS = 0.02


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], port: int = 0) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (``port``, else any free one) for the block; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    # a short poll: shutdown() waits for the loop's next poll (0.5 s by default, per server)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class Recorder:
    """What a :func:`recorder` server saw; ``statuses`` answers a path with another status."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, method: str, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["method"] == method and r["path"] == path]


@contextmanager
def recorder(state: Recorder | None = None) -> Iterator[Recorder]:
    """A server that records every request and answers as Grafana's annotation API does."""
    rec = state or Recorder()

    class Handler(JsonHandler):
        def _handle(self) -> None:
            body = self.read_json()
            path = self.path.split("?")[0]
            with rec.lock:
                rec.requests.append(
                    {
                        "method": self.command,
                        "path": path,
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                n = len(rec.requests)
                status = rec.statuses.get(path, 200)
            self.send_json(status, {"id": n, "message": "Annotation added"})

        do_GET = do_POST = do_PUT = do_PATCH = _handle

    with serve(Handler) as url:
        rec.url = url
        yield rec
