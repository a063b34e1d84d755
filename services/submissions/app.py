"""Wiring of the submissions service: its contract's actions and every subscription, in one place."""

import asyncio

from faststream import FastStream
from faststream.nats import NatsBroker
from pymongo.asynchronous.database import AsyncDatabase

from shared.blobs import BlobStore
from shared.clock import Clock
from shared.contracts.submissions import Submissions
from shared.events import (
    DeadlineApproaching,
    DeadlineMissed,
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
from shared.settings import SubmissionsSettings

from . import handlers as h
from .repository import INDEXES, SubmissionsRepository


def create_app(
    settings: SubmissionsSettings,
    clock: Clock | None = None,
    *,
    broker: NatsBroker | None = None,
    db: AsyncDatabase | None = None,
) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock, broker=broker, db=db)
    d = h.Deps(
        svc=svc,
        repo=SubmissionsRepository(svc),
        settings=settings,
        clock=svc.clock,
        blobs=BlobStore.of_node(settings.data_dir),
    )

    @svc.on_startup
    async def finish_interrupted_work() -> None:
        await d.repo.upgrade()
        await d.repo.flush_pending()

    @svc.background
    async def reminders() -> None:
        while True:
            try:
                await h.send_due_reminders(d)
            except Exception:  # the store or the bus is away for a moment: try again next tick
                svc.log.exception("sending due reminders failed")
            await asyncio.sleep(settings.schedule_tick_seconds)

    svc.serve(Submissions, h, d)

    # Notices arriving.
    svc.consume(NoticeIssued, "expect_issued", "Schedule what each recipient owes, by when", h.on_notice, d)
    svc.consume(
        NoticeForwarded, "expect_forwarded", "Schedule what each recipient of a forwarded notice owes", h.on_notice, d
    )
    svc.consume(
        NoticeCorrected, "asks_corrected", "Apply a 更正's asks and deadlines to what is owed", h.on_corrected, d
    )
    svc.consume(NoticeWithdrawn, "asks_withdrawn", "A withdrawn notice takes no more submissions", h.on_withdrawn, d)
    # Submissions moving (local facts and copies from linked nodes alike).
    svc.consume(
        PlanSubmitted, "submitted", "Record a submission (a copy arrives at the issuer's node)", h.on_submitted, d
    )
    svc.consume(
        ReportCompiled, "compiled", "Record a level's 汇总 as its submission on the upstream notice", h.on_compiled, d
    )
    svc.consume(
        SubmissionAccepted,
        "accepted",
        "Record an acceptance (a copy arrives at the submitter's node)",
        h.on_reviewed,
        d,
    )
    svc.consume(
        SubmissionReturned, "returned", "Record a 退回 (a copy arrives at the submitter's node)", h.on_reviewed, d
    )
    svc.consume(DeadlineApproaching, "reminded", "Show the units chased when they were reminded", h.on_reminded, d)
    svc.consume(DeadlineMissed, "missed", "Show the units that missed a deadline that it passed", h.on_reminded, d)
    return svc.build()
