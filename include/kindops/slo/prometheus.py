"""A small client of the Prometheus HTTP API (``/api/v1/query`` and ``/api/v1/query_range``).

Errors are the jobs package's: an unreachable or failing server is a
:class:`~kindops.errors.DependencyError` naming the URL (exit 3); a query Prometheus rejects is a
:class:`~kindops.errors.ConfigError` naming the query (exit 2), because it comes from a spec.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import requests

from kindops.errors import ConfigError, DependencyError

#: One sample of a range query: (unix seconds, value).
Sample = tuple[float, float]


class PrometheusClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"Prometheus URL {url!r} is not an http(s) URL")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _get(self, path: str, params: dict[str, str], expr: str) -> Any:
        try:
            response = self.session.get(self.url + path, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DependencyError(f"Prometheus at {self.url} is unreachable: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code in (400, 422) and isinstance(body, dict):
            raise ConfigError(
                f"Prometheus at {self.url} rejected the query {' '.join(expr.split())!r}: "
                f"{body.get('error', response.text)}"
            )
        if response.status_code != 200 or not isinstance(body, dict):
            raise DependencyError(
                f"Prometheus at {self.url} answered {response.status_code} on {path}"
            )
        if body.get("status") != "success":
            raise DependencyError(f"Prometheus at {self.url} failed: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: datetime | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant query: (labels, value) per series of the resulting vector."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        data = self._get("/api/v1/query", params, expr)
        if data.get("resultType") == "scalar":
            return [({}, float(data["result"][1]))]
        return [(item["metric"], float(item["value"][1])) for item in data["result"]]

    def query_range(
        self, expr: str, start: datetime, end: datetime, step: timedelta
    ) -> list[tuple[dict[str, str], list[Sample]]]:
        """A range query: (labels, [(unix seconds, value), ...]) per series."""
        params = {
            "query": expr,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{int(step.total_seconds())}s",
        }
        data = self._get("/api/v1/query_range", params, expr)
        return [
            (item["metric"], [(float(t), float(v)) for t, v in item["values"]])
            for item in data["result"]
        ]


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``2026-01-05T06:00:00Z``) or Unix seconds; a time without zone is
    UTC."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"invalid time {text!r}: expected RFC 3339 (e.g. 2026-01-05T06:00:00Z) or Unix seconds"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
