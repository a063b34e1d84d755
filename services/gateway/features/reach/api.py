"""JSON API of reaching people: a unit's 消息方式 (the daily digest), and the node admin's revocation of a
personal link. The link page itself is for people (links.py)."""

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request

from shared.contracts.notifications import (
    Revoked,
    RevokeLinks,
    UnitPreferences,
    UnitPreferencesQuery,
    UpdateUnitPreferences,
)

from ...core.bodies import as_command, body_of
from ...core.commands import send
from ...core.deps import Admin, BackendDep, Submitter

router = APIRouter(prefix="/api", tags=["notifications"])

if TYPE_CHECKING:  # to the type checker a body is its command (core/bodies.py)
    PreferencesBody = UpdateUnitPreferences
    RevokeBody = RevokeLinks
else:
    PreferencesBody = body_of(UpdateUnitPreferences, "unit_id")
    RevokeBody = body_of(RevokeLinks)


@router.get("/reach/preferences", summary="How your unit is told: a message per event, or a daily digest")
async def get_preferences(b: BackendDep, actor: Submitter) -> UnitPreferences:
    return await b.notifications.unit_preferences(UnitPreferencesQuery(unit_id=actor.unit_id, actor=actor))


@router.put(
    "/reach/preferences",
    summary="Choose a daily digest (one e-mail or SMS a day, at the node's digest hour) for your unit, or not",
)
async def put_preferences(body: PreferencesBody, request: Request, b: BackendDep, actor: Submitter) -> UnitPreferences:
    cmd = as_command(UpdateUnitPreferences, body, actor, unit_id=actor.unit_id)
    return await send(request, b.notifications.update_unit_preferences, cmd, target=actor.unit_id)


@router.post(
    "/admin/links/revoke",
    summary="Revoke a personal 签收 link (the whole link or its token); `contact`: all its contact's for that notice",
)
async def revoke_links(body: RevokeBody, request: Request, b: BackendDep, actor: Admin) -> Revoked:
    return await send(request, b.notifications.revoke_links, as_command(RevokeLinks, body, actor), target="links")
