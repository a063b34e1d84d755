"""Read models (database ``<node>_reports``), each a document fetched by ``_id``.

- ``notice_status``: per notice, its recipients and their receipts; ``_id`` = notice id.
"""

from shared.service import Service
from shared.storage import Index

INDEXES: list[Index] = []


class ReportsRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

    @property
    def notice_status(self):
        return self.svc.db["notice_status"]

    async def merge_status(self, notice_id: str, fields: dict) -> None:
        await self.notice_status.update_one({"_id": notice_id}, {"$set": fields}, upsert=True)

    async def status(self, notice_id: str) -> dict | None:
        return await self.notice_status.find_one({"_id": notice_id})
