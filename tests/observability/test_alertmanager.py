"""Alertmanager configuration: valid, routes every alert where it belongs, and really delivers.

* ``amtool check-config``;
* ``amtool config routes test`` for the sample alerts of observability/alertmanager/tests and
  for every alert of the Prometheus rules (``<team>-<severity>``, Watchdog to ``null``);
* a real ``prometheus-alertmanager`` on loopback with the configuration, its webhook pointed at
  an HTTP server of this test: a posted page reaches the webhook with the bearer token read from
  its credentials file, the ticket of the same SLO is inhibited (suppressed, never delivered),
  and Watchdog reaches nobody.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import ROOT
from tests.support.http import JsonHandler, serve
from tests.support.servers import alertmanager_process

pytestmark = pytest.mark.integration

CONFIG = ROOT / "observability" / "alertmanager" / "alertmanager.yaml"
ROUTES = ROOT / "observability" / "alertmanager" / "tests" / "routes.yaml"
RULES = ROOT / "observability" / "prometheus" / "rules"
WEBHOOK = "http://kindops-automation.kindops-jobs.svc:8080/alerts"


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["amtool", *args], capture_output=True, text=True, timeout=60)


def route_cases() -> list[tuple[dict[str, str], str]]:
    cases = [(c["labels"], c["receiver"]) for c in yaml.safe_load(ROUTES.read_text())["cases"]]
    for path in sorted(RULES.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                labels = {"alertname": rule["alert"], **rule["labels"]}
                labels.setdefault("team", "apps")  # SLO alerts get team from their recordings
                labels = {k: v for k, v in labels.items() if "{{" not in v}
                severity = labels["severity"]
                expected = "null" if severity == "none" else f"{labels['team']}-{severity}"
                cases.append((labels, expected))
    return cases


def test_amtool_check_config() -> None:
    proc = amtool("check-config", str(CONFIG))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_no_secret_in_the_configuration() -> None:
    doc = yaml.safe_load(CONFIG.read_text())
    for receiver in doc["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            assert hook["url"] == WEBHOOK
            auth = hook["http_config"]["authorization"]
            assert set(auth) == {"type", "credentials_file"}, "tokens come from a mounted file"
    text = CONFIG.read_text().lower()
    for word in ("password:", "credentials:", "bearer_token:", "api_key"):
        assert word not in text


@pytest.mark.parametrize(
    ("labels", "receiver"),
    route_cases(),
    ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_route(labels: dict[str, str], receiver: str) -> None:
    pairs = [f"{k}={v}" for k, v in labels.items()]
    proc = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        f"--verify.receivers={receiver}",
        *pairs,
    )
    assert proc.returncode == 0, f"{pairs} -> {proc.stdout.strip()} (expected {receiver})"


# -- a real Alertmanager -----------------------------------------------------------------------
class Webhook:
    """A local HTTP server recording what Alertmanager posts."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.url = ""
        self._stack = ExitStack()

    def alerts(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(receiver, status, alert) of every delivered alert."""
        return [(doc["receiver"], doc["status"], a) for _, doc in self.posts for a in doc["alerts"]]

    def __enter__(self) -> Webhook:
        received = self.posts

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                received.append((dict(self.headers.items()), self.read_json()))
                self.send_empty(200)

        self.url = f"{self._stack.enter_context(serve(Handler))}/alerts"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def local_config(webhook: str, token_file: Path) -> dict[str, Any]:
    """The committed configuration with only the endpoint and the token file swapped, and
    grouping waits cut to seconds so delivery happens within the test."""
    doc: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    for receiver in doc["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook
            hook["http_config"]["authorization"]["credentials_file"] = str(token_file)

    def fast(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
        for child in route.get("routes", []):
            fast(child)

    fast(doc["route"])
    doc["route"]["group_wait"] = doc["route"]["group_interval"] = "1s"
    return doc


@pytest.fixture()
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, Webhook]]:
    token = tmp_path / "token"
    token.write_text("s3cr3t-from-a-file\n")
    with Webhook() as hook:
        config = tmp_path / "alertmanager.yaml"
        config.write_text(yaml.safe_dump(local_config(hook.url, token)))
        with alertmanager_process(tmp_path / "am", config.read_text()) as url:
            yield url, hook


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def slo_alert(severity: str, service: str = "app-python") -> dict[str, Any]:
    return {
        "labels": {
            "alertname": "AppPythonAvailabilityBudgetBurn",
            "severity": severity,
            "team": "apps",
            "service": service,
            "slo": "availability",
            "sloth_id": f"{service}-availability",
        },
        "annotations": {"summary": f"{service} availability ({severity})"},
    }


@pytest.mark.integration
def test_a_page_is_delivered_and_inhibits_its_ticket(alertmanager: tuple[str, Webhook]) -> None:
    url, hook = alertmanager
    control = {
        "labels": {
            "alertname": "HTTPServerLatencyHigh",
            "severity": "ticket",
            "team": "apps",
            "service": "app-java",
            "job": "app-java",
        },
        "annotations": {"summary": "control ticket"},
    }
    watchdog = {"labels": {"alertname": "Watchdog", "severity": "none", "team": "platform"}}
    posted = [slo_alert("page"), slo_alert("ticket"), control, watchdog]
    requests.post(f"{url}/api/v2/alerts", json=posted, timeout=10).raise_for_status()

    def delivered() -> set[tuple[str, str]]:
        return {
            (r, a["labels"]["alertname"] + "/" + a["labels"]["severity"])
            for r, _, a in hook.alerts()
        }

    wait_for(
        lambda: (
            {
                ("apps-page", "AppPythonAvailabilityBudgetBurn/page"),
                ("apps-ticket", "HTTPServerLatencyHigh/ticket"),
            }
            <= delivered()
        ),
        "the page and the control ticket at the webhook",
    )
    # the ticket of the same SLO is held back by the inhibition, and Alertmanager says so
    states = {
        a["labels"]["alertname"] + "/" + a["labels"]["severity"]: a["status"]
        for a in requests.get(f"{url}/api/v2/alerts", timeout=10).json()
    }
    ticket = states["AppPythonAvailabilityBudgetBurn/ticket"]
    assert ticket["state"] == "suppressed" and ticket["inhibitedBy"], ticket
    assert states["AppPythonAvailabilityBudgetBurn/page"]["state"] == "active"
    assert states["HTTPServerLatencyHigh/ticket"]["state"] == "active"
    assert delivered() == {
        ("apps-page", "AppPythonAvailabilityBudgetBurn/page"),
        ("apps-ticket", "HTTPServerLatencyHigh/ticket"),
    }, "the inhibited ticket and Watchdog must never reach the webhook"
    # the token came from the credentials file, not from the configuration
    for headers, doc in hook.posts:
        assert headers.get("Authorization") == "Bearer s3cr3t-from-a-file"
        assert doc["status"] == "firing"


@pytest.mark.integration
def test_a_ticket_of_another_service_is_not_inhibited(alertmanager: tuple[str, Webhook]) -> None:
    url, hook = alertmanager
    posted = [slo_alert("page", "app-python"), slo_alert("ticket", "app-java")]
    requests.post(f"{url}/api/v2/alerts", json=posted, timeout=10).raise_for_status()
    wait_for(
        lambda: (
            {(r, a["labels"]["service"]) for r, _, a in hook.alerts()}
            >= {("apps-page", "app-python"), ("apps-ticket", "app-java")}
        ),
        "both alerts at the webhook",
    )
