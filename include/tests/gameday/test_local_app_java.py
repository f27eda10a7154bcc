"""The local runner against the real app-java (the jar under the lab's supervisor, metrics through
the collector into Prometheus): its fault flags speak app-java's wire format (camelCase, integer
milliseconds), are read back on, and are off again after the revert — as its admin API says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from kindops.gameday import local
from kindops.gameday.catalog import DEFAULT_DIRS, load_catalog
from kindops.gameday.lab import LocalLab

# One game day at a time (xdist_group): each runs the apps under load and reads its SLO burn.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("gameday")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLab]:
    with LocalLab(tmp_path_factory.mktemp("lab-java"), ["app-java"]) as running:
        yield running


def admin(lab: LocalLab) -> dict[str, object]:
    response = requests.get(
        f"{lab.app_java_url}/admin/faults", headers={"X-Admin-Token": lab.admin_token}, timeout=10
    )
    response.raise_for_status()
    doc: dict[str, object] = response.json()
    return doc


def test_the_latency_flag_goes_on_and_off_through_app_javas_admin_api(lab: LocalLab) -> None:
    scenario = load_catalog(DEFAULT_DIRS[0])["app-java-latency"]
    injection = local.injection(
        scenario,
        str(lab.pids),
        {"app-python": lab.app_python_url, "app-java": lab.app_java_url},
        {"app-python": "", "app-java": lab.admin_token},
    )
    assert isinstance(injection, local.FlagsInjection)
    started = injection.start()
    try:
        assert started["flags"] == {"latency_ms": 400}
        assert admin(lab) == {"latencyMs": 400, "errorRate": 0.0}
        assert injection.active
    finally:
        stopped = injection.stop("test over")
    assert stopped["reverted"] is True
    assert admin(lab) == {"latencyMs": 0, "errorRate": 0.0}
    assert not injection.active
    assert injection.stop("again")["reverted"] is False  # idempotent


def test_a_wrong_token_is_refused_and_changes_nothing(lab: LocalLab) -> None:
    client = local.FlagsClient("app-java", lab.app_java_url, "not-the-token-0123456789")
    injection = local.FlagsInjection(client, {"error_rate": 0.5})
    with pytest.raises(Exception, match=r"refused the token \(401\)"):
        injection.start()
    assert admin(lab) == {"latencyMs": 0, "errorRate": 0.0}


def test_the_supervisor_keeps_app_java_running(lab: LocalLab) -> None:
    pids = str(lab.pids)
    first = local.read_pid(pids, "app-java-api")
    restarted = local.restart(pids, "app-java-api", lab.app_java_url, 240)
    assert restarted["old_pid"] == first and restarted["new_pid"] != first
    assert requests.get(f"{lab.app_java_url}/actuator/health/liveness", timeout=10).ok
