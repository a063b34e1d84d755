"""Reading notices: 发文 and 收文 a page at a time, one notice with its chain, the issuer's 签收 table, and the
form templates of the ask editor."""

from shared.contracts.common import Empty, NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import (
    FormTemplates,
    InboxEntry,
    NoticeView,
    Receipt,
    SentNotice,
    Tracking,
    TrackingQuery,
)
from shared.errors import Invalid
from shared.paging import Page, page_of
from shared.scope import act_as
from shared.storage import public

from .. import domain, presets
from .deps import Deps, require_issuer, visible_notice


async def sent(q: UnitNoticesQuery, d: Deps) -> Page[SentNotice]:
    """发文: a page of the notices the unit issued (alone or jointly) or forwarded, with 签收 counts."""
    unit_id = q.unit_id or (q.actor.unit_id if q.actor else None)
    if unit_id:
        act_as(q.actor, unit_id, "unit_id")
    docs, more, total = await d.repo.issued_by(unit_id, q.page, q.year)
    signed = await d.repo.signed_counts([doc["_id"] for doc in docs])
    flags = await d.repo.upstream_changes([doc["_id"] for doc in docs if doc.get("parent_notice_id")])
    rows = [
        SentNotice.model_validate(
            {
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
            }
        )
        for doc in docs
    ]
    return page_of(rows, q.page, more, total)


async def get(q: NoticeQuery, d: Deps) -> NoticeView:
    doc = await visible_notice(q.notice_id, q.actor, d)
    out = public(doc)
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
    return NoticeView.model_validate(out)


async def tracking(q: TrackingQuery, d: Deps) -> Tracking:
    """The issuer's view of 签收: a page of the recipients, those who have not signed first, with times and
    their 转发; the counts cover every recipient. Bounded by the notice, not by history."""
    doc = await visible_notice(q.notice_id, q.actor, d)
    require_issuer(doc, q.actor, "查看签收情况")
    receipts = await d.repo.receipts_of(q.notice_id)
    rows = []
    for r in doc.get("recipients", []):
        receipt = receipts.get(r["unit_id"], {})
        ack = receipt.get("acknowledged") or {}
        rows.append(
            Receipt.model_validate(
                {
                    "unit_id": r["unit_id"],
                    "name": r["name"],
                    "kind": r["kind"],
                    "node_id": r["node_id"],
                    "acknowledged_at": ack.get("at"),
                    "acknowledged_by": ack.get("by"),
                    "forwarded": sorted(receipt.get("forwarded", {}).values(), key=lambda f: f["issued_at"]),
                }
            )
        )
    rows.sort(key=lambda row: (row.acknowledged_at is not None, row.name, row.unit_id))
    done = sum(1 for row in rows if row.acknowledged_at)
    start, end = q.page.skip, q.page.skip + q.page.per_page
    return Tracking(
        notice_id=doc["_id"],
        doc_number=doc["doc_number"],
        title=doc["title"],
        status=doc.get("status", "issued"),
        total=len(rows),
        acknowledged=done,
        pending=len(rows) - done,
        page=page_of(rows[start:end], q.page, len(rows) > end, len(rows)),
    )


async def inbox(q: UnitNoticesQuery, d: Deps) -> Page[InboxEntry]:
    """收文: a page of a unit's inbox, what it has not signed first, newest first."""
    unit_id = q.unit_id or (q.actor.unit_id if q.actor else None)
    if unit_id is None:
        raise Invalid("请指定单位", field="unit_id")
    act_as(q.actor, unit_id, "unit_id")
    entries, more, total = await d.repo.inbox_page(unit_id, q.page, q.year)
    flags = await d.repo.upstream_changes([e["notice_id"] for e in entries if e.get("kind") == "forwarded"])
    rows = [
        InboxEntry.model_validate({**public(e), "upstream_change": domain.latest_change(flags.get(e["notice_id"]))})
        for e in entries
    ]
    return page_of(rows, q.page, more, total)


async def form_templates(q: Empty, d: Deps) -> FormTemplates:
    return FormTemplates.model_validate({"items": presets.templates()})
