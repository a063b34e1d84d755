"""The delivery log (database ``<node>_notifications``), one document per message to send."""

from pymongo import ASCENDING

from shared.service import Service
from shared.storage import Index, insert_many_idempotent

INDEXES = [
    Index("deliveries", [("notice_id", ASCENDING)]),
    Index("deliveries", [("status", ASCENDING)]),
]


class DeliveriesRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

    @property
    def deliveries(self):
        return self.svc.db["deliveries"]

    async def record(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.deliveries, docs)

    async def for_notice(self, notice_id: str) -> list[dict]:
        return [d async for d in self.deliveries.find({"notice_id": notice_id}).sort("_id", ASCENDING)]
