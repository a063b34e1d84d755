"""Wiring of the reports service."""

from faststream import FastStream
from pydantic import BaseModel

from shared.clock import Clock
from shared.errors import NotFound
from shared.events import NoticeAcknowledged, NoticeCorrected, NoticeForwarded, NoticeIssued, NoticeWithdrawn
from shared.service import Service
from shared.settings import ReportsSettings

from . import domain
from .repository import INDEXES, ReportsRepository


class NoticeRef(BaseModel):
    notice_id: str


def create_app(settings: ReportsSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    repo = ReportsRepository(svc)

    @svc.on_event("notice.issued", "status_issued", "Start the status read model of a notice")
    async def on_issued(event: NoticeIssued) -> None:
        await repo.merge_status(event.notice.notice_id, domain.status_from_notice(event.notice, "issued"))

    @svc.on_event("notice.forwarded", "status_forwarded", "Start the status read model of a forwarded notice")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await repo.merge_status(event.notice.notice_id, domain.status_from_notice(event.notice, "forwarded"))

    @svc.on_event("notice.acknowledged", "status_acknowledged", "Record a receipt in the notice's status")
    async def on_acknowledged(event: NoticeAcknowledged) -> None:
        await repo.merge_status(event.notice_id, domain.receipt_fields(event))

    @svc.on_event("notice.corrected", "status_corrected", "Show a 更正 (title, deadlines) in the notice's status")
    async def on_corrected(event: NoticeCorrected) -> None:
        await repo.merge_if_newer(event.notice.notice_id, event.notice.revision, domain.correction_fields(event))

    @svc.on_event("notice.withdrawn", "status_withdrawn", "Mark a withdrawn notice in its status")
    async def on_withdrawn(event: NoticeWithdrawn) -> None:
        await repo.merge_status(event.notice_id, domain.withdrawal_fields(event))

    @svc.on_rpc("notice_status", "Per-notice status: who has and has not acknowledged")
    async def notice_status(q: NoticeRef) -> dict:
        doc = await repo.status(q.notice_id)
        if doc is None or "recipients" not in doc:
            raise NotFound("该通知尚无状态记录", field="notice_id")
        return domain.status_view(doc)

    return svc.build()
