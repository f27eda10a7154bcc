"""Grandfather-father-son retention, as a pure decision over backup times.

For each granularity (day, ISO week, month), the newest backup of each of the last N periods
that have a backup is kept (the rule restic and borg use). The newest *verified* backup is always
kept on top. With no verified backup at all, nothing is deleted: a store whose backups were never
checked is not one to thin out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from kindops.backup.config import Retention

PERIODS: tuple[tuple[str, Callable[[datetime], str]], ...] = (
    ("daily", lambda t: t.strftime("%Y-%m-%d")),
    ("weekly", lambda t: "{}-W{:02d}".format(*t.isocalendar()[:2])),
    ("monthly", lambda t: t.strftime("%Y-%m")),
)


@dataclass
class Decision:
    keep: dict[datetime, list[str]] = field(default_factory=dict)
    delete: dict[datetime, str] = field(default_factory=dict)


def decide(times: Iterable[datetime], verified: Iterable[datetime], policy: Retention) -> Decision:
    """Which backups to keep (with every reason) and which to delete (with why)."""
    ordered = sorted(set(times), reverse=True)
    good = set(verified) & set(ordered)
    decision = Decision()
    reasons: dict[datetime, list[str]] = {t: [] for t in ordered}
    for name, bucket in PERIODS:
        limit = getattr(policy, name)
        seen: list[str] = []
        for t in ordered:
            key = bucket(t)
            if key in seen:
                continue
            if len(seen) >= limit:
                break
            seen.append(key)
            reasons[t].append(f"{name} #{len(seen)} ({key})")
    if good:
        reasons[max(good)].append("newest verified")
    for t in ordered:
        if reasons[t]:
            decision.keep[t] = reasons[t]
        elif not good:
            decision.keep[t] = ["kept: no verified backup exists, nothing is pruned"]
        else:
            decision.delete[t] = (
                f"outside retention ({policy.daily} daily, {policy.weekly} weekly, "
                f"{policy.monthly} monthly)"
            )
    return decision
