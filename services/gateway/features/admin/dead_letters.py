"""消息异常: the node admin's view of the dead-letter stream (messages a consumer could not take), and dismissing one.

A dead letter is a message on the bus that failed to parse, claimed another
node's origin, or kept failing until its consumer gave up (shared/bus.py).
The admin reads what and why here, deals with the cause, and dismisses it;
each dismissal is in the audit log.
"""

import bisect
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from nats.js.errors import NotFoundError

from shared import subjects
from shared.bus import DEAD_LETTER_PREVIEW, dismiss_dead_letter
from shared.contracts.common import Actor
from shared.errors import NotFound
from shared.paging import PageQuery, page_of

from ...core.audit import client_ip
from ...core.deps import Admin
from ...core.paging import PageParams
from ...core.rendering import render, see_other

api = APIRouter(prefix="/api/admin", tags=["admin"])
pages = APIRouter(prefix="/admin", include_in_schema=False)

Seq = Annotated[int, Path(ge=1, le=2**53, description="the dead letter's sequence number in the stream")]


def _jetstream(request: Request):
    return request.app.state.backend.broker.connection.jetstream()


async def _state(request: Request, stream: str) -> dict | None:
    """The stream's state with the sequences dismissed between its first and last (``deleted_details``, which
    the client library's ``stream_info`` does not ask for); None when there is no stream yet."""
    nc = request.app.state.backend.broker.connection
    reply = json.loads(
        (
            await nc.request(
                f"$JS.API.STREAM.INFO.{stream}",
                json.dumps({"deleted_details": True}).encode(),
                timeout=request.app.state.settings.request_timeout,
            )
        ).data
    )
    if "error" in reply:
        if reply["error"].get("code") == 404:
            return None
        raise RuntimeError(f"{stream}: {reply['error']}")
    return reply["state"]


def newest_first(first: int, last: int, deleted: list[int], skip: int, count: int) -> list[int]:
    """The sequences of the messages at positions ``skip`` … ``skip + count - 1`` counted from the newest, in
    a stream holding every sequence from ``first`` to ``last`` but the ``deleted`` ones (sorted).

    Found by arithmetic on the sequences (a binary search for where the page starts), so a page deep in the
    stream reads only its own messages.
    """

    def held_from(seq: int) -> int:  # messages held at ``seq`` or after it
        return (last - seq + 1) - (len(deleted) - bisect.bisect_left(deleted, seq))

    if first > last or held_from(first) <= skip:
        return []
    lo, hi = first, last  # the newest sequence with more than ``skip`` messages held from it on
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if held_from(mid) > skip:
            lo = mid
        else:
            hi = mid - 1
    gone, seq = set(deleted), lo
    out: list[int] = []
    while seq >= first and len(out) < count:
        if seq not in gone:
            out.append(seq)
        seq -= 1
    return out


async def _page(request: Request, pq: PageQuery) -> dict[str, Any]:
    """A page of the node's dead letters, newest first, paged by stream sequence; counted (the stream keeps
    them for a bounded time, and knows how many it holds)."""
    stream = subjects.deadletter_stream(request.app.state.settings.node_id)
    state = await _state(request, stream)
    if state is None or not state.get("messages"):
        return page_of([], pq, False, 0).model_dump(mode="json")
    total = state["messages"]
    seqs = newest_first(state["first_seq"], state["last_seq"], sorted(state.get("deleted") or []), pq.skip, pq.per_page)
    js, rows = _jetstream(request), []
    for seq in seqs:
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:  # dismissed since the state was read
            continue
        headers, data = msg.headers or {}, msg.data or b""
        rows.append(
            {
                "seq": seq,
                "at": msg.time,
                "consumer": headers.get("Cascade-Consumer", ""),
                "subject": headers.get("Cascade-Subject", ""),
                "error": headers.get("Cascade-Error", ""),
                "size": len(data),
                "preview": data[: DEAD_LETTER_PREVIEW * 4].decode("utf-8", "replace")[:DEAD_LETTER_PREVIEW],
            }
        )
    return page_of(rows, pq, pq.skip + pq.per_page < total, total).model_dump(mode="json")


async def _dismiss(request: Request, actor: Actor, seq: int) -> None:
    if not await dismiss_dead_letter(_jetstream(request), request.app.state.settings.node_id, seq):
        raise NotFound("没有这条异常消息", field="seq")
    await request.app.state.audit.append("dead_letter.dismissed", by=actor, target=str(seq), ip=client_ip(request))


@api.get(
    "/dead-letters",
    summary="A page of the messages the node's consumers could not take, newest first, with "
    "why (`page`, `per_page`); `total` counts them",
)
async def list_dead_letters(request: Request, actor: Admin, page: PageParams) -> dict[str, Any]:
    return await _page(request, page)


@api.delete(
    "/dead-letters/{seq}",
    status_code=204,
    response_class=Response,
    summary="Dismiss a dead letter once its cause is dealt with (audited)",
)
async def delete_dead_letter(request: Request, actor: Admin, seq: Seq) -> Response:
    await _dismiss(request, actor, seq)
    return Response(status_code=204)


@pages.get("/dead-letters", response_class=HTMLResponse)
async def dead_letters_page(request: Request, actor: Admin, page: PageParams) -> HTMLResponse:
    found = await _page(request, page)
    return render(
        request,
        "admin/dead_letters.html",
        rows=found["items"],
        page=found,
        dismissed=request.query_params.get("dismissed"),
    )


@pages.post("/dead-letters/{seq}/dismiss")
async def dismiss_page(request: Request, actor: Admin, seq: Seq) -> Response:
    await _dismiss(request, actor, seq)
    return see_other(f"/admin/dead-letters?dismissed={seq}")
