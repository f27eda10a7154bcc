"""SLO burn over a window read from a real Prometheus, Grafana annotations to a local HTTP
server, and the postmortem draft in the shape of docs/postmortems/TEMPLATE.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kindops.gameday import evidence, grafana, postmortem
from kindops.gameday.burn import window_burn
from kindops.gameday.catalog import DEFAULT_DIRS, load_catalog
from kindops.gameday.journal import Journal
from tests.support.http import recorder
from tests.support.prometheus import Prometheus, backfill
from tests.support.servers import ROOT, free_port
from tests.support.slo_history import Phase, Shares, slo_history

TEMPLATE = ROOT / "docs" / "postmortems" / "TEMPLATE.md"
SPECS = str(ROOT / "observability" / "slos")
END = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Two hours of app-python traffic at 2 req/s: 1 % of 5xx, every request fast."""
    storage = tmp_path_factory.mktemp("tsdb")
    backfill(storage, slo_history([Phase(120, Shares(python_errors=0.01))], step=60.0), END, 60.0)
    with Prometheus(storage) as prom:
        yield prom.url


@pytest.mark.integration
def test_window_burn_joins_ratio_burn_rate_and_budget(prometheus: str) -> None:
    burn = window_burn(
        prometheus, SPECS, "app-python", END - timedelta(hours=1), END, {"availability": 1.0}
    )
    assert burn["window"]["seconds"] == 3600
    rows = {r["slo"]: r for r in burn["slos"]}
    availability = rows["availability"]
    assert availability["error_ratio"] == pytest.approx(0.01, rel=1e-3)
    assert availability["burn_rate"] == pytest.approx(2.0, rel=1e-3)  # 1 % of a 0.5 % budget
    # the period holds these two hours only: 1 % errors = twice the budget spent
    assert availability["budget_remaining_after"] == pytest.approx(-1.0, rel=1e-2)
    assert availability["budget_consumed"] == pytest.approx(2.0, rel=1e-2)
    assert "[3600s]" in availability["error_query"]
    latency = rows["latency"]
    assert latency["error_ratio"] == pytest.approx(0.0, abs=1e-9)
    assert latency["budget_remaining_before"] is None and latency["budget_consumed"] is None


def test_window_burn_reports_errors_per_slo() -> None:
    burn = window_burn(
        f"http://127.0.0.1:{free_port()}", SPECS, "app-python", END - timedelta(minutes=5), END
    )
    assert [r["slo"] for r in burn["slos"]] == ["availability", "latency"]
    assert all("unreachable" in r["error"] for r in burn["slos"])
    assert "no SLO spec" in window_burn("http://127.0.0.1:1", SPECS, "nope", END, END)["error"]


def test_annotations_are_posted_as_regions_with_tags() -> None:
    start, end = END - timedelta(minutes=3), END
    with recorder() as server:
        out = grafana.annotate(
            server.url,
            "glsa_x",
            start=start,
            end=end,
            text="t",
            tags=["gameday", "s"],
            dashboard_uid="kindops-red",
        )
        (call,) = server.calls("POST", "/api/annotations")
        server.statuses["/api/annotations"] = 403
        refused = grafana.annotate(server.url, "", start=start, end=end, text="t", tags=[])
        unauthenticated = server.calls("POST", "/api/annotations")[1]["headers"]
    assert out["id"] == 1 and "error" not in out
    assert call["body"] == {
        "time": int(start.timestamp() * 1000),
        "timeEnd": int(end.timestamp() * 1000),
        "tags": ["gameday", "s"],
        "text": "t",
        "dashboardUID": "kindops-red",
    }
    assert call["headers"]["Authorization"] == "Bearer glsa_x"
    assert "answered 403" in refused["error"]
    assert "Authorization" not in unauthenticated
    gone = grafana.annotate(
        f"http://127.0.0.1:{free_port()}", "", start=start, end=end, text="t", tags=[]
    )
    assert "error" in gone


def sample_evidence() -> dict[str, Any]:
    scenario = load_catalog(DEFAULT_DIRS[0])["app-python-error-rate"]
    journal = Journal(scenario.model_dump(mode="json"), "local", "monthly_game_day_20261126")
    journal.doc["steady_states"]["before"] = {"steady_state_met": True, "probes": []}
    journal.event("load started", detail="app-python/load")
    journal.event("fault injected", detail="fault-flags")
    journal.doc["windows"]["fault"] = {"start": journal.doc["start"], "end": journal.doc["start"]}
    journal.event("first deviation detected", detail="error-ratio-bounded: 0.31 not <= 0.2")
    journal.doc["steady_states"]["during"] = {
        "steady_state_met": False,
        "samples": [],
        "samples_taken": 3,
        "samples_met": 1,
    }
    journal.deviate("steady state not met during the fault (first: error-ratio-bounded)")
    journal.doc["steady_states"]["after"] = {
        "steady_state_met": True,
        "probes": [],
        "attempts": 2,
        "seconds_to_recover": 4.2,
        "history": [],
    }
    journal.doc["load"] = {
        "metrics": {
            "requests": 812,
            "rps": 13.5,
            "p95_ms": 187.25,
            "p99_ms": 402.0,
            "error_ratio": 0.0712,
            "check_rate": 0.93,
        },
        "thresholds": [
            {"name": "error_ratio", "threshold": "<= 0.15", "value": 0.0712, "met": True}
        ],
        "k6_thresholds_failed": ["http_req_failed: rate<0.01"],
    }
    journal.finish("completed")
    burn = {
        "service": "app-python",
        "slos": [
            {
                "slo": "availability",
                "objective_percent": 99.5,
                "error_ratio": 0.0675,
                "burn_rate": 13.5,
                "budget_remaining_before": 0.98,
                "budget_remaining_after": 0.91,
                "budget_consumed": 0.07,
            }
        ],
    }
    return evidence.build(journal.doc, burn, [], {"journal": "/a/journal.json"})


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^#{2,3} ", line)]


def test_the_draft_has_the_templates_sections_in_order() -> None:
    draft = postmortem.render(sample_evidence())
    assert headings(draft) == headings(TEMPLATE.read_text())


def test_the_draft_quotes_the_evidence_and_leaves_judgement_to_people() -> None:
    ev = sample_evidence()
    draft = postmortem.render(ev)
    assert ev["verdict"] == "fail" and ev["hypothesis"]["during_samples_met"] == 1
    assert "812 requests at 13.5 req/s, p95 187.2 ms" in draft
    assert "failed requests 7.12 %" in draft
    assert (
        "| app-python availability (99.5 %) | 6.750 % | 13.50 | 98.0 % -> 91.0 % | 7.0 % |" in draft
    )
    assert "10 % of requests answered 500" in draft
    assert "error-ratio-bounded: 0.31 not <= 0.2" in draft
    assert "held again 4.2 s after the fault" in draft
    assert "`http_req_failed: rate<0.01`" in draft
    assert draft.count("TO COMPLETE") >= 4  # root cause, alerts, action owner, luck
    timeline = draft.split("## Timeline")[1]
    assert re.search(r"\| \d\d:\d\d:\d\d \| \d+\.\d \| fault injected: fault-flags \|", timeline)


def test_safeguard_failures_measure_the_outage_a_safeguard_saw() -> None:
    def sample(second: int, met: bool) -> dict[str, Any]:
        at = (END + timedelta(seconds=second)).isoformat()
        return {
            "probe": "api-back",
            "at": at,
            "tolerance_met": met,
            "error": "" if met else "ConnectionError",
        }

    journal = {
        "safeguards": {
            "samples": [
                sample(0, True),
                sample(2, False),
                sample(4, False),
                sample(6, False),
                sample(8, True),
                sample(10, False),
                sample(12, True),
                sample(14, False),
            ]
        }
    }
    (row,) = evidence.safeguard_failures(journal)
    assert row["samples"] == 8 and row["failed"] == 5
    assert row["longest_failing_seconds"] == 6.0  # from the sample at +2 s to the pass at +8 s
    assert row["first_failure"] == (END + timedelta(seconds=2)).isoformat()
    assert row["first_error"] == "ConnectionError"
