"""Settings shared by every command, read from the environment first.

Each job adds its own settings class deriving from :class:`KindopsSettings`; a missing required
value fails at start-up with a :class:`~kindops.errors.ConfigError` naming the variable. The
lab's service endpoints (``KINDOPS_*_URL``) are declared once, in :mod:`kindops.endpoints`, and
every job's settings inherit them from here: a job never declares an endpoint of its own.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from kindops.endpoints import Endpoints
from kindops.errors import ConfigError

S = TypeVar("S", bound=BaseSettings)


class KindopsSettings(Endpoints):
    """Common settings, the lab's endpoints included. Environment variables are prefixed
    ``KINDOPS_``."""

    model_config = SettingsConfigDict(env_prefix="KINDOPS_", extra="ignore")

    artifacts: str = "artifacts"
    """Artifact store root: a local folder or any fsspec URL (``s3://bucket/prefix``)."""
    log_level: str = "WARNING"
    """JSON logs on stderr at this level; task pods and the local runner use INFO."""
    run_id: str = ""
    """Identifies the run (Airflow passes ``<dag_id>/<logical date>``); empty means "now"."""
    xcom_path: str = ""
    """When set, the result document is also written here (``/airflow/xcom/return.json``)."""


def load(cls: type[S]) -> S:
    """Instantiate a settings class, turning validation errors into one clear ConfigError."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        problems = []
        for err in exc.errors():
            name = prefix + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
