"""Shaping read models. Pure functions."""

from shared.events import (
    DeadlineApproaching,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeWithdrawn,
    PlanSubmitted,
    ReportCompiled,
    SubmissionAccepted,
    SubmissionReviewed,
)
from shared.schemas import Ask, NoticeSnapshot



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
        "asks": asks_fields(notice.asks),
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
        "asks": asks_fields(notice.asks),
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


# ---------------------------------------------------------------- completeness (报送情况)


def asks_fields(asks: list[Ask]) -> dict:
    return {a.ask_id: {"title": a.title, "kind": a.kind.value, "deadline": a.deadline,
                       "unit_kinds": [k.value for k in a.unit_kinds]} for a in asks}


def submission_state(event: PlanSubmitted | ReportCompiled | SubmissionReviewed) -> tuple[str, int, dict]:
    """Which part of a unit's entry (``subs.<ask>.<unit>``) one event sets, for which revision, to what."""
    if isinstance(event, PlanSubmitted | ReportCompiled):
        at = event.submitted_at if isinstance(event, PlanSubmitted) else event.compiled_at
        return "submitted", event.revision, {
            "submitted_at": at, "late": event.late, "items": len(event.items),
            "compiled": isinstance(event, ReportCompiled), "to_unit_id": event.to_unit_id,
            "department": event.department,
        }
    status = "accepted" if isinstance(event, SubmissionAccepted) else "returned"
    return "reviewed", event.revision, {"status": status, "reviewed_at": event.reviewed_at,
                                        "reason": getattr(event, "reason", None)}


def unit_state(entry: dict) -> dict:
    """A unit's state for an ask: the decision stands if it is about the latest revision submitted."""
    sub, rev = entry.get("submitted") or {}, entry.get("reviewed") or {}
    if not sub and not rev:
        return {"status": "pending", "revision": 0}
    decided = rev.get("revision", 0) >= sub.get("revision", 0)
    return {**sub, **(rev if decided else {}), "status": rev["status"] if decided else "submitted",
            "revision": max(sub.get("revision", 0), rev.get("revision", 0))}


def chase_fields(event: DeadlineApproaching) -> dict:
    return {f"chases.{event.ask_id}.{event.event_id}": {"at": event.occurred_at, "manual": event.manual,
                                                        "units": len(event.pending_unit_ids)}}


def owes(ask: dict, recipient: dict) -> bool:
    return not ask.get("unit_kinds") or recipient["kind"] in ask["unit_kinds"]


def completeness_view(doc: dict) -> dict:
    """Per ask, every unit that owes it: not yet, submitted (on time or late), accepted, returned."""
    recipients = doc.get("recipients", {})
    subs = doc.get("subs", {})
    asks = []
    for ask_id, ask in doc.get("asks", {}).items():
        rows = []
        for unit_id, r in recipients.items():
            if not owes(ask, r):
                continue
            s = unit_state(subs.get(ask_id, {}).get(unit_id, {}))
            rows.append({"unit_id": unit_id, "name": r["name"], "kind": r["kind"], "node_id": r["node_id"],
                         "status": s.get("status", "pending"), "revision": s.get("revision", 0),
                         "submitted_at": s.get("submitted_at"), "late": s.get("late", False),
                         "compiled": s.get("compiled", False), "items": s.get("items", 0),
                         "reviewed_at": s.get("reviewed_at"), "reason": s.get("reason")})
        order = {"pending": 0, "returned": 1, "submitted": 2, "accepted": 3}
        rows.sort(key=lambda row: (order[row["status"]], row["unit_id"]))
        counts = {k: sum(1 for row in rows if row["status"] == k) for k in order}
        chases = sorted(doc.get("chases", {}).get(ask_id, {}).values(), key=lambda c: c["at"])
        asks.append({"ask_id": ask_id, **ask, "owed": len(rows), **counts,
                     "late": sum(1 for row in rows if row["late"]), "chases": chases, "units": rows})
    asks.sort(key=lambda a: (a["deadline"], a["ask_id"]))
    return {"notice_id": doc["_id"], "doc_number": doc.get("doc_number"), "title": doc.get("title"),
            "status": doc.get("status", "issued"), "asks": asks}


# ---------------------------------------------------------------- 办理情况统计 (per subordinate unit)


def unit_statistics(docs: list[dict]) -> list[dict]:
    """How each recipient unit handled an issuer's notices: 签收 (how many, how fast) and 报送 (on time or not).

    ``docs`` are the issuer's notice status documents of the period (withdrawn
    ones left out by the caller). One row per unit, sorted by name.
    """
    rows: dict[str, dict] = {}
    for doc in docs:
        issued_at = doc.get("issued_at")
        acks = doc.get("acks", {})
        subs = doc.get("subs", {})
        for unit_id, r in doc.get("recipients", {}).items():
            row = rows.setdefault(unit_id, {"unit_id": unit_id, "name": r["name"], "kind": r["kind"], "notices": 0,
                                            "acknowledged": 0, "ack_hours": [], "owed": 0, "submitted": 0,
                                            "on_time": 0, "late": 0, "accepted": 0, "returned": 0, "pending": 0})
            row["notices"] += 1
            ack = acks.get(unit_id)
            if ack:
                row["acknowledged"] += 1
                if issued_at and ack.get("at"):
                    row["ack_hours"].append(max((ack["at"] - issued_at).total_seconds() / 3600, 0.0))
            for ask_id, ask in doc.get("asks", {}).items():
                if not owes(ask, r):
                    continue
                row["owed"] += 1
                state = unit_state(subs.get(ask_id, {}).get(unit_id, {}))
                if state["status"] == "pending":
                    row["pending"] += 1
                    continue
                row["submitted"] += 1
                row["late" if state.get("late") else "on_time"] += 1
                if state["status"] in ("accepted", "returned"):
                    row[state["status"]] += 1
    out = []
    for row in rows.values():
        hours = row.pop("ack_hours")
        row["ack_rate"] = round(row["acknowledged"] / row["notices"], 3) if row["notices"] else None
        row["avg_ack_hours"] = round(sum(hours) / len(hours), 1) if hours else None
        row["on_time_rate"] = round(row["on_time"] / row["owed"], 3) if row["owed"] else None
        out.append(row)
    return sorted(out, key=lambda r: (r["name"], r["unit_id"]))
