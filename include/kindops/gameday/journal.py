"""The run journal: what happened, in the shape of a Chaos Toolkit journal.

``status``     ``completed`` (ran to the end), ``failed`` (an action failed, or the steady state
               did not hold before the fault: nothing was injected), ``aborted`` (a safeguard
               tripped) or ``interrupted`` (SIGTERM/SIGINT)
``deviated``   the hypothesis did not hold at some point: before, during (any sample), after
               (no recovery within the timeout), the load thresholds, or a Litmus verdict
``steady_states``  ``before`` / ``during`` / ``after`` (+ ``after_rollback``): every probe result
               with its value, tolerance and ``tolerance_met``
``run``        the actions (start-load, inject, end-fault, ...) with start, end, status, output
``rollbacks``  what restored service (and the clean-up of a fault left on by a failure)
``timeline``   events with their time since the start

The caller writes it in a ``finally``: a run that fails or is interrupted midway still leaves
its journal, marked with the status it reached.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from kindops.errors import KindopsError

SCHEMA = "kindops/gameday-journal/v1"


def iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat(
        timespec="milliseconds"
    )


class Interrupted(BaseException):
    """SIGTERM/SIGINT during a run: unwinds through every ``finally`` (faults are reverted)."""


class StopRequest:
    """The signal that asked a run to stop.

    The signal handler raises :class:`Interrupted` at once, but an exception raised from a
    handler is lost when it lands inside a garbage-collector finaliser. So the request is also
    kept here and raised again at every checkpoint: each wait of an experiment is one.
    """

    def __init__(self) -> None:
        self.signal: str | None = None

    def check(self) -> None:
        if self.signal is not None:
            raise Interrupted(self.signal)

    def sleep(self, seconds: float) -> None:
        self.check()
        time.sleep(seconds)
        self.check()


class Journal:
    def __init__(self, scenario: dict[str, Any], runner: str, run_key: str) -> None:
        self.started = time.time()
        self._mono = time.monotonic()
        self.doc: dict[str, Any] = {
            "schema": SCHEMA,
            "scenario": scenario["name"],
            "title": scenario["title"],
            "runner": runner,
            "run_key": run_key,
            "experiment": scenario,
            "status": "running",
            "deviated": False,
            "deviations": [],
            "start": iso(self.started),
            "end": None,
            "duration": None,
            "guard": None,
            "steady_states": {"before": None, "during": None, "after": None},
            "run": [],
            "rollbacks": [],
            "safeguards": {"tripped": False, "by": None, "at": None, "samples": []},
            "load": None,
            "chaos": None,
            "windows": {"run": {"start": iso(self.started), "end": None}, "fault": None},
            "timeline": [],
            "error": None,
        }

    # -- recording ------------------------------------------------------------------------------
    def elapsed(self) -> float:
        return round(time.monotonic() - self._mono, 3)

    def event(self, what: str, **detail: Any) -> None:
        self.doc["timeline"].append({"at": iso(), "t": self.elapsed(), "event": what, **detail})

    def deviate(self, reason: str) -> None:
        self.doc["deviated"] = True
        if reason not in self.doc["deviations"]:
            self.doc["deviations"].append(reason)

    @contextmanager
    def action(self, name: str, into: str = "run") -> Iterator[dict[str, Any]]:
        """Record one activity; its output is what the block stores in ``entry["output"]``."""
        entry: dict[str, Any] = {
            "activity": {"type": "rollback" if into == "rollbacks" else "action", "name": name},
            "status": "running",
            "start": iso(),
            "end": None,
            "duration": None,
            "output": None,
        }
        self.doc[into].append(entry)
        began = time.monotonic()
        try:
            yield entry
        except BaseException as exc:
            entry["status"] = "interrupted" if isinstance(exc, Interrupted) else "failed"
            entry["exception"] = describe(exc)
            raise
        else:
            entry["status"] = "succeeded"
        finally:
            entry["end"] = iso()
            entry["duration"] = round(time.monotonic() - began, 3)

    def finish(self, status: str) -> dict[str, Any]:
        now = time.time()
        self.doc["status"] = status
        self.doc["end"] = iso(now)
        self.doc["duration"] = round(now - self.started, 3)
        self.doc["windows"]["run"]["end"] = iso(now)
        self.doc["verdict"] = (
            "pass" if status == "completed" and not self.doc["deviated"] else "fail"
        )
        return self.doc

    @property
    def passed(self) -> bool:
        return bool(self.doc.get("verdict") == "pass")


def describe(exc: BaseException) -> str:
    if isinstance(exc, KindopsError):
        return exc.message
    if isinstance(exc, Interrupted):
        return f"interrupted: {exc}"
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last
