"""Fault flags for game days: injected latency and errors on the API, crash or slowness in
the worker. All off by default."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Faults(BaseModel):
    """The fault flags both processes obey. PUT /admin/faults replaces them whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(default=0, ge=0, le=60000, description="Added to each /orders call.")
    error_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of /orders calls answered 500."
    )
    worker_crash: bool = Field(
        default=False, description="The worker exits non-zero on its next message."
    )
    worker_slow_ms: int = Field(
        default=0, ge=0, le=600000, description="Added before the worker processes a message."
    )

    @property
    def active(self) -> bool:
        return self != Faults()

    def describe(self) -> str:
        """Short form for log lines: only the flags that are on."""
        on = {name: value for name, value in self.model_dump().items() if value}
        return ", ".join(f"{k}={v}" for k, v in on.items()) or "none"
