"""消息异常: the node admin's view of the dead-letter stream (messages a consumer could not take), and dismissing one.

A dead letter is a message on the bus that failed to parse, claimed another
node's origin, or kept failing until its consumer gave up (shared/bus.py).
The admin reads what and why here, deals with the cause, and dismisses it;
each dismissal is in the audit log.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.bus import dead_letters, dismiss_dead_letter
from shared.commands import Actor
from shared.errors import NotFound
from shared.schemas import Role

from .audit import client_ip
from .auth import require
from .notices_pages import render

api = APIRouter(prefix="/api/admin", tags=["admin"])
pages = APIRouter(prefix="/admin", include_in_schema=False)

Admin = Annotated[Actor, Depends(require(Role.admin))]
Limit = Annotated[int, Query(ge=1, le=500, description="how many, newest first")]
Seq = Annotated[int, Path(ge=1, le=2**53, description="the dead letter's sequence number in the stream")]


def _jetstream(request: Request):
    return request.app.state.backend.broker.connection.jetstream()


async def _list(request: Request, limit: int) -> list[dict[str, Any]]:
    return await dead_letters(_jetstream(request), request.app.state.settings.node_id, limit)


async def _dismiss(request: Request, actor: Actor, seq: int) -> None:
    if not await dismiss_dead_letter(_jetstream(request), request.app.state.settings.node_id, seq):
        raise NotFound("没有这条异常消息", field="seq")
    await request.app.state.audit.append("dead_letter.dismissed", by=actor, target=str(seq), ip=client_ip(request))


@api.get("/dead-letters", summary="Messages the node's consumers could not take, newest first, with why")
async def list_dead_letters(request: Request, actor: Admin, limit: Limit = 100) -> list[dict[str, Any]]:
    return await _list(request, limit)


@api.delete("/dead-letters/{seq}", status_code=204, response_class=Response,
            summary="Dismiss a dead letter once its cause is dealt with (audited)")
async def delete_dead_letter(request: Request, actor: Admin, seq: Seq) -> Response:
    await _dismiss(request, actor, seq)
    return Response(status_code=204)


@pages.get("/dead-letters", response_class=HTMLResponse)
async def dead_letters_page(request: Request, actor: Admin, limit: Limit = 100) -> HTMLResponse:
    rows = await _list(request, limit)
    return render(request, "admin/dead_letters.html", rows=rows, limit=limit,
                  dismissed=request.query_params.get("dismissed"))


@pages.post("/dead-letters/{seq}/dismiss")
async def dismiss_page(request: Request, actor: Admin, seq: Seq) -> Response:
    await _dismiss(request, actor, seq)
    return RedirectResponse(f"/admin/dead-letters?dismissed={seq}", status_code=303)
