"""Escalation: a message nobody answered goes again, on the next channel (e-mail → SMS → the group chat).

Off unless the node admin sets its hours on the channels page (提醒升级, kept with the channels) or, where the
admin left it unset, the service's ``escalate_after_hours`` (the environment). Then a notice or a reminder
(``ESCALATING``) first goes to each contact on its first channel only (e-mail where it has an address, else SMS:
``domain.Messages.deliveries`` with ``tier``), and an ``escalations`` document waits that many hours for the next
round. When it is due (reach.py), the units that have not answered get the next round: each contact on its
second channel, then once the group chat naming the units still silent; each round schedules the next, up to the
chat. Turned off (0) while rounds wait, those rounds end unsent.

Answered means: for a notice, the unit has 签收'd it (``notice.acknowledged``, kept in ``receipts``); for a
reminder, a contact of the unit opened one of its links (read it: the link page leads on to 签收 and 报送).
Units holding their messages for a daily digest are not escalated: they chose one message a day.
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from shared.events import NoticeAcknowledged
from shared.settings import NotificationsSettings

from . import domain
from .deps import Deps

ESCALATING = frozenset({"notice.issued", "notice.forwarded", "deadline.approaching", "deadline.missed"})


def settings_of(stored: Mapping[str, Any], settings: NotificationsSettings) -> dict:
    """The escalation part of the channel settings: the admin's hours (None: unset), the service's, what applies."""
    mine = (stored.get("escalation") or {}).get("after_hours")
    default = settings.escalate_after_hours
    return {"after_hours": mine, "default_hours": default, "effective_hours": default if mine is None else mine}


def hours(channels: Mapping[str, Any]) -> float:
    """The hours between rounds in force (channel settings as ``delivering.channel_settings`` makes them); 0: off."""
    return float((channels.get("escalation") or {}).get("effective_hours") or 0.0)


def first_tier(cause_type: str, after_hours: float) -> int | None:
    """The round a new cause's messages start at: 0 when escalating, None (every channel at once) otherwise."""
    return 0 if after_hours > 0 and cause_type in ESCALATING else None


def base_event(cause: domain.Cause) -> str:
    return cause.event_id.split("~", 1)[0]


async def schedule(cause: domain.Cause, tier: int, unit_ids: list[str], d: Deps, after_hours: float) -> None:
    """After round ``tier`` of ``cause`` went to ``unit_ids``: the next round ``after_hours`` later, unless that was
    the last (or escalation is off now)."""
    if tier >= domain.CHAT_TIER or not unit_ids or not cause.notice_id or after_hours <= 0:
        return
    base = base_event(cause)
    await d.reach.schedule(
        {
            "_id": f"{base}~{tier + 1}",
            "base_event_id": base,
            "cause": cause.type,
            "notice_id": cause.notice_id,
            "ask_id": cause.ask_id,
            "variables": cause.variables,
            "unit_ids": unit_ids,
            "tier": tier + 1,
            "due_at": d.clock.now() + timedelta(hours=after_hours),
            "state": "waiting",
        }
    )


async def unanswered(doc: dict, d: Deps) -> list[str]:
    """The units of a due round that have not answered its cause yet."""
    units: list[str] = doc["unit_ids"]
    if doc["cause"].startswith("notice."):
        signed = await d.reach.signed(doc["notice_id"], units)
        return [u for u in units if u not in signed]
    opened = await d.reach.opened_units(doc["notice_id"], doc["cause"], doc["base_event_id"])
    return [u for u in units if u not in opened]


async def on_acknowledged(event: NoticeAcknowledged, d: Deps) -> None:
    """A unit hosted here signed: its notice's rounds stop for it. (Copies of other nodes' receipts are theirs.)"""
    if event.origin_node == d.node:
        await d.reach.record_receipt(event.notice_id, event.unit_id, event.acknowledged_at)


async def cancel(notice_id: str, d: Deps) -> None:
    """A notice withdrawn: no more rounds about it."""
    await d.reach.cancel_escalations(notice_id, d.clock.now())
