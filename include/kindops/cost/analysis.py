"""The review: per-group daily cost against a trailing baseline, anomalies explained.

A group's cost on the reviewed day is compared with its daily costs over the trailing window
(7 days by default) with a robust statistic: the median and the median absolute deviation
(MAD) give the modified z-score ``0.6745 * (x - median) / MAD`` (Iglewicz and Hoaglin); when
the MAD is 0 (a flat history) the mean absolute deviation stands in (``(x - median) /
(1.253314 * MeanAD)``), and when both are 0 any change is infinitely far. A change is an
anomaly only when it is also larger than an absolute floor (USD per day) AND a relative floor
(share of the median), so cent-level noise on a quiet namespace never alerts.

``__idle__`` (capacity nobody requested) is never a group: it is reported as the idle share.
``__unallocated__`` (cost without the aggregated property, e.g. pods without a ``team``
label) is reviewed like any group and shown as "(unallocated)".

Days without data, with every cost at zero (pricing missing) or covering less than
``min_coverage`` of the day are left out of the baseline and listed; with fewer than
``min_history`` usable baseline days, or when the reviewed day itself is partial, the
dimension's verdict is "inconclusive" rather than a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Literal

from kindops.cost.opencost import COMPONENTS, DAY, IDLE, UNALLOCATED, Allocation, Series

Status = Literal["ok", "anomaly", "inconclusive"]
Direction = Literal["up", "both"]
DayState = Literal["complete", "missing", "unpriced", "partial"]
GIB = 1024.0**3
MAD_SCALE = 0.6745
MEANAD_SCALE = 1.253314


@dataclass(frozen=True)
class Rules:
    """The anomaly rule's thresholds (command options; defaults suit the lab)."""

    z_threshold: float = 3.5
    floor_usd: float = 0.50
    floor_ratio: float = 0.25
    min_history: int = 5
    min_coverage: float = 0.9
    direction: Direction = "up"


@dataclass(frozen=True)
class Score:
    median: float
    mad: float
    z: float


def robust_score(value: float, history: Sequence[float]) -> Score:
    """Median, MAD and the modified z-score of ``value`` against ``history`` (not empty)."""
    med = median(history)
    deviations = [abs(h - med) for h in history]
    mad = median(deviations)
    diff = value - med
    if mad > 0:
        z = MAD_SCALE * diff / mad
    else:
        mean_ad = sum(deviations) / len(deviations)
        if mean_ad > 0:
            z = diff / (MEANAD_SCALE * mean_ad)
        else:
            z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return Score(med, mad, z)


def is_anomaly(value: float, score: Score, rules: Rules) -> bool:
    """The rule: far in robust terms AND above both floors (AND upwards, unless ``both``)."""
    diff = value - score.median
    if rules.direction == "up" and diff <= 0:
        return False
    return (
        abs(score.z) >= rules.z_threshold
        and abs(diff) >= rules.floor_usd
        and abs(diff) >= rules.floor_ratio * abs(score.median)
    )


@dataclass
class Driver:
    """How much one cost component moved against its own baseline median."""

    component: str
    today: float
    baseline: float
    delta: float
    share: float
    """Share of the movement in the group's direction explained by this component."""


@dataclass
class GroupReview:
    group_by: str
    group: str
    cost: float
    status: Status
    components: dict[str, float]
    baseline_days: int
    median: float | None = None
    mad: float | None = None
    z: float | None = None
    reason: str = ""
    drivers: list[Driver] = field(default_factory=list)
    cpu_request: float = 0.0
    cpu_request_median: float = 0.0
    cpu_usage: float = 0.0
    ram_request_gib: float = 0.0
    ram_request_gib_median: float = 0.0
    cpu_efficiency: float = 0.0
    ram_efficiency: float = 0.0
    total_efficiency: float = 0.0
    explanation: str = ""

    @property
    def label(self) -> str:
        return display(self.group)

    @property
    def delta(self) -> float:
        return self.cost - self.median if self.median is not None else 0.0

    @property
    def ratio(self) -> float | None:
        if self.median is None or self.median == 0:
            return None
        return self.delta / self.median


@dataclass
class DimensionReview:
    dimension: str
    aggregate: str
    day_state: DayState
    coverage: float
    baseline_used: list[date]
    baseline_skipped: dict[str, list[date]]
    groups: list[GroupReview]
    idle_cost: float
    total_cost: float
    inconclusive_reason: str = ""

    @property
    def anomalies(self) -> list[GroupReview]:
        return [g for g in self.groups if g.status == "anomaly"]

    def movers(self, limit: int = 5) -> list[GroupReview]:
        moved = [g for g in self.groups if g.median is not None and abs(g.delta) >= 0.01]
        return sorted(moved, key=lambda g: (-abs(g.delta), g.group))[:limit]


@dataclass
class Totals:
    total: float
    idle: float
    workloads: float
    idle_ratio: float
    components: dict[str, float]
    efficiency: dict[str, float | None]


@dataclass
class Review:
    day: date
    window_days: int
    rules: Rules
    dimensions: list[DimensionReview]
    totals: Totals

    @property
    def anomalies(self) -> list[GroupReview]:
        return [g for d in self.dimensions for g in d.anomalies]

    @property
    def inconclusive(self) -> list[DimensionReview]:
        return [d for d in self.dimensions if d.inconclusive_reason]


def display(group: str) -> str:
    return group.replace(UNALLOCATED, "(unallocated)")


def usd(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def signed(value: float) -> str:
    return ("-" if value <= -0.005 else "+") + f"${abs(value):,.2f}"


def z_text(z: float | None) -> str:
    if z is None:
        return "-"
    if math.isinf(z):
        return "inf" if z > 0 else "-inf"
    return f"{z:.1f}"


def _day_state(series: Series, day: date, min_coverage: float) -> tuple[DayState, float]:
    data = series.days.get(day)
    if data is None:
        return "missing", 0.0
    coverage = data.coverage
    if not data.priced:
        return "unpriced", coverage
    if coverage < min_coverage:
        return "partial", coverage
    return "complete", coverage


def _drivers(
    today: Allocation | None, history: list[Allocation | None], delta: float
) -> list[Driver]:
    moves = []
    for comp in COMPONENTS:
        now = today.costs[comp] if today else 0.0
        base = median([(h.costs[comp] if h else 0.0) for h in history])
        moves.append((comp, now, base, now - base))
    sign = 1.0 if delta >= 0 else -1.0
    same = sum(d for _, _, _, d in moves if d * sign > 0)
    drivers = [
        Driver(comp, now, base, d, (d / same) if same else 0.0)
        for comp, now, base, d in moves
        if d * sign > 0 and abs(d) >= max(0.01, 0.05 * abs(delta))
    ]
    return sorted(drivers, key=lambda d: -abs(d.delta))


def _explain(g: GroupReview, day: date) -> str:
    assert g.median is not None
    pct = f", {g.ratio:+.0%}" if g.ratio is not None else ", new spend"
    text = (
        f"{g.group_by} {g.label}: {usd(g.cost)} on {day} vs baseline median "
        f"{usd(g.median)} over {g.baseline_days} days ({signed(g.delta)}{pct}, "
        f"modified z {z_text(g.z)})"
    )
    parts = []
    for d in g.drivers[:3]:
        part = f"{d.component} {signed(d.delta)} ({d.share:.0%} of the change: "
        part += f"{usd(d.today)} vs {usd(d.baseline)})"
        if d.component == "cpu":
            part += (
                f", CPU requested {g.cpu_request:.2f} cores vs {g.cpu_request_median:.2f}"
                f", used {g.cpu_usage:.2f}"
            )
        elif d.component == "ram":
            part += f", RAM requested {g.ram_request_gib:.2f} GiB vs {g.ram_request_gib_median:.2f}"
        parts.append(part)
    if parts:
        text += "; driven by " + "; ".join(parts)
    return text


def review_dimension(series: Series, day: date, window_days: int, rules: Rules) -> DimensionReview:
    baseline = [day - (i + 1) * DAY for i in range(window_days)][::-1]
    skipped: dict[str, list[date]] = {"missing": [], "unpriced": [], "partial": []}
    used: list[date] = []
    for d in baseline:
        state, _ = _day_state(series, d, rules.min_coverage)
        if state == "complete":
            used.append(d)
        else:
            skipped[state].append(d)
    state, coverage = _day_state(series, day, rules.min_coverage)
    today = series.days[day].allocations if day in series.days else {}
    history = [series.days[d].allocations for d in used]

    reason = ""
    if state == "missing":
        reason = f"no data for {day}"
    elif state == "partial":
        reason = f"{day} covers {coverage:.0%} of the day (< {rules.min_coverage:.0%})"
    elif state == "unpriced":
        reason = f"every cost of {day} is zero (no pricing)"
    elif len(used) < rules.min_history:
        reason = (
            f"only {len(used)} of {window_days} baseline days are usable "
            f"(needs {rules.min_history})"
        )

    names = sorted(({n for h in history for n in h} | set(today)) - {IDLE})
    groups = []
    for name in names:
        now = today.get(name)
        past = [h.get(name) for h in history]
        cost = now.total if now else 0.0
        g = GroupReview(
            group_by=series.dimension,
            group=name,
            cost=cost,
            status="inconclusive" if reason else "ok",
            components={c: (now.costs[c] if now else 0.0) for c in COMPONENTS},
            baseline_days=len(used),
            reason=reason,
        )
        if now:
            g.cpu_request, g.cpu_usage = now.cpu_request, now.cpu_usage
            g.ram_request_gib = now.ram_request / GIB
            g.cpu_efficiency, g.ram_efficiency = now.cpu_efficiency, now.ram_efficiency
            g.total_efficiency = now.total_efficiency
        if used:
            score = robust_score(cost, [p.total if p else 0.0 for p in past])
            g.median, g.mad, g.z = score.median, score.mad, score.z
            g.cpu_request_median = median([p.cpu_request if p else 0.0 for p in past])
            g.ram_request_gib_median = median([p.ram_request if p else 0.0 for p in past]) / GIB
            if not reason and is_anomaly(cost, score, rules):
                g.status = "anomaly"
                g.drivers = _drivers(now, past, g.delta)
                g.explanation = _explain(g, day)
        groups.append(g)
    idle = today[IDLE].total if IDLE in today else 0.0
    return DimensionReview(
        dimension=series.dimension,
        aggregate=series.aggregate,
        day_state=state,
        coverage=coverage,
        baseline_used=used,
        baseline_skipped={k: v for k, v in skipped.items() if v},
        groups=groups,
        idle_cost=idle,
        total_cost=sum(a.total for a in today.values()),
        inconclusive_reason=reason,
    )


def _weighted(pairs: list[tuple[float, float]]) -> float | None:
    weight = sum(w for _, w in pairs)
    if weight <= 0:
        return None
    return sum(v * w for v, w in pairs) / weight


def totals(series: Series, day: date) -> Totals:
    """Cluster totals of the reviewed day from one dimension (every dimension sums the same)."""
    allocs = series.days[day].allocations if day in series.days else {}
    work = [a for n, a in allocs.items() if n != IDLE]
    idle = allocs[IDLE].total if IDLE in allocs else 0.0
    total = sum(a.total for a in allocs.values())
    return Totals(
        total=total,
        idle=idle,
        workloads=total - idle,
        idle_ratio=(idle / total) if total > 0 else 0.0,
        components={c: sum(a.costs[c] for a in allocs.values()) for c in COMPONENTS},
        efficiency={
            "cpu": _weighted([(a.cpu_efficiency, a.costs["cpu"]) for a in work]),
            "ram": _weighted([(a.ram_efficiency, a.costs["ram"]) for a in work]),
            "total": _weighted(
                [(a.total_efficiency, a.costs["cpu"] + a.costs["ram"]) for a in work]
            ),
        },
    )


def review(series: Sequence[Series], day: date, window_days: int, rules: Rules) -> Review:
    if not series:
        raise ValueError("review needs at least one dimension")
    dims = [review_dimension(s, day, window_days, rules) for s in series]
    primary = next((s for s in series if day in s.days), series[0])
    return Review(day, window_days, rules, dims, totals(primary, day))
