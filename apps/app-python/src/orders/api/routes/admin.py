"""GET/PUT /admin/faults: the game-day fault flags, guarded by X-Admin-Token.

With no ADMIN_TOKEN configured the admin API does not exist (404).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel

from orders.api.deps import Container, get_container
from orders.domain.faults import Faults

router = APIRouter(prefix="/admin", tags=["admin"])


class FaultsView(BaseModel):
    faults: Faults
    source: str  # "env" (FAULT_* defaults) or "table" (set at runtime)


def require_admin(
    container: Annotated[Container, Depends(get_container)],
    x_admin_token: Annotated[str | None, Header(alias="X-Admin-Token")] = None,
) -> Container:
    token = container.settings.admin_token
    if token is None:
        raise HTTPException(status_code=404, detail="admin API disabled: ADMIN_TOKEN is not set")
    if x_admin_token is None or not hmac.compare_digest(
        x_admin_token.encode(), token.get_secret_value().encode()
    ):
        raise HTTPException(status_code=401, detail="missing or wrong X-Admin-Token")
    return container


@router.get("/faults", response_model=FaultsView)
def get_faults(container: Annotated[Container, Depends(require_admin)]) -> FaultsView:
    faults = container.faults.current()
    return FaultsView(faults=faults, source=container.faults.source)


@router.put("/faults", response_model=FaultsView)
def put_faults(
    faults: Faults, container: Annotated[Container, Depends(require_admin)]
) -> FaultsView:
    """Replace the flags for every API and worker process (omitted fields are turned off)."""
    stored = container.faults.set(faults, actor="admin-api")
    return FaultsView(faults=stored, source="table")
