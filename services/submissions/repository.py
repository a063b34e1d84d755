"""Submissions' storage (database ``<node>_submissions``).

- ``notices``: what this service keeps of each notice it saw (asks, issuer node, status); ``_id`` = notice id.
- ``expected``: one document per (notice, ask, unit) that owes a submission — the
  submission itself as it moves (pending → submitted → accepted / returned);
  ``_id`` = ``notice:ask:unit``. It carries the outbox of its review events.
- ``revisions``: the items of each revision, insert-only, with the outbox of the event that
  submitted it; ``_id`` = ``<submission>:<revision>``.
- ``schedule``: per (notice, ask) issued here, which automatic reminders went out.
- ``reminders``: one document per reminder or 催办 sent, carrying its events (outbox).

Hot paths read by ``_id``. Listings (a unit's submissions, a reviewer's queue)
filter, which FerretDB v1 answers with a scan; the indexes serve MongoDB.
"""

from pymongo import ASCENDING

from shared import outbox
from shared.service import Service
from shared.storage import DocumentLocks, Index, insert_if_absent, insert_many_idempotent

from . import domain

INDEXES = [
    Index("expected", [("notice_id", ASCENDING)]),
    Index("expected", [("unit_id", ASCENDING), ("deadline", ASCENDING)]),
    Index("expected", [("to_unit_id", ASCENDING), ("status", ASCENDING)]),
    Index("expected", [("status", ASCENDING), ("deadline", ASCENDING)]),
    Index("schedule", [("done", ASCENDING), ("deadline", ASCENDING)]),
]


def revision_id(submission_id: str, revision: int) -> str:
    return f"{submission_id}:{revision}"


class SubmissionsRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service
        # Events for one submission (a local fact and its copy, a review) may be handled
        # concurrently; FerretDB's unisolated updates would lose one (docs/development.md).
        self.locks = DocumentLocks()

    def __getattr__(self, name: str):
        if name in ("notices", "expected", "revisions", "schedule", "reminders"):
            return self.svc.db[name]
        raise AttributeError(name)

    # ------------------------------------------------------------ notices

    async def remember_notice(self, doc: dict) -> None:
        await insert_if_absent(self.notices, doc)

    async def get_notice(self, notice_id: str) -> dict | None:
        return await self.notices.find_one({"_id": notice_id})

    async def update_notice(self, notice_id: str, fields: dict, *, revision: int | None = None) -> bool:
        """``$set`` on the notice; with ``revision``, only over an older one (a late 更正 cannot undo a newer)."""
        async with self.locks.hold(notice_id):
            doc = await self.get_notice(notice_id)
            if doc is None or (revision is not None and doc.get("revision", 1) >= revision):
                return False
            await self.notices.update_one({"_id": notice_id}, {"$set": fields})
            return True

    # ------------------------------------------------------------ expected submissions

    async def expect(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.expected, docs)

    async def get(self, submission_id: str) -> dict | None:
        return await self.expected.find_one({"_id": submission_id})

    async def advance(self, submission_id: str, revision: int, stage: int, fields: dict, *,
                      events: list[dict] = (), base: dict | None = None) -> dict | None:
        """Move a submission to (revision, stage) if that is ahead of where it is; returns the new document.

        ``events`` are outbox entries written in the same update. ``base`` creates
        the document if it is missing (a copy whose notice this node never saw).
        """
        async with self.locks.hold(submission_id):
            doc = await self.get(submission_id)
            if not domain.applies(doc, revision, stage):
                return None
            update: dict = {"$set": fields}
            if events:
                update["$push"] = {outbox.FIELD: {"$each": list(events)}}
            if doc is None:
                if base is None:
                    return None
                await insert_if_absent(self.expected, {**base, **fields, outbox.FIELD: list(events)})
            else:
                await self.expected.update_one({"_id": submission_id}, update)
            return await self.get(submission_id)

    async def set_fields(self, submission_id: str, fields: dict) -> None:
        async with self.locks.hold(submission_id):
            await self.expected.update_one({"_id": submission_id}, {"$set": fields})

    async def update_for_notice(self, notice_id: str, fields: dict, ask_id: str | None = None) -> None:
        query = {"notice_id": notice_id, **({"ask_id": ask_id} if ask_id else {})}
        await self.expected.update_many(query, {"$set": fields})

    async def for_notice(self, notice_id: str) -> list[dict]:
        return [d async for d in self.expected.find({"notice_id": notice_id}, {outbox.FIELD: 0}).sort("_id", ASCENDING)]

    async def for_unit(self, unit_id: str) -> list[dict]:
        docs = [d async for d in self.expected.find({"unit_id": unit_id}, {outbox.FIELD: 0})]
        return sorted(docs, key=lambda d: (d["deadline"], d["_id"]))

    async def routed_to(self, unit_id: str, *, notice_id: str | None = None, status: str | None = None) -> list[dict]:
        query: dict = {"to_unit_id": unit_id, "status": status or {"$ne": "pending"}}
        if notice_id:
            query["notice_id"] = notice_id
        docs = [d async for d in self.expected.find(query, {outbox.FIELD: 0})]
        return sorted(docs, key=lambda d: (d.get("submitted_at") or d["deadline"]), reverse=True)

    async def flush(self, collection, doc_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, collection, doc_id, events)

    async def flush_pending(self) -> int:
        return sum([await outbox.flush_pending(self.svc, self.svc.db[name])
                    for name in ("expected", "revisions", "reminders")])

    # ------------------------------------------------------------ revisions

    async def add_revision(self, doc: dict) -> bool:
        return await insert_if_absent(self.revisions, doc)

    async def revisions_of(self, submission_id: str, upto: int) -> list[dict]:
        """Each revision looked up by ``_id`` (fast on FerretDB); a copy may miss some it never received."""
        out = []
        for n in range(1, upto + 1):
            doc = await self.revisions.find_one({"_id": revision_id(submission_id, n)})
            if doc is not None:
                out.append(doc)
        return out

    async def revision(self, submission_id: str, n: int) -> dict | None:
        return await self.revisions.find_one({"_id": revision_id(submission_id, n)})

    # ------------------------------------------------------------ reminders

    async def schedule_asks(self, docs: list[dict]) -> None:
        await insert_many_idempotent(self.schedule, docs)

    async def reschedule(self, notice_id: str, fields: dict, ask_id: str | None = None) -> None:
        query = {"notice_id": notice_id, **({"ask_id": ask_id} if ask_id else {})}
        await self.schedule.update_many(query, {"$set": fields})

    async def open_schedule(self) -> list[dict]:
        return [d async for d in self.schedule.find({"done": False})]

    async def mark_sent(self, schedule_id: str, key: str, *, done: bool) -> None:
        await self.schedule.update_one({"_id": schedule_id}, {"$addToSet": {"sent": key}, "$set": {"done": done}})

    async def add_reminder(self, doc: dict) -> bool:
        return await insert_if_absent(self.reminders, doc)

    async def get_reminder(self, reminder_id: str) -> dict | None:
        return await self.reminders.find_one({"_id": reminder_id})
