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

Its Argo CD (scenarios whose rollback names an Argo CD Application) must be the lab's own: a
Service address of the cluster (``<service>.<namespace>.svc[.cluster.local]``) or loopback (a
port-forward), never another host.

**Local runner.** Every URL the run touches to inject must be loopback.

**Both.** Each SLO of the target service must have at least ``KINDOPS_GAMEDAY_MIN_BUDGET`` of its
error budget left (Prometheus, :func:`kindops.slo.budget.remaining_budget`); no SLO data is a
refusal (unknown is not "plenty left"). The floor must be above 0 (:func:`budget_floor`): a floor
of 0 lets a game day spend the last of a budget, which takes ``--allow-zero-min-budget`` — an
explicit choice, recorded in the journal and logged as a warning, never a config slip.
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


_CLUSTER_SERVICE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.cluster\.local)?$"
)


def admit_argocd(url: str) -> None:
    """The Argo CD the cluster runner rolls back through is the lab's: a cluster Service or
    loopback (``kubectl port-forward``)."""
    host = host_of(url).lower()
    if not host or not (is_loopback_host(host) or _CLUSTER_SERVICE.match(host)):
        raise GuardRefused(
            f"refused: KINDOPS_ARGOCD_URL {url} is not the lab's Argo CD (a Service "
            "address <service>.<namespace>.svc of the cluster, or loopback)"
        )


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


#: The flag that lets a game day run with a budget floor of 0.
ZERO_FLOOR_FLAG = "--allow-zero-min-budget"


@dataclass(frozen=True)
class Floor:
    """The budget floor of a run, where it came from, and whether 0 was allowed on purpose."""

    value: float
    source: str
    zero_allowed: bool = False

    @property
    def overridden(self) -> bool:
        """The floor is 0: only possible with the override."""
        return self.value == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_remaining": self.value,
            "source": self.source,
            "allow_zero_min_budget": self.zero_allowed,
            "overridden": self.overridden,
        }


def budget_floor(value: float, source: str, allow_zero: bool = False) -> Floor:
    """The minimum share of error budget a run needs: in (0, 1], or exactly 0 with the override.

    ``source`` names where the value came from (``--min-budget`` or the variable) for the error.
    """
    if value != value or not 0 <= value <= 1:
        raise ConfigError(f"{source} {value}: expected a share from 0 to 1")
    if value == 0 and not allow_zero:
        raise GuardRefused(
            f"refused: {source} 0 switches the error-budget guard's floor off (a game day could "
            f"spend the last of a budget); use a share above 0, or pass {ZERO_FLOOR_FLAG} to "
            "accept that on purpose"
        )
    floor = Floor(value, source, allow_zero)
    if floor.overridden:
        log.warning(
            "error-budget floor is 0 (%s): this game day may spend the last of the budget",
            ZERO_FLOOR_FLAG,
            extra={"source": source},
        )
    return floor
