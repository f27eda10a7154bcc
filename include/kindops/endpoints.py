"""The lab's service endpoints, declared once for every job (ADR 0009).

Each is one ``KINDOPS_*_URL`` environment variable, a field of :class:`Endpoints` (and so of
every job's settings, which derive from :class:`~kindops.settings.KindopsSettings`):

=============================  ===================================================================
``KINDOPS_PROMETHEUS_URL``     ``http://kube-prometheus-stack-prometheus.observability.svc:9090``
``KINDOPS_PUSHGATEWAY_URL``    ``http://prometheus-pushgateway.observability.svc:9091``
``KINDOPS_ALERTMANAGER_URL``   ``http://kube-prometheus-stack-alertmanager.observability.svc:9093``
``KINDOPS_GRAFANA_URL``        ``http://kube-prometheus-stack-grafana.observability.svc:80``
``KINDOPS_OPENCOST_URL``       ``http://opencost.opencost.svc:9003``
``KINDOPS_ARGOCD_URL``         ``https://argocd-server.argocd.svc``
``KINDOPS_RUNBOOK_BASE_URL``   ``https://github.com/kindops-lab/kindops-lab/blob/main/docs/runbooks``
=============================  ===================================================================

Where the job runs decides what an unset service endpoint means:

* **in a pod** (``KUBERNETES_SERVICE_HOST`` is set: the kubelet gives it to every container, and
  the Kubernetes client reads it for its in-cluster configuration) an unset endpoint is the lab's
  in-cluster Service above — what a task pod of the lab on kind talks to;
* **anywhere else** (a person at a terminal, the local runner, CI) an unset endpoint is empty:
  that part is off or not configured, as each job documents (no push, no alert, gate disabled),
  and a job that cannot work without it fails at start-up naming the variable (exit 2).

An empty value (``KINDOPS_PUSHGATEWAY_URL=``) turns an endpoint off in a pod too. The runbook
base URL is not a service: it has the one default above everywhere, and ``<base>/<Alert>.md`` is
every alert's ``runbook_url``.

The Airflow side names the same endpoints (``kindops_airflow.contract.ENDPOINTS``, without URLs):
a task declares the ones it needs, and the Airflow Variable ``kindops_<name>_url``, when it
exists, overrides the job's default. ``tests/plugins/test_contract.py`` holds both lists equal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from types import MappingProxyType

from pydantic import Field
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The lab's in-cluster Services: what an unset endpoint is inside a pod.
IN_CLUSTER: Mapping[str, str] = MappingProxyType(
    {
        "prometheus": "http://kube-prometheus-stack-prometheus.observability.svc:9090",
        "pushgateway": "http://prometheus-pushgateway.observability.svc:9091",
        "alertmanager": "http://kube-prometheus-stack-alertmanager.observability.svc:9093",
        "grafana": "http://kube-prometheus-stack-grafana.observability.svc:80",
        "opencost": "http://opencost.opencost.svc:9003",
        "argocd": "https://argocd-server.argocd.svc",
    }
)
#: Where the lab's runbooks are published: ``<base>/<AlertName>.md``. Generated and hand-written
#: rules use this default (they are committed files); the jobs' own alerts read the setting.
RUNBOOK_BASE_URL = "https://github.com/kindops-lab/kindops-lab/blob/main/docs/runbooks"


def in_a_pod(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process runs in a Kubernetes pod (the in-cluster client's own signal)."""
    return bool((os.environ if environ is None else environ).get("KUBERNETES_SERVICE_HOST"))


def default(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The default of the ``name`` service endpoint here: in-cluster in a pod, else empty."""
    return IN_CLUSTER[name] if in_a_pod(environ) else ""


def required(value: str) -> str:
    """Validator of an endpoint a job cannot work without: unset or empty is missing, reported
    at start-up as ``KINDOPS_<NAME>_URL: Field required`` (exit 2)."""
    if not value.strip():
        raise PydanticCustomError("missing", "Field required")
    return value


def env_var(field: str) -> str:
    """The environment variable of an :class:`Endpoints` field: ``KINDOPS_<FIELD>``."""
    return f"KINDOPS_{field.upper()}"


class Endpoints(BaseSettings):
    """The lab's service endpoints (``KINDOPS_*_URL``); the base of every job's settings."""

    model_config = SettingsConfigDict(
        env_prefix="KINDOPS_", extra="ignore", use_attribute_docstrings=True
    )

    prometheus_url: str = Field(default_factory=partial(default, "prometheus"))
    """``KINDOPS_PROMETHEUS_URL``: Prometheus's HTTP API — SLO reports (required), the k6 gate
    (empty: gate disabled), the game day's probes, budget guard and burn (required)."""
    pushgateway_url: str = Field(default_factory=partial(default, "pushgateway"))
    """``KINDOPS_PUSHGATEWAY_URL``: where every job pushes its task outcome and its own metrics
    (backups, costs, k6 results, AWS budgets, report successes); empty: nothing is pushed."""
    alertmanager_url: str = Field(default_factory=partial(default, "alertmanager"))
    """``KINDOPS_ALERTMANAGER_URL``: where the cost review sends ``CostAnomaly``; empty: no
    alert is sent."""
    grafana_url: str = Field(default_factory=partial(default, "grafana"))
    """``KINDOPS_GRAFANA_URL``: Grafana's API — the backup of its provisioning (empty: Grafana is
    skipped unless the backup config requires it) and the game day's annotations (empty: none)."""
    opencost_url: str = Field(default_factory=partial(default, "opencost"))
    """``KINDOPS_OPENCOST_URL``: OpenCost's allocation API, which the cost review reads
    (required by it)."""
    argocd_url: str = Field(default_factory=partial(default, "argocd"))
    """``KINDOPS_ARGOCD_URL``: the lab's Argo CD API server, for game-day scenarios whose cluster
    rollback names an Argo CD Application (required by them; a cluster Service or loopback)."""
    runbook_base_url: str = RUNBOOK_BASE_URL
    """``KINDOPS_RUNBOOK_BASE_URL``: where the runbooks are; the ``runbook_url`` of the alerts the
    jobs send is ``<base>/<AlertName>.md``."""
