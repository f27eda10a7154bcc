"""Helpers of the cost review tests: the CLI against a real local OpenCost API (the demo
server on loopback) with an isolated artifact store, and readers for Alertmanager."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests
from typer.testing import CliRunner, Result

from kindops.cli import app
from kindops.cost.demo import DemoOpenCost, Scenario

#: The reviewed day of most tests (a past day: the review refuses days not yet over).
DAY = date(2026, 11, 1)
RUN = "opencost_review_20261101T000000"


@dataclass
class Lab:
    """One OpenCost server, one artifact store, the CLI with their environment."""

    opencost: DemoOpenCost
    tmp: Path
    env: dict[str, str] = field(default_factory=dict)
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def scenario(self) -> Scenario:
        return self.opencost.scenario

    def review(self, *args: str, **env: str) -> Result:
        """``kindops cost review ARGS`` (``--day`` defaults to :data:`DAY`) with ``env`` added."""
        day = [] if "--day" in args else ["--day", DAY.isoformat()]
        argv = ["cost", "review", *day, *args]
        return self.runner.invoke(app, argv, env={**self.env, **env})

    def review_json(self, *args: str, **env: str) -> tuple[Result, dict[str, Any]]:
        result = self.review(*args, "--json", **env)
        doc = json.loads(result.stdout) if result.stdout.strip() else {}
        return result, doc

    def run_dir(self, run: str = RUN) -> Path:
        return self.tmp / "artifacts" / "cost-review" / run

    def stored(self, name: str, run: str = RUN) -> Any:
        path = self.run_dir(run) / name
        return json.loads(path.read_text()) if name.endswith(".json") else path.read_bytes()


def spike(
    namespace: str = "kindops-apps", day: date = DAY, factor: float = 4.0
) -> dict[tuple[str, date], float]:
    return {(namespace, day): factor}


def days_before(day: date, *offsets: int) -> set[date]:
    return {day - timedelta(days=o) for o in offsets}


def active_alerts(url: str) -> list[dict[str, Any]]:
    """Alerts Alertmanager holds as firing (resolved ones excluded)."""
    resp = requests.get(f"{url}/api/v2/alerts", params={"active": "true"}, timeout=10)
    resp.raise_for_status()
    alerts: list[dict[str, Any]] = resp.json()
    return [a for a in alerts if a.get("status", {}).get("state") != "resolved"]
