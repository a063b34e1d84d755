"""Wiring of the submissions service: every subscription in one place."""

import asyncio

from faststream import FastStream
from pydantic import BaseModel

from shared.clock import Clock
from shared.contracts.common import UnitNoticesQuery
from shared.commands import (
    AcceptSubmission,
    ChaseSubmissions,
    CommendSubmission,
    CompileReport,
    ReturnSubmission,
    ReviewQuery,
    SubmissionQuery,
    SubmissionTableQuery,
    SubmitItems,
)
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
from shared.blobs import BlobStore
from shared.paging import Page
from shared.service import Service
from shared.settings import SubmissionsSettings

from . import handlers as h
from .repository import INDEXES, SubmissionsRepository


class NoticeRef(BaseModel):
    notice_id: str


def create_app(settings: SubmissionsSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    d = h.Deps(svc=svc, repo=SubmissionsRepository(svc), settings=settings, clock=svc.clock,
               blobs=BlobStore.of_node(settings.data_dir))

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

    # ---- notices arriving
    @svc.on_event("notice.issued", "expect_issued", "Schedule what each recipient owes, by when")
    async def on_issued(event: NoticeIssued) -> None:
        await h.on_notice(event, d)

    @svc.on_event("notice.forwarded", "expect_forwarded", "Schedule what each recipient of a forwarded notice owes")
    async def on_forwarded(event: NoticeForwarded) -> None:
        await h.on_notice(event, d)

    @svc.on_event("notice.corrected", "asks_corrected", "Apply a 更正's asks and deadlines to what is owed")
    async def on_corrected(event: NoticeCorrected) -> None:
        await h.on_corrected(event, d)

    @svc.on_event("notice.withdrawn", "asks_withdrawn", "A withdrawn notice takes no more submissions")
    async def on_withdrawn(event: NoticeWithdrawn) -> None:
        await h.on_withdrawn(event, d)

    # ---- submissions moving (local facts and copies from linked nodes alike)
    @svc.on_event("plan.submitted", "submitted", "Record a submission (a copy arrives at the issuer's node)")
    async def on_submitted(event: PlanSubmitted) -> None:
        await h.on_submitted(event, d)

    @svc.on_event("report.compiled", "compiled", "Record a level's 汇总 as its submission on the upstream notice")
    async def on_compiled(event: ReportCompiled) -> None:
        await h.on_compiled(event, d)

    @svc.on_event("submission.accepted", "accepted", "Record an acceptance (a copy arrives at the submitter's node)")
    async def on_accepted(event: SubmissionAccepted) -> None:
        await h.on_reviewed(event, d)

    @svc.on_event("submission.returned", "returned", "Record a 退回 (a copy arrives at the submitter's node)")
    async def on_returned(event: SubmissionReturned) -> None:
        await h.on_reviewed(event, d)

    @svc.on_event("deadline.approaching", "reminded", "Show the units chased when they were reminded")
    async def on_reminded(event: DeadlineApproaching) -> None:
        await h.on_reminded(event, d)

    @svc.on_event("deadline.missed", "missed", "Show the units that missed a deadline that it passed")
    async def on_missed(event: DeadlineMissed) -> None:
        await h.on_reminded(event, d)

    # ---- commands
    @svc.on_rpc("submit", "报送: submit a unit's items for an ask; publish plan.submitted")
    async def submit(cmd: SubmitItems) -> dict:
        return await h.submit(cmd, d)

    @svc.on_rpc("accept", "采用: accept the latest revision of a submission; publish submission.accepted")
    async def accept(cmd: AcceptSubmission) -> dict:
        return await h.accept(cmd, d)

    @svc.on_rpc("return", "退回: return the latest revision with a reason; publish submission.returned")
    async def return_(cmd: ReturnSubmission) -> dict:
        return await h.return_(cmd, d)

    @svc.on_rpc("commend", "评选: commend an accepted submission for the 通报表扬, or take it back")
    async def commend(cmd: CommendSubmission) -> dict:
        return await h.commend(cmd, d)

    @svc.on_rpc("compile", "汇总: compile accepted submissions into the unit's answer upstream; publish report.compiled")
    async def compile_report(cmd: CompileReport) -> dict:
        return await h.compile_report(cmd, d)

    @svc.on_rpc("chase", "催办: remind the units that still owe an ask; publish deadline.approaching")
    async def chase(cmd: ChaseSubmissions) -> dict:
        return await h.chase(cmd, d)

    # ---- queries
    @svc.on_rpc("get", "One submission with its revisions, for its unit or the unit reviewing it", query=True)
    async def get(q: SubmissionQuery) -> dict:
        return await h.get(q, d)

    @svc.on_rpc("mine", "报送: a page of what a unit owes and has submitted, the still-open first", query=True)
    async def mine(q: UnitNoticesQuery) -> Page[dict]:
        return await h.mine(q, d)

    @svc.on_rpc("review", "审核: a page of the submissions routed to the actor's unit, those to review first",
                query=True)
    async def review(q: ReviewQuery) -> Page[dict]:
        return await h.review_queue(q, d)

    @svc.on_rpc("table", "汇总表: the submissions of one ask routed to the actor's unit, with their latest items",
                query=True)
    async def table(q: SubmissionTableQuery) -> dict:
        return await h.table(q, d)

    @svc.on_rpc("expected", "Who owes which submission for a notice, and its state", query=True)
    async def expected(q: NoticeRef) -> list[dict]:
        return await h.expected(q.notice_id, d)

    return svc.build()
