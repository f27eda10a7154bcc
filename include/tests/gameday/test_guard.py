"""The guard cannot be talked out of its job: config mistakes refuse, they never widen access."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindops.errors import ConfigError, DependencyError
from kindops.gameday import guard, kube

from .gameday_support import KubeState, fake_kube, write_kubeconfig

LOOPBACK = "https://127.0.0.1:43567"


# -- the allow-list ------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["", " ", ",", " , ,", "\n"])
def test_an_empty_allow_list_refuses(raw: str) -> None:
    with pytest.raises(guard.GuardRefused, match="empty"):
        guard.allowed_clusters(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "*",
        "kind-*",
        "kindops,*",
        "kind?ps",
        "[a-z]*",
        "kindops|prod",
        ".*",
        "Kindops",
        "kind ops",
        "kindops/",
        "-kindops",
        "kindops-",
    ],
)
def test_patterns_and_non_names_refuse(raw: str) -> None:
    with pytest.raises(guard.GuardRefused, match="not a kind cluster name"):
        guard.allowed_clusters(raw)


def test_plain_names_are_kept_in_order_once() -> None:
    assert guard.allowed_clusters(" kindops, lab2 ,kindops") == ("kindops", "lab2")


@settings(deadline=None)
@given(st.text(max_size=40))
def test_the_allow_list_is_never_empty_and_never_a_pattern(raw: str) -> None:
    try:
        names = guard.allowed_clusters(raw)
    except guard.GuardRefused:
        return
    assert names
    for name in names:
        assert guard.KIND_NAME.fullmatch(name)
        assert not set(name) & set("*?[]{}!^$|+\\/ .")


# -- the kubeconfig ------------------------------------------------------------------------------
def test_a_kind_context_on_loopback_is_admitted(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "config", LOOPBACK)
    target = kube.from_kubeconfig(("kindops",), str(config))
    assert (target.cluster, target.context, target.mode) == (
        "kindops",
        "kind-kindops",
        "kubeconfig",
    )
    assert target.server == LOOPBACK


def test_kinds_internal_server_name_is_admitted(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "config", "https://kindops-control-plane:6443")
    assert kube.from_kubeconfig(("kindops",), str(config)).cluster == "kindops"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"context": "kindops"}, "not a kind lab context"),
        ({"context": "kind-prod"}, "not a kind lab context"),
        ({"context": "arn:aws:eks:eu-west-1:1:cluster/kind-kindops"}, "not a kind lab context"),
        ({"context": "kind-kindops", "cluster": "prod"}, "points at cluster entry"),
        ({"current": ""}, "no usable kubeconfig|no current-context"),
        ({"current": "kind-other"}, "kind-other"),
        ({"server": "https://10.0.0.5:6443"}, "not a local kind API server"),
        ({"server": "https://prod.example.com"}, "not a local kind API server"),
        ({"server": "https://kindops-control-plane.example.com:6443"}, "not a local kind"),
        ({"server": "https://other-control-plane:6443"}, "not a local kind API server"),
        ({"server": "https://192.168.1.10:6443"}, "not a local kind API server"),
    ],
)
def test_other_contexts_and_servers_are_refused(
    tmp_path: Path, kwargs: dict[str, str], message: str
) -> None:
    server = kwargs.pop("server", LOOPBACK)
    config = write_kubeconfig(tmp_path / "config", server, **kwargs)
    with pytest.raises(guard.GuardRefused, match=message):
        kube.from_kubeconfig(("kindops",), str(config))


@pytest.mark.parametrize("content", ["", "not: [yaml", "apiVersion: v1\nkind: Config\n"])
def test_broken_or_missing_kubeconfigs_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config"
    path.write_text(content)
    with pytest.raises(guard.GuardRefused):
        kube.from_kubeconfig(("kindops",), str(path))
    with pytest.raises(guard.GuardRefused):
        kube.from_kubeconfig(("kindops",), str(tmp_path / "missing"))


def test_no_kube_context_at_all_is_refused(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    with pytest.raises(guard.GuardRefused, match="no kube context"):
        kube.admit_cluster("kindops", env)


@pytest.mark.parametrize("allowed", ["", "*", " , "])
def test_allow_list_mistakes_refuse_before_reading_any_kubeconfig(
    tmp_path: Path, allowed: str
) -> None:
    config = write_kubeconfig(tmp_path / "config", LOOPBACK)
    with pytest.raises(guard.GuardRefused):
        kube.admit_cluster(allowed, {"KUBECONFIG": str(config)})


hosts = st.sampled_from(
    [
        "127.0.0.1",
        "127.3.4.5",
        "localhost",
        "[::1]",
        "10.0.0.1",
        "8.8.8.8",
        "example.com",
        "kindops-control-plane",
        "lab-control-plane",
        "kindops-control-plane.evil",
        "kindops-external-load-balancer",
        "0.0.0.0",
    ]
)
names = st.sampled_from(["kindops", "lab", "prod", "kind", "kindops-2"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    context_name=names,
    prefix=st.sampled_from(["kind-", "", "kind_", "KIND-"]),
    host=hosts,
    allow=st.lists(names, min_size=1, max_size=3),
)
def test_admission_implies_a_kind_context_of_the_list_on_a_local_server(
    tmp_path: Path, context_name: str, prefix: str, host: str, allow: list[str]
) -> None:
    context = prefix + context_name
    config = write_kubeconfig(tmp_path / "prop-config", f"https://{host}:6443", context=context)
    try:
        target = kube.from_kubeconfig(tuple(allow), str(config))
    except guard.GuardRefused:
        return
    assert context == f"kind-{target.cluster}" and target.cluster in allow
    bare = host.strip("[]")
    assert bare in {"127.0.0.1", "127.3.4.5", "localhost", "::1"} or bare in {
        f"{target.cluster}-control-plane",
        f"{target.cluster}-external-load-balancer",
    }


# -- the cluster's identity ----------------------------------------------------------------------
def test_the_api_server_must_say_it_is_the_kind_cluster(tmp_path: Path) -> None:
    with fake_kube() as (url, state):
        config = write_kubeconfig(tmp_path / "config", url)
        target = kube.admit_cluster("kindops", {"KUBECONFIG": str(config)})
        assert target.cluster == "kindops" and target.context == "kind-kindops"
        state.identity = "https://prod-api.example.com:6443"  # a tunnel to another cluster
        with pytest.raises(guard.GuardRefused, match=r"says it is 'prod-api\.example\.com'"):
            kube.admit_cluster("kindops", {"KUBECONFIG": str(config)})
        state.identity = "https://lab-control-plane:6443"  # another kind cluster
        with pytest.raises(guard.GuardRefused, match="not kindops-control-plane"):
            kube.admit_cluster("kindops,lab", {"KUBECONFIG": str(config)})
        state.cluster_info_status = 403
        with pytest.raises(guard.GuardRefused, match="cannot read kube-public/cluster-info"):
            kube.admit_cluster("kindops", {"KUBECONFIG": str(config)})
        assert state.writes() == []


def test_in_cluster_identity_picks_the_allowed_name() -> None:
    from kubernetes import client as k8s_client

    with fake_kube(KubeState(identity="https://lab-control-plane:6443")) as (url, _):
        configuration = k8s_client.Configuration()
        configuration.host = url
        pod = kube.KubeTarget("", "", url, "in-cluster", configuration)
        assert kube.verify_identity(pod, ("kindops", "lab")).cluster == "lab"
        with pytest.raises(guard.GuardRefused):
            kube.verify_identity(pod, ("kindops",))


def test_an_unreachable_api_server_is_a_dependency_error(tmp_path: Path) -> None:
    from tests.support.servers import free_port

    config = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(DependencyError, match="unreachable"):
        kube.admit_cluster("kindops", {"KUBECONFIG": str(config)})


# -- local runner and budget ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["http://app-python.apps.svc:8000", "http://10.1.2.3:8000", "http://example.com", "x"]
)
def test_the_local_runner_refuses_remote_targets(url: str) -> None:
    with pytest.raises(guard.GuardRefused, match="only injects into this machine"):
        guard.admit_local({"app-python URL": url})
    guard.admit_local({"app-python URL": "http://127.0.0.1:8000", "b": "http://localhost:1"})


def test_the_budget_guard_refuses_low_or_unknown_budgets() -> None:
    from kindops.slo.budget import NoSloDataError

    budgets = {"availability": 0.9, "latency": 0.1}

    def read(service: str, slo: str) -> float:
        if slo == "unknown":
            raise NoSloDataError("no data")
        return budgets[slo]

    check = guard.check_budget(read, "app-python", ["availability"], 0.25)
    assert check.budgets == {"availability": 0.9}
    with pytest.raises(guard.GuardRefused, match=r"latency has 10\.0 %"):
        guard.check_budget(read, "app-python", ["availability", "latency"], 0.25)
    with pytest.raises(guard.GuardRefused, match="no SLO data"):
        guard.check_budget(read, "app-python", ["unknown"], 0.0)
    with pytest.raises(ConfigError):
        guard.check_budget(read, "app-python", ["availability"], 1.5)


# -- the budget floor ----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [-0.1, 1.01, float("nan"), float("inf")])
def test_a_floor_outside_zero_to_one_is_bad_input(value: float) -> None:
    for allow in (False, True):
        with pytest.raises(ConfigError, match="expected a share from 0 to 1"):
            guard.budget_floor(value, "--min-budget", allow)


def test_a_zero_floor_needs_the_explicit_override() -> None:
    with pytest.raises(guard.GuardRefused, match="--allow-zero-min-budget"):
        guard.budget_floor(0.0, "KINDOPS_GAMEDAY_MIN_BUDGET")
    floor = guard.budget_floor(0.0, "--min-budget", allow_zero=True)
    assert floor.overridden and floor.to_dict()["overridden"] is True


@settings(deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0, exclude_min=True), st.booleans())
def test_any_floor_above_zero_is_kept_as_given(value: float, allow: bool) -> None:
    floor = guard.budget_floor(value, "--min-budget", allow)
    assert floor.value == value and not floor.overridden
