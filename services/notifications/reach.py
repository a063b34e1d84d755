"""What runs on the clock (the service's background task): the daily digests and the escalation rounds.

Every ``reach_tick_seconds``, on every replica:

1. Digests: once ``digest_hour`` has passed in the node's zone (and always for yesterday, in case the service
   was down at the hour), the held deliveries no digest took yet become one message per unit, contact and
   channel, ``_id`` ``digest:<day>:<digest of its members>`` (reason ``digest``, no notice), queued as jobs;
   then the held ones are marked taken. Sent, a digest settles the deliveries it carries (digest.py).
2. Escalation rounds whose time has come (escalation.py): the next channel for the units still silent.

Everything is keyed by what it is made of, so two replicas on the same tick, or a tick after a crash half-way,
make the same documents and jobs once.
"""

import asyncio
import hashlib
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.clock import utc

from . import digest, domain, escalation
from .delivering import _deliver, _known_units, _messages, channel_settings, job_ids, queue
from .deps import Deps

log = logging.getLogger("cascade.notifications.reach")
PARTS_TOGETHER = timedelta(minutes=5)  # the parts of one notice are handled within moments: their last rounds too


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def due_days(now: datetime, tz: str, hour: int) -> list[str]:
    local = now.astimezone(ZoneInfo(tz))
    days = [local.date() - timedelta(days=1)]
    if local.hour >= hour:
        days.append(local.date())
    return [day.isoformat() for day in days]


async def run_digests(d: Deps) -> int:
    made = 0
    for day in due_days(d.clock.now(), d.settings.timezone, d.settings.digest_hour):
        held = await d.reach.held(day)
        if not held:
            continue
        chan = await channel_settings(d)
        groups: dict[tuple[str, str, str], list[dict]] = {}
        for h in held:
            groups.setdefault((h["unit_id"], h["channel"], h["address"]), []).append(h)
        now = d.clock.now()
        docs = []
        for (unit_id, channel, address), members in groups.items():
            subject, body = digest.compose(day, members, chan)
            doc = {
                "_id": f"digest:{day}:{_hash(*(m['_id'] for m in members))}",
                "cause_event_id": f"digest:{day}",
                "reason": "digest",
                "notice_id": None,
                "ask_id": None,
                "unit_id": unit_id,
                "unit_name": members[0]["unit_name"],
                "contact_name": members[0]["contact_name"],
                "channel": channel,
                "address": address,
                "subject": subject,
                "body": body,
                "created_at": now,
                "status": "pending",
                "members": [
                    {"id": m["_id"], "notice_id": m["notice_id"], "cause": m["cause"], "channel": m["channel"]}
                    for m in members
                ],
            }
            if channel == "email":
                email = chan.get("email") or {}
                doc.update({k: email[k] for k in ("sender", "sender_name", "reply_to") if email.get(k)})
            docs.append(doc)
        prefix = f"digest:{day}:{_hash(*(doc['_id'] for doc in docs))}"
        job_ids(docs, prefix, d.settings.send_batch_size)
        await d.repo.record(docs)
        await queue(docs, prefix, "digest", None, d)
        for doc in docs:
            await d.reach.take_held([m["id"] for m in doc["members"]], doc["_id"])
        made += len(docs)
    return made


async def run_escalations(d: Deps) -> int:
    """The rounds whose time has come, for the units still silent. The last round of a notice that came in parts
    (a round per part, due within moments of each other) goes as one group message for all of them."""
    rounds = 0
    now = d.clock.now()
    waiting = await d.reach.waiting()
    off = bool(waiting) and escalation.hours(await channel_settings(d)) <= 0
    taken: set[str] = set()
    for doc in waiting:
        if doc["_id"] in taken or (utc(doc["due_at"]) > now and not off):
            continue
        together = [doc]
        if doc["tier"] >= domain.CHAT_TIER and doc["cause"].startswith("notice."):
            together += [
                x
                for x in waiting
                if x["_id"] != doc["_id"]
                and x["_id"] not in taken
                and (x["notice_id"], x["cause"], x["tier"]) == (doc["notice_id"], doc["cause"], doc["tier"])
                and utc(x["due_at"]) <= now + PARTS_TOGETHER
            ]
        units: list[str] = []
        if not off:  # turned off by the admin: the rounds end
            for x in together:
                units += [u for u in await escalation.unanswered(x, d) if u not in units]
        if units:
            messages, _chan = await _messages(doc["cause"], d)
            cause = domain.Cause(
                f"{doc['base_event_id']}~{doc['tier']}",
                doc["cause"],
                doc["notice_id"],
                doc["variables"],
                ask_id=doc.get("ask_id"),
            )
            await _deliver(cause, await _known_units(units, d), d, messages, tier=doc["tier"])
            rounds += 1
        for x in together:
            await d.reach.finish(x["_id"], now)
            taken.add(x["_id"])
    return rounds


async def tick(d: Deps) -> None:
    await run_digests(d)
    await run_escalations(d)


async def run(d: Deps) -> None:
    """The background task: a failed tick is logged and the next one tries again (everything is idempotent)."""
    while True:
        try:
            await tick(d)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("digests or escalations could not be looked at; trying again next tick")
        await asyncio.sleep(d.settings.reach_tick_seconds)
