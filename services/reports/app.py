"""Wiring of the reports service."""

from faststream import FastStream
from pydantic import BaseModel, Field

from shared.clock import Clock
from shared.commands import StatisticsQuery
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
)
from shared.paging import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, PageQuery
from shared.service import Service
from shared.settings import ReportsSettings

from .handlers import Reports
from .migration import split_notice_status
from .repository import INDEXES, ReportsRepository


class NoticeRef(BaseModel):
    notice_id: str


class StatisticsPage(StatisticsQuery):
    """办理情况统计 of one issuer unit and year, one page of its rows (the gateway sends ``page``/``per_page``)."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


def create_app(settings: ReportsSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    reports = Reports(ReportsRepository(svc), svc.node, settings.timezone)

    @svc.on_startup
    async def migrate() -> None:
        await split_notice_status(reports.repo, settings.timezone)

    @svc.on_event("notice.issued", "status_issued", "A notice's header and one document per recipient")
    async def on_issued(event: NoticeIssued) -> None:
        await reports.notice_arrived(event)

    @svc.on_event("notice.forwarded", "status_forwarded", "A forwarded notice's header and its recipients' documents")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await reports.notice_arrived(event)

    @svc.on_event("notice.acknowledged", "status_acknowledged", "Record a receipt in the unit's document")
    async def on_acknowledged(event: NoticeAcknowledged) -> None:
        await reports.acknowledged(event)

    @svc.on_event("notice.corrected", "status_corrected", "Show a 更正 (title, deadlines, asks) in the notice's status")
    async def on_corrected(event: NoticeCorrected) -> None:
        await reports.notice_arrived(event)

    @svc.on_event("notice.withdrawn", "status_withdrawn", "Mark a withdrawn notice and leave it out of statistics")
    async def on_withdrawn(event: NoticeWithdrawn) -> None:
        await reports.withdrawn(event)

    @svc.on_event("plan.submitted", "completeness_submitted", "Count a submission in its notice's completeness")
    async def on_submitted(event: PlanSubmitted) -> None:
        await reports.submission(event)

    @svc.on_event("report.compiled", "completeness_compiled", "Count a level's 汇总 in the upstream completeness")
    async def on_compiled(event: ReportCompiled) -> None:
        await reports.submission(event)

    @svc.on_event("submission.accepted", "completeness_accepted", "Count an acceptance")
    async def on_accepted(event: SubmissionAccepted) -> None:
        await reports.submission(event)

    @svc.on_event("submission.returned", "completeness_returned", "Count a 退回")
    async def on_returned(event: SubmissionReturned) -> None:
        await reports.submission(event)

    @svc.on_event("deadline.approaching", "completeness_chased", "Record reminders and 催办 sent for an ask")
    async def on_chased(event: DeadlineApproaching) -> None:
        await reports.chased(event)

    @svc.on_rpc("completeness", "Per ask: who owes, submitted (on time or late), accepted, returned", query=True)
    async def completeness(q: NoticeRef) -> dict:
        return await reports.completeness(q.notice_id)

    @svc.on_rpc("unit_statistics", "A page of how each recipient unit handled an issuer's notices of a year",
                query=True)
    async def unit_statistics(q: StatisticsPage) -> dict:
        return await reports.statistics(q.unit_id, q.year, PageQuery(page=q.page, per_page=q.per_page))

    @svc.on_rpc("notice_status", "Per-notice status: who has and has not acknowledged", query=True)
    async def notice_status(q: NoticeRef) -> dict:
        return await reports.status(q.notice_id)

    return svc.build()
