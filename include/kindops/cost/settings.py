"""Environment of the cost jobs (variables prefixed ``KINDOPS_``, read at start-up)."""

from __future__ import annotations

from pydantic import Field, field_validator

from kindops.settings import KindopsSettings


def _http_url(value: str, name: str, required: bool) -> str:
    value = value.strip().rstrip("/")
    if not value and not required:
        return ""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http(s) URL, got {value!r}")
    return value


class CostSettings(KindopsSettings):
    """``kindops cost review`` settings; thresholds are command options."""

    opencost_url: str
    """``KINDOPS_OPENCOST_URL``: OpenCost's API, e.g. ``http://opencost.opencost.svc:9003``."""
    opencost_timeout: float = Field(default=30.0, gt=0)
    """``KINDOPS_OPENCOST_TIMEOUT``: seconds to wait for one allocation request."""
    opencost_attempts: int = Field(default=3, ge=1, le=10)
    """``KINDOPS_OPENCOST_ATTEMPTS``: tries per request (5xx, timeouts, refused connections)."""
    opencost_backoff: float = Field(default=2.0, ge=0)
    """``KINDOPS_OPENCOST_BACKOFF``: exponential backoff factor between tries, in seconds."""
    pushgateway_url: str = ""
    """``KINDOPS_PUSHGATEWAY_URL``: Pushgateway for the FinOps metrics; empty = do not push."""
    alertmanager_url: str = ""
    """``KINDOPS_ALERTMANAGER_URL``: Alertmanager for ``CostAnomaly``; empty = do not alert."""
    runbook_base_url: str = "https://github.com/kindops-lab/kindops-lab/blob/main/docs/runbooks"
    """``KINDOPS_RUNBOOK_BASE_URL``: the alert's ``runbook_url`` is ``<base>/<alert>.md``."""
    cost_alert_hours: float = Field(default=26.0, gt=0)
    """``KINDOPS_COST_ALERT_HOURS``: an anomaly alert stays active this long unless re-sent."""

    @field_validator("opencost_url")
    @classmethod
    def _opencost(cls, value: str) -> str:
        return _http_url(value, "KINDOPS_OPENCOST_URL", required=True)

    @field_validator("pushgateway_url")
    @classmethod
    def _pushgateway(cls, value: str) -> str:
        return _http_url(value, "KINDOPS_PUSHGATEWAY_URL", required=False)

    @field_validator("alertmanager_url")
    @classmethod
    def _alertmanager(cls, value: str) -> str:
        return _http_url(value, "KINDOPS_ALERTMANAGER_URL", required=False)
