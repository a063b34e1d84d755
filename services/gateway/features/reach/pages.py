"""Pages (zh-CN) of reaching people: a unit's 消息方式 (one message a day instead of one per notice), and the node
admin's 撤销签收链接 (a link someone lost or passed on opens nothing any more)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from shared.contracts.notifications import RevokeLinks, UnitPreferencesQuery, UpdateUnitPreferences

from ...core.commands import send
from ...core.deps import Admin, BackendDep, Submitter
from ...core.forms import REFUSALS, refused
from ...core.rendering import plain, render, see_other

router = APIRouter(include_in_schema=False)


@router.get("/reach/preferences", response_class=HTMLResponse)
async def preferences(request: Request, b: BackendDep, actor: Submitter, saved: str | None = None) -> HTMLResponse:
    current = plain(await b.notifications.unit_preferences(UnitPreferencesQuery(unit_id=actor.unit_id, actor=actor)))
    return render(request, "reach_preferences.html", prefs=current, saved=bool(saved))


@router.post("/reach/preferences")
async def save_preferences(
    request: Request, b: BackendDep, actor: Submitter, digest: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    cmd = UpdateUnitPreferences(unit_id=actor.unit_id, digest=digest in ("1", "on", "true"), actor=actor)
    await send(request, b.notifications.update_unit_preferences, cmd, target=actor.unit_id)
    return see_other("/reach/preferences?saved=1")


@router.get("/admin/links", response_class=HTMLResponse)
async def links(request: Request, actor: Admin) -> HTMLResponse:
    return render(request, "admin/links.html", values={}, revoked=None, error=None)


@router.post("/admin/links", response_class=HTMLResponse)
async def revoke(
    request: Request,
    b: BackendDep,
    actor: Admin,
    link: Annotated[str, Form(max_length=600)] = "",
    contact: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    whole = contact in ("1", "on", "true")
    values = {"link": link, "contact": whole}
    try:
        cmd = RevokeLinks(link=link, contact=whole, actor=actor)
        done = await send(request, b.notifications.revoke_links, cmd, target="links")
    except REFUSALS as exc:
        no = refused(request, exc)
        return render(request, "admin/links.html", no.status, values=values, revoked=None, error=no.message)
    return render(request, "admin/links.html", values={}, revoked=plain(done), error=None)
