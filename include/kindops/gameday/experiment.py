"""One scenario, start to end: load, steady state, fault, continuous checks, recovery, rollback.

::

    start-load ─ warm-up ─ steady state BEFORE ─ inject ─┬─ DURING (sampled) ─ end-fault ─ AFTER
                                                         └─ safeguards ── trip -> abort ─┘   │
                   not recovered within recovery.timeout -> ROLLBACK steps ─ AFTER_ROLLBACK ┘
    ... load ends -> load thresholds

The steady state is judged under load (k6 starts first; ``warmup`` lets rates settle). A
``before`` that does not hold stops the run before anything is injected (status ``failed``).
Whatever happens — an action fails, a safeguard trips, the process is told to stop — the
``finally`` reverts a fault that is still on and stops the load, and the journal records it.
The rollback steps run in order, each recorded in ``rollbacks``; a failed step does not skip the
next, the steady state is checked again after them (``after_rollback``), and a failed step fails
the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kindops.errors import VerdictError
from kindops.gameday.catalog import Phase, Scenario
from kindops.gameday.journal import Interrupted, Journal, describe, iso
from kindops.gameday.load import BackgroundLoad, LoadOutcome
from kindops.gameday.local import Injection
from kindops.gameday.probes import ProbeResult, ProbeRunner, all_met

log = logging.getLogger("kindops.gameday")
#: The ``after`` probes are re-checked at least this often (seconds) until they hold.
RECOVERY_POLL = 2.0
RollbackStep = tuple[str, Callable[[], dict[str, Any]]]


class RollbackFailed(VerdictError):
    """A rollback step failed (each step is in the journal's ``rollbacks``): the run failed."""


@dataclass
class Deps:
    """What a run talks to; the runners (local, cluster) and tests provide them."""

    probes: ProbeRunner
    injection: Callable[[], Injection]
    load: Callable[[], BackgroundLoad] | None
    #: What restores service when the steady state does not come back, in order: ``(name,
    #: step)``; each step returns what it did for the journal (local: ``restart``; cluster:
    #: ``abort-rollout`` and/or ``argocd-rollback``).
    rollbacks: Sequence[RollbackStep]
    #: Cluster: wait for the ChaosResult verdicts instead of the clock (bounded by this many
    #: seconds after the fault's duration).
    verdict_timeout: float | None = None
    #: Cluster: after the fault, collect the injection's final verdicts; returns
    #: ``{"summary": ..., "deviations": [...]}`` (recorded as the ``await-verdict`` action).
    settle: Callable[[Injection], dict[str, Any]] | None = None
    sleep: Callable[[float], None] = time.sleep


class Experiment:
    def __init__(self, scenario: Scenario, deps: Deps, journal: Journal) -> None:
        self.s = scenario
        self.deps = deps
        self.j = journal
        self.load: BackgroundLoad | None = None
        self.outcome: LoadOutcome | None = None
        self.injection: Injection | None = None
        self.aborted_by: str | None = None

    # -- probes ---------------------------------------------------------------------------------
    def _check(self, phase: Phase) -> list[ProbeResult]:
        return [self.deps.probes.run(p, phase) for p in self.s.steady_state.for_phase(phase)]

    def _record(self, key: str, results: list[ProbeResult], **extra: Any) -> bool:
        met = all_met(results)
        self.j.doc["steady_states"][key] = {
            "steady_state_met": met,
            "probes": [r.to_dict() for r in results],
            **extra,
        }
        return met

    # -- phases ---------------------------------------------------------------------------------
    def _start_load(self) -> None:
        if self.deps.load is None:
            return
        with self.j.action("start-load") as entry:
            self.load = self.deps.load()
            entry["output"] = self.load.start()
        self.j.event("load started", detail=entry["output"]["k6"])
        until = time.monotonic() + self.s.load.warmup
        while time.monotonic() < until:
            if not self.load.running():
                raise RuntimeError("k6 ended during the warm-up (see k6-output.txt)")
            self.deps.sleep(min(0.5, max(0.0, until - time.monotonic())))

    def _before(self) -> bool:
        results = self._check("before")
        met = self._record("before", results)
        self.j.event("steady state before " + ("met" if met else "NOT met"))
        if not met:
            failed = ", ".join(r.probe for r in results if not r.tolerance_met)
            self.j.deviate(f"steady state not met before the fault ({failed}): nothing injected")
        return met

    def _safeguards(self, counts: dict[str, int]) -> str | None:
        guards = self.s.safeguards
        for probe in guards.probes:
            result = self.deps.probes.run(probe, "during")
            self.j.doc["safeguards"]["samples"].append(result.to_dict())
            counts[probe.name] = 0 if result.tolerance_met else counts.get(probe.name, 0) + 1
            if counts[probe.name] >= guards.consecutive:
                return f"{probe.name}: {result.error or 'not within tolerance'}"
        return None

    def _during(self) -> None:
        assert self.injection is not None
        steady, guards = self.s.steady_state, self.s.safeguards
        begin = time.monotonic()
        end = begin + self.s.fault.duration
        hard_end = end + (self.deps.verdict_timeout or 0.0)
        samples: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        next_probe = next_guard = begin
        first_deviation: str | None = None
        while True:
            now = time.monotonic()
            by_verdict = self.deps.verdict_timeout is not None
            finished = getattr(self.injection, "final", False) if by_verdict else False
            if finished or now >= (hard_end if by_verdict else end):
                break
            if now >= next_guard:
                tripped = self._safeguards(counts)
                next_guard = now + guards.interval
                if tripped:
                    self.aborted_by = tripped
                    self.j.doc["safeguards"].update({"tripped": True, "by": tripped, "at": iso()})
                    self.j.event("safeguard tripped", detail=tripped)
                    with self.j.action("abort") as entry:
                        entry["output"] = self.injection.stop(f"safeguard tripped: {tripped}")
                    self.j.event("fault aborted")
                    break
            if now >= next_probe and now < end:
                results = self._check("during")
                samples.append(
                    {"at": iso(), "t": self.j.elapsed(), "probes": [r.to_dict() for r in results]}
                )
                next_probe = now + steady.interval
                missed = [r for r in results if not r.tolerance_met]
                if missed and first_deviation is None:
                    first_deviation = f"{missed[0].probe}: {missed[0].error}"
                    self.j.event("first deviation detected", detail=first_deviation)
            tick = self.injection.tick()
            if tick:
                self.j.event("fault progress", detail=tick)
            wake = min(next_probe, next_guard, end if now < end else hard_end)
            self.deps.sleep(max(0.05, min(1.0, wake - time.monotonic())))
        met = all(all(p["tolerance_met"] for p in s["probes"]) for s in samples)
        self.j.doc["steady_states"]["during"] = {
            "steady_state_met": bool(samples) and met,
            "samples": samples,
            "samples_taken": len(samples),
            "samples_met": sum(all(p["tolerance_met"] for p in s["probes"]) for s in samples),
        }
        if not samples:
            self.j.deviate("no steady-state sample was taken while the fault was on")
        elif not met:
            self.j.deviate(f"steady state not met during the fault (first: {first_deviation})")

    def _after(self, key: str, timeout: float) -> bool:
        began = time.monotonic()
        deadline = began + timeout
        attempts: list[list[ProbeResult]] = []
        while True:
            results = self._check("after")
            attempts.append(results)
            if all_met(results) or time.monotonic() >= deadline:
                break
            self.deps.sleep(min(self.s.steady_state.interval, RECOVERY_POLL))
        met = all_met(attempts[-1])
        self._record(
            key,
            attempts[-1],
            attempts=len(attempts),
            seconds_to_recover=round(time.monotonic() - began, 2) if met else None,
            history=[[r.to_dict() for r in a] for a in attempts[:-1]],
        )
        return met

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> str:
        """Run the experiment; returns the status (the journal holds everything else)."""
        status = "failed"
        try:
            self._start_load()
            if not self._before():
                return status
            with self.j.action("inject") as entry:
                self.injection = self.deps.injection()
                self.j.doc["windows"]["fault"] = {"start": iso(), "end": None}
                entry["output"] = self.injection.start()
            self.j.event("fault injected", detail=self.s.fault.type)
            self._during()
            if self.injection.active:
                with self.j.action("end-fault") as entry:
                    entry["output"] = self.injection.stop("fault duration over")
            self.j.doc["windows"]["fault"]["end"] = iso()
            self.j.event("fault ended")
            if self.deps.settle is not None:
                with self.j.action("await-verdict") as entry:
                    settled = self.deps.settle(self.injection)
                    entry["output"] = settled.get("summary")
                self.j.doc["chaos"] = settled.get("summary")
                for reason in settled.get("deviations", []):
                    self.j.deviate(reason)
            recovered = self._after("after", self.s.recovery.timeout)
            self.j.event("steady state after " + ("recovered" if recovered else "NOT recovered"))
            if not recovered:
                self.j.deviate(
                    f"steady state not recovered within {self.s.recovery.timeout:g}s of the fault"
                )
                self._rollback()
            self._finish_load()
            status = "aborted" if self.aborted_by else "completed"
        except Interrupted as exc:
            status = "interrupted"
            self.j.doc["error"] = describe(exc)
            self.j.event("interrupted")
        except Exception as exc:
            status = "failed"
            self.j.doc["error"] = describe(exc)
            self.j.event("failed", detail=describe(exc))
            log.warning("game day action failed", extra={"error": describe(exc)})
        finally:
            self._cleanup(status)
        return status

    def _rollback(self) -> None:
        """Every step in order, even after one failed; then the steady state once more."""
        failed: list[str] = []
        for name, step in self.deps.rollbacks:
            try:
                with self.j.action(name, into="rollbacks") as entry:
                    entry["output"] = step()
            except Exception as exc:
                failed.append(f"{name}: {describe(exc)}")
                self.j.event(f"rollback {name} FAILED", detail=describe(exc))
                log.warning("rollback step failed", extra={"step": name, "error": describe(exc)})
            else:
                self.j.event(f"rollback {name} done")
        if not self.deps.rollbacks:
            self.j.event("no rollback configured")
        elif len(failed) < len(self.deps.rollbacks):
            again = self._after("after_rollback", self.s.recovery.timeout)
            self.j.event("after rollback: " + ("recovered" if again else "NOT recovered"))
        if failed:
            raise RollbackFailed("rollback failed: " + "; ".join(failed))

    def _finish_load(self) -> None:
        if self.load is None:
            return
        with self.j.action("await-load") as entry:
            if self.aborted_by:  # an aborted experiment ends here: k6 still writes its summary
                self.load.stop()
            self.outcome = self.load.wait(self.s.load.duration + 120)
            entry["output"] = {"exit_code": self.outcome.exit_code, "error": self.outcome.error}
        self._judge_load()
        self.j.event("load finished", detail=f"k6 exit {self.outcome.exit_code}")

    def _judge_load(self) -> None:
        if self.outcome is None:
            return
        self.j.doc["load"] = self.outcome.to_dict()
        if self.outcome.metrics is None:
            self.j.deviate(f"no k6 summary to judge the load: {self.outcome.error}")
        elif not self.outcome.thresholds_met:
            broken = [t["name"] for t in self.outcome.thresholds if not t["met"]]
            self.j.deviate(f"load thresholds not met: {', '.join(broken)}")

    def _cleanup(self, status: str) -> None:
        """Revert what is still on and stop the load, recording both; never raises."""
        if self.injection is not None and self.injection.active:
            try:
                with self.j.action("revert-fault", into="rollbacks") as entry:
                    entry["output"] = self.injection.stop(f"clean-up ({status})")
                self.j.event("fault reverted in clean-up")
            except BaseException as exc:
                self.j.event("clean-up of the fault FAILED", detail=describe(exc))
            fault = self.j.doc["windows"]["fault"]
            if fault and not fault["end"]:
                fault["end"] = iso()
        if self.load is not None and self.outcome is None:
            try:
                self.load.stop()
                self.outcome = self.load.wait(30)
                self._judge_load()
            except BaseException as exc:
                self.j.event("stopping the load failed", detail=describe(exc))
