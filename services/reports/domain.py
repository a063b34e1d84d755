"""Shaping the read models. Pure functions.

Three kinds of documents (repository.py has the collections):

- a notice's **header**: the notice's own fields, its asks and deadlines,
  status, chases and how many recipients each part named; no per-unit state,
  so it does not grow with the recipients;
- one **unit document** per (notice, recipient unit), ``_id`` =
  ``<notice_id>:<unit_id>``: the unit's name/kind/node, its receipt, its
  submitted/reviewed parts per ask, and what the statistics need (issuer,
  year, which asks it owes, the statistics row it counts in, withdrawn);
- one **answer** per (notice, ask, unit that owes it): where the unit stands on
  the ask (``answer_docs``), derived from its unit document whenever that
  changes, so that 报送情况 counts by index and reads a page of units;
- one **statistics row** per (issuer unit, year, recipient unit), recomputed
  from that unit's documents of that issuer and year.

Every event changes a few fields of a few small documents with keyed
``$set``s, so events commute and repeat harmlessly; where an older event must
not undo a newer one (a 更正, a submission's revision) the write carries the
revision in its filter.
"""

from collections.abc import Iterable

from shared.clock import local_year
from shared.events import (
    DeadlineApproaching,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeWithdrawn,
    PlanSubmitted,
    ReportCompiled,
    SubmissionAccepted,
    SubmissionReturned,
    SubmissionReviewed,
)
from shared.ids import submission_id
from shared.schemas import Ask, NoticeSnapshot, UnitRef, UpwardMode


def unit_doc_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


def row_id(issuer_unit_id: str, year: int, unit_id: str) -> str:
    """A statistics row's ``_id``. Unit ids are slugs (no ``:``), so it splits back (``row_key``)."""
    return f"{issuer_unit_id}:{year}:{unit_id}"


def row_key(row: str) -> tuple[str, int, str]:
    issuer, year, unit = row.split(":")
    return issuer, int(year), unit


# ---------------------------------------------------------------- the header of a notice


def asks_fields(asks: list[Ask]) -> dict:
    return {
        a.ask_id: {
            "title": a.title,
            "kind": a.kind.value,
            "deadline": a.deadline,
            "unit_kinds": [k.value for k in a.unit_kinds],
        }
        for a in asks
    }


def notice_fields(notice: NoticeSnapshot, tz: str) -> dict:
    """The header's ``$set`` from any snapshot of a notice (every part and revision carries them all).

    Written only over an older or equal revision, so a late 下发 cannot undo
    a 更正. No recipients here: they are unit documents.
    """
    return {
        "notice_id": notice.notice_id,
        "doc_number": notice.doc_number,
        "title": notice.title,
        # A 转发 names the notice it forwards; a 更正's snapshot says nothing else about how it began.
        "kind": "forwarded" if notice.parent_notice_id else "issued",
        "issuer_unit_id": notice.issuers[0].unit_id,
        "issuer_name": "、".join(i.name for i in notice.issuers),
        "issued_at": notice.issued_at,
        "year": local_year(notice.issued_at, tz),
        "root_notice_id": notice.root_notice_id,
        "parent_notice_id": notice.parent_notice_id,
        "revision": notice.revision,
        "deadlines": {a.ask_id: a.deadline for a in notice.asks},
        "asks": asks_fields(notice.asks),
    }


def correction_fields(event: NoticeCorrected, tz: str) -> dict:
    """Only the newest revision's title and deadlines count; recipients never change in a 更正."""
    return {**notice_fields(event.notice, tz), "status": "corrected", "change_reason": event.reason}


def part_fields(part: int, recipients: int) -> dict:
    """How many recipients one part of a 下发 named; the notice's recipient count is their sum."""
    return {f"recipient_parts.{part}": recipients}


def withdrawal_fields(event: NoticeWithdrawn) -> dict:
    # Kept apart from ``status``/``change_reason``, which a 更正 handled after the 撤回 would overwrite.
    return {"withdrawn": True, "withdraw_reason": event.reason, "withdrawn_at": event.occurred_at}


def chase_fields(event: DeadlineApproaching) -> dict:
    return {
        f"chases.{event.ask_id}.{event.event_id}": {
            "at": event.occurred_at,
            "manual": event.manual,
            "units": len(event.pending_unit_ids),
        }
    }


def recipient_count(header: dict) -> int:
    return sum((header.get("recipient_parts") or {}).values())


def header_view(header: dict) -> dict:
    """What both views say about the notice itself."""
    withdrawn = header.get("withdrawn", False)
    return {
        "notice_id": header["_id"],
        "doc_number": header.get("doc_number"),
        "title": header.get("title"),
        "status": "withdrawn" if withdrawn else header.get("status", "issued"),
        "change_reason": header.get("withdraw_reason") if withdrawn else header.get("change_reason"),
    }


# ---------------------------------------------------------------- a recipient unit's document


def owes(ask: dict, recipient: dict) -> bool:
    return not ask.get("unit_kinds") or recipient["kind"] in ask["unit_kinds"]


def unit_fields(notice: NoticeSnapshot, recipient: UnitRef, tz: str) -> dict:
    """A recipient's document as a snapshot of the notice makes it (without receipt or submissions).

    ``notice_rev``: the revision ``owes`` was taken from; a 更正 can change the
    asks, and only a newer revision replaces these fields.
    """
    issuer, year = notice.issuers[0].unit_id, local_year(notice.issued_at, tz)
    asks = asks_fields(notice.asks)
    entry = {"name": recipient.name, "kind": recipient.kind.value, "node_id": recipient.node_id}
    return {
        "_id": unit_doc_id(notice.notice_id, recipient.unit_id),
        "notice_id": notice.notice_id,
        "unit_id": recipient.unit_id,
        **entry,
        "recipient": True,
        "notice_rev": notice.revision,
        "owes": [ask_id for ask_id, ask in asks.items() if owes(ask, entry)],
        "issuer_unit_id": issuer,
        "year": year,
        "issued_at": notice.issued_at,
        "row": row_id(issuer, year, recipient.unit_id),
    }


def receipt_fields(event: NoticeAcknowledged) -> dict:
    return {"ack": {"at": event.acknowledged_at, "by": event.acknowledged_by, "event_id": event.event_id}}


def item_source(event: PlanSubmitted | ReportCompiled | SubmissionReviewed) -> str | None:
    """An item a level sent up by itself (直接上报, 择优上报): the unit it came from below; None for the unit's own
    submission or 汇总. An item is its own submission upstream, ``<the unit's submission id>:<source unit>``
    (services/submissions/handlers/upward.py), so a decision about it names its source too."""
    own = submission_id(event.notice_id, event.ask_id, event.unit_id) + ":"
    return event.submission_id.removeprefix(own) if event.submission_id.startswith(own) else None


def submission_state(event: PlanSubmitted | ReportCompiled | SubmissionReviewed) -> tuple[str, int, dict]:
    """Which part of a unit's entry for an ask (``subs.<ask>.<part>``; an item's: ``subs.<ask>.up.<source>.<part>``)
    one event sets, for which revision, to what."""
    if isinstance(event, PlanSubmitted | ReportCompiled):
        at = event.submitted_at if isinstance(event, PlanSubmitted) else event.compiled_at
        fields = {
            "submitted_at": at,
            "late": event.late,
            "items": len(event.items),
            "compiled": isinstance(event, ReportCompiled),
            "to_unit_id": event.to_unit_id,
            "department": event.department,
        }
        if isinstance(event, ReportCompiled) and event.upward != UpwardMode.compile:  # an item, not a 汇总
            fields.update(compiled=False, upward=event.upward.value)
            if event.contributions:
                fields["source_name"] = event.contributions[0].unit_name
        return "submitted", event.revision, fields
    if isinstance(event, SubmissionReturned) and event.reopened:  # 退回下级: after the acceptance, a part of its own
        return "reopened", event.revision, {"reviewed_at": event.reviewed_at, "reason": event.reason}
    status = "accepted" if isinstance(event, SubmissionAccepted) else "returned"
    return (
        "reviewed",
        event.revision,
        {"status": status, "reviewed_at": event.reviewed_at, "reason": getattr(event, "reason", None)},
    )


def unit_state(entry: dict) -> dict:
    """A unit's state for an ask: the decision stands if it is about the latest revision submitted. A unit that
    answered by items sent up by themselves (``up``: 直接上报, 择优上报) stands where its items do together."""
    if entry.get("up"):
        return items_state(entry["up"])
    sub, rev = entry.get("submitted") or {}, entry.get("reviewed") or {}
    if not sub and not rev:
        return {"status": "pending", "revision": 0}
    decided = rev.get("revision", 0) >= sub.get("revision", 0)
    state = {
        **sub,
        **(rev if decided else {}),
        "status": rev["status"] if decided else "submitted",
        "revision": max(sub.get("revision", 0), rev.get("revision", 0)),
    }
    reopened = entry.get("reopened") or {}
    if decided and reopened.get("revision", 0) >= state["revision"]:  # 退回下级 the accepted revision
        state.update(status="returned", reviewed_at=reopened["reviewed_at"], reason=reopened["reason"])
    return state


def items_state(up: dict[str, dict]) -> dict:
    """The unit's state from its items (each a submission of its own): submitted while any awaits review, else
    returned if any was returned (the reasons named by source), else accepted; ``items`` counts them all."""
    states = [unit_state(entry) for entry in up.values()]
    for status in ("submitted", "returned", "accepted"):
        if any(s["status"] == status for s in states):
            break
    else:
        return {"status": "pending", "revision": 0}
    submitted = [s for s in states if s.get("submitted_at")]
    returned = [(up[k].get("submitted") or {}, s) for k, s in zip(up, states, strict=True) if s["status"] == "returned"]
    state = {
        "status": status,
        "revision": max(s["revision"] for s in states),
        "submitted_at": max((s["submitted_at"] for s in submitted), default=None),
        "late": bool(submitted) and all(s.get("late") for s in submitted),
        "items": sum(s.get("items", 0) for s in states),
        "compiled": False,
        "upward": next((s["upward"] for s in states if s.get("upward")), None),
        "sent_up": len(states),
    }
    if status != "submitted":
        state["reviewed_at"] = max((s["reviewed_at"] for s in states if s.get("reviewed_at")), default=None)
    if status == "returned":
        state["reason"] = "；".join(f"{sub.get('source_name', '')}：{s.get('reason') or ''}" for sub, s in returned)
    return state


# 报送情况 lists each ask's units in this order of where they stand (then by unit id).
ANSWER_ORDER = ("pending", "returned", "submitted", "accepted")


def answer_id(notice_id: str, unit_id: str, ask_id: str) -> str:
    return f"{notice_id}:{unit_id}:{ask_id}"


def answer_docs(unit: dict, ask_ids: Iterable[str]) -> list[dict]:
    """Where a unit stands on each of these asks, from its unit document; ``v`` is that document's version (a
    newer derivation replaces an older one, never the other way round). ``owed``: the unit is a recipient whose
    kind the ask asks of (a 更正 may change it)."""
    owes = set(unit.get("owes") or [])
    out = []
    for ask_id in ask_ids:
        s = unit_state((unit.get("subs") or {}).get(ask_id, {}))
        out.append(
            {
                "_id": answer_id(unit["notice_id"], unit["unit_id"], ask_id),
                "notice_id": unit["notice_id"],
                "ask_id": ask_id,
                "unit_id": unit["unit_id"],
                "name": unit.get("name", unit["unit_id"]),
                "kind": unit.get("kind", ""),
                "node_id": unit.get("node_id", ""),
                "owed": bool(unit.get("recipient")) and ask_id in owes,
                "v": unit.get("v", 0),
                "status": s.get("status", "pending"),
                "revision": s.get("revision", 0),
                "submitted_at": s.get("submitted_at"),
                "late": s.get("late", False),
                "compiled": s.get("compiled", False),
                "upward": s.get("upward"),
                "sent_up": s.get("sent_up", 0),
                "items": s.get("items", 0),
                "reviewed_at": s.get("reviewed_at"),
                "reason": s.get("reason"),
            }
        )
    return out


ANSWER_FIELDS = (
    "unit_id",
    "name",
    "kind",
    "node_id",
    "status",
    "revision",
    "submitted_at",
    "late",
    "compiled",
    "upward",
    "sent_up",
    "items",
    "reviewed_at",
    "reason",
)


def ask_completeness(ask_id: str, ask: dict, header: dict, counts: dict, late: int, units: list[dict]) -> dict:
    """One ask of 报送情况: its counts over every unit that owes it, and a page of those units."""
    chases = sorted(header.get("chases", {}).get(ask_id, {}).values(), key=lambda c: c["at"])
    return {
        "ask_id": ask_id,
        **ask,
        "owed": sum(counts.values()),
        **counts,
        "late": late,
        "chases": chases,
        "units": [{k: u.get(k) for k in ANSWER_FIELDS} for u in units],
    }


def recipients_of(units: list[dict]) -> list[dict]:
    """The unit documents of actual recipients: a receipt or submission can name a unit before (or without)
    the notice naming it."""
    return [u for u in units if u.get("recipient")]


# ---------------------------------------------------------------- per notice: 签收 and 报送情况


def status_view(header: dict, units: list[dict]) -> dict:
    """What the issuer sees: who has and has not acknowledged, with times."""
    rows = [
        {
            "unit_id": u["unit_id"],
            "name": u["name"],
            "kind": u["kind"],
            "node_id": u["node_id"],
            "acknowledged_at": (u.get("ack") or {}).get("at"),
            "acknowledged_by": (u.get("ack") or {}).get("by"),
        }
        for u in recipients_of(units)
    ]
    rows.sort(key=lambda row: (row["acknowledged_at"] is not None, row["unit_id"]))
    acknowledged = sum(1 for row in rows if row["acknowledged_at"] is not None)
    head = header_view(header)
    return {
        "notice_id": head["notice_id"],
        "doc_number": head["doc_number"],
        "title": head["title"],
        "issuer_name": header.get("issuer_name"),
        "issued_at": header.get("issued_at"),
        "deadlines": header.get("deadlines", {}),
        "status": head["status"],
        "change_reason": head["change_reason"],
        "total": len(rows),
        "acknowledged": acknowledged,
        "pending": len(rows) - acknowledged,
        "recipients": rows,
    }


def completeness_view(header: dict, units: list[dict]) -> dict:
    """Per ask, every unit that owes it: not yet, submitted (on time or late), accepted, returned. From the unit
    documents, as the answers are derived from them (the service reads the answers: ``ask_completeness``)."""
    recipients = recipients_of(units)
    asks = []
    for ask_id, ask in header.get("asks", {}).items():
        rows = [a for u in recipients for a in answer_docs(u, [ask_id]) if a["owed"]]
        rows.sort(key=lambda row: (ANSWER_ORDER.index(row["status"]), row["unit_id"]))
        counts = {k: sum(1 for row in rows if row["status"] == k) for k in ANSWER_ORDER}
        asks.append(ask_completeness(ask_id, ask, header, counts, sum(1 for row in rows if row["late"]), rows))
    return completeness_head(header, asks)


def completeness_head(header: dict, asks: list[dict]) -> dict:
    asks.sort(key=lambda a: (a["deadline"], a["ask_id"]))
    head = header_view(header)
    return {
        "notice_id": head["notice_id"],
        "doc_number": head["doc_number"],
        "title": head["title"],
        "status": head["status"],
        "asks": asks,
    }


# ---------------------------------------------------------------- 办理情况统计 (one row per recipient unit)

ROW_FIGURES = ("notices", "acknowledged", "owed", "submitted", "on_time", "late", "accepted", "returned", "pending")
ROW_FIELDS = ("unit_id", "name", "kind", *ROW_FIGURES, "ack_rate", "avg_ack_hours", "on_time_rate")


def row_figures(docs: list[dict]) -> dict:
    """How one unit handled one issuer's notices of one year: 签收 (how many, how fast) and 报送 (on time or not).

    ``docs``: the unit's documents of that issuer and year (``row`` equal);
    withdrawn notices are left out. ``listed`` says whether the row has
    anything to show (a unit addressed only by withdrawn notices has not).
    """
    return row_totals([contribution(d) for d in docs])


def contribution(doc: dict) -> dict:
    """What one unit document adds to its statistics row (all zero for a notice withdrawn, or a document made
    by an event before the notice named the unit). The row is the sum of its documents' contributions
    (``row_totals``), so a change of one document changes the row by what it adds, without reading the others."""
    c: dict = {k: 0 for k in ROW_FIGURES} | {"hours": 0.0, "timed": 0}
    if not doc.get("recipient") or doc.get("withdrawn"):
        return c
    c["notices"] = 1
    ack, issued_at = doc.get("ack"), doc.get("issued_at")
    if ack:
        c["acknowledged"] = 1
        if issued_at and ack.get("at"):
            c["hours"], c["timed"] = max((ack["at"] - issued_at).total_seconds() / 3600, 0.0), 1
    for ask_id in doc.get("owes", []):
        c["owed"] += 1
        state = unit_state((doc.get("subs") or {}).get(ask_id, {}))
        if state["status"] == "pending":
            c["pending"] += 1
            continue
        c["submitted"] += 1
        c["late" if state.get("late") else "on_time"] += 1
        if state["status"] in ("accepted", "returned"):
            c[state["status"]] += 1
    c.update(name=doc.get("name"), kind=doc.get("kind"), issued_at=issued_at, notice_id=doc.get("notice_id"))
    return c


def row_totals(parts: list[dict]) -> dict:
    """A statistics row from its documents' contributions."""
    counted = [p for p in parts if p.get("notices")]
    row = with_rates(
        {k: sum(p.get(k, 0) for p in counted) for k in ROW_FIGURES},
        timed=sum(p.get("timed", 0) for p in counted),
        hours=sum(p.get("hours", 0.0) for p in counted),
    )
    named = [p for p in counted if "name" in p]  # parts kept by the service carry numbers only
    if named:  # the name the unit had on the issuer's latest notice to it
        latest = max(named, key=lambda p: (p["issued_at"], p["notice_id"]))
        row["name"], row["kind"] = latest["name"], latest["kind"]
    return row


def with_rates(row: dict, timed: int, hours: float) -> dict:
    """A row's figures (``ROW_FIGURES``) with its rates: of 签收, hours to 签收 on average (over the ``timed``
    ones, ``hours`` in all), 报送 on time; and whether it has anything to show (``listed``)."""
    row["ack_rate"] = round(row["acknowledged"] / row["notices"], 3) if row["notices"] else None
    row["avg_ack_hours"] = round(hours / timed, 1) if timed else None
    row["on_time_rate"] = round(row["on_time"] / row["owed"], 3) if row["owed"] else None
    row["listed"] = bool(row["notices"])
    return row


def row_view(row: dict) -> dict:
    return {k: row.get(k) for k in ROW_FIELDS}
