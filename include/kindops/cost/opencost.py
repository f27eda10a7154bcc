"""OpenCost's allocation API: a bounded-retry client and a parser for its documented shape.

``GET <base>/allocation/compute?window=<start>,<end>&aggregate=<agg>&step=1d&includeIdle=true
&shareIdle=false&accumulate=false`` answers ``{"code": 200, "data": [{...}, {...}]}``: one map
per step (here one per UTC day), each from an allocation name (``payments``,
``payments/api``, ``__idle__``, ``__unallocated__``) to an allocation object with its window,
resource figures and costs (``cpuCost``, ``ramCost``, ``pvCost``, ..., ``totalCost``) in USD.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kindops.errors import ConfigError, DependencyError

log = logging.getLogger(__name__)

IDLE = "__idle__"
UNALLOCATED = "__unallocated__"
DAY = timedelta(days=1)
#: Cost components of an allocation, by the prefix of their ``<name>Cost`` field.
COMPONENTS = ("cpu", "gpu", "ram", "pv", "network", "loadBalancer", "shared", "external")
#: Dimensions the review knows by name, and the OpenCost aggregate each one queries.
#: ``deployment`` is aggregated with its namespace so two ``api`` deployments stay apart.
ALIASES = {"deployment": "namespace,deployment", "controller": "namespace,controller"}
_FIELDS = frozenset(
    {
        "cluster",
        "node",
        "namespace",
        "controllerKind",
        "controller",
        "deployment",
        "statefulset",
        "daemonset",
        "job",
        "service",
        "pod",
        "container",
    }
)


def opencost_aggregate(dimension: str) -> str:
    """The ``aggregate`` parameter for a review dimension, validated."""
    aggregate = ALIASES.get(dimension, dimension)
    for part in aggregate.split(","):
        kind, sep, name = part.partition(":")
        if sep:
            ok = (
                kind in ("label", "annotation")
                and name
                and all(c.isalnum() or c in "_.-/" for c in name)
            )
        else:
            ok = part in _FIELDS
        if not ok:
            raise ConfigError(
                f"--aggregate {dimension!r}: expected namespace, deployment, controller, "
                "label:<name>, annotation:<name> or another OpenCost aggregate field"
            )
    return aggregate


@dataclass(frozen=True, slots=True)
class Allocation:
    """One allocation of one day, reduced to what the review reads."""

    name: str
    start: datetime
    end: datetime
    costs: Mapping[str, float]
    total: float
    cpu_request: float
    """Average requested CPU cores."""
    cpu_usage: float
    ram_request: float
    """Average requested RAM bytes."""
    ram_usage: float
    cpu_core_hours: float
    cpu_efficiency: float
    ram_efficiency: float
    total_efficiency: float


@dataclass
class DayData:
    day: date
    allocations: dict[str, Allocation]

    @property
    def total(self) -> float:
        return sum(a.total for a in self.allocations.values())

    @property
    def coverage(self) -> float:
        """Share of the day between the earliest start and the latest end of its allocations."""
        if not self.allocations:
            return 0.0
        start = min(a.start for a in self.allocations.values())
        end = max(a.end for a in self.allocations.values())
        return max(0.0, min(1.0, (end - start) / DAY))

    @property
    def priced(self) -> bool:
        """False when the day has resources but every cost is zero (no pricing configured)."""
        return self.total != 0.0 or not any(
            a.cpu_core_hours > 0 or a.cpu_request > 0 or a.ram_request > 0
            for a in self.allocations.values()
        )


@dataclass
class Series:
    """The allocations of one dimension over the queried days (days without data are absent)."""

    dimension: str
    aggregate: str
    days: dict[date, DayData] = field(default_factory=dict)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a time")
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _num(doc: Mapping[str, Any], key: str) -> float:
    value = doc.get(key)
    if value is None:
        return 0.0
    number = float(value)
    return number if math.isfinite(number) else 0.0


def parse_allocation(name: str, doc: Mapping[str, Any]) -> Allocation:
    window = doc.get("window") or {}
    start = _time(doc.get("start") or window.get("start"), f"{name}.start")
    end = _time(doc.get("end") or window.get("end"), f"{name}.end")
    costs = {c: _num(doc, f"{c}Cost") for c in COMPONENTS}
    total = _num(doc, "totalCost") if "totalCost" in doc else sum(costs.values())
    return Allocation(
        name=name,
        start=start,
        end=end,
        costs=costs,
        total=total,
        cpu_request=_num(doc, "cpuCoreRequestAverage"),
        cpu_usage=_num(doc, "cpuCoreUsageAverage"),
        ram_request=_num(doc, "ramByteRequestAverage"),
        ram_usage=_num(doc, "ramByteUsageAverage"),
        cpu_core_hours=_num(doc, "cpuCoreHours"),
        cpu_efficiency=_num(doc, "cpuEfficiency"),
        ram_efficiency=_num(doc, "ramEfficiency"),
        total_efficiency=_num(doc, "totalEfficiency"),
    )


def _step_day(step: Mapping[str, Any], fallback: date) -> date:
    for doc in step.values():
        if isinstance(doc, Mapping):
            window = doc.get("window") or {}
            value = window.get("start") or doc.get("start")
            if isinstance(value, str):
                return _time(value, "window.start").astimezone(UTC).date()
    return fallback


def parse_steps(
    dimension: str, aggregate: str, data: Any, first: date, last: date, endpoint: str
) -> Series:
    """Turn the ``data`` list (one map per day) into a :class:`Series` of ``first..last``."""
    series = Series(dimension, aggregate)
    if data is None:
        return series
    if not isinstance(data, list):
        raise DependencyError(f"OpenCost {endpoint}: 'data' is not a list of steps")
    for index, step in enumerate(data):
        if not step:
            continue
        if not isinstance(step, Mapping):
            raise DependencyError(f"OpenCost {endpoint}: step {index} is not a map of allocations")
        try:
            day = _step_day(step, first + index * DAY)
            allocations = {
                str(name): parse_allocation(str(name), doc)
                for name, doc in step.items()
                if isinstance(doc, Mapping)
            }
        except (TypeError, ValueError) as exc:
            raise DependencyError(
                f"OpenCost {endpoint}: unexpected allocation in step {index}: {exc}"
            ) from None
        if not first <= day <= last:
            log.warning("ignoring a step outside the window", extra={"day": str(day)})
            continue
        if allocations:
            series.days[day] = DayData(day, allocations)
    return series


class OpenCostClient:
    """``/allocation/compute`` with a per-request timeout and bounded, backed-off retries."""

    def __init__(self, base_url: str, timeout: float, attempts: int, backoff: float) -> None:
        self.endpoint = base_url.rstrip("/") + "/allocation/compute"
        self.timeout = timeout
        self.attempts = attempts
        retry = Retry(
            total=attempts - 1,
            connect=attempts - 1,
            read=attempts - 1,
            status=attempts - 1,
            other=0,
            backoff_factor=backoff,
            backoff_max=60,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def _get(self, params: Mapping[str, str]) -> Any:
        tries = f"{self.attempts} attempt(s) of {self.timeout:g}s"
        try:
            resp = self.session.get(self.endpoint, params=dict(params), timeout=self.timeout)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
                reason = "timed out"
            elif isinstance(exc, requests.ConnectionError):
                reason = "connection failed"
            raise DependencyError(
                f"OpenCost {self.endpoint} unreachable after {tries}: {reason}"
            ) from None
        if resp.status_code >= 500:
            raise DependencyError(
                f"OpenCost {self.endpoint} answered HTTP {resp.status_code} after {tries}"
            )
        body = resp.text[:200].replace("\n", " ")
        if resp.status_code >= 400:
            raise ConfigError(
                f"OpenCost {self.endpoint} rejected the query "
                f"(aggregate={params.get('aggregate')}): HTTP {resp.status_code}: {body}"
            )
        try:
            doc = resp.json()
        except ValueError:
            raise DependencyError(f"OpenCost {self.endpoint} did not answer JSON: {body}") from None
        if not isinstance(doc, dict):
            raise DependencyError(f"OpenCost {self.endpoint} answered an unexpected document")
        code = doc.get("code", 200)
        if code != 200:
            raise DependencyError(
                f"OpenCost {self.endpoint} answered code {code}: {doc.get('message', '')}"
            )
        return doc.get("data")

    def allocations(self, dimension: str, first: date, last: date) -> Series:
        """Daily allocations of ``first..last`` (inclusive), idle included, aggregated."""
        aggregate = opencost_aggregate(dimension)
        params = {
            "window": f"{_iso(day_start(first))},{_iso(day_start(last) + DAY)}",
            "aggregate": aggregate,
            "step": "1d",
            "accumulate": "false",
            "includeIdle": "true",
            "shareIdle": "false",
            "idleByNode": "false",
        }
        log.info("querying OpenCost", extra={"endpoint": self.endpoint, **params})
        data = self._get(params)
        return parse_steps(dimension, aggregate, data, first, last, self.endpoint)

    def fetch(self, dimensions: Iterable[str], first: date, last: date) -> list[Series]:
        return [self.allocations(d, first, last) for d in dimensions]
