"""下级进度: each level reports its 转发's progress upward, and keeps the newest report of each level below.

**Reporting** (the node where a 转发 was made). ``progress_out`` holds one record per 转发 made here, ``_id`` =
its notice id: where its report goes (the upstream issuer's node), ``changes`` (a counter every change of its
read models bumps, after the change is written: ``touch``), ``pending`` and ``not_before``. A background loop
(``flush_due``) sends the pending ones whose ``not_before`` has come: it claims the record by one conditional
update that takes the next ``sequence`` and a lease, recomputes the figures from the read models, publishes
the report, and clears ``pending`` only if ``changes`` did not move meanwhile (else it goes again), setting
``not_before`` one interval on. So a 转发 is reported at most once per interval, the latest state always
goes out, and a restart loses nothing: what is pending is in the store. Two replicas never send the same
record at once (the claim), and if one dies holding it, the lease runs out and another sends it.

**Keeping** (the upstream issuer's node, and each level above: every level passes on the reports of the
levels below its own 转发). ``progress`` holds the newest report per 转发 (``_id`` = the 转发's id: its
figures and who forwarded), ``progress_parts`` its recipients' rows per part (``<forward>:<part>``); each is
written only over an older or equal ``sequence`` (``set_if``), so a stale or repeated report changes nothing,
in any order. A report changes the row of its forwarding unit in this level's own report (the nested
figures), so it touches the 转发 it answers when that 转发 was made here.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.clock import Clock
from shared.contracts.reports import ForwardProgress, ForwardProgressQuery, Rollup, RollupQuery
from shared.errors import NotFound
from shared.events import Event, NoticeCorrected, NoticeForwarded, NoticeIssued, ProgressReported
from shared.paging import PageQuery, Segment, page_of, read_page
from shared.storage import Index

from . import progress
from .repository import ReportsRepository, older, set_if

OUT, KEPT, PARTS = "progress_out", "progress", "progress_parts"

INDEXES = [
    # What is waiting to be reported: few at any time, read every tick.
    Index(OUT, [("pending", ASCENDING)]),
    # 下级进度 of a notice: the reports of the 转发 made of it, a page at a time by forwarding unit.
    Index(KEPT, [("notice_id", ASCENDING), ("unit_name", ASCENDING), ("_id", ASCENDING)]),
]

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# How long a claimed report may take before another replica takes it over (one publish per part).
LEASE = timedelta(seconds=60)

log = logging.getLogger("cascade.reports.rollup")


class RollupStore:
    def __init__(self, source) -> None:
        """``source``: anything with a ``db`` (the Service, whose database exists only once started)."""
        self.source = source

    @property
    def out(self):
        return self.source.db[OUT]

    @property
    def kept(self):
        return self.source.db[KEPT]

    @property
    def parts(self):
        return self.source.db[PARTS]

    # ------------------------------------------------------------ reporting

    async def record_forward(self, forward_id: str, fields: dict) -> None:
        """The record of a 转发 made here (created once, its fields set again by each part), pending."""
        update = {
            "$set": {**fields, "pending": True},
            "$inc": {"changes": 1},
            "$setOnInsert": {"not_before": EPOCH, "sequence": 0},
        }
        try:
            await self.out.update_one({"_id": forward_id}, update, upsert=True)
        except DuplicateKeyError:  # created by another replica a moment ago: now it is an update
            await self.out.update_one({"_id": forward_id}, update)

    async def touch(self, notice_id: str) -> bool:
        """A change to a notice's read models: pending, if it is a 转发 made here (else nothing matches)."""
        result = await self.out.update_one({"_id": notice_id}, {"$set": {"pending": True}, "$inc": {"changes": 1}})
        return result.matched_count == 1

    async def pending(self) -> list[dict]:
        return [d async for d in self.out.find({"pending": True})]

    async def claim(self, doc: dict, now: datetime) -> dict | None:
        """Take a pending record for one report: the next sequence, and a lease no other replica gets past."""
        return await self.out.find_one_and_update(
            {"_id": doc["_id"], "pending": True, "not_before": doc["not_before"]},
            {"$set": {"not_before": now + LEASE}, "$inc": {"sequence": 1}},
            return_document=ReturnDocument.AFTER,
        )

    async def sent(self, claimed: dict, now: datetime, interval: timedelta) -> bool:
        """Reported: done unless it changed meanwhile; either way the next report waits one interval."""
        done = await self.out.update_one(
            {"_id": claimed["_id"], "changes": claimed["changes"]},
            {"$set": {"pending": False, "not_before": now + interval, "sent_at": now}},
        )
        if done.matched_count:
            return True
        await self.out.update_one({"_id": claimed["_id"]}, {"$set": {"not_before": now + interval}})
        return False

    async def release(self, doc_id: str, at: datetime) -> None:
        await self.out.update_one({"_id": doc_id}, {"$set": {"not_before": at}})

    async def forward_of_here(self, notice_id: str) -> dict | None:
        return await self.out.find_one({"_id": notice_id})

    # ------------------------------------------------------------ keeping

    async def keep(self, event: ProgressReported, now: datetime) -> bool:
        """The report's summary and its part, each unless what is kept is newer. Whether either was written
        (a repeat of what is kept counts: passing it on again is harmless and finishes an interrupted one)."""
        summary = event.model_dump(
            include={
                "notice_id",
                "chain",
                "issuer_node",
                "node_id",
                "doc_number",
                "unit_id",
                "unit_name",
                "co_forwarders",
                "sequence",
                "as_of",
                "withdrawn",
                "figures",
                "parts",
            }
        )
        newer = older("sequence", event.sequence, or_equal=True)
        kept = await set_if(self.kept, event.forward_notice_id, newer, {**summary, "received_at": now})
        part = await set_if(
            self.parts,
            f"{event.forward_notice_id}:{event.part}",
            newer,
            {
                "forward_notice_id": event.forward_notice_id,
                "part": event.part,
                "sequence": event.sequence,
                "units": [u.model_dump() for u in event.units],
            },
        )
        return kept is not None or part is not None

    async def report(self, forward_id: str) -> dict | None:
        return await self.kept.find_one({"_id": forward_id})

    async def children(self, notice_id: str) -> list[dict]:
        """The reports of the 转发 made of one notice (indexed ``notice_id``): bounded by its recipients."""
        return [d async for d in self.kept.find({"notice_id": notice_id})]

    async def rows(self, doc: dict) -> list[dict]:
        """Every recipient's row of a kept report, part after part (by ``_id``: a few documents)."""
        rows: list[dict] = []
        for part in range(1, doc.get("parts", 1) + 1):
            found = await self.parts.find_one({"_id": f"{doc['_id']}:{part}"})
            rows.extend((found or {}).get("units", []))
        return rows

    async def page(self, notice_id: str, pq: PageQuery) -> tuple[list[dict], bool, int | None]:
        segment = Segment({"notice_id": notice_id}, [("unit_name", ASCENDING), ("_id", ASCENDING)], count=True)
        return await read_page(self.kept, [segment], pq)


class Progress:
    """The use cases of 下级进度 (wired in app.py)."""

    def __init__(
        self,
        store: RollupStore,
        reports: ReportsRepository,
        publish: Callable[[Event, str | None], Awaitable[None]],
        *,
        node: str,
        linked: list[str],
        clock: Clock,
        interval: float,
    ) -> None:
        self.store, self.reports, self.publish = store, reports, publish
        self.node, self.linked, self.clock = node, set(linked), clock
        self.interval = timedelta(seconds=interval)

    # ------------------------------------------------------------ changes of the read models

    async def notice_changed(self, event: NoticeIssued | NoticeForwarded | NoticeCorrected) -> None:
        """After the read models took a 下发/转发/更正: a 转发 made here gets its record; any change is pending."""
        notice = event.notice
        if isinstance(event, NoticeForwarded) and event.origin_node == self.node and notice.chain:
            upstream = notice.chain[-1]
            await self.store.record_forward(
                notice.notice_id,
                {
                    "notice_id": upstream.notice_id,
                    "chain": [c.notice_id for c in notice.chain],
                    "issuer_node": upstream.node_id,
                    "doc_number": notice.doc_number,
                    "unit_id": notice.issuers[0].unit_id,
                    "unit_name": notice.issuers[0].name,
                    "co_forwarders": [
                        i.model_dump(mode="json", include={"unit_id", "name", "kind", "node_id"})
                        for i in notice.issuers[1:]
                    ],
                },
            )
            return
        await self.store.touch(notice.notice_id)

    async def touch(self, notice_id: str) -> None:
        await self.store.touch(notice_id)

    def after(self, handler: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        """``handler`` (a read model's use case), then the notice it changed is pending. In that order: a report
        taken after the touch sees the change."""

        async def handled(event: Any) -> None:
            await handler(event)
            if isinstance(event, NoticeIssued | NoticeForwarded | NoticeCorrected):
                await self.notice_changed(event)
            else:
                await self.touch(event.notice_id)

        return handled

    # ------------------------------------------------------------ reporting

    async def flush_due(self) -> int:
        """Report every pending 转发 whose time has come; how many were sent."""
        now = self.clock.now()
        sent = 0
        for doc in await self.store.pending():
            if progress.utc(doc["not_before"]) <= now:
                sent += await self.flush(doc, now)
        return sent

    async def flush(self, doc: dict, now: datetime) -> bool:
        claimed = await self.store.claim(doc, now)
        if claimed is None:  # another replica has it, or it was just sent
            return False
        try:
            header = await self.reports.header(claimed["_id"])
            if header is None or "revision" not in header:  # its own 转发 event is not handled yet: it touches again
                await self.store.sent(claimed, now, timedelta(0))
                return False
            events = await self.report(claimed, header, now)
            dest = claimed["issuer_node"]
            if dest != self.node and dest not in self.linked:
                log.warning("下级进度 of %s not sent: node %s is not linked", claimed["_id"], dest)
            else:
                for event in events:
                    await self.publish(event, None if dest == self.node else dest)
        except BaseException:
            await self.store.release(claimed["_id"], now + self.interval)
            raise
        await self.store.sent(claimed, now, self.interval)
        return True

    async def report(self, out: dict, header: dict, now: datetime) -> list[ProgressReported]:
        units = await self.reports.units_of(out["_id"], {"row": 0, "owes": 0})
        forwards = progress.forwards_by_unit(await self.store.children(out["_id"]))
        return progress.report_events(
            out,
            header,
            progress.figures(header, units),
            progress.unit_rows(header, units, forwards),
            node=self.node,
            now=now,
        )

    async def run(self) -> None:
        """The background loop: a tick a second at most, more often when the interval is short (tests)."""
        tick = min(1.0, self.interval.total_seconds() / 2)
        while True:
            try:
                await self.flush_due()
            except Exception:  # the store or the bus is away for a moment: the records wait in the store
                log.exception("reporting 下级进度 failed")
            await asyncio.sleep(tick)

    # ------------------------------------------------------------ keeping what the levels below report

    async def received(self, event: ProgressReported) -> None:
        if not await self.store.keep(event, self.clock.now()):
            return  # older than what is kept: the newer one went on up already
        # The forwarding unit's row in this level's own report changed (its nested figures).
        await self.store.touch(event.notice_id)
        dest = await self.relay_target(event)
        if dest is not None:
            await self.publish(progress.relayed(event, self.node), dest)

    async def relay_target(self, event: ProgressReported) -> str | None:
        """Where this level passes a report on: the upstream of the nearest 转发 made here above it that goes to
        another node (a 转发 answering one of this node's own only moves the report along the chain here)."""
        for notice_id in reversed(event.chain):
            mine = await self.store.forward_of_here(notice_id)
            if mine is None:
                continue
            dest = mine["issuer_node"]
            if dest != self.node:
                return dest if dest in self.linked else None
        return None

    # ------------------------------------------------------------ queries

    async def rollup(self, q: RollupQuery) -> Rollup:
        docs, has_more, total = await self.store.page(q.notice_id, q.page)
        now = self.clock.now()
        rows = [progress.forward_view(d, now) for d in docs]
        return Rollup.model_validate(
            {"notice_id": q.notice_id, "forwards": page_of(rows, q.page, has_more, total).model_dump()}
        )

    async def forward_progress(self, q: ForwardProgressQuery) -> ForwardProgress:
        doc = await self.store.report(q.forward_notice_id)
        if doc is None or q.notice_id not in doc.get("chain", []):
            raise NotFound("尚未收到该转发的进度", field="forward_notice_id")
        now = self.clock.now()
        deadlines = {a["ask_id"]: a["deadline"] for a in doc["figures"].get("asks", [])}
        rows = await self.store.rows(doc)
        chunk = rows[q.page.skip : q.page.skip + q.page.per_page]
        units = [progress.unit_view(r, deadlines, now) for r in chunk]
        # From the notice read to this 转发: the levels in between, each as its own report says.
        below = doc["chain"][doc["chain"].index(q.notice_id) + 1 :]
        path = []
        for notice_id in below:
            above = await self.store.report(notice_id)
            if above is not None:
                path.append(progress.forward_view(above, now))
        return ForwardProgress.model_validate(
            {
                "notice_id": q.notice_id,
                "forward": progress.forward_view(doc, now),
                "path": path,
                "units": page_of(units, q.page, q.page.skip + len(chunk) < len(rows), len(rows)).model_dump(),
            }
        )


class Answers:
    """What the reports contract's actions are answered by: 下级进度's queries here, the rest handlers.Reports'."""

    def __init__(self, reports: object, progress: Progress) -> None:
        self.reports, self.rollup, self.forward_progress = reports, progress.rollup, progress.forward_progress

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reports, name)
