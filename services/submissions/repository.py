"""Submissions' storage (database ``<node>_submissions``).

- ``expected``: one document per (notice, ask, unit) that owes a submission,
  ``_id`` = ``notice:ask:unit``; the restart-safe deadline schedule reads it.
"""

from pymongo import ASCENDING

from shared.service import Service
from shared.storage import Index, insert_many_idempotent

INDEXES = [
    Index("expected", [("notice_id", ASCENDING)]),
    Index("expected", [("status", ASCENDING), ("deadline", ASCENDING)]),
]


class SubmissionsRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

    @property
    def expected(self):
        return self.svc.db["expected"]

    async def expect(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.expected, docs)

    async def expected_for(self, notice_id: str) -> list[dict]:
        return [d async for d in self.expected.find({"notice_id": notice_id}).sort("_id", ASCENDING)]
