"""Environment of the cost jobs (variables prefixed ``KINDOPS_``, read at start-up).

The endpoints are the lab's (:mod:`kindops.endpoints`): ``KINDOPS_OPENCOST_URL`` (required),
``KINDOPS_PUSHGATEWAY_URL`` (FinOps metrics; empty: not pushed), ``KINDOPS_ALERTMANAGER_URL``
(``CostAnomaly``; empty: no alert) and ``KINDOPS_RUNBOOK_BASE_URL`` (the alert's ``runbook_url`` is
``<base>/CostAnomaly.md``); here they are only checked to be http(s) URLs.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from kindops import endpoints
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

    opencost_timeout: float = Field(default=30.0, gt=0)
    """``KINDOPS_OPENCOST_TIMEOUT``: seconds to wait for one allocation request."""
    opencost_attempts: int = Field(default=3, ge=1, le=10)
    """``KINDOPS_OPENCOST_ATTEMPTS``: tries per request (5xx, timeouts, refused connections)."""
    opencost_backoff: float = Field(default=2.0, ge=0)
    """``KINDOPS_OPENCOST_BACKOFF``: exponential backoff factor between tries, in seconds."""
    cost_alert_hours: float = Field(default=26.0, gt=0)
    """``KINDOPS_COST_ALERT_HOURS``: an anomaly alert stays active this long unless re-sent."""

    @field_validator("opencost_url")
    @classmethod
    def _opencost(cls, value: str) -> str:
        return _http_url(endpoints.required(value), "KINDOPS_OPENCOST_URL", required=True)

    @field_validator("pushgateway_url")
    @classmethod
    def _pushgateway(cls, value: str) -> str:
        return _http_url(value, "KINDOPS_PUSHGATEWAY_URL", required=False)

    @field_validator("alertmanager_url")
    @classmethod
    def _alertmanager(cls, value: str) -> str:
        return _http_url(value, "KINDOPS_ALERTMANAGER_URL", required=False)
