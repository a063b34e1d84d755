"""The 报送 page (templates/submit.html), shown by the submissions feature (its form) and by the documents
feature (a refused upload of a filled 样表 comes back on it with every problem)."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from shared.contracts.common import Actor, NoticeQuery
from shared.contracts.submissions import SubmissionQuery
from shared.errors import NotFound
from shared.ids import submission_id as submission_id_of

from .backend import Backend
from .rendering import plain, render


async def submission_of(b: Backend, submission_id: str, actor: Actor) -> dict:
    return plain(await b.submissions.get(SubmissionQuery(submission_id=submission_id, actor=actor)))


async def notice_and_ask(b: Backend, notice_id: str, ask_id: str, actor: Actor) -> tuple[dict, dict]:
    notice = plain(await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor)))
    ask = next((a for a in notice["asks"] if a["ask_id"] == ask_id), None)
    if ask is None:
        raise NotFound("该通知没有这项报送要求", field="ask_id")
    return notice, ask


def blocks(ask: dict, previous: list[dict] | None) -> list[dict]:
    """The item blocks to show: what was submitted (or typed) before, padded to the ask's maximum."""
    items = list(previous or [])
    while len(items) < max(ask.get("max_items", 1), 1):
        items.append({})
    return items


async def submit_page(
    request: Request,
    b: Backend,
    actor: Actor,
    notice: dict,
    ask: dict,
    items: list[dict],
    errors: list[dict],
    status_code: int = 200,
) -> HTMLResponse:
    current = await submission_of(b, submission_id_of(notice["id"], ask["ask_id"], actor.unit_id), actor)
    return render(
        request,
        "submit.html",
        status_code=status_code,
        notice=notice,
        ask=ask,
        current=current,
        blocks=blocks(ask, items),
        errors=errors,
    )
