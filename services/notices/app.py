"""Wiring of the notices service: every subscription in one place."""

import asyncio

from faststream import FastStream

from shared.blobs import BlobStore
from shared.clock import Clock, local_year
from shared.commands import (
    AcknowledgeNotice,
    BeginUpload,
    CorrectNotice,
    DeleteUnit,
    ExportUnits,
    FinishUpload,
    ForwardNotice,
    ImportUnits,
    IssueNotice,
    NoticeQuery,
    ReadAttachment,
    ReadBlob,
    TrackingQuery,
    UnitNoticesQuery,
    UnitsQuery,
    UnitQuery,
    UploadPart,
    UpsertUnit,
    WithdrawNotice,
)
from shared.events import (
    BlobChunk,
    BlobWanted,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeForwarded,
    NoticeForwardReported,
    NoticeIssued,
    NoticeUpstreamChanged,
    NoticeWithdrawn,
)
from shared.paging import Page
from shared.service import Service
from shared.settings import NoticesSettings

from . import file_sync
from . import handlers as h
from .repository import INDEXES, NoticesRepository


def create_app(settings: NoticesSettings, clock: Clock | None = None) -> FastStream:
    svc = Service(settings, indexes=INDEXES, clock=clock)
    d = h.Deps(svc=svc, repo=NoticesRepository(svc), settings=settings, clock=svc.clock,
               blobs=BlobStore.of_node(settings.data_dir))

    @svc.on_startup
    async def finish_interrupted_work() -> None:
        await d.repo.upgrade(lambda at: local_year(at, settings.timezone))
        await d.repo.flush_pending()
        await d.repo.flush_pending_inbox()
        await d.repo.apply_pending_imports()
        await asyncio.to_thread(d.blobs.discard_stale_uploads, h.STALE_UPLOAD_S)

    # ---- directory
    @svc.on_rpc("directory.upsert", "Create or replace an org unit in the directory")
    async def upsert_unit(cmd: UpsertUnit) -> dict:
        return await h.upsert_unit(cmd, d)

    @svc.on_rpc("directory.delete", "Remove an org unit that has no subordinate units")
    async def delete_unit(cmd: DeleteUnit) -> dict:
        return await h.delete_unit(cmd, d)

    @svc.on_rpc("directory.list", "All org units in the directory", query=True)
    async def list_units() -> list[dict]:
        return await h.list_units(d)

    @svc.on_rpc("directory.page", "A page of the directory by name, optionally of one kind or parent", query=True)
    async def units_page(q: UnitsQuery) -> Page[dict]:
        return await h.units_page(q, d)

    @svc.on_rpc("directory.get", "One org unit", query=True)
    async def get_unit(q: UnitQuery) -> dict:
        return await h.get_unit(q, d)

    @svc.on_rpc("directory.import", "Import org units from CSV or YAML: all rows or none, errors with line numbers")
    async def import_units(cmd: ImportUnits) -> dict:
        return await h.import_units(cmd, d)

    @svc.on_rpc("directory.export", "The directory as CSV or YAML", query=True)
    async def export_units(cmd: ExportUnits) -> dict:
        return await h.export_units(cmd, d)

    # ---- attachments
    @svc.on_rpc("attachment.begin", "Start an upload: size and type limits checked before any byte moves")
    async def begin_upload(cmd: BeginUpload) -> dict:
        return await h.begin_upload(cmd, d)

    @svc.on_rpc("attachment.part", "One part of an upload (base64, written at its offset)")
    async def upload_part(cmd: UploadPart) -> dict:
        return await h.upload_part(cmd, d)

    @svc.on_rpc("attachment.finish", "Verify an upload's size, SHA-256 and type; store it by its checksum")
    async def finish_upload(cmd: FinishUpload) -> dict:
        return await h.finish_upload(cmd, d)

    @svc.on_rpc("attachment.read", "An attachment's metadata, and whether its bytes are here", query=True)
    async def read_attachment(q: ReadAttachment) -> dict:
        return await h.read_attachment(q, d)

    @svc.on_rpc("blob.read", "Whether a file's bytes are here, or one piece of them", query=True)
    async def read_blob(q: ReadBlob) -> dict:
        return await h.read_blob(q, d)

    # ---- notices
    @svc.on_rpc("issue", "Issue a notice: allocate its 文号, store it, publish notice.issued")
    async def issue(cmd: IssueNotice) -> dict:
        return await h.issue_notice(cmd, d)

    @svc.on_rpc("forward", "转发: re-issue a received notice to subordinates; publish notice.forwarded")
    async def forward(cmd: ForwardNotice) -> dict:
        return await h.forward_notice(cmd, d)

    @svc.on_rpc("correct", "更正: change an issued notice; publish notice.corrected")
    async def correct(cmd: CorrectNotice) -> dict:
        return await h.correct_notice(cmd, d)

    @svc.on_rpc("withdraw", "撤回: withdraw an issued notice; publish notice.withdrawn")
    async def withdraw(cmd: WithdrawNotice) -> dict:
        return await h.withdraw_notice(cmd, d)

    @svc.on_rpc("acknowledge", "签收: a recipient acknowledges a notice; publish notice.acknowledged")
    async def acknowledge(cmd: AcknowledgeNotice) -> dict:
        return await h.acknowledge(cmd, d)

    @svc.on_rpc("list", "发文: a page of the notices a unit issued or forwarded, newest first, with 签收 counts",
                query=True)
    async def list_issued(q: UnitNoticesQuery) -> Page[dict]:
        return await h.list_issued(q, d)

    @svc.on_rpc("inbox", "收文: a page of a unit's inbox, not yet signed first, newest first", query=True)
    async def inbox(q: UnitNoticesQuery) -> Page[dict]:
        return await h.inbox(q, d)

    @svc.on_rpc("get", "One notice, with its chain and the notices forwarded from it here", query=True)
    async def get(q: NoticeQuery) -> dict:
        return await h.get_notice(q, d)

    @svc.on_rpc("tracking", "The issuer's view of 签收: who has and has not acknowledged, with times", query=True)
    async def tracking(q: TrackingQuery) -> dict:
        return await h.tracking(q, d)

    @svc.on_rpc("form_templates", "Form templates offered by the ask editor", query=True)
    async def form_templates() -> list[dict]:
        return h.form_templates()

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

    @svc.on_event("notice.forward_reported", "forward_reports",
                  "Show the issuer a 转发 of its notice, made here or on a linked node")
    async def on_forward_reported(event: NoticeForwardReported) -> None:
        await h.on_forward_reported(event, d)

    @svc.on_event("notice.upstream_changed", "upstream_changes",
                  "Flag a 转发 whose upstream was corrected or withdrawn; pass it on to the forwards made of it")
    async def on_upstream_changed(event: NoticeUpstreamChanged) -> None:
        await h.on_upstream_changed(event, d)

    @svc.on_event("notice.corrected", "inbox_corrected", "Show recipients a 更正; flag notices forwarded from it")
    async def on_corrected(event: NoticeCorrected) -> None:
        await h.on_notice_corrected(event, d)

    @svc.on_event("notice.withdrawn", "inbox_withdrawn", "Show recipients a 撤回; flag notices forwarded from it")
    async def on_withdrawn(event: NoticeWithdrawn) -> None:
        await h.on_notice_withdrawn(event, d)

    # ---- files across links (shared/file_sync.py)
    @svc.on_event("blob.wanted", "files_wanted", "Send a file a linked node lacks, in pieces")
    async def on_blob_wanted(event: BlobWanted) -> None:
        await file_sync.on_wanted(event, d)

    @svc.on_event("blob.chunk", "files_received", "Put together a file sent by a linked node", batch_size=8,
                  transient=True)
    async def on_blob_chunk(event: BlobChunk) -> None:
        await file_sync.on_chunk(event, d)

    return svc.build()
