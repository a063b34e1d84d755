"""Wiring of the reports service."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from faststream import FastStream
from pydantic import BaseModel

from shared.clock import Clock
from shared.commands import StatisticsQuery
from shared.errors import NotFound
from shared.events import (
    DeadlineApproaching,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeForwarded,
    NoticeIssued,
    NoticeWithdrawn,
    PlanSubmitted,
    ReportCompiled,
    SubmissionAccepted,
    SubmissionReturned,
    SubmissionReviewed,
)
from shared.service import Service
from shared.settings import ReportsSettings

from . import domain
from .repository import INDEXES, ReportsRepository


class NoticeRef(BaseModel):
    notice_id: str


async def statistics(q: StatisticsQuery, repo: ReportsRepository, tz: str) -> dict:
    """The issuer unit's notices issued in the year (in the node's zone), withdrawn ones left out."""
    zone = ZoneInfo(tz)
    start = datetime(q.year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(q.year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    docs = [doc for doc in await repo.issued_by(q.unit_id, start, end) if doc.get("status") != "withdrawn"]
    return {"unit_id": q.unit_id, "year": q.year, "notices": len(docs), "units": domain.unit_statistics(docs)}


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

    # Completeness is the issuer's view: kept on the issuer's node, where submissions are reviewed.
    async def record_submission(event: PlanSubmitted | ReportCompiled | SubmissionReviewed) -> None:
        issuer_node = event.origin_node if isinstance(event, SubmissionReviewed) else event.issuer_node
        if issuer_node != svc.node:
            return
        part, revision, fields = domain.submission_state(event)
        await repo.merge_submission(event.notice_id, event.ask_id, event.unit_id, part, revision, fields)

    @svc.on_event("plan.submitted", "completeness_submitted", "Count a submission in its notice's completeness")
    async def on_submitted(event: PlanSubmitted) -> None:
        await record_submission(event)

    @svc.on_event("report.compiled", "completeness_compiled", "Count a level's 汇总 in the upstream completeness")
    async def on_compiled(event: ReportCompiled) -> None:
        await record_submission(event)

    @svc.on_event("submission.accepted", "completeness_accepted", "Count an acceptance")
    async def on_accepted(event: SubmissionAccepted) -> None:
        await record_submission(event)

    @svc.on_event("submission.returned", "completeness_returned", "Count a 退回")
    async def on_returned(event: SubmissionReturned) -> None:
        await record_submission(event)

    @svc.on_event("deadline.approaching", "completeness_chased", "Record reminders and 催办 sent for an ask")
    async def on_chased(event: DeadlineApproaching) -> None:
        if event.origin_node == svc.node:
            await repo.merge_status(event.notice_id, domain.chase_fields(event))

    @svc.on_rpc("completeness", "Per ask: who owes, submitted (on time or late), accepted, returned", query=True)
    async def completeness(q: NoticeRef) -> dict:
        doc = await repo.status(q.notice_id)
        if doc is None or "recipients" not in doc:
            raise NotFound("该通知尚无状态记录", field="notice_id")
        return domain.completeness_view(doc)

    @svc.on_rpc("unit_statistics", "How each recipient unit handled an issuer's notices of a year", query=True)
    async def unit_statistics(q: StatisticsQuery) -> dict:
        return await statistics(q, repo, settings.timezone)

    @svc.on_rpc("notice_status", "Per-notice status: who has and has not acknowledged", query=True)
    async def notice_status(q: NoticeRef) -> dict:
        doc = await repo.status(q.notice_id)
        if doc is None or "recipients" not in doc:
            raise NotFound("该通知尚无状态记录", field="notice_id")
        return domain.status_view(doc)

    return svc.build()
