"""JSON API of submissions: 报送, 审核 (采用/退回), 评选, 汇总, 催办, the 汇总表, and what is owed for a notice.

Roles are checked here; the submissions service checks the unit scope (a unit
submits only for itself; a submission is seen by its unit and by the
reviewers of the unit it is routed to).
"""

import asyncio
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from shared.contracts.common import Actor, NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import AttachmentInfo, ReadBlob
from shared.contracts.reports import Completeness, CompletenessQuery
from shared.contracts.submissions import (
    AcceptSubmission,
    Chased,
    ChaseSubmissions,
    CommendSubmission,
    Compiled,
    CompileReport,
    ReturnDown,
    ReturnSubmission,
    ReviewQuery,
    SubmissionDetail,
    SubmissionQuery,
    SubmissionTable,
    SubmissionTableQuery,
    SubmissionView,
    SubmitItems,
)
from shared.errors import NotFound
from shared.paging import Page
from shared.schemas import Attachment

from ...core.backend import Backend
from ...core.bodies import as_command, body_of
from ...core.commands import send
from ...core.content_routes import NotMultipart, multipart_body
from ...core.departments import staffing
from ...core.deps import BackendDep, CurrentActor, Filer, Issuer, Reviewer, Submitter, Tracker
from ...core.files import download, upload
from ...core.paging import PageParams
from ...core.rendering import plain
from ...core.scope import issued_by_own_unit, visible_notice
from .table import submissions_csv

router = APIRouter(prefix="/api", tags=["submissions"])

if TYPE_CHECKING:  # to the type checker a body is its command (core/bodies.py)
    SubmitBody = SubmitItems
    CompileBody = CompileReport
    ChaseBody = ChaseSubmissions
    AcceptBody = AcceptSubmission
    ReturnBody = ReturnSubmission
    ReturnDownBody = ReturnDown
    CommendBody = CommendSubmission
else:
    SubmitBody = body_of(SubmitItems, "notice_id", "ask_id", "unit_id")
    CompileBody = body_of(CompileReport, "notice_id", "ask_id", "unit_id")
    ChaseBody = body_of(ChaseSubmissions, "notice_id")
    AcceptBody = body_of(AcceptSubmission, "submission_id")
    ReturnBody = body_of(ReturnSubmission, "submission_id")
    ReturnDownBody = body_of(ReturnDown, "submission_id")
    CommendBody = body_of(CommendSubmission, "submission_id")


@router.get("/submissions", summary="报送: a page of what my unit owes and has submitted, the still-open first")
async def my_submissions(b: BackendDep, actor: CurrentActor, page: PageParams) -> Page[SubmissionView]:
    return await b.submissions.mine(UnitNoticesQuery(page=page, actor=actor))


@router.get("/submissions/{submission_id}", summary="One submission with its revisions")
async def submission(submission_id: str, b: BackendDep, actor: CurrentActor) -> SubmissionDetail:
    return await b.submissions.get(SubmissionQuery(submission_id=submission_id, actor=actor))


@router.post(
    "/submission-files",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file for a submission (a file field: 盖章PDF, photos…)",
)
async def post_submission_file(
    request: Request, b: BackendDep, actor: Filer, file: UploadFile = File(...)
) -> Attachment:
    return await upload(b, file, actor, request.app.state.settings.max_upload_bytes)


@router.get(
    "/submissions/{submission_id}/files/{attachment_id}",
    response_class=Response,
    summary="Download a file of a submission",
)
async def submission_file(
    submission_id: str, attachment_id: str, b: BackendDep, actor: CurrentActor
) -> StreamingResponse:
    sub = plain(await b.submissions.get(SubmissionQuery(submission_id=submission_id, actor=actor)))
    named = {
        f["attachment_id"]: f
        for rev in sub.get("revisions", [])
        for item in rev["items"]
        for value in item.values()
        if isinstance(value, list)
        for f in value
        if isinstance(f, dict)
    }
    if attachment_id not in named:
        raise NotFound("附件不存在", field="attachment_id")
    # The submission is visible to the caller, so its files are. Made on another node, the bytes come from there.
    f = named[attachment_id]
    here = await b.notices.read_blob(ReadBlob(sha256=f["sha256"]))
    return await download(b, AttachmentInfo.model_validate({**f, "available": here.available}))


async def submit(
    notice_id: str,
    ask_id: str,
    body: SubmitBody,
    request: Request,
    b: BackendDep,
    actor: Submitter,
) -> SubmissionView:
    cmd = as_command(SubmitItems, body, actor, notice_id=notice_id, ask_id=ask_id, unit_id=actor.unit_id)
    return await send(request, b.submissions.submit, cmd)


# The same operation takes the filled 样表 as a file: the documents feature's route answers a multipart request.
router.add_api_route(
    "/notices/{notice_id}/asks/{ask_id}/submission",
    submit,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    summary="报送: submit my unit's items for an ask (again after a 退回); as JSON, or the filled 样表 "
    "(form.xlsx or form.docx) as a multipart file",
    route_class_override=NotMultipart,
    openapi_extra=multipart_body("the ask's filled 样表, form.xlsx or form.docx as downloaded"),
)


@router.get(
    "/review",
    summary="审核: a page of the submissions routed to my unit, those to review first, newest first; by default "
    "my department's (with what nobody else reviews), `department`: one department's, `*` all, `-` none",
)
async def review_queue(
    request: Request,
    b: BackendDep,
    actor: Reviewer,
    page: PageParams,
    notice_id: str | None = None,
    status: Literal["submitted", "returned", "accepted"] | None = None,
    department: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[SubmissionView]:
    unstaffed = (await staffing(request, b, actor)).unstaffed
    query = ReviewQuery(
        notice_id=notice_id, status=status, department=department or None, unstaffed=unstaffed, page=page, actor=actor
    )
    return await b.submissions.review(query)


@router.post("/submissions/{submission_id}/accept", summary="采用: accept the latest revision")
async def accept(
    submission_id: str,
    body: AcceptBody,
    request: Request,
    b: BackendDep,
    actor: Reviewer,
) -> SubmissionView:
    cmd = as_command(AcceptSubmission, body, actor, submission_id=submission_id)
    return await send(request, b.submissions.accept, cmd)


@router.post("/submissions/{submission_id}/return", summary="退回: return the latest revision, with the reason")
async def return_(
    submission_id: str,
    body: ReturnBody,
    request: Request,
    b: BackendDep,
    actor: Reviewer,
) -> SubmissionView:
    cmd = as_command(ReturnSubmission, body, actor, submission_id=submission_id)
    return await send(request, b.submissions.return_, cmd)


@router.post(
    "/submissions/{submission_id}/return-down",
    summary="退回下级: the level above returned this item; reopen the accepted submission it came from",
)
async def return_down(
    submission_id: str,
    body: ReturnDownBody,
    request: Request,
    b: BackendDep,
    actor: Reviewer,
) -> SubmissionView:
    cmd = as_command(ReturnDown, body, actor, submission_id=submission_id)
    return await send(request, b.submissions.return_down, cmd)


@router.post(
    "/submissions/{submission_id}/commend",
    summary="评选: commend an accepted submission for the 通报表扬 (category null: take it back)",
)
async def commend(
    submission_id: str,
    body: CommendBody,
    request: Request,
    b: BackendDep,
    actor: Reviewer,
) -> SubmissionView:
    return await send(
        request, b.submissions.commend, as_command(CommendSubmission, body, actor, submission_id=submission_id)
    )


@router.post(
    "/notices/{notice_id}/asks/{ask_id}/compile",
    status_code=status.HTTP_201_CREATED,
    summary="汇总: compile accepted submissions of a notice I forwarded into my answer upstream",
)
async def compile_report(
    notice_id: str,
    ask_id: str,
    body: CompileBody,
    request: Request,
    b: BackendDep,
    actor: Reviewer,
) -> Compiled:
    cmd = as_command(CompileReport, body, actor, notice_id=notice_id, ask_id=ask_id, unit_id=actor.unit_id)
    return await send(request, b.submissions.compile_report, cmd)


@router.post("/notices/{notice_id}/chase", summary="催办: remind the units that still owe an ask (or every ask)")
async def chase(
    notice_id: str,
    body: ChaseBody,
    request: Request,
    b: BackendDep,
    actor: Issuer,
) -> Chased:
    return await send(request, b.submissions.chase, as_command(ChaseSubmissions, body, actor, notice_id=notice_id))


async def submissions_table(b: Backend, notice_id: str, ask_id: str, actor: Actor) -> SubmissionTable:
    # A notice the unit cannot see has no table either: both asked at once, the notice's answer deciding first.
    query = SubmissionTableQuery(notice_id=notice_id, ask_id=ask_id, actor=actor)
    seen, table = await asyncio.gather(
        visible_notice(b, notice_id, actor, recipients=0), b.submissions.table(query), return_exceptions=True
    )
    for outcome in (seen, table):
        if isinstance(outcome, BaseException):
            raise outcome
    assert isinstance(table, SubmissionTable)
    return table


@router.get(
    "/notices/{notice_id}/asks/{ask_id}/table",
    summary="汇总表: each unit that owes the ask and is routed to my unit, its state and latest items",
)
async def table_json(notice_id: str, ask_id: str, b: BackendDep, actor: Reviewer) -> SubmissionTable:
    return await submissions_table(b, notice_id, ask_id, actor)


@router.get(
    "/notices/{notice_id}/asks/{ask_id}/table.csv",
    response_class=Response,
    summary="汇总表 as CSV (UTF-8 with BOM): one row per item, the ask's form fields as columns",
    responses={200: {"content": {"text/csv": {}}}},
)
async def table_csv(notice_id: str, ask_id: str, request: Request, b: BackendDep, actor: Reviewer) -> Response:
    table = await submissions_table(b, notice_id, ask_id, actor)
    name = f"汇总表-{table.doc_number or notice_id}-{table.ask.title or ask_id}.csv"
    return Response(
        submissions_csv(table, request.app.state.settings.timezone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"table-{ask_id}.csv\"; filename*=UTF-8''{quote(name)}"},
    )


@router.get(
    "/notices/{notice_id}/completeness",
    summary="Per ask: how many owe, submitted (on time or late), were accepted or returned; a page of those units",
)
async def completeness(notice_id: str, b: BackendDep, actor: Tracker, page: PageParams) -> Completeness:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.reports.completeness(CompletenessQuery(notice_id=notice_id, page=page))


@router.get("/notices/{notice_id}/expected", summary="Submissions owed for a notice")
async def notice_expected(notice_id: str, b: BackendDep, actor: Tracker) -> list[SubmissionView]:
    await issued_by_own_unit(b, notice_id, actor)
    return (await b.submissions.expected(NoticeQuery(notice_id=notice_id))).items
