"""Notices' storage. Documents are looked up by ``_id`` on hot paths.

Collections (database ``<node>_notices``):
- ``units``       directory entries, ``_id`` = unit id
- ``imports``     a directory import staged whole before it is applied, ``_id`` = import id
- ``notices``     notices issued here and copies received, ``_id`` = notice id;
                  ``number_key`` (lead issuer + 文号) is unique. Without their recipients: those
                  are in ``recipients`` (a page that shows a notice reads a few KB, not tens)
- ``recipients``  a notice's recipients, in parts: ``_id`` = ``notice:part``, ``units`` in order
                  (``RECIPIENTS_PER_PART`` each for a notice issued here; a copy keeps the
                  parts its events brought). They never change (a 更正 keeps them)
- ``counters``    last 文号 sequence per issuer and year, ``_id`` = ``issuer:year``
- ``inbox``       one entry per notice and recipient hosted here, ``_id`` = ``notice:unit``;
                  ``signed`` and ``year`` (in the node's zone) let 收文 page by index
- ``sent``        发文: one entry per notice issued or forwarded here and each of its
                  issuer units, ``_id`` = ``notice:unit`` (a joint notice lists under every issuer),
                  carrying what its row shows (``ROW_FIELDS``): a page never reads the notices
- ``receipts``    per notice issued here and recipient: its 签收 and the 转发 it made,
                  ``_id`` = ``notice:unit`` (a few hundred bytes per event, never a map of every unit)
- ``tracking``    per notice issued here: how many recipients signed, ``_id`` = notice id
- ``upstream``    per notice held here: the 更正/撤回 made above it in its forwarding chain,
                  ``_id`` = notice id, ``changes`` keyed by change id (see handlers.flag_forwards)
- ``attachments`` metadata of uploaded files, ``_id`` = attachment id (bytes in the BlobStore)
- ``uploads``     uploads in progress, ``_id`` = upload id
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.errors import DuplicateKeyError

from shared import outbox
from shared.paging import PageQuery, Segment, read_page
from shared.schemas import NoticeSnapshot, UnitRef
from shared.service import Service
from shared.storage import Index, all_present, insert_if_absent, insert_many_idempotent, migrate_once, upsert

INDEXES = [
    Index("units", [("parent_id", ASCENDING)]),
    Index("units", [("kind", ASCENDING), ("name", ASCENDING)]),
    Index("units", [("name", ASCENDING)]),
    Index("imports", [("status", ASCENDING)]),
    Index("notices", [("number_key", ASCENDING)], unique=True),
    Index("notices", [("origin", ASCENDING), ("issued_at", DESCENDING)]),
    Index("recipients", [("notice_id", ASCENDING), ("part", ASCENDING)]),
    Index("inbox", [("unit_id", ASCENDING), ("signed", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("unit_id", ASCENDING), ("year", ASCENDING), ("signed", ASCENDING), ("issued_at", DESCENDING)]),
    Index("inbox", [("notice_id", ASCENDING)]),
    Index("sent", [("unit_id", ASCENDING), ("issued_at", DESCENDING)]),
    Index("sent", [("unit_id", ASCENDING), ("year", ASCENDING), ("issued_at", DESCENDING)]),
    Index("sent", [("notice_id", ASCENDING)]),
    # The 签收 table: a notice's receipts, not signed first, by name.
    Index("receipts", [("notice_id", ASCENDING), ("signed", ASCENDING), ("name", ASCENDING), ("unit_id", ASCENDING)]),
]

# What a 发文 row shows of a notice, kept on its ``sent`` entries (``sent_fields``) and brought up to date when the
# notice changes (``refresh_sent``): a notice to 300 units is tens of KB, which the store decodes whole however
# little of it a query projects, so a page of 50 read through the notices took seconds.
ROW_FIELDS = ("doc_number", "title", "kind", "status", "revision", "issued_at", "recipient_count", "parent_notice_id")
ROW_SOURCE = {**{k: 1 for k in ROW_FIELDS}, "issuers": 1, "issuer_unit_ids": 1, "recipient_unit_ids": 1}


def sent_fields(notice: dict) -> dict:
    """A 发文 row's fields from a notice document."""
    return {
        "doc_number": notice["doc_number"],
        "title": notice["title"],
        "kind": notice.get("kind", "issued"),
        "status": notice.get("status", "issued"),
        "revision": notice.get("revision", 1),
        "issued_at": notice["issued_at"],
        "recipient_count": notice.get("recipient_count", len(notice.get("recipient_unit_ids", []))),
        "parent_notice_id": notice.get("parent_notice_id"),
        "issuer_name": "、".join(i["name"] for i in notice.get("issuers", [])),
    }


# The directory's version (``directory`` collection) and how long entries read under one are kept at most.
DIRECTORY_VERSION = "version"
DIRECTORY_KEPT_S = 60.0
# A notice issued here keeps its recipients in parts of this many: the notice page shows the first part's names.
RECIPIENTS_PER_PART = 100
# What a read of a notice without its recipients leaves out (and the outbox, which a read never shows).
HEAD = {outbox.FIELD: 0, "recipients": 0, "recipients_by_part": 0}

log = logging.getLogger("cascade.notices")


# A notice event carried in a notice's outbox names its recipients by id (``carried``).
RECIPIENT_IDS = "recipient_ids"


def carried(entries: list[dict]) -> list[dict]:
    """What a notice document carries of its events until they are out: a notice event (issued, forwarded,
    corrected) without its recipients' snapshots, which the notice's recipient parts hold, only their ids
    (``expanded`` puts them back for a start-up after a crash). Carried whole, a notice to 300 units wrote ~120 KB
    more, which the store read again for each of its indexes and for the write taking the events off."""
    out = []
    for e in entries:
        notice = e["event"].get("notice")
        if not isinstance(notice, dict) or not notice.get("recipients"):
            out.append(e)
            continue
        ids = [r["unit_id"] for r in notice["recipients"]]
        out.append({**e, "event": {**e["event"], "notice": {**notice, "recipients": []}}, RECIPIENT_IDS: ids})
    return out


def inbox_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


def receipt_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


class NoticesRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service
        # Directory entries read lately, valid while the directory's version is the one they were read under
        # (``units_by_id``): issuing to 300 units read their 300 entries from the store every time.
        self._known: dict[str, dict] = {}
        self._known_refs: dict[str, UnitRef] = {}  # the same entries as a notice names them, made once each
        self._known_version: int | None = None
        self._known_since = 0.0

    def __getattr__(self, name: str):
        # self.units, self.notices, … are the collections of the same name.
        if name in (
            "units",
            "directory",
            "imports",
            "notices",
            "recipients",
            "counters",
            "inbox",
            "sent",
            "receipts",
            "tracking",
            "upstream",
            "attachments",
            "uploads",
        ):
            return self.svc.db[name]
        raise AttributeError(name)

    # ------------------------------------------------------------ directory

    async def upsert_unit(self, doc: dict) -> None:
        await self.units.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        await self._directory_changed()

    async def delete_unit(self, unit_id: str) -> bool:
        deleted = (await self.units.delete_one({"_id": unit_id})).deleted_count == 1
        await self._directory_changed()
        return deleted

    async def get_unit(self, unit_id: str) -> dict | None:
        return await self.units.find_one({"_id": unit_id})

    async def _directory_changed(self) -> None:
        """A new version of the directory, after every change to it: entries read before are read again."""
        await upsert(self.directory, DIRECTORY_VERSION, {"$inc": {"v": 1}})

    async def units_by_id(self, unit_ids: list[str]) -> dict[str, dict]:
        """The directory entries of these units (those it has), as copies.

        Entries read before are kept while the directory's version is the one they were read under (every
        change takes a new version after it is written: ``_directory_changed``), and at most
        ``DIRECTORY_KEPT_S``, which bounds how long a change whose version was never taken (a crash between
        the two) can go unseen. The version is read first, so an entry read under it is at least that new.
        """
        units, _ = await self._entries(unit_ids)
        return units

    async def units_and_refs(
        self, unit_ids: list[str], ref: Callable[[dict], UnitRef]
    ) -> tuple[dict[str, dict], dict[str, UnitRef]]:
        """``units_by_id``, and each entry as ``ref`` makes it (a ``UnitRef``), kept with the entry: a notice to
        300 units built 300 models from the same entries at every issue."""
        units, refs = await self._entries(unit_ids)
        return units, {u: refs[u] if u in refs else refs.setdefault(u, ref(doc)) for u, doc in units.items()}

    async def _entries(self, unit_ids: list[str]) -> tuple[dict[str, dict], dict[str, UnitRef]]:
        if not unit_ids:
            return {}, {}
        wanted = set(unit_ids)
        version = ((await self.directory.find_one({"_id": DIRECTORY_VERSION})) or {}).get("v", 0)
        now = time.monotonic()
        if version != self._known_version or now - self._known_since > DIRECTORY_KEPT_S:
            self._known, self._known_refs = {}, {}
            self._known_version, self._known_since = version, now
        # The entries of the version read above (no await since): another call may start a newer set meanwhile,
        # and what this one reads then goes only into this one.
        known, refs = self._known, self._known_refs
        missing = [u for u in wanted if u not in known]
        if missing:
            async for d in self.units.find({"_id": {"$in": missing}}):
                known[d["_id"]] = d
        return {u: dict(known[u]) for u in wanted if u in known}, refs

    async def list_units(self) -> list[dict]:
        """The whole directory: pickers and exports (it grows with the organisation, not with history)."""
        return [d async for d in self.units.find({}).sort("_id", ASCENDING)]

    async def units_page(
        self,
        pq: PageQuery,
        *,
        kind: str | None = None,
        parent_id: str | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        query: dict = {}
        if kind:
            query["kind"] = kind
        if parent_id:
            query["parent_id"] = parent_id
        return await read_page(self.units, [Segment(query, [("name", ASCENDING), ("_id", ASCENDING)], count=True)], pq)

    async def children_of(self, unit_id: str) -> list[str]:
        return [d["_id"] async for d in self.units.find({"parent_id": unit_id}, {"_id": 1})]

    async def stage_import(self, doc: dict) -> None:
        await self.imports.insert_one(doc)

    async def apply_import(self, import_doc: dict) -> int:
        """Write a staged import: new units in one insert_many, changed ones replaced, equal ones left.

        Idempotent, so an import interrupted by a crash is finished at the
        next start-up (``apply_pending_imports``): all rows or none, in effect.
        """
        docs = import_doc["units"]
        ids = [d["_id"] for d in docs]
        existing = {d["_id"]: d async for d in self.units.find({"_id": {"$in": ids}})} if ids else {}
        new = [d for d in docs if d["_id"] not in existing]
        changed = [d for d in docs if d["_id"] in existing and existing[d["_id"]] != d]
        await insert_many_idempotent(self.units, new)
        if changed:
            await self.units.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in changed], ordered=False)
        if new or changed:
            await self._directory_changed()
        await self.imports.update_one({"_id": import_doc["_id"]}, {"$set": {"status": "applied", "units": []}})
        return len(new) + len(changed)

    async def apply_pending_imports(self) -> int:
        count = 0
        async for doc in self.imports.find({"status": "pending"}):
            await self.apply_import(doc)
            count += 1
        return count

    # ------------------------------------------------------------ notices

    async def insert_notice(
        self, doc: dict, pending: list[dict], *, number_key: str, seq: int | None = None, first: bool = True
    ) -> bool:
        """Store a new notice with its outbox; False if its 文号 is taken (``number_key`` is unique).

        Its recipients go first, in parts of their own, on the ``first`` try (the notice's id is its own
        whatever the 文号: a retry under the next number has them already); ``doc`` keeps them for the caller.
        """
        recipients = doc.pop("recipients")
        if first:
            await self.store_recipients(doc["_id"], recipients)
        doc.update(
            number_key=number_key, **({"seq": seq} if seq is not None else {}), **{outbox.FIELD: carried(pending)}
        )
        try:
            await self.notices.insert_one(doc)
        except DuplicateKeyError:
            return False
        finally:
            doc["recipients"] = recipients
        return True

    async def store_recipients(self, notice_id: str, recipients: list[dict]) -> None:
        """A notice's recipients in parts of ``RECIPIENTS_PER_PART``, replacing any written before (a draft issued
        again after a crash may have other recipients)."""
        size = RECIPIENTS_PER_PART
        docs = [
            {"_id": f"{notice_id}:{n}", "notice_id": notice_id, "part": n, "units": recipients[i : i + size]}
            for n, i in enumerate(range(0, len(recipients), size), start=1)
        ]
        if await insert_many_idempotent(self.recipients, docs) == len(docs):
            return
        await self.recipients.bulk_write([ReplaceOne({"_id": d["_id"]}, d) for d in docs], ordered=False)
        await self.recipients.delete_many({"notice_id": notice_id, "part": {"$gt": len(docs)}})

    async def recipients_of(self, notice_id: str, limit: int | None = None) -> list[dict]:
        """A notice's recipients in order, or the first ``limit`` of them (reading only the parts that hold them)."""
        out: list[dict] = []
        cursor = self.recipients.find({"notice_id": notice_id}).sort("part", ASCENDING)
        if limit is not None:
            cursor = cursor.limit(-(-limit // RECIPIENTS_PER_PART) if limit else 0)
        if limit == 0:
            return out
        async for part in cursor:
            out += part["units"]
        return out if limit is None else out[:limit]

    async def doc_number_taken(self, issuer_unit_id: str, doc_number: str) -> bool:
        """Whether the issuer has a notice under this 文号 already (to refuse it early: the unique ``number_key``
        still decides at the insert)."""
        found = await self.notices.find_one({"number_key": f"{issuer_unit_id}:{doc_number}"}, {"_id": 1})
        return found is not None

    async def number_hint(self, issuer_unit_id: str, year: int) -> int:
        """The 文号 sequence to try first: one past the last the issuer took this year."""
        counter = await self.counters.find_one({"_id": f"{issuer_unit_id}:{year}"})
        return (counter or {}).get("last", 0) + 1

    async def advance_number_hint(self, issuer_unit_id: str, year: int, seq: int) -> None:
        """Move the hint up to ``seq`` (``$max``: never down). The notice is stored already, so this must not fail it:
        a hint left behind only makes the next issue step over taken numbers."""
        counter_id = f"{issuer_unit_id}:{year}"
        try:
            await upsert(self.counters, counter_id, {"$max": {"last": seq}})
        except DuplicateKeyError:
            log.warning("文号 counter %s not advanced to %d (the unique 文号 still holds)", counter_id, seq)

    async def store_received(self, notice: NoticeSnapshot, part: int, received_at: datetime, kind: str) -> None:
        """Keep the copy of a notice that arrived from another node, one recipients part at a time.

        The content is written by the first part to arrive (or by a
        correction); each part then sets its own slice of recipients, so
        parts merge in any order and a redelivery changes nothing.
        """
        doc = notice_document(notice.model_copy(update={"recipients": []}), kind=kind, origin="received")
        doc["received_at"] = received_at
        doc.pop("recipients")
        doc["recipient_unit_ids"] = []
        await insert_if_absent(self.notices, doc)
        units = [r.model_dump(mode="python") for r in notice.recipients]
        await insert_if_absent(
            self.recipients,
            {"_id": f"{notice.notice_id}:{part}", "notice_id": notice.notice_id, "part": part, "units": units},
        )
        await self.notices.update_one({"_id": notice.notice_id}, {"$set": {f"part_sizes.{part}": len(units)}})

    async def apply_correction(self, notice: NoticeSnapshot, fields: dict, part: int, received_at: datetime) -> None:
        """A received copy takes a correction unless it already has the same or a later revision.

        Parts of a correction slice the recipients as the issue did, so a
        correction arriving first stores the same parts the issue would.
        """
        if await self.notices.find_one({"_id": notice.notice_id}, {"_id": 1}) is None:
            kind = "forwarded" if notice.parent_notice_id else "issued"
            await self.store_received(notice, part, received_at, kind)
        await self.notices.update_one({"_id": notice.notice_id, "revision": {"$lt": notice.revision}}, {"$set": fields})

    async def set_fields(
        self, notice_id: str, fields: dict, *, revision: int | None = None, events: list[dict] | None = None
    ) -> bool:
        """``$set`` on a notice, appending ``events`` to its outbox in the same write.

        With ``revision``, only if the notice is still at that revision (a
        concurrent 更正 makes this one fail instead of overwriting it).
        """
        query: dict = {"_id": notice_id}
        if revision is not None:
            query["revision"] = revision
        update: dict = {"$set": fields}
        if events:
            update["$push"] = {outbox.FIELD: {"$each": carried(events)}}
        done = (await self.notices.update_one(query, update)).matched_count == 1
        if done and set(fields) & {*ROW_FIELDS, "issuers"}:
            await self.refresh_sent(notice_id)
        return done

    async def list_sent(self, notice: dict, year: int) -> None:
        """List a notice made here under each of its issuer units (发文) with its row's fields; a second time
        changes nothing."""
        row = sent_fields(notice)
        await insert_many_idempotent(
            self.sent,
            [
                {
                    "_id": f"{notice['_id']}:{unit_id}",
                    "notice_id": notice["_id"],
                    "unit_id": unit_id,
                    "year": year,
                    **row,
                }
                for unit_id in notice["issuer_unit_ids"]
            ],
        )

    async def is_listed(self, notice_id: str, issuer_unit_ids: list[str]) -> bool:
        """Whether the notice has its 发文 entry under each of its issuers (made at the issue, unless it crashed)."""
        return await all_present(self.sent, [f"{notice_id}:{unit_id}" for unit_id in issuer_unit_ids])

    async def refresh_sent(self, notice_id: str) -> None:
        """Bring the notice's 发文 rows up to what the notice holds now, unless they show a later state already.

        A notice only moves forward (each 更正 adds a revision, a 撤回 is final), so two refreshes racing each
        other cannot put an older state over a newer one. Also run when a 更正/撤回 event is consumed here, so
        that a crash between the notice's write and this one leaves no stale row.
        """
        doc = await self.notices.find_one({"_id": notice_id, "origin": "local"}, ROW_SOURCE)
        if doc is None:
            return
        row = sent_fields(doc)
        older = [
            {"revision": {"$lt": row["revision"]}},
            {"revision": {"$exists": False}},
            *([{"revision": row["revision"], "status": {"$ne": "withdrawn"}}] if row["status"] == "withdrawn" else []),
        ]
        await self.sent.update_many({"notice_id": notice_id, "$or": older}, {"$set": row})

    async def issued_by(
        self,
        unit_id: str | None,
        pq: PageQuery,
        year: int | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        """A page of the notices a unit issued (alone or jointly) or forwarded, newest first; every unit's
        for ``unit_id=None``."""
        if unit_id is None:
            docs, more, total = await read_page(
                self.notices, [Segment({"origin": "local"}, [("issued_at", DESCENDING)])], pq, projection=ROW_SOURCE
            )
            return [{"notice_id": d["_id"], **sent_fields(d)} for d in docs], more, total
        query = {"unit_id": unit_id, **({"year": year} if year else {})}
        return await read_page(self.sent, [Segment(query, [("issued_at", DESCENDING)])], pq)

    async def notice_fields(self, notice_id: str, projection: dict) -> dict | None:
        """Some fields of a notice."""
        return await self.notices.find_one({"_id": notice_id}, projection)

    async def get_notice(self, notice_id: str) -> dict | None:
        """A notice with every recipient (``recipients``, ``recipient_unit_ids``, ``recipient_count``)."""
        doc = await self.notices.find_one({"_id": notice_id}, {outbox.FIELD: 0})
        if doc is None:
            return None
        if "recipients" not in doc and "recipients_by_part" not in doc:  # kept apart (before: inside)
            doc["recipients"] = await self.recipients_of(notice_id)
            doc["recipient_unit_ids"] = [r["unit_id"] for r in doc["recipients"]]
            doc["recipient_count"] = len(doc["recipients"])
        return normalise(doc)

    async def get_head(self, notice_id: str) -> dict | None:
        """A notice without its recipients (``recipient_count`` says how many): what a page of it needs."""
        doc = await self.notices.find_one({"_id": notice_id}, HEAD)
        if doc is not None and "part_sizes" in doc:  # a copy: as many as the parts that arrived hold
            doc["recipient_count"] = sum(doc["part_sizes"].values())
        return doc

    async def flush(self, notice_id: str, events: list[dict]) -> None:
        """Publish a notice's events (written with ``insert_notice``, ``set_fields`` or ``flag_forward``)."""
        await outbox.flush(self.svc, self.notices, notice_id, events, carried(events))

    async def flush_pending(self) -> int:
        return await outbox.flush_pending(self.svc, self.notices, self.expanded)

    async def expanded(self, notice_id: str, entries: list[dict]) -> list[dict]:
        """A notice's outbox entries as published: each notice event's recipients put back from its parts."""
        if not any(RECIPIENT_IDS in e for e in entries):
            return entries
        units = {u["unit_id"]: u for u in await self.recipients_of(notice_id)}
        out = []
        for e in entries:
            if RECIPIENT_IDS not in e:
                out.append(e)
                continue
            entry = {k: v for k, v in e.items() if k != RECIPIENT_IDS}
            refs = [UnitRef.model_validate(units[u]).model_dump(mode="json") for u in e[RECIPIENT_IDS] if u in units]
            if len(refs) < len(e[RECIPIENT_IDS]):  # not expected: parts are written before their notice
                log.warning(
                    "notice %s: %d recipient(s) of event %s not in its parts",
                    notice_id,
                    len(e[RECIPIENT_IDS]) - len(refs),
                    e["id"],
                )
            out.append(
                {**entry, "event": {**entry["event"], "notice": {**entry["event"]["notice"], "recipients": refs}}}
            )
        return out

    # ------------------------------------------------------------ inbox

    async def deliver_to_inbox(
        self, notice: NoticeSnapshot, units: list[UnitRef], kind: str, at: datetime, year: int
    ) -> int:
        """One entry per recipient, in one insert_many with deterministic ``_id``s (a redelivery inserts nothing)."""
        deadlines = [a.deadline for a in notice.asks]
        docs = [
            {
                "_id": inbox_id(notice.notice_id, u.unit_id),
                "notice_id": notice.notice_id,
                "unit_id": u.unit_id,
                "doc_number": notice.doc_number,
                "title": notice.title,
                "issuer_name": "、".join(i.name for i in notice.issuers),
                "issuer_node": notice.issuers[0].node_id,
                "root_notice_id": notice.root_notice_id,
                "kind": kind,
                "issued_at": notice.issued_at,
                "received_at": at,
                "next_deadline": min(deadlines) if deadlines else None,
                "status": "issued",
                "acknowledged_at": None,
                "acknowledged_by": None,
                "signed": False,
                "year": year,
            }
            for u in units
        ]
        return await insert_many_idempotent(self.inbox, docs)

    async def in_inboxes(self, notice_id: str, units: list[UnitRef]) -> bool:
        """Whether each of these units has the notice's inbox entry."""
        return await all_present(self.inbox, [inbox_id(notice_id, u.unit_id) for u in units])

    async def inbox_entry(self, notice_id: str, unit_id: str) -> dict | None:
        return await self.inbox.find_one({"_id": inbox_id(notice_id, unit_id)})

    async def inbox_page(
        self,
        unit_id: str,
        pq: PageQuery,
        year: int | None = None,
    ) -> tuple[list[dict], bool, int | None]:
        """A page of a unit's 收文: what it has not signed first (counted: it is the work outstanding), then the
        rest, each newest first."""
        base = {"unit_id": unit_id, **({"year": year} if year else {})}
        newest = [("issued_at", DESCENDING)]
        return await read_page(
            self.inbox,
            [Segment({**base, "signed": False}, newest, count=True), Segment({**base, "signed": True}, newest)],
            pq,
            projection={outbox.FIELD: 0},
        )

    async def mark_inbox(self, notice_id: str, fields: dict) -> None:
        """Every entry of a notice on this node (a correction or withdrawal): one update, no per-unit writes."""
        await self.inbox.update_many({"notice_id": notice_id}, {"$set": fields})

    async def mark_acknowledged(
        self, notice_id: str, unit_id: str, at: datetime, by: str, pending: list[dict]
    ) -> dict | None:
        """Set the receipt on the inbox entry, with its events in the same write; None if it was already set."""
        entry_id = inbox_id(notice_id, unit_id)
        result = await self.inbox.update_one(
            {"_id": entry_id, "acknowledged_at": None},
            {
                "$set": {"acknowledged_at": at, "acknowledged_by": by, "signed": True},
                "$push": {outbox.FIELD: {"$each": pending}},
            },
        )
        if result.modified_count != 1:
            return None
        return await self.inbox.find_one({"_id": entry_id})

    async def set_inbox_fields(self, notice_id: str, unit_id: str, fields: dict) -> None:
        await self.inbox.update_one({"_id": inbox_id(notice_id, unit_id)}, {"$set": fields})

    async def flush_inbox(self, entry_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, self.inbox, entry_id, events)

    async def flush_pending_inbox(self) -> int:
        return await outbox.flush_pending(self.svc, self.inbox)

    async def upgrade(self, year_of: Callable[[datetime], int]) -> bool:
        """Data written before 收文, 发文 and 签收 were read page by page (a node upgraded in place), once."""

        async def run() -> None:
            # Documents without the fields a notice always has are not notices' (nothing to do for them).
            async for e in self.inbox.find({"signed": {"$exists": False}}, {"acknowledged_at": 1, "issued_at": 1}):
                if e.get("issued_at") is not None:
                    await self.inbox.update_one(
                        {"_id": e["_id"]},
                        {"$set": {"signed": e.get("acknowledged_at") is not None, "year": year_of(e["issued_at"])}},
                    )
            async for n in self.notices.find({"origin": "local"}, ROW_SOURCE):
                if n.get("issued_at") is None or not n.get("issuer_unit_ids"):
                    continue
                await self.list_sent(n, year_of(n["issued_at"]))
                await self.notices.update_one(
                    {"_id": n["_id"]}, {"$set": {"recipient_count": len(n.get("recipient_unit_ids", []))}}
                )
            async for t in self.tracking.find({"acks": {"$exists": True}}):
                for unit_id, ack in t.get("acks", {}).items():
                    await self.record_receipt(t["_id"], unit_id, {"signed": True, "acknowledged": ack})
                for unit_id, links in t.get("forwarded", {}).items():
                    await self.record_receipt(t["_id"], unit_id, {f"forwarded.{k}": v for k, v in links.items()})
                await self.tracking.replace_one(
                    {"_id": t["_id"]}, {"_id": t["_id"], "acknowledged": len(t.get("acks", {}))}
                )

        async def sent_rows() -> None:
            # 发文 entries made before they carried their rows' fields.
            ids = {e["notice_id"] async for e in self.sent.find({"revision": {"$exists": False}}, {"notice_id": 1})}
            for notice_id in sorted(ids):
                await self.refresh_sent(notice_id)

        async def receipts() -> None:
            # Notices issued before every recipient had a receipt from the start (the 签收 table pages by them).
            for notice_id in [n["_id"] async for n in self.notices.find({"origin": "local"}, {"_id": 1})]:
                n = await self.get_notice(notice_id)
                refs = [UnitRef.model_validate(r) for r in (n or {}).get("recipients") or []]
                if refs:
                    await self.track_recipients(notice_id, refs)
            if "notice_id_1_signed_1" in await self.receipts.index_information():
                await self.receipts.drop_index("notice_id_1_signed_1")

        async def recipients_apart() -> None:
            # Notices that held their recipients inside (issued here) or by part (copies): moved to ``recipients``.
            inside = {"$or": [{"recipients": {"$exists": True}}, {"recipients_by_part": {"$exists": True}}]}
            moved = [n["_id"] async for n in self.notices.find(inside, {"_id": 1})]
            for notice_id in moved:
                n = await self.notices.find_one({"_id": notice_id}, {"recipients": 1, "recipients_by_part": 1})
                if n is None:
                    continue
                if "recipients" in n:
                    await self.store_recipients(notice_id, n["recipients"])
                    unset: dict = {"recipients": ""}
                    sizes = None
                else:
                    parts = n.get("recipients_by_part") or {}
                    for key, units in parts.items():
                        await self.recipients.replace_one(
                            {"_id": f"{notice_id}:{key}"},
                            {"_id": f"{notice_id}:{key}", "notice_id": notice_id, "part": int(key), "units": units},
                            upsert=True,
                        )
                    unset = {"recipients_by_part": ""}
                    sizes = {f"part_sizes.{key}": len(units) for key, units in parts.items()}
                await self.notices.update_one(
                    {"_id": notice_id}, {"$unset": unset, **({"$set": sizes} if sizes else {})}
                )
            if moved:
                log.warning("moved the recipients of %d notices to their own documents", len(moved))

        done = await migrate_once(self.svc.db, "paged_lists", run)
        done = await migrate_once(self.svc.db, "sent_rows", sent_rows) or done
        done = await migrate_once(self.svc.db, "receipts_per_recipient", receipts) or done
        return await migrate_once(self.svc.db, "recipients_apart", recipients_apart) or done

    # ------------------------------------------------------------ tracking (the issuer's side)

    async def track_recipients(self, notice_id: str, recipients: list[UnitRef]) -> None:
        """A receipt document per recipient of a notice issued here, not signed yet, named as the notice names it
        (the 签收 table pages by them). One insert_many; a receipt already there (a redelivery, or a 签收 or 转发
        recorded first) only takes the names."""
        docs = {
            receipt_id(notice_id, r.unit_id): {
                "notice_id": notice_id,
                "unit_id": r.unit_id,
                "name": r.name,
                "kind": r.kind.value,
                "node_id": r.node_id,
            }
            for r in recipients
        }
        new = [{"_id": k, **v, "signed": False} for k, v in docs.items()]
        if await insert_many_idempotent(self.receipts, new) == len(new):
            return
        async for taken in self.receipts.find({"_id": {"$in": list(docs)}, "name": {"$exists": False}}, {"_id": 1}):
            await self.receipts.update_one({"_id": taken["_id"]}, {"$set": docs[taken["_id"]]})

    async def record_receipt(self, notice_id: str, unit_id: str, fields: dict) -> None:
        """``$set`` on the recipient's own receipt document: commutes with its other fields and other units'."""
        update: dict = {"$set": {"notice_id": notice_id, "unit_id": unit_id, **fields}}
        if "signed" not in fields:  # a 转发 recorded before the receipt was made: not signed yet
            update["$setOnInsert"] = {"signed": False}
        await upsert(self.receipts, receipt_id(notice_id, unit_id), update)

    async def receipts_page(self, notice_id: str, pq: PageQuery, *, signed: int, total: int) -> list[dict]:
        """A page of a notice's receipts: those not signed yet first, then the signed, each by name; ``signed`` and
        ``total`` are the notice's counts (the segments' sizes)."""
        by_name = [("name", ASCENDING), ("unit_id", ASCENDING)]
        docs, _, _ = await read_page(
            self.receipts,
            [
                Segment({"notice_id": notice_id, "signed": False}, by_name, size=total - signed),
                Segment({"notice_id": notice_id, "signed": True}, by_name, size=signed),
            ],
            pq,
        )
        return docs

    async def receipt_counts(self, notice_id: str) -> tuple[int, int]:
        """How many receipts a notice has, and how many of them are signed (two counts on the index)."""
        query = {"notice_id": notice_id}
        return await self.receipts.count_documents(query), await self.receipts.count_documents(
            {**query, "signed": True}
        )

    async def count_signed(self, notice_id: str) -> None:
        """Bring the notice's count of 签收 up to date, after a receipt was recorded.

        Receipts are never taken back, so the count only grows and ``$max``
        keeps the largest: of two handlers recording at once, the one counting
        last saw both receipts, so the count ends right.
        """
        count = await self.receipts.count_documents({"notice_id": notice_id, "signed": True})
        await upsert(self.tracking, notice_id, {"$max": {"acknowledged": count}})

    async def receipts_of(self, notice_id: str) -> dict[str, dict]:
        """unit id → its receipt document; bounded by the notice's recipients."""
        return {d["unit_id"]: d async for d in self.receipts.find({"notice_id": notice_id})}

    async def signed_counts(self, notice_ids: list[str]) -> dict[str, int]:
        if not notice_ids:
            return {}
        return {d["_id"]: d.get("acknowledged", 0) async for d in self.tracking.find({"_id": {"$in": notice_ids}})}

    # ------------------------------------------------------------ upstream changes (更正/撤回 above a 转发)

    async def flag_forward(self, notice_id: str, change_id: str, events: list[dict]) -> bool:
        """Mark a 转发 made here as told of an upstream change, with the events that tell its readers: once.

        False if it was flagged already (its events are in its outbox since
        then) or is not a notice made here.
        """
        result = await self.notices.update_one(
            {"_id": notice_id, "origin": "local", f"flagged.{change_id}": {"$exists": False}},
            {"$set": {f"flagged.{change_id}": True}, "$push": {outbox.FIELD: {"$each": events}}},
        )
        return result.matched_count == 1

    async def record_upstream_change(self, notice_id: str, change: dict) -> None:
        """Keyed by change id, in a document of its own: it commutes with other changes, and works whether
        the notice's copy (and its inbox entries) arrived before or after it."""
        await upsert(self.upstream, notice_id, {"$set": {f"changes.{change['change_id']}": change}})

    async def upstream_changes(self, notice_ids: list[str]) -> dict[str, dict[str, dict]]:
        """notice id → its upstream changes keyed by change id (only notices that have any)."""
        if not notice_ids:
            return {}
        query = {"_id": notice_ids[0]} if len(notice_ids) == 1 else {"_id": {"$in": list(set(notice_ids))}}
        return {d["_id"]: d.get("changes", {}) async for d in self.upstream.find(query)}

    # ------------------------------------------------------------ attachments

    async def start_upload(self, doc: dict) -> None:
        await self.uploads.insert_one(doc)

    async def get_upload(self, upload_id: str) -> dict | None:
        return await self.uploads.find_one({"_id": upload_id})

    async def end_upload(self, upload_id: str) -> None:
        await self.uploads.delete_one({"_id": upload_id})

    async def add_attachment(self, doc: dict) -> None:
        await self.attachments.insert_one(doc)

    async def get_attachment(self, attachment_id: str) -> dict | None:
        return await self.attachments.find_one({"_id": attachment_id})

    async def attachments_by_id(self, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        return {d["_id"]: d async for d in self.attachments.find({"_id": {"$in": ids}})}


def notice_document(notice: NoticeSnapshot, *, kind: str, origin: str, **extra) -> dict:
    doc = notice.model_dump(mode="python")
    doc["_id"] = doc.pop("notice_id")
    doc.update(
        kind=kind,
        origin=origin,
        issuer_unit_id=notice.issuers[0].unit_id,
        issuer_unit_ids=[i.unit_id for i in notice.issuers],
        recipient_unit_ids=[r.unit_id for r in notice.recipients],
        recipient_count=len(notice.recipients),
        number_key=f"{notice.issuers[0].unit_id}:{notice.doc_number}",
        status="issued",
        history=[],
        forwards={},
        **extra,
    )
    return doc


def normalise(doc: dict) -> dict:
    """A received copy stored before recipients were kept apart holds them by part; join them so every notice
    reads the same."""
    parts = doc.pop("recipients_by_part", None)
    if parts is not None:
        doc["recipients"] = [r for key in sorted(parts, key=int) for r in parts[key]]
        doc["recipient_unit_ids"] = [r["unit_id"] for r in doc["recipients"]]
        doc["recipient_count"] = len(doc["recipients"])
    return doc


def snapshot_of(doc: dict) -> NoticeSnapshot:
    fields = {k: v for k, v in doc.items() if k in NoticeSnapshot.model_fields}
    return NoticeSnapshot.model_validate({**fields, "notice_id": doc["_id"]})
