"""Submissions' storage (database ``<node>_submissions``).

- ``notices``: what this service keeps of each notice it saw (asks, issuer node, status); ``_id`` = notice id.
- ``expected``: one document per (notice, ask, unit) that owes a submission — the
  submission itself as it moves (pending → submitted → accepted / returned);
  ``_id`` = ``notice:ask:unit``. It carries the outbox of its review events.
- ``revisions``: the items of each revision, insert-only, with the outbox of the event that
  submitted it; ``_id`` = ``<submission>:<revision>``.
- ``schedule``: per (notice, ask) issued here, which automatic reminders went out.
- ``reminders``: one document per reminder or 催办 sent, carrying its events (outbox).

Listings (报送: a unit's submissions; 审核: a reviewer's queue) are read a page
at a time by an indexed filter and sort; ``open`` and ``decided`` are the
booleans they page by (domain.listing_flags).

Every change of a submission is one conditional update: it applies only if
the document is behind it (``domain.applies``, written as a filter), so two
replicas handling events of one submission at once cannot both move it.
"""

import asyncio
from collections.abc import Sequence

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from shared import outbox
from shared.paging import PageQuery, Segment, read_page
from shared.service import Service
from shared.storage import Index, insert_if_absent, insert_many_idempotent, migrate_once

from . import domain

NEWEST = [("submitted_at", DESCENDING), ("_id", ASCENDING)]
# Submissions read per batch for the 汇总表, each batch's revisions looked up while the next is read.
TABLE_BATCH = 100

INDEXES = [
    Index("expected", [("notice_id", ASCENDING)]),
    Index("expected", [("unit_id", ASCENDING), ("open", ASCENDING), ("deadline", ASCENDING)]),
    # 审核: the filter (unit, this node as the issuer's, [notice | department], status or decided) and the sort
    # (newest first, then ``_id``), every key of it indexed: the page is read in index order and a segment's
    # size is a count of index entries (the default store counts by SQL only when every key is indexed).
    *(
        Index("expected", [("to_unit_id", ASCENDING), ("issuer_node", ASCENDING), *narrow, (flag, ASCENDING), *NEWEST])
        for narrow in ([], [("notice_id", ASCENDING)], [("queue", ASCENDING)])
        for flag in ("status", "decided")
    ),
    # 评选结果 of a notice: its commended submissions (``commended`` mirrors whether ``commendation`` is set).
    Index("expected", [("notice_id", ASCENDING), ("commended", ASCENDING)]),
    Index("schedule", [("done", ASCENDING), ("deadline", ASCENDING)]),
]

# The 审核 indexes before ``issuer_node`` was in them: its term was then matched document by document, and every
# page counted the whole queue that way. Dropped by ``upgrade``.
OLD_REVIEW_INDEXES = [
    "_".join(f"{k}_{d}" for k, d in keys)
    for narrow in ([], [("notice_id", 1)], [("queue", 1)])
    for keys in ([("to_unit_id", 1), *narrow, (flag, 1), ("submitted_at", -1)] for flag in ("status", "decided"))
]


def revision_id(submission_id: str, revision: int) -> str:
    return f"{submission_id}:{revision}"


class SubmissionsRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

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
        query: dict = {"_id": notice_id}
        if revision is not None:
            query["$or"] = [{"revision": {"$lt": revision}}, {"revision": {"$exists": False}}]
        return (await self.notices.update_one(query, {"$set": fields})).matched_count == 1

    # ------------------------------------------------------------ expected submissions

    async def expect(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.expected, docs)

    async def get(self, submission_id: str) -> dict | None:
        return await self.expected.find_one({"_id": submission_id})

    async def advance(
        self,
        submission_id: str,
        revision: int,
        stage: int,
        fields: dict,
        *,
        events: Sequence[dict] = (),
        base: dict | None = None,
    ) -> dict | None:
        """Move a submission to (revision, stage) if that is ahead of where it is; returns the new document.

        ``events`` are outbox entries written in the same update. ``base`` creates
        the document if it is missing (a copy whose notice this node never saw).
        """
        # domain.applies as a filter: the update and the test that it is ahead are one atomic write.
        behind = {
            "_id": submission_id,
            "$or": [{"revision": {"$lt": revision}}, {"revision": revision, "stage": {"$lt": stage}}],
        }
        update: dict = {"$set": fields}
        if events:
            update["$push"] = {outbox.FIELD: {"$each": list(events)}}
        doc = await self.expected.find_one_and_update(behind, update, return_document=ReturnDocument.AFTER)
        if doc is None and base is not None:
            if await insert_if_absent(self.expected, {**base, **fields, outbox.FIELD: list(events)}):
                return await self.get(submission_id)
            # Someone else created it meanwhile: now it is an update, if still ahead.
            doc = await self.expected.find_one_and_update(behind, update, return_document=ReturnDocument.AFTER)
        return doc

    async def reserve_items(self, target_id: str, unit_ids: list[str], *, limit: int | None, mode: str) -> bool:
        """Record that these source units' submissions go up as items of a level's own submission (直接上报,
        择优上报), in one conditional update: with ``limit``, only while the items held (sent and not returned
        by the level above: ``items_held``) stay within it. Its own submission is then answered (``open``
        false: not owed, not chased); ``items_sent`` keeps every source unit that ever went up."""
        query: dict = {"_id": target_id}
        if limit is not None:
            query[f"items_held.{limit - len(unit_ids)}"] = {"$exists": False}  # fewer than limit - n held
        update = {
            "$addToSet": {"items_sent": {"$each": unit_ids}, "items_held": {"$each": unit_ids}},
            "$set": {"upward": mode, "open": False},
        }
        return (await self.expected.update_one(query, update)).matched_count == 1

    async def release_item(self, target_id: str, unit_id: str) -> None:
        """The level above returned this source unit's item: it no longer counts against a 择优上报 limit."""
        await self.expected.update_one({"_id": target_id}, {"$pull": {"items_held": unit_id}})

    async def set_fields(self, submission_id: str, fields: dict) -> None:
        await self.expected.update_one({"_id": submission_id}, {"$set": fields})

    async def update_for_notice(self, notice_id: str, fields: dict, ask_id: str | None = None) -> None:
        query = {"notice_id": notice_id, **({"ask_id": ask_id} if ask_id else {})}
        await self.expected.update_many(query, {"$set": fields})

    async def for_notice(self, notice_id: str, ask_id: str | None = None) -> list[dict]:
        """Every submission owed for a notice (bounded by its recipients), or for one of its asks."""
        query = {"notice_id": notice_id, **({"ask_id": ask_id} if ask_id else {})}
        return [d async for d in self.expected.find(query, {outbox.FIELD: 0}).sort("_id", ASCENDING)]

    async def commended(self, notice_id: str) -> list[dict]:
        query = {"notice_id": notice_id, "commended": True}
        return [d async for d in self.expected.find(query, {outbox.FIELD: 0}).sort("_id", ASCENDING)]

    async def for_unit(self, unit_id: str, pq: PageQuery) -> tuple[list[dict], bool, int | None]:
        """报送: a page of what a unit of this node owes, the still-open first (soonest deadline first, counted:
        it is the work outstanding), then the rest (latest deadline first)."""
        base = {"unit_id": unit_id, "unit_node": self.svc.node}
        return await read_page(
            self.expected,
            [
                Segment({**base, "open": True}, [("deadline", ASCENDING), ("_id", ASCENDING)], count=True),
                Segment({**base, "open": False}, [("deadline", DESCENDING), ("_id", ASCENDING)]),
            ],
            pq,
            projection={outbox.FIELD: 0},
        )

    async def routed_to(
        self,
        unit_id: str,
        pq: PageQuery,
        *,
        notice_id: str | None = None,
        status: str | None = None,
        queues: list[str] | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        """审核: a page of the submissions routed to a unit of this node, those to review first (counted), then
        the decided, newest first; or only those of one status; ``queues``: only those of these departments
        (``domain.queue_of``)."""
        base: dict = {"to_unit_id": unit_id, "issuer_node": self.svc.node}
        if queues is not None:
            base["queue"] = queues[0] if len(queues) == 1 else {"$in": queues}
        if notice_id:
            base["notice_id"] = notice_id
        if status:
            segments = [Segment({**base, "status": status}, NEWEST, count=status == "submitted")]
        else:
            segments = [
                Segment({**base, "status": "submitted"}, NEWEST, count=True),
                Segment({**base, "decided": True}, NEWEST),
            ]
        return await read_page(self.expected, segments, pq, projection={outbox.FIELD: 0})

    async def flush(self, collection, doc_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, collection, doc_id, events)

    async def flush_pending(self) -> int:
        return sum(
            [await outbox.flush_pending(self.svc, self.svc.db[name]) for name in ("expected", "revisions", "reminders")]
        )

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

    async def with_latest(self, notice_id: str, ask_id: str) -> tuple[list[dict], dict[str, dict]]:
        """Every submission owed for an ask and each one's latest revision (the 汇总表), the two reads overlapped:
        each batch of submissions read has its revisions looked up while the next batch is read, so the store
        decodes the two collections on both cores instead of one after the other (a whole ask is ~300 + ~300
        documents of a few KB: most of the export's time)."""
        cursor = self.expected.find({"notice_id": notice_id, "ask_id": ask_id}, {outbox.FIELD: 0})
        docs: list[dict] = []
        lookups: list[asyncio.Task[dict[str, dict]]] = []
        batch: list[dict] = []
        async for doc in cursor.batch_size(TABLE_BATCH):
            docs.append(doc)
            batch.append(doc)
            if len(batch) == TABLE_BATCH:
                lookups.append(asyncio.create_task(self.latest_revisions(batch)))
                batch = []
        latest = await self.latest_revisions(batch)
        for found in await asyncio.gather(*lookups):
            latest |= found
        return docs, latest

    async def latest_revisions(self, docs: list[dict]) -> dict[str, dict]:
        """submission id → its latest revision, for many submissions in one read."""
        ids = [revision_id(d["_id"], d["revision"]) for d in docs if d.get("revision")]
        if not ids:
            return {}
        return {r["submission_id"]: r async for r in self.revisions.find({"_id": {"$in": ids}}, {outbox.FIELD: 0})}

    async def upgrade(self) -> bool:
        """Submissions stored before 报送 and 审核 were read page by page (a node upgraded in place), once."""

        async def run() -> None:
            async for doc in self.expected.find({"open": {"$exists": False}}, {"status": 1}):
                await self.expected.update_one({"_id": doc["_id"]}, {"$set": domain.listing_flags(doc["status"])})

        async def queues() -> None:
            async for doc in self.expected.find({"queue": {"$exists": False}}, {"department": 1}):
                await self.expected.update_one(
                    {"_id": doc["_id"]}, {"$set": {"queue": domain.queue_of(doc.get("department"))}}
                )

        async def review_indexes() -> None:
            names = set(await self.expected.index_information())
            for name in OLD_REVIEW_INDEXES:
                if name in names:
                    await self.expected.drop_index(name)

        async def commended() -> None:
            # Commended before ``commended`` was kept beside the commendation (the notice page reads by it).
            async for doc in self.expected.find({"commendation.category": {"$exists": True}}, {"_id": 1}):
                await self.expected.update_one({"_id": doc["_id"]}, {"$set": {"commended": True}})

        done = await migrate_once(self.svc.db, "paged_lists", run)
        done = await migrate_once(self.svc.db, "department_queues", queues) or done
        done = await migrate_once(self.svc.db, "review_indexes_by_node", review_indexes) or done
        return await migrate_once(self.svc.db, "commended_flag", commended) or done

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
