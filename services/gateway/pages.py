"""Server-rendered pages (zh-CN). Every page needs a login (app.py)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shared.errors import Forbidden

from .api import issued_by_own_unit
from .auth import CurrentActor

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, **context) -> HTMLResponse:
    app = request.app
    return app.state.templates.TemplateResponse(
        request, name, {"node_id": app.state.settings.node_id, **context}
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, actor: CurrentActor) -> HTMLResponse:
    notices = await request.app.state.backend.call("notices", "list", {"actor": actor.model_dump(mode="json")})
    return render(request, "home.html", notices=notices)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_page(request: Request, notice_id: str, actor: CurrentActor) -> HTMLResponse:
    b = request.app.state.backend
    notice = await b.call("notices", "get", {"notice_id": notice_id, "actor": actor.model_dump(mode="json")})
    status = None
    if {"issuer", "reviewer"} & set(actor.roles):
        try:
            await issued_by_own_unit(b, notice_id, actor)
            status = await b.call("reports", "notice_status", {"notice_id": notice_id})
        except Forbidden:
            status = None  # a recipient sees the notice, not who else acknowledged it
    return render(request, "notice.html", notice=notice, status=status)
