"""Wiring of the notices service: its contract's actions and every subscription, in one place."""

import asyncio

from faststream import FastStream
from faststream.nats import NatsBroker
from pymongo.asynchronous.database import AsyncDatabase

from shared.blobs import BlobStore
from shared.clock import Clock, local_year
from shared.contracts.notices import Notices
from shared.events import (
    BlobChunk,
    BlobWanted,
    DraftSigningClosed,
    DraftSigningDecided,
    DraftSigningRequested,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeForwarded,
    NoticeForwardReported,
    NoticeIssued,
    NoticeUpstreamChanged,
    NoticeWithdrawn,
)
from shared.service import Service
from shared.settings import NoticesSettings

from . import file_sync
from . import handlers as h
from .drafts_store import INDEXES as DRAFT_INDEXES
from .repository import INDEXES, NoticesRepository


def create_app(
    settings: NoticesSettings,
    clock: Clock | None = None,
    *,
    broker: NatsBroker | None = None,
    db: AsyncDatabase | None = None,
) -> FastStream:
    svc = Service(settings, indexes=[*INDEXES, *DRAFT_INDEXES], clock=clock, broker=broker, db=db)
    d = h.Deps(
        svc=svc,
        repo=NoticesRepository(svc),
        settings=settings,
        clock=svc.clock,
        blobs=BlobStore.of_node(settings.data_dir),
    )

    @svc.on_startup
    async def finish_interrupted_work() -> None:
        await d.repo.upgrade(lambda at: local_year(at, settings.timezone))
        await d.repo.flush_pending()
        await d.repo.flush_pending_inbox()
        await d.drafts.flush_pending()
        await h.finish_issuing(d)
        await d.repo.apply_pending_imports()
        await asyncio.to_thread(d.blobs.discard_stale_uploads, h.STALE_UPLOAD_S)

    svc.serve(Notices, h, d)

    svc.consume(
        NoticeIssued, "inbox_issued", "Fill the inboxes of recipients hosted on this node", h.on_notice_arrived, d
    )
    svc.consume(
        NoticeForwarded,
        "inbox_forwarded",
        "Fill the inboxes of recipients of a forwarded notice",
        h.on_notice_arrived,
        d,
    )
    svc.consume(
        NoticeIssued,
        "tracking_issued",
        "A notice issued here: a receipt per recipient (the 签收 table) and its 发文 entries",
        h.on_notice_issued_here,
        d,
    )
    svc.consume(
        NoticeForwarded,
        "tracking_forwarded",
        "A 转发 made here: a receipt per recipient (the 签收 table) and its 发文 entries",
        h.on_notice_issued_here,
        d,
    )
    svc.consume(
        NoticeAcknowledged, "receipts", "Record 签收 of notices issued on this node", h.on_notice_acknowledged, d
    )
    svc.consume(
        NoticeForwardReported,
        "forward_reports",
        "Show the issuer a 转发 of its notice, made here or on a linked node",
        h.on_forward_reported,
        d,
    )
    svc.consume(
        NoticeUpstreamChanged,
        "upstream_changes",
        "Flag a 转发 whose upstream was corrected or withdrawn; pass it on to the forwards made of it",
        h.on_upstream_changed,
        d,
    )
    svc.consume(
        NoticeCorrected,
        "inbox_corrected",
        "Show recipients a 更正; flag notices forwarded from it",
        h.on_notice_corrected,
        d,
    )
    svc.consume(
        NoticeWithdrawn,
        "inbox_withdrawn",
        "Show recipients a 撤回; flag notices forwarded from it",
        h.on_notice_withdrawn,
        d,
    )
    # 签发 and 会签 of drafts, on the node keeping the draft and on those hosting the units asked to sign.
    svc.consume(
        DraftSigningRequested,
        "signing_requests",
        "Show a unit's 签发人 a draft to sign (签发, 会签) in 待签发",
        h.on_signing_requested,
        d,
    )
    svc.consume(
        DraftSigningDecided,
        "signing_decisions",
        "Record a 签发人's answer on the draft; the last signature issues the notice, a refusal returns it",
        h.on_signing_decided,
        d,
    )
    svc.consume(
        DraftSigningClosed,
        "signing_closed",
        "Withdraw the requests of a round that ended (issued, or returned to its drafter)",
        h.on_signing_closed,
        d,
    )
    # Files across links (shared/file_sync.py).
    svc.consume(BlobWanted, "files_wanted", "Send a file a linked node lacks, in pieces", file_sync.on_wanted, d)
    svc.consume(
        BlobChunk,
        "files_received",
        "Put together a file sent by a linked node",
        file_sync.on_chunk,
        d,
        batch_size=8,
        transient=True,
    )
    return svc.build()
