"""A real Prometheus holding the SLO scenario's 37 days of history (tests/support/slo_history)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.prometheus import Prometheus, backfill
from tests.support.slo_history import END, STEP, month_with_outage


@pytest.fixture(scope="session")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    storage = tmp_path_factory.mktemp("slo-history") / "tsdb"
    backfill(storage, month_with_outage(), END, STEP)
    with Prometheus(storage) as server:
        yield server
