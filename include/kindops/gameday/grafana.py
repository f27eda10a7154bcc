"""Grafana annotations for the game-day window: ``POST /api/annotations`` to KINDOPS_GRAFANA_URL.

Two region annotations per run — the whole window (load on) and the fault — tagged ``gameday``,
the scenario, the runner and the verdict, so every dashboard with the built-in annotation query
shows when the game day broke what. With ``KINDOPS_GRAFANA_DASHBOARD_UID`` they are pinned to one
dashboard instead of the organisation. A Grafana that cannot be reached is reported in the
evidence; it never changes the game day's verdict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def annotate(
    url: str,
    token: str,
    *,
    start: datetime,
    end: datetime,
    text: str,
    tags: list[str],
    dashboard_uid: str = "",
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Create one region annotation; returns ``{"id": ..., ...}`` or ``{"error": ...}``."""
    body: dict[str, Any] = {"time": _ms(start), "timeEnd": _ms(end), "tags": tags, "text": text}
    if dashboard_uid:
        body["dashboardUID"] = dashboard_uid
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    endpoint = url.rstrip("/") + "/api/annotations"
    try:
        response = requests.post(endpoint, json=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return {"error": f"{endpoint}: {exc}", "request": body}
    if response.status_code != 200:
        return {
            "error": f"{endpoint} answered {response.status_code}: {response.text[:200]}",
            "request": body,
        }
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    return {"id": answer.get("id"), "message": answer.get("message", ""), "request": body}
