"""Notices' storage. Documents are looked up by ``_id`` on hot paths.

Collections (database ``<node>_notices``):
- ``units``       directory entries, ``_id`` = unit id
- ``imports``     a directory import staged whole before it is applied, ``_id`` = import id
- ``notices``     notices issued here and copies received, ``_id`` = notice id;
                  ``number_key`` (lead issuer + 文号) is unique
- ``counters``    last 文号 sequence per issuer and year, ``_id`` = ``issuer:year``
- ``inbox``       one entry per notice and recipient hosted here, ``_id`` = ``notice:unit``;
                  ``signed`` and ``year`` (in the node's zone) let 收文 page by index
- ``sent``        发文: one entry per notice issued or forwarded here and each of its
                  issuer units, ``_id`` = ``notice:unit`` (a joint notice lists under every issuer)
- ``receipts``    per notice issued here and recipient: its 签收 and the 转发 it made,
                  ``_id`` = ``notice:unit`` (a few hundred bytes per event, never a map of every unit)
- ``tracking``    per notice issued here: how many recipients signed, ``_id`` = notice id
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
from shared.paging import PageQuery, Segment, read_page
from shared.schemas import NoticeSnapshot, UnitRef
from shared.service import Service
from shared.storage import Index, insert_if_absent, insert_many_idempotent, migrate_once, upsert

INDEXES = [
    Index("units", [("parent_id", ASCENDING)]),
    Index("units", [("kind", ASCENDING), ("name", ASCENDING)]),
    Index("units", [("name", ASCENDING)]),
    Index("imports", [("status", ASCENDING)]),
    Index("notices", [("number_key", ASCENDING)], unique=True),
    Index("notices", [("origin", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("unit_id", ASCENDING), ("signed", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("unit_id", ASCENDING), ("year", ASCENDING), ("signed", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("notice_id", ASCENDING)]),
    Index("sent", [("unit_id", ASCENDING), ("issued_at", DESCENDING)]),
    Index("sent", [("unit_id", ASCENDING), ("year", ASCENDING), ("issued_at", DESCENDING)]),
    Index("receipts", [("notice_id", ASCENDING), ("signed", ASCENDING)]),
]

# What a 发文 row shows of a notice; the rest of the document (body, recipients) stays in the store.
LIST_FIELDS = {
    "doc_number": 1,
    "title": 1,
    "issuers": 1,
    "issued_at": 1,
    "recipient_count": 1,
    "kind": 1,
    "status": 1,
    "parent_notice_id": 1,
    "upstream_change": 1,
    "revision": 1,
}

log = logging.getLogger("cascade.notices")


def inbox_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


class NoticesRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

    def __getattr__(self, name: str):
        # self.units, self.notices, … are the collections of the same name.
        if name in (
            "units",
            "imports",
            "notices",
            "counters",
            "inbox",
            "sent",
            "receipts",
            "tracking",
            "upstream",
            "attachments",
            "uploads",
        ):
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
        """The whole directory: pickers and exports (it grows with the organisation, not with history)."""
        return [d async for d in self.units.find({}).sort("_id", ASCENDING)]

    async def units_page(
        self,
        pq: PageQuery,
        *,
        kind: str | None = None,
        parent_id: str | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        query: dict = {}
        if kind:
            query["kind"] = kind
        if parent_id:
            query["parent_id"] = parent_id
        return await read_page(self.units, [Segment(query, [("name", ASCENDING), ("_id", ASCENDING)], count=True)], pq)

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

    async def insert_notice(self, doc: dict, pending: list[dict], *, number_key: str, seq: int | None = None) -> bool:
        """Store a new notice with its outbox; False if its 文号 is taken (``number_key`` is unique)."""
        doc.update(number_key=number_key, **({"seq": seq} if seq is not None else {}), **{outbox.FIELD: pending})
        try:
            await self.notices.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def doc_number_taken(self, issuer_unit_id: str, doc_number: str) -> bool:
        """Whether the issuer has a notice under this 文号 already (to refuse it early: the unique ``number_key``
        still decides at the insert)."""
        found = await self.notices.find_one({"number_key": f"{issuer_unit_id}:{doc_number}"}, {"_id": 1})
        return found is not None

    async def number_hint(self, issuer_unit_id: str, year: int) -> int:
        """The 文号 sequence to try first: one past the last the issuer took this year."""
        counter = await self.counters.find_one({"_id": f"{issuer_unit_id}:{year}"})
        return (counter or {}).get("last", 0) + 1

    async def advance_number_hint(self, issuer_unit_id: str, year: int, seq: int) -> None:
        """Move the hint up to ``seq`` (``$max``: never down). The notice is stored already, so this must not fail it:
        a hint left behind only makes the next issue step over taken numbers."""
        counter_id = f"{issuer_unit_id}:{year}"
        try:
            await upsert(self.counters, counter_id, {"$max": {"last": seq}})
        except DuplicateKeyError:
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
        await self.notices.update_one({"_id": notice.notice_id, "revision": {"$lt": notice.revision}}, {"$set": fields})

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
        return (await self.notices.update_one(query, update)).matched_count == 1

    async def list_sent(self, notice: dict, year: int) -> None:
        """List a notice made here under each of its issuer units (发文); a second time changes nothing."""
        await insert_many_idempotent(
            self.sent,
            [
                {
                    "_id": f"{notice['_id']}:{unit_id}",
                    "notice_id": notice["_id"],
                    "unit_id": unit_id,
                    "issued_at": notice["issued_at"],
                    "year": year,
                }
                for unit_id in notice["issuer_unit_ids"]
            ],
        )

    async def issued_by(
        self,
        unit_id: str | None,
        pq: PageQuery,
        year: int | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        """A page of the notices a unit issued (alone or jointly) or forwarded, newest first; every unit's
        for ``unit_id=None``."""
        if unit_id is None:
            return await read_page(
                self.notices, [Segment({"origin": "local"}, [("issued_at", DESCENDING)])], pq, projection=LIST_FIELDS
            )
        query = {"unit_id": unit_id, **({"year": year} if year else {})}
        entries, more, total = await read_page(self.sent, [Segment(query, [("issued_at", DESCENDING)])], pq)
        found = {
            d["_id"]: d
            async for d in self.notices.find({"_id": {"$in": [e["notice_id"] for e in entries]}}, LIST_FIELDS)
        }
        return [found[e["notice_id"]] for e in entries if e["notice_id"] in found], more, total

    async def get_notice(self, notice_id: str) -> dict | None:
        doc = await self.notices.find_one({"_id": notice_id}, {outbox.FIELD: 0})
        return normalise(doc) if doc else None

    async def flush(self, notice_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, self.notices, notice_id, events)

    async def flush_pending(self) -> int:
        return await outbox.flush_pending(self.svc, self.notices)

    # ------------------------------------------------------------ inbox

    async def deliver_to_inbox(
        self, notice: NoticeSnapshot, units: list[UnitRef], kind: str, at: datetime, year: int
    ) -> int:
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
                "signed": False,
                "year": year,
            }
            for u in units
        ]
        return await insert_many_idempotent(self.inbox, docs)

    async def inbox_entry(self, notice_id: str, unit_id: str) -> dict | None:
        return await self.inbox.find_one({"_id": inbox_id(notice_id, unit_id)})

    async def inbox_page(
        self,
        unit_id: str,
        pq: PageQuery,
        year: int | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        """A page of a unit's 收文: what it has not signed first (counted: it is the work outstanding), then the
        rest, each newest first."""
        base = {"unit_id": unit_id, **({"year": year} if year else {})}
        newest = [("issued_at", DESCENDING)]
        return await read_page(
            self.inbox,
            [Segment({**base, "signed": False}, newest, count=True), Segment({**base, "signed": True}, newest)],
            pq,
            projection={outbox.FIELD: 0},
        )

    async def mark_inbox(self, notice_id: str, fields: dict) -> None:
        """Every entry of a notice on this node (a correction or withdrawal): one update, no per-unit writes."""
        await self.inbox.update_many({"notice_id": notice_id}, {"$set": fields})

    async def mark_acknowledged(
        self, notice_id: str, unit_id: str, at: datetime, by: str, pending: list[dict]
    ) -> dict | None:
        """Set the receipt on the inbox entry, with its events in the same write; None if it was already set."""
        entry_id = inbox_id(notice_id, unit_id)
        result = await self.inbox.update_one(
            {"_id": entry_id, "acknowledged_at": None},
            {
                "$set": {"acknowledged_at": at, "acknowledged_by": by, "signed": True},
                "$push": {outbox.FIELD: {"$each": pending}},
            },
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

    async def upgrade(self, year_of: Callable[[datetime], int]) -> bool:
        """Data written before 收文, 发文 and 签收 were read page by page (a node upgraded in place), once."""

        async def run() -> None:
            # Documents without the fields a notice always has are not notices' (nothing to do for them).
            async for e in self.inbox.find({"signed": {"$exists": False}}, {"acknowledged_at": 1, "issued_at": 1}):
                if e.get("issued_at") is not None:
                    await self.inbox.update_one(
                        {"_id": e["_id"]},
                        {"$set": {"signed": e.get("acknowledged_at") is not None, "year": year_of(e["issued_at"])}},
                    )
            async for n in self.notices.find(
                {"origin": "local"}, {"issuer_unit_ids": 1, "issued_at": 1, "recipient_unit_ids": 1}
            ):
                if n.get("issued_at") is None or not n.get("issuer_unit_ids"):
                    continue
                await self.list_sent(n, year_of(n["issued_at"]))
                await self.notices.update_one(
                    {"_id": n["_id"]}, {"$set": {"recipient_count": len(n.get("recipient_unit_ids", []))}}
                )
            async for t in self.tracking.find({"acks": {"$exists": True}}):
                for unit_id, ack in t.get("acks", {}).items():
                    await self.record_receipt(t["_id"], unit_id, {"signed": True, "acknowledged": ack})
                for unit_id, links in t.get("forwarded", {}).items():
                    await self.record_receipt(t["_id"], unit_id, {f"forwarded.{k}": v for k, v in links.items()})
                await self.tracking.replace_one(
                    {"_id": t["_id"]}, {"_id": t["_id"], "acknowledged": len(t.get("acks", {}))}
                )

        return await migrate_once(self.svc.db, "paged_lists", run)

    # ------------------------------------------------------------ tracking (the issuer's side)

    async def record_receipt(self, notice_id: str, unit_id: str, fields: dict) -> None:
        """``$set`` on the recipient's own receipt document: commutes with its other fields and other units'."""
        await upsert(
            self.receipts, f"{notice_id}:{unit_id}", {"$set": {"notice_id": notice_id, "unit_id": unit_id, **fields}}
        )

    async def count_signed(self, notice_id: str) -> None:
        """Bring the notice's count of 签收 up to date, after a receipt was recorded.

        Receipts are never taken back, so the count only grows and ``$max``
        keeps the largest: of two handlers recording at once, the one counting
        last saw both receipts, so the count ends right.
        """
        count = await self.receipts.count_documents({"notice_id": notice_id, "signed": True})
        await upsert(self.tracking, notice_id, {"$max": {"acknowledged": count}})

    async def receipts_of(self, notice_id: str) -> dict[str, dict]:
        """unit id → its receipt document; bounded by the notice's recipients."""
        return {d["unit_id"]: d async for d in self.receipts.find({"notice_id": notice_id})}

    async def signed_counts(self, notice_ids: list[str]) -> dict[str, int]:
        if not notice_ids:
            return {}
        return {d["_id"]: d.get("acknowledged", 0) async for d in self.tracking.find({"_id": {"$in": notice_ids}})}

    # ------------------------------------------------------------ upstream changes (更正/撤回 above a 转发)

    async def flag_forward(self, notice_id: str, change_id: str, events: list[dict]) -> bool:
        """Mark a 转发 made here as told of an upstream change, with the events that tell its readers: once.

        False if it was flagged already (its events are in its outbox since
        then) or is not a notice made here.
        """
        result = await self.notices.update_one(
            {"_id": notice_id, "origin": "local", f"flagged.{change_id}": {"$exists": False}},
            {"$set": {f"flagged.{change_id}": True}, "$push": {outbox.FIELD: {"$each": events}}},
        )
        return result.matched_count == 1

    async def record_upstream_change(self, notice_id: str, change: dict) -> None:
        """Keyed by change id, in a document of its own: it commutes with other changes, and works whether
        the notice's copy (and its inbox entries) arrived before or after it."""
        await upsert(self.upstream, notice_id, {"$set": {f"changes.{change['change_id']}": change}})

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
        recipient_count=len(notice.recipients),
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
        doc["recipient_count"] = len(doc["recipients"])
    return doc


def snapshot_of(doc: dict) -> NoticeSnapshot:
    fields = {k: v for k, v in doc.items() if k in NoticeSnapshot.model_fields}
    return NoticeSnapshot.model_validate({**fields, "notice_id": doc["_id"]})
