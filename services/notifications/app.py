"""Wiring of the notifications service."""

from faststream import FastStream
from pydantic import BaseModel

from shared.clock import Clock
from shared.events import NoticeForwarded, NoticeIssued
from shared.service import Service
from shared.settings import NotificationsSettings
from shared.storage import public

from . import domain
from .repository import INDEXES, DeliveriesRepository


class NoticeRef(BaseModel):
    notice_id: str


def create_app(settings: NotificationsSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    repo = DeliveriesRepository(svc)

    async def record_arrival(event: NoticeIssued | NoticeForwarded, reason: str) -> None:
        here = [r for r in event.notice.recipients if r.node_id == svc.node]
        docs = domain.notice_deliveries(event.event_id, event.notice.notice_id, event.notice.title, here, reason)
        for doc in docs:
            doc["created_at"] = svc.clock.now()
        await repo.record(docs)

    @svc.on_event("notice.issued", "deliveries_issued", "Tell each recipient contact hosted here about a new notice")
    async def on_issued(event: NoticeIssued) -> None:
        await record_arrival(event, "notice.issued")

    @svc.on_event("notice.forwarded", "deliveries_forwarded", "Tell each recipient contact about a forwarded notice")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await record_arrival(event, "notice.forwarded")

    @svc.on_rpc("deliveries", "The delivery log of one notice")
    async def deliveries(q: NoticeRef) -> list[dict]:
        return [public(d) for d in await repo.for_notice(q.notice_id)]

    return svc.build()
