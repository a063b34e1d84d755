"""导入公文: a received 公文 — text pasted, or a file the actor's unit uploaded — read with the intake library
(services/notices/intake) against this node's directory, and each notice it holds matched to the notices of
Cascade the actor's unit received or issued. Nothing is stored; the gateway makes the draft.

Reading runs in a worker thread (a PDF of a hundred pages takes a while), so the service keeps answering.
"""

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from shared.contracts.common import Actor
from shared.contracts.intake import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_CHARS,
    DocumentLevel,
    DocumentRead,
    DocumentWarning,
    ExtractedField,
    KnownNotice,
    LevelCommand,
    ReadDocument,
)
from shared.errors import Invalid, NotFound

from ..intake import (
    CommandDraft,
    DirectoryUnit,
    EmptyDocument,
    FileTooLarge,
    ImportedDraft,
    ImportedRoute,
    IntakeError,
    extract,
    parse_text,
    to_command,
)
from ..intake.extract import tidy
from ..intake.fields import fields_of
from .deps import Deps

log = logging.getLogger("cascade.notices.intake")

INBOX_SCAN = 5000  # a unit's 收文 of a year read at most to find a notice by its 文号 or title


async def read_document(q: ReadDocument, d: Deps) -> DocumentRead:
    if (q.text is None) == (q.attachment_id is None):
        raise Invalid("请上传公文文件，或粘贴公文的文字（二者之一）", field="file", code="no_document")
    units = await d.repo.list_units()
    filename, file_type, file_warnings = "", "text", []
    field = "text"
    if q.attachment_id is not None:
        field = "file"
        data, filename, content_type = await _file(q.attachment_id, q.actor, d)
        got = await _reading(field, extract, data, filename, content_type, max_bytes=MAX_DOCUMENT_BYTES)
        text, file_type, file_warnings = got.text, got.file_type, list(got.warnings)
    else:
        text = tidy(q.text or "")
    if not text.strip():
        raise EmptyDocument("没有可以导入的文字：请粘贴公文的全文", field=field)
    if len(text) > MAX_DOCUMENT_CHARS:
        raise FileTooLarge(f"文字过长（{len(text)}字），一份公文不超过{MAX_DOCUMENT_CHARS}字，无法导入", field=field)
    draft = await _reading(field, parse_text, text, directory=directory_of(units), tz=d.tz)
    draft = with_departments(draft, units)
    levels = [
        level_of(n, level, text).model_copy(update={"known": await known_notice(level, q.actor, d)})
        for n, level in enumerate(draft.chain())
    ]
    f = draft.fields
    return DocumentRead(
        file_type=file_type,  # type: ignore[arg-type]  # extract() names one of txt, docx, pdf
        filename=filename,
        text=text,
        recognised=bool(f.doc_number or f.title or f.issuers or draft.asks),
        levels=levels,
        warnings=[DocumentWarning(field=field, message=w) for w in file_warnings],
    )


async def _reading[T](field: str, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``read`` in a worker thread; its refusals said of ``field``. A reader that fails otherwise is a bug of
    the reader, logged, and to the person a document that could not be read (a 422, not a 5xx)."""
    try:
        return await asyncio.to_thread(read, *args, **kwargs)
    except IntakeError as exc:
        raise type(exc)(exc.message, field=field, code=exc.code) from exc
    except Exception as exc:
        log.exception("导入公文: the reader failed on a %s", field)
        raise Invalid(
            "无法识别这份公文的内容（读取时出错）：请检查文件，或改为粘贴公文的全文", field=field, code="unreadable"
        ) from exc


async def _file(attachment_id: str, actor: Actor | None, d: Deps) -> tuple[bytes, str, str]:
    """The bytes of a file the actor's unit uploaded (any other unit's does not exist for it)."""
    doc = await d.repo.get_attachment(attachment_id)
    if doc is None or (actor is not None and doc.get("unit_id") != actor.unit_id):
        raise NotFound("要导入的文件不存在或未上传完成", field="file", code="unknown_attachment")
    if doc["size"] > MAX_DOCUMENT_BYTES:
        raise FileTooLarge(
            f"文件过大（{doc['size'] / 1024 / 1024:.1f} MB），最大 {MAX_DOCUMENT_BYTES // 1024 // 1024} MB",
            field="file",
        )
    if not d.blobs.exists(doc["sha256"]):
        raise NotFound("文件内容尚未保存到本节点，请重新上传", field="file", code="content_missing")
    data = await asyncio.to_thread(d.blobs.read, doc["sha256"], 0, doc["size"])
    return data, doc["filename"], doc["content_type"]


def directory_of(units: list[dict]) -> list[DirectoryUnit]:
    """The directory as the intake matches names to it: each unit by its name and its 发文机关标志."""
    out = []
    for u in units:
        short = [u["mark_name"]] if u.get("mark_name") and u["mark_name"] != u["name"] else []
        out.append(DirectoryUnit(unit_id=u["_id"], name=u["name"], short_names=short, kind=u["kind"]))
    return out


# ---------------------------------------------------------------- routes to a unit without a department


def with_departments(draft: ImportedDraft, units: list[dict]) -> ImportedDraft:
    """A route that names a unit but no department ("报送中国科协") goes to the department of that unit the
    notice's contacts belong to, when the directory lists it (seed 002: the 活动办公室; seed 003: the
    培训和人才服务中心, its first contact). Each level in turn."""
    by_id = {u["_id"]: u for u in units}
    upstream = with_departments(draft.upstream, units) if draft.upstream is not None else None
    routes = [_department(r, draft, by_id) for r in draft.routes]
    return draft.model_copy(update={"routes": routes, "upstream": upstream})


def _department(r: ImportedRoute, draft: ImportedDraft, units: dict[str, dict]) -> ImportedRoute:
    unit = units.get(r.to_unit_id or "")
    if r.department or unit is None:
        return r
    departments = unit.get("departments") or []
    names = sorted({unit["name"], unit.get("mark_name") or "", *(r.organisation or "",)} - {""}, key=len, reverse=True)
    for block in draft.fields.contacts:
        dep = block.department or ""
        for name in names:
            dep = dep.removeprefix(name)
        if dep in departments:
            return r.model_copy(
                update={"department": dep, "confidence": min(r.confidence, 0.6), "how": "联系人所在部门"}
            )
    return r


# ---------------------------------------------------------------- one level


def level_of(n: int, level: ImportedDraft, text: str) -> DocumentLevel:
    """One notice of the document: its fields, and it in the shape of IssueNotice (and ForwardNotice, when it
    forwards the next level); which notice of Cascade it is is for ``known_notice``."""
    f = level.fields
    alone = level.model_copy(update={"upstream": None, "kind": "notice"})
    issue = _command(to_command(alone))
    forward = None
    if level.upstream is not None:
        forward = _command(to_command(level.model_copy(update={"kind": "forward"})))
    return DocumentLevel(
        level=n,
        kind="forward" if level.upstream is not None else "notice",
        stub=level.stub,
        doc_number=f.doc_number.value if f.doc_number else None,
        title=f.title.value if f.title else None,
        issuer_names=[i.name for i in f.issuers],
        issuer_unit_ids=[i.unit_id for i in f.issuers],
        recipients=f.recipients.value if f.recipients else None,
        date=f.date.value.isoformat() if f.date else None,
        segment=level.segment,
        fields=[ExtractedField.model_validate(x) for x in fields_of(level, text)],
        issue=issue,
        forward=forward,
        warnings=[DocumentWarning(field=w.field, message=w.message) for w in level.warnings],
    )


def _command(cmd: CommandDraft) -> LevelCommand:
    return LevelCommand(
        command=cmd.command,
        values=cmd.values,
        missing=cmd.missing,
        raw=cmd.raw,
        warnings=[DocumentWarning(field=w.field, message=w.message) for w in cmd.warnings],
    )


# ---------------------------------------------------------------- the notice in Cascade


_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕", "(": "〔", ")": "〕"})
_BRACKETS |= str.maketrans({"（": "〔", "）": "〕", "{": "〔", "}": "〕"})
_NOISE = re.compile(r"[\s“”\"'‘’《》〈〉<>「」『』]")


def same_number(number: str) -> str:
    """A 文号 as compared: no spaces, one kind of bracket around the year."""
    return re.sub(r"\s", "", number).translate(_BRACKETS)


def same_title(title: str) -> str:
    return _NOISE.sub("", title)


async def known_notice(level: ImportedDraft, actor: Actor | None, d: Deps) -> KnownNotice | None:
    """The notice of Cascade this level is: by its lead issuer and 文号 (the unique ``number_key``), else among
    what the actor's unit received in the year of the 文号 (by 文号, or by title when that is all a 转发 says)."""
    if actor is None:
        return None
    f = level.fields
    number = f.doc_number.value if f.doc_number else None
    lead = f.issuers[0].unit_id if f.issuers else None
    if number and lead:
        doc = await d.repo.notices.find_one(
            {"number_key": f"{lead}:{number}"},
            {"_id": 1, "doc_number": 1, "title": 1, "issuers": 1, "issuer_unit_ids": 1},
        )
        if doc is not None:
            if actor.unit_id in doc.get("issuer_unit_ids", []):
                return _known(doc, "issued")
            if await d.repo.inbox_entry(doc["_id"], actor.unit_id) is not None:
                return _known(doc, "received")
    title = f.title.value if f.title else None
    if not number and not title:
        return None
    want_number = same_number(number) if number else None
    want_title = same_title(title) if title else None
    query: dict[str, Any] = {"unit_id": actor.unit_id}
    year = _year(number, title)
    if year is not None:
        query["year"] = {"$in": [year, year + 1]}  # received in the year of its 文号, or early the next
    fields = {"notice_id": 1, "doc_number": 1, "title": 1, "issuer_name": 1}
    async for entry in d.repo.inbox.find(query, fields).limit(INBOX_SCAN):
        if want_number and same_number(entry.get("doc_number") or "") == want_number:
            return _entry(entry)
        if not want_number and want_title and same_title(entry.get("title") or "") == want_title:
            return _entry(entry)
    return None


def _year(number: str | None, title: str | None) -> int | None:
    for s in (number, title):
        m = re.search(r"(20\d\d)", s or "")
        if m:
            return int(m[1])
    return None


def _known(doc: dict, relation: str) -> KnownNotice:
    names = "、".join(i.get("name", "") for i in doc.get("issuers", []))
    return KnownNotice.model_validate(
        {"notice_id": doc["_id"], "doc_number": doc["doc_number"], "title": doc["title"], "issuer_name": names}
        | {"relation": relation}
    )


def _entry(entry: dict) -> KnownNotice:
    return KnownNotice(
        notice_id=entry["notice_id"],
        doc_number=entry.get("doc_number") or "",
        title=entry.get("title") or "",
        issuer_name=entry.get("issuer_name") or "",
        relation="received",
    )
