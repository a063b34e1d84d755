"""Notices' storage. Documents are looked up by ``_id`` on hot paths.

Collections (database ``<node>_notices``):
- ``units``       directory entries, ``_id`` = unit id
- ``imports``     a directory import staged whole before it is applied, ``_id`` = import id
- ``notices``     notices issued here and copies received, ``_id`` = notice id;
                  ``number_key`` (lead issuer + 文号) is unique
- ``counters``    last 文号 sequence per issuer and year, ``_id`` = ``issuer:year``
- ``inbox``       one entry per notice and recipient hosted here, ``_id`` = ``notice:unit``
- ``tracking``    per notice issued here: who acknowledged (and forwarded) when,
                  ``_id`` = notice id, maps keyed by unit id
- ``upstream``    per notice held here: the 更正/撤回 made above it in its forwarding chain,
                  ``_id`` = notice id, ``changes`` keyed by change id (see handlers.flag_forwards)
- ``attachments`` metadata of uploaded files, ``_id`` = attachment id (bytes in the BlobStore)
- ``uploads``     uploads in progress, ``_id`` = upload id
"""

import logging
from collections.abc import Callable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.errors import DuplicateKeyError

from shared import outbox
from shared.errors import Conflict
from shared.schemas import NoticeSnapshot, UnitRef
from shared.service import Service
from shared.storage import DocumentLocks, Index, insert_if_absent, insert_many_idempotent

INDEXES = [
    Index("units", [("parent_id", ASCENDING)]),
    Index("imports", [("status", ASCENDING)]),
    Index("notices", [("number_key", ASCENDING)], unique=True),
    Index("notices", [("origin", ASCENDING), ("issued_at", DESCENDING)]),
    Index("notices", [("issuer_unit_ids", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("unit_id", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("notice_id", ASCENDING)]),
]

MAX_NUMBER_ATTEMPTS = 100

log = logging.getLogger("cascade.notices")


def inbox_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


class NoticesRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service
        # Updates that merge into one notice or tracking document are serialised (see DocumentLocks).
        self.locks = DocumentLocks()

    def __getattr__(self, name: str):
        # self.units, self.notices, … are the collections of the same name.
        if name in ("units", "imports", "notices", "counters", "inbox", "tracking", "upstream", "attachments",
                    "uploads"):
            return self.svc.db[name]
        raise AttributeError(name)

    # ------------------------------------------------------------ directory

    async def upsert_unit(self, doc: dict) -> None:
        await self.units.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_unit(self, unit_id: str) -> bool:
        return (await self.units.delete_one({"_id": unit_id})).deleted_count == 1

    async def get_unit(self, unit_id: str) -> dict | None:
        return await self.units.find_one({"_id": unit_id})

    async def units_by_id(self, unit_ids: list[str]) -> dict[str, dict]:
        if not unit_ids:
            return {}
        return {d["_id"]: d async for d in self.units.find({"_id": {"$in": list(set(unit_ids))}})}

    async def list_units(self) -> list[dict]:
        return [d async for d in self.units.find({}).sort("_id", ASCENDING)]

    async def children_of(self, unit_id: str) -> list[str]:
        return [d["_id"] async for d in self.units.find({"parent_id": unit_id}, {"_id": 1})]

    async def stage_import(self, doc: dict) -> None:
        await self.imports.insert_one(doc)

    async def apply_import(self, import_doc: dict) -> int:
        """Write a staged import: new units in one insert_many, changed ones replaced, equal ones left.

        Idempotent, so an import interrupted by a crash is finished at the
        next start-up (``apply_pending_imports``): all rows or none, in effect.
        """
        docs = import_doc["units"]
        existing = await self.units_by_id([d["_id"] for d in docs])
        new = [d for d in docs if d["_id"] not in existing]
        changed = [d for d in docs if d["_id"] in existing and existing[d["_id"]] != d]
        await insert_many_idempotent(self.units, new)
        if changed:
            await self.units.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in changed], ordered=False)
        await self.imports.update_one({"_id": import_doc["_id"]}, {"$set": {"status": "applied", "units": []}})
        return len(new) + len(changed)

    async def apply_pending_imports(self) -> int:
        count = 0
        async for doc in self.imports.find({"status": "pending"}):
            await self.apply_import(doc)
            count += 1
        return count

    # ------------------------------------------------------------ notices

    async def insert_numbered(
        self,
        *,
        issuer_unit_id: str,
        year: int,
        manual_number: str | None,
        format_number: Callable[[int], str],
        build: Callable[[str], tuple[dict, list[dict]]],
    ) -> dict:
        """Insert a notice under the next free 文号 of its issuer and year.

        The number is taken only by the insert itself (``number_key`` is
        unique), so a failed issue consumes no number: never reused, never
        skipped. The counter is a hint to start from; if another replica
        raced us to a number, the insert fails and we try the next one.
        """
        if manual_number:
            doc, pending = build(manual_number)
            doc.update(number_key=f"{issuer_unit_id}:{manual_number}", **{outbox.FIELD: pending})
            try:
                await self.notices.insert_one(doc)
            except DuplicateKeyError as exc:
                raise Conflict(f"文号已存在：{manual_number}", field="doc_number", code="duplicate_doc_number") from exc
            return doc

        counter_id = f"{issuer_unit_id}:{year}"
        counter = await self.counters.find_one({"_id": counter_id})
        seq = (counter or {}).get("last", 0) + 1
        for _ in range(MAX_NUMBER_ATTEMPTS):
            number = format_number(seq)
            doc, pending = build(number)
            doc.update(number_key=f"{issuer_unit_id}:{number}", seq=seq, **{outbox.FIELD: pending})
            try:
                await self.notices.insert_one(doc)
            except DuplicateKeyError:
                seq += 1
                continue
            await self._advance_counter(counter_id, seq)
            return doc
        raise Conflict("无法分配文号，请稍后再试", field="doc_number", code="doc_number_exhausted")

    async def _advance_counter(self, counter_id: str, seq: int) -> None:
        """Move the hint up to ``seq`` (``$max``: never down). The notice is stored already, so this must not fail it.

        The first issues of a year race to create the counter: the upsert of
        the loser is a duplicate insert, after which the document exists and an
        update does it. A lost ``$max`` (FerretDB's unisolated updates) only
        makes the next allocation start lower and step over taken numbers.
        """
        for attempt in (1, 2, 3):
            try:
                await self.counters.update_one({"_id": counter_id}, {"$max": {"last": seq}}, upsert=True)
                return
            except DuplicateKeyError:
                if attempt == 3:
                    log.warning("文号 counter %s not advanced to %d (the unique 文号 still holds)", counter_id, seq)

    async def store_received(self, notice: NoticeSnapshot, part: int, received_at: datetime, kind: str) -> None:
        """Keep the copy of a notice that arrived from another node, one recipients part at a time.

        The content is written by the first part to arrive (or by a
        correction); each part then sets its own slice of recipients, so
        parts merge in any order and a redelivery changes nothing.
        """
        doc = notice_document(notice.model_copy(update={"recipients": []}), kind=kind, origin="received")
        doc["received_at"] = received_at
        doc.pop("recipients")
        doc["recipient_unit_ids"] = []
        async with self.locks.hold(notice.notice_id):
            await insert_if_absent(self.notices, doc)
            await self.notices.update_one(
                {"_id": notice.notice_id},
                {"$set": {f"recipients_by_part.{part}": [r.model_dump(mode="python") for r in notice.recipients]}},
            )

    async def apply_correction(self, notice: NoticeSnapshot, fields: dict, part: int, received_at: datetime) -> None:
        """A received copy takes a correction unless it already has the same or a later revision.

        Parts of a correction slice the recipients as the issue did, so a
        correction arriving first stores the same parts the issue would.
        """
        if await self.notices.find_one({"_id": notice.notice_id}, {"_id": 1}) is None:
            kind = "forwarded" if notice.parent_notice_id else "issued"
            await self.store_received(notice, part, received_at, kind)
        async with self.locks.hold(notice.notice_id):
            await self.notices.update_one(
                {"_id": notice.notice_id, "revision": {"$lt": notice.revision}}, {"$set": fields}
            )

    async def set_fields(
        self, notice_id: str, fields: dict, *, revision: int | None = None, events: list[dict] | None = None
    ) -> bool:
        """``$set`` on a notice, appending ``events`` to its outbox in the same write.

        With ``revision``, only if the notice is still at that revision (a
        concurrent 更正 makes this one fail instead of overwriting it).
        """
        query: dict = {"_id": notice_id}
        if revision is not None:
            query["revision"] = revision
        update: dict = {"$set": fields}
        if events:
            update["$push"] = {outbox.FIELD: {"$each": events}}
        async with self.locks.hold(notice_id):
            return (await self.notices.update_one(query, update)).matched_count == 1

    async def issued_by(self, unit_id: str | None, limit: int = 500) -> list[dict]:
        query: dict = {"origin": "local"}
        if unit_id:
            query["issuer_unit_ids"] = unit_id
        projection = {"doc_number": 1, "title": 1, "issuers": 1, "issued_at": 1, "recipient_unit_ids": 1,
                      "kind": 1, "status": 1, "parent_notice_id": 1, "upstream_change": 1, "revision": 1}
        cursor = self.notices.find(query, projection).sort("issued_at", DESCENDING).limit(limit)
        return [d async for d in cursor]

    async def get_notice(self, notice_id: str) -> dict | None:
        doc = await self.notices.find_one({"_id": notice_id}, {outbox.FIELD: 0})
        return normalise(doc) if doc else None

    async def flush(self, notice_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, self.notices, notice_id, events)

    async def flush_pending(self) -> int:
        return await outbox.flush_pending(self.svc, self.notices)

    # ------------------------------------------------------------ inbox

    async def deliver_to_inbox(self, notice: NoticeSnapshot, units: list[UnitRef], kind: str, at: datetime) -> int:
        """One entry per recipient, in one insert_many with deterministic ``_id``s (a redelivery inserts nothing)."""
        deadlines = [a.deadline for a in notice.asks]
        docs = [
            {
                "_id": inbox_id(notice.notice_id, u.unit_id),
                "notice_id": notice.notice_id,
                "unit_id": u.unit_id,
                "doc_number": notice.doc_number,
                "title": notice.title,
                "issuer_name": "、".join(i.name for i in notice.issuers),
                "issuer_node": notice.issuers[0].node_id,
                "root_notice_id": notice.root_notice_id,
                "kind": kind,
                "issued_at": notice.issued_at,
                "received_at": at,
                "next_deadline": min(deadlines) if deadlines else None,
                "status": "issued",
                "acknowledged_at": None,
                "acknowledged_by": None,
            }
            for u in units
        ]
        return await insert_many_idempotent(self.inbox, docs)

    async def inbox_entry(self, notice_id: str, unit_id: str) -> dict | None:
        return await self.inbox.find_one({"_id": inbox_id(notice_id, unit_id)})

    async def inbox_for(self, unit_id: str | None, limit: int = 500) -> list[dict]:
        query = {"unit_id": unit_id} if unit_id else {}
        cursor = self.inbox.find(query, {outbox.FIELD: 0}).sort("issued_at", DESCENDING).limit(limit)
        return [d async for d in cursor]

    async def mark_inbox(self, notice_id: str, fields: dict) -> None:
        """Every entry of a notice on this node (a correction or withdrawal): one update, no per-unit writes."""
        await self.inbox.update_many({"notice_id": notice_id}, {"$set": fields})

    async def mark_acknowledged(self, notice_id: str, unit_id: str, at: datetime, by: str, pending: list[dict]) -> dict | None:
        """Set the receipt on the inbox entry, with its events in the same write; None if it was already set."""
        entry_id = inbox_id(notice_id, unit_id)
        result = await self.inbox.update_one(
            {"_id": entry_id, "acknowledged_at": None},
            {"$set": {"acknowledged_at": at, "acknowledged_by": by}, "$push": {outbox.FIELD: {"$each": pending}}},
        )
        if result.modified_count != 1:
            return None
        return await self.inbox.find_one({"_id": entry_id})

    async def set_inbox_fields(self, notice_id: str, unit_id: str, fields: dict) -> None:
        await self.inbox.update_one({"_id": inbox_id(notice_id, unit_id)}, {"$set": fields})

    async def flush_inbox(self, entry_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, self.inbox, entry_id, events)

    async def flush_pending_inbox(self) -> int:
        return await outbox.flush_pending(self.svc, self.inbox)

    # ------------------------------------------------------------ tracking (the issuer's side)

    async def merge_tracking(self, notice_id: str, fields: dict) -> None:
        """``$set`` keyed by unit id: commutes with itself and with other units' receipts."""
        async with self.locks.hold(f"tracking:{notice_id}"):
            try:
                await self.tracking.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)
            except DuplicateKeyError:
                # Another process created the document between our find and insert: now it is an update.
                await self.tracking.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)

    async def tracking_of(self, notice_id: str) -> dict:
        return await self.tracking.find_one({"_id": notice_id}) or {"_id": notice_id}

    async def tracking_many(self, notice_ids: list[str]) -> dict[str, dict]:
        if not notice_ids:
            return {}
        return {d["_id"]: d async for d in self.tracking.find({"_id": {"$in": notice_ids}})}

    # ------------------------------------------------------------ upstream changes (更正/撤回 above a 转发)

    async def flag_forward(self, notice_id: str, change_id: str, events: list[dict]) -> bool:
        """Mark a 转发 made here as told of an upstream change, with the events that tell its readers: once.

        False if it was flagged already (its events are in its outbox since
        then) or is not a notice made here.
        """
        async with self.locks.hold(notice_id):
            result = await self.notices.update_one(
                {"_id": notice_id, "origin": "local", f"flagged.{change_id}": {"$exists": False}},
                {"$set": {f"flagged.{change_id}": True}, "$push": {outbox.FIELD: {"$each": events}}},
            )
        return result.matched_count == 1

    async def record_upstream_change(self, notice_id: str, change: dict) -> None:
        """Keyed by change id, in a document of its own: it commutes with other changes, and works whether
        the notice's copy (and its inbox entries) arrived before or after it."""
        fields = {f"changes.{change['change_id']}": change}
        async with self.locks.hold(f"upstream:{notice_id}"):
            try:
                await self.upstream.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)
            except DuplicateKeyError:  # another process created the document between our find and insert
                await self.upstream.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)

    async def upstream_changes(self, notice_ids: list[str]) -> dict[str, dict[str, dict]]:
        """notice id → its upstream changes keyed by change id (only notices that have any)."""
        if not notice_ids:
            return {}
        query = {"_id": notice_ids[0]} if len(notice_ids) == 1 else {"_id": {"$in": list(set(notice_ids))}}
        return {d["_id"]: d.get("changes", {}) async for d in self.upstream.find(query)}

    # ------------------------------------------------------------ attachments

    async def start_upload(self, doc: dict) -> None:
        await self.uploads.insert_one(doc)

    async def get_upload(self, upload_id: str) -> dict | None:
        return await self.uploads.find_one({"_id": upload_id})

    async def end_upload(self, upload_id: str) -> None:
        await self.uploads.delete_one({"_id": upload_id})

    async def add_attachment(self, doc: dict) -> None:
        await self.attachments.insert_one(doc)

    async def get_attachment(self, attachment_id: str) -> dict | None:
        return await self.attachments.find_one({"_id": attachment_id})

    async def attachments_by_id(self, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        return {d["_id"]: d async for d in self.attachments.find({"_id": {"$in": ids}})}


def notice_document(notice: NoticeSnapshot, *, kind: str, origin: str, **extra) -> dict:
    doc = notice.model_dump(mode="python")
    doc["_id"] = doc.pop("notice_id")
    doc.update(
        kind=kind,
        origin=origin,
        issuer_unit_id=notice.issuers[0].unit_id,
        issuer_unit_ids=[i.unit_id for i in notice.issuers],
        recipient_unit_ids=[r.unit_id for r in notice.recipients],
        number_key=f"{notice.issuers[0].unit_id}:{notice.doc_number}",
        status="issued",
        history=[],
        forwards={},
        **extra,
    )
    return doc


def normalise(doc: dict) -> dict:
    """A received copy keeps its recipients in parts; join them so every notice reads the same."""
    parts = doc.pop("recipients_by_part", None)
    if parts is not None:
        doc["recipients"] = [r for key in sorted(parts, key=int) for r in parts[key]]
        doc["recipient_unit_ids"] = [r["unit_id"] for r in doc["recipients"]]
    return doc


def snapshot_of(doc: dict) -> NoticeSnapshot:
    fields = {k: v for k, v in doc.items() if k in NoticeSnapshot.model_fields}
    return NoticeSnapshot.model_validate({**fields, "notice_id": doc["_id"]})
