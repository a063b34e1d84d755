"""Wiring of the notifications service: every subscription in one place."""

from faststream import FastStream
from pydantic import BaseModel

from shared.clock import Clock
from shared.commands import PreviewTemplate, ResetTemplate, TemplateQuery, UpdateChannels, UpdateTemplate
from shared.events import (
    DeadlineApproaching,
    DeadlineMissed,
    NoticeCorrected,
    NoticeForwarded,
    NoticeIssued,
    NoticeWithdrawn,
    SubmissionReturned,
)
from shared.service import Service
from shared.settings import NotificationsSettings
from shared.paging import Page

from . import handlers as h
from .repository import INDEXES, DeliveriesRepository
from .sending import Senders, SendJob


class NoticeRef(BaseModel):
    notice_id: str


def create_app(settings: NotificationsSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    d = h.Deps(repo=DeliveriesRepository(svc), settings=settings, clock=svc.clock, senders=Senders(settings),
               queue_work=svc.queue_work)

    @svc.on_startup
    async def migrate() -> None:
        await d.repo.migrate()

    # ---- events: who gets told (deliveries recorded as pending)
    @svc.on_event("notice.issued", "deliveries_issued", "Tell each recipient contact hosted here about a new notice")
    async def on_issued(event: NoticeIssued) -> None:
        await h.on_notice(event, d)

    @svc.on_event("notice.forwarded", "deliveries_forwarded", "Tell each recipient contact about a forwarded notice")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await h.on_notice(event, d)

    @svc.on_event("notice.corrected", "deliveries_corrected", "Tell the recipients hosted here about a 更正")
    async def on_corrected(event: NoticeCorrected) -> None:
        await h.on_notice(event, d)

    @svc.on_event("notice.withdrawn", "deliveries_withdrawn", "Tell the recipients hosted here about a 撤回")
    async def on_withdrawn(event: NoticeWithdrawn) -> None:
        await h.on_withdrawn(event, d)

    @svc.on_event("deadline.approaching", "deliveries_approaching", "Remind (or chase) units that have not submitted")
    async def on_approaching(event: DeadlineApproaching) -> None:
        await h.on_deadline(event, d)

    @svc.on_event("deadline.missed", "deliveries_missed", "Tell units that missed a deadline")
    async def on_missed(event: DeadlineMissed) -> None:
        await h.on_deadline(event, d)

    @svc.on_event("submission.returned", "deliveries_returned", "Tell a unit its submission was returned (退回)")
    async def on_returned(event: SubmissionReturned) -> None:
        await h.on_returned(event, d)

    # ---- sending: jobs the handlers above queued, taken by one replica each
    @svc.on_work("send", "Send a job's e-mails, SMS and chat messages; record how each ended")
    async def on_send(job: SendJob) -> None:
        await h.send(job, d)

    # ---- queries and the node admin's commands
    @svc.on_rpc("deliveries", "A page of the delivery log of one notice, filtered by channel, status, cause, unit",
                query=True)
    async def deliveries(q: h.DeliveriesQuery) -> Page[dict]:
        return await h.deliveries_page(q, d)

    @svc.on_rpc("deliveries.summary", "How sending went for one notice: counts per cause and channel, what did not go",
                query=True)
    async def deliveries_summary(q: NoticeRef) -> dict:
        return await h.delivery_summary(q.notice_id, d)

    @svc.on_rpc("channels.get", "The node's notification channels (enabled, parameters)", query=True)
    async def channels_get() -> dict:
        return await h.channels(d)

    @svc.on_rpc("channels.update", "Enable or disable channels and set their parameters")
    async def channels_update(cmd: UpdateChannels) -> dict:
        return await h.update_channels(cmd, d)

    @svc.on_rpc("templates.list", "Message templates per cause and channel, with their variables", query=True)
    async def templates_list(q: TemplateQuery) -> list[dict]:
        return await h.list_templates(q, d)

    @svc.on_rpc("templates.update", "Change the template of a cause and channel (checked in the sandbox)")
    async def templates_update(cmd: UpdateTemplate) -> dict:
        return await h.update_template(cmd, d)

    @svc.on_rpc("templates.reset", "Go back to the built-in template of a cause and channel")
    async def templates_reset(cmd: ResetTemplate) -> dict:
        return await h.reset_template(cmd, d)

    @svc.on_rpc("templates.preview", "Render a template with sample values; nothing is stored", query=True)
    async def templates_preview(cmd: PreviewTemplate) -> dict:
        return await h.preview_template(cmd, d)

    return svc.build()
