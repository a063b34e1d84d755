"""JSON API of notices and the directory: everything the pages do, for other systems to drive Cascade.

Request bodies are the commands of ``shared/commands.py`` without the fields
the gateway fills in itself (the ``actor`` it authenticated, ids from the
path), so the OpenAPI document shows exactly what a client may send.

Roles are checked here (``require``); the unit scope — a user sees and acts
only for its own unit — by the notices service, from the actor in every
command and query.
"""

import base64
import hashlib
import mimetypes
import tempfile
from collections.abc import AsyncIterator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, create_model

from shared.contracts.common import Actor, Empty, NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import (
    AcknowledgeNotice,
    AttachmentInfo,
    BeginUpload,
    CorrectNotice,
    Corrected,
    DeleteUnit,
    ExportUnits,
    FinishUpload,
    FormTemplate,
    ForwardNotice,
    ImportUnits,
    Imported,
    InboxEntry,
    IssueNotice,
    Issued,
    NoticeView,
    ReadAttachment,
    ReadBlob,
    SentNotice,
    Tracking,
    TrackingQuery,
    Unit,
    UnitDeleted,
    UnitQuery,
    UnitsQuery,
    UploadPart,
    UpsertUnit,
    WithdrawNotice,
    Withdrawn,
)
from shared.errors import Invalid, NotFound, TooLarge
from shared.paging import Page
from shared.schemas import Attachment, Role, UnitKind

from .commands import record, send
from .auth import CurrentActor, own_unit, require
from .backend import Backend
from .paging import PageParams, YearFilter

router = APIRouter(prefix="/api", tags=["notices"])

# A part's base64 must fit in one NATS message (1 MB by default) with room to spare.
PART_BYTES = 384 * 1024
IMPORT_MAX_BYTES = 900_000
EXPORT_MEDIA = {"csv": "text/csv; charset=utf-8", "yaml": "application/yaml; charset=utf-8"}


def body_of(command: type[BaseModel], *exclude: str) -> type[BaseModel]:
    """The command as a request body: same fields and rules, minus those the gateway fills in.

    ``actor`` stays accepted (and ignored) so that a body naming another actor
    is refused for what it asks, not for its shape.
    """
    fields = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in exclude
    }
    fields["actor"] = (dict | None, Field(default=None, description="ignored: the gateway acts as the caller"))
    return create_model(f"{command.__name__}Body", __config__=command.model_config, **fields)


def as_command(command: type[BaseModel], body: BaseModel, actor: Actor, **extra) -> BaseModel:
    return command(**body.model_dump(exclude={"actor"}), **extra, actor=actor)


IssueBody = body_of(IssueNotice)
ForwardBody = body_of(ForwardNotice, "notice_id")
CorrectBody = body_of(CorrectNotice, "notice_id")
WithdrawBody = body_of(WithdrawNotice, "notice_id")


def backend(request: Request) -> Backend:
    return request.app.state.backend


BackendDep = Annotated[Backend, Depends(backend)]
ActorDep = CurrentActor  # any logged-in user or API token; the service scopes it to its unit
Admin = Annotated[Actor, Depends(require(Role.admin))]
Issuer = Annotated[Actor, Depends(require(Role.issuer))]
Tracker = Annotated[Actor, Depends(require(Role.issuer, Role.reviewer))]
Submitter = Annotated[Actor, Depends(require(Role.submitter))]  # 签收 for one's own unit


# ---------------------------------------------------------------- directory


@router.get("/units", summary="A page of the directory of org units, by name (filters: kind, parent_id)")
async def list_units(b: BackendDep, actor: ActorDep, page: PageParams, kind: UnitKind | None = None,
                     parent_id: str | None = None) -> Page[Unit]:
    return await b.notices.units_page(UnitsQuery(kind=kind, parent_id=parent_id or None, page=page, actor=actor))


@router.get(
    "/units/export",
    summary="Export the directory as CSV or YAML",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/yaml": {}}}},
)
async def export_units(b: BackendDep, actor: Admin, format: Literal["csv", "yaml"] = "csv") -> Response:
    data = await b.notices.export_units(ExportUnits(format=format, actor=actor))
    return Response(
        data.content,
        media_type=EXPORT_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="units.{format}"'},
    )


@router.post(
    "/units/import",
    summary="Import org units from CSV or YAML (request body: the file's text); all rows or none",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/yaml": {"schema": {"type": "string"}}},
        }
    },
    responses={422: {"description": "bad rows, each with its line number and field"}},
)
async def import_units(request: Request, actor: Admin, format: Literal["csv", "yaml"] = "csv"):
    raw = await request.body()
    return await run_import(request, actor, format, raw)


async def run_import(request: Request, actor: Actor, fmt: str, raw: bytes) -> JSONResponse | Imported:
    """Shared by the API and the directory page: 422 listing every bad row, or the count imported."""
    if len(raw) > IMPORT_MAX_BYTES:
        raise TooLarge(f"导入文件超过 {IMPORT_MAX_BYTES // 1000} KB，请分批导入", field="file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # spreadsheets saved on Chinese Windows
        except UnicodeDecodeError as exc:
            raise Invalid("导入文件不是 UTF-8 或 GB18030 编码的文本", field="file") from exc
    cmd = ImportUnits(format=fmt, content=text, actor=actor)
    result = await request.app.state.backend.notices.import_units(cmd)
    if result.errors:
        detail = [
            {"loc": ["body", "line", e.line, *([e.field] if e.field else [])], "msg": e.message,
             "type": "invalid_row", "line": e.line}
            for e in result.errors
        ]
        return JSONResponse({"detail": detail}, status_code=422)
    # Recorded only when it took effect: a refused file answers with its errors, not with an error.
    await record(request, "notices.import_units", {"format": fmt}, {"imported": result.imported})
    return result


@router.get("/units/{unit_id}", summary="One org unit")
async def get_unit(unit_id: str, b: BackendDep, actor: ActorDep) -> Unit:
    return await b.notices.get_unit(UnitQuery(unit_id=unit_id, actor=actor))


@router.put("/units/{unit_id}", summary="Create or replace an org unit")
async def put_unit(unit_id: str, cmd: UpsertUnit, request: Request, b: BackendDep, actor: Admin) -> Unit:
    if cmd.unit_id != unit_id:
        raise Invalid("路径中的单位编号与请求体不一致", field="unit_id")
    return await send(request, b.notices.upsert_unit, cmd)


@router.delete("/units/{unit_id}", summary="Remove an org unit that has no subordinate units")
async def delete_unit(unit_id: str, request: Request, b: BackendDep, actor: Admin) -> UnitDeleted:
    return await send(request, b.notices.delete_unit, DeleteUnit(unit_id=unit_id, actor=actor))


# ---------------------------------------------------------------- attachments


async def upload(b: Backend, file: UploadFile, actor: Actor | None, max_bytes: int) -> Attachment:
    """Send an uploaded file to the notices service: checksum first, limits checked, then parts."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=PART_BYTES) as spool:
        while chunk := await file.read(PART_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"附件“{file.filename}”超过大小上限（{max_bytes // (1024 * 1024)} MB）", field="file",
                               code="attachment_too_large")
            digest.update(chunk)
            spool.write(chunk)
        content_type = file.content_type or ""
        if content_type in ("", "application/octet-stream"):
            content_type = mimetypes.guess_type(file.filename or "")[0] or "application/octet-stream"
        begun = await b.notices.begin_upload(BeginUpload(
            filename=(file.filename or "附件")[-200:], content_type=content_type, size=size,
            sha256=digest.hexdigest(), actor=actor,
        ))
        if begun.attachment is not None:
            return begun.attachment
        assert begun.upload_id is not None
        spool.seek(0)
        offset = 0
        while chunk := spool.read(PART_BYTES):
            await b.notices.upload_part(UploadPart(
                upload_id=begun.upload_id, offset=offset, data=base64.b64encode(chunk).decode("ascii"),
            ))
            offset += len(chunk)
    done = await b.notices.finish_upload(FinishUpload(upload_id=begun.upload_id, actor=actor))
    return done.attachment


@router.post("/attachments", status_code=status.HTTP_201_CREATED, summary="Upload a file to attach to a notice")
async def post_attachment(request: Request, b: BackendDep, actor: Issuer, file: UploadFile = File(...)) -> Attachment:
    return await upload(b, file, actor, request.app.state.settings.max_upload_bytes)


async def download(b: Backend, meta: AttachmentInfo) -> StreamingResponse:
    """Stream a file the caller may see."""
    if not meta.available:
        raise NotFound("附件内容尚未同步到本节点，请稍后再试", field="attachment_id", code="content_missing")

    async def chunks() -> AsyncIterator[bytes]:
        offset = 0
        while offset < meta.size:
            part = await b.notices.read_blob(ReadBlob(sha256=meta.sha256, offset=offset, length=PART_BYTES))
            data = base64.b64decode(part.data or "")
            if not data:
                break
            offset += len(data)
            yield data

    media = meta.content_type + ("; charset=utf-8" if meta.content_type == "text/plain" else "")
    return StreamingResponse(
        chunks(),
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "Content-Length": str(meta.size),
        },
    )


@router.get("/attachments/{attachment_id}", summary="Download a file your unit uploaded", response_class=Response)
async def get_attachment(attachment_id: str, b: BackendDep, actor: ActorDep) -> StreamingResponse:
    return await download(b, await b.notices.read_attachment(ReadAttachment(attachment_id=attachment_id, actor=actor)))


@router.get("/notices/{notice_id}/attachments/{attachment_id}", summary="Download an attachment of a notice",
            response_class=Response)
async def get_notice_attachment(notice_id: str, attachment_id: str, b: BackendDep, actor: ActorDep) -> StreamingResponse:
    return await download(b, await b.notices.read_attachment(ReadAttachment(
        attachment_id=attachment_id, notice_id=notice_id, actor=actor)))


# ---------------------------------------------------------------- notices


@router.get("/form-templates", summary="Form templates for asks (活动筹备方案, 联络员回执表, 总结报告, 影像资料)")
async def form_templates(b: BackendDep, actor: ActorDep) -> list[FormTemplate]:
    return (await b.notices.form_templates(Empty(actor=actor))).items


@router.post("/notices", status_code=status.HTTP_201_CREATED, summary="Issue a notice")
async def issue_notice(body: IssueBody, request: Request, b: BackendDep, actor: Issuer) -> Issued:  # type: ignore[valid-type]
    return await send(request, b.notices.issue, as_command(IssueNotice, body, actor))


@router.get("/notices", summary="发文: a page of the notices your unit issued or forwarded, newest first, with 签收 counts")
async def list_notices(b: BackendDep, actor: ActorDep, page: PageParams, year: YearFilter) -> Page[SentNotice]:
    return await b.notices.sent(UnitNoticesQuery(year=year, page=page, actor=actor))


@router.get("/notices/{notice_id}", summary="One notice, with its chain and the notices forwarded from it")
async def get_notice(notice_id: str, b: BackendDep, actor: ActorDep) -> NoticeView:
    return await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))


@router.get("/notices/{notice_id}/tracking", summary="签收 tracking: who has and has not acknowledged, with times")
async def notice_tracking(notice_id: str, b: BackendDep, actor: Tracker, page: PageParams) -> Tracking:
    return await b.notices.tracking(TrackingQuery(notice_id=notice_id, page=page, actor=actor))


@router.post("/notices/{notice_id}/forward", status_code=status.HTTP_201_CREATED,
             summary="转发: re-issue a received notice to your subordinates with earlier deadlines")
async def forward_notice(notice_id: str, body: ForwardBody, request: Request, b: BackendDep, actor: Issuer) -> Issued:  # type: ignore[valid-type]
    return await send(request, b.notices.forward, as_command(ForwardNotice, body, actor, notice_id=notice_id))


@router.post("/notices/{notice_id}/correct", summary="更正: change an issued notice, with the reason")
async def correct_notice(notice_id: str, body: CorrectBody, request: Request, b: BackendDep, actor: Issuer) -> Corrected:  # type: ignore[valid-type]
    return await send(request, b.notices.correct, as_command(CorrectNotice, body, actor, notice_id=notice_id))


@router.post("/notices/{notice_id}/withdraw", summary="撤回: withdraw an issued notice, with the reason")
async def withdraw_notice(notice_id: str, body: WithdrawBody, request: Request, b: BackendDep, actor: Issuer) -> Withdrawn:  # type: ignore[valid-type]
    return await send(request, b.notices.withdraw, as_command(WithdrawNotice, body, actor, notice_id=notice_id))


@router.post("/inbox/{notice_id}/acknowledge", summary="签收: acknowledge a notice for your unit")
async def acknowledge_mine(notice_id: str, request: Request, b: BackendDep, actor: Submitter) -> InboxEntry:
    return await send(request, b.notices.acknowledge,
                      AcknowledgeNotice(notice_id=notice_id, unit_id=actor.unit_id, actor=actor))


@router.get("/inbox", summary="收文: a page of your unit's inbox, not yet signed first, newest first")
async def my_inbox(b: BackendDep, actor: ActorDep, page: PageParams, year: YearFilter) -> Page[InboxEntry]:
    return await b.notices.inbox(UnitNoticesQuery(year=year, page=page, actor=actor))


@router.get("/units/{unit_id}/inbox", summary="A page of your unit's inbox (收文)")
async def inbox(unit_id: str, b: BackendDep, actor: ActorDep, page: PageParams, year: YearFilter) -> Page[InboxEntry]:
    own_unit(actor, unit_id)
    return await b.notices.inbox(UnitNoticesQuery(unit_id=unit_id, year=year, page=page, actor=actor))


@router.post("/units/{unit_id}/inbox/{notice_id}/acknowledge", summary="签收: acknowledge a notice for your unit")
async def acknowledge(unit_id: str, notice_id: str, request: Request, b: BackendDep, actor: Submitter) -> InboxEntry:
    own_unit(actor, unit_id)
    return await send(request, b.notices.acknowledge, AcknowledgeNotice(notice_id=notice_id, unit_id=unit_id, actor=actor))
