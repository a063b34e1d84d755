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
    entries, more, total = await d.repo.issued_by(unit_id, q.page, q.year)
    ids = [e["notice_id"] for e in entries]
    signed = await d.repo.signed_counts(ids)
    flags = await d.repo.upstream_changes([e["notice_id"] for e in entries if e.get("parent_notice_id")])
    rows = [
        SentNotice.model_validate(
            {
                "id": e["notice_id"],
                "doc_number": e["doc_number"],
                "title": e["title"],
                "kind": e["kind"],
                "status": e["status"],
                "revision": e["revision"],
                "issuer_name": e["issuer_name"],
                "issued_at": e["issued_at"],
                "recipients": e["recipient_count"],
                "acknowledged": signed.get(e["notice_id"], 0),
                "parent_notice_id": e.get("parent_notice_id"),
                "upstream_change": domain.latest_change(flags.get(e["notice_id"])),
            }
        )
        for e in entries
    ]
    return page_of(rows, q.page, more, total)


async def get(q: NoticeQuery, d: Deps) -> NoticeView:
    """The notice with its recipients, or the first ``q.recipients`` of them (a page shows a few names and how
    many there are: it need not read them all)."""
    doc = await visible_notice(q.notice_id, q.actor, d, recipients=False)
    doc["recipients"] = await d.repo.recipients_of(q.notice_id, q.recipients)
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
    """The issuer's view of 签收: a page of the recipients, those who have not signed first (each by name), with
    times and their 转发; the counts cover every recipient. Reads one page of receipts and two counts, whatever
    the notice's size."""
    doc = await visible_notice(q.notice_id, q.actor, d, recipients=False)
    require_issuer(doc, q.actor, "查看签收情况")
    total = doc.get("recipient_count", len(doc.get("recipient_unit_ids", [])))
    made, done = await d.repo.receipt_counts(q.notice_id)
    if made == total:
        receipts = await d.repo.receipts_page(q.notice_id, q.page, signed=done, total=total)
        rows = [_receipt_row(r, r) for r in receipts]
    else:  # a notice issued a moment ago: its receipts are being made (on_notice_arrived)
        by_unit = await d.repo.receipts_of(q.notice_id)
        every = sorted(
            (_receipt_row(r, by_unit.get(r["unit_id"], {})) for r in await d.repo.recipients_of(q.notice_id)),
            key=lambda row: (row.acknowledged_at is not None, row.name, row.unit_id),
        )
        done = sum(1 for row in every if row.acknowledged_at)
        rows = every[q.page.skip : q.page.skip + q.page.per_page + 1]
    return Tracking(
        notice_id=doc["_id"],
        doc_number=doc["doc_number"],
        title=doc["title"],
        status=doc.get("status", "issued"),
        total=total,
        acknowledged=done,
        pending=total - done,
        page=page_of(rows[: q.page.per_page], q.page, q.page.skip + q.page.per_page < total, total),
    )


def _receipt_row(unit: dict, receipt: dict) -> Receipt:
    """One row of the 签收 table: the recipient as the notice names it, and its receipt."""
    ack = receipt.get("acknowledged") or {}
    return Receipt.model_validate(
        {
            "unit_id": unit["unit_id"],
            "name": unit["name"],
            "kind": unit["kind"],
            "node_id": unit["node_id"],
            "acknowledged_at": ack.get("at"),
            "acknowledged_by": ack.get("by"),
            "forwarded": sorted(receipt.get("forwarded", {}).values(), key=lambda f: f["issued_at"]),
        }
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
