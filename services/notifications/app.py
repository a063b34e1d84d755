"""Wiring of the notifications service: its contract's actions and every subscription, in one place."""

from faststream import FastStream
from faststream.nats import NatsBroker
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock
from shared.contracts.notifications import Notifications
from shared.events import (
    DeadlineApproaching,
    DeadlineMissed,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeForwarded,
    NoticeIssued,
    NoticeWithdrawn,
    PlanSubmitted,
    ReportCompiled,
    SubmissionReturned,
)
from shared.service import Service
from shared.settings import NotificationsSettings

from . import escalation, links, reach
from . import handlers as h
from .arrivals import on_arrived
from .limits import Limits
from .pacing import Pacer
from .reach_store import INDEXES as REACH_INDEXES
from .reach_store import ReachStore
from .recounts import Recounts
from .repository import INDEXES, DeliveriesRepository
from .sending import Senders, SendJob


def create_app(
    settings: NotificationsSettings,
    clock: Clock | None = None,
    *,
    broker: NatsBroker | None = None,
    db: AsyncDatabase | None = None,
) -> FastStream:
    svc = Service(settings, indexes=[*INDEXES, *REACH_INDEXES], clock=clock, broker=broker, db=db)
    senders = Senders(settings)
    repo = DeliveriesRepository(svc)
    d = h.Deps(
        repo=repo,
        settings=settings,
        clock=svc.clock,
        senders=senders,
        queue_work=svc.queue_work,
        reach=ReachStore(svc),
        pacer=Pacer(settings, senders, Limits(lambda: svc.db, settings)),
        recounts=Recounts(repo, settings.recount_delay_seconds),
    )

    @svc.on_startup
    async def migrate() -> None:
        await d.repo.migrate()
        await links.load_secret(d)

    svc.serve(Notifications, h, d)

    # Who gets told: deliveries recorded as pending, queued as sending jobs.
    svc.consume(
        NoticeIssued, "deliveries_issued", "Tell each recipient contact hosted here about a new notice", h.on_notice, d
    )
    svc.consume(
        NoticeForwarded, "deliveries_forwarded", "Tell each recipient contact about a forwarded notice", h.on_notice, d
    )
    svc.consume(NoticeCorrected, "deliveries_corrected", "Tell the recipients hosted here about a 更正", h.on_notice, d)
    svc.consume(
        NoticeWithdrawn, "deliveries_withdrawn", "Tell the recipients hosted here about a 撤回", h.on_withdrawn, d
    )
    svc.consume(
        DeadlineApproaching,
        "deliveries_approaching",
        "Remind (or chase) units that have not submitted",
        h.on_deadline,
        d,
    )
    svc.consume(DeadlineMissed, "deliveries_missed", "Tell units that missed a deadline", h.on_deadline, d)
    svc.consume(
        SubmissionReturned, "deliveries_returned", "Tell a unit its submission was returned (退回)", h.on_returned, d
    )
    svc.consume(
        PlanSubmitted,
        "deliveries_arrived",
        "Tell the department a submission is routed to that it arrived",
        on_arrived,
        d,
    )
    svc.consume(
        ReportCompiled, "deliveries_compiled", "Tell the department a 汇总 or an item sent up arrived", on_arrived, d
    )

    svc.consume(
        NoticeAcknowledged,
        "deliveries_acknowledged",
        "Remember the 签收 of units hosted here: their notice is not escalated further",
        escalation.on_acknowledged,
        d,
    )

    # Daily digests and escalation rounds, on the clock; every replica looks, what they make is keyed.
    @svc.background
    async def reaching() -> None:
        await reach.run(d)

    @svc.background
    async def recounting() -> None:
        await d.recounts.run()

    # Sending: jobs the handlers above queued, taken by one replica each.
    @svc.on_work("send", "Send a job's e-mails, SMS and chat messages; record how each ended")
    async def on_send(job: SendJob) -> None:
        await h.send(job, d)

    return svc.build()
