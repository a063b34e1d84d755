"""Notices' use cases: each takes a message and the dependencies, returns data.

They translate a command or event into repository calls and domain rules;
app.py binds them to subjects.

Scope: commands and queries carry the ``Actor`` the gateway authenticated.
A unit sees only notices addressed to it or issued by it, and acts only as
itself. ``actor=None`` is a trusted internal caller (the node's own tools).
"""

import asyncio
import base64
from dataclasses import dataclass
from datetime import datetime

from shared import file_sync, outbox
from shared.blobs import BlobStore
from shared.clock import Clock, local_year
from shared.commands import (
    AcknowledgeNotice,
    Actor,
    BeginUpload,
    CorrectNotice,
    DeleteUnit,
    ExportUnits,
    FinishUpload,
    ForwardNotice,
    ImportUnits,
    IssueNotice,
    NoticeQuery,
    ReadAttachment,
    ReadBlob,
    TrackingQuery,
    UnitNoticesQuery,
    UnitsQuery,
    UnitQuery,
    UploadPart,
    UpsertUnit,
    WithdrawNotice,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge, Unsupported
from shared.events import (
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeForwarded,
    NoticeForwardReported,
    NoticeIssued,
    NoticeUpstreamChanged,
    NoticeWithdrawn,
)
from shared.ids import new_id
from shared.paging import Page, page_of
from shared.schemas import Attachment, NoticeSnapshot, UnitRef
from shared.scope import act_as, actor_name
from shared.service import Service
from shared.settings import NoticesSettings
from shared.storage import public

from . import directory_io, domain, presets
from .repository import NoticesRepository, notice_document, snapshot_of

STALE_UPLOAD_S = 24 * 3600.0


@dataclass
class Deps:
    svc: Service
    repo: NoticesRepository
    settings: NoticesSettings
    clock: Clock
    blobs: BlobStore

    @property
    def node(self) -> str:
        return self.settings.node_id

    @property
    def tz(self) -> str:
        return self.settings.timezone

    @property
    def reachable_nodes(self) -> set[str]:
        """Where a copy can go: this node and those linked to it (parent and children)."""
        return {self.node, *self.settings.linked_nodes}


async def visible_notice(notice_id: str, actor: Actor | None, d: Deps) -> dict:
    """The notice, if the actor's unit issued it or received it; otherwise it does not exist for them."""
    doc = await d.repo.get_notice(notice_id)
    if doc is not None and (
        actor is None
        or actor.unit_id in doc.get("issuer_unit_ids", [])
        or await d.repo.inbox_entry(notice_id, actor.unit_id) is not None
    ):
        return doc
    raise NotFound("通知不存在", field="notice_id")


def require_issuer(doc: dict, actor: Actor | None, what: str) -> None:
    if doc.get("origin") != "local":
        raise Forbidden(f"只有发文单位可以{what}", field="notice_id", code="not_issuer")
    if actor is not None and actor.unit_id not in doc.get("issuer_unit_ids", []):
        raise Forbidden(f"只有发文单位可以{what}", field="notice_id", code="not_issuer")


# ---------------------------------------------------------------- directory


async def upsert_unit(cmd: UpsertUnit, d: Deps) -> dict:
    domain.check_unit(cmd)
    if cmd.parent_id:
        current = await d.repo.get_unit(cmd.parent_id)
        if current is None:
            raise NotFound(f"上级单位不存在：{cmd.parent_id}", field="parent_id")
        # Walk up from the new parent: meeting the unit itself would make it its own ancestor.
        seen: set[str] = set()
        while current is not None and current["_id"] not in seen:
            if current["_id"] == cmd.unit_id:
                raise Invalid("上级单位形成循环", field="parent_id", code="parent_cycle")
            seen.add(current["_id"])
            current = await d.repo.get_unit(current["parent_id"]) if current.get("parent_id") else None
    doc = unit_document(cmd, d.node)
    await d.repo.upsert_unit(doc)
    return public(doc)


def unit_document(cmd: UpsertUnit, node: str) -> dict:
    doc = cmd.model_dump(mode="python")
    doc["_id"] = doc.pop("unit_id")
    doc["node_id"] = cmd.node_id or node
    return doc


async def delete_unit(cmd: DeleteUnit, d: Deps) -> dict:
    if await d.repo.get_unit(cmd.unit_id) is None:
        raise NotFound(f"单位不存在：{cmd.unit_id}", field="unit_id")
    children = await d.repo.children_of(cmd.unit_id)
    if children:
        raise Conflict(f"该单位还有下级单位：{'、'.join(children[:5])}", field="unit_id", code="has_children")
    await d.repo.delete_unit(cmd.unit_id)
    return {"unit_id": cmd.unit_id, "deleted": True}


async def list_units(d: Deps) -> list[dict]:
    return [public(u) for u in await d.repo.list_units()]


async def units_page(q: UnitsQuery, d: Deps) -> Page[dict]:
    docs, more, total = await d.repo.units_page(q.page, kind=q.kind, parent_id=q.parent_id)
    return page_of([public(u) for u in docs], q.page, more, total)


async def get_unit(q: UnitQuery, d: Deps) -> dict:
    doc = await d.repo.get_unit(q.unit_id)
    if doc is None:
        raise NotFound(f"单位不存在：{q.unit_id}", field="unit_id")
    return public(doc)


async def import_units(cmd: ImportUnits, d: Deps) -> dict:
    """All rows or none: every row is checked (with the directory as it is) before anything is written."""
    rows, errors = directory_io.parse(cmd.format, cmd.content)
    existing = {u["_id"]: u for u in await d.repo.list_units()}
    parents = {uid: u.get("parent_id") for uid, u in existing.items()}
    seen: dict[str, int] = {}
    for row in rows:
        unit = row.unit
        if unit.unit_id in seen:
            errors.append(directory_io.RowError(row.line, "unit_id", f"单位编号重复（与第{seen[unit.unit_id]}行）"))
        seen.setdefault(unit.unit_id, row.line)
        try:
            domain.check_unit(unit)
        except Invalid as exc:
            errors.append(directory_io.RowError(row.line, exc.field, exc.message))
        parents[unit.unit_id] = unit.parent_id
    for row in rows:
        parent = row.unit.parent_id
        if parent and parent not in parents:
            errors.append(directory_io.RowError(row.line, "parent_id", f"上级单位不存在：{parent}"))
        elif parent and domain.parent_cycle(row.unit.unit_id, parents):
            errors.append(directory_io.RowError(row.line, "parent_id", "上级单位形成循环"))
    if not rows and not errors:
        errors.append(directory_io.RowError(1, None, "文件中没有单位"))
    if errors:
        errors.sort(key=lambda e: e.line)
        return {"imported": 0, "errors": [e.as_dict() for e in errors]}
    staged = {
        "_id": new_id(),
        "status": "pending",
        "at": d.clock.now(),
        "by": actor_name(cmd.actor),
        "units": [unit_document(r.unit, d.node) for r in rows],
    }
    await d.repo.stage_import(staged)
    written = await d.repo.apply_import(staged)
    return {"imported": len(rows), "written": written, "errors": []}


async def export_units(cmd: ExportUnits, d: Deps) -> dict:
    units = await d.repo.list_units()
    content = directory_io.to_csv(units) if cmd.format == "csv" else directory_io.to_yaml(units)
    return {"format": cmd.format, "content": content, "count": len(units)}


# ---------------------------------------------------------------- attachments


async def begin_upload(cmd: BeginUpload, d: Deps) -> dict:
    """Limits are checked before any byte travels; a content already stored is not sent again."""
    content_type = domain.base_content_type(cmd.content_type)
    limit = d.settings.max_attachment_bytes
    if cmd.size > limit:
        raise TooLarge(f"附件“{cmd.filename}”超过大小上限（{limit // (1024 * 1024)} MB）", field="file",
                       code="attachment_too_large")
    if cmd.size == 0:
        raise Invalid(f"附件“{cmd.filename}”是空文件", field="file", code="empty_attachment")
    if content_type not in d.settings.allowed_attachment_types:
        raise Unsupported(f"不支持的附件类型：{content_type}（允许 PDF、Word、Excel、图片、文本、ZIP）", field="file",
                          code="attachment_type")
    if d.blobs.exists(cmd.sha256):
        return {"attachment": await _record_attachment(cmd.filename, content_type, cmd.size, cmd.sha256, cmd.actor, d)}
    upload_id = new_id()
    await asyncio.to_thread(d.blobs.start_upload, upload_id)
    await d.repo.start_upload(
        {"_id": upload_id, "filename": cmd.filename, "content_type": content_type, "size": cmd.size,
         "sha256": cmd.sha256, "started_at": d.clock.now(), "unit_id": cmd.actor.unit_id if cmd.actor else None}
    )
    return {"upload_id": upload_id}


async def upload_part(cmd: UploadPart, d: Deps) -> dict:
    upload = await d.repo.get_upload(cmd.upload_id)
    if upload is None:
        raise NotFound("上传不存在或已结束", field="upload_id")
    try:
        data = base64.b64decode(cmd.data, validate=True)
    except ValueError as exc:
        raise Invalid("数据不是有效的 base64", field="data") from exc
    if cmd.offset + len(data) > upload["size"]:
        raise Invalid("数据超出声明的文件大小", field="offset", code="beyond_size")
    await asyncio.to_thread(d.blobs.write_part, cmd.upload_id, cmd.offset, data)
    return {"upload_id": cmd.upload_id, "received": cmd.offset + len(data)}


async def finish_upload(cmd: FinishUpload, d: Deps) -> dict:
    upload = await d.repo.get_upload(cmd.upload_id)
    if upload is None:
        raise NotFound("上传不存在或已结束", field="upload_id")
    size, sha, head = await asyncio.to_thread(d.blobs.upload_digest, cmd.upload_id)

    async def refuse(exc: Exception) -> None:
        await asyncio.to_thread(d.blobs.discard_upload, cmd.upload_id)
        await d.repo.end_upload(cmd.upload_id)
        raise exc

    if size != upload["size"] or sha != upload["sha256"]:
        await refuse(Invalid("附件内容与声明的大小或校验值不符", field="file", code="checksum_mismatch"))
    if not domain.content_matches_type(upload["content_type"], head):
        await refuse(Unsupported(f"附件内容与声明的类型（{upload['content_type']}）不符", field="file",
                                 code="attachment_type"))
    await asyncio.to_thread(d.blobs.commit_upload, cmd.upload_id, sha)
    attachment = await _record_attachment(upload["filename"], upload["content_type"], size, sha, cmd.actor, d)
    await d.repo.end_upload(cmd.upload_id)
    return {"attachment": attachment}


async def _record_attachment(filename: str, content_type: str, size: int, sha: str, actor: Actor | None, d: Deps) -> dict:
    att = Attachment(attachment_id=new_id(), filename=filename, content_type=content_type, size=size, sha256=sha)
    doc = att.model_dump(mode="python")
    doc["_id"] = doc.pop("attachment_id")
    doc.update(uploaded_at=d.clock.now(), uploaded_by=actor_name(actor), unit_id=actor.unit_id if actor else None)
    await d.repo.add_attachment(doc)
    return att.model_dump(mode="json")


async def read_attachment(q: ReadAttachment, d: Deps) -> dict:
    """An attachment's metadata as listed on a notice the actor sees (or as its unit uploaded it)."""
    if q.notice_id:
        notice = await visible_notice(q.notice_id, q.actor, d)
        meta = next((a for a in notice.get("attachments", []) if a["attachment_id"] == q.attachment_id), None)
    else:
        doc = await d.repo.get_attachment(q.attachment_id)
        meta = None
        if doc is not None and (q.actor is None or doc.get("unit_id") == q.actor.unit_id):
            meta = {"attachment_id": doc["_id"], **{k: doc[k] for k in ("filename", "content_type", "size", "sha256")}}
    if meta is None:
        raise NotFound("附件不存在", field="attachment_id")
    out = {k: meta.get(k) for k in ("attachment_id", "filename", "content_type", "size", "sha256", "original_of")}
    out["available"] = d.blobs.exists(meta["sha256"])
    return out


async def read_blob(q: ReadBlob, d: Deps) -> dict:
    """Whether a file's bytes are here, or one piece of them (base64). The caller has checked who may read."""
    out: dict = {"available": d.blobs.exists(q.sha256)}
    if q.length:
        if not out["available"]:
            raise NotFound("附件内容尚未同步到本节点，请稍后再试", field="sha256", code="content_missing")
        data = await asyncio.to_thread(d.blobs.read, q.sha256, q.offset, q.length)
        out["data"] = base64.b64encode(data).decode("ascii")
    return out


async def checked_attachments(
    attachments: list[Attachment], d: Deps, *, field: str = "attachments", already: list[dict] = ()
) -> list[Attachment]:
    """Attachments a command names must have been uploaded here (or be on the notice already)."""
    known = {a["attachment_id"]: a for a in already}
    stored = await d.repo.attachments_by_id([a.attachment_id for a in attachments if a.attachment_id not in known])
    out = []
    for i, att in enumerate(attachments):
        if att.attachment_id in known:
            out.append(Attachment.model_validate(known[att.attachment_id]))
            continue
        doc = stored.get(att.attachment_id)
        if doc is None or doc["sha256"] != att.sha256 or doc["size"] != att.size:
            raise Invalid(f"附件不存在或未上传完成：{att.filename}", field=f"{field}.{i}", code="unknown_attachment")
        out.append(Attachment(attachment_id=doc["_id"], filename=doc["filename"], content_type=doc["content_type"],
                              size=doc["size"], sha256=doc["sha256"]))
    return out


# ---------------------------------------------------------------- issue


async def _units(d: Deps, ids: list[str]) -> tuple[dict[str, dict], dict[str, UnitRef]]:
    units = await d.repo.units_by_id(ids)
    return units, {uid: domain.unit_ref(doc, d.node) for uid, doc in units.items()}


async def issue_notice(cmd: IssueNotice, d: Deps) -> dict:
    now = d.clock.now()
    # The lead issuer's 文号 sequence is used: only the lead unit's own issuers may issue (joint or not).
    if cmd.actor is not None and cmd.actor.unit_id != cmd.issuer_unit_ids[0]:
        raise Forbidden("只能以本单位为主办单位发文", field="issuer_unit_ids.0", code="other_unit")
    domain.check_title(cmd.title)
    units, refs = await _units(d, cmd.issuer_unit_ids + cmd.recipient_unit_ids + domain.route_unit_ids(cmd.asks))
    issuers = domain.check_issuers(cmd.issuer_unit_ids, refs)
    issuer_docs = {u.unit_id: units[u.unit_id] for u in issuers}
    domain.check_asks(cmd.asks, now, units)
    recipients = domain.check_recipients(cmd.recipient_unit_ids, refs, issuers=cmd.issuer_unit_ids,
                                         reachable_nodes=d.reachable_nodes)
    attachments = await checked_attachments(cmd.attachments, d)
    lead = issuer_docs[issuers[0].unit_id]
    notice_id = new_id()

    def build(number: str) -> tuple[dict, list[dict]]:
        notice = NoticeSnapshot(
            notice_id=notice_id, doc_number=number, title=cmd.title, issuers=issuers, body=cmd.body,
            asks=cmd.asks, contacts=cmd.contacts, attachments=attachments, recipients=recipients,
            root_notice_id=notice_id, chain=[], issued_at=now, issued_by=actor_name(cmd.actor),
        )
        events = domain.notice_events(
            lambda n, part, parts: NoticeIssued(occurred_at=now, origin_node=d.node, root_notice_id=notice_id,
                                                notice=n, part=part, parts=parts),
            notice, d.node, d.settings.recipients_per_event,
        )
        return notice_document(notice, kind="issued", origin="local", warnings=[]), outbox.entries(*events)

    doc = await _insert_numbered(d, lead, cmd.doc_number, now, build)
    return {"notice_id": doc["_id"], "doc_number": doc["doc_number"], "recipients": len(recipients), "warnings": []}


async def _insert_numbered(d: Deps, lead: dict, manual: str | None, now: datetime, build) -> dict:
    year = local_year(now, d.tz)
    doc = await d.repo.insert_numbered(
        issuer_unit_id=lead["_id"],
        year=year,
        manual_number=manual,
        format_number=lambda seq: domain.format_doc_number(
            lead.get("doc_number_template"), prefix=lead["name"], year=year, seq=seq
        ),
        build=build,
    )
    await d.repo.flush(doc["_id"], doc[outbox.FIELD])
    await d.repo.list_sent(doc, local_year(doc["issued_at"], d.tz))  # again when its event is consumed (crash-safe)
    return doc


# ---------------------------------------------------------------- forward (转发)


async def forward_notice(cmd: ForwardNotice, d: Deps) -> dict:
    now = d.clock.now()
    act_as(cmd.actor, cmd.unit_id, "unit_id")
    domain.check_title(cmd.title)
    upstream_doc = await d.repo.get_notice(cmd.notice_id)
    entry = await d.repo.inbox_entry(cmd.notice_id, cmd.unit_id)
    if upstream_doc is None or entry is None:
        raise NotFound("本单位收文中没有该通知", field="notice_id")
    if upstream_doc.get("status") == "withdrawn":
        raise Conflict("该通知已撤回，不能转发", field="notice_id", code="withdrawn")
    upstream = snapshot_of(upstream_doc)

    issuer_ids = [cmd.unit_id, *cmd.co_issuer_unit_ids]
    routed = domain.route_unit_ids(cmd.extra_asks, cmd.routes)
    units, refs = await _units(d, issuer_ids + cmd.recipient_unit_ids + routed)
    if cmd.unit_id not in refs:
        raise NotFound(f"单位不存在：{cmd.unit_id}", field="unit_id")
    issuers = [refs[cmd.unit_id], *domain.check_issuers(cmd.co_issuer_unit_ids, refs, field="co_issuer_unit_ids")]
    if cmd.unit_id in cmd.co_issuer_unit_ids:
        raise Invalid("联合转发单位不能是本单位", field="co_issuer_unit_ids")
    issuer_docs = {u.unit_id: units[u.unit_id] for u in issuers}
    domain.check_routes(cmd.routes, units, field="routes")
    asks, warnings = domain.forward_asks(
        upstream.asks, cmd.deadlines, cmd.routes, now, unit_kinds=cmd.unit_kinds,
        tz=d.tz, min_slack=d.settings.min_forward_slack_days, working_days=d.settings.forward_slack_in_working_days,
    )
    domain.check_asks(cmd.extra_asks, now, units, field="extra_asks", taken_ids=[a.ask_id for a in asks])
    refused = domain.forward_refusals(issuers, upstream, await _ancestors(issuer_ids, d))
    recipients = domain.check_recipients(cmd.recipient_unit_ids, refs, issuers=issuer_ids,
                                         reachable_nodes=d.reachable_nodes, refused=refused)
    extra_files = await checked_attachments(cmd.attachments, d)

    # The original travels with the 转发 as a file, so every level can read
    # exactly what it was given even where the upstream notice is not visible.
    text = domain.original_text(upstream, d.tz).encode("utf-8")
    sha = await asyncio.to_thread(d.blobs.put, text)
    original = Attachment(attachment_id=new_id(), filename=domain.original_filename(upstream),
                          content_type="text/plain", size=len(text), sha256=sha, original_of=upstream.notice_id)
    notice_id = new_id()

    def build(number: str) -> tuple[dict, list[dict]]:
        notice = domain.forwarded_snapshot(
            upstream, notice_id=notice_id, doc_number=number, title=cmd.title or domain.forward_title(upstream.title),
            issuers=issuers, recipients=recipients, cover_note=cmd.cover_note, asks=[*asks, *cmd.extra_asks],
            contacts=cmd.contacts, attachments=[original, *upstream.attachments, *extra_files],
            now=now, issued_by=actor_name(cmd.actor),
        )
        events = domain.notice_events(
            lambda n, part, parts: NoticeForwarded(occurred_at=now, origin_node=d.node,
                                                   root_notice_id=upstream.root_notice_id,
                                                   notice=n, part=part, parts=parts),
            notice, d.node, d.settings.recipients_per_event,
        )
        # The upstream issuer's node learns of the 转发 too, wherever it was made.
        report = NoticeForwardReported(
            occurred_at=now, origin_node=d.node, root_notice_id=upstream.root_notice_id,
            notice_id=upstream.notice_id, issuer_node=upstream_node, forward_notice_id=notice_id,
            doc_number=number, unit_id=issuers[0].unit_id, unit_name=issuers[0].name, node_id=d.node,
            recipients=len(recipients), forwarded_at=now,
        )
        events += [(report, None)] + ([(report, upstream_node)] if upstream_node != d.node else [])
        return notice_document(notice, kind="forwarded", origin="local", warnings=warnings), outbox.entries(*events)

    upstream_node = upstream.issuers[0].node_id
    doc = await _insert_numbered(d, issuer_docs[cmd.unit_id], cmd.doc_number, now, build)
    await link_forward(snapshot_of(doc), d)
    await flag_if_changed_meanwhile(upstream_doc, doc["_id"], d)
    return {"notice_id": doc["_id"], "doc_number": doc["doc_number"], "recipients": len(recipients),
            "warnings": warnings}


async def _ancestors(unit_ids: list[str], d: Deps) -> dict[str, str]:
    """The units above these in the directory (``parent_id`` chains), id → name. Looked up by ``_id``."""
    out: dict[str, str] = {}
    seen = set(unit_ids)
    todo = list(unit_ids)
    while todo:
        unit = await d.repo.get_unit(todo.pop())
        parent_id = (unit or {}).get("parent_id")
        if parent_id and parent_id not in seen:
            seen.add(parent_id)
            parent = await d.repo.get_unit(parent_id)
            if parent is not None:
                out[parent_id] = parent["name"]
                todo.append(parent_id)
    return out


def forward_link(*, notice_id: str, doc_number: str, unit_id: str, unit_name: str, issued_at: datetime,
                 node_id: str, recipients: int) -> dict:
    """How a 转发 is listed on the notice it forwards (下级转发) and in its issuer's tracking (已转发)."""
    return {"notice_id": notice_id, "doc_number": doc_number, "unit_id": unit_id, "unit_name": unit_name,
            "issued_at": issued_at, "node_id": node_id, "recipients": recipients}


async def link_forward(notice: NoticeSnapshot, d: Deps) -> None:
    """Record the 转发 on the notice it forwards, the forwarder's inbox entry and (if local) the issuer's tracking.

    Runs after the forward and again when its event is consumed: ``$set``
    keyed by notice id, so doing it twice changes nothing. An issuer on
    another node learns of it from ``notice.forward_reported``.
    """
    parent_id = notice.parent_notice_id
    if parent_id is None:
        return
    forwarder = notice.issuers[0]
    link = forward_link(notice_id=notice.notice_id, doc_number=notice.doc_number, unit_id=forwarder.unit_id,
                        unit_name=forwarder.name, issued_at=notice.issued_at, node_id=d.node,
                        recipients=len(notice.recipients))
    await d.repo.set_fields(parent_id, {f"forwards.{notice.notice_id}": link})
    await d.repo.set_inbox_fields(parent_id, forwarder.unit_id, {f"forwarded.{notice.notice_id}": link})
    parent = await d.repo.get_notice(parent_id)
    if parent is not None and parent.get("origin") == "local":
        await d.repo.record_receipt(parent_id, forwarder.unit_id, {f"forwarded.{notice.notice_id}": link})


async def on_forward_reported(event: NoticeForwardReported, d: Deps) -> None:
    """The issuer's side of a 转发 (made here or on a linked node): 下级转发 on the notice, 已转发 in its tracking."""
    if event.issuer_node != d.node or await d.repo.get_notice(event.notice_id) is None:
        return
    link = forward_link(notice_id=event.forward_notice_id, doc_number=event.doc_number, unit_id=event.unit_id,
                        unit_name=event.unit_name, issued_at=event.forwarded_at, node_id=event.node_id,
                        recipients=event.recipients)
    await d.repo.set_fields(event.notice_id, {f"forwards.{event.forward_notice_id}": link})
    await d.repo.record_receipt(event.notice_id, event.unit_id, {f"forwarded.{event.forward_notice_id}": link})


# ---------------------------------------------------------------- correct / withdraw (更正/撤回)


async def correct_notice(cmd: CorrectNotice, d: Deps) -> dict:
    now = d.clock.now()
    doc = await visible_notice(cmd.notice_id, cmd.actor, d)
    require_issuer(doc, cmd.actor, "更正")
    domain.check_title(cmd.title)
    if doc.get("status") == "withdrawn":
        raise Conflict("该通知已撤回，不能更正", field="notice_id", code="withdrawn")
    notice = snapshot_of(doc)
    new, changed = domain.corrected(notice, cmd)
    if "asks" in changed:
        units = await d.repo.units_by_id(domain.route_unit_ids(new.asks))
        domain.check_asks(new.asks, now, units, unchanged=notice.asks)
        if notice.parent_notice_id:
            parent = await d.repo.get_notice(notice.parent_notice_id)
            if parent is not None:
                domain.check_against_upstream(new.asks, snapshot_of(parent).asks, d.tz)
    if "attachments" in changed:
        files = await checked_attachments(new.attachments, d, already=doc.get("attachments", []))
        new = new.model_copy(update={"attachments": files})
    by = actor_name(cmd.actor)
    events = domain.notice_events(
        lambda n, part, parts: NoticeCorrected(occurred_at=now, origin_node=d.node, root_notice_id=new.root_notice_id,
                                               notice=n, part=part, parts=parts, reason=cmd.reason,
                                               changed=changed, corrected_by=by),
        new, d.node, d.settings.recipients_per_event,
    )
    change = {"kind": "corrected", "reason": cmd.reason, "at": now, "by": by, "revision": new.revision,
              "changed": changed}
    fields = {name: new.model_dump(mode="python")[name] for name in changed}
    fields.update(revision=new.revision, status="corrected", last_change=change,
                  history=[*doc.get("history", []), change])
    pending = outbox.entries(*events)
    if not await d.repo.set_fields(cmd.notice_id, fields, revision=notice.revision, events=pending):
        raise Conflict("通知刚被修改过，请刷新后重试", field="notice_id", code="stale_revision")
    await d.repo.flush(cmd.notice_id, pending)
    return {"notice_id": cmd.notice_id, "revision": new.revision, "changed": changed}


async def withdraw_notice(cmd: WithdrawNotice, d: Deps) -> dict:
    now = d.clock.now()
    doc = await visible_notice(cmd.notice_id, cmd.actor, d)
    require_issuer(doc, cmd.actor, "撤回")
    if doc.get("status") == "withdrawn":
        raise Conflict("该通知已撤回", field="notice_id", code="already_withdrawn")
    notice = snapshot_of(doc)
    by = actor_name(cmd.actor)

    def withdrawn(recipients: list[UnitRef]) -> NoticeWithdrawn:
        return NoticeWithdrawn(occurred_at=now, origin_node=d.node, root_notice_id=notice.root_notice_id,
                               notice_id=notice.notice_id, doc_number=notice.doc_number,
                               recipient_unit_ids=[r.unit_id for r in recipients], reason=cmd.reason, withdrawn_by=by)

    pairs = [(withdrawn(notice.recipients), None)] + [
        (withdrawn(domain.for_node(notice, node).recipients), node)
        for node in domain.recipient_nodes(notice.recipients) if node != d.node
    ]
    change = {"kind": "withdrawn", "reason": cmd.reason, "at": now, "by": by, "revision": notice.revision}
    pending = outbox.entries(*pairs)
    fields = {"status": "withdrawn", "last_change": change, "history": [*doc.get("history", []), change]}
    if not await d.repo.set_fields(cmd.notice_id, fields, revision=notice.revision, events=pending):
        raise Conflict("通知刚被修改过，请刷新后重试", field="notice_id", code="stale_revision")
    await d.repo.flush(cmd.notice_id, pending)
    return {"notice_id": cmd.notice_id, "status": "withdrawn"}


# ---------------------------------------------------------------- reading


async def list_issued(q: UnitNoticesQuery, d: Deps) -> Page[dict]:
    """发文: a page of the notices the unit issued (alone or jointly) or forwarded, with 签收 counts."""
    unit_id = q.unit_id or (q.actor.unit_id if q.actor else None)
    if unit_id:
        act_as(q.actor, unit_id, "unit_id")
    docs, more, total = await d.repo.issued_by(unit_id, q.page, q.year)
    signed = await d.repo.signed_counts([doc["_id"] for doc in docs])
    flags = await d.repo.upstream_changes([doc["_id"] for doc in docs if doc.get("parent_notice_id")])
    rows = [{
        "id": doc["_id"],
        "doc_number": doc["doc_number"],
        "title": doc["title"],
        "kind": doc["kind"],
        "status": doc.get("status", "issued"),
        "revision": doc.get("revision", 1),
        "issuer_name": "、".join(i["name"] for i in doc["issuers"]),
        "issued_at": doc["issued_at"],
        "recipients": doc.get("recipient_count", 0),
        "acknowledged": signed.get(doc["_id"], 0),
        "parent_notice_id": doc.get("parent_notice_id"),
        "upstream_change": domain.latest_change(flags.get(doc["_id"])),
    } for doc in docs]
    return page_of(rows, q.page, more, total)


async def get_notice(q: NoticeQuery, d: Deps) -> dict:
    doc = await visible_notice(q.notice_id, q.actor, d)
    out = public(doc)
    out.pop("number_key", None)
    out.pop("flagged", None)
    changes = (await d.repo.upstream_changes([q.notice_id])).get(q.notice_id, {})
    out["upstream_changes"] = sorted(changes.values(), key=domain.change_order)
    out["upstream_change"] = domain.latest_change(changes)
    if q.actor is not None:
        entry = await d.repo.inbox_entry(q.notice_id, q.actor.unit_id)
        out["viewer"] = {
            "unit_id": q.actor.unit_id,
            "is_issuer": doc.get("origin") == "local" and q.actor.unit_id in doc.get("issuer_unit_ids", []),
            "inbox": public(entry) if entry else None,
        }
    return out


async def tracking(q: TrackingQuery, d: Deps) -> dict:
    """The issuer's view of 签收: a page of the recipients, those who have not signed first, with times and
    their 转发; the counts cover every recipient. Bounded by the notice, not by history."""
    doc = await visible_notice(q.notice_id, q.actor, d)
    require_issuer(doc, q.actor, "查看签收情况")
    receipts = await d.repo.receipts_of(q.notice_id)
    rows = []
    for r in doc.get("recipients", []):
        receipt = receipts.get(r["unit_id"], {})
        ack = receipt.get("acknowledged") or {}
        rows.append({
            "unit_id": r["unit_id"], "name": r["name"], "kind": r["kind"], "node_id": r["node_id"],
            "acknowledged_at": ack.get("at"), "acknowledged_by": ack.get("by"),
            "forwarded": sorted(receipt.get("forwarded", {}).values(), key=lambda f: f["issued_at"]),
        })
    rows.sort(key=lambda row: (row["acknowledged_at"] is not None, row["name"], row["unit_id"]))
    done = sum(1 for row in rows if row["acknowledged_at"])
    start = q.page.skip
    return {"notice_id": doc["_id"], "doc_number": doc["doc_number"], "title": doc["title"],
            "status": doc.get("status", "issued"), "total": len(rows), "acknowledged": done,
            "pending": len(rows) - done,
            "page": page_of(rows[start:start + q.page.per_page], q.page, len(rows) > start + q.page.per_page,
                            len(rows)).model_dump(exclude={"items"}),
            "recipients": rows[start:start + q.page.per_page]}


async def inbox(q: UnitNoticesQuery, d: Deps) -> Page[dict]:
    """收文: a page of a unit's inbox, what it has not signed first, newest first."""
    unit_id = q.unit_id or (q.actor.unit_id if q.actor else None)
    if unit_id is None:
        raise Invalid("请指定单位", field="unit_id")
    act_as(q.actor, unit_id, "unit_id")
    entries, more, total = await d.repo.inbox_page(unit_id, q.page, q.year)
    flags = await d.repo.upstream_changes([e["notice_id"] for e in entries if e.get("kind") == "forwarded"])
    rows = [{**public(e), "upstream_change": domain.latest_change(flags.get(e["notice_id"]))} for e in entries]
    return page_of(rows, q.page, more, total)


def form_templates() -> list[dict]:
    return presets.templates()


# ---------------------------------------------------------------- 签收


async def acknowledge(cmd: AcknowledgeNotice, d: Deps) -> dict:
    act_as(cmd.actor, cmd.unit_id, "unit_id")
    entry = await d.repo.inbox_entry(cmd.notice_id, cmd.unit_id)
    if entry is None:
        raise NotFound("本单位收文中没有该通知", field="notice_id")
    if entry.get("status") == "withdrawn":
        raise Conflict("该通知已撤回", field="notice_id", code="withdrawn")
    if entry.get("acknowledged_at"):
        raise Conflict("该通知已签收", field="notice_id", code="already_acknowledged")
    unit = await d.repo.get_unit(cmd.unit_id)
    now = d.clock.now()
    issuer_node = entry.get("issuer_node") or d.node
    by = actor_name(cmd.actor)
    fact = NoticeAcknowledged(
        occurred_at=now, origin_node=d.node, root_notice_id=entry.get("root_notice_id"),
        notice_id=cmd.notice_id, issuer_node=issuer_node, unit_id=cmd.unit_id,
        unit_name=(unit or {}).get("name", cmd.unit_id), acknowledged_by=by, acknowledged_at=now,
    )
    pending = outbox.entries((fact, None), *([(fact, issuer_node)] if issuer_node != d.node else []))
    updated = await d.repo.mark_acknowledged(cmd.notice_id, cmd.unit_id, now, by, pending)
    if updated is None:
        raise Conflict("该通知已签收", field="notice_id", code="already_acknowledged")
    await d.repo.flush_inbox(updated["_id"], pending)
    return public({k: v for k, v in updated.items() if k != outbox.FIELD})


# ---------------------------------------------------------------- events


async def on_notice_arrived(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """A notice addressed to units hosted here: keep a copy and fill their inboxes.

    Runs for local issues too (the notice is stored already then). Writes use
    deterministic ``_id``s or keyed ``$set``s, so a redelivery changes nothing.
    """
    notice = event.notice
    kind = "forwarded" if isinstance(event, NoticeForwarded) else "issued"
    now = d.clock.now()
    if event.origin_node != d.node:
        await d.repo.store_received(notice, event.part, now, kind)
        if event.part == 1:
            await want_files(notice.attachments, event.origin_node, d)
    here = [r for r in notice.recipients if r.node_id == d.node]
    await d.repo.deliver_to_inbox(notice, here, kind, now, local_year(notice.issued_at, d.tz))
    if event.origin_node == d.node and event.part == 1:
        await d.repo.list_sent({"_id": notice.notice_id, "issued_at": notice.issued_at,
                                "issuer_unit_ids": [i.unit_id for i in notice.issuers]}, local_year(notice.issued_at, d.tz))
    if kind == "forwarded" and event.origin_node == d.node and event.part == 1:
        stored = await d.repo.get_notice(notice.notice_id)  # the whole notice: a part holds a slice of recipients
        if stored is not None:
            await link_forward(snapshot_of(stored), d)


async def want_files(attachments: list[Attachment], source: str, d: Deps) -> None:
    """Ask the node a copy came from for the attachments whose bytes are not here (shared/file_sync.py)."""
    await file_sync.want(d.svc, d.blobs, [a.model_dump() for a in attachments], source, d.clock.now())


async def on_notice_acknowledged(event: NoticeAcknowledged, d: Deps) -> None:
    """The issuer's side of 签收: record who signed and when, keyed by unit."""
    if event.issuer_node != d.node:
        return
    await d.repo.record_receipt(event.notice_id, event.unit_id, {"signed": True, "acknowledged": {
        "at": event.acknowledged_at, "by": event.acknowledged_by, "unit_name": event.unit_name,
        "event_id": event.event_id}})
    await d.repo.count_signed(event.notice_id)


async def on_notice_corrected(event: NoticeCorrected, d: Deps) -> None:
    """Recipients here see the corrected notice and why; notices forwarded from it here are flagged."""
    notice = event.notice
    now = d.clock.now()
    change = {"kind": "corrected", "reason": event.reason, "at": event.occurred_at, "by": event.corrected_by,
              "revision": notice.revision, "changed": event.changed}
    if event.origin_node != d.node:
        fields = {name: notice.model_dump(mode="python")[name] for name in domain.CORRECTABLE}
        fields.update(revision=notice.revision, status="corrected", last_change=change)
        await d.repo.apply_correction(notice, fields, event.part, now)
        if event.part == 1:
            await want_files(notice.attachments, event.origin_node, d)
    if event.part == 1:
        deadlines = [a.deadline for a in notice.asks]
        await d.repo.mark_inbox(notice.notice_id, {
            "status": "corrected", "title": notice.title, "change": change,
            "next_deadline": min(deadlines) if deadlines else None,
        })
        await flag_forwards(notice.notice_id, upstream_change(notice.notice_id, notice.doc_number, change), d)


async def on_notice_withdrawn(event: NoticeWithdrawn, d: Deps) -> None:
    change = {"kind": "withdrawn", "reason": event.reason, "at": event.occurred_at, "by": event.withdrawn_by}
    if event.origin_node != d.node:
        await d.repo.set_fields(event.notice_id, {"status": "withdrawn", "last_change": change})
    await d.repo.mark_inbox(event.notice_id, {"status": "withdrawn", "change": change})
    await flag_forwards(event.notice_id, upstream_change(event.notice_id, event.doc_number, change), d)


# ---------------------------------------------------------------- 更正/撤回 down the forwarding chains
#
# A 更正 or 撤回 of notice N reaches every node holding N (its copies). Each
# node flags the forwards made *there* of N (``flag_forwards``): the flag and
# a ``notice.upstream_changed`` event per forward go into the forward's
# document in one write, then out — locally and to each node hosting the
# forward's recipients. Every node receiving it records the flag for the
# forward's readers (``on_upstream_changed``) and flags the forwards made
# there of *that* forward, and so on down the chain. Keyed by the change id
# (N + revision, or N's withdrawal) and deterministic event ids: a
# redelivery anywhere republishes the same events and flags nothing twice.


def upstream_change(notice_id: str, doc_number: str, change: dict) -> dict:
    """The flag forwards below a changed notice carry: what changed up there, why, when, and its 文号."""
    return {"change_id": domain.change_id(notice_id, change["kind"], change.get("revision")),
            "kind": change["kind"], "reason": change["reason"], "at": change["at"], "by": change.get("by", ""),
            "revision": change.get("revision") if change["kind"] == "corrected" else None,
            "notice_id": notice_id, "doc_number": doc_number}


async def flag_forwards(notice_id: str, change: dict, d: Deps) -> None:
    """Flag every 转发 made on this node of ``notice_id`` (those made elsewhere are flagged there)."""
    doc = await d.repo.get_notice(notice_id)
    for forward_id, link in (doc or {}).get("forwards", {}).items():
        if link.get("node_id", d.node) == d.node:
            await flag_forward(forward_id, change, d)


async def flag_forward(forward_id: str, change: dict, d: Deps) -> None:
    """One 转发 made here: its flag and the events telling its recipients' nodes, written once, then published."""
    doc = await d.repo.get_notice(forward_id)
    if doc is None or doc.get("origin") != "local":
        return
    notice = snapshot_of(doc)
    fact = NoticeUpstreamChanged(
        event_id=domain.derived_event_id(change["change_id"], forward_id), occurred_at=d.clock.now(),
        origin_node=d.node, root_notice_id=notice.root_notice_id, notice_id=forward_id,
        change_id=change["change_id"], kind=change["kind"], upstream_notice_id=change["notice_id"],
        upstream_doc_number=change["doc_number"], reason=change["reason"], changed_at=change["at"],
        changed_by=change["by"], revision=change["revision"],
    )
    pending = outbox.entries((fact, None), *[(fact, node) for node in domain.recipient_nodes(notice.recipients)
                                             if node != d.node])
    if await d.repo.flag_forward(forward_id, change["change_id"], pending):
        await d.repo.record_upstream_change(forward_id, change)  # the forwarder sees it at once
        await d.repo.flush(forward_id, pending)


async def on_upstream_changed(event: NoticeUpstreamChanged, d: Deps) -> None:
    """A 转发 held here (made here, or a copy) is flagged for its readers, then the forwards made of it here."""
    change = {"change_id": event.change_id, "kind": event.kind, "reason": event.reason, "at": event.changed_at,
              "by": event.changed_by, "revision": event.revision, "notice_id": event.upstream_notice_id,
              "doc_number": event.upstream_doc_number}
    await d.repo.record_upstream_change(event.notice_id, change)
    await flag_forwards(event.notice_id, change, d)


async def flag_if_changed_meanwhile(read: dict, forward_id: str, d: Deps) -> None:
    """A new 转发 is flagged with what changed above it: changes recorded on the notice it forwards, and a
    更正/撤回 of that notice that arrived after it was read for this 转发.

    ``flag_forwards`` reads a notice's forwards after recording a change; this
    reads the changes after recording the forward: whichever runs second sees
    the other, so a change racing a 转发 is never lost.
    """
    notice_id = read["_id"]
    changes = list((await d.repo.upstream_changes([notice_id])).get(notice_id, {}).values())
    now = await d.repo.get_notice(notice_id) or read
    moved = now.get("revision", 1) != read.get("revision", 1) or now.get("status") != read.get("status")
    if moved and now.get("last_change"):
        changes.append(upstream_change(notice_id, now["doc_number"], now["last_change"]))
    for change in changes:
        await flag_forward(forward_id, change, d)
