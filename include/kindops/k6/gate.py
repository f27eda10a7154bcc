"""The error-budget gate in front of risky runs (the stress step).

The gate asks, for each SLO of the app, what share of the error budget is left (1.0 untouched,
0 exhausted) and closes when the lowest share is below ``min_remaining`` (default 0.25): a
stress test on a service that has little budget left would spend what users need.

It reads budgets through a small interface, :class:`BudgetReader` — ``(service, slo) -> share``
— whose lab implementation is :func:`kindops.slo.budget.remaining_budget` over Prometheus.

* ``KINDOPS_PROMETHEUS_URL`` unset: the gate is **disabled** (the run goes ahead; the result and
  the report say so). Set it in the cluster, where Prometheus holds the SLIs.
* Prometheus has no events for an SLO: the budget is unknown, the gate **closes** (unknown is
  not "plenty left").
* Prometheus unreachable: a dependency error (exit 3, the task may retry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from kindops.errors import ConfigError
from kindops.slo.budget import NoSloDataError, remaining_budget
from kindops.slo.spec import load_specs


class BudgetReader(Protocol):
    def __call__(self, service: str, slo: str) -> float:
        """Share of ``service``/``slo``'s error budget left; raises NoSloDataError without data."""
        ...


@dataclass(frozen=True)
class GateDecision:
    status: Literal["open", "closed", "disabled"]
    reason: str
    min_remaining: float
    budgets: dict[str, float | None] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def disabled(reason: str, min_remaining: float) -> GateDecision:
    return GateDecision("disabled", f"error-budget gate disabled: {reason}", min_remaining)


def evaluate(
    read: BudgetReader, service: str, slos: Sequence[str], min_remaining: float
) -> GateDecision:
    """Open when every SLO of ``service`` has at least ``min_remaining`` of its budget left."""
    if not 0 <= min_remaining <= 1:
        raise ConfigError(f"gate minimum {min_remaining}: expected a share from 0 to 1")
    if not slos:
        raise ConfigError(f"the error-budget gate has no SLO of {service} to read")
    budgets: dict[str, float | None] = {}
    unknown: list[str] = []
    for slo in slos:
        try:
            budgets[slo] = read(service, slo)
        except NoSloDataError:
            budgets[slo] = None
            unknown.append(slo)
    known = {k: v for k, v in budgets.items() if v is not None}
    low = {k: v for k, v in known.items() if v < min_remaining}
    floor = f"{min_remaining * 100:.0f} %"
    if unknown:
        return GateDecision(
            "closed",
            f"error-budget gate closed: no SLO data for {service} "
            f"{', '.join(unknown)} (budget unknown)",
            min_remaining,
            budgets,
        )
    if low:
        worst = min(low, key=lambda k: low[k])
        return GateDecision(
            "closed",
            f"error-budget gate closed: {service} {worst} has {low[worst] * 100:.1f} % of its "
            f"error budget left (minimum {floor})",
            min_remaining,
            budgets,
        )
    lowest = min(known, key=lambda k: known[k])
    return GateDecision(
        "open",
        f"error-budget gate open: lowest is {service} {lowest} with "
        f"{known[lowest] * 100:.1f} % left (minimum {floor})",
        min_remaining,
        budgets,
    )


def service_slos(specs_dir: str, service: str) -> list[str]:
    """The SLO names of ``service`` in the specs folder (a ConfigError names what exists)."""
    specs = {s.service: s for s in load_specs(specs_dir).values()}
    if service not in specs:
        raise ConfigError(
            f"no SLO spec for {service} in {specs_dir} (known: {', '.join(sorted(specs))}); "
            "the error-budget gate needs one (KINDOPS_SLO_SPECS)"
        )
    return [slo.name for slo in specs[service].slos]


def prometheus_reader(prometheus_url: str, specs_dir: str) -> BudgetReader:
    """The lab's reader: budgets measured from the SLO specs' SLI queries in Prometheus."""

    def read(service: str, slo: str) -> float:
        return remaining_budget(prometheus_url, service, slo, specs_dir=specs_dir)

    return read
