"""Notices' use cases: each takes a message and the dependencies, returns data.

They translate a command or event into repository calls and domain rules;
app.py binds them to subjects.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from shared import outbox
from shared.clock import Clock
from shared.commands import AcknowledgeNotice, Actor, IssueNotice, UpsertUnit
from shared.errors import Conflict, Forbidden, NotFound
from shared.events import NoticeAcknowledged, NoticeForwarded, NoticeIssued
from shared.schemas import UnitRef
from shared.service import Service
from shared.settings import NoticesSettings
from shared.storage import public

from . import domain
from .repository import NoticesRepository, notice_document


@dataclass
class Deps:
    svc: Service
    repo: NoticesRepository
    settings: NoticesSettings
    clock: Clock

    @property
    def node(self) -> str:
        return self.settings.node_id


# ``actor`` is who asks, as the gateway authenticated them; None is a trusted
# internal caller. A unit sees only notices it issued or received.


class NoticeRef(BaseModel):
    notice_id: str
    actor: Actor | None = None


class UnitQuery(BaseModel):
    unit_id: str
    actor: Actor | None = None


class IssuedQuery(BaseModel):
    actor: Actor | None = None


def act_for(actor: Actor | None, unit_id: str, field: str = "unit_id") -> None:
    if actor is not None and actor.unit_id != unit_id:
        raise Forbidden("只能处理本单位的收文", field=field, code="other_unit")


def issuer_ids(doc: dict) -> set[str]:
    return {i["unit_id"] for i in doc.get("issuers", [])}


def unit_ref(doc: dict, node: str) -> UnitRef:
    return UnitRef(
        unit_id=doc["_id"],
        name=doc["name"],
        kind=doc["kind"],
        node_id=doc.get("node_id") or node,
        contacts=doc.get("contacts", []),
    )


# ---------------------------------------------------------------- directory


async def upsert_unit(cmd: UpsertUnit, d: Deps) -> dict:
    if cmd.doc_number_template:
        domain.check_doc_number_template(cmd.doc_number_template)
    if cmd.parent_id and cmd.parent_id != cmd.unit_id and not await d.repo.get_unit(cmd.parent_id):
        raise NotFound(f"上级单位不存在：{cmd.parent_id}", field="parent_id")
    doc = cmd.model_dump(mode="python")
    doc["_id"] = doc.pop("unit_id")
    doc["node_id"] = cmd.node_id or d.node
    await d.repo.upsert_unit(doc)
    return public(doc)


async def list_units(d: Deps) -> list[dict]:
    return [public(u) for u in await d.repo.list_units()]


# ---------------------------------------------------------------- issue


async def issue_notice(cmd: IssueNotice, d: Deps) -> dict:
    # The lead issuer's 文号 sequence is used: only the lead unit's own issuers may issue.
    if cmd.actor is not None and cmd.actor.unit_id != cmd.issuer_unit_ids[0]:
        raise Forbidden("只能以本单位为主办单位发文", field="issuer_unit_ids.0", code="other_unit")
    now = d.clock.now()
    domain.check_asks(cmd.asks, now)
    units = await d.repo.units_by_id(cmd.issuer_unit_ids + cmd.recipient_unit_ids)
    refs = {uid: unit_ref(doc, d.node) for uid, doc in units.items()}
    issuers = domain.check_issuers(cmd.issuer_unit_ids, refs)
    recipients = domain.check_recipients(cmd.recipient_unit_ids, refs)
    lead = units[issuers[0].unit_id]
    year = now.astimezone(ZoneInfo(d.settings.timezone)).year
    actor = cmd.actor.display_name if cmd.actor else ""

    def build(number: str) -> tuple[dict, list[dict]]:
        notice = domain.new_notice(cmd, issuers=issuers, recipients=recipients, doc_number=number, now=now, issued_by=actor)
        fact = NoticeIssued(occurred_at=now, origin_node=d.node, root_notice_id=notice.notice_id, notice=notice)
        copies = [
            (NoticeIssued(occurred_at=now, origin_node=d.node, root_notice_id=notice.notice_id,
                          notice=domain.for_node(notice, node)), node)
            for node in domain.recipient_nodes(recipients)
            if node != d.node
        ]
        return notice_document(notice, kind="issued", origin="local"), outbox.entries((fact, None), *copies)

    doc = await d.repo.insert_numbered(
        issuer_unit_id=lead["_id"],
        year=year,
        manual_number=cmd.doc_number,
        format_number=lambda seq: domain.format_doc_number(
            lead.get("doc_number_template"), prefix=lead["name"], year=year, seq=seq
        ),
        build=build,
    )
    await d.repo.flush(doc)
    return {"notice_id": doc["_id"], "doc_number": doc["doc_number"], "recipients": len(recipients)}


async def list_issued(q: IssuedQuery, d: Deps) -> list[dict]:
    return [
        {
            "id": doc["_id"],
            "doc_number": doc["doc_number"],
            "title": doc["title"],
            "kind": doc["kind"],
            "issuer_name": "、".join(i["name"] for i in doc["issuers"]),
            "issued_at": doc["issued_at"],
            "recipients": len(doc["recipients"]),
        }
        for doc in await d.repo.issued_here()
        if q.actor is None or q.actor.unit_id in issuer_ids(doc)
    ]


async def get_notice(q: NoticeRef, d: Deps) -> dict:
    doc = await d.repo.get_notice(q.notice_id)
    visible = doc is not None and (
        q.actor is None
        or q.actor.unit_id in issuer_ids(doc)
        or await d.repo.inbox_entry(q.notice_id, q.actor.unit_id) is not None
    )
    if not visible:  # another unit's notice does not exist for this actor
        raise NotFound("通知不存在", field="notice_id")
    return public(doc)


# ---------------------------------------------------------------- inbox & receipts


async def inbox(q: UnitQuery, d: Deps) -> list[dict]:
    act_for(q.actor, q.unit_id)
    return [public(e) for e in await d.repo.inbox_for(q.unit_id)]


async def acknowledge(cmd: AcknowledgeNotice, d: Deps) -> dict:
    act_for(cmd.actor, cmd.unit_id)
    entry = await d.repo.inbox_entry(cmd.notice_id, cmd.unit_id)
    if entry is None:
        raise NotFound("收文中没有该通知", field="notice_id")
    if entry.get("acknowledged_at"):
        raise Conflict("该通知已签收", field="notice_id", code="already_acknowledged")
    notice = await d.repo.get_notice(cmd.notice_id)
    unit = await d.repo.get_unit(cmd.unit_id)
    now = d.clock.now()
    issuer_node = notice["issuers"][0]["node_id"]
    by = cmd.actor.display_name if cmd.actor else ""
    fact = NoticeAcknowledged(
        occurred_at=now, origin_node=d.node, root_notice_id=notice.get("root_notice_id"),
        notice_id=cmd.notice_id, issuer_node=issuer_node, unit_id=cmd.unit_id,
        unit_name=(unit or {}).get("name", cmd.unit_id), acknowledged_by=by, acknowledged_at=now,
    )
    pending = outbox.entries((fact, None), *([(fact, issuer_node)] if issuer_node != d.node else []))
    entry = await d.repo.mark_acknowledged(cmd.notice_id, cmd.unit_id, now, by, pending)
    await d.repo.flush_inbox(entry)
    return public(entry)


async def receipts(q: NoticeRef, d: Deps) -> list[dict]:
    return [public(r) for r in await d.repo.receipts_for(q.notice_id)]


# ---------------------------------------------------------------- events


async def on_notice_arrived(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """A notice addressed to units hosted here: keep a copy and fill their inboxes.

    Runs for local issues too (the copy already exists then). Both writes use
    deterministic ``_id``s, so a redelivery changes nothing.
    """
    notice = event.notice
    kind = "forwarded" if isinstance(event, NoticeForwarded) else "issued"
    if event.origin_node != d.node:
        await d.repo.store_received(notice, d.clock.now(), kind)
    here = [r for r in notice.recipients if r.node_id == d.node]
    await d.repo.deliver_to_inbox(notice, here, kind, d.clock.now())


async def on_notice_acknowledged(event: NoticeAcknowledged, d: Deps) -> None:
    """The issuer's side of 签收: record who signed, once."""
    if event.issuer_node != d.node:
        return
    await d.repo.record_receipt(event.notice_id, event.unit_id, event.unit_name, event.acknowledged_at, event.acknowledged_by)
