"""A local OpenCost allocation API serving synthetic, deterministic data for the demo and tests.

It answers ``GET /allocation/compute`` and ``GET /allocation`` like OpenCost does (same
parameters, same response shape, ``__idle__`` and ``__unallocated__`` included) from a
:class:`Scenario`: workloads with requests and usage, priced with the lab's custom prices.
Days, spikes, gaps, missing pricing and failures (5xx, slow answers) are scenario settings, so
the review's client can be exercised over real HTTP without a cluster. It only ever binds to
127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

GIB = 1024.0**3
CLUSTER = "kind-kindops"
ALLOCATION_PATHS = ("/allocation/compute", "/allocation")


@dataclass(frozen=True)
class Prices:
    """USD prices, in OpenCost's custom-pricing units (the values of the lab's Helm values)."""

    cpu_core_hour: float = 0.031611
    ram_gib_hour: float = 0.004237
    storage_gib_hour: float = 0.00005479452
    egress_gib: float = 0.01


@dataclass(frozen=True)
class Workload:
    namespace: str
    name: str
    kind: str = "deployment"
    """``deployment``, ``statefulset``, ``daemonset``, or ``""`` for a pod without controller."""
    team: str | None = None
    app: str | None = None
    cpu: float = 0.1
    """Requested cores."""
    cpu_used: float = 0.5
    """Usage as a share of the request (above 1 = bursting over the request)."""
    ram_gib: float = 0.25
    ram_used: float = 0.7
    pv_gib: float = 0.0
    egress_gib: float = 0.0
    """Network egress per day."""


LAB_WORKLOADS = (
    Workload("kindops-apps", "app-python", team="apps", app="app-python", cpu=0.5, ram_gib=0.5),
    Workload(
        "kindops-apps",
        "app-python-worker",
        team="apps",
        app="app-python-worker",
        cpu=0.25,
        ram_gib=0.25,
    ),
    Workload(
        "kindops-apps", "app-java", team="apps", app="app-java", cpu=0.5, ram_gib=1.0, cpu_used=0.3
    ),
    Workload(
        "monitoring",
        "prometheus",
        "statefulset",
        team="platform",
        app="prometheus",
        cpu=0.5,
        ram_gib=2.0,
        pv_gib=20,
    ),
    Workload("monitoring", "grafana", team="platform", app="grafana", cpu=0.1, ram_gib=0.25),
    Workload(
        "monitoring",
        "loki",
        "statefulset",
        team="platform",
        app="loki",
        cpu=0.25,
        ram_gib=0.5,
        pv_gib=10,
    ),
    Workload(
        "monitoring",
        "tempo",
        "statefulset",
        team="platform",
        app="tempo",
        cpu=0.25,
        ram_gib=0.5,
        pv_gib=10,
    ),
    Workload(
        "monitoring", "otel-collector", team="platform", app="otel-collector", cpu=0.2, ram_gib=0.25
    ),
    Workload("istio-system", "istiod", team="platform", app="istiod", cpu=0.5, ram_gib=1.0),
    Workload(
        "argocd", "argocd-server", team="platform", app="argocd-server", cpu=0.1, ram_gib=0.25
    ),
    Workload(
        "argocd",
        "argocd-repo-server",
        team="platform",
        app="argocd-repo-server",
        cpu=0.1,
        ram_gib=0.25,
    ),
    Workload("opencost", "opencost", team="finops", app="opencost", cpu=0.1, ram_gib=0.25),
    Workload("airflow", "airflow-scheduler", team="sre", app="airflow", cpu=0.5, ram_gib=1.0),
    Workload("airflow", "airflow-api-server", team="sre", app="airflow", cpu=0.25, ram_gib=0.5),
    Workload(
        "kyverno",
        "kyverno-admission-controller",
        team="platform",
        app="kyverno",
        cpu=0.1,
        ram_gib=0.25,
    ),
    Workload("kube-system", "coredns", app="coredns", cpu=0.2, ram_gib=0.14),
    Workload("kube-system", "kindnet", "daemonset", app="kindnet", cpu=0.1, ram_gib=0.05),
    Workload("kube-system", "etcd-kindops-control-plane", "", cpu=0.1, ram_gib=0.1, pv_gib=0),
)


@dataclass
class Faults:
    """Failures the server injects, consumed per request (thread-safe through the server)."""

    status: int = 0
    """Answer this HTTP status ..."""
    times: int = 0
    """... to this many requests (-1: to every request)."""
    delay: float = 0.0
    """Seconds to wait before answering (the wait ends early when the server stops)."""
    delay_times: int = 0
    """How many requests are delayed (-1: every request)."""


@dataclass
class Scenario:
    workloads: tuple[Workload, ...] = LAB_WORKLOADS
    prices: Prices = field(default_factory=Prices)
    node_cpu: float = 8.0
    node_ram_gib: float = 16.0
    noise: float = 0.03
    """Day-to-day variation of usage and requests (share, deterministic per day and workload)."""
    seed: int = 7
    spikes: dict[tuple[str, date], float] = field(default_factory=dict)
    """``(namespace, day) -> factor`` on the namespace's CPU requests and usage that day."""
    missing_days: set[date] = field(default_factory=set)
    partial_days: dict[date, float] = field(default_factory=dict)
    """``day -> share of the day`` the cluster reported."""
    first_day: date | None = None
    """No data before this day (a cluster installed recently)."""
    priced: bool = True
    """False reproduces OpenCost without pricing: every cost is 0."""
    empty: bool = False
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def synthetic(cls, workloads: int, namespaces: int = 50, teams: int = 10) -> Scenario:
        """A scaled cluster: ``workloads`` deployments over ``namespaces`` and ``teams``."""
        items = []
        for i in range(workloads):
            ns = f"ns-{i % namespaces:03d}"
            items.append(
                Workload(
                    ns,
                    f"svc-{i:04d}",
                    team=f"team-{i % teams:02d}",
                    app=f"svc-{i:04d}",
                    cpu=0.05 + (i % 7) * 0.05,
                    ram_gib=0.1 + (i % 5) * 0.1,
                    pv_gib=float(i % 3),
                    egress_gib=0.1 * (i % 4),
                )
            )
        total_cpu = sum(w.cpu for w in items)
        total_ram = sum(w.ram_gib for w in items)
        return cls(workloads=tuple(items), node_cpu=total_cpu * 1.5, node_ram_gib=total_ram * 1.5)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _jitter(seed: int, *parts: object) -> float:
    """A deterministic value in [-1, 1] for the given parts."""
    key = "|".join(str(p) for p in (seed, *parts)).encode()
    return (zlib.crc32(key) / 0xFFFFFFFF) * 2.0 - 1.0


def _aggregate_value(w: Workload, prop: str) -> str | None:
    if prop == "cluster":
        return CLUSTER
    if prop == "namespace":
        return w.namespace
    if prop in ("deployment", "statefulset", "daemonset"):
        return w.name if w.kind == prop else None
    if prop == "controller":
        return f"{w.kind}:{w.name}" if w.kind else None
    if prop == "controllerKind":
        return w.kind or None
    if prop.startswith("label:"):
        return {"team": w.team, "app": w.app}.get(prop.removeprefix("label:"))
    if prop in ("pod", "container"):
        return w.name
    return None


def _allocation(
    w: Workload, s: Scenario, day: date, start: datetime, hours: float
) -> dict[str, Any]:
    p = s.prices if s.priced else Prices(0.0, 0.0, 0.0, 0.0)
    swing = 1.0 + s.noise * _jitter(s.seed, day, w.namespace, w.name)
    factor = s.spikes.get((w.namespace, day), 1.0)
    cpu_req = w.cpu * swing * factor
    cpu_use = w.cpu * w.cpu_used * swing * factor * (1.0 + s.noise * _jitter(s.seed, "u", day))
    ram_req = w.ram_gib * swing
    ram_use = w.ram_gib * w.ram_used * swing
    cpu_alloc, ram_alloc = max(cpu_req, cpu_use), max(ram_req, ram_use)
    egress = w.egress_gib * swing * hours / 24.0
    cpu_cost = cpu_alloc * hours * p.cpu_core_hour
    ram_cost = ram_alloc * hours * p.ram_gib_hour
    pv_cost = w.pv_gib * hours * p.storage_gib_hour
    net_cost = egress * p.egress_gib
    end = start + timedelta(hours=hours)
    labels = {k: v for k, v in (("team", w.team), ("app", w.app)) if v}
    return {
        "name": w.name,
        "properties": {
            "cluster": CLUSTER,
            "node": "kindops-control-plane",
            "namespace": w.namespace,
            "controller": w.name if w.kind else "",
            "controllerKind": w.kind,
            "labels": labels,
        },
        "window": {"start": _iso(start), "end": _iso(start + timedelta(days=1))},
        "start": _iso(start),
        "end": _iso(end),
        "minutes": hours * 60.0,
        "cpuCores": cpu_alloc,
        "cpuCoreRequestAverage": cpu_req,
        "cpuCoreUsageAverage": cpu_use,
        "cpuCoreHours": cpu_alloc * hours,
        "cpuCost": cpu_cost,
        "cpuCostAdjustment": 0.0,
        "cpuEfficiency": min(cpu_use / cpu_req, 1.0) if cpu_req else 1.0,
        "gpuCount": 0.0,
        "gpuHours": 0.0,
        "gpuCost": 0.0,
        "gpuCostAdjustment": 0.0,
        "networkTransferBytes": egress * GIB,
        "networkReceiveBytes": egress * GIB / 2,
        "networkCost": net_cost,
        "networkCrossZoneCost": 0.0,
        "networkCrossRegionCost": 0.0,
        "networkInternetCost": net_cost,
        "networkCostAdjustment": 0.0,
        "loadBalancerCost": 0.0,
        "loadBalancerCostAdjustment": 0.0,
        "pvBytes": w.pv_gib * GIB,
        "pvByteHours": w.pv_gib * GIB * hours,
        "pvCost": pv_cost,
        "pvCostAdjustment": 0.0,
        "ramBytes": ram_alloc * GIB,
        "ramByteRequestAverage": ram_req * GIB,
        "ramByteUsageAverage": ram_use * GIB,
        "ramByteHours": ram_alloc * GIB * hours,
        "ramCost": ram_cost,
        "ramCostAdjustment": 0.0,
        "ramEfficiency": min(ram_use / ram_req, 1.0) if ram_req else 1.0,
        "externalCost": 0.0,
        "sharedCost": 0.0,
        "totalCost": cpu_cost + ram_cost + pv_cost + net_cost,
        "totalEfficiency": 0.0,
        "rawAllocationOnly": None,
    }


_SUMMED = (
    "minutes", "cpuCores", "cpuCoreRequestAverage", "cpuCoreUsageAverage", "cpuCoreHours",
    "cpuCost", "gpuCount", "gpuHours", "gpuCost", "networkTransferBytes", "networkReceiveBytes",
    "networkCost", "networkInternetCost", "loadBalancerCost", "pvBytes", "pvByteHours", "pvCost",
    "ramBytes", "ramByteRequestAverage", "ramByteUsageAverage", "ramByteHours", "ramCost",
    "externalCost", "sharedCost", "totalCost",
)  # fmt: skip


def _efficiency(a: dict[str, Any]) -> None:
    cpu_req, cpu_use = a["cpuCoreRequestAverage"], a["cpuCoreUsageAverage"]
    ram_req, ram_use = a["ramByteRequestAverage"], a["ramByteUsageAverage"]
    a["cpuEfficiency"] = (cpu_use / cpu_req) if cpu_req else (1.0 if cpu_use else 0.0)
    a["ramEfficiency"] = (ram_use / ram_req) if ram_req else (1.0 if ram_use else 0.0)
    weight = a["cpuCost"] + a["ramCost"]
    a["totalEfficiency"] = (
        (a["cpuEfficiency"] * a["cpuCost"] + a["ramEfficiency"] * a["ramCost"]) / weight
        if weight
        else 0.0
    )


def day_allocations(s: Scenario, day: date, aggregate: str) -> dict[str, dict[str, Any]]:
    """One day's allocations aggregated by ``aggregate`` (comma-separated fields), idle included."""
    if s.empty or day in s.missing_days or (s.first_day and day < s.first_day):
        return {}
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    hours = 24.0 * s.partial_days.get(day, 1.0)
    props = aggregate.split(",")
    out: dict[str, dict[str, Any]] = {}
    for w in s.workloads:
        a = _allocation(w, s, day, start, hours)
        key = "/".join(_aggregate_value(w, p) or "__unallocated__" for p in props)
        if key not in out:
            a["name"] = key
            out[key] = a
            continue
        agg = out[key]
        for f in _SUMMED:
            agg[f] += a[f]
        agg["start"], agg["end"] = min(agg["start"], a["start"]), max(agg["end"], a["end"])
        shared = {k: v for k, v in agg["properties"].items() if a["properties"].get(k) == v}
        agg["properties"] = shared
    for a in out.values():
        _efficiency(a)
    # Idle: capacity of the node that no allocation used (OpenCost's __idle__).
    p = s.prices if s.priced else Prices(0.0, 0.0, 0.0, 0.0)
    used_cpu = sum(a["cpuCoreHours"] for a in out.values())
    used_ram = sum(a["ramByteHours"] for a in out.values()) / GIB
    idle_cpu = max(s.node_cpu * hours - used_cpu, 0.0)
    idle_ram = max(s.node_ram_gib * hours - used_ram, 0.0)
    idle = {
        "name": "__idle__",
        "properties": {"cluster": CLUSTER},
        "window": {"start": _iso(start), "end": _iso(start + timedelta(days=1))},
        "start": _iso(start),
        "end": _iso(start + timedelta(hours=hours)),
        "minutes": hours * 60.0,
        **{f: 0.0 for f in _SUMMED},
        "cpuCoreHours": idle_cpu,
        "cpuCost": idle_cpu * p.cpu_core_hour,
        "ramByteHours": idle_ram * GIB,
        "ramCost": idle_ram * p.ram_gib_hour,
    }
    idle["totalCost"] = idle["cpuCost"] + idle["ramCost"]
    idle.update(cpuEfficiency=0.0, ramEfficiency=0.0, totalEfficiency=0.0)
    out["__idle__"] = idle
    return out


def _parse_window(text: str) -> tuple[date, date]:
    """``start,end`` (RFC 3339) or ``Nd`` ending today; returns the first and last UTC day."""
    text = text.strip()
    if text.endswith("d") and text[:-1].isdigit():
        today = datetime.now(UTC).date()
        return today - timedelta(days=int(text[:-1]) - 1), today
    start_s, sep, end_s = text.partition(",")
    if not sep:
        raise ValueError("window must be 'start,end' or 'Nd'")
    start = datetime.fromisoformat(start_s)
    end = datetime.fromisoformat(end_s)
    if end <= start:
        raise ValueError("window end must be after its start")
    last = (end - timedelta(seconds=1)).astimezone(UTC).date()
    return start.astimezone(UTC).date(), last


def allocation_response(s: Scenario, query: dict[str, str]) -> dict[str, Any]:
    first, last = _parse_window(query.get("window", ""))
    aggregate = query.get("aggregate", "namespace") or "namespace"
    if query.get("step", "1d") != "1d":
        raise ValueError("this server only serves step=1d")
    include_idle = query.get("includeIdle", "false").lower() == "true"
    data = []
    day = first
    while day <= last:
        step = day_allocations(s, day, aggregate)
        if not include_idle:
            step.pop("__idle__", None)
        data.append(step)
        day += timedelta(days=1)
    return {"code": 200, "data": data}


class _Handler(BaseHTTPRequestHandler):
    server: DemoOpenCost

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo opencost: " + format, *args)

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._send(200, b"ok", "text/plain")
            return
        if url.path not in ALLOCATION_PATHS:
            self._send(404, b'{"code":404,"message":"not found"}')
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        status, delay = self.server.take_fault(query)
        if delay:
            self.server.stopping.wait(delay)
        if status:
            self._send(status, json.dumps({"code": status, "message": "injected"}).encode())
            return
        try:
            body = self.server.render(url.query, query)
        except ValueError as exc:
            self._send(400, json.dumps({"code": 400, "message": str(exc)}).encode())
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(200, body)


class DemoOpenCost(ThreadingHTTPServer):
    """The server; ``with DemoOpenCost(scenario) as oc: oc.url`` runs it in a thread."""

    daemon_threads = True

    def __init__(self, scenario: Scenario | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.scenario = scenario or Scenario()
        self.requests: list[dict[str, str]] = []
        self.stopping = threading.Event()
        self.cache: dict[str, bytes] = {}
        self.cache_enabled = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def take_fault(self, query: dict[str, str]) -> tuple[int, float]:
        with self._lock:
            self.requests.append(query)
            f = self.scenario.faults
            status = 0
            if f.status and f.times != 0:
                status = f.status
                f.times = f.times - 1 if f.times > 0 else f.times
            delay = 0.0
            if f.delay and f.delay_times != 0:
                delay = f.delay
                f.delay_times = f.delay_times - 1 if f.delay_times > 0 else f.delay_times
            return status, delay

    def render(self, raw_query: str, query: dict[str, str]) -> bytes:
        if self.cache_enabled and raw_query in self.cache:
            return self.cache[raw_query]
        body = json.dumps(allocation_response(self.scenario, query)).encode()
        if self.cache_enabled:
            self.cache[raw_query] = body
        return body

    def start(self) -> DemoOpenCost:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-opencost"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> DemoOpenCost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
