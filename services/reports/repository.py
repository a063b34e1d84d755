"""Read models (database ``<node>_reports``), each a document fetched by ``_id``.

- ``notice_status``: per notice, its recipients and their receipts; ``_id`` = notice id.
"""

from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.service import Service
from shared.storage import DocumentLocks, Index

INDEXES = [Index("notice_status", [("issuer_unit_id", ASCENDING), ("issued_at", ASCENDING)])]


class ReportsRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service
        self.locks = DocumentLocks()  # receipts and parts merge into one status document

    @property
    def notice_status(self):
        return self.svc.db["notice_status"]

    async def merge_status(self, notice_id: str, fields: dict) -> None:
        async with self.locks.hold(notice_id):
            try:
                await self.notice_status.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)
            except DuplicateKeyError:
                # Another process created the document between our find and insert: now it is an update.
                await self.notice_status.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)

    async def merge_if_newer(self, notice_id: str, revision: int, fields: dict) -> None:
        """A 更正 applies only over an older revision, so a late redelivery cannot undo a newer one."""
        async with self.locks.hold(notice_id):
            await self.notice_status.update_one(
                {"_id": notice_id, "$or": [{"revision": {"$lt": revision}}, {"revision": {"$exists": False}}]},
                {"$set": fields},
            )

    async def merge_submission(self, notice_id: str, ask_id: str, unit_id: str, part: str, revision: int,
                               fields: dict) -> bool:
        """Set a unit's ``submitted`` or ``reviewed`` part for an ask if ``revision`` is newer than the part's.

        The two parts are kept apart so that they commute: a decision handled
        before the submission it is about (one fetched batch runs concurrently)
        loses neither.
        """
        key = f"subs.{ask_id}.{unit_id}.{part}"
        async with self.locks.hold(notice_id):
            doc = await self.notice_status.find_one({"_id": notice_id}, {"subs": 1})
            current = ((doc or {}).get("subs", {}).get(ask_id, {}).get(unit_id) or {}).get(part) or {}
            if revision <= current.get("revision", 0):
                return False
            await self.notice_status.update_one({"_id": notice_id}, {"$set": {key: {**fields, "revision": revision}}},
                                                upsert=True)
            return True

    async def issued_by(self, unit_id: str, start: datetime, end: datetime) -> list[dict]:
        """The status documents of the notices a unit issued (as lead) in ``[start, end)``. A scan: a report."""
        query = {"issuer_unit_id": unit_id, "issued_at": {"$gte": start, "$lt": end}}
        return [doc async for doc in self.notice_status.find(query).sort("issued_at", ASCENDING)]

    async def status(self, notice_id: str) -> dict | None:
        return await self.notice_status.find_one({"_id": notice_id})
