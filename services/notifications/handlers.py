"""Use cases of the notifications service: the node admin's channels and templates; deliveries for events.

An event that tells units something records its deliveries (final subject
and body, one per contact and channel) and queues them as sending jobs; the
sending handler (``send``) hands them to the servers (sending.py) and
records how each ended.
"""

from datetime import timedelta

from shared.bus import RetryLater
from shared.contracts.common import Empty, NoticeQuery
from shared.contracts.notifications import (
    Channels,
    DeliveriesQuery,
    Delivery,
    Preview,
    PreviewTemplate,
    ResetTemplate,
    SendingSummary,
    Template,
    TemplateQuery,
    Templates,
    UpdateChannels,
    UpdateTemplate,
)
from shared.errors import Invalid
from shared.events import (
    DeadlineApproaching,
    DeadlineMissed,
    NoticeCorrected,
    NoticeForwarded,
    NoticeIssued,
    NoticeWithdrawn,
    SubmissionReturned,
)
from shared.paging import Page, page_of

from . import digest, domain, escalation
from . import templates as tpl
from .delivering import (
    _deliver,
    _hosted_here,
    _known_units,
    _messages,
    _notice_variables,
    channel_settings,
    deliver_group,
)
from .deps import Deps, node_admin, stamp
from .digest import unit_preferences, update_unit_preferences  # noqa: F401 (actions: Service.serve finds them here)
from .links import link, open_link, revoke_links  # noqa: F401 (actions answered in a module of their own)
from .repository import OPEN
from .sending import RETRY, SendJob

CHANGED_LABELS = {
    "title": "标题",
    "body": "正文",
    "cover_note": "转发说明",
    "asks": "报送要求",
    "contacts": "联系方式",
    "attachments": "附件",
}


# ---------------------------------------------------------------- channels


async def channels(q: Empty, d: Deps) -> Channels:
    return Channels.model_validate(await channel_settings(d))


async def update_channels(cmd: UpdateChannels, d: Deps) -> Channels:
    actor = node_admin(cmd.actor)
    if cmd.chat.enabled and not cmd.chat.webhook_url:
        raise Invalid("启用群聊机器人须填写 Webhook 地址", field="chat.webhook_url")
    doc = {**cmd.model_dump(mode="json", exclude={"actor"}), **stamp(actor, d)}
    await d.repo.save_channels(doc)
    return Channels.model_validate({**await channel_settings(d), "enabled": domain.enabled_channels(doc)})


# ---------------------------------------------------------------- templates


def _entry(cause: str, channel: str, stored: dict | None) -> dict:
    subject, body = tpl.default(cause, channel)
    return {
        "cause": cause,
        "cause_label": tpl.CAUSE_LABELS[cause],
        "channel": channel,
        "channel_label": tpl.CHANNEL_LABELS[channel],
        "subject": stored["subject"] if stored else subject,
        "body": stored["body"] if stored else body,
        "is_default": stored is None,
        "default_subject": subject,
        "default_body": body,
        "variables": tpl.VARIABLES[cause],
        "updated_at": (stored or {}).get("updated_at"),
        "updated_by": (stored or {}).get("updated_by"),
    }


async def templates(q: TemplateQuery, d: Deps) -> Templates:
    stored = await d.repo.templates()
    return Templates.model_validate(
        {
            "items": [
                _entry(cause, channel, stored.get(f"{cause}:{channel}"))
                for cause in tpl.CAUSES
                if q.cause in (None, cause)
                for channel in tpl.CHANNELS
                if q.channel in (None, channel)
            ]
        }
    )


async def get_template(cause: str, channel: str, d: Deps) -> dict:
    return _entry(cause, channel, await d.repo.template(cause, channel))


async def update_template(cmd: UpdateTemplate, d: Deps) -> Template:
    actor = node_admin(cmd.actor)
    tpl.check_pair(cmd.cause, cmd.channel, cmd.subject, cmd.body)
    await d.repo.save_template(
        {
            "_id": f"{cmd.cause}:{cmd.channel}",
            "cause": cmd.cause,
            "channel": cmd.channel,
            "subject": cmd.subject,
            "body": cmd.body,
            **stamp(actor, d),
        }
    )
    return Template.model_validate(await get_template(cmd.cause, cmd.channel, d))


async def reset_template(cmd: ResetTemplate, d: Deps) -> Template:
    node_admin(cmd.actor)
    await d.repo.delete_template(cmd.cause, cmd.channel)
    return Template.model_validate(await get_template(cmd.cause, cmd.channel, d))


async def preview_template(cmd: PreviewTemplate, d: Deps) -> Preview:
    node_admin(cmd.actor)
    current = await get_template(cmd.cause, cmd.channel, d)
    subject = current["subject"] if cmd.subject is None else cmd.subject
    body = current["body"] if cmd.body is None else cmd.body
    tpl.check_pair(cmd.cause, cmd.channel, subject, body)
    sample = tpl.SAMPLES[cmd.cause]
    messages = domain.Messages(await channel_settings(d), {cmd.channel: (subject, body)}, enabled=list(tpl.CHANNELS))
    cause = domain.Cause("preview", cmd.cause, None, sample)
    subject_text, body_text = messages.render(
        cause,
        cmd.channel,
        sample["unit_name"],
        sample["contact_name"] if cmd.channel != "chat" else "",
        sample.get("link_url", "") if cmd.channel != "chat" else "",
    )
    if cmd.channel == "sms":
        signature = (await channel_settings(d))["sms"].get("signature")
        body_text = f"【{signature}】{body_text}" if signature else body_text
    return Preview(
        cause=cmd.cause,
        channel=cmd.channel,
        subject=subject_text if cmd.channel != "sms" else "",
        body=body_text,
        sample=sample,
    )


# ---------------------------------------------------------------- the delivery log and its summary


async def deliveries(q: DeliveriesQuery, d: Deps) -> Page[Delivery]:
    """A page of a notice's delivery log, in the order the messages were made, with the clerk's filters."""
    docs, more, total = await d.repo.page(
        q.notice_id, q.page, channel=q.channel, status=q.status, cause=q.cause, unit_id=q.unit_id
    )
    return page_of([Delivery.model_validate(domain.delivery_row(x)) for x in docs], q.page, more, total)


async def deliveries_summary(q: NoticeQuery, d: Deps) -> SendingSummary:
    """Counts per cause and channel (a few small documents kept as the sending goes), and the first problems.

    Counts that can still move (pending, retrying), or that disagree with the size of the log (the notice
    is being recorded right now, or its recount is still to come: recounts.py) are counted afresh for this
    view, by indexed counts, and written back. Once a notice's sending is settled and counted, a view reads
    the counts documents, one count and at most ``PROBLEMS_SHOWN`` deliveries, however big the notice.
    """
    notice_id = q.notice_id
    counted = await d.repo.counted(notice_id)
    kept = sum(sum(c["counts"].values()) for c in counted)
    if kept != await d.repo.total(notice_id):
        known = {(c["cause"], c["channel"]) for c in counted}
        fresh = [p for p in await d.repo.pairs(notice_id) if p not in known]
        counted += [{"cause": cause, "channel": channel} for cause, channel in fresh]
        recheck = counted
    else:
        recheck = [c for c in counted if any(c["counts"].get(s) for s in OPEN)]
    for c in recheck:
        c.update(await d.repo.recount(notice_id, c["cause"], c["channel"]))
    problems = await d.repo.of_status(notice_id, "failed", domain.PROBLEMS_SHOWN)
    if len(problems) < domain.PROBLEMS_SHOWN:
        problems += await d.repo.of_status(notice_id, "retrying", domain.PROBLEMS_SHOWN - len(problems))
    return SendingSummary.model_validate(domain.delivery_summary(counted, problems))


# ---------------------------------------------------------------- sending


async def send(job: SendJob, d: Deps) -> None:
    """Send a job's messages and record how each ended; raise ``RetryLater`` while some wait for a server.

    Safe to run twice at once (two replicas, a job offered again past its ack wait): what is decided is not
    sent again, and an outcome once written is never overwritten (``repo.settle``). Messages wait their turn
    under the providers' limits (pacing.py): such a wait is offered again when the window reopens, and is
    never given up, however long (a rate limit never loses a message).
    """
    todo = job.messages
    attempts = await d.repo.attempt(job.job_id)
    if attempts > 1:  # met before: some may be decided already
        done = await d.repo.decided([m.delivery_id for m in todo])
        todo = [m for m in todo if m.delivery_id not in done]
    results = await d.pacer.send(todo)
    now = d.clock.now()
    waiting = {i: r for i, r in results.items() if r.status == RETRY}
    late = now - job.due_at >= timedelta(hours=d.settings.send_give_up_hours)
    give_up = late and any(not r.limited for r in waiting.values())
    changes = {}
    for i, r in results.items():
        if r.status != RETRY:
            changes[i] = {"status": r.status, "error": r.error, "sent_at": now, "attempts": attempts}
        elif give_up and not r.limited:
            changes[i] = {
                "status": "failed",
                "error": f"{d.settings.send_give_up_hours:g} 小时内未能发送：{r.error}",
                "sent_at": now,
                "attempts": attempts,
            }
        else:
            changes[i] = {"status": "retrying", "error": r.error, "attempts": attempts}
    await d.repo.settle(changes)
    await digest.settle_members(job.cause, changes, d)
    await _recount_job(job, d)
    still = [r for i, r in waiting.items() if changes[i]["status"] == "retrying"]
    if still:
        # A window that reopens at a known time: offered again then (else with the growing backoff).
        known = [r.retry_after for r in still if r.limited and r.retry_after is not None]
        delay = min(known) if known and all(r.limited for r in still) else None
        raise RetryLater(
            f"{len(still)} of {len(job.messages)} message(s) of {job.job_id} wait: {still[0].error}", delay=delay
        )


async def _recount_job(job: SendJob, d: Deps) -> None:
    notice_id: str | None = job.notice_id
    cause: str | None = job.cause
    if not cause and job.messages:  # a job queued by an older version names neither: its deliveries do
        first = await d.repo.first(job.messages[0].delivery_id)
        notice_id, cause = (first or {}).get("notice_id"), (first or {}).get("reason")
    d.recounts.soon(notice_id, cause, {m.channel for m in job.messages})


async def on_notice(event: NoticeIssued | NoticeForwarded | NoticeCorrected, d: Deps) -> int:
    """A notice arrived (issued, forwarded) or was corrected: remember it and its recipients; tell those here."""
    notice = event.notice
    kind = "forwarded" if isinstance(event, NoticeForwarded) else "issued"
    await d.repo.remember_notice(domain.notice_doc(notice, kind))
    # Issuers and route targets too: submissions arrive to them, and their departments' contacts are told.
    units = {u.unit_id: u for u in [*notice.issuers, *notice.route_units, *notice.recipients]}
    await d.repo.remember_units(list(units.values()), notice.issued_at)
    messages, chan = await _messages(event.type, d)
    variables = domain.notice_variables(domain.notice_doc(notice, kind), chan, d.settings.timezone)
    if isinstance(event, NoticeCorrected):
        variables["reason"] = event.reason
        variables["changed"] = "、".join(CHANGED_LABELS.get(c, c) for c in event.changed)
    cause = domain.Cause(event.event_id, event.type, notice.notice_id, variables)
    here = [domain.Recipient.of(u) for u in _hosted_here(notice.recipients, d)]
    if event.parts == 1:
        return await _deliver(cause, here, d, messages)
    # A notice to thousands comes in parts, each with a slice of the recipients: each part tells its contacts, and
    # the group chat hears once, when the last part is in, naming the units of all of them.
    made = await _deliver(cause, here, d, messages, group=False)
    key = f"{notice.notice_id}~{event.type}~r{notice.revision}"
    names = await d.reach.group_part(key, event.part, event.parts, [u.name for u in here])
    if names:
        made += await deliver_group(domain.Cause(key, event.type, notice.notice_id, variables), names, d, messages)
    return made


async def on_withdrawn(event: NoticeWithdrawn, d: Deps) -> int:
    messages, chan = await _messages(event.type, d)
    variables, _ = await _notice_variables(event.notice_id, event, chan, d)
    variables["reason"] = event.reason
    cause = domain.Cause(event.event_id, event.type, event.notice_id, variables)
    await escalation.cancel(event.notice_id, d)
    return await _deliver(cause, await _known_units(event.recipient_unit_ids, d), d, messages)


async def on_deadline(event: DeadlineApproaching | DeadlineMissed, d: Deps) -> int:
    messages, chan = await _messages(event.type, d)
    variables, notice = await _notice_variables(event.notice_id, event, chan, d)
    variables["ask_title"] = getattr(event, "ask_title", "") or domain.ask_title(notice, event.ask_id)
    variables["deadline"] = domain.when(event.deadline, d.settings.timezone)
    variables["manual"] = bool(getattr(event, "manual", False))
    variables["note"] = getattr(event, "note", "") or ""
    cause = domain.Cause(event.event_id, event.type, event.notice_id, variables, ask_id=event.ask_id)
    return await _deliver(cause, await _known_units(event.pending_unit_ids, d), d, messages)


async def on_returned(event: SubmissionReturned, d: Deps) -> int:
    messages, chan = await _messages(event.type, d)
    variables, notice = await _notice_variables(event.notice_id, event, chan, d)
    variables["ask_title"] = getattr(event, "ask_title", "") or domain.ask_title(notice, event.ask_id)
    variables["reason"] = event.reason
    variables["revision"] = event.revision
    variables["returned_by"] = getattr(event, "returned_by", None) or getattr(event, "reviewed_by", "") or ""
    cause = domain.Cause(event.event_id, event.type, event.notice_id, variables, ask_id=event.ask_id)
    return await _deliver(cause, await _known_units([event.unit_id], d), d, messages)
