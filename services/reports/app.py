"""Wiring of the reports service."""

import asyncio
import logging

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
    ProgressReported,
    ReportCompiled,
    SubmissionAccepted,
    SubmissionReturned,
)
from shared.service import Service
from shared.settings import ReportsSettings

from .handlers import Reports
from .migration import split_notice_status
from .repository import INDEXES, ReportsRepository
from .rollup import INDEXES as ROLLUP_INDEXES
from .rollup import Answers, Progress, RollupStore

log = logging.getLogger("cascade.reports")


def create_app(
    settings: ReportsSettings,
    clock: Clock | None = None,
    *,
    broker: NatsBroker | None = None,
    db: AsyncDatabase | None = None,
) -> FastStream:
    svc = Service(settings, indexes=[*INDEXES, *ROLLUP_INDEXES], clock=clock, broker=broker, db=db)
    reports = Reports(ReportsRepository(svc), svc.node, settings.timezone)
    # 下级进度: after each change of a notice's read models, a 转发 made here is reported upward (rollup.py).
    progress = Progress(
        RollupStore(svc),
        reports.repo,
        svc.publish,
        node=svc.node,
        linked=settings.linked_nodes,
        clock=svc.clock,
        interval=settings.progress_interval_seconds,
    )
    after = progress.after

    @svc.on_startup
    async def migrate() -> None:
        await split_notice_status(reports.repo, settings.timezone)

    svc.background(progress.run)

    @svc.background
    async def summing() -> None:
        """办理情况统计: what events changed, added to the rows once for many events (repository.sum_rows)."""
        while True:
            await asyncio.sleep(settings.statistics_interval_seconds)
            try:
                await reports.repo.sum_rows()
            except Exception:  # the store away for a moment: the parts stay pending, the next round adds them
                log.exception("summing statistics rows failed")

    svc.serve(ReportsContract, Answers(reports, progress))
    svc.consume(
        NoticeIssued, "status_issued", "A notice's header and one document per recipient", after(reports.notice_arrived)
    )
    svc.consume(
        NoticeForwarded,
        "status_forwarded",
        "A forwarded notice's header and its recipients' documents",
        after(reports.notice_arrived),
    )
    svc.consume(
        NoticeAcknowledged,
        "status_acknowledged",
        "Record a receipt in the unit's document",
        after(reports.acknowledged),
    )
    svc.consume(
        NoticeCorrected,
        "status_corrected",
        "Show a 更正 (title, deadlines, asks) in the notice's status",
        after(reports.notice_arrived),
    )
    svc.consume(
        NoticeWithdrawn,
        "status_withdrawn",
        "Mark a withdrawn notice and leave it out of statistics",
        after(reports.withdrawn),
    )
    svc.consume(
        PlanSubmitted,
        "completeness_submitted",
        "Count a submission in its notice's completeness",
        after(reports.submission),
    )
    svc.consume(
        ReportCompiled,
        "completeness_compiled",
        "Count a level's 汇总 in the upstream completeness",
        after(reports.submission),
    )
    svc.consume(SubmissionAccepted, "completeness_accepted", "Count an acceptance", after(reports.submission))
    svc.consume(SubmissionReturned, "completeness_returned", "Count a 退回", after(reports.submission))
    svc.consume(DeadlineApproaching, "completeness_chased", "Record reminders and 催办 sent for an ask", reports.chased)
    svc.consume(
        ProgressReported,
        "progress_received",
        "下级进度: keep the newest report of a 转发 made below, and pass it on up",
        progress.received,
    )

    return svc.build()
