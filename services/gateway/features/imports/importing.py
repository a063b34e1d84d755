"""导入公文, step by step: the file sent to the notices service (as an upload of the unit's) or the text, read
there (``Notices.read_document``), the draft planned (drafting.py) and saved as any draft is
(``create_draft``: checked as issuing would check it), then its fields kept for review (reviews.py).

A draft whose saving is refused for a part of it (a deadline already past, a route to a department the
directory does not list, a deadline later than the notice forwarded allows) is saved without that part, and
the review says what was left out and why. Refusals of the document itself are 4xx naming ``file`` or
``text`` (empty, binary, a PDF without a text layer, too large, not a notice); never a 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import Headers, UploadFile

from shared.contracts.common import Actor, Empty
from shared.contracts.intake import MAX_DOCUMENT_BYTES, DocumentRead, ReadDocument
from shared.contracts.notices import CreateDraft, DraftView, ForwardDraft, NoticeDraft
from shared.errors import DomainError, Invalid, TooLarge, Unsupported
from shared.scope import actor_name

from ...core.backend import Backend
from ...core.commands import record, send
from ...core.files import upload
from ...core.rendering import plain
from ...core.scope import visible_notice
from . import drafting
from .drafting import Note, Plan, note
from .reviews import fields_of

READ_TIMEOUT_S = 60.0  # a PDF of a hundred pages takes a while to read
MAX_ATTEMPTS = 8  # saves of a draft, each without the parts the one before was refused for

TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/plain",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}
ONLY = "只能导入 .txt、.docx 或带文字层的 .pdf 文件"


@dataclass
class Imported:
    draft: DraftView
    read: DocumentRead
    plan: Plan
    content: dict[str, Any]
    left_out: list[Note] = field(default_factory=list)

    def record(self, actor: Actor, now: Any) -> dict[str, Any]:
        """What the gateway keeps of the import for its review (reviews.py)."""
        p, read = self.plan, self.read
        warnings = [w.model_dump() for w in read.warnings]
        for level in read.levels:
            used = level.level == p.own_level
            warnings += [w.model_dump() for w in level.warnings] if used or level.level == 0 else []
            if used:
                command = level.forward if p.kind == "forward" and level.forward is not None else level.issue
                warnings += [w.model_dump() for w in command.warnings]
        unique: list[dict] = []
        for w in [*p.notes, *self.left_out, *warnings]:
            entry = {"field": w.get("field"), "message": w.get("message")}
            if entry not in unique:
                unique.append(entry)
        return {
            "_id": self.draft.id,
            "unit_id": actor.unit_id,
            "imported_by": actor_name(actor),
            "imported_at": now,
            "kind": p.kind,
            "file_type": read.file_type,
            "filename": read.filename,
            "forwarding": p.forwarding,
            "own_level": p.own_level,
            "ask_ids": p.ask_ids,
            "own_ids": p.own_ids,
            "levels": [
                {"level": lv.level, "doc_number": lv.doc_number, "title": lv.title, "issuers": lv.issuer_names}
                for lv in read.levels
            ],
            "warnings": unique,
            "fields": fields_of(read, p, self.content, self.left_out),
            "text": read.text,
        }


# ---------------------------------------------------------------- the document


def checked_file(file: UploadFile) -> UploadFile:
    """The upload as the notices service is to store it: a type from its name, refused when it is none of ours."""
    name = file.filename or ""
    ext = PurePath(name).suffix.lower()
    if ext == ".doc" or ext == ".wps":
        raise Unsupported(f"“{name}”是旧版 Word（.doc）或 WPS 文件：请另存为 .docx 或 PDF 后再导入", field="file")
    if ext not in TYPES:
        raise Unsupported(f"“{name or '文件'}”的类型不支持：{ONLY}", field="file", code="unsupported_type")
    headers = Headers({"content-type": TYPES[ext]})
    return UploadFile(file.file, size=file.size, filename=name, headers=headers)


async def send_file(b: Backend, file: UploadFile, actor: Actor, max_bytes: int) -> dict[str, Any]:
    """Upload the file (an attachment of the unit's); the upload's refusals said of a document to import."""
    name = file.filename or "文件"
    limit = min(max_bytes, MAX_DOCUMENT_BYTES)
    try:
        return plain(await upload(b, checked_file(file), actor, limit))
    except DomainError as exc:
        if exc.code == "attachment_too_large":
            raise TooLarge(
                f"文件“{name}”过大：最大 {limit // 1024 // 1024} MB，无法导入", field="file", code="too_large"
            ) from exc
        if exc.code == "empty_attachment":
            raise Invalid(f"文件“{name}”是空文件，没有可以导入的内容", field="file", code="empty") from exc
        if exc.code == "attachment_type":
            raise Unsupported(
                f"文件“{name}”的内容与文件类型不符（可能是二进制文件或已损坏）：{ONLY}", field="file"
            ) from exc
        raise


async def read(
    b: Backend, actor: Actor, *, text: str | None = None, file: UploadFile | None = None, max_bytes: int
) -> tuple[DocumentRead, dict[str, Any] | None]:
    """The document as the notices service read it, and the file uploaded for it (if one was)."""
    where = "file" if file is not None else "text"
    source = None
    if file is not None:
        source = await send_file(b, file, actor, max_bytes)
        q = ReadDocument(attachment_id=source["attachment_id"], actor=actor)
    else:
        if not (text or "").strip():
            raise Invalid("请上传公文文件，或粘贴公文的全文", field="text", code="empty")
        try:
            q = ReadDocument(text=text, actor=actor)
        except ValidationError as exc:
            raise TooLarge("粘贴的文字过长，一份公文不超过200000字", field="text", code="too_large") from exc
    doc = await type(b.notices)(b, timeout=READ_TIMEOUT_S).read_document(q)
    if not doc.recognised:
        raise Invalid(
            "这不像一份公文：未找到文号、标题、发文机关和报送要求，无法生成草稿。请核对所选的文件或粘贴的文字",
            field=where,
            code="not_a_notice",
        )
    return doc, source


# ---------------------------------------------------------------- the draft


async def import_and_keep(
    request: Request,
    b: Backend,
    actor: Actor,
    *,
    text: str | None = None,
    file: UploadFile | None = None,
    notice_id: str | None = None,
) -> tuple[dict[str, Any], Imported]:
    """Import the document and keep its review (``request.app.state.imports``); the review's record, and all."""
    imported = await import_document(request, b, actor, text=text, file=file, notice_id=notice_id)
    doc = imported.record(actor, request.app.state.clock.now())
    await request.app.state.imports.save(doc)
    summary = {"draft_id": imported.draft.id, "title": imported.draft.title, "format": imported.read.file_type}
    await record(request, "drafts.import", summary, None, target=imported.draft.id)
    return doc, imported


async def import_document(
    request: Request,
    b: Backend,
    actor: Actor,
    *,
    text: str | None = None,
    file: UploadFile | None = None,
    notice_id: str | None = None,
) -> Imported:
    """Read the document, plan its draft and save it; the review is for the caller to keep (``record``)."""
    # The notice to forward first: a 收文 the unit does not hold is a 404 before any work.
    named = await visible_notice(b, notice_id, actor) if notice_id else None
    doc, source = await read(b, actor, text=text, file=file, max_bytes=request.app.state.settings.max_upload_bytes)
    target = drafting.forward_target(doc, actor, notice_id)
    forwarding = named or (await visible_notice(b, target, actor) if target else None)
    units = plain(await b.notices.all_units(Empty(actor=actor)))["items"]
    p = drafting.plan(doc, actor, units, forwarding=forwarding, explicit=bool(notice_id), source=source)
    draft, content, left_out = await save(request, b, actor, p)
    return Imported(draft=draft, read=doc, plan=p, content=content, left_out=left_out)


async def save(request: Request, b: Backend, actor: Actor, p: Plan) -> tuple[DraftView, dict[str, Any], list[Note]]:
    """Create the draft; a part it is refused for is left out (and said why) and the rest saved."""
    content = p.content
    left_out: list[Note] = []
    error: Exception | None = None
    for _ in range(MAX_ATTEMPTS):
        try:
            body = (NoticeDraft if p.kind == "notice" else ForwardDraft).model_validate(content)
            cmd = CreateDraft.model_validate({p.kind: body, "actor": actor})
            return await send(request, b.notices.create_draft, cmd), content, left_out
        except ValidationError as exc:
            error = exc
            problems = [(".".join(str(x) for x in e["loc"]), e["msg"]) for e in exc.errors()]
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            error = exc
            problems = [((e.field or "").removeprefix(f"{p.kind}."), e.message) for e in exc.all()]
        content = _less(content, problems, p, left_out, error)
    assert error is not None
    raise error


def _key(problem: tuple[str, str]) -> list[Any]:
    """Later items first, so taking one out leaves the indexes of the others as they were."""
    return [int(p) if p.isdigit() else -1 for p in problem[0].split(".")]


def _less(
    content: dict[str, Any], problems: list[tuple[str, str]], p: Plan, left_out: list[Note], error: Exception
) -> dict[str, Any]:
    """``content`` without what ``problems`` name: one part per item, the later items first."""
    done: set[tuple[str, ...]] = set()
    changed = False
    whole = {tuple(f.split(".")[:2]) for f, _ in problems if ".routes." not in f}
    for name, message in sorted(problems, key=_key, reverse=True):
        item = tuple(name.split(".")[:2])
        if item in done or (".routes." in name and item in whole):
            continue
        key = _field_key(content, item, name, p)
        got = drafting.without(content, name)
        if got is None:
            raise error
        content, what = got
        done.add(item)
        changed = True
        entry = note(name, f"{what}未填入草稿：{message}")
        if key:
            entry["key"] = key
        left_out.append(entry)
    if not changed:
        raise error
    return content


def _field_key(content: dict[str, Any], item: tuple[str, ...], name: str, p: Plan) -> str | None:
    """The extracted fields a part of the draft came from (a key, or the prefix of an ask's keys)."""
    if len(item) != 2:
        return None
    if item[0] in ("asks", "extra_asks") and item[1].isdigit() and ".routes." not in name:
        asks = content.get(item[0]) or []
        if int(item[1]) < len(asks):
            return f"asks.{asks[int(item[1])].get('ask_id')}."
    if item[0] in ("deadlines", "unit_kinds"):
        found = next((k for k, v in p.ask_ids.items() if v == item[1]), None)
        return (
            f"asks.{found}.{item[0].removesuffix('s') if item[0] == 'deadlines' else 'unit_kinds'}" if found else None
        )
    if item[0] == "contacts" and item[1].isdigit():
        return f"contacts.{item[1]}"
    return None
