"""The run history of one app and scenario: ``k6/history/<app>/<scenario>.jsonl``.

One JSON object per line, one line per run key (the run's logical date), sorted by time. Every
judged run is recorded — accepted or not, with its verdict and reason — so the trend shows the
bad weeks too; only accepted lines make baselines. Recording a run key that is already there
replaces its line (a rerun of the same logical date never counts twice). The file is rewritten
whole through the store's atomic write: a reader sees the old history or the new one.

A line that does not parse is an error naming the file and the line: a damaged history is
never silently shortened.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kindops.artifacts import ArtifactStore
from kindops.errors import ConfigError
from kindops.k6.compare import Verdict
from kindops.k6.summary import RunMetrics


class Entry(BaseModel):
    """One judged run."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal[1] = 1
    run_key: str
    at: datetime
    """The run's logical date (from ``KINDOPS_RUN_ID``), else when it ran."""
    app: str
    scenario: str
    profile: str
    """How k6 was shaped (``default``, or e.g. ``duration=2s,vus=2``): baselines never mix
    profiles."""
    verdict: Verdict
    reason: str
    accepted: bool
    metrics: RunMetrics
    k6_exit_code: int | None = None
    k6_version: str | None = None
    summary: str | None = None
    """Artifact key of the run's summary JSON."""
    recorded_at: datetime
    rebaseline: bool = False
    """Set by ``kindops k6 accept --rebaseline``: baselines start again at this run (a new
    normal after an intended change); earlier runs no longer count."""


def history_key(app: str, scenario: str) -> str:
    return f"k6/history/{app}/{scenario}.jsonl"


class History:
    def __init__(self, store: ArtifactStore, app: str, scenario: str) -> None:
        self.store = store
        self.app = app
        self.scenario = scenario
        self.key = history_key(app, scenario)

    def entries(self) -> list[Entry]:
        """Every recorded run, oldest first."""
        if not self.store.exists(self.key):
            return []
        entries = []
        for number, line in enumerate(self.store.read_text(self.key).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entries.append(Entry.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                first = str(exc).splitlines()[0]
                raise ConfigError(
                    f"history {self.key} line {number} is damaged ({first}); repair or remove "
                    "that line"
                ) from None
        return sorted(entries, key=lambda e: (e.at, e.run_key))

    def record(self, entry: Entry) -> list[Entry]:
        """Add ``entry``, replacing any line with the same run key; returns the new history."""
        if (entry.app, entry.scenario) != (self.app, self.scenario):
            raise ValueError("entry belongs to another history")
        kept = [e for e in self.entries() if e.run_key != entry.run_key]
        new = sorted([*kept, entry], key=lambda e: (e.at, e.run_key))
        text = "".join(json.dumps(_line(e), sort_keys=True) + "\n" for e in new)
        self.store.write_text(self.key, text)
        return new

    def find(self, run_key: str) -> Entry:
        for entry in self.entries():
            if entry.run_key == run_key:
                return entry
        raise ConfigError(f"no run {run_key!r} in {self.key}")

    def baseline(self, run_key: str, at: datetime, profile: str, size: int) -> list[Entry]:
        """The last ``size`` accepted runs of ``profile`` before ``at`` (never the run itself)."""
        return select_baseline(self.entries(), run_key, at, profile, size)


def select_baseline(
    entries: list[Entry], run_key: str, at: datetime, profile: str, size: int
) -> list[Entry]:
    earlier = sorted(
        (
            e
            for e in entries
            if e.accepted and e.profile == profile and e.run_key != run_key and e.at < at
        ),
        key=lambda e: (e.at, e.run_key),
    )
    resets = [i for i, e in enumerate(earlier) if e.rebaseline]
    if resets:
        earlier = earlier[resets[-1] :]
    return earlier[-size:] if size > 0 else []


def _line(entry: Entry) -> dict[str, Any]:
    return entry.model_dump(mode="json")
