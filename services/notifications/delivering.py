"""Making deliveries: the node's channel settings and templates, the units to tell, and ``_deliver``, which records
a cause's deliveries and queues them as sending jobs (handlers.py, arrivals.py and reach.py call it).

On the way (issue 15): each message to a contact about a notice gets its personal link (links.py), recorded
before any job is queued so a link works as soon as its message can arrive; the messages of units that chose a
daily digest are recorded but held for it (digest.py); with escalation on, a notice or reminder goes out on
each contact's first channel and the next round is scheduled (escalation.py). Everything is keyed by the
cause's event, so an event met twice records, links, holds, queues and schedules nothing twice.
"""

from typing import Any

from . import digest, domain, escalation, links
from .deps import Deps
from .sending import OutgoingMessage, SendJob


async def channel_settings(d: Deps) -> dict:
    """The node's channel settings, the defaults where nothing was saved."""
    stored = await d.repo.channels() or {}
    out = domain.default_channels(d.settings.smtp_sender)
    for key in ("email", "sms", "chat"):
        out[key] = {**out[key], **(stored.get(key) or {})}
    out["public_url"] = stored.get("public_url")
    for key, server in d.senders.servers().items():
        out[key]["server"] = server
    out["escalation"] = escalation.settings_of(stored, d.settings)
    s = d.settings
    out["limits"] = {
        "window_seconds": s.rate_window_seconds,
        "chat": {p: s.chat_limit(p) for p in ("wecom", "dingtalk", "feishu", "text")},
        "sms_per_minute": s.sms_per_minute,
        "email_per_minute": s.email_per_minute,
        "sms_per_number_per_day": s.sms_per_number_per_day,
    }
    out["updated_at"] = stored.get("updated_at")
    out["updated_by"] = stored.get("updated_by")
    return out


async def _messages(cause: str, d: Deps) -> tuple[domain.Messages, dict]:
    chan = await channel_settings(d)
    stored = await d.repo.templates_of(cause)
    templates = {c: (t["subject"], t["body"]) for c, t in stored.items()}
    return domain.Messages(chan, templates, links=links.maker(chan, d)), chan


async def queue(docs: list[dict], job_prefix: str, cause: str, notice_id: str | None, d: Deps) -> None:
    """Queue ``docs`` (recorded, each with its ``job_id`` set by ``job_ids``) as sending jobs."""
    jobs: dict[str, list[dict]] = {}
    for doc in docs:
        jobs.setdefault(doc["job_id"], []).append(doc)
    now = d.clock.now()
    for job_id, job in jobs.items():
        await d.queue_work(
            "send",
            SendJob(
                job_id=job_id,
                cause_event_id=job_prefix,
                due_at=now,
                notice_id=notice_id,
                cause=cause,
                messages=[OutgoingMessage.of(doc) for doc in job],
            ),
            job_id,
        )


def job_ids(docs: list[dict], prefix: str, size: int) -> None:
    for i, doc in enumerate(docs):
        doc["job_id"] = f"{prefix}:send:{i // size}"


async def _deliver(
    cause: domain.Cause,
    recipients: list[domain.Recipient],
    d: Deps,
    messages: domain.Messages,
    tier: int | None = None,
    *,
    group: bool = True,
) -> int:
    """Record the deliveries of a cause and queue them for sending.

    A redelivered event makes the same deliveries and jobs (ids from the
    event): the records are not written twice, and a job queued again is
    dropped by JetStream or finds its messages already decided.
    ``tier``: an escalation round (escalation.py); a new cause starts at
    round 0 when the node escalates. ``group=False``: no message to the group
    chat (a part of a notice event in parts: ``deliver_group`` once all are in).
    """
    if not recipients or not messages.enabled:
        return 0
    now = d.clock.now()
    hours = escalation.hours(messages.channels)
    if tier is None:
        tier = escalation.first_tier(cause.type, hours)
    digesting = await digest.holding(cause, [r.unit_id for r in recipients], d)
    now_units = [r for r in recipients if r.unit_id not in digesting]
    docs = messages.deliveries(cause, now_units, now, tier, group=group)
    held: list[dict] = []
    if digesting:
        # Every channel of a digest unit's contacts (no rounds), the group chat left to the others' messages;
        # a cause told only to digest units still reaches the group once.
        later = [r for r in recipients if r.unit_id in digesting]
        made = messages.deliveries(cause, later, now, None, group=group)
        mine = [doc for doc in made if doc["channel"] in domain.CONTACT_CHANNELS]
        if not now_units and tier is None:
            docs += [doc for doc in made if doc["channel"] == "chat"]
        held = digest.held_docs([doc for doc in mine if not d.senders.missing(doc["channel"])], cause, messages, d)
        docs += mine
    waiting = {h["_id"] for h in held}
    sendable = []
    for doc in docs:
        # A channel without a server on this node: recorded as not sent, never queued.
        reason = d.senders.missing(doc["channel"])
        if reason:
            doc.update(status="skipped", error=reason)
        elif doc["_id"] not in waiting:
            sendable.append(doc)
    job_ids(sendable, cause.event_id, d.settings.send_batch_size)
    new = await d.repo.record(docs)
    await d.recounts.recorded(cause.notice_id, cause.type, docs, all_new=new == len(docs))  # before any job
    await links.record(docs, messages.links, d)  # before any job: a link works once its message can arrive
    await d.reach.hold(held)
    await queue(sendable, cause.event_id, cause.type, cause.notice_id, d)
    if tier is not None:
        await escalation.schedule(cause, tier, [r.unit_id for r in now_units], d, hours)
    return new


async def deliver_group(cause: domain.Cause, names: list[str], d: Deps, messages: domain.Messages) -> int:
    """The group chat's one message about a notice event that came in parts, naming the units of every part; not
    when the node escalates (the group hears in the last round, about the units still silent)."""
    if escalation.first_tier(cause.type, escalation.hours(messages.channels)) is not None:
        return 0
    docs = messages.group_delivery(cause, names, d.clock.now())
    sendable = [doc for doc in docs if not d.senders.missing(doc["channel"])]
    job_ids(sendable, cause.event_id, d.settings.send_batch_size)
    new = await d.repo.record(docs)
    await queue(sendable, cause.event_id, cause.type, cause.notice_id, d)
    if docs:
        d.recounts.soon(cause.notice_id, cause.type, ["chat"])
    return new


def _hosted_here(units, d: Deps):
    return [u for u in units if u.node_id == d.node]


async def _known_units(unit_ids: list[str], d: Deps) -> list[domain.Recipient]:
    """Units named by an event, with the contacts last seen in a notice to them; those hosted here only."""
    return [
        domain.Recipient.from_doc(doc)
        for doc in await d.repo.units(list(dict.fromkeys(unit_ids)))
        if doc.get("node_id") == d.node
    ]


async def _notice_variables(notice_id: str, event: Any, chan: dict, d: Deps) -> tuple[dict, dict]:
    notice = await d.repo.notice(notice_id) or {"_id": notice_id}
    variables = domain.notice_variables(notice, chan, d.settings.timezone)
    # An event may carry the texts itself (it then wins over what this node has seen).
    for ours, theirs in (("notice_title", "title"), ("doc_number", "doc_number")):
        if getattr(event, theirs, ""):
            variables[ours] = getattr(event, theirs)
    return variables, notice
