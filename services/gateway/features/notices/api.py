"""JSON API of notices: 发文, 收文, 签收, 转发, 更正, 撤回, attachments, form templates, and who has acknowledged.

Everything the notice pages do, for other systems to drive Cascade. Request
bodies are the commands of the notices contract (shared/contracts/notices.py)
without the fields the gateway fills in itself (core/bodies.py).

Roles are checked here; the unit scope — a user sees and acts only for its
own unit — by the notices service, from the actor in every command and query.
"""

from typing import TYPE_CHECKING

from fastapi import APIRouter, File, Request, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from shared.contracts.common import Empty, NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import (
    AcknowledgeNotice,
    Corrected,
    CorrectNotice,
    FormTemplate,
    ForwardNotice,
    InboxEntry,
    Issued,
    IssueNotice,
    NoticeView,
    ReadAttachment,
    SentNotice,
    Tracking,
    TrackingQuery,
    Withdrawn,
    WithdrawNotice,
)
from shared.contracts.reports import NoticeStatus
from shared.paging import Page
from shared.schemas import Attachment

from ...core.bodies import as_command, body_of
from ...core.commands import send
from ...core.deps import BackendDep, CurrentActor, Issuer, Submitter, Tracker
from ...core.files import download, upload
from ...core.paging import PageParams, YearFilter
from ...core.scope import issued_by_own_unit, own_unit

router = APIRouter(prefix="/api", tags=["notices"])

if TYPE_CHECKING:  # to the type checker a body is its command (core/bodies.py)
    IssueBody = IssueNotice
    ForwardBody = ForwardNotice
    CorrectBody = CorrectNotice
    WithdrawBody = WithdrawNotice
else:
    IssueBody = body_of(IssueNotice)
    ForwardBody = body_of(ForwardNotice, "notice_id")
    CorrectBody = body_of(CorrectNotice, "notice_id")
    WithdrawBody = body_of(WithdrawNotice, "notice_id")


# ---------------------------------------------------------------- attachments


@router.post("/attachments", status_code=status.HTTP_201_CREATED, summary="Upload a file to attach to a notice")
async def post_attachment(request: Request, b: BackendDep, actor: Issuer, file: UploadFile = File(...)) -> Attachment:
    return await upload(b, file, actor, request.app.state.settings.max_upload_bytes)


@router.get("/attachments/{attachment_id}", summary="Download a file your unit uploaded", response_class=Response)
async def get_attachment(attachment_id: str, b: BackendDep, actor: CurrentActor) -> StreamingResponse:
    return await download(b, await b.notices.read_attachment(ReadAttachment(attachment_id=attachment_id, actor=actor)))


@router.get(
    "/notices/{notice_id}/attachments/{attachment_id}",
    summary="Download an attachment of a notice",
    response_class=Response,
)
async def get_notice_attachment(
    notice_id: str, attachment_id: str, b: BackendDep, actor: CurrentActor
) -> StreamingResponse:
    return await download(
        b,
        await b.notices.read_attachment(ReadAttachment(attachment_id=attachment_id, notice_id=notice_id, actor=actor)),
    )


# ---------------------------------------------------------------- notices


@router.get("/form-templates", summary="Form templates for asks (活动筹备方案, 联络员回执表, 总结报告, 影像资料)")
async def form_templates(b: BackendDep, actor: CurrentActor) -> list[FormTemplate]:
    return (await b.notices.form_templates(Empty(actor=actor))).items


@router.post("/notices", status_code=status.HTTP_201_CREATED, summary="Issue a notice")
async def issue_notice(body: IssueBody, request: Request, b: BackendDep, actor: Issuer) -> Issued:
    return await send(request, b.notices.issue, as_command(IssueNotice, body, actor))


@router.get(
    "/notices", summary="发文: a page of the notices your unit issued or forwarded, newest first, with 签收 counts"
)
async def list_notices(b: BackendDep, actor: CurrentActor, page: PageParams, year: YearFilter) -> Page[SentNotice]:
    return await b.notices.sent(UnitNoticesQuery(year=year, page=page, actor=actor))


@router.get("/notices/{notice_id}", summary="One notice, with its chain and the notices forwarded from it")
async def get_notice(notice_id: str, b: BackendDep, actor: CurrentActor) -> NoticeView:
    return await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))


@router.get("/notices/{notice_id}/tracking", summary="签收 tracking: who has and has not acknowledged, with times")
async def notice_tracking(notice_id: str, b: BackendDep, actor: Tracker, page: PageParams) -> Tracking:
    return await b.notices.tracking(TrackingQuery(notice_id=notice_id, page=page, actor=actor))


@router.get("/notices/{notice_id}/status", summary="Who has and has not acknowledged (read model)")
async def notice_status(notice_id: str, b: BackendDep, actor: Tracker) -> NoticeStatus:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.reports.notice_status(NoticeQuery(notice_id=notice_id))


@router.post(
    "/notices/{notice_id}/forward",
    status_code=status.HTTP_201_CREATED,
    summary="转发: re-issue a received notice to your subordinates with earlier deadlines",
)
async def forward_notice(notice_id: str, body: ForwardBody, request: Request, b: BackendDep, actor: Issuer) -> Issued:
    return await send(request, b.notices.forward, as_command(ForwardNotice, body, actor, notice_id=notice_id))


@router.post("/notices/{notice_id}/correct", summary="更正: change an issued notice, with the reason")
async def correct_notice(
    notice_id: str, body: CorrectBody, request: Request, b: BackendDep, actor: Issuer
) -> Corrected:
    return await send(request, b.notices.correct, as_command(CorrectNotice, body, actor, notice_id=notice_id))


@router.post("/notices/{notice_id}/withdraw", summary="撤回: withdraw an issued notice, with the reason")
async def withdraw_notice(
    notice_id: str, body: WithdrawBody, request: Request, b: BackendDep, actor: Issuer
) -> Withdrawn:
    return await send(request, b.notices.withdraw, as_command(WithdrawNotice, body, actor, notice_id=notice_id))


@router.post("/inbox/{notice_id}/acknowledge", summary="签收: acknowledge a notice for your unit")
async def acknowledge_mine(notice_id: str, request: Request, b: BackendDep, actor: Submitter) -> InboxEntry:
    return await send(
        request, b.notices.acknowledge, AcknowledgeNotice(notice_id=notice_id, unit_id=actor.unit_id, actor=actor)
    )


@router.get("/inbox", summary="收文: a page of your unit's inbox, not yet signed first, newest first")
async def my_inbox(b: BackendDep, actor: CurrentActor, page: PageParams, year: YearFilter) -> Page[InboxEntry]:
    return await b.notices.inbox(UnitNoticesQuery(year=year, page=page, actor=actor))


@router.get("/units/{unit_id}/inbox", summary="A page of your unit's inbox (收文)")
async def inbox(
    unit_id: str, b: BackendDep, actor: CurrentActor, page: PageParams, year: YearFilter
) -> Page[InboxEntry]:
    own_unit(actor, unit_id)
    return await b.notices.inbox(UnitNoticesQuery(unit_id=unit_id, year=year, page=page, actor=actor))


@router.post("/units/{unit_id}/inbox/{notice_id}/acknowledge", summary="签收: acknowledge a notice for your unit")
async def acknowledge(unit_id: str, notice_id: str, request: Request, b: BackendDep, actor: Submitter) -> InboxEntry:
    own_unit(actor, unit_id)
    return await send(
        request, b.notices.acknowledge, AcknowledgeNotice(notice_id=notice_id, unit_id=unit_id, actor=actor)
    )
