"""Wiring of the notices service: every subscription in one place."""

from faststream import FastStream

from shared.clock import Clock
from shared.commands import AcknowledgeNotice, IssueNotice, UpsertUnit
from shared.events import NoticeAcknowledged, NoticeForwarded, NoticeIssued
from shared.service import Service
from shared.settings import NoticesSettings

from . import handlers as h
from .repository import INDEXES, NoticesRepository


def create_app(settings: NoticesSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    d = h.Deps(svc=svc, repo=NoticesRepository(svc), settings=settings, clock=svc.clock)

    @svc.on_startup
    async def republish_leftovers() -> None:
        await d.repo.flush_pending()
        await d.repo.flush_pending_inbox()

    # ---- requests
    @svc.on_rpc("directory.upsert", "Create or replace an org unit in the directory")
    async def upsert_unit(cmd: UpsertUnit) -> dict:
        return await h.upsert_unit(cmd, d)

    @svc.on_rpc("directory.list", "All org units in the directory")
    async def list_units() -> list[dict]:
        return await h.list_units(d)

    @svc.on_rpc("issue", "Issue a notice: allocate its 文号, store it, publish notice.issued")
    async def issue(cmd: IssueNotice) -> dict:
        return await h.issue_notice(cmd, d)

    @svc.on_rpc("list", "Notices issued on this node (发文), newest first")
    async def list_issued(q: h.IssuedQuery) -> list[dict]:
        return await h.list_issued(q, d)

    @svc.on_rpc("get", "One notice by id")
    async def get(q: h.NoticeRef) -> dict:
        return await h.get_notice(q, d)

    @svc.on_rpc("inbox", "A unit's inbox (收文), newest first")
    async def inbox(q: h.UnitQuery) -> list[dict]:
        return await h.inbox(q, d)

    @svc.on_rpc("acknowledge", "签收: a recipient acknowledges a notice")
    async def acknowledge(cmd: AcknowledgeNotice) -> dict:
        return await h.acknowledge(cmd, d)

    @svc.on_rpc("receipts", "Who has acknowledged a notice issued here")
    async def receipts(q: h.NoticeRef) -> list[dict]:
        return await h.receipts(q, d)

    # ---- events
    @svc.on_event("notice.issued", "inbox_issued", "Fill the inboxes of recipients hosted on this node")
    async def on_issued(event: NoticeIssued) -> None:
        await h.on_notice_arrived(event, d)

    @svc.on_event("notice.forwarded", "inbox_forwarded", "Fill the inboxes of recipients of a forwarded notice")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await h.on_notice_arrived(event, d)

    @svc.on_event("notice.acknowledged", "receipts", "Record 签收 of notices issued on this node")
    async def on_acknowledged(event: NoticeAcknowledged) -> None:
        await h.on_notice_acknowledged(event, d)

    return svc.build()
