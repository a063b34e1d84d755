"""Wiring of the reports service."""

from faststream import FastStream
from faststream.nats import NatsBroker
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock
from shared.contracts.reports import Reports as ReportsContract
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
from shared.service import Service
from shared.settings import ReportsSettings

from .handlers import Reports
from .migration import split_notice_status
from .repository import INDEXES, ReportsRepository


def create_app(
    settings: ReportsSettings,
    clock: Clock | None = None,
    *,
    broker: NatsBroker | None = None,
    db: AsyncDatabase | None = None,
) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock, broker=broker, db=db)
    reports = Reports(ReportsRepository(svc), svc.node, settings.timezone)

    @svc.on_startup
    async def migrate() -> None:
        await split_notice_status(reports.repo, settings.timezone)

    svc.serve(ReportsContract, reports)
    svc.consume(
        NoticeIssued, "status_issued", "A notice's header and one document per recipient", reports.notice_arrived
    )
    svc.consume(
        NoticeForwarded,
        "status_forwarded",
        "A forwarded notice's header and its recipients' documents",
        reports.notice_arrived,
    )
    svc.consume(
        NoticeAcknowledged, "status_acknowledged", "Record a receipt in the unit's document", reports.acknowledged
    )
    svc.consume(
        NoticeCorrected,
        "status_corrected",
        "Show a 更正 (title, deadlines, asks) in the notice's status",
        reports.notice_arrived,
    )
    svc.consume(
        NoticeWithdrawn, "status_withdrawn", "Mark a withdrawn notice and leave it out of statistics", reports.withdrawn
    )
    svc.consume(
        PlanSubmitted, "completeness_submitted", "Count a submission in its notice's completeness", reports.submission
    )
    svc.consume(
        ReportCompiled, "completeness_compiled", "Count a level's 汇总 in the upstream completeness", reports.submission
    )
    svc.consume(SubmissionAccepted, "completeness_accepted", "Count an acceptance", reports.submission)
    svc.consume(SubmissionReturned, "completeness_returned", "Count a 退回", reports.submission)
    svc.consume(DeadlineApproaching, "completeness_chased", "Record reminders and 催办 sent for an ask", reports.chased)

    return svc.build()
