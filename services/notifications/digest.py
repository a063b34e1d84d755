"""The daily digest: a unit hosted here may choose one message a day instead of one per notice and reminder.

Its e-mails and SMS about notices and reminders (``DIGEST_CAUSES``) are made and recorded as any (pending, in
the notice's log and counts, each with its personal link) but not queued: a ``held`` document per delivery
names the digest day (that of the next ``digest_hour`` in the node's zone) and the line it gets. At that hour
(reach.py) one message per unit, contact and channel lists the day's lines; once it is sent, the deliveries it
carries are sent too (``settle_members``). The group chat is not held: it is the liaisons' group, not a unit's.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.contracts.notifications import UnitPreferences, UnitPreferencesQuery, UpdateUnitPreferences
from shared.errors import Forbidden
from shared.schemas import Role

from . import domain
from . import templates as tpl
from .deps import Deps, stamp
from .tokens import wants_link

DIGEST_CAUSES = frozenset(
    {
        "notice.issued",
        "notice.forwarded",
        "notice.corrected",
        "notice.withdrawn",
        "deadline.approaching",
        "deadline.missed",
    }
)


def digest_day(now: datetime, tz: str, hour: int) -> str:
    """The day whose digest takes what is made ``now``: today's until its hour, then tomorrow's."""
    local = now.astimezone(ZoneInfo(tz))
    day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
    return day.isoformat()


def line(doc: dict, cause: domain.Cause, link: str) -> str:
    """What one held delivery says in the digest: the notice, why, and the contact's link."""
    v = cause.variables
    text = f"{tpl.CAUSE_LABELS.get(cause.type, cause.type)}：《{v.get('notice_title') or ''}》"
    if v.get("doc_number"):
        text += f"（{v['doc_number']}）"
    if cause.type.startswith("deadline.") and v.get("ask_title"):
        text += f"“{v['ask_title']}”截止 {v.get('deadline') or ''}"
    if link:
        text += f" {'查看并签收' if cause.type.startswith('notice.') else '查看'}：{link}"
    return text


async def holding(cause: domain.Cause, unit_ids: list[str], d: Deps) -> set[str]:
    """The units among ``unit_ids`` whose messages about ``cause`` wait for their digest."""
    if cause.type not in DIGEST_CAUSES or "~" in cause.event_id:  # an escalation round is not held again
        return set()
    return await d.reach.digest_units(unit_ids)


def held_docs(docs: list[dict], cause: domain.Cause, messages: domain.Messages, d: Deps) -> list[dict]:
    """What keeps ``docs`` (to be recorded, not queued) for their digest, each with its line; each delivery is
    marked with its ``digest_day``."""
    day = digest_day(d.clock.now(), d.settings.timezone, d.settings.digest_hour)
    held = []
    for doc in docs:
        link = messages.links.url(doc["_id"]) if messages.links and wants_link(cause.type, doc["channel"]) else ""
        held.append(
            {
                "_id": doc["_id"],
                "day": day,
                "unit_id": doc["unit_id"],
                "unit_name": doc.get("unit_name") or doc["unit_id"],
                "contact_name": doc.get("contact_name") or "",
                "channel": doc["channel"],
                "address": doc["address"],
                "notice_id": doc["notice_id"],
                "cause": cause.type,
                "line": line(doc, cause, link),
            }
        )
        doc["digest_day"] = day
    return held


def compose(day: str, members: list[dict], chan: dict) -> tuple[str, str]:
    """The digest's subject and body for one contact on one channel."""
    first = members[0]
    count = len(members)
    if first["channel"] == "sms":
        items = "；".join(f"{i}. {m['line']}" for i, m in enumerate(members, 1))
        body = f"{first['unit_name']}今日（{day}）有 {count} 件通知和提醒：{items}"
        signature = (chan.get("sms") or {}).get("signature")
        return "", f"【{signature}】{body}" if signature else body
    items = "\n".join(f"{i}. {m['line']}" for i, m in enumerate(members, 1))
    greeting = f"{first['contact_name']}：\n\n" if first.get("contact_name") else ""
    body = f"{greeting}{first['unit_name']}今日（{day}）的通知和提醒共 {count} 件：\n\n{items}" + tpl.SIGN_OFF
    return f"【每日汇总】{day} 通知和提醒 {count} 件", body


# ---------------------------------------------------------------- the units' choice


def _may_set(actor, unit_id: str) -> None:
    if actor is not None and actor.unit_id != unit_id and Role.admin not in actor.roles:
        raise Forbidden("只能查看和设置本单位的消息方式", field="unit_id", code="other_unit")


async def _view(unit_id: str, d: Deps) -> UnitPreferences:
    doc = await d.reach.prefs(unit_id) or {}
    return UnitPreferences(
        unit_id=unit_id,
        digest=bool(doc.get("digest")),
        digest_hour=d.settings.digest_hour,
        timezone=d.settings.timezone,
        updated_at=doc.get("updated_at"),
        updated_by=doc.get("updated_by"),
    )


async def unit_preferences(q: UnitPreferencesQuery, d: Deps) -> UnitPreferences:
    _may_set(q.actor, q.unit_id)
    return await _view(q.unit_id, d)


async def update_unit_preferences(cmd: UpdateUnitPreferences, d: Deps) -> UnitPreferences:
    """A unit's own people (or the node admin) choose; what is already held still goes in its digest."""
    _may_set(cmd.actor, cmd.unit_id)
    await d.reach.save_prefs({"_id": cmd.unit_id, "digest": cmd.digest, **stamp(cmd.actor, d)})
    return await _view(cmd.unit_id, d)


async def settle_members(cause: str, changes: dict[str, dict], d: Deps) -> None:
    """A digest sent (or failed for good): so are the deliveries it carried, in their notices' logs and counts."""
    final = {i: c for i, c in changes.items() if c["status"] in ("sent", "failed")}
    if cause != "digest" or not final:
        return
    moved: dict[str, dict] = {}
    counted: set[tuple[str, str, str]] = set()
    for digest_id, members in (await d.reach.members(list(final))).items():
        for m in members:
            moved[m["id"]] = {**final[digest_id], "digest_id": digest_id}
            counted.add((m["notice_id"], m["cause"], m["channel"]))
    await d.repo.settle(moved)
    for notice_id, member_cause, channel in counted:
        d.recounts.soon(notice_id, member_cause, [channel])
