"""The lab's AWS rules: one versioned YAML file (``version: 1``) validated with pydantic.

Unknown keys are rejected and every problem is reported on one line naming the file and the
key, so a typo can never silently widen what gets deleted. The packaged default is
``aws-rules.yaml`` beside this module; ``KINDOPS_AWS_RULES`` or ``--rules`` point elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from kindops.aws.tags import TagValueError, parse_ttl
from kindops.errors import ConfigError, yaml_position
from kindops.settings import KindopsSettings

Service = Literal["ecr", "sqs", "dynamodb", "lambda", "s3", "logs"]
SERVICES: tuple[Service, ...] = ("ecr", "sqs", "dynamodb", "lambda", "s3", "logs")

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class AwsSettings(KindopsSettings):
    """Environment for the AWS jobs (plus the standard ``AWS_*`` variables boto3 reads)."""

    aws_rules: str = ""
    """``KINDOPS_AWS_RULES``: path of the rules file; empty means the packaged default."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(_Strict):
    tag_key: TagKey = "project"
    tag_value: str = "kindops-lab"


class TagNames(_Strict):
    """Tag keys the rules read (AWS tag keys are case-sensitive)."""

    env: TagKey = "env"
    expires_at: TagKey = "expires-at"
    ttl: TagKey = "ttl"
    keep: TagKey = "keep"


class Accounts(_Strict):
    allow: list[AccountId] = Field(default_factory=list)
    """Accounts ``--apply`` may delete in (quote them: ``"123456789012"``)."""


class Lookalike(_Strict):
    name_prefixes: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=lambda: ["kindops", "kindops-lab"]
    )


class EcrRules(_Strict):
    untagged_image_max_age_days: int = Field(default=7, ge=0)
    keep_newest_tagged: int = Field(default=10, ge=1)


class S3Rules(_Strict):
    size_scan_max_objects: int = Field(default=10_000, ge=0)


class DynamoDbRules(_Strict):
    backup_timeout_seconds: int = Field(default=300, ge=1, le=3600)


class BudgetSpec(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    limit_usd: Decimal = Field(gt=0)


class Budgets(_Strict):
    threshold_percent: Decimal = Field(default=Decimal(80), gt=0, le=1000)
    check_forecast: bool = True
    budgets: list[BudgetSpec] = Field(
        default_factory=lambda: [
            BudgetSpec(name="kindops-lab-monthly-5usd", limit_usd=Decimal(5)),
            BudgetSpec(name="kindops-lab-monthly-10usd", limit_usd=Decimal(10)),
        ],
        min_length=1,
    )

    @field_validator("budgets")
    @classmethod
    def _unique(cls, value: list[BudgetSpec]) -> list[BudgetSpec]:
        names = [b.name for b in value]
        if len(names) != len(set(names)):
            raise ValueError("budget names must be unique")
        return value


class Prices(_Strict):
    """Monthly list prices (USD, us-east-1); GB means GiB (2**30 bytes), as AWS bills storage."""

    hours_per_month: Decimal = Field(default=Decimal(730), gt=0)
    ecr_storage_usd_per_gb_month: Decimal = Field(default=Decimal("0.10"), ge=0)
    s3_standard_usd_per_gb_month: Decimal = Field(default=Decimal("0.023"), ge=0)
    logs_storage_usd_per_gb_month: Decimal = Field(default=Decimal("0.03"), ge=0)
    dynamodb_storage_usd_per_gb_month: Decimal = Field(default=Decimal("0.25"), ge=0)
    dynamodb_rcu_usd_per_hour: Decimal = Field(default=Decimal("0.00013"), ge=0)
    dynamodb_wcu_usd_per_hour: Decimal = Field(default=Decimal("0.00065"), ge=0)
    sqs_queue_usd_per_month: Decimal = Field(default=Decimal("0.05"), ge=0)
    lambda_function_usd_per_month: Decimal = Field(default=Decimal("0"), ge=0)


class Rules(_Strict):
    version: Literal[1]
    scope: Scope = Scope()
    envs: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=list)
    """Env tag values the cleanup covers; empty covers every env (and a missing env tag)."""
    tags: TagNames = TagNames()
    default_ttl: str | None = None
    """TTL for in-scope resources carrying neither expires-at nor ttl; null means never expire."""
    accounts: Accounts = Accounts()
    regions: list[Region] = Field(min_length=1)
    services: list[Service] = Field(default_factory=lambda: list(SERVICES), min_length=1)
    lookalike: Lookalike = Lookalike()
    ecr: EcrRules = EcrRules()
    s3: S3Rules = S3Rules()
    dynamodb: DynamoDbRules = DynamoDbRules()
    budgets: Budgets = Budgets()
    prices: Prices = Prices()

    @field_validator("default_ttl")
    @classmethod
    def _ttl(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_ttl(value)
            except TagValueError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("regions", "services", "envs")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        if len(value) != len(set(value)):
            raise ValueError("entries must be unique")
        return value


@dataclass(frozen=True)
class LoadedRules:
    rules: Rules
    path: str
    sha256: str

    def ref(self) -> dict[str, str | int]:
        return {"path": self.path, "sha256": self.sha256, "version": self.rules.version}


def default_rules_path() -> Path:
    return Path(str(resources.files("kindops.aws").joinpath("aws-rules.yaml")))


def parse_rules(text: str, source: str) -> Rules:
    """Validate rules text; any problem is one ConfigError line naming ``source``."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"rules file {source}: {problem}{yaml_position(exc)}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"rules file {source}: expected a mapping with 'version: 1' at the top")
    try:
        return Rules.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            problems.append(f"{loc}: {msg}")
        raise ConfigError(f"invalid rules file {source}: " + "; ".join(problems)) from None


def load_rules(path: str | None = None) -> LoadedRules:
    """Read the rules from ``path`` (else ``KINDOPS_AWS_RULES``, else the packaged default)."""
    from kindops.settings import load

    chosen = path or load(AwsSettings).aws_rules or str(default_rules_path())
    file = Path(chosen)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"rules file {chosen}: cannot read it ({exc.strerror}); "
            "set --rules or KINDOPS_AWS_RULES"
        ) from None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ConfigError(f"rules file {chosen}: not UTF-8 text") from None
    rules = parse_rules(text, chosen)
    return LoadedRules(rules=rules, path=str(file), sha256=hashlib.sha256(raw).hexdigest())
