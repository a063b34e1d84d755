"""The notifications database (``<node>_notifications``).

- ``deliveries``  the delivery log: one document per message to send, ``_id`` from the cause event, with where
                  it stands (``status``: pending, retrying, sent, failed, skipped; ``error``, ``attempts``,
                  ``sent_at``). Inserted once, then moved on by conditional updates that only ever leave
                  pending/retrying, so a job handled twice (by two replicas, or after a crash) cannot undo an
                  outcome.
- ``delivery_counts`` how many deliveries of one notice, cause and channel are in each status,
                  ``_id`` = ``<notice>|<cause>|<channel>``: the issuer's notice page reads these few documents,
                  never the thousands of deliveries of a big notice (see ``recount``)
- ``send_jobs``   sending jobs met, ``_id`` = job id, with how many times one was attempted
- ``settings``    the node's channel settings: one document, ``_id`` = ``channels``
- ``templates``   message templates the admin changed, ``_id`` = ``<cause>:<channel>`` (absent: the default)
- ``contacts``    read model: a unit's name, node and contacts, ``_id`` = unit id, from the recipients of
                  notice events this node sees (deadline and return events name units, not contacts)
- ``notices``     read model: title, 文号, lead issuer and asks of each notice, ``_id`` = notice id

Every write here is safe with several replicas of the service on one store: inserts with deterministic
``_id``s, and updates whose filter says what they replace (a revision, a snapshot time, a status, a version),
so two processes cannot interleave a read and a write of one document.
"""

import copy
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.bus import RetryLater
from shared.paging import PageQuery, Segment, read_page
from shared.schemas import UnitRef
from shared.service import Service
from shared.storage import DUPLICATE_KEY, Index, insert_if_absent, insert_many_idempotent

from . import domain

# The log of one notice is read a page at a time by ``_id`` (cause event, then unit), with one of the filters
# a clerk uses; the counts are taken per notice, cause, channel and status.
INDEXES = [
    Index("deliveries", [("notice_id", ASCENDING), ("_id", ASCENDING)]),
    Index("deliveries", [("notice_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)]),
    Index("deliveries", [("notice_id", ASCENDING), ("channel", ASCENDING), ("_id", ASCENDING)]),
    Index("deliveries", [("notice_id", ASCENDING), ("reason", ASCENDING), ("_id", ASCENDING)]),
    Index("deliveries", [("notice_id", ASCENDING), ("unit_id", ASCENDING), ("_id", ASCENDING)]),
    Index(
        "deliveries", [("notice_id", ASCENDING), ("reason", ASCENDING), ("channel", ASCENDING), ("status", ASCENDING)]
    ),
    Index("delivery_counts", [("notice_id", ASCENDING)]),
]
CHANNELS_ID = "channels"
OPEN = ["pending", "retrying"]  # a delivery in these may still move; the others are its outcome
RECOUNT_TRIES = 10
# Channel settings and templates are read by every event that makes deliveries (two reads of the ~25 a notice costs
# the node) and change when an admin saves them: kept this long in each process, dropped at once by a save made
# through it. Another replica sees a save within this time.
SETTINGS_KEPT_S = 2.0


async def _put(collection, doc: dict) -> None:
    """Store the whole document (the last save wins, as the admin expects). Two first saves at once (two
    replicas) may both try the insert: the one that loses gets a duplicate key and replaces what the other made."""
    try:
        await collection.replace_one({"_id": doc["_id"]}, doc, upsert=True)
    except DuplicateKeyError:
        await collection.replace_one({"_id": doc["_id"]}, doc, upsert=True)


def counts_doc(notice_id: str, cause: str, channel: str, counts: dict[str, int], skipped: str, version: int) -> dict:
    """A ``delivery_counts`` document but its ``_id``."""
    return {
        "notice_id": notice_id,
        "cause": cause,
        "channel": channel,
        "counts": counts,
        "skipped_reason": skipped,
        "version": version,
    }


class Kept:
    """Values read from the store, kept ``ttl`` seconds; ``drop`` forgets them all (a read in flight while a
    save drops them is not kept: it may hold what the save replaced)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.values: dict[str, tuple[float, Any]] = {}
        self.generation = 0

    async def get(self, key: str, read: Callable[[], Awaitable[Any]]) -> Any:
        hit = self.values.get(key)
        if hit is None or hit[0] <= time.monotonic():
            generation = self.generation
            value = await read()
            if generation == self.generation:
                self.values[key] = (time.monotonic() + self.ttl, value)
            return copy.deepcopy(value)
        return copy.deepcopy(hit[1])

    def drop(self) -> None:
        self.generation += 1
        self.values.clear()

    async def saving[T](self, write: Awaitable[T]) -> T:
        """A write of what is kept: dropped before (a read in flight is not kept) and after (nor one made meanwhile)."""
        self.drop()
        try:
            return await write
        finally:
            self.drop()


class DeliveriesRepository:
    def __init__(self, service: Service, settings_kept_s: float = SETTINGS_KEPT_S) -> None:
        self.svc = service
        self.kept = Kept(settings_kept_s)

    @property
    def db(self):
        return self.svc.db

    @property
    def deliveries(self):
        return self.db["deliveries"]

    @property
    def counts(self):
        return self.db["delivery_counts"]

    # ------------------------------------------------------------ deliveries

    async def record(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.deliveries, docs)

    async def page(
        self,
        notice_id: str,
        pq: PageQuery,
        *,
        channel: str | None = None,
        status: str | None = None,
        cause: str | None = None,
        unit_id: str | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        """A page of a notice's delivery log in ``_id`` order, filtered; counted (a notice bounds it)."""
        query = {"notice_id": notice_id}
        for field, value in (("status", status), ("channel", channel), ("reason", cause), ("unit_id", unit_id)):
            if value:
                query[field] = value
        return await read_page(self.deliveries, [Segment(query, [("_id", ASCENDING)], count=True)], pq)

    async def of_status(self, notice_id: str, status: str, limit: int) -> list[dict]:
        cursor = self.deliveries.find({"notice_id": notice_id, "status": status}).sort("_id", ASCENDING).limit(limit)
        return [d async for d in cursor]

    async def first(self, delivery_id: str) -> dict | None:
        return await self.deliveries.find_one({"_id": delivery_id}, {"notice_id": 1, "reason": 1, "channel": 1})

    # ------------------------------------------------------------ sending

    async def attempt(self, job_id: str) -> int:
        """Count one attempt at a job and return which it is (1: the job is met for the first time).

        ``$inc`` is right here, unlike for events: every run of the handler is an attempt, a redelivery too.
        """
        for _ in range(2):
            try:
                doc = await self.db["send_jobs"].find_one_and_update(
                    {"_id": job_id}, {"$inc": {"attempts": 1}}, upsert=True, return_document=ReturnDocument.AFTER
                )
                return doc["attempts"]
            except DuplicateKeyError:  # two replicas made the job's document at once: count on the one made
                continue
        raise RetryLater(f"could not count an attempt at {job_id}")

    async def decided(self, delivery_ids: list[str]) -> set[str]:
        return {
            d["_id"]
            async for d in self.deliveries.find({"_id": {"$in": delivery_ids}, "status": {"$nin": OPEN}}, {"_id": 1})
        }

    async def settle(self, changes: dict[str, dict]) -> None:
        """Move deliveries on (delivery id → fields with their new ``status``), each only from pending or
        retrying: an outcome once recorded stays, whoever handles the job again."""
        if changes:
            await self.deliveries.bulk_write(
                [UpdateOne({"_id": i, "status": {"$in": OPEN}}, {"$set": fields}) for i, fields in changes.items()],
                ordered=False,
            )

    # ------------------------------------------------------------ counts

    async def recount(self, notice_id: str, cause: str, channel: str) -> dict:
        """Count the deliveries of a notice, cause and channel per status into their ``delivery_counts`` document.

        Why counts are kept, and how: the issuer's notice page shows them on every view, and a notice to
        thousands of units has thousands of deliveries per channel, so the page reads these small documents
        instead. A number kept with ``$inc`` would count a redelivered job twice, so what moves deliveries
        (recording them, a sending job) has what it touched recounted (soon after, coalesced: recounts.py), by
        ``count_documents`` on an indexed equality (notice, cause, channel, status; cheap on the store and on
        MongoDB), and the counts are written guarded by the document's ``version``: a write made from counts
        taken before another write landed finds the version moved on and counts again, so the last write holds
        counts taken after every change before it. A recount lost to a crash is made by the summary's next view,
        which checks the counts before it trusts them (``handlers.deliveries_summary``).
        """
        _id = domain.counts_id(notice_id, cause, channel)
        for _ in range(RECOUNT_TRIES):
            stored = await self.counts.find_one({"_id": _id}, {"version": 1})
            version = stored["version"] if stored else 0
            counts, skipped = await self.count(notice_id, cause, channel)
            doc = counts_doc(notice_id, cause, channel, counts, skipped, version + 1)
            try:
                if stored is None:
                    await self.counts.insert_one({"_id": _id, **doc})
                    return doc
                # $set, not a replacement: the count of links opened (``read``, reach_store.py) is kept beside.
                if (await self.counts.update_one({"_id": _id, "version": version}, {"$set": doc})).matched_count:
                    return doc
            except DuplicateKeyError:
                pass  # another writer made the document first: count again against it
        raise RetryLater(f"delivery counts {_id} kept changing while being recounted")

    async def count_recorded(self, docs: list[dict]) -> set[str]:
        """The first counts of a cause's deliveries, taken from the documents just recorded (every one of them
        new) instead of read back: one insert for all their channels. Returns the channels counted so.

        Sound because counts inserted here are version 1 and only where none are kept yet: the deliveries can
        only have moved since by a sending job, which has them recounted afterwards (``recount``, which finds
        this version and counts again). Where counts are kept already (a notice in parts, an escalation round)
        the insert fails and the caller has the channel recounted as before."""
        groups: dict[tuple[str, str, str], list[dict]] = {}
        for doc in docs:
            if doc.get("notice_id") and doc.get("reason"):
                groups.setdefault((doc["notice_id"], doc["reason"], doc["channel"]), []).append(doc)
        if not groups:
            return set()
        keys = list(groups)
        firsts = [
            {"_id": domain.counts_id(*key), **counts_doc(*key, *domain.tally(group), version=1)}
            for key, group in groups.items()
        ]
        try:
            await self.counts.insert_many(firsts, ordered=False)
            return {channel for _, _, channel in keys}
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = {e["index"] for e in errors}
            return {keys[i][2] for i in range(len(keys)) if i not in taken}

    async def count(self, notice_id: str, cause: str, channel: str) -> tuple[dict[str, int], str]:
        """Deliveries of a notice, cause and channel per status, and why the skipped ones were not sent."""
        base = {"notice_id": notice_id, "reason": cause, "channel": channel}
        # One grouped read, not a count per status: a notice's first recount was 5 store round trips a channel.
        pipeline = [{"$match": base}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        found = {g["_id"]: g["n"] async for g in await self.deliveries.aggregate(pipeline)}
        counts = {s: int(found.get(s, 0)) for s in domain.STATUS_LABELS}
        skipped = ""
        if counts["skipped"]:
            one = await self.deliveries.find_one({**base, "status": "skipped"}, {"error": 1})
            skipped = (one or {}).get("error") or ""
        return counts, skipped

    async def counted(self, notice_id: str) -> list[dict]:
        return [d async for d in self.counts.find({"notice_id": notice_id})]

    async def total(self, notice_id: str) -> int:
        return await self.deliveries.count_documents({"notice_id": notice_id})

    async def pairs(self, notice_id: str) -> list[tuple[str, str]]:
        """The causes and channels a notice's deliveries were made for (to count those not counted yet)."""
        pipeline = [
            {"$match": {"notice_id": notice_id}},
            {"$group": {"_id": {"cause": "$reason", "channel": "$channel"}}},
        ]
        return [(g["_id"]["cause"], g["_id"]["channel"]) async for g in await self.deliveries.aggregate(pipeline)]

    # ------------------------------------------------------------ settings and templates

    async def channels(self) -> dict | None:
        return await self.kept.get(CHANNELS_ID, lambda: self.db["settings"].find_one({"_id": CHANNELS_ID}))

    async def save_channels(self, doc: dict) -> None:
        await self.kept.saving(_put(self.db["settings"], {**doc, "_id": CHANNELS_ID}))

    async def templates(self) -> dict[str, dict]:
        return {d["_id"]: d async for d in self.db["templates"].find({})}

    async def templates_of(self, cause: str) -> dict[str, dict]:
        """The templates of a cause the admin changed, by channel (what the deliveries of an event are made with)."""
        ids = [f"{cause}:{c}" for c in domain.CHANNELS]

        async def read() -> dict[str, dict]:
            return {d["_id"].split(":", 1)[1]: d async for d in self.db["templates"].find({"_id": {"$in": ids}})}

        return await self.kept.get(f"templates:{cause}", read)

    async def template(self, cause: str, channel: str) -> dict | None:
        return await self.db["templates"].find_one({"_id": f"{cause}:{channel}"})

    async def save_template(self, doc: dict) -> None:
        await self.kept.saving(_put(self.db["templates"], doc))

    async def delete_template(self, cause: str, channel: str) -> bool:
        deleted = await self.kept.saving(self.db["templates"].delete_one({"_id": f"{cause}:{channel}"}))
        return deleted.deleted_count > 0

    # ------------------------------------------------------------ read models

    async def remember_units(self, units: list[UnitRef], as_of: datetime) -> None:
        """Keep each unit's latest contacts; an older snapshot arriving late changes nothing.

        One read of what is stored (fingerprints only) tells which units are new or changed; most notices
        go to units already known with the same contacts, and those cost no write. New units are one
        ``insert_many``; a changed one is replaced only if what is stored is not newer (the filter says so,
        so two replicas with two snapshots leave the newer, whatever their order). Nothing is remembered in
        the process: another replica may have changed a unit since.
        """
        fresh = {u.unit_id: domain.contact_doc(u, as_of) for u in units}
        if not fresh:
            return
        contacts = self.db["contacts"]
        stored = {
            d["_id"]: d
            async for d in contacts.find(
                {"_id": {"$in": list(fresh)}}, {"name": 1, "node_id": 1, "contacts": 1, "as_of": 1}
            )
        }
        new = [doc for unit_id, doc in fresh.items() if unit_id not in stored]
        if new:
            try:
                await contacts.insert_many(new, ordered=False)
            except BulkWriteError as exc:  # another replica inserted some at the same time: replace those below
                if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                    raise
                for e in exc.details.get("writeErrors", []):
                    stored[new[e["index"]]["_id"]] = {}
        for unit_id, old in stored.items():
            doc = fresh[unit_id]
            if old and domain.contact_fingerprint(
                old.get("name"), old.get("node_id"), old.get("contacts") or []
            ) == domain.contact_fingerprint(doc["name"], doc["node_id"], doc["contacts"]):
                continue
            await contacts.replace_one({"_id": unit_id, "$or": [{"as_of": {"$lte": as_of}}, {"as_of": None}]}, doc)

    async def units(self, unit_ids: list[str]) -> list[dict]:
        if not unit_ids:
            return []
        if len(unit_ids) == 1:
            doc = await self.db["contacts"].find_one({"_id": unit_ids[0]})
            return [doc] if doc else []
        found = {d["_id"]: d async for d in self.db["contacts"].find({"_id": {"$in": list(unit_ids)}})}
        return [found[u] for u in unit_ids if u in found]

    async def remember_notice(self, doc: dict) -> None:
        """A notice's title, 文号 and asks; a correction (higher revision) replaces them, an older one does not."""
        notices = self.db["notices"]
        if await insert_if_absent(notices, doc):
            return
        await notices.replace_one(
            {"_id": doc["_id"], "$or": [{"revision": {"$lt": doc["revision"]}}, {"revision": None}]}, doc
        )

    async def notice(self, notice_id: str) -> dict | None:
        return await self.db["notices"].find_one({"_id": notice_id})

    # ------------------------------------------------------------ data of an older version

    async def migrate(self) -> None:
        """Deliveries written before they carried their status (it was in ``outcomes`` and ``send_retries``):
        fold it in and count them, once. Idempotent: a crash half-way runs it again."""
        marks = self.db["migrations"]
        if await marks.find_one({"_id": "delivery_status"}) is not None:
            return
        pairs: set[tuple[str, str, str]] = set()
        batch: list[dict] = []
        async for d in self.deliveries.find(
            {"status": {"$exists": False}}, {"notice_id": 1, "reason": 1, "channel": 1, "job_id": 1}
        ):
            batch.append(d)
            if len(batch) == 500:
                pairs |= await self._fold(batch)
                batch = []
        pairs |= await self._fold(batch)
        async for d in self.deliveries.find(
            {"status": "skipped", "notice_id": {"$ne": None}}, {"notice_id": 1, "reason": 1, "channel": 1}
        ):
            pairs.add((d["notice_id"], d["reason"], d["channel"]))
        for notice_id, cause, channel in pairs:
            if not await self.counts.find_one({"_id": domain.counts_id(notice_id, cause, channel)}, {"_id": 1}):
                await self.recount(notice_id, cause, channel)
        await insert_if_absent(marks, {"_id": "delivery_status"})

    async def _fold(self, docs: Iterable[dict]) -> set[tuple[str, str, str]]:
        docs = list(docs)
        if not docs:
            return set()
        outcomes = {o["_id"]: o async for o in self.db["outcomes"].find({"_id": {"$in": [d["_id"] for d in docs]}})}
        jobs = list({d["job_id"] for d in docs if d.get("job_id")})
        retries = {r["_id"]: r async for r in self.db["send_retries"].find({"_id": {"$in": jobs}})} if jobs else {}
        changes = []
        for d in docs:
            outcome, retry = outcomes.get(d["_id"]), retries.get(d.get("job_id"))
            if outcome:
                fields = {
                    "status": outcome["status"],
                    "error": outcome.get("error", ""),
                    "sent_at": outcome["at"],
                    "attempts": outcome.get("attempts", 1),
                }
            elif retry:
                fields = {"status": "retrying", "error": retry["error"], "attempts": retry["attempts"]}
            else:
                fields = {"status": "pending"}
            changes.append(UpdateOne({"_id": d["_id"], "status": {"$exists": False}}, {"$set": fields}))
        await self.deliveries.bulk_write(changes, ordered=False)
        return {(d["notice_id"], d["reason"], d["channel"]) for d in docs if d.get("notice_id")}
