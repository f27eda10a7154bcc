"""SLO specs: the short declarative files in ``observability/slos/*.yaml``.

The format follows Sloth's ``prometheus/v1`` spec (service, slos with name, objective,
description, SLI events as an error query and a total query holding ``{{.window}}``, and the
names and labels of the page and ticket alerts), so a reader who knows Sloth knows this file.
Unknown keys are errors; every problem is reported with the file and the field that holds it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kindops.errors import ConfigError

SPEC_VERSION = "kindops/slo/v1"

#: The placeholder every SLI query carries (Sloth's Go-template form; spaces are tolerated).
WINDOW_RE = re.compile(r"\{\{\s*\.window\s*\}\}")

#: Label keys the generator sets itself.
RESERVED_LABELS = frozenset({"severity", "service", "slo", "alertname"})
RESERVED_PREFIXES = ("sloth_", "__")

_SLUG = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
_LABEL_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_DURATION = re.compile(r"^(0|[1-9][0-9]*)(s|m|h)$")

Slug = Annotated[str, Field(pattern=_SLUG, min_length=1, max_length=63)]


def render_window(query: str, window: str) -> str:
    """The query with ``{{.window}}`` replaced by a PromQL range such as ``5m`` or ``30d``."""
    return WINDOW_RE.sub(window, query)


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key in labels:
        if not _LABEL_KEY.match(key):
            raise ValueError(f"label {key!r} is not a valid Prometheus label name")
        if key in RESERVED_LABELS or key.startswith(RESERVED_PREFIXES):
            raise ValueError(f"label {key!r} is set by the generator; remove it from the spec")
    return labels


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Events(_Strict):
    """An event-based SLI: bad events over all events, each a query over ``{{.window}}``."""

    error_query: str = Field(min_length=1)
    total_query: str = Field(min_length=1)

    @field_validator("error_query", "total_query")
    @classmethod
    def _has_window(cls, query: str) -> str:
        if not WINDOW_RE.search(query):
            raise ValueError("the query must contain the {{.window}} placeholder")
        if "{{" in WINDOW_RE.sub("", query):
            raise ValueError("only the {{.window}} placeholder is supported")
        return query.strip()


class SLI(_Strict):
    events: Events


class AlertSpec(_Strict):
    """The page or ticket variant of an SLO's burn-rate alert."""

    for_: str = Field(alias="for")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @field_validator("for_")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError("expected a duration such as 2m or 1h")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)


class Alerting(_Strict):
    name: str = Field(pattern=r"^[A-Z][A-Za-z0-9]+$", max_length=80)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    page_alert: AlertSpec = AlertSpec.model_validate({"for": "2m"})
    ticket_alert: AlertSpec = AlertSpec.model_validate({"for": "15m"})

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, annotations: dict[str, str]) -> dict[str, str]:
        if "runbook_url" in annotations:
            raise ValueError("runbook_url is set by the generator from the alert name")
        return annotations


class SLO(_Strict):
    name: Slug
    objective: float = Field(gt=0, lt=100, description="Target in percent, e.g. 99.5.")
    description: str = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    sli: SLI
    alerting: Alerting

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)

    @property
    def objective_ratio(self) -> Decimal:
        return Decimal(str(self.objective)) / 100

    @property
    def error_budget(self) -> Decimal:
        """The allowed fraction of bad events: ``1 - objective`` (0.005 for 99.5 %)."""
        return 1 - self.objective_ratio


class ServiceSpec(_Strict):
    version: Literal["kindops/slo/v1"]
    service: Slug
    labels: dict[str, str] = Field(default_factory=dict)
    period: str = Field("30d", description="The SLO period, in days: 7d to 90d.")
    slos: list[SLO] = Field(min_length=1)

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        match = re.fullmatch(r"([1-9][0-9]*)d", value)
        if not match or not 7 <= int(match.group(1)) <= 90:
            raise ValueError("expected a whole number of days from 7d to 90d, e.g. 30d")
        return value

    @model_validator(mode="after")
    def _unique(self) -> ServiceSpec:
        names = [slo.name for slo in self.slos]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"SLO names must be unique; repeated: {', '.join(dupes)}")
        return self

    @property
    def period_days(self) -> int:
        return int(self.period[:-1])

    def slo(self, name: str) -> SLO:
        for slo in self.slos:
            if slo.name == name:
                return slo
        known = ", ".join(s.name for s in self.slos)
        raise ConfigError(f"service {self.service!r} has no SLO {name!r} (known: {known})")


def _format_errors(source: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        problems.append(f"{where}: {msg}")
    return f"{source}: invalid SLO spec: " + "; ".join(problems)


def parse_spec(source: str, text: str) -> ServiceSpec:
    """Parse and validate one spec document; ``source`` names it in errors."""
    try:
        doc: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: invalid SLO spec: expected a mapping at the top level")
    try:
        return ServiceSpec.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from None


def spec_files(specs_dir: str | Path) -> list[Path]:
    folder = Path(specs_dir)
    if not folder.is_dir():
        raise ConfigError(f"SLO specs folder {str(folder)!r} does not exist")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise ConfigError(f"SLO specs folder {str(folder)!r} holds no *.yaml spec")
    return files


def load_specs(specs_dir: str | Path) -> dict[Path, ServiceSpec]:
    """Every spec of a folder, validated together: unique services and alert names."""
    specs: dict[Path, ServiceSpec] = {}
    for path in spec_files(specs_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        specs[path] = parse_spec(str(path), text)
    seen_services: dict[str, Path] = {}
    seen_alerts: dict[str, str] = {}
    for path, spec in specs.items():
        if spec.service in seen_services:
            first = seen_services[spec.service]
            raise ConfigError(f"{path}: service {spec.service!r} is already defined in {first}")
        seen_services[spec.service] = path
        for slo in spec.slos:
            where = f"{spec.service}/{slo.name}"
            if slo.alerting.name in seen_alerts:
                raise ConfigError(
                    f"{path}: alert name {slo.alerting.name!r} of {where} is already used by "
                    f"{seen_alerts[slo.alerting.name]}"
                )
            seen_alerts[slo.alerting.name] = where
    return specs


def find_slo(specs_dir: str | Path, service: str, slo: str) -> tuple[ServiceSpec, SLO]:
    """The spec of ``service`` and its SLO named ``slo``, or a ConfigError naming what exists."""
    specs = {s.service: s for s in load_specs(specs_dir).values()}
    if service not in specs:
        known = ", ".join(sorted(specs))
        raise ConfigError(f"no SLO spec for service {service!r} (known: {known})")
    spec = specs[service]
    return spec, spec.slo(slo)
