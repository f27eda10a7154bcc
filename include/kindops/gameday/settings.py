"""Settings of ``kindops gameday``: ``KINDOPS_GAMEDAY_*`` plus the shared SLO variables and the
lab's endpoints (:mod:`kindops.endpoints`: ``KINDOPS_PROMETHEUS_URL`` for the probes, the budget
guard and the burn; ``KINDOPS_GRAFANA_URL`` for annotations; ``KINDOPS_ARGOCD_URL`` for Argo CD
rollbacks). The apps' defaults are their in-cluster Services (namespace ``apps``); the local
runner points them at loopback.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from kindops.errors import ConfigError
from kindops.settings import KindopsSettings


def _http_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http(s) URL")
    return value


class GamedaySettings(KindopsSettings):
    gameday_catalog: str = ""
    """``KINDOPS_GAMEDAY_CATALOG``: the scenario folder; empty = the repository's
    ``include/chaos`` (or ``/opt/kindops-data/chaos`` in the jobs image)."""
    gameday_allowed_clusters: str = "kindops"
    """``KINDOPS_GAMEDAY_ALLOWED_CLUSTERS``: comma-separated kind cluster names the cluster runner
    may inject into (context ``kind-<name>``). Empty or a wildcard is refused, never "any"."""
    gameday_min_budget: float = Field(default=0.25, ge=0, le=1)
    """``KINDOPS_GAMEDAY_MIN_BUDGET``: refuse when an SLO of the target has less error budget left
    than this share. Above 0: a floor of 0 is refused unless ``--allow-zero-min-budget``."""
    gameday_app_python_url: str = "http://app-python.apps.svc:8000"
    gameday_app_java_url: str = "http://app-java.apps.svc:8080"
    gameday_app_python_admin_token: SecretStr = SecretStr("")
    """``KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN``: app-python's ``X-Admin-Token`` (fault flags)."""
    gameday_app_java_admin_token: SecretStr = SecretStr("")
    gameday_pids: str = ""
    """``KINDOPS_GAMEDAY_PIDS``: local runner: the folder where the local supervisor
    (``kindops gameday lab``) keeps ``<process>.pid``."""
    gameday_chaos_service_account: str = "litmus-admin"
    """``KINDOPS_GAMEDAY_CHAOS_SERVICE_ACCOUNT``: the ChaosEngine's ``chaosServiceAccount``."""
    gameday_container_runtime: str = "containerd"
    gameday_socket_path: str = "/run/containerd/containerd.sock"
    gameday_probe_window: str = "1m"
    """``KINDOPS_GAMEDAY_PROBE_WINDOW``: what ``{{.window}}`` becomes in probe queries (at least
    two scrape intervals: ``1m`` for the cluster's 30 s scrapes, ``10s`` in the local lab)."""
    gameday_poll_seconds: float = Field(default=2.0, gt=0, le=60)
    """``KINDOPS_GAMEDAY_POLL_SECONDS``: how often the ChaosResult is read."""
    gameday_verdict_timeout: float = Field(default=300.0, gt=0)
    """``KINDOPS_GAMEDAY_VERDICT_TIMEOUT``: seconds after the fault's duration to wait for the
    ChaosResult verdict before stopping the engine."""
    gameday_argocd_token: SecretStr = SecretStr("")
    """``KINDOPS_GAMEDAY_ARGOCD_TOKEN``: API token of an Argo CD account allowed to get and sync
    the Applications named in the catalog (Secret ``kindops-gameday``)."""
    gameday_argocd_ca: str = ""
    """``KINDOPS_GAMEDAY_ARGOCD_CA``: CA bundle that signed the Argo CD server's certificate;
    empty = the system trust store."""
    grafana_token: SecretStr = SecretStr("")
    grafana_dashboard_uid: str = ""
    """``KINDOPS_GRAFANA_DASHBOARD_UID``: pin the annotations to one dashboard; empty = org-wide."""
    slo_specs: str = "observability/slos"
    """``KINDOPS_SLO_SPECS``: the SLO specs the guard and the burn read."""
    k6_bin: str = ""
    k6_scenarios: str = ""

    @field_validator("gameday_app_python_url", "gameday_app_java_url")
    @classmethod
    def _http(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("argocd_url", "prometheus_url")
    @classmethod
    def _http_or_unset(cls, value: str) -> str:
        """Empty is "not configured": :meth:`prometheus` and the Argo CD step say what needs it."""
        return _http_url(value) if value.strip() else ""

    def prometheus(self) -> str:
        """``KINDOPS_PROMETHEUS_URL``, which a game day cannot run without (exit 2 when unset)."""
        if not self.prometheus_url:
            raise ConfigError(
                "KINDOPS_PROMETHEUS_URL is not set: the game day's probes, budget guard and SLO "
                "burn read Prometheus"
            )
        return self.prometheus_url

    @field_validator("gameday_probe_window")
    @classmethod
    def _window(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]*(ms|s|m|h)", value.strip()):
            raise ValueError("expected a PromQL duration such as 10s or 1m")
        return value.strip()

    def app_url(self, app: str) -> str:
        urls = {"app-python": self.gameday_app_python_url, "app-java": self.gameday_app_java_url}
        if app not in urls:
            raise ConfigError(f"unknown app {app!r}")
        return urls[app]

    def admin_token(self, app: str) -> str:
        tokens = {
            "app-python": self.gameday_app_python_admin_token,
            "app-java": self.gameday_app_java_admin_token,
        }
        token = tokens[app].get_secret_value().strip()
        if not token:
            variable = f"KINDOPS_GAMEDAY_{app.replace('-', '_').upper()}_ADMIN_TOKEN"
            raise ConfigError(f"{variable} is not set: the fault flags of {app} need it")
        return token
