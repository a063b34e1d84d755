"""Shaping read models. Pure functions."""

from shared.events import NoticeAcknowledged, NoticeCorrected, NoticeWithdrawn
from shared.schemas import NoticeSnapshot


def status_from_notice(notice: NoticeSnapshot, kind: str) -> dict:
    """``$set`` fields for a notice's status document.

    Recipients and receipts live in separate maps keyed by unit id, so the
    updates commute: a receipt that arrives before its notice is not lost,
    and applying either twice changes nothing.
    """
    fields = {
        "notice_id": notice.notice_id,
        "doc_number": notice.doc_number,
        "title": notice.title,
        "kind": kind,
        "issuer_unit_id": notice.issuers[0].unit_id,
        "issuer_name": "、".join(i.name for i in notice.issuers),
        "issued_at": notice.issued_at,
        "root_notice_id": notice.root_notice_id,
        "parent_notice_id": notice.parent_notice_id,
        "deadlines": {a.ask_id: a.deadline for a in notice.asks},
    }
    for r in notice.recipients:
        fields[f"recipients.{r.unit_id}"] = {"name": r.name, "kind": r.kind.value, "node_id": r.node_id}
    return fields


def correction_fields(event: NoticeCorrected) -> dict:
    """Only the newest revision's title and deadlines count; recipients never change in a 更正."""
    notice = event.notice
    return {
        "title": notice.title,
        "revision": notice.revision,
        "status": "corrected",
        "deadlines": {a.ask_id: a.deadline for a in notice.asks},
        "change_reason": event.reason,
    }


def withdrawal_fields(event: NoticeWithdrawn) -> dict:
    return {"status": "withdrawn", "change_reason": event.reason, "withdrawn_at": event.occurred_at}


def receipt_fields(event: NoticeAcknowledged) -> dict:
    return {
        f"acks.{event.unit_id}": {"at": event.acknowledged_at, "by": event.acknowledged_by, "event_id": event.event_id}
    }


def status_view(doc: dict) -> dict:
    """What the issuer sees: who has and has not acknowledged, with times."""
    recipients = doc.get("recipients", {})
    acks = doc.get("acks", {})
    rows = [
        {
            "unit_id": unit_id,
            "name": r["name"],
            "kind": r["kind"],
            "node_id": r["node_id"],
            "acknowledged_at": acks.get(unit_id, {}).get("at"),
            "acknowledged_by": acks.get(unit_id, {}).get("by"),
        }
        for unit_id, r in recipients.items()
    ]
    rows.sort(key=lambda row: (row["acknowledged_at"] is not None, row["unit_id"]))
    acknowledged = sum(1 for row in rows if row["acknowledged_at"] is not None)
    return {
        "notice_id": doc["_id"],
        "doc_number": doc.get("doc_number"),
        "title": doc.get("title"),
        "issuer_name": doc.get("issuer_name"),
        "issued_at": doc.get("issued_at"),
        "deadlines": doc.get("deadlines", {}),
        "status": doc.get("status", "issued"),
        "change_reason": doc.get("change_reason"),
        "total": len(rows),
        "acknowledged": acknowledged,
        "pending": len(rows) - acknowledged,
        "recipients": rows,
    }
