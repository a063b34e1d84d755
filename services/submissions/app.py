"""Wiring of the submissions service."""

from faststream import FastStream
from pydantic import BaseModel

from shared.clock import Clock
from shared.events import NoticeForwarded, NoticeIssued
from shared.service import Service
from shared.settings import SubmissionsSettings
from shared.storage import public

from . import domain
from .repository import INDEXES, SubmissionsRepository


class NoticeRef(BaseModel):
    notice_id: str


def create_app(settings: SubmissionsSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    repo = SubmissionsRepository(svc)

    @svc.on_event("notice.issued", "expect_issued", "Schedule what each recipient here owes, by when")
    async def on_issued(event: NoticeIssued) -> None:
        await repo.expect(domain.expectations(event.notice, svc.node))

    @svc.on_event("notice.forwarded", "expect_forwarded", "Schedule what each recipient of a forwarded notice owes")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await repo.expect(domain.expectations(event.notice, svc.node))

    @svc.on_rpc("expected", "Who owes which submission for a notice, and its state")
    async def expected(q: NoticeRef) -> list[dict]:
        return [public(d) for d in await repo.expected_for(q.notice_id)]

    return svc.build()
