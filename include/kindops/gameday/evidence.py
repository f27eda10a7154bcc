"""The evidence record: ONE document joining, for the same window, what the probes saw, what the
load measured against its thresholds, and what the SLOs burned.

``evidence.json`` (schema ``kindops/gameday-evidence/v1``):

``window`` / ``fault_window``  start and end (UTC) of the run (load on) and of the fault
``hypothesis``   the steady-state title and, per phase, whether it held (+ samples met/taken)
``probes``       every probe result of the run, flat: phase, time, query/URL, value, tolerance
``safeguards``   tripped or not, by what, and every safeguard sample
``load``         k6's figures (p95, p99, error ratio, req/s, checks) and the load thresholds
``slo_burn``     per SLO: error ratio and burn rate over the window, budget before/after/consumed
``chaos``        the cluster runner's ChaosEngine and ChaosResult verdicts (resilience score)
``detection``    the first deviation and how long after the injection it was seen
``recovery``     how long the ``after`` steady state took to hold, and any rollback
``timeline``     the journal's events

It lives beside ``journal.json``, ``k6-summary.json``, ``k6-output.txt`` (and ``chaosengine.yaml``
in the cluster) and ``postmortem.md`` under ``gameday/<run>/<scenario>/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

SCHEMA = "kindops/gameday-evidence/v1"


def _t(at: str) -> datetime:
    return datetime.fromisoformat(at)


def flat_probes(journal: dict[str, Any]) -> list[dict[str, Any]]:
    states = journal["steady_states"]
    rows: list[dict[str, Any]] = []
    if states.get("before"):
        rows += [{"step": "before", **p} for p in states["before"]["probes"]]
    if states.get("during"):
        for sample in states["during"]["samples"]:
            rows += [{"step": "during", **p} for p in sample["probes"]]
    for key in ("after", "after_rollback"):
        state = states.get(key)
        if state:
            for attempt in state.get("history", []):
                rows += [{"step": key, **p} for p in attempt]
            rows += [{"step": key, **p} for p in state["probes"]]
    return rows


def _event(journal: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((e for e in journal["timeline"] if e["event"] == name), None)


def safeguard_failures(journal: dict[str, Any]) -> list[dict[str, Any]]:
    """Per safeguard: how many samples failed and the longest failing streak, tripped or not.

    A streak lasts from its first failed sample to the next passing one (or its last failed
    sample when none passed after it): the outage a safeguard saw even when it did not abort.
    """
    out = []
    samples = journal["safeguards"]["samples"]
    for name in dict.fromkeys(s["probe"] for s in samples):
        mine = [s for s in samples if s["probe"] == name]
        failed = [s for s in mine if not s["tolerance_met"]]
        longest, streak_start, last_failed = 0.0, None, None
        for s in mine:
            if not s["tolerance_met"]:
                streak_start = streak_start or s["at"]
                last_failed = s["at"]
                continue
            if streak_start is not None:
                longest = max(longest, (_t(s["at"]) - _t(streak_start)).total_seconds())
                streak_start = None
        if streak_start is not None and last_failed is not None:
            longest = max(longest, (_t(last_failed) - _t(streak_start)).total_seconds())
        out.append(
            {
                "probe": name,
                "samples": len(mine),
                "failed": len(failed),
                "first_failure": failed[0]["at"] if failed else None,
                "last_failure": failed[-1]["at"] if failed else None,
                "longest_failing_seconds": round(longest, 2),
                "first_error": failed[0]["error"] if failed else "",
            }
        )
    return out


def detection(journal: dict[str, Any]) -> dict[str, Any]:
    injected = _event(journal, "fault injected")
    first = _event(journal, "first deviation detected")
    tripped = _event(journal, "safeguard tripped")
    out: dict[str, Any] = {
        "first_deviation": None,
        "seconds_after_injection": None,
        "safeguard": None,
        "safeguard_failures": [f for f in safeguard_failures(journal) if f["failed"]],
    }
    if first:
        out["first_deviation"] = {"at": first["at"], "probe": first.get("detail")}
        if injected:
            out["seconds_after_injection"] = round(first["t"] - injected["t"], 2)
    if tripped:
        out["safeguard"] = {"at": tripped["at"], "by": tripped.get("detail")}
    return out


def recovery(journal: dict[str, Any]) -> dict[str, Any]:
    after = journal["steady_states"].get("after") or {}
    again = journal["steady_states"].get("after_rollback")
    return {
        "recovered": after.get("steady_state_met"),
        "seconds_to_recover": after.get("seconds_to_recover"),
        "attempts": after.get("attempts"),
        "rollbacks": [
            {
                "name": r["activity"]["name"],
                "status": r["status"],
                "output": r.get("output"),
                "exception": r.get("exception"),
            }
            for r in journal["rollbacks"]
        ],
        "recovered_after_rollback": again.get("steady_state_met") if again else None,
    }


def hypothesis(journal: dict[str, Any]) -> dict[str, Any]:
    states = journal["steady_states"]
    during = states.get("during") or {}
    return {
        "title": journal["experiment"]["steady_state"]["title"],
        "before": (states.get("before") or {}).get("steady_state_met"),
        "during": during.get("steady_state_met"),
        "during_samples_met": during.get("samples_met"),
        "during_samples_taken": during.get("samples_taken"),
        "after": (states.get("after") or {}).get("steady_state_met"),
        "deviated": journal["deviated"],
        "deviations": journal["deviations"],
    }


def build(
    journal: dict[str, Any],
    slo_burn: dict[str, Any] | None,
    annotations: list[dict[str, Any]],
    artifacts: dict[str, str],
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "scenario": journal["scenario"],
        "title": journal["title"],
        "runner": journal["runner"],
        "run_key": journal["run_key"],
        "status": journal["status"],
        "verdict": journal["verdict"],
        "error": journal["error"],
        "window": journal["windows"]["run"],
        "fault_window": journal["windows"]["fault"],
        "target": journal["experiment"]["target"],
        "fault": journal["experiment"]["fault"],
        "guard": journal["guard"],
        "hypothesis": hypothesis(journal),
        "probes": flat_probes(journal),
        "safeguards": journal["safeguards"],
        "load": journal["load"],
        "load_profile": {
            k: journal["experiment"]["load"][k] for k in ("app", "scenario", "vus", "duration")
        },
        "slo_burn": slo_burn,
        "chaos": journal["chaos"],
        "detection": detection(journal),
        "recovery": recovery(journal),
        "timeline": journal["timeline"],
        "annotations": annotations,
        "artifacts": artifacts,
    }


def window_of(journal: dict[str, Any]) -> tuple[datetime, datetime]:
    run = journal["windows"]["run"]
    return _t(run["start"]), _t(run["end"])
