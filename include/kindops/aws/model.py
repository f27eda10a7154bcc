"""Documents the AWS jobs exchange through the artifact store: inventory and plan.

They are pydantic models so a stored inventory or plan read back by a later DAG task is
validated before anything acts on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kindops.aws.config import Service

Kind = Literal["repository", "image", "queue", "table", "function", "bucket", "log-group"]
Action = Literal["delete", "keep", "protected", "invalid-tag", "report-only", "ignore"]
ACTIONS: tuple[Action, ...] = (
    "delete",
    "protected",
    "invalid-tag",
    "report-only",
    "keep",
    "ignore",
)

SCHEMA_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Resource(_Doc):
    """One AWS resource as the inventory saw it."""

    service: Service
    kind: Kind
    region: str
    account: str
    name: str
    """The resource's name; ``repository@sha256:...`` for ECR images."""
    arn: str
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: datetime | None = None
    age_basis: Literal["created", "last-modified", "pushed"] = "created"
    """What ``created_at`` means: Lambda has no creation time, only LastModified."""
    size_bytes: int | None = None
    size_complete: bool = True
    protection: list[str] = Field(default_factory=list)
    """API-level deletion protection found (never overridden)."""
    attributes: dict[str, Any] = Field(default_factory=dict)

    @property
    def uid(self) -> str:
        return f"{self.account}/{self.region}/{self.service}/{self.kind}/{self.name}"


class CollectionError(_Doc):
    service: str
    region: str
    code: str
    message: str


class Inventory(_Doc):
    schema_version: Literal[1] = 1
    kind: Literal["kindops.aws.inventory"] = "kindops.aws.inventory"
    account: str
    regions: list[str]
    services: list[str]
    collected_at: datetime
    endpoint: str | None = None
    resources: list[Resource]
    errors: list[CollectionError] = Field(default_factory=list)


class PlanItem(_Doc):
    resource: Resource
    action: Action
    rule: str
    """Machine-readable reason code (``expired``, ``keep-tag``, ``deletion-protection`` ...)."""
    reason: str
    """The sentence a person reads."""
    expires_at: datetime | None = None
    monthly_usd: float = 0.0
    savings_usd: float = 0.0


class Plan(_Doc):
    schema_version: Literal[1] = 1
    kind: Literal["kindops.aws.plan"] = "kindops.aws.plan"
    created_at: datetime
    as_of: datetime
    account: str
    account_allowed: bool
    regions: list[str]
    rules: dict[str, Any]
    inventory_collected_at: datetime
    inventory_ref: str | None = None
    inventory_errors: list[CollectionError] = Field(default_factory=list)
    items: list[PlanItem]
    totals: dict[str, Any]

    def deletions(self) -> list[PlanItem]:
        return [i for i in self.items if i.action == "delete"]


class Outcome(_Doc):
    """What apply did with one planned deletion."""

    uid: str
    service: str
    kind: str
    region: str
    name: str
    status: Literal["deleted", "skipped", "failed"]
    reason: str
    audit_entry: str | None = None
    restorable: bool = False
    savings_usd: float = 0.0


class ApplyReport(_Doc):
    schema_version: Literal[1] = 1
    kind: Literal["kindops.aws.apply"] = "kindops.aws.apply"
    account: str
    started_at: datetime
    finished_at: datetime
    plan_ref: str | None = None
    rules: dict[str, Any]
    audit_log: str
    outcomes: list[Outcome]
    totals: dict[str, Any]
