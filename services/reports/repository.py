"""Read models (database ``<node>_reports``): small documents, each changed by keyed ``$set``s.

- ``notice_status``: a notice's header, ``_id`` = notice id (domain.notice_fields: the notice's
  fields, asks, deadlines, status, chases, recipients per part). Never per-unit state.
- ``notice_units``: one document per (notice, recipient unit), ``_id`` = ``<notice_id>:<unit_id>``
  (domain.unit_fields): receipt, submitted/reviewed parts per ask, what the statistics need.
- ``notice_answers``: one document per (notice, unit, ask), ``_id`` = domain.answer_id: where the unit
  stands on the ask (domain.answer_docs), derived from its unit document each time that changes (``v``
  is the unit document's version), so that 报送情况 counts by index and reads one page of units.
- ``unit_statistics``: one row per (issuer unit, year, recipient unit), ``_id`` = domain.row_id: the sum
  of what that unit's ``notice_units`` of the issuer and year contribute (domain.contribution), kept by
  notice in ``statistics_row_parts`` (one small document per row and notice): an event writes its part,
  flagged ``pending`` (``count_into_rows``); what the flagged parts changed is added to their rows in the
  background and before any read of them (``sum_rows``), so summing costs what changed, not the year.
- ``leases``: which replica is summing statistics rows (``SUMMING``), so that a difference is added once;
  ``statistics_rounds``: a round of summing until the parts it added are marked (a few at most).
- ``migrations``: one-time start-up steps done (migration.py).

No in-process locks for events: every write is one single-document operation
(the store applies each atomically: MongoDB, and the default store since issue
10), so several replicas of the service may handle events at once. Summing
statistics rows is the exception: it adds differences, which two summers would
add twice, so one replica sums at a time (a lease) and one task in it (a lock). Where an older
event must not undo a newer one, the revision is in the write's filter and
the write is an upsert: ``DuplicateKeyError`` then means "the document is
there and not older" (``set_if``).
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateMany, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.paging import PageQuery, Segment, read_page
from shared.storage import DUPLICATE_KEY, Index

from . import domain

HEADERS, UNITS, ROWS, MIGRATIONS = "notice_status", "notice_units", "unit_statistics", "migrations"
# Summing statistics rows: which replica sums (``LEASES``), and each round until its parts are marked (``ROUNDS``).
LEASES, ROUNDS = "leases", "statistics_rounds"
# A statistics row's parts: one small document per (row, notice). (``statistics_parts`` held a row's parts in one
# document, rewritten whole by every event of any of its notices: 311 ms per write at 300 notices of a unit.)
ANSWERS, ROW_PARTS, OLD_ROW_PARTS = "notice_answers", "statistics_row_parts", "statistics_parts"

INDEXES = [
    # A notice's recipients (completeness, notice_status, a withdrawal): bounded by the notice.
    Index(UNITS, [("notice_id", ASCENDING)]),
    # A unit's notices of one issuer and year: what its statistics row is recomputed from.
    Index(UNITS, [("row", ASCENDING)]),
    # A statistics row's parts, one per notice: what the row is rebuilt from.
    Index(ROW_PARTS, [("row", ASCENDING)]),
    # Parts changed since their row last added them: few at any time.
    Index(ROW_PARTS, [("pending", ASCENDING)]),
    # 办理情况统计: an issuer's rows of a year, one page sorted by unit name (filter, then sort).
    Index(
        ROWS,
        [
            ("issuer_unit_id", ASCENDING),
            ("year", ASCENDING),
            ("listed", ASCENDING),
            ("name", ASCENDING),
            ("_id", ASCENDING),
        ],
    ),
    # 报送情况 of an ask: how many units stand where (a count each), a page of them in that order, how many late.
    Index(
        ANSWERS,
        [
            ("notice_id", ASCENDING),
            ("ask_id", ASCENDING),
            ("owed", ASCENDING),
            ("status", ASCENDING),
            ("unit_id", ASCENDING),
        ],
    ),
    Index(ANSWERS, [("notice_id", ASCENDING), ("ask_id", ASCENDING), ("owed", ASCENDING), ("late", ASCENDING)]),
    # How many notices the issuer sent that year, and how many of them were withdrawn (two counts).
    Index(HEADERS, [("issuer_unit_id", ASCENDING), ("year", ASCENDING)]),
    Index(HEADERS, [("issuer_unit_id", ASCENDING), ("year", ASCENDING), ("withdrawn", ASCENDING)]),
]

# How many single-document writes one event runs at once (fallback upserts, row refreshes): enough to
# overlap round trips, few enough not to crowd out the other consumers of the store.
CONCURRENCY = 16

# What a statistics row is recomputed from; the rest of a unit document is not needed.
ROW_INPUTS = {
    k: 1 for k in ("recipient", "withdrawn", "issued_at", "ack", "owes", "subs", "name", "kind", "notice_id", "v")
}


def older(path: str, revision: int, *, or_equal: bool = False) -> dict:
    """A filter that holds while the document's ``path`` is older than ``revision`` (or absent)."""
    return {"$or": [{path: {"$lte" if or_equal else "$lt": revision}}, {path: {"$exists": False}}]}


async def set_if(
    collection, doc_id: str, condition: Mapping[str, Any], fields: dict, *, versioned: bool = False
) -> dict | None:
    """``$set`` ``fields`` on ``doc_id`` if ``condition`` holds, creating the document if absent: one
    conditional upsert, so two writers cannot interleave a read and a write. The document after, or None when
    the condition did not hold.

    A ``DuplicateKeyError`` is the upsert finding the ``_id`` taken: the document is there and the condition
    fails, or another writer created it a moment ago. Without upsert the condition alone decides.
    ``versioned``: the write also adds one to the document's ``v`` (a unit document's version).
    """
    query = {"_id": doc_id, **condition}
    update: dict = {"$set": fields, **({"$inc": {"v": 1}} if versioned else {})}
    try:
        return await collection.find_one_and_update(query, update, upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:
        return await collection.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)


async def merge(collection, doc_id: str, fields: dict, *, versioned: bool = False) -> dict:
    """``$set`` ``fields`` on ``doc_id``, creating it if absent; the document after. ``versioned``: as set_if."""
    update: dict = {"$set": fields, **({"$inc": {"v": 1}} if versioned else {})}
    try:
        return await collection.find_one_and_update(
            {"_id": doc_id}, update, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:  # two writers created it at once (MongoDB retries that itself; not every store)
        return await collection.find_one_and_update(
            {"_id": doc_id}, update, upsert=True, return_document=ReturnDocument.AFTER
        )


async def _taken(write: Awaitable[Any], items: list) -> list:
    """Run an unordered bulk write of ``items``; those it refused because their ``_id`` was taken (any other
    error is raised)."""
    try:
        await write
        return []
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return [items[e["index"]] for e in errors]


async def _insert_new(collection, docs: list[dict]) -> list[dict]:
    """Insert the documents whose ``_id`` is free, at once; returns those already there."""
    return await _taken(collection.insert_many(docs, ordered=False), docs) if docs else []


async def _bulk_upserts(collection, updates: list[UpdateOne]) -> list[UpdateOne]:
    """Plain upserts in one bulk write; returns those refused because another writer created the document a
    moment before (MongoDB may; the default store applies concurrent upserts of one ``_id`` in turn)."""
    return await _taken(collection.bulk_write(updates, ordered=False), updates)


async def bounded(calls: Iterable[Awaitable[Any]], limit: int = CONCURRENCY) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[Any]) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


# A statistics row's part for one notice, kept small (a busy issuer sends hundreds of notices a year): the unit
# document's version and its contribution's numbers in this order, hours in hundredths, the issue as epoch ms.
PART_FIGURES = (*domain.ROW_FIGURES, "timed")
PART_HOURS, PART_ISSUED = len(PART_FIGURES), len(PART_FIGURES) + 1


def pack_part(c: dict, version: int) -> dict:
    issued = c.get("issued_at")
    numbers = [c[k] for k in PART_FIGURES] + [round(c["hours"] * 100), int(issued.timestamp() * 1000) if issued else 0]
    return {"v": version, "c": numbers}


# Parts added to their rows per read and per bulk write; batches per ``sum_rows`` (the rest waits for the next).
SUM_BATCH, SUM_BATCHES = 200, 50
# How long a replica may sum before another may take over (a summer that stopped holds it no longer than this).
SUMMING, LEASE_S, LEASE_POLL_S = "statistics", 30.0, 0.05
READ_WAIT_S = 3.0  # a read waits this long at most for another replica's round (then shows the rows as they are)
# What summing reads of a part.
PART_INPUTS = {k: 1 for k in ("row", "notice_id", "v", "c", "a", "name", "kind")}
SUMMED = len(PART_FIGURES) + 1  # the numbers of a part that add up: the figures, timed, hours (not the issue)


def part_id(row: str, notice_id: str) -> str:
    return f"{row}|{notice_id}"


def added(numbers: list[int] | None) -> list[int]:
    return list(numbers or [0] * SUMMED)[:SUMMED]


def with_part(sums: list[int], part: dict, before: list[int] | None) -> list[int]:
    """A row's sums with one part's numbers in place of ``before`` (what the row had of that part)."""
    return [s + c - b for s, c, b in zip(sums, added(part["c"]), added(before), strict=True)]


def named_key(part: dict) -> list | None:
    """A part that names the unit (its name as that notice named it), by the notice's issue: the latest names
    the row. None for a part that counts no notice (withdrawn) or keeps no name."""
    if part.get("name") is None or not part["c"][0]:  # c[0]: notices
        return None
    return [part["c"][PART_ISSUED], part["notice_id"]]


def row_fields(sums: list[int], namer: dict | None) -> dict:
    """A row's figures from its sums, named by its latest naming part."""
    row = domain.with_rates(
        dict(zip(domain.ROW_FIGURES, sums, strict=False)), timed=sums[PART_HOURS - 1], hours=sums[PART_HOURS] / 100
    )
    row["sums"] = sums
    if namer is not None:
        row.update(name=namer["name"], kind=namer.get("kind"), latest=named_key(namer))
    return row


log = logging.getLogger("cascade.reports")


class ReportsRepository:
    def __init__(self, source) -> None:
        """``source``: anything with a ``db`` (the Service, whose database exists only once started)."""
        self.source = source
        self._sum_lock = asyncio.Lock()
        self._token = secrets.token_hex(8)  # this replica, as the summing lease names its holder

    @property
    def db(self):
        return self.source.db

    @property
    def headers(self):
        return self.db[HEADERS]

    @property
    def units(self):
        return self.db[UNITS]

    @property
    def rows(self):
        return self.db[ROWS]

    @property
    def answers(self):
        return self.db[ANSWERS]

    @property
    def row_parts(self):
        return self.db[ROW_PARTS]

    @property
    def migrations(self):
        return self.db[MIGRATIONS]

    # ------------------------------------------------------------ headers

    async def set_notice(self, notice_id: str, revision: int, fields: dict, always: dict | None = None) -> bool:
        """The notice's fields from a snapshot of ``revision``, unless the header holds a newer one.

        Equal revisions apply again (every part of a 下发 carries the same
        fields), so each part's ``always`` fields (its recipient count) go in
        the same write; only under a newer revision are they written alone.
        """
        done = await set_if(
            self.headers, notice_id, older("revision", revision, or_equal=True), {**fields, **(always or {})}
        )
        if done is None and always:
            await merge(self.headers, notice_id, always)
        return done is not None

    async def merge_header(self, notice_id: str, fields: dict) -> None:
        await merge(self.headers, notice_id, fields)

    async def header(self, notice_id: str) -> dict | None:
        return await self.headers.find_one({"_id": notice_id})

    async def notices_of_year(self, unit_id: str, year: int) -> int:
        """How many notices ``unit_id`` issued (as lead) in ``year``, withdrawn ones left out: two indexed counts."""
        query = {"issuer_unit_id": unit_id, "year": year}
        return await self.headers.count_documents(query) - await self.headers.count_documents(
            {**query, "withdrawn": True}
        )

    # ------------------------------------------------------------ unit documents

    async def fan_out(self, docs: list[dict], ask_ids: list[str]) -> list[dict]:
        """A notice's unit documents from one snapshot: ``insert_many`` with their deterministic ``_id``s; those
        already there (a receipt came first, a redelivery, another revision) get the snapshot's fields by
        one conditional upsert each, if the snapshot is newer than what made them. Then each unit's answers
        to ``ask_ids`` (the snapshot's asks): inserted at once for new documents, derived one by one for the
        others (a 更正 may have changed which asks a unit owes). Returns the unit documents as they are now."""
        if not docs:
            return []
        docs = [{**d, "v": 1} for d in docs]
        try:
            await self.units.insert_many(docs, ordered=False)
            taken: list[dict] = []
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = [docs[e["index"]] for e in errors]
        made = {d["_id"] for d in taken}
        fresh = [a for d in docs if d["_id"] not in made for a in domain.answer_docs(d, ask_ids) if a["owed"]]
        await self.put_answers(await _insert_new(self.answers, fresh))  # any already there: by version
        if not taken:
            return docs
        fields = [{k: v for k, v in d.items() if k not in ("_id", "v")} for d in taken]
        after = await bounded(
            set_if(self.units, d["_id"], older("notice_rev", d["notice_rev"]), f, versioned=True)
            for d, f in zip(taken, fields, strict=True)
        )
        # Not newer (a redelivery, or a newer revision came first): derived again from what is there, in case
        # the delivery that wrote it stopped before its answers.
        stale = [d["_id"] for d, a in zip(taken, after, strict=True) if a is None]
        current = [a for a in after if a is not None]
        if stale:
            current += [d async for d in self.units.find({"_id": {"$in": stale}})]
        await self.put_answers([a for u in current for a in domain.answer_docs(u, ask_ids)])
        return [d for d in docs if d["_id"] not in made] + current

    async def put_answers(self, answers: list[dict]) -> None:
        """Each answer unless one derived from a newer version of its unit document is there already."""
        await bounded(
            set_if(self.answers, a["_id"], older("v", a["v"]), {k: v for k, v in a.items() if k != "_id"})
            for a in answers
        )

    async def merge_unit(self, notice_id: str, unit_id: str, fields: dict) -> dict:
        """Keyed ``$set`` on a unit's document (created if the notice has not arrived yet); the document after."""
        return await merge(
            self.units,
            domain.unit_doc_id(notice_id, unit_id),
            {"notice_id": notice_id, "unit_id": unit_id, **fields},
            versioned=True,
        )

    async def merge_part(
        self,
        notice_id: str,
        ask_id: str,
        unit_id: str,
        part: str,
        revision: int,
        fields: dict,
        *,
        item_of: str | None = None,
    ) -> tuple[bool, dict]:
        """Set a unit's ``submitted`` or ``reviewed`` part for an ask if ``revision`` is newer than the part's;
        with ``item_of``, the part of its item from that source unit (直接上报, 择优上报: ``up.<source>``).

        The two parts are kept apart so that they commute: a decision handled
        before the submission it is about loses neither. One conditional
        upsert: two replicas handling two revisions cannot interleave. Returns
        whether it applied, and the document.
        """
        entry = f"subs.{ask_id}.up.{item_of}" if item_of else f"subs.{ask_id}"
        doc_id, key = domain.unit_doc_id(notice_id, unit_id), f"{entry}.{part}"
        doc = await set_if(
            self.units,
            doc_id,
            older(f"{key}.revision", revision),
            {"notice_id": notice_id, "unit_id": unit_id, key: {**fields, "revision": revision}},
            versioned=True,
        )
        applied = doc is not None
        if doc is None:  # not newer: derived again all the same (the delivery that wrote it may have stopped)
            doc = await self.units.find_one({"_id": doc_id}) or {}
        if doc:
            await self.put_answers(domain.answer_docs(doc, [ask_id]))
        return applied, doc

    async def mark_withdrawn(self, notice_id: str, unit_ids: list[str]) -> list[dict]:
        """Each unit's document says so, created if need be: a 下发 handled later keeps the mark (its fallback
        sets only the notice's fields), so the order of the two does not matter. The documents after."""
        return await bounded(self.merge_unit(notice_id, u, {"withdrawn": True}) for u in unit_ids)

    async def units_of(self, notice_id: str, projection: Mapping[str, Any] | None = None) -> list[dict]:
        """Every unit document of one notice (by the indexed ``notice_id``): bounded by its recipients."""
        return [d async for d in self.units.find({"notice_id": notice_id}, projection)]

    async def ask_answers(self, notice_id: str, ask_id: str, pq: PageQuery) -> tuple[dict[str, int], int, list[dict]]:
        """报送情况 of one ask: how many owing units stand where, how many submitted late, and page ``pq`` of the
        units (pending first, then returned, submitted, accepted; each by unit id). Counts on the index and one
        page of documents, whatever the number of recipients."""
        owed = {"notice_id": notice_id, "ask_id": ask_id, "owed": True}
        counts = {s: await self.answers.count_documents({**owed, "status": s}) for s in domain.ANSWER_ORDER}
        late = await self.answers.count_documents({**owed, "late": True})
        by_unit = [("unit_id", ASCENDING)]
        segments = [Segment({**owed, "status": s}, by_unit, size=counts[s]) for s in domain.ANSWER_ORDER]
        units, _, _ = await read_page(self.answers, segments, pq)
        return counts, late, units

    async def derive_answers(self, notice_id: str, ask_ids: list[str]) -> None:
        """Every unit's answers of a notice derived afresh from the unit documents (data made before answers)."""
        await self.put_answers([a for u in await self.units_of(notice_id) for a in domain.answer_docs(u, ask_ids)])

    # ------------------------------------------------------------ statistics rows

    async def count_into_rows(self, docs: Iterable[dict]) -> None:
        """Bring the statistics rows of these unit documents (each as it is after a change) up to date.

        A row is the sum of what each of its unit documents contributes (``domain.contribution``), one small part
        document per notice (``ROW_PARTS``): a change writes its document's part, flagged ``pending``, unless a
        part from a newer version of that document is there already. Rows take in their pending parts once for
        many events, in the background and before any read of them (``sum_rows``). An event writes a few hundred
        bytes; a redelivered one changes nothing (its part is not older).
        """
        docs = [d for d in docs if d.get("row") and d.get("notice_id")]
        if not docs:
            return
        # Many at once (a notice's part names hundreds of units): two bulk writes, not two round trips per unit.
        parts = []
        for doc in docs:
            part = pack_part(domain.contribution(doc), doc.get("v", 0))
            parts.append(
                {
                    "_id": part_id(doc["row"], doc["notice_id"]),
                    "row": doc["row"],
                    "notice_id": doc["notice_id"],
                    **part,
                    "name": doc.get("name"),
                    "kind": doc.get("kind"),
                    "pending": True,
                }
            )
        # New parts inserted at once; those already there replaced where this one is newer (no upsert: a bulk
        # whose conditional upsert fails is answered by the default store without the counts PyMongo reads).
        there = await _insert_new(self.row_parts, parts)
        newer = [UpdateOne({"_id": p["_id"], **older("v", p["v"])}, {"$set": p}) for p in there]
        if newer:
            await self.row_parts.bulk_write(newer, ordered=False)

    async def sum_rows(self, wait: float = 0.0) -> int:
        """Add to the statistics rows what their parts changed since they last did (``pending``); how many parts.

        It costs what changed, not the year: a row keeps its sums (``sums``) and each part what its row has of it
        (``a``), so a changed part adds its difference and nothing else is read. A batch at a time: the pending
        parts, their rows, the rows written with their new sums, the parts marked as added (``_apply``). A summer
        that stopped between the rows and the parts left its round behind, and the next one first finishes it
        (``_finish``): a difference is added once, never lost.
        ``wait``: seconds to wait for another summer (a read wants the rows up to date), else give up at once."""
        async with self.summing(wait) as held:
            if not held:
                return 0
            await self._finish()
            count = 0
            for _ in range(SUM_BATCHES):
                parts = [p async for p in self.row_parts.find({"pending": True}, PART_INPUTS).limit(SUM_BATCH)]
                if not parts:
                    break
                await self._add(parts)
                count += len(parts)
                if len(parts) < SUM_BATCH:
                    break
                await self._take_lease()  # held for one more batch
            return count

    @contextlib.asynccontextmanager
    async def summing(self, wait: float = 0.0) -> AsyncIterator[bool]:
        """Whether this task may add to statistics rows: one task of this process at a time (a lock) and one
        replica of the service (the ``SUMMING`` lease, held for one round). ``wait``: seconds to try for it."""
        async with self._sum_lock:
            held, give_up = await self._take_lease(), time.monotonic() + wait
            while not held and time.monotonic() < give_up:
                await asyncio.sleep(LEASE_POLL_S)
                held = await self._take_lease()
            try:
                yield held
            finally:
                if held:
                    await self.db[LEASES].update_one({"_id": SUMMING, "holder": self._token}, {"$set": {"until": 0}})

    async def _take_lease(self) -> bool:
        """Take or renew the summing lease: free, run out (its holder stopped), or ours already. Wall-clock time:
        the replicas of one node share the machine's clock."""
        now = time.time()
        free = {"_id": SUMMING, "$or": [{"until": {"$lt": now}}, {"holder": self._token}]}
        try:
            await self.db[LEASES].update_one(
                free, {"$set": {"holder": self._token, "until": now + LEASE_S}}, upsert=True
            )
            return True
        except DuplicateKeyError:  # held by another replica: the upsert found its _id taken
            return False

    async def _add(self, parts: list[dict]) -> None:
        """Add a batch of pending parts to their rows. A row is named by its latest naming part (named_key); if
        that part stops counting (its notice withdrawn), the row is summed again from all its parts."""
        by_row: dict[str, list[dict]] = {}
        for part in parts:
            by_row.setdefault(part["row"], []).append(part)
        rows = {r["_id"]: r async for r in self.rows.find({"_id": {"$in": list(by_row)}}, {"sums": 1, "latest": 1})}
        writes, again = [], []
        for row_id, taken in by_row.items():
            row = rows.get(row_id, {"sums": added(None)})
            sums, latest, namer = row.get("sums"), row.get("latest"), None
            for part in taken:
                unnamed = latest is not None and latest[1] == part["notice_id"] and named_key(part) is None
                if sums is None or unnamed:  # a row from before sums were kept, or one losing its name
                    break
                sums = with_part(sums, part, part.get("a"))
                key = named_key(part)
                if key is not None and (latest is None or key >= latest):
                    latest, namer = key, part
            else:
                writes.append((row_id, row_fields(sums, namer), taken))
                continue
            again.append(row_id)
        await self._apply(writes)
        for row_id in again:
            await self._rebuild(row_id)

    async def _apply(self, writes: list[tuple[str, dict, list[dict]]]) -> None:
        """Write rows (id, fields, the parts they now hold), then mark those parts as added.

        The round is written down first (``ROUNDS``: each part, its version and what its row now holds of it) and
        named in every row it writes: a summer that stops before marking the parts leaves its round there, and
        the next one marks the parts of the rows that name it (``_finish``), those of rows it never wrote not."""
        if not writes:
            return
        round_id = secrets.token_hex(8)
        doing = [{"id": p["_id"], "row": r, "v": p["v"], "c": added(p["c"])} for r, _, taken in writes for p in taken]
        await self.db[ROUNDS].insert_one({"_id": round_id, "parts": doing})
        updates = []
        for row_id, fields, _ in writes:
            issuer, year, unit = domain.row_key(row_id)
            fields.update(issuer_unit_id=issuer, year=year, unit_id=unit, round=round_id)
            updates.append(UpdateOne({"_id": row_id}, {"$set": fields}, upsert=True))
        while updates := await _bulk_upserts(self.rows, updates):  # a row made at once elsewhere: not by a summer
            pass
        await self._mark(doing)
        await self.db[ROUNDS].delete_one({"_id": round_id})

    async def _mark(self, doing: list[dict]) -> None:
        """Parts (``id``, version ``v``, numbers ``c``) as their row now holds them: no longer pending, unless a
        newer event changed one since it was read (then only what its row holds is noted)."""
        if not doing:
            return
        # Parts holding the same numbers at the same version in one statement each (a notice's 300 new parts
        # are alike): the store writes a statement's documents in one transaction, ~4× faster than one by one.
        alike: dict[tuple, list[str]] = {}
        for d in doing:
            alike.setdefault((d["v"], *d["c"]), []).append(d["id"])
        marks = [
            UpdateMany({"_id": {"$in": ids}, "v": key[0]}, {"$set": {"a": list(key[1:]), "pending": False}})
            for key, ids in alike.items()
        ]
        if (await self.row_parts.bulk_write(marks, ordered=False)).matched_count == len(doing):
            return
        read = {d["id"]: d for d in doing}
        moved = [p async for p in self.row_parts.find({"_id": {"$in": list(read)}}, {"v": 1})]
        notes = [
            UpdateOne({"_id": p["_id"]}, {"$set": {"a": read[p["_id"]]["c"]}})
            for p in moved
            if p["v"] != read[p["_id"]]["v"]
        ]
        if notes:
            await self.row_parts.bulk_write(notes, ordered=False)

    async def _finish(self) -> None:
        """Rounds a summer began and did not end (it stopped): the parts of the rows it wrote marked as added."""
        async for stopped in self.db[ROUNDS].find({}):
            rows = {d["row"] for d in stopped["parts"]}
            wrote = {
                r["_id"]
                async for r in self.rows.find({"_id": {"$in": list(rows)}, "round": stopped["_id"]}, {"_id": 1})
            }
            await self._mark([d for d in stopped["parts"] if d["row"] in wrote])
            await self.db[ROUNDS].delete_one({"_id": stopped["_id"]})

    async def _rebuild(self, row_id: str) -> None:
        """A row summed from all its parts (holding the summing lease)."""
        parts = [p async for p in self.row_parts.find({"row": row_id}, PART_INPUTS)]
        sums, namer, latest = added(None), None, None
        for part in parts:
            sums = with_part(sums, part, None)
            key = named_key(part)
            if key is not None and (latest is None or key > latest):
                namer, latest = part, key
        await self._apply([(row_id, row_fields(sums, namer) | ({} if namer else {"latest": None}), parts)])

    async def refresh_row(self, row: str) -> None:
        """Rebuild one row's parts and the row from every unit document of that issuer, year and unit (at
        start-up, holding the summing lease: ``count_into_rows`` keeps them afterwards)."""
        docs = [d async for d in self.units.find({"row": row}, ROW_INPUTS) if d.get("notice_id")]
        for d in docs:
            part = pack_part(domain.contribution(d), d.get("v", 0))
            fields = {"row": row, "notice_id": d["notice_id"], **part, "name": d.get("name"), "kind": d.get("kind")}
            await self.row_parts.replace_one({"_id": part_id(row, d["notice_id"])}, fields, upsert=True)
        await self.row_parts.delete_many({"row": row, "notice_id": {"$nin": [d["notice_id"] for d in docs]}})
        await self._rebuild(row)

    async def refresh_rows(self, rows: Iterable[str | None]) -> None:
        async with self.summing(wait=2 * LEASE_S) as held:
            if not held:  # a summer elsewhere held it past its lease: rebuilding anyway beats not starting
                log.warning("rebuilding statistics rows without the summing lease")
            await bounded(self.refresh_row(r) for r in sorted({r for r in rows if r}))

    async def statistics_page(self, unit_id: str, year: int, pq: PageQuery) -> tuple[list[dict], bool, int | None]:
        """One page of an issuer's rows of a year, by unit name: an indexed filter, sort and skip/limit; the rows
        changed since they were last summed are summed first (a read sees every event handled before it)."""
        await self.sum_rows(wait=READ_WAIT_S)
        segment = Segment(
            {"issuer_unit_id": unit_id, "year": year, "listed": True},
            [("name", ASCENDING), ("_id", ASCENDING)],
            count=True,
        )
        return await read_page(self.rows, [segment], pq)
