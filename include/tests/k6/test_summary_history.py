"""Summaries (good, bad, truncated) and the history file (idempotent, ordered, never shortened)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kindops.artifacts import ArtifactStore
from kindops.errors import ConfigError
from kindops.k6.history import Entry, History, select_baseline
from kindops.k6.summary import parse

from .k6_support import metrics


def summary_doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "state": {"testRunDurationMs": 2001.5},
        "metrics": {
            "http_req_duration": {
                "type": "trend",
                "values": {"p(95)": 12.5, "p(99)": 20.0, "med": 4.0},
                "thresholds": {"p(95)<300": {"ok": True}},
            },
            "http_reqs": {"type": "counter", "values": {"count": 400, "rate": 199.8}},
            "http_req_failed": {
                "type": "rate",
                "values": {"rate": 0.0025, "passes": 1, "fails": 399},
                "thresholds": {"rate<0.01": {"ok": True}},
            },
            "checks": {"type": "rate", "values": {"rate": 0.99}},
            "vus_max": {"type": "gauge", "values": {"value": 2, "min": 2, "max": 2}},
        },
    }
    doc["metrics"].update(over)
    return doc


def test_parse_reads_the_figures() -> None:
    m = parse(json.dumps(summary_doc()))
    assert (m.p95_ms, m.p99_ms, m.rps, m.requests) == (12.5, 20.0, 199.8, 400)
    assert (m.error_ratio, m.check_rate, m.vus_max) == (0.0025, 0.99, 2)
    assert m.duration_s == pytest.approx(2.0015)
    assert m.thresholds_ok and m.failed_thresholds == []


def test_parse_lists_failed_thresholds() -> None:
    doc = summary_doc()
    doc["metrics"]["http_req_failed"]["thresholds"]["rate<0.01"]["ok"] = False
    m = parse(json.dumps(doc))
    assert not m.thresholds_ok
    assert m.failed_thresholds == ["http_req_failed: rate<0.01"]


def test_parse_without_optional_metrics() -> None:
    doc = summary_doc()
    del doc["metrics"]["checks"]
    del doc["metrics"]["http_req_duration"]["values"]["p(99)"]
    m = parse(json.dumps(doc))
    assert m.check_rate is None and m.p99_ms is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is empty"),
        ('{"metrics": {"http_req_duration": {"values": {"p(95)": 1', "not valid JSON"),
        ("[1, 2]", "not a k6 summary"),
        ('{"state": {}}', "not a k6 summary"),
        (json.dumps({"metrics": {}}), r"lacks http_req_duration p\(95\)"),
        (
            json.dumps(summary_doc(http_reqs={"values": {"count": 3}})),
            "lacks http_reqs rate",
        ),
        (
            json.dumps(summary_doc(http_req_failed={"values": {"rate": "high"}})),
            "non-numeric http_req_failed rate",
        ),
        (
            json.dumps(summary_doc(http_req_failed={"values": {"rate": 3.0}})),
            "is not a ratio",
        ),
    ],
)
def test_bad_summaries_are_one_clear_error(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(raw, where="k6-tiny-smoke/run/summary.json")


def entry(day: int, *, accepted: bool = True, profile: str = "default", p95: float = 10.0) -> Entry:
    at = datetime(2026, 1, 1, 3, tzinfo=UTC) + timedelta(days=day)
    return Entry(
        run_key=f"run-{day:03d}",
        at=at,
        app="tiny",
        scenario="smoke",
        profile=profile,
        verdict="pass" if accepted else "regressed",
        reason="test",
        accepted=accepted,
        metrics=metrics(p95=p95),
        recorded_at=at,
    )


def test_recording_the_same_run_key_replaces_its_line(tmp_path: Path) -> None:
    history = History(ArtifactStore(str(tmp_path)), "tiny", "smoke")
    history.record(entry(7))
    history.record(entry(0))
    history.record(entry(7, p95=99.0))
    lines = (tmp_path / "k6/history/tiny/smoke.jsonl").read_text().splitlines()
    assert len(lines) == 2
    loaded = history.entries()
    assert [e.run_key for e in loaded] == ["run-000", "run-007"], "sorted by time"
    assert loaded[1].metrics.p95_ms == 99.0


def test_baseline_takes_the_last_accepted_runs_of_the_profile_before_the_run() -> None:
    entries = [
        entry(0),
        entry(1),
        entry(2, accepted=False),
        entry(3, profile="K6_DURATION=2s"),
        entry(4),
        entry(5),
        entry(6),
        entry(9),
    ]
    chosen = select_baseline(entries, "run-006", entries[6].at, "default", 3)
    assert [e.run_key for e in chosen] == ["run-001", "run-004", "run-005"]
    # a rerun of day 6 is judged against the same runs (its own line never counts)
    again = select_baseline([*entries, entry(6, p95=1.0)], "run-006", entries[6].at, "default", 3)
    assert [e.run_key for e in again] == ["run-001", "run-004", "run-005"]


def test_a_damaged_line_is_an_error_not_a_shorter_history(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    history = History(store, "tiny", "smoke")
    history.record(entry(0))
    path = tmp_path / "k6/history/tiny/smoke.jsonl"
    good = path.read_text()
    path.write_text(good + '{"run_key": "half-writ\n')
    with pytest.raises(ConfigError, match=r"line 2 is damaged"):
        history.entries()
    with pytest.raises(ConfigError):
        history.record(entry(1))
    assert path.read_text() == good + '{"run_key": "half-writ\n', "nothing overwritten"


def test_a_rebaseline_starts_the_baseline_again() -> None:
    entries = [entry(0), entry(1), entry(2), entry(3), entry(4)]
    entries[2] = entries[2].model_copy(update={"rebaseline": True})
    chosen = select_baseline(entries, "run-009", entries[4].at + timedelta(days=5), "default", 5)
    assert [e.run_key for e in chosen] == ["run-002", "run-003", "run-004"]
    # runs before the reset are still judged against what came before them
    before = select_baseline(entries, "run-002", entries[2].at, "default", 5)
    assert [e.run_key for e in before] == ["run-000", "run-001"]
