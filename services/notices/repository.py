"""Notices' storage. Documents are looked up by ``_id`` on hot paths.

Collections (database ``<node>_notices``):
- ``units``     directory entries, ``_id`` = unit id
- ``notices``   notices issued here and copies received, ``_id`` = notice id;
                ``number_key`` (lead issuer + 文号) is unique
- ``counters``  last 文号 sequence per issuer and year, ``_id`` = ``issuer:year``
- ``inbox``     one entry per notice and recipient hosted here, ``_id`` = ``notice:unit``
- ``receipts``  acknowledgements of notices issued here, ``_id`` = ``notice:unit``
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared import outbox
from shared.errors import Conflict
from shared.schemas import NoticeSnapshot, UnitRef
from shared.service import Service
from shared.storage import Index, insert_if_absent, insert_many_idempotent

INDEXES = [
    Index("units", [("parent_id", ASCENDING)]),
    Index("notices", [("number_key", ASCENDING)], unique=True),
    Index("notices", [("issuer_unit_id", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("unit_id", ASCENDING), ("issued_at", DESCENDING)]),
    Index("receipts", [("notice_id", ASCENDING)]),
]

MAX_NUMBER_ATTEMPTS = 100


def inbox_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


class NoticesRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

    @property
    def units(self):
        return self.svc.db["units"]

    @property
    def notices(self):
        return self.svc.db["notices"]

    @property
    def counters(self):
        return self.svc.db["counters"]

    @property
    def inbox(self):
        return self.svc.db["inbox"]

    @property
    def receipts(self):
        return self.svc.db["receipts"]

    # ------------------------------------------------------------ directory

    async def upsert_unit(self, doc: dict) -> None:
        await self.units.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def get_unit(self, unit_id: str) -> dict | None:
        return await self.units.find_one({"_id": unit_id})

    async def units_by_id(self, unit_ids: list[str]) -> dict[str, dict]:
        if not unit_ids:
            return {}
        return {d["_id"]: d async for d in self.units.find({"_id": {"$in": list(set(unit_ids))}})}

    async def list_units(self) -> list[dict]:
        return [d async for d in self.units.find({}).sort("_id", ASCENDING)]

    # ------------------------------------------------------------ notices

    async def insert_numbered(
        self,
        *,
        issuer_unit_id: str,
        year: int,
        manual_number: str | None,
        format_number: Callable[[int], str],
        build: Callable[[str], Awaitable[tuple[dict, list[dict]]] | tuple[dict, list[dict]]],
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
            await self.counters.update_one({"_id": counter_id}, {"$max": {"last": seq}}, upsert=True)
            return doc
        raise Conflict("无法分配文号，请稍后再试", field="doc_number", code="doc_number_exhausted")

    async def store_received(self, notice: NoticeSnapshot, received_at: datetime, kind: str) -> bool:
        """Keep the copy of a notice that arrived from another node (idempotent)."""
        doc = notice_document(notice, kind=kind, origin="received")
        doc["received_at"] = received_at
        return await insert_if_absent(self.notices, doc)

    async def issued_here(self, limit: int = 200) -> list[dict]:
        projection = {"doc_number": 1, "title": 1, "issuers": 1, "issued_at": 1, "recipients.unit_id": 1, "kind": 1}
        cursor = self.notices.find({"origin": "local"}, projection).sort("issued_at", DESCENDING).limit(limit)
        return [d async for d in cursor]

    async def get_notice(self, notice_id: str) -> dict | None:
        return await self.notices.find_one({"_id": notice_id}, {outbox.FIELD: 0})

    async def flush(self, doc: dict) -> None:
        await outbox.flush(self.svc, self.notices, doc["_id"], doc.get(outbox.FIELD, []))

    async def flush_pending(self) -> int:
        return await outbox.flush_pending(self.svc, self.notices)

    async def outbox_of(self, notice_id: str) -> list[dict]:
        doc = await self.notices.find_one({"_id": notice_id}, {outbox.FIELD: 1})
        return (doc or {}).get(outbox.FIELD, [])

    # ------------------------------------------------------------ inbox & receipts

    async def deliver_to_inbox(self, notice: NoticeSnapshot, units: list[UnitRef], kind: str, at: datetime) -> int:
        docs = [
            {
                "_id": inbox_id(notice.notice_id, u.unit_id),
                "notice_id": notice.notice_id,
                "unit_id": u.unit_id,
                "doc_number": notice.doc_number,
                "title": notice.title,
                "issuer_name": "、".join(i.name for i in notice.issuers),
                "kind": kind,
                "issued_at": notice.issued_at,
                "received_at": at,
                "acknowledged_at": None,
                "acknowledged_by": None,
            }
            for u in units
        ]
        return await insert_many_idempotent(self.inbox, docs)

    async def inbox_entry(self, notice_id: str, unit_id: str) -> dict | None:
        return await self.inbox.find_one({"_id": inbox_id(notice_id, unit_id)})

    async def inbox_for(self, unit_id: str, limit: int = 200) -> list[dict]:
        cursor = self.inbox.find({"unit_id": unit_id}).sort("issued_at", DESCENDING).limit(limit)
        return [d async for d in cursor]

    async def mark_acknowledged(self, notice_id: str, unit_id: str, at: datetime, by: str, pending: list[dict]) -> dict:
        """Set the receipt on the inbox entry, with its events in the same write."""
        entry_id = inbox_id(notice_id, unit_id)
        await self.inbox.update_one(
            {"_id": entry_id, "acknowledged_at": None},
            {"$set": {"acknowledged_at": at, "acknowledged_by": by, outbox.FIELD: pending}},
        )
        return await self.inbox.find_one({"_id": entry_id})

    async def flush_inbox(self, entry: dict) -> None:
        await outbox.flush(self.svc, self.inbox, entry["_id"], entry.get(outbox.FIELD, []))

    async def flush_pending_inbox(self) -> int:
        return await outbox.flush_pending(self.svc, self.inbox)

    async def record_receipt(self, notice_id: str, unit_id: str, unit_name: str, at: datetime, by: str) -> bool:
        return await insert_if_absent(
            self.receipts,
            {"_id": inbox_id(notice_id, unit_id), "notice_id": notice_id, "unit_id": unit_id,
             "unit_name": unit_name, "acknowledged_at": at, "acknowledged_by": by},
        )

    async def receipts_for(self, notice_id: str) -> list[dict]:
        return [d async for d in self.receipts.find({"notice_id": notice_id})]


def notice_document(notice: NoticeSnapshot, *, kind: str, origin: str) -> dict:
    doc = notice.model_dump(mode="python")
    doc["_id"] = doc.pop("notice_id")
    doc.update(
        kind=kind,
        origin=origin,
        issuer_unit_id=notice.issuers[0].unit_id,
        number_key=f"{notice.issuers[0].unit_id}:{notice.doc_number}",
        status="issued",
    )
    return doc


def snapshot_of(doc: dict) -> NoticeSnapshot:
    fields = {k: v for k, v in doc.items() if k in NoticeSnapshot.model_fields}
    return NoticeSnapshot.model_validate({**fields, "notice_id": doc["_id"]})
