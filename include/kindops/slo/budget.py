"""Error budgets read from Prometheus: what the weekly report and the risky-run gates use.

The budget is measured from the spec's own SLI queries (the error and total queries the rules
are generated from), evaluated hour by hour over the period that ends at ``at``:

    error ratio  = sum of hourly bad events / sum of hourly events   (over the period)
    consumed     = error ratio / error budget                        (1.0 = all of it)
    remaining    = 1 - consumed                                      (<= 0: exhausted)

Reading the raw series (not the recorded ``slo:*`` rules) means the answer covers the whole
period as soon as Prometheus holds the data, including right after the rules were first loaded
and on a Prometheus whose history was backfilled.

Gate a risky run (a load test, a game day) with::

    from kindops.slo.budget import remaining_budget
    if remaining_budget("http://prometheus:9090", "app-python", "availability") < 0.25:
        ...  # too little budget left: do not run

or from a DAG task: ``kindops slo budget app-python availability --min-remaining 0.25``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kindops.errors import ConfigError, DependencyError
from kindops.slo.prometheus import PrometheusClient, Sample
from kindops.slo.spec import SLO, ServiceSpec, find_slo, render_window

#: Resolution of the budget history: the SLI is evaluated over [t - STEP, t] every STEP.
STEP = timedelta(hours=1)
STEP_WINDOW = "1h"
#: Below this share of budget left, an SLO is reported as "low".
LOW_REMAINING = 0.25
DEFAULT_SPECS = "observability/slos"


class NoSloDataError(DependencyError):
    """Prometheus holds no events of the SLI over the period (exit 3): nothing to measure."""


@dataclass(frozen=True)
class BudgetPoint:
    """The SLI over one step ending at ``at``: bad and total events (in the SLI's unit)."""

    at: datetime
    bad: float
    total: float


@dataclass(frozen=True)
class SloBudget:
    service: str
    slo: str
    objective: float  # percent
    error_budget: float  # ratio, e.g. 0.005
    period: str
    start: datetime
    end: datetime
    points: list[BudgetPoint] = field(default_factory=list)

    @property
    def bad(self) -> float:
        return math.fsum(p.bad for p in self.points)

    @property
    def total(self) -> float:
        return math.fsum(p.total for p in self.points)

    @property
    def has_data(self) -> bool:
        return self.total > 0

    @property
    def error_ratio(self) -> float:
        return self.bad / self.total if self.has_data else 0.0

    @property
    def consumed(self) -> float:
        """Share of the period's error budget spent (may exceed 1)."""
        return self.error_ratio / self.error_budget

    @property
    def remaining(self) -> float:
        """Share of the period's error budget left (negative when overspent)."""
        return 1.0 - self.consumed

    @property
    def status(self) -> str:
        if not self.has_data:
            return "no-data"
        if self.remaining <= 0:
            return "exhausted"
        if self.remaining < LOW_REMAINING:
            return "low"
        return "ok"

    def burndown(self) -> list[tuple[datetime, float]]:
        """Budget left after each step: 1 - bad so far / (error budget x all events)."""
        if not self.has_data:
            return []
        allowed = self.error_budget * self.total
        spent = 0.0
        series = []
        for point in self.points:
            spent += point.bad
            series.append((point.at, 1.0 - spent / allowed))
        return series

    def summary(self) -> dict[str, object]:
        return {
            "service": self.service,
            "slo": self.slo,
            "objective_percent": self.objective,
            "error_budget_ratio": self.error_budget,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status,
            "hours_with_data": len(self.points),
            "error_ratio": round(self.error_ratio, 8),
            "budget_consumed": round(self.consumed, 6),
            "budget_remaining": round(self.remaining, 6),
        }


def _single(
    series: list[tuple[dict[str, str], list[Sample]]], what: str, where: str
) -> dict[float, float]:
    if len(series) > 1:
        raise ConfigError(
            f"{where}: the {what} query returns {len(series)} series; an SLI query must return "
            "one (aggregate it with sum(...))"
        )
    return {t: v for t, v in series[0][1]} if series else {}


def measure(
    client: PrometheusClient, spec: ServiceSpec, slo: SLO, at: datetime | None = None
) -> SloBudget:
    """The SLO's budget over the period ending at ``at`` (default: now), hour by hour."""
    end = (at or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(days=spec.period_days)
    first = start + STEP
    where = f"{spec.service}/{slo.name}"
    events = slo.sli.events
    bad = _single(
        client.query_range(render_window(events.error_query, STEP_WINDOW), first, end, STEP),
        "error",
        where,
    )
    total = _single(
        client.query_range(render_window(events.total_query, STEP_WINDOW), first, end, STEP),
        "total",
        where,
    )
    points = []
    for ts in sorted(total):
        count = total[ts]
        errors = bad.get(ts, 0.0)
        if not (math.isfinite(count) and count > 0) or not math.isfinite(errors):
            continue
        points.append(BudgetPoint(datetime.fromtimestamp(ts, UTC), max(errors, 0.0), count))
    return SloBudget(
        service=spec.service,
        slo=slo.name,
        objective=slo.objective,
        error_budget=float(slo.error_budget),
        period=spec.period,
        start=start,
        end=end,
        points=points,
    )


def remaining_budget(
    prometheus_url: str,
    service: str,
    slo: str,
    *,
    specs_dir: str | Path = DEFAULT_SPECS,
    at: datetime | None = None,
) -> float:
    """Share of the error budget left for ``service``/``slo`` over its period ending ``at``.

    1.0 = untouched, 0.25 = a quarter left, <= 0 = exhausted (negative when overspent).
    Raises ConfigError (unknown service or SLO, bad spec), DependencyError (Prometheus
    unreachable) and NoSloDataError (no SLI events over the period: nothing to measure, so a
    gate must not read it as "budget left").
    """
    spec, objective = find_slo(specs_dir, service, slo)
    budget = measure(PrometheusClient(prometheus_url), spec, objective, at)
    if not budget.has_data:
        raise NoSloDataError(
            f"Prometheus at {prometheus_url} has no events for {service}/{slo} over the "
            f"{spec.period} ending {budget.end.isoformat()}: is it receiving the service's metrics?"
        )
    return budget.remaining
