"""Evaluating probes: an HTTP check or a Prometheus query, each to one :class:`ProbeResult`.

A probe never raises: an unreachable app or Prometheus, a query error or an empty result is a
result with ``tolerance_met`` false and the reason in ``error`` — for the hypothesis it is a
deviation, for a safeguard a failed sample (unknown is never "safe").
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from kindops.errors import KindopsError
from kindops.gameday.catalog import HttpProbe, PrometheusProbe
from kindops.slo.prometheus import PrometheusClient


@dataclass(frozen=True)
class ProbeResult:
    probe: str
    type: str
    phase: str
    at: str
    tolerance: str
    tolerance_met: bool
    value: float | None = None
    """Prometheus: the query's value; HTTP: the status code answered."""
    error: str = ""
    query: str = ""
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ProbeRunner:
    """Evaluates probes against the app URLs and one Prometheus."""

    def __init__(self, app_urls: dict[str, str], prometheus_url: str, window: str = "1m") -> None:
        self.app_urls = app_urls
        self.prometheus_url = prometheus_url
        self.window = window
        self.session = requests.Session()
        self._prometheus: PrometheusClient | None = None

    def url(self, probe: HttpProbe) -> str:
        return self.app_urls[probe.app].rstrip("/") + probe.path

    def run(self, probe: HttpProbe | PrometheusProbe, phase: str) -> ProbeResult:
        started = time.monotonic()
        if isinstance(probe, HttpProbe):
            result = self._http(probe, phase)
        else:
            result = self._prometheus_query(probe, phase)
        return ProbeResult(
            **{**result.to_dict(), "duration_ms": round((time.monotonic() - started) * 1000, 1)}
        )

    def _http(self, probe: HttpProbe, phase: str) -> ProbeResult:
        url = self.url(probe)
        expected = f"status == {probe.status}"
        at = _now()
        try:
            response = self.session.get(url, timeout=probe.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            return ProbeResult(
                probe.name, "http", phase, at, expected, False, None, f"{url}: {reason}", url
            )
        met = response.status_code == probe.status
        return ProbeResult(
            probe.name,
            "http",
            phase,
            at,
            expected,
            met,
            float(response.status_code),
            "" if met else f"{url} answered {response.status_code}",
            url,
        )

    def _prometheus_query(self, probe: PrometheusProbe, phase: str) -> ProbeResult:
        query = probe.rendered(self.window)
        tolerance = probe.tolerance.describe()
        at = _now()
        try:
            if self._prometheus is None:
                self._prometheus = PrometheusClient(self.prometheus_url, timeout=probe.timeout)
            vector = self._prometheus.query(query)
        except KindopsError as exc:
            return ProbeResult(
                probe.name, "prometheus", phase, at, tolerance, False, None, exc.message, query
            )
        if not vector:
            return ProbeResult(
                probe.name,
                "prometheus",
                phase,
                at,
                tolerance,
                False,
                None,
                "no data (empty result)",
                query,
            )
        if len(vector) > 1:
            return ProbeResult(
                probe.name,
                "prometheus",
                phase,
                at,
                tolerance,
                False,
                None,
                f"{len(vector)} series; a probe query must return one",
                query,
            )
        value = vector[0][1]
        if not math.isfinite(value):
            return ProbeResult(
                probe.name,
                "prometheus",
                phase,
                at,
                tolerance,
                False,
                None,
                f"value is {value} (no traffic in the window?)",
                query,
            )
        met = probe.tolerance.met(value)
        error = "" if met else f"{value:.6g} not {tolerance}"
        return ProbeResult(probe.name, "prometheus", phase, at, tolerance, met, value, error, query)


def all_met(results: list[ProbeResult]) -> bool:
    return bool(results) and all(r.tolerance_met for r in results)
