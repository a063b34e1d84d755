"""催办 by the issuer, and the automatic reminders before each deadline and when it passed."""

from shared import outbox
from shared.contracts.submissions import Chased, ChaseSubmissions
from shared.errors import Conflict, Forbidden
from shared.events import DeadlineApproaching, DeadlineMissed
from shared.ids import new_id
from shared.scope import actor_name

from .. import domain
from .deps import Deps, notice_of


async def chase(cmd: ChaseSubmissions, d: Deps) -> Chased:
    notice = await notice_of(cmd.notice_id, d)
    if notice["issuer_node"] != d.node or (cmd.actor and cmd.actor.unit_id not in notice["issuer_unit_ids"]):
        raise Forbidden("只有发文单位可以催办", field="notice_id", code="not_issuer")
    if notice.get("status") == "withdrawn":
        raise Conflict("该通知已撤回", field="notice_id", code="withdrawn")
    if cmd.ask_id:
        domain.ask_of(notice, cmd.ask_id)
    owed = domain.still_owed(await d.repo.for_notice(cmd.notice_id), cmd.ask_id)
    if not owed:
        raise Conflict(
            "没有需要催办的单位：都已报送", field="ask_id" if cmd.ask_id else "notice_id", code="nothing_owed"
        )
    now = d.clock.now()
    reminder_id = new_id()
    events = [
        DeadlineApproaching(
            occurred_at=now,
            origin_node=d.node,
            root_notice_id=notice.get("root_notice_id"),
            notice_id=notice["_id"],
            ask_id=ask_id,
            deadline=docs[0]["deadline"],
            pending_unit_ids=[x["unit_id"] for x in docs],
            manual=True,
            doc_number=notice["doc_number"],
            title=notice["title"],
            ask_title=domain.ask_of(notice, ask_id).title,
            note=cmd.note,
            chased_by=actor_name(cmd.actor),
        )
        for ask_id, docs in sorted(owed.items())
    ]
    await _send_reminder(reminder_id, notice["_id"], events, owed, d, by=actor_name(cmd.actor))
    return Chased(
        reminder_id=reminder_id,
        notice_id=notice["_id"],
        asks={ask_id: len(docs) for ask_id, docs in owed.items()},
        units=len({x["unit_id"] for docs in owed.values() for x in docs}),
    )


async def _send_reminder(
    reminder_id: str, notice_id: str, events: list, owed: dict[str, list[dict]], d: Deps, by: str = ""
) -> bool:
    """One reminder document carries its events: each to this node and to every linked node hosting a unit chased."""
    nodes = {x["unit_node"] for docs in owed.values() for x in docs}
    pending = outbox.entries(
        *((e, None) for e in events), *((e, n) for e in events for n in sorted(nodes) if d.copy_to(n))
    )
    doc = {
        "_id": reminder_id,
        "notice_id": notice_id,
        "at": d.clock.now(),
        "by": by,
        "asks": {a: [x["unit_id"] for x in docs] for a, docs in owed.items()},
        outbox.FIELD: pending,
    }
    if not await d.repo.add_reminder(doc):
        return False
    await d.repo.flush(d.repo.reminders, reminder_id, pending)
    return True


async def on_reminded(event: DeadlineApproaching | DeadlineMissed, d: Deps) -> None:
    """The units chased see when and why (a reminder redelivered sets the same values)."""
    manual = getattr(event, "manual", False)
    mark = {
        "at": event.occurred_at,
        "kind": "missed" if isinstance(event, DeadlineMissed) else ("chase" if manual else "reminder"),
        "note": getattr(event, "note", ""),
        "event_id": event.event_id,
    }
    for unit_id in event.pending_unit_ids:
        sid = domain.expectation_id(event.notice_id, event.ask_id, unit_id)
        doc = await d.repo.get(sid)
        if doc is not None and (doc.get("last_reminder") or {}).get("event_id") != event.event_id:
            await d.repo.set_fields(sid, {"last_reminder": mark})


async def send_due_reminders(d: Deps) -> int:
    """Automatic reminders before each deadline and a notice when it passed, for asks issued here.

    Restart-safe: each reminder has a deterministic id, so one due again after
    a crash is not sent twice, and its events are in its document (outbox).
    """
    now = d.clock.now()
    sent = 0
    for entry in await d.repo.open_schedule():
        key = domain.reminder_due(
            entry["deadline"],
            now,
            d.settings.reminder_days_before,
            set(entry["sent"]),
            tz=d.settings.timezone,
            working=d.settings.reminder_in_working_days,
        )
        if key is None:
            continue
        notice = await d.repo.get_notice(entry["notice_id"])
        if notice is None or notice.get("status") == "withdrawn":
            await d.repo.mark_sent(entry["_id"], key, done=True)
            continue
        owed = domain.still_owed(await d.repo.for_notice(entry["notice_id"]), entry["ask_id"])
        if owed:
            ask = domain.ask_of(notice, entry["ask_id"])
            common = dict(
                occurred_at=now,
                origin_node=d.node,
                root_notice_id=notice.get("root_notice_id"),
                notice_id=notice["_id"],
                ask_id=ask.ask_id,
                deadline=entry["deadline"],
                pending_unit_ids=[x["unit_id"] for x in owed[ask.ask_id]],
                doc_number=notice["doc_number"],
                title=notice["title"],
                ask_title=ask.title,
            )
            event = DeadlineMissed(**common) if key == "missed" else DeadlineApproaching(**common)
            sent += await _send_reminder(f"{entry['_id']}:{key}", notice["_id"], [event], owed, d)
        await d.repo.mark_sent(entry["_id"], key, done=key == "missed")
    return sent
