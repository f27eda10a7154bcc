"""The guard in front of every injection: where the fault may go, and whether the budget allows it.

Nothing is injected until the guard passes. A refusal is :class:`GuardRefused` (exit 2, one line).

**Cluster runner** (:mod:`kindops.gameday.kube`). Only a kind lab cluster named in
``KINDOPS_GAMEDAY_ALLOWED_CLUSTERS``:

* from a kubeconfig (a laptop, an Airflow worker): the *current* context must be ``kind-<name>``
  with ``<name>`` allowed, its cluster entry must be ``kind-<name>`` too, and the server must be
  loopback (kind publishes the API server on 127.0.0.1) or kind's own node name
  (``<name>-control-plane``, as ``kind get kubeconfig --internal`` writes);
* in a task pod (no kubeconfig, the service account's in-cluster config): the server address says
  nothing, so the cluster must prove it is that kind cluster;
* in both cases the API server is then asked who it is: kubeadm's ``kube-public/cluster-info``
  ConfigMap must name ``<name>-control-plane`` as the control-plane endpoint. A tunnel from a
  loopback port to another cluster fails here.

The allow-list is parsed strictly: empty, a wildcard or a glob, or a name kind would not accept
is a refusal, never "allow any".

**Local runner.** Every URL the run touches to inject must be loopback.

**Both.** Each SLO of the target service must have at least ``KINDOPS_GAMEDAY_MIN_BUDGET`` of its
error budget left (Prometheus, :func:`kindops.slo.budget.remaining_budget`); no SLO data is a
refusal (unknown is not "plenty left").
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from kindops.errors import ConfigError
from kindops.k6 import gate

log = logging.getLogger("kindops.gameday")

#: kind cluster names are DNS labels (kind refuses anything else).
KIND_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$")
_GLOB = set("*?[]{}!^$|+\\/ ")


class GuardRefused(ConfigError):
    """The guard refused the run (exit 2): nothing was injected."""


def allowed_clusters(raw: str) -> tuple[str, ...]:
    """The allow-list of kind cluster names; anything but plain names is refused."""
    names = [n.strip() for n in (raw or "").split(",")]
    names = [n for n in names if n]
    if not names:
        raise GuardRefused(
            "refused: KINDOPS_GAMEDAY_ALLOWED_CLUSTERS is empty; name the kind clusters a game "
            "day may break (an empty list never means 'any')"
        )
    for name in names:
        if _GLOB & set(name) or not KIND_NAME.match(name):
            raise GuardRefused(
                f"refused: KINDOPS_GAMEDAY_ALLOWED_CLUSTERS entry {name!r} is not a kind cluster "
                "name (plain lower-case names only; wildcards and patterns are not allowed)"
            )
    return tuple(dict.fromkeys(names))


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    try:
        parsed = urlparse(url)
        return parsed.hostname or ""
    except ValueError:
        return ""


def admit_local(urls: dict[str, str]) -> None:
    """The local runner's guard: every URL it injects through is on this machine."""
    for what, url in sorted(urls.items()):
        host = host_of(url)
        if not host or not is_loopback_host(host):
            raise GuardRefused(
                f"refused: the local runner only injects into this machine, but {what} is {url}"
            )


@dataclass(frozen=True)
class BudgetCheck:
    service: str
    min_remaining: float
    budgets: dict[str, float | None]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "min_remaining": self.min_remaining,
            "budgets": self.budgets,
            "reason": self.reason,
        }


def check_budget(
    read: gate.BudgetReader, service: str, slos: list[str], min_remaining: float
) -> BudgetCheck:
    """Refuse when an SLO of ``service`` has less than ``min_remaining`` of its budget left."""
    decision = gate.evaluate(read, service, slos, min_remaining)
    reason = decision.reason.replace("error-budget gate", "error-budget guard")
    if decision.closed:
        raise GuardRefused(f"refused: {reason}")
    return BudgetCheck(service, min_remaining, dict(decision.budgets), reason)
