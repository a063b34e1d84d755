"""JSON API of one's own account: who the credentials belong to."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...core.auth import Identity, login_required

router = APIRouter(prefix="/api", tags=["account"])


@router.get("/me", summary="Who the credentials belong to: user or token, unit, roles")
async def me(identity: Annotated[Identity, Depends(login_required)]) -> dict[str, Any]:
    return {**identity.actor.model_dump(mode="json"), "via": identity.via}
