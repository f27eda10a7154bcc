"""Cross-cutting test setup: an isolated Airflow home, set before anything imports Airflow; the
shared fixtures of real local servers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import settings

from tests.support.servers import alertmanager, pushgateway  # noqa: F401 (fixtures)

# No wall-clock deadline on property tests: on a shared machine it only adds flakes; speed is
# what `make bench` measures.
settings.register_profile("kindops", deadline=None)
settings.load_profile("kindops")

ROOT = Path(__file__).resolve().parents[1]
_HOME = tempfile.mkdtemp(prefix="kindops-airflow-home-")

AIRFLOW_ENV = {
    "AIRFLOW_HOME": _HOME,
    "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME}/airflow.db",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
}
for _key, _value in AIRFLOW_ENV.items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("KINDOPS_RUNNER", "local")
# The suite plays "this machine": a CI agent that is itself a pod must not turn the jobs' unset
# endpoints into the lab's in-cluster Services (kindops.endpoints); tests that need a pod say so.
os.environ.pop("KUBERNETES_SERVICE_HOST", None)
