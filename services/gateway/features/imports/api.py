"""JSON API of 导入公文: a received 公文 becomes a draft (``POST /api/drafts/import``), with every field the reader
extracted, its confidence and the span of the text it came from; each field is 待核对 (``pending``) until a
person confirms it (``POST /api/drafts/{id}/import/confirm``) or edits it in the draft (``PUT
/api/drafts/{id}``). Nothing is issued: the draft goes to 签发 as any draft does.

The document: ``multipart/form-data`` with ``file`` (.txt, .docx, or .pdf with a text layer) or ``text``, or
JSON ``{"text": "…"}``; ``notice_id`` (either way) makes it a 转发 of that notice of the unit's 收文.
"""

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from shared.contracts.intake import MAX_DOCUMENT_CHARS
from shared.contracts.notices import DraftQuery
from shared.errors import Invalid

from ...core.deps import BackendDep, CurrentActor, Issuer
from .importing import import_and_keep
from .reviews import ImportView, view_of

router = APIRouter(prefix="/api", tags=["drafts"])

FORM_PART_BYTES = 4 * 1024 * 1024  # a pasted text field of a form (the file is streamed apart)


class ImportText(BaseModel):
    """The JSON body: the text of the 公文, pasted; ``notice_id``: forward this notice of the unit's 收文."""

    text: str = Field(max_length=MAX_DOCUMENT_CHARS)
    notice_id: str | None = Field(default=None, max_length=40)


class Confirm(BaseModel):
    """Fields checked (their ``id``s), or ``all`` of them."""

    fields: list[str] = Field(default=[], max_length=2000)
    all: bool = False


DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": ".txt, .docx, .pdf"},
                        "text": {"type": "string", "description": "or the text, pasted"},
                        "notice_id": {"type": "string", "description": "forward this notice of the 收文"},
                    },
                }
            },
            "application/json": {"schema": ImportText.model_json_schema()},
        },
    }
}


async def document_of(request: Request) -> tuple[str | None, UploadFile | None, str | None]:
    """(text, file, notice_id) from a form or a JSON body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_part_size=FORM_PART_BYTES)
        file = form.get("file")
        text, notice = form.get("text"), form.get("notice_id")
        upload = file if isinstance(file, UploadFile) and (file.filename or file.size) else None
        return (
            text if isinstance(text, str) and upload is None else None,
            upload,
            notice if isinstance(notice, str) and notice else None,
        )
    try:
        body = ImportText.model_validate_json(await request.body())
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(x) for x in problem["loc"]) or None
        if problem["type"] == "string_too_long":
            raise Invalid(f"粘贴的文字过长，一份公文不超过{MAX_DOCUMENT_CHARS}字", field="text") from exc
        raise Invalid(
            '请求内容应为 JSON {"text": "公文全文"}，或以表单上传文件（file）', field=where, code="no_document"
        ) from exc
    return body.text, None, body.notice_id


@router.post(
    "/drafts/import",
    status_code=status.HTTP_201_CREATED,
    summary="导入公文: a received 公文 (file or text) becomes a draft, each extracted field 待核对",
    openapi_extra=DOCUMENT_BODY,
)
async def import_draft(request: Request, b: BackendDep, actor: Issuer) -> ImportView:
    text, file, notice_id = await document_of(request)
    if file is None and text is None:
        raise Invalid("请上传公文文件（file），或提交公文的文字（text）", field="file", code="no_document")
    record, imported = await import_and_keep(request, b, actor, text=text, file=file, notice_id=notice_id)
    return view_of(record, imported.draft)


@router.get("/drafts/{draft_id}/import", summary="An imported draft's fields and which are still 待核对")
async def get_import(draft_id: str, request: Request, b: BackendDep, actor: CurrentActor) -> ImportView:
    doc = await request.app.state.imports.get(draft_id, actor.unit_id)
    return view_of(doc, await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor)))


@router.post("/drafts/{draft_id}/import/confirm", summary="核对: mark extracted fields as checked by a person")
async def confirm_import(draft_id: str, body: Confirm, request: Request, b: BackendDep, actor: Issuer) -> ImportView:
    reviews = request.app.state.imports
    doc = await reviews.get(draft_id, actor.unit_id)
    ids = [f["id"] for f in doc["fields"]] if body.all else body.fields
    doc = await reviews.confirm(draft_id, actor.unit_id, ids, actor.display_name)
    return view_of(doc, await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor)))
