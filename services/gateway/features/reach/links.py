"""The personal link page (zh-CN, phone-sized): ``/r/<token>`` from an e-mail or SMS, no login.

Public routes (app.py lists this router with the public ones), each authenticated by the link itself: the
notifications service says whether the token is a link it made, not revoked, not expired, and for which
delivery (so which notice, unit and contact). A link opens its notice to its unit (title, 文号, issuer,
deadlines, attachments) and signs for that unit naming its contact, and nothing else: every call carries the
link's actor (its unit, no role) and the link's notice, never one from the request. A refused link is an
error page that changes nothing; opening a valid one marks its delivery 已读 on the issuer's sending panel.
报送 needs a login: the page leads there.

What can be told here is told here: a token not of a link's shape (shared/contracts/notifications.py) is 链接无效
(404) without asking the service, so a mistyped or truncated link says so even while that service is down; a
service that does not answer is 503 in words for the person holding the link, asking to try again later.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from shared.contracts.common import NoticeQuery
from shared.contracts.notices import AcknowledgeNotice, ReadAttachment
from shared.contracts.notifications import LinkQuery, is_link_token
from shared.errors import Conflict, Forbidden, NotFound, Unavailable

from ...core.commands import send
from ...core.deps import BackendDep
from ...core.files import download
from ...core.rendering import plain, render, see_other
from .common import link_actor

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(max_length=100, description="the link's token")]


def _query(token: str) -> LinkQuery:
    """The link's query, once its token has a link's shape: any other was never one, and is refused here."""
    if not is_link_token(token):
        raise NotFound("链接无效：请使用消息中的完整链接，或登录系统办理", field="token", code="link_invalid")
    return LinkQuery(token=token)


@contextmanager
def _for_people() -> Iterator[None]:
    """A service that does not answer, in words for whoever tapped the link (not the subject it was asked on)."""
    try:
        yield
    except Unavailable as exc:
        message = "暂时无法打开链接：系统繁忙或正在维护，请稍后再试，或登录系统办理"
        raise Unavailable(message, code=exc.code) from exc


@router.get("/r/{token}", response_class=HTMLResponse)
async def link_page(request: Request, token: Token, b: BackendDep, signed: str | None = None) -> HTMLResponse:
    query = _query(token)
    with _for_people():
        link = await b.notifications.open_link(query)
        notice = plain(await b.notices.get(NoticeQuery(notice_id=link.notice_id, actor=link_actor(link))))
    inbox = (notice.get("viewer") or {}).get("inbox") or {}
    return render(
        request,
        "link.html",
        link=plain(link),
        notice=notice,
        inbox=inbox,
        token=token,
        just_signed=bool(signed),
        login_next=f"/notices/{link.notice_id}",
    )


@router.post("/r/{token}/sign")
async def sign(
    request: Request, token: Token, b: BackendDep, notice_id: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """签收 for the link's unit, naming its contact. A form posted for another notice (a page of another link left
    open) is refused: a link signs only its own."""
    query = _query(token)
    with _for_people():
        link = await b.notifications.link(query)
    if notice_id and notice_id != link.notice_id:
        raise Forbidden("该链接只能签收它所属的通知", field="notice_id", code="other_notice")
    cmd = AcknowledgeNotice(notice_id=link.notice_id, unit_id=link.unit_id, actor=link_actor(link))
    try:
        with _for_people():
            await send(request, b.notices.acknowledge, cmd, via="link")
    except Conflict as exc:
        if exc.code != "already_acknowledged":  # signed a moment ago (a second tap): the page says so
            raise
    return see_other(f"/r/{token}?signed=1")


@router.get("/r/{token}/attachments/{attachment_id}", response_class=Response)
async def attachment(token: Token, attachment_id: str, b: BackendDep) -> StreamingResponse:
    """An attachment of the link's notice (the notices service refuses one of another notice)."""
    query = _query(token)
    with _for_people():
        link = await b.notifications.link(query)
        read = ReadAttachment(attachment_id=attachment_id, notice_id=link.notice_id, actor=link_actor(link))
        return await download(b, await b.notices.read_attachment(read))
