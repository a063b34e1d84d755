"""Who owes what to whom, by when, and how a submission moves. Pure functions.

A submission is one document per (notice, ask, unit), ``_id`` = ``notice:ask:unit``,
on the submitter's node and, when the notice came from elsewhere, a copy on
the issuer's node. Both apply the same events, so a state only moves forward:
each change has a position (revision, stage) and an older one arriving late
(redelivery, a link that was down) changes nothing.
"""

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.clock import working_days_before
from shared.errors import Conflict, Invalid
from shared.ids import submission_id
from shared.schemas import Ask, NoticeSnapshot, UnitRef

# Stages of one revision: submitted, then reviewed (accepted or returned), then perhaps reopened (退回下级: an
# accepted revision returned to its unit after the level above returned the item it went up as).
PENDING, SUBMITTED, REVIEWED, REOPENED = 0, 1, 2, 3
OPEN = ("pending", "returned")  # still owed: chased, counted as missing at the deadline
STATUS_TEXT = {"pending": "未报送", "submitted": "已报送", "returned": "已退回", "accepted": "已采用"}


def must_answer(ask: Ask, unit: UnitRef) -> bool:
    return not ask.unit_kinds or unit.kind in ask.unit_kinds


def route_for(ask: Ask, unit: UnitRef, default_unit_id: str) -> tuple[str, str | None]:
    """The issuer unit and department this unit submits to (seed 000 routes 科技局 elsewhere)."""
    for route in ask.routes:
        if route.unit_kind == unit.kind:
            return route.to_unit_id, route.department
    return default_unit_id, None


expectation_id = submission_id


def derived_id(*parts: str) -> str:
    """A deterministic id (an event's, a report's): the same cause makes the same one, which consumers drop."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def queue_of(department: str | None) -> str:
    """What 审核 pages by: the department, or "" for none (a string, so an equality filter uses the index)."""
    return department or ""


def unit_names(notice: NoticeSnapshot) -> dict[str, str]:
    """Names of the units a notice's submissions go to: its issuers and the units its routes name."""
    return {u.unit_id: u.name for u in [*notice.route_units, *notice.issuers]}


def keeps_all(origin_node: str, node: str) -> bool:
    """The issuer's node tracks every recipient (who is late, whom to chase); others only the units they host."""
    return origin_node == node


def expectations(notice: NoticeSnapshot, node: str, origin_node: str) -> list[dict]:
    """One document per (ask, recipient that must answer it) that this node keeps."""
    lead = notice.issuers[0].unit_id
    names = unit_names(notice)
    docs = []
    for ask in notice.asks:
        for unit in notice.recipients:
            if not (keeps_all(origin_node, node) or unit.node_id == node) or not must_answer(ask, unit):
                continue
            to_unit, department = route_for(ask, unit, lead)
            docs.append(
                {
                    "_id": expectation_id(notice.notice_id, ask.ask_id, unit.unit_id),
                    "notice_id": notice.notice_id,
                    "doc_number": notice.doc_number,
                    "title": notice.title,
                    "ask_id": ask.ask_id,
                    "ask_kind": ask.kind.value,
                    "ask_title": ask.title,
                    "unit_id": unit.unit_id,
                    "unit_name": unit.name,
                    "unit_kind": unit.kind.value,
                    "unit_node": unit.node_id,
                    "issuer_node": origin_node,
                    "to_unit_id": to_unit,
                    "to_unit_name": names.get(to_unit),
                    "department": department,
                    "queue": queue_of(department),
                    "deadline": ask.deadline,
                    "status": "pending",
                    **listing_flags("pending"),
                    "revision": 0,
                    "stage": PENDING,
                }
            )
    return docs


def notice_record(notice: NoticeSnapshot, origin_node: str) -> dict:
    """What this service keeps of a notice: its asks (to check items) and where its issuer is."""
    return {
        "_id": notice.notice_id,
        "doc_number": notice.doc_number,
        "title": notice.title,
        "issuer_unit_ids": [i.unit_id for i in notice.issuers],
        "issuer_node": origin_node,
        "parent_notice_id": notice.parent_notice_id,
        "root_notice_id": notice.root_notice_id,
        "asks": [a.model_dump(mode="python") for a in notice.asks],
        "upward": {k: v.model_dump(mode="python") for k, v in notice.upward.items()},
        "revision": notice.revision,
        "status": "issued",
    }


def ask_of(notice_doc: dict, ask_id: str, *, field: str = "ask_id") -> Ask:
    for raw in notice_doc.get("asks", []):
        if raw["ask_id"] == ask_id:
            return Ask.model_validate(raw)
    raise Invalid("该通知没有这项报送要求", field=field, code="unknown_ask")


# ---------------------------------------------------------------- moving a submission


def position(doc: dict) -> tuple[int, int]:
    return doc.get("revision", 0), doc.get("stage", PENDING)


def applies(doc: dict | None, revision: int, stage: int) -> bool:
    """A change applies only past where the document is: late and repeated events change nothing."""
    return doc is None or (revision, stage) > position(doc)


def can_submit(doc: dict, notice_status: str) -> int:
    """The revision a new submission gets, or ``Conflict`` if the unit cannot submit now."""
    if notice_status == "withdrawn":
        raise Conflict("该通知已撤回，不能报送", field="notice_id", code="withdrawn")
    if doc["status"] == "accepted":
        raise Conflict("已被采用，不能再修改", field="ask_id", code="already_accepted")
    return doc.get("revision", 0) + 1


def check_review(doc: dict, revision: int) -> None:
    if doc["status"] == "pending":
        raise Conflict("该单位尚未报送", field="submission_id", code="not_submitted")
    if revision != doc.get("revision"):
        raise Conflict(f"该单位已报送第{doc.get('revision')}版，请刷新后审核", field="revision", code="stale_revision")
    if doc["status"] != "submitted":
        raise Conflict(f"第{revision}版{STATUS_TEXT[doc['status']]}", field="revision", code="already_reviewed")


def is_late(at: datetime, deadline: datetime) -> bool:
    return at > deadline


def listing_flags(status: str) -> dict:
    """What lists page by (indexed booleans): still owed (报送: open first), decided (审核: after the submitted)."""
    return {"open": status in OPEN, "decided": status in ("accepted", "returned")}


def submitted_fields(*, revision: int, at: datetime, by: str, late: bool, items: int, compiled: bool) -> dict:
    return {
        "status": "submitted",
        **listing_flags("submitted"),
        "revision": revision,
        "stage": SUBMITTED,
        "submitted_at": at,
        "submitted_by": by,
        "late": late,
        "item_count": items,
        "compiled": compiled,
        "reviewed_at": None,
        "reviewed_by": None,
        "return_reason": None,
    }


def reviewed_fields(*, status: str, revision: int, at: datetime, by: str, reason: str | None = None) -> dict:
    return {
        "status": status,
        **listing_flags(status),
        "revision": revision,
        "stage": REVIEWED,
        "reviewed_at": at,
        "reviewed_by": by,
        "return_reason": reason,
    }


def reopened_fields(*, revision: int, at: datetime, by: str, reason: str) -> dict:
    """退回下级: an accepted revision back with its unit, which submits again; no longer sent up."""
    return {
        **reviewed_fields(status="returned", revision=revision, at=at, by=by, reason=reason),
        "stage": REOPENED,
        "compiled_in": None,
    }


UPPER_RETURN = "上级退回："


def reason_down(upper_reason: str | None, note: str = "") -> str:
    """The reason a 退回下级 gives: the level above's, then what the level's reviewer adds (at most 2000)."""
    reason = UPPER_RETURN + (upper_reason or "").strip()
    if note.strip():
        reason += f"；{note.strip()}"
    return reason[:2000]


# ---------------------------------------------------------------- reminders (催办)


def still_owed(docs: list[dict], ask_id: str | None = None) -> dict[str, list[dict]]:
    """Open submissions by ask: pending, or returned and not yet submitted again."""
    out: dict[str, list[dict]] = {}
    for doc in docs:
        # A level whose items went up by themselves (直接上报/择优上报) has answered: not chased.
        if doc["status"] in OPEN and not doc.get("items_sent") and (ask_id is None or doc["ask_id"] == ask_id):
            out.setdefault(doc["ask_id"], []).append(doc)
    return out


REMINDER_HOUR = 9  # a reminder counted in working days goes out at the start of that working day


def reminder_at(deadline: datetime, days_before: int, tz: str, *, working: bool) -> datetime:
    """When the reminder ``days_before`` a deadline is due.

    In calendar days: that long before the deadline. In working days: 9:00
    (node's zone) on the n-th working day before the deadline's day, so a
    Monday deadline is recalled on Friday, not on Sunday night.
    """
    if not working:
        return deadline - timedelta(days=days_before)
    zone = ZoneInfo(tz)
    day = working_days_before(deadline.astimezone(zone).date(), days_before)
    return datetime.combine(day, time(REMINDER_HOUR), tzinfo=zone)


def reminder_due(
    deadline: datetime,
    now: datetime,
    days_before: list[int],
    sent: set[str],
    *,
    tz: str = "Asia/Shanghai",
    working: bool = False,
) -> str | None:
    """The automatic reminder of an ask due at ``now`` and not yet sent, if any.

    ``before-<n>`` from n days before the deadline, ``missed`` once it passed.
    Only the latest due one goes out: a node that was down over several
    offsets sends one reminder, not a burst.
    """
    if now >= deadline:
        return None if "missed" in sent else "missed"
    due = [n for n in set(days_before) if reminder_at(deadline, n, tz, working=working) <= now]
    if not due:
        return None
    key = f"before-{min(due)}"
    return None if key in sent else key
