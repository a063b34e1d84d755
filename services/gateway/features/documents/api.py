"""Documents an office prints, files or forwards: the notice as its 红头 公文 (.docx, .pdf), an ask's 汇总表
(.xlsx, .docx), 汇总报告 (.docx), submitted files (.zip) and blank 样表 (.docx, .xlsx), and the preview of a
notice before it is issued.

Who may see a notice may download its 公文 and 样表 (the notices service decides, from the actor); the 汇总表,
汇总报告 and files are for the reviewers of the unit the ask is routed to, as the CSV (the submissions service
answers only the rows routed to the actor's unit). Rendering runs off the event loop (output.py).
"""

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from shared.contracts.common import Actor, NoticeQuery
from shared.contracts.notices import ForwardNotice, IssueNotice
from shared.contracts.submissions import SubmissionTable, SubmissionTableQuery, SubmissionView
from shared.schemas import DocumentElements

from ...core.backend import Backend
from ...core.bodies import body_of
from ...core.content_routes import MultipartOnly
from ...core.deps import BackendDep, CurrentActor, Issuer, Reviewer, Submitter
from ...officedocs import form_docx, form_xlsx, report_docx, summary_docx, summary_xlsx
from .build import ask_of, blank_form, document_filename, files_of, local_time, summary_report, summary_table
from .files import chunks_of, files_zip, images_of
from .filled import submit_filled_form
from .output import MEDIA, chosen_format, disposition, file_response, notice_file, rendered, responses
from .preview import preview_notice

router = APIRouter(prefix="/api", tags=["documents"])

# ---------------------------------------------------------------- the notice as its 公文


@router.get(
    "/notices/{notice_id}/document.{fmt}",
    response_class=Response,
    summary="The notice as its 红头 公文 (GB/T 9704): .docx or .pdf; a 转发 carries the original as 附件",
    responses=responses("docx", "pdf"),
)
async def notice_document(notice_id: str, fmt: str, request: Request, b: BackendDep, actor: CurrentActor) -> Response:
    kind = chosen_format(fmt, ("docx", "pdf"))
    notice = await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))
    return await notice_file(request, notice, kind, f"notice-{notice_id}.{kind}")


# ---------------------------------------------------------------- an ask: 汇总表 and 样表


async def _table(b: Backend, notice_id: str, ask_id: str, actor: Actor) -> SubmissionTable:
    """The rows of an ask that the actor's unit reviews; a notice the unit cannot see has none (404)."""
    await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))
    return await b.submissions.table(SubmissionTableQuery(notice_id=notice_id, ask_id=ask_id, actor=actor))


@router.get(
    "/notices/{notice_id}/asks/{ask_id}/table.{fmt}",
    response_class=Response,
    summary="汇总表 as .xlsx or .docx: a row per item with its source unit, the units that did not submit as gaps",
    responses=responses("xlsx", "docx"),
)
async def summary_file(
    notice_id: str, ask_id: str, fmt: str, request: Request, b: BackendDep, actor: Reviewer
) -> Response:
    kind = chosen_format(fmt, ("xlsx", "docx"))
    table = await _table(b, notice_id, ask_id, actor)
    state = request.app.state
    summary = summary_table(
        table,
        generated_at=state.clock.now(),
        timezone=state.settings.timezone,
        compiled_by=await state.unit_names.name(actor.unit_id),
    )
    data = await rendered(request, summary_xlsx if kind == "xlsx" else summary_docx, summary)
    name = document_filename(table.doc_number, f"{table.ask.title}汇总表", kind)
    return file_response(data, kind, name, f"table-{ask_id}.{kind}")


@router.get(
    "/notices/{notice_id}/asks/{ask_id}/report.{fmt}",
    response_class=Response,
    summary="汇总报告 as .docx: who submitted (on time, late) and who did not, then each accepted submission under "
    "its unit's heading, images as thumbnails, files listed",
    responses=responses("docx"),
)
async def summary_report_file(
    notice_id: str, ask_id: str, fmt: str, request: Request, b: BackendDep, actor: Reviewer
) -> Response:
    kind = chosen_format(fmt, ("docx",))
    table = await _table(b, notice_id, ask_id, actor)
    state = request.app.state
    report = summary_report(
        table,
        generated_at=state.clock.now(),
        timezone=state.settings.timezone,
        compiled_by=await state.unit_names.name(actor.unit_id),
    )
    files = [f for _, f in files_of([i for s in report.sections for i in s.items], report.fields)]
    report = report.model_copy(update={"images": await images_of(b, files)})
    data = await rendered(request, report_docx, report)
    name = document_filename(table.doc_number, f"{table.ask.title}汇总报告", kind)
    return file_response(data, kind, name, f"report-{ask_id}.{kind}")


@router.get(
    "/notices/{notice_id}/asks/{ask_id}/files.{fmt}",
    response_class=Response,
    summary="Every file submitted for an ask as one .zip: a folder per unit (the source unit of a 汇总's items), "
    "the files' names kept",
    responses=responses("zip"),
)
async def submitted_files(
    notice_id: str, ask_id: str, fmt: str, request: Request, b: BackendDep, actor: Reviewer
) -> Response:
    kind = chosen_format(fmt, ("zip",))
    table = await _table(b, notice_id, ask_id, actor)
    state = request.app.state
    now = state.clock.now()
    summary = summary_table(table, generated_at=now, timezone=state.settings.timezone)
    spool = await files_zip(b, files_of(summary.rows, summary.fields), local_time(now, state.settings.timezone))
    size = spool.seek(0, 2)
    spool.seek(0)
    name = document_filename(table.doc_number, f"{table.ask.title}报送文件", kind)
    return StreamingResponse(
        chunks_of(spool),
        media_type=MEDIA[kind],
        headers={
            "Content-Disposition": disposition(name, f"files-{ask_id}.{kind}"),
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/notices/{notice_id}/asks/{ask_id}/form.{fmt}",
    response_class=Response,
    summary="样表: the ask's form, blank, as a Word table or an Excel sheet to fill offline",
    responses=responses("docx", "xlsx"),
)
async def blank_form_file(
    notice_id: str, ask_id: str, fmt: str, request: Request, b: BackendDep, actor: CurrentActor
) -> Response:
    kind = chosen_format(fmt, ("docx", "xlsx"))
    notice = await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))
    form = blank_form(notice, ask_of(notice, ask_id), request.app.state.settings.timezone)
    data = await rendered(request, form_docx if kind == "docx" else form_xlsx, form)
    name = document_filename(notice.doc_number, form.title, kind)
    return file_response(data, kind, name, f"form-{ask_id}.{kind}")


# ---------------------------------------------------------------- 报送 by a filled 样表


async def submit_form_file(
    notice_id: str, ask_id: str, request: Request, b: BackendDep, actor: Submitter, file: UploadFile = File(...)
) -> SubmissionView:
    notice = await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))
    return await submit_filled_form(request, b, actor, notice, ask_id, file)


# The multipart twin of the submissions feature's JSON route (core/content_routes.py), documented there.
router.add_api_route(
    "/notices/{notice_id}/asks/{ask_id}/submission",
    submit_form_file,
    methods=["POST"],
    status_code=201,
    summary="报送 by the filled 样表 (form.xlsx or form.docx): read into items, submitted as typed ones are",
    route_class_override=MultipartOnly,
    include_in_schema=False,
)


# ---------------------------------------------------------------- preview before issuing

if TYPE_CHECKING:  # to the type checker a body is its command (core/bodies.py)
    IssuePreviewBody = IssueNotice
    ForwardPreviewBody = ForwardNotice
else:
    IssuePreviewBody = body_of(IssueNotice)
    ForwardPreviewBody = body_of(ForwardNotice, "notice_id")


def _elements(body: Any) -> DocumentElements:
    return DocumentElements.model_validate(body.model_dump(include=set(DocumentElements.model_fields)))


async def _preview(request: Request, b: Backend, actor: Actor, fmt: str, **given: Any) -> Response:
    state = request.app.state
    notice = await preview_notice(
        b,
        actor,
        node_id=state.settings.node_id,
        now=state.clock.now(),
        timezone=state.settings.timezone,
        **given,
    )
    return await notice_file(request, notice, fmt, f"preview.{fmt}")


@router.post(
    "/notices/preview.{fmt}",
    response_class=Response,
    summary="Preview a notice before issuing it (the IssueNotice body): its 公文 as .pdf or .docx, nothing stored, "
    "no 文号 allocated",
    responses=responses("pdf", "docx"),
)
async def preview_issue(fmt: str, body: IssuePreviewBody, request: Request, b: BackendDep, actor: Issuer) -> Response:
    kind = chosen_format(fmt, ("pdf", "docx"))
    return await _preview(
        request,
        b,
        actor,
        kind,
        title=body.title,
        issuer_ids=body.issuer_unit_ids,
        recipient_ids=body.recipient_unit_ids,
        body=body.body,
        doc_number=body.doc_number,
        contacts=body.contacts,
        filenames=[a.filename for a in body.attachments],
        elements=_elements(body),
    )


@router.post(
    "/notices/{notice_id}/forward/preview.{fmt}",
    response_class=Response,
    summary="Preview a 转发 before issuing it (the ForwardNotice body): its 公文 with the original as 附件, "
    "nothing stored, no 文号 allocated",
    responses=responses("pdf", "docx"),
)
async def preview_forward(
    notice_id: str,
    fmt: str,
    body: ForwardPreviewBody,
    request: Request,
    b: BackendDep,
    actor: Issuer,
) -> Response:
    kind = chosen_format(fmt, ("pdf", "docx"))
    return await _preview(
        request,
        b,
        actor,
        kind,
        title=body.title or "",
        issuer_ids=[body.unit_id, *body.co_issuer_unit_ids],
        recipient_ids=body.recipient_unit_ids,
        cover_note=body.cover_note,
        doc_number=body.doc_number,
        contacts=body.contacts,
        filenames=[a.filename for a in body.attachments],
        elements=_elements(body),
        upstream_id=notice_id,
    )
