"""The game-day scenario catalog: ``include/chaos/<name>.yaml``, one scenario per file.

A scenario is a Chaos Toolkit-style experiment written for both runners:

* ``target``: what is broken (the app, its component, the SLO service it burns, where it runs in
  the cluster and, for the local runner, which supervised process it is);
* ``fault``: what is injected and for how long (``pod-delete``, ``pod-cpu-hog``,
  ``pod-network-latency`` or ``fault-flags``);
* ``steady_state``: the hypothesis as probes — Prometheus queries with a tolerance (``max``,
  ``min`` or ``range``) and HTTP checks with an expected status — each checked in the phases it
  names (``before``, ``during`` sampled every ``interval``, ``after``);
* ``load``: the k6 scenario that runs during the whole experiment (VUs, duration, warm-up) and the
  load thresholds the run is judged on;
* ``safeguards``: probes whose tolerance is the safe zone; ``consecutive`` failures in a row abort;
* ``recovery``: how long after the fault the ``after`` hypothesis may take to hold again;
* ``rollback``: what restores service when it does not (local: restart the process; cluster:
  abort the Argo Rollout and/or roll the Argo CD Application back to its previous sync).

Every model rejects unknown keys, so a typo is an error naming the file and the field, never a
silently ignored setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kindops.errors import ConfigError

VERSION = "kindops/gameday/v1"
#: Where the catalog is looked for when KINDOPS_GAMEDAY_CATALOG is unset.
DEFAULT_DIRS = (
    Path(__file__).resolve().parents[2] / "chaos",
    Path("/opt/kindops-data/chaos"),  # the jobs image
)
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
APPS = ("app-python", "app-java")
#: Ports of the apps' Services (Litmus HTTP chaos needs the target's service port).
APP_PORTS = {"app-python": 8000, "app-java": 8080}
Phase = Literal["before", "during", "after"]
PHASES: tuple[Phase, ...] = ("before", "during", "after")
WINDOW_RE = re.compile(r"\{\{\s*\.window\s*\}\}")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(value: object) -> float:
    """``"90s"``, ``"2m"``, ``"1m30s"``, ``"500ms"``, or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("ms") and text[:-2].isdigit():
            seconds = int(text[:-2]) / 1000
        else:
            match = _DURATION.match(text)
            if not text or not match or not any(match.groups()):
                raise ValueError(f"invalid duration {value!r} (use e.g. 500ms, 30s, 2m, 1m30s)")
            h, m, s = match.groups()
            seconds = int(h or 0) * 3600 + int(m or 0) * 60 + float(s or 0)
    else:
        raise ValueError(f"invalid duration {value!r}")
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be positive")
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds as the shortest catalog duration (``90.0`` -> ``"90s"``, ``0.5`` -> ``"500ms"``)."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    return f"{seconds:g}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]
Name = Annotated[str, Field(min_length=1, max_length=48, pattern=NAME_RE.pattern)]
App = Literal["app-python", "app-java"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(_Strict):
    """The range a probe's value must stay in: ``max``, ``min``, both, or ``range: [lo, hi]``."""

    min: float | None = None
    max: float | None = None
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Tolerance:
        if self.range is not None:
            if self.min is not None or self.max is not None:
                raise ValueError("use either range or min/max, not both")
            if self.range[0] > self.range[1]:
                raise ValueError(f"range {list(self.range)}: the lower bound exceeds the upper")
        elif self.min is None and self.max is None:
            raise ValueError("a tolerance needs max, min or range")
        elif self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} exceeds max {self.max}")
        return self

    @property
    def low(self) -> float | None:
        return self.range[0] if self.range is not None else self.min

    @property
    def high(self) -> float | None:
        return self.range[1] if self.range is not None else self.max

    def met(self, value: float) -> bool:
        if value != value:  # NaN is never within tolerance
            return False
        low, high = self.low, self.high
        return (low is None or value >= low) and (high is None or value <= high)

    def describe(self) -> str:
        low, high = self.low, self.high
        if low is not None and high is not None:
            return f"in [{low:g}, {high:g}]"
        return f"<= {high:g}" if high is not None else f">= {low:g}"


class _ProbeBase(_Strict):
    name: Name
    description: str = ""
    timeout: Duration = 5.0
    phases: tuple[Phase, ...] = PHASES

    @field_validator("phases")
    @classmethod
    def _phases(cls, value: tuple[Phase, ...]) -> tuple[Phase, ...]:
        if not value:
            raise ValueError("name at least one phase (before, during, after)")
        if len(set(value)) != len(value):
            raise ValueError("phases repeat")
        return value


class HttpProbe(_ProbeBase):
    """``GET <app URL><path>`` answers ``status``."""

    type: Literal["http"]
    app: App
    path: str = Field(pattern=r"^/[^\s]*$")
    status: int = Field(default=200, ge=100, le=599)


class PrometheusProbe(_ProbeBase):
    """An instant query whose single value must be within ``tolerance`` (no data = not met).

    ``{{.window}}`` in the query becomes the runner's probe window (KINDOPS_GAMEDAY_PROBE_WINDOW)
    so one query fits the cluster's scrape interval and the local lab's.
    """

    type: Literal["prometheus"]
    query: str = Field(min_length=1)
    tolerance: Tolerance

    @field_validator("query")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        if "{{" in WINDOW_RE.sub("", value) or "}}" in WINDOW_RE.sub("", value):
            raise ValueError("only the {{.window}} placeholder is supported")
        return value

    def rendered(self, window: str) -> str:
        return " ".join(WINDOW_RE.sub(window, self.query).split())


Probe = Annotated[HttpProbe | PrometheusProbe, Field(discriminator="type")]


class SteadyState(_Strict):
    title: str = Field(min_length=1)
    interval: Duration = 2.0
    """How often the ``during`` probes are sampled while the fault is on."""
    probes: tuple[Probe, ...]

    @model_validator(mode="after")
    def _coverage(self) -> SteadyState:
        names = [p.name for p in self.probes]
        if len(set(names)) != len(names):
            raise ValueError(f"probe names repeat: {sorted(names)}")
        for phase in PHASES:
            if not any(phase in p.phases for p in self.probes):
                raise ValueError(f"no steady-state probe checks the {phase!r} phase")
        return self

    def for_phase(self, phase: Phase) -> list[HttpProbe | PrometheusProbe]:
        return [p for p in self.probes if phase in p.phases]


class Safeguards(_Strict):
    interval: Duration = 1.0
    probes: tuple[Probe, ...]
    consecutive: int = Field(default=1, ge=1, le=100)
    """A safeguard trips after this many failed samples in a row (1 = the first)."""

    @field_validator("probes")
    @classmethod
    def _some(cls, value: tuple[Probe, ...]) -> tuple[Probe, ...]:
        if not value:
            raise ValueError("a scenario needs at least one safeguard")
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError(f"safeguard names repeat: {sorted(names)}")
        return value


class Target(_Strict):
    app: App
    component: Literal["api", "worker"] = "api"
    service: Name
    """The SLO service (``observability/slos``) whose budget guards and measures the run."""
    slos: tuple[Name, ...] = ()
    """The SLOs of ``service`` this fault spends: the guard refuses when one of them has too
    little budget left. Empty = every SLO of the service. The burn is reported for all."""
    namespace: Name = "apps"
    kind: Literal["deployment", "rollout"] = "rollout"
    labels: str = Field(min_length=3, pattern=r"^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]+$")
    """Label selector of the target pods (``key=value``), as Litmus ``appinfo.applabel``."""
    container: Name | None = None

    @model_validator(mode="after")
    def _worker(self) -> Target:
        if self.component == "worker" and self.app != "app-python":
            raise ValueError("only app-python has a worker component")
        return self

    @property
    def process(self) -> str:
        """The local supervisor's name for the target process (``app-python-api``)."""
        return f"{self.app}-{self.component}"

    @property
    def port(self) -> int:
        return APP_PORTS[self.app]


class Flags(_Strict):
    """The apps' game-day fault flags (``GET/PUT /admin/faults``); unset = left off."""

    error_rate: float | None = Field(default=None, gt=0, le=1)
    latency_ms: int | None = Field(default=None, gt=0, le=30000)
    worker_slow_ms: int | None = Field(default=None, gt=0, le=600000)

    @model_validator(mode="after")
    def _some(self) -> Flags:
        if self.error_rate is None and self.latency_ms is None and self.worker_slow_ms is None:
            raise ValueError("set at least one flag (error_rate, latency_ms, worker_slow_ms)")
        return self


class _FaultBase(_Strict):
    duration: Duration


class FlagsFault(_FaultBase):
    type: Literal["fault-flags"]
    flags: Flags


class PodDelete(_FaultBase):
    type: Literal["pod-delete"]
    interval: Duration = 10.0
    """A new kill every interval while the fault lasts (Litmus CHAOS_INTERVAL)."""
    force: bool = True
    """SIGKILL (no graceful shutdown), as a node or OOM kill."""


class PodCpuHog(_FaultBase):
    type: Literal["pod-cpu-hog"]
    cores: int = Field(default=1, ge=1, le=8)


class PodNetworkLatency(_FaultBase):
    type: Literal["pod-network-latency"]
    latency_ms: int = Field(ge=1, le=60000)
    jitter_ms: int = Field(default=0, ge=0, le=60000)
    destination_hosts: str = ""
    """Only traffic to these hosts is delayed (Litmus DESTINATION_HOSTS); empty = all."""


Fault = Annotated[
    FlagsFault | PodDelete | PodCpuHog | PodNetworkLatency, Field(discriminator="type")
]


class LoadThresholds(_Strict):
    """Judged from the k6 summary of the whole run (a breach deviates the hypothesis)."""

    max_error_ratio: float | None = Field(default=None, ge=0, le=1)
    max_p95_ms: float | None = Field(default=None, gt=0)
    min_checks_ratio: float | None = Field(default=None, ge=0, le=1)


class Load(_Strict):
    app: App
    scenario: Name = "load"
    vus: int = Field(ge=1, le=200)
    duration: Duration
    warmup: Duration = 10.0
    """Load runs this long before the ``before`` probes: the steady state is measured under load."""
    thresholds: LoadThresholds = LoadThresholds()


class Recovery(_Strict):
    timeout: Duration
    """After the fault ends, the ``after`` probes may take this long to hold again."""


class ArgoCdRollback(_Strict):
    """Roll an Argo CD Application back to the revision it ran before its last sync."""

    application: Name
    """The Application (in Argo CD's own namespace). Argo CD refuses to roll back an
    Application that syncs automatically: name only Applications with a manual sync policy."""
    prune: bool = False
    """Let the rollback delete resources the earlier revision does not have (Argo CD ``prune``)."""


class ClusterRollback(_Strict):
    rollout: Name | None = None
    """Argo Rollout aborted when recovery fails (back to the stable ReplicaSet)."""
    argocd: ArgoCdRollback | None = None
    """Argo CD Application rolled back to its previous sync (after the Rollout abort, if any)."""

    @model_validator(mode="after")
    def _some(self) -> ClusterRollback:
        if self.rollout is None and self.argocd is None:
            raise ValueError("name a rollout to abort and/or an argocd application to roll back")
        return self


class Rollback(_Strict):
    local: Literal["restart"] = "restart"
    cluster: ClusterRollback


class Scenario(_Strict):
    version: Literal["kindops/gameday/v1"]
    name: Name
    title: str = Field(min_length=1)
    description: str = ""
    owner: str = "sre"
    target: Target
    fault: Fault
    steady_state: SteadyState
    load: Load
    safeguards: Safeguards
    recovery: Recovery
    rollback: Rollback

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        needed = self.load.warmup + self.fault.duration + self.recovery.timeout
        if self.load.duration < needed:
            raise ValueError(
                f"load.duration {format_duration(self.load.duration)} is shorter than warm-up + "
                f"fault + recovery timeout ({format_duration(needed)}): the steady state is "
                "judged under load"
            )
        fault = self.fault
        if (
            isinstance(fault, FlagsFault)
            and fault.flags.worker_slow_ms
            and (self.target.app != "app-python")
        ):
            raise ValueError("worker_slow_ms is an app-python flag")
        if isinstance(fault, PodNetworkLatency) and fault.jitter_ms > fault.latency_ms:
            raise ValueError("jitter_ms exceeds latency_ms")
        overlap = {p.name for p in self.steady_state.probes} & {
            p.name for p in self.safeguards.probes
        }
        if overlap:
            raise ValueError(f"probe and safeguard names overlap: {sorted(overlap)}")
        return self

    def with_timing(
        self,
        *,
        warmup: float | None = None,
        fault_duration: float | None = None,
        recovery_timeout: float | None = None,
        vus: int | None = None,
    ) -> Scenario:
        """A copy with shorter or longer phases; the load then covers exactly the new phases."""
        timed = warmup is not None or fault_duration is not None or recovery_timeout is not None
        if not timed and vus is None:
            return self
        doc = self.model_dump(mode="python")
        if warmup is not None:
            doc["load"]["warmup"] = warmup
        if fault_duration is not None:
            doc["fault"]["duration"] = fault_duration
        if recovery_timeout is not None:
            doc["recovery"]["timeout"] = recovery_timeout
        if vus is not None:
            doc["load"]["vus"] = vus
        if timed:
            doc["load"]["duration"] = (
                doc["load"]["warmup"] + doc["fault"]["duration"] + doc["recovery"]["timeout"]
            )
        try:
            return Scenario.model_validate(doc)
        except ValidationError as exc:
            raise ConfigError(f"scenario {self.name}: {_errors(exc)}") from None

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "target": f"{self.target.app}/{self.target.component}",
            "fault": self.fault.type,
            "duration_s": self.fault.duration,
            "load": f"k6 {self.load.app}/{self.load.scenario} {self.load.vus} VUs "
            f"{format_duration(self.load.duration)}",
        }


def _errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse(source: str, text: str) -> Scenario:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: a scenario is a mapping")
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_errors(exc)}") from None


def catalog_dir(configured: str = "") -> Path:
    if configured:
        path = Path(configured)
        if not path.is_dir():
            raise ConfigError(f"KINDOPS_GAMEDAY_CATALOG={configured!r} is not a folder")
        return path
    for candidate in DEFAULT_DIRS:
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        "no scenario catalog (looked in "
        + ", ".join(str(c) for c in DEFAULT_DIRS)
        + "); set KINDOPS_GAMEDAY_CATALOG"
    )


def load_catalog(directory: Path) -> dict[str, Scenario]:
    """Every ``*.yaml`` of the folder, keyed by name; the name must equal the file's stem."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"scenario catalog {directory} holds no *.yaml file")
    scenarios: dict[str, Scenario] = {}
    for path in files:
        scenario = parse(str(path), path.read_text(encoding="utf-8"))
        if scenario.name != path.stem:
            raise ConfigError(f"{path}: name {scenario.name!r} must equal the file name")
        scenarios[scenario.name] = scenario
    return scenarios


def select(catalog: dict[str, Scenario], names: list[str]) -> list[Scenario]:
    """The scenarios asked for (comma lists allowed, ``all`` = the whole catalog), in order."""
    wanted: list[str] = []
    for item in names:
        for name in (n.strip() for n in item.split(",")):
            if name and name not in wanted:
                wanted.append(name)
    if not wanted:
        raise ConfigError("name at least one scenario (--scenario NAME, or 'all')")
    if "all" in wanted:
        if len(wanted) > 1:
            raise ConfigError("'all' cannot be combined with scenario names")
        return [catalog[n] for n in sorted(catalog)]
    unknown = [n for n in wanted if n not in catalog]
    if unknown:
        raise ConfigError(
            f"unknown scenario(s) {', '.join(unknown)} (known: {', '.join(sorted(catalog))})"
        )
    return [catalog[n] for n in wanted]
