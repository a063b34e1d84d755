"""Read models (database ``<node>_reports``): small documents, each changed by keyed ``$set``s.

- ``notice_status``: a notice's header, ``_id`` = notice id (domain.notice_fields: the notice's
  fields, asks, deadlines, status, chases, recipients per part). Never per-unit state.
- ``notice_units``: one document per (notice, recipient unit), ``_id`` = ``<notice_id>:<unit_id>``
  (domain.unit_fields): receipt, submitted/reviewed parts per ask, what the statistics need.
- ``unit_statistics``: one row per (issuer unit, year, recipient unit), ``_id`` = domain.row_id,
  recomputed from that unit's ``notice_units`` of the issuer and year (``refresh_row``).
- ``migrations``: one-time start-up steps done (migration.py).

No in-process locks: every write is one single-document operation (the
store applies each atomically: MongoDB, and the default store since issue 10),
so several replicas of the service may handle events at once. Where an older
event must not undo a newer one, the revision is in the write's filter and
the write is an upsert: ``DuplicateKeyError`` then means "the document is
there and not older" (``set_if``).
"""

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.paging import PageQuery, Segment, read_page
from shared.storage import DUPLICATE_KEY, Index

from . import domain

HEADERS, UNITS, ROWS, MIGRATIONS = "notice_status", "notice_units", "unit_statistics", "migrations"

INDEXES = [
    # A notice's recipients (completeness, notice_status, a withdrawal): bounded by the notice.
    Index(UNITS, [("notice_id", ASCENDING)]),
    # A unit's notices of one issuer and year: what its statistics row is recomputed from.
    Index(UNITS, [("row", ASCENDING)]),
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
    # How many notices the issuer sent that year, and how many of them were withdrawn (two counts).
    Index(HEADERS, [("issuer_unit_id", ASCENDING), ("year", ASCENDING)]),
    Index(HEADERS, [("issuer_unit_id", ASCENDING), ("year", ASCENDING), ("withdrawn", ASCENDING)]),
]

# How many single-document writes one event runs at once (fallback upserts, row refreshes): enough to
# overlap round trips, few enough not to crowd out the other consumers of the store.
CONCURRENCY = 16

# What a statistics row is recomputed from; the rest of a unit document is not needed.
ROW_INPUTS = {k: 1 for k in ("recipient", "withdrawn", "issued_at", "ack", "owes", "subs", "name", "kind")}


def older(path: str, revision: int, *, or_equal: bool = False) -> dict:
    """A filter that holds while the document's ``path`` is older than ``revision`` (or absent)."""
    return {"$or": [{path: {"$lte" if or_equal else "$lt": revision}}, {path: {"$exists": False}}]}


async def set_if(collection, doc_id: str, condition: Mapping[str, Any], fields: dict) -> dict | None:
    """``$set`` ``fields`` on ``doc_id`` if ``condition`` holds, creating the document if absent: one
    conditional upsert, so two writers cannot interleave a read and a write. The document after, or None when
    the condition did not hold.

    A ``DuplicateKeyError`` is the upsert finding the ``_id`` taken: the document is there and the condition
    fails, or another writer created it a moment ago. Without upsert the condition alone decides.
    """
    query = {"_id": doc_id, **condition}
    try:
        return await collection.find_one_and_update(
            query, {"$set": fields}, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:
        return await collection.find_one_and_update(query, {"$set": fields}, return_document=ReturnDocument.AFTER)


async def merge(collection, doc_id: str, fields: dict) -> dict:
    """``$set`` ``fields`` on ``doc_id``, creating it if absent; the document after."""
    try:
        return await collection.find_one_and_update(
            {"_id": doc_id}, {"$set": fields}, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:  # two writers created it at once (MongoDB retries that itself; not every store)
        return await collection.find_one_and_update(
            {"_id": doc_id}, {"$set": fields}, upsert=True, return_document=ReturnDocument.AFTER
        )


async def bounded(calls: Iterable[Awaitable[Any]], limit: int = CONCURRENCY) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[Any]) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


class ReportsRepository:
    def __init__(self, source) -> None:
        """``source``: anything with a ``db`` (the Service, whose database exists only once started)."""
        self.source = source

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

    async def fan_out(self, docs: list[dict]) -> None:
        """A notice's unit documents from one snapshot: ``insert_many`` with their deterministic ``_id``s; those
        already there (a receipt came first, a redelivery, another revision) get the snapshot's fields by
        one conditional upsert each, if the snapshot is newer than what made them."""
        if not docs:
            return
        try:
            await self.units.insert_many(docs, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = [docs[e["index"]] for e in errors]
        await bounded(
            set_if(
                self.units, d["_id"], older("notice_rev", d["notice_rev"]), {k: v for k, v in d.items() if k != "_id"}
            )
            for d in taken
        )

    async def merge_unit(self, notice_id: str, unit_id: str, fields: dict) -> dict:
        """Keyed ``$set`` on a unit's document (created if the notice has not arrived yet); the document after."""
        return await merge(
            self.units, domain.unit_doc_id(notice_id, unit_id), {"notice_id": notice_id, "unit_id": unit_id, **fields}
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
        )
        if doc is not None:
            return True, doc
        return False, await self.units.find_one({"_id": doc_id}) or {}

    async def mark_withdrawn(self, notice_id: str, unit_ids: list[str]) -> None:
        """Each unit's document says so, created if need be: a 下发 handled later keeps the mark (its fallback
        sets only the notice's fields), so the order of the two does not matter."""
        await bounded(self.merge_unit(notice_id, u, {"withdrawn": True}) for u in unit_ids)

    async def units_of(self, notice_id: str, projection: Mapping[str, Any] | None = None) -> list[dict]:
        """Every unit document of one notice (by the indexed ``notice_id``): bounded by its recipients."""
        return [d async for d in self.units.find({"notice_id": notice_id}, projection)]

    async def rows_of_notice(self, notice_id: str) -> set[str]:
        return {d["row"] for d in await self.units_of(notice_id, {"row": 1}) if d.get("row")}

    # ------------------------------------------------------------ statistics rows

    async def refresh_row(self, row: str) -> bool:
        """Recompute one statistics row from the unit's documents of that issuer and year (≤ the issuer's
        notices of a year). Returns whether this recompute was written (a newer one supersedes it otherwise).

        Concurrency: every change to a unit document is followed by this
        call. It first takes a new version (``$inc``, atomic), then reads, then
        writes only if the row still has that version. The write that lands
        last therefore belongs to the highest version taken so far; that
        recompute read after its own ``$inc``, and every change that led to
        an earlier ``$inc`` had been written before that ``$inc``: it has
        seen them all. A recompute that read earlier finds the version moved
        on and writes nothing, so a stale figure never overwrites a newer
        one. If the process dies in between, the event is redelivered and
        recomputes again.
        """
        issuer, year, unit = domain.row_key(row)
        for attempt in range(3):
            try:
                counter = await self.rows.find_one_and_update(
                    {"_id": row},
                    {
                        "$inc": {"version": 1},
                        "$setOnInsert": {"issuer_unit_id": issuer, "year": year, "unit_id": unit, "listed": False},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                break
            except DuplicateKeyError:  # created by another recompute a moment ago: now it is an update
                if attempt == 2:
                    raise
        docs = [d async for d in self.units.find({"row": row}, ROW_INPUTS)]
        result = await self.rows.update_one(
            {"_id": row, "version": counter["version"]}, {"$set": domain.row_figures(docs)}
        )
        return result.matched_count == 1

    async def refresh_rows(self, rows: Iterable[str | None]) -> None:
        await bounded(self.refresh_row(r) for r in sorted({r for r in rows if r}))

    async def statistics_page(self, unit_id: str, year: int, pq: PageQuery) -> tuple[list[dict], bool, int | None]:
        """One page of an issuer's rows of a year, by unit name: an indexed filter, sort and skip/limit."""
        segment = Segment(
            {"issuer_unit_id": unit_id, "year": year, "listed": True},
            [("name", ASCENDING), ("_id", ASCENDING)],
            count=True,
        )
        return await read_page(self.rows, [segment], pq)
