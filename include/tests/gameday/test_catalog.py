"""The scenario catalog: every shipped scenario is valid, and mistakes are errors, never ignored."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kindops.errors import ConfigError
from kindops.gameday.catalog import (
    DEFAULT_DIRS,
    FlagsFault,
    PodCpuHog,
    PodDelete,
    PodNetworkLatency,
    Scenario,
    Tolerance,
    format_duration,
    load_catalog,
    parse,
    parse_duration,
    select,
)

CATALOG = DEFAULT_DIRS[0]
REQUIRED = {
    "app-python-pod-delete": PodDelete,
    "app-java-cpu-hog": PodCpuHog,
    "worker-network-latency": PodNetworkLatency,
    "app-python-error-rate": FlagsFault,
    "app-java-latency": FlagsFault,
}


def doc(name: str = "app-python-error-rate") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CATALOG / f"{name}.yaml").read_text())
    return loaded


def test_the_catalog_holds_the_required_scenarios() -> None:
    catalog = load_catalog(CATALOG)
    for name, kind in REQUIRED.items():
        assert isinstance(catalog[name].fault, kind), name
    assert isinstance(catalog["app-python-error-rate"].fault, FlagsFault)
    assert catalog["app-python-error-rate"].fault.flags.error_rate == 0.1
    assert catalog["app-java-latency"].fault.flags.latency_ms == 400  # type: ignore[union-attr]
    assert catalog["worker-network-latency"].target.component == "worker"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_scenario_has_all_parts(name: str) -> None:
    s = load_catalog(CATALOG)[name]
    assert s.steady_state.for_phase("before") and s.steady_state.for_phase("after")
    assert s.steady_state.for_phase("during")
    kinds = {p.type for p in s.steady_state.probes}
    assert kinds == {"http", "prometheus"}, "each hypothesis mixes HTTP checks and queries"
    assert s.safeguards.probes and s.rollback.cluster.rollout
    assert s.load.duration >= s.load.warmup + s.fault.duration + s.recovery.timeout
    assert s.target.slos, "each scenario names the SLOs its fault spends"


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ((), "surprise"),
        (("target",), "replicas"),
        (("fault",), "cores"),  # a cpu-hog key on a fault-flags fault
        (("fault", "flags"), "errorRate"),  # the wire name, not the catalog's
        (("steady_state",), "probe"),
        (("steady_state", "probes", 1), "tolerence"),
        (("steady_state", "probes", 1, "tolerance"), "maximum"),
        (("load",), "vu"),
        (("load", "thresholds"), "p95"),
        (("safeguards",), "abort"),
        (("recovery",), "timout"),
        (("rollback", "cluster"), "deployment"),
    ],
)
def test_unknown_keys_are_rejected_with_their_place(where: tuple[Any, ...], key: str) -> None:
    data = doc()
    node: Any = data
    for step in where:
        node = node[step]
    node[key] = 1
    with pytest.raises(ConfigError, match=key):
        parse("x.yaml", yaml.safe_dump(data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["load"].update(duration="30s"), "shorter than warm-up"),
        (lambda d: d["steady_state"]["probes"][1].update(tolerance={}), "needs max, min or range"),
        (
            lambda d: d["steady_state"]["probes"][1].update(tolerance={"range": [2, 1]}),
            "lower bound",
        ),
        (lambda d: d["fault"].update(duration="soon"), "invalid duration"),
        (lambda d: d["fault"]["flags"].update(error_rate=1.5), "less than or equal"),
        (lambda d: d["target"].update(app="app-go"), "app-python"),
        (lambda d: d["safeguards"].update(probes=[]), "at least one safeguard"),
        (lambda d: d["steady_state"]["probes"][1].update(query="x{{.other}}"), "placeholder"),
        (lambda d: d.update(version="kindops/gameday/v2"), "version"),
        (lambda d: d["rollback"].update(cluster={}), "name a rollout to abort"),
        (
            lambda d: d["rollback"].update(cluster={"argocd": {"application": "App_Python"}}),
            "rollback.cluster.argocd.application",
        ),
        (
            lambda d: d["rollback"].update(cluster={"argocd": {"app": "app-python"}}),
            "rollback.cluster.argocd.app",
        ),
        (
            lambda d: d["rollback"].update(
                cluster={"argocd": {"application": "app-python", "prune": True}}
            ),
            None,  # an Argo CD rollback alone is a cluster rollback
        ),
        (
            lambda d: d["steady_state"].update(
                probes=[
                    p for p in d["steady_state"]["probes"] if p["name"] != "error-ratio-bounded"
                ]
            ),
            None,  # still valid: api-ready and worker-storing cover "during"
        ),
    ],
)
def test_bad_scenarios_fail_with_one_clear_error(change: Any, message: str | None) -> None:
    data = doc()
    change(data)
    if message is None:
        parse("x.yaml", yaml.safe_dump(data))
        return
    with pytest.raises(ConfigError, match=message) as info:
        parse("x.yaml", yaml.safe_dump(data))
    assert "\n" not in info.value.message


def test_a_phase_without_a_probe_is_rejected() -> None:
    data = doc()
    for probe in data["steady_state"]["probes"]:
        probe["phases"] = ["before", "after"]
    with pytest.raises(ConfigError, match="'during' phase"):
        parse("x.yaml", yaml.safe_dump(data))


def test_the_file_name_must_be_the_scenario_name(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(doc()))
    with pytest.raises(ConfigError, match="must equal the file name"):
        load_catalog(tmp_path)


def test_select_resolves_lists_and_all() -> None:
    catalog = load_catalog(CATALOG)
    assert [s.name for s in select(catalog, ["app-java-latency,app-python-error-rate"])] == [
        "app-java-latency",
        "app-python-error-rate",
    ]
    assert len(select(catalog, ["all"])) == len(catalog)
    with pytest.raises(ConfigError, match="unknown scenario"):
        select(catalog, ["app-python-error-rate", "nope"])
    with pytest.raises(ConfigError, match="at least one"):
        select(catalog, [" , "])
    with pytest.raises(ConfigError, match="cannot be combined"):
        select(catalog, ["all,app-java-latency"])


def test_timing_overrides_keep_the_load_covering_the_phases() -> None:
    s = load_catalog(CATALOG)["app-python-error-rate"]
    short = s.with_timing(warmup=8, fault_duration=10, recovery_timeout=20, vus=2)
    assert (short.load.warmup, short.fault.duration, short.recovery.timeout) == (8, 10, 20)
    assert short.load.duration == 38 and short.load.vus == 2
    assert s.with_timing() is s
    assert s.with_timing(vus=3).load.duration == s.load.duration


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=10_000))
def test_durations_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
    assert (
        parse_duration(f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s")
        == seconds
    )


@pytest.mark.parametrize("bad", ["", "0s", "-1s", "1d", "1.5m", "s", True, None])
def test_bad_durations_are_rejected(bad: Any) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@settings(deadline=None)
@given(
    low=st.one_of(st.none(), st.floats(-1e6, 1e6)),
    high=st.one_of(st.none(), st.floats(-1e6, 1e6)),
    value=st.floats(allow_nan=True, allow_infinity=True),
)
def test_tolerance_is_the_closed_interval(
    low: float | None, high: float | None, value: float
) -> None:
    if (low is None and high is None) or (low is not None and high is not None and low > high):
        with pytest.raises(ValueError):
            Tolerance(min=low, max=high)
        return
    tolerance = Tolerance(min=low, max=high)
    expected = (
        not math.isnan(value) and (low is None or value >= low) and (high is None or value <= high)
    )
    assert tolerance.met(value) is expected
    if low is not None and high is not None:
        assert Tolerance(range=(low, high)).met(value) is expected


def test_scenarios_are_frozen() -> None:
    s: Scenario = load_catalog(CATALOG)["app-java-cpu-hog"]
    with pytest.raises(Exception, match="frozen"):
        s.name = "x"  # type: ignore[misc]
