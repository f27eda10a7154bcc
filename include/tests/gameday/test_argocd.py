"""The Argo CD rollback against a local server speaking Argo CD's API: the previous revision is
found in the sync history, the rollback request has the documented shape, Argo CD's refusals
(auto-sync, a wrong token, an unknown Application, an operation in progress) become one clear
error, and only the lab's own Argo CD is ever called."""

from __future__ import annotations

import pytest

from kindops.errors import ConfigError, DependencyError
from kindops.gameday import argocd, guard
from tests.support.servers import free_port

from .gameday_support import ARGOCD_TOKEN, ArgoCdState, argocd_app, fake_argocd


def api(url: str, token: str = ARGOCD_TOKEN) -> argocd.ArgoCdApi:
    return argocd.ArgoCdApi(url, token, timeout=5)


def test_rollback_goes_to_the_previous_revision_and_follows_the_sync() -> None:
    # the last sync re-applied the current commit: the target is the revision before it
    app = argocd_app("app-python", ["1b2c", "4f1c", "9a7e", "9a7e"])
    with fake_argocd(ArgoCdState(apps={"app-python": app}, reads_to_finish=3)) as (url, state):
        out = argocd.rollback(api(url), "app-python", prune=False, wait=10, poll_seconds=0.05)
        final = api(url).application("app-python")
    assert out["from"] == {"id": 4, "revision": "9a7e", "deployed_at": "2026-11-20T10:04:00Z"}
    assert out["to"]["id"] == 2 and out["to"]["revision"] == "4f1c"
    assert out["requested_revision"] == "4f1c" and out["prune"] is False
    assert out["operation"]["phase"] == "Succeeded"
    (post,) = state.calls("POST")
    assert post["path"] == "/api/v1/applications/app-python/rollback"
    assert post["body"] == {"name": "app-python", "id": 2, "prune": False, "dryRun": False}
    assert all(r["authorization"] == f"Bearer {ARGOCD_TOKEN}" for r in state.requests)
    # it read the Application until the controller reported the operation done
    gets = state.calls("GET")
    assert len(gets) >= 4
    assert final["status"]["history"][-1]["revision"] == "4f1c"
    assert final["status"]["operationState"]["phase"] == "Succeeded"


def test_prune_is_passed_through() -> None:
    with fake_argocd(ArgoCdState(apps={"a": argocd_app("a", ["x1", "x2"])})) as (url, state):
        argocd.rollback(api(url), "a", prune=True, wait=5, poll_seconds=0.05)
    assert state.calls("POST")[0]["body"]["prune"] is True


@pytest.mark.parametrize("automated", [{}, {"prune": True, "selfHeal": True}, {"enabled": True}])
def test_an_auto_synced_application_is_refused_before_any_request(
    automated: dict[str, object],
) -> None:
    app = argocd_app("app-python", ["4f1c", "9a7e"], automated=automated)
    with fake_argocd(ArgoCdState(apps={"app-python": app})) as (url, state):
        with pytest.raises(ConfigError, match="syncs automatically") as info:
            argocd.rollback(api(url), "app-python", prune=False, wait=5)
        with pytest.raises(ConfigError, match="syncs automatically"):
            argocd.plan(api(url), "app-python")
    assert "\n" not in info.value.message
    assert state.calls("POST") == []


def test_auto_sync_switched_off_with_enabled_false_can_be_rolled_back() -> None:
    app = argocd_app("app-python", ["4f1c", "9a7e"], automated={"enabled": False})
    with fake_argocd(ArgoCdState(apps={"app-python": app})) as (url, state):
        out = argocd.rollback(api(url), "app-python", prune=False, wait=5, poll_seconds=0.05)
    assert out["to"]["revision"] == "4f1c" and len(state.calls("POST")) == 1


def test_argo_cds_own_refusal_is_one_clear_error() -> None:
    """An operation already running: Argo CD answers 400 with grpc-gateway's error body."""
    app = argocd_app("app-python", ["4f1c", "9a7e"])
    app["operation"] = {"sync": {"revision": "9a7e"}}
    server = fake_argocd(ArgoCdState(apps={"app-python": app}))
    with server as (url, state), pytest.raises(ConfigError) as info:
        argocd.rollback(api(url), "app-python", prune=False, wait=5)
    assert info.value.message == (
        "Argo CD refused POST application app-python/rollback (400): another operation is "
        "already in progress"
    )
    assert len(state.calls("POST")) == 1


def test_a_failed_sync_operation_fails_the_rollback() -> None:
    app = argocd_app("app-python", ["4f1c", "9a7e"])
    server = fake_argocd(ArgoCdState(apps={"app-python": app}, final_phase="Failed"))
    failed = pytest.raises(DependencyError, match="to 4f1c ended Failed: one or more objects")
    with server as (url, _), failed:
        argocd.rollback(api(url), "app-python", prune=False, wait=10, poll_seconds=0.05)


def test_an_operation_still_running_after_the_wait_is_reported_not_failed() -> None:
    app = argocd_app("app-python", ["4f1c", "9a7e"])
    state = ArgoCdState(apps={"app-python": app}, reads_to_finish=10_000)
    with fake_argocd(state) as (url, _):
        out = argocd.rollback(api(url), "app-python", prune=False, wait=0.3, poll_seconds=0.05)
    assert out["operation"]["phase"] == "Running"


@pytest.mark.parametrize(
    ("revisions", "message"),
    [([], "no sync history"), (["9a7e"], "no earlier revision"), (["9a7e", "9a7e"], "2 entries")],
)
def test_nothing_to_roll_back_to_is_refused(revisions: list[str], message: str) -> None:
    app = argocd_app("app-python", revisions or ["x"])
    if not revisions:
        app["status"]["history"] = []
    server = fake_argocd(ArgoCdState(apps={"app-python": app}))
    with server as (url, state), pytest.raises(ConfigError, match=message):
        argocd.rollback(api(url), "app-python", prune=False, wait=5)
    assert state.calls("POST") == []


def test_a_wrong_token_an_unknown_application_and_no_token_are_config_errors() -> None:
    with fake_argocd(ArgoCdState(apps={"app-python": argocd_app("app-python", ["a", "b"])})) as (
        url,
        state,
    ):
        with pytest.raises(ConfigError, match=r"refused the token \(401\)"):
            argocd.plan(api(url, "not-the-token"), "app-python")
        with pytest.raises(ConfigError, match=r"denied GET application nope \(403"):
            argocd.plan(api(url), "nope")
    assert state.calls("POST") == []
    with pytest.raises(ConfigError, match="KINDOPS_GAMEDAY_ARGOCD_TOKEN is not set"):
        argocd.ArgoCdApi(url, "")


def test_an_unreachable_argo_cd_is_a_dependency_error() -> None:
    with pytest.raises(DependencyError, match="unreachable"):
        argocd.plan(api(f"http://127.0.0.1:{free_port()}"), "app-python")


def test_history_ids_may_be_strings_and_multi_source_revisions_join() -> None:
    app = {
        "status": {
            "history": [
                {"id": "2", "revisions": ["a2", "b2"], "deployedAt": "t2"},
                {"id": "1", "revisions": ["a1", "b1"], "deployedAt": "t1"},
                {"id": None, "revision": "broken"},
            ]
        }
    }
    assert argocd.history(app) == [
        argocd.Deployment(1, "a1,b1", "t1"),
        argocd.Deployment(2, "a2,b2", "t2"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://argocd-server.argocd.svc",
        "https://argocd-server.argocd.svc.cluster.local:443",
        "http://127.0.0.1:8080",
        "http://localhost:8080",
    ],
)
def test_the_labs_argo_cd_is_admitted(url: str) -> None:
    guard.admit_argocd(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://argocd.example.com",
        "https://10.0.0.7",
        "https://argocd-server.argocd.svc.example.com",
        "https://argocd-server.svc",
        "https://a.b.c.svc",
        "argocd-server.argocd.svc",
        "",
    ],
)
def test_any_other_argo_cd_is_refused(url: str) -> None:
    with pytest.raises(guard.GuardRefused, match="not the lab's Argo CD"):
        guard.admit_argocd(url)
