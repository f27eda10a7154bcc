"""SLO burn over the game-day window, read from Prometheus with the SLO specs' own SLI queries.

Per SLO of the target service:

* ``error_ratio``: bad / all events over the window (the spec's queries with ``{{.window}}`` =
  the window's length, evaluated at its end);
* ``burn_rate``: error ratio / error budget (1 = spending exactly the budget's pace; a 30-day
  budget burns out in 30 days / burn rate);
* ``budget_remaining_before`` / ``_after``: :func:`kindops.slo.budget.remaining_budget` at the
  guard and at the window's end; ``budget_consumed`` is their difference — the share of the
  period's budget the game day spent.

A failing query is recorded on its SLO (``error``); it never hides the other figures.

The figures are Prometheus' ``rate()`` over the window, with its known bias: a series born inside
the window (the 5xx series of an app that had no error before the fault, or of a pod started
during it) does not count its first sample, so a fault that causes only a few errors reads lower
than the load's own error ratio. The load's figures (k6) sit beside these in the evidence.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from kindops.errors import KindopsError
from kindops.slo.budget import remaining_budget
from kindops.slo.prometheus import PrometheusClient
from kindops.slo.spec import load_specs, render_window


def _value(client: PrometheusClient, query: str, at: datetime) -> float | None:
    vector = client.query(" ".join(query.split()), at)
    if not vector:
        return None
    value = sum(v for _, v in vector)
    return value if math.isfinite(value) else None


def window_burn(
    prometheus_url: str,
    specs_dir: str,
    service: str,
    start: datetime,
    end: datetime,
    remaining_before: dict[str, float | None] | None = None,
) -> dict[str, Any]:
    seconds = max(1, round((end - start).total_seconds()))
    window = f"{seconds}s"
    specs = {s.service: s for s in load_specs(specs_dir).values()}
    out: dict[str, Any] = {
        "service": service,
        "window": {"start": start.isoformat(), "end": end.isoformat(), "seconds": seconds},
        "slos": [],
    }
    if service not in specs:
        out["error"] = f"no SLO spec for {service} in {specs_dir}"
        return out
    client = PrometheusClient(prometheus_url)
    for slo in specs[service].slos:
        row: dict[str, Any] = {
            "slo": slo.name,
            "objective_percent": slo.objective,
            "error_budget_ratio": float(slo.error_budget),
            "error_query": render_window(slo.sli.events.error_query, window).strip(),
            "total_query": render_window(slo.sli.events.total_query, window).strip(),
        }
        try:
            bad = _value(client, row["error_query"], end)
            total = _value(client, row["total_query"], end)
            row["bad_rate"] = bad
            row["total_rate"] = total
            if bad is not None and total:
                ratio = max(bad, 0.0) / total
                row["error_ratio"] = round(ratio, 6)
                row["burn_rate"] = round(ratio / float(slo.error_budget), 3)
            else:
                row["error_ratio"] = None
                row["burn_rate"] = None
            after = remaining_budget(prometheus_url, service, slo.name, specs_dir=specs_dir, at=end)
            row["budget_remaining_after"] = round(after, 6)
            before = (remaining_before or {}).get(slo.name)
            row["budget_remaining_before"] = None if before is None else round(before, 6)
            row["budget_consumed"] = None if before is None else round(before - after, 6)
        except KindopsError as exc:
            row["error"] = exc.message
        out["slos"].append(row)
    return out
