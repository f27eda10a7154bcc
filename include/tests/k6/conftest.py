"""Fixtures for the k6 jobs: a tiny real HTTP server, scenario folders, the real k6, a store
(the real Pushgateway is the shared ``pushgateway`` fixture)."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import JsonHandler, serve
from tests.support.prometheus import Prometheus, backfill
from tests.support.servers import ROOT

from .k6_support import (
    BROKEN,
    K6,
    NO_SUMMARY,
    TINY_SMOKE,
    Lab,
    TinyServer,
    slo_series,
)


@pytest.fixture()
def tiny_server() -> Iterator[TinyServer]:
    state = TinyServer()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            state.requests += 1
            if state.delay_s:
                time.sleep(state.delay_s)
            self.send_json(state.status, {"ok": True})

    with serve(Handler) as url:
        state.port = int(url.rsplit(":", 1)[1])
        yield state


@pytest.fixture()
def scenarios(tmp_path: Path) -> Path:
    """A scenarios tree like include/k6: the lab's lib/common.js and a tiny app."""
    root = tmp_path / "scenarios"
    (root / "lib").mkdir(parents=True)
    shutil.copy(ROOT / "include/k6/lib/common.js", root / "lib/common.js")
    (root / "tiny").mkdir()
    (root / "tiny/smoke.js").write_text(TINY_SMOKE)
    (root / "tiny/broken.js").write_text(BROKEN)
    (root / "tiny/nosummary.js").write_text(NO_SUMMARY)
    for app_name in ("app-python", "app-java"):  # the gate reads these apps' SLOs
        (root / app_name).mkdir()
        (root / app_name / "stress.js").write_text(TINY_SMOKE)
    return root


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    yield
    # execute() points the root logger at the runner's (now closed) stderr: detach it.
    logging.getLogger().handlers[:] = []


@pytest.fixture()
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenarios: Path) -> Lab:
    for name in (
        "KINDOPS_PROMETHEUS_URL",
        "KINDOPS_PUSHGATEWAY_URL",
        "KINDOPS_K6_DURATION",
        "KINDOPS_K6_VUS",
        "KINDOPS_XCOM_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KINDOPS_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("KINDOPS_K6_BIN", K6)
    monkeypatch.setenv("KINDOPS_K6_SCENARIOS", str(scenarios))
    monkeypatch.setenv("KINDOPS_SLO_SPECS", str(ROOT / "observability/slos"))
    monkeypatch.setenv("KINDOPS_K6_MIN_REQUESTS", "5")
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    return Lab(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """A real Prometheus holding 3 h of the apps' request counters, ending now."""
    storage = tmp_path_factory.mktemp("prom") / "tsdb"
    backfill(storage, slo_series(), end=time.time(), step=60)
    with Prometheus(storage, features=()) as prom:
        yield prom
