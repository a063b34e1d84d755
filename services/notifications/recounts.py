"""Recounts of the ``delivery_counts`` documents, coalesced: one per notice, cause and channel per moment.

Why deferred: every write that moves deliveries (recording a cause's deliveries, a sending job's outcomes, a
digest settled) must recount what it touched (``DeliveriesRepository.recount``: a count per status, then a
guarded write). Done in the handler, a notice answered by 300 units recounted its ``submission.arrived``
counts twice per 报送 (recorded, then sent): about half of what a 报送 cost the whole node. Here a handler
only names what it touched; a background task recounts each named key once every ``recount_delay_seconds``,
however many events touched it meanwhile.

A cause's first deliveries need none (``recorded``): their counts are written with them, from the documents just
recorded (``DeliveriesRepository.count_recorded``), one insert for every channel. Which counts exist already is
remembered (``known``), so that a cause recorded by many events (a notice's 300 ``submission.arrived``) tries
that insert once, not on every event only to find the counts there.

Why that is safe: the counts are a view the sending summary checks before it trusts them (counts that can
still move or that disagree with the size of the log are counted afresh there, and written back), so a
recount lost to a crash or a shutdown leaves the summary right and is made by its next view.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable

from .repository import DeliveriesRepository

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # notice, cause, channel
KNOWN_KEPT = 10_000  # keys remembered as having their counts document, the most recently met kept


class Recounts:
    def __init__(self, repo: DeliveriesRepository, delay: float) -> None:
        self.repo = repo
        self.delay = delay
        self.pending: set[Key] = set()
        self.known: OrderedDict[Key, None] = OrderedDict()

    def soon(self, notice_id: str | None, cause: str | None, channels: Iterable[str]) -> None:
        if notice_id and cause:
            self.pending.update((notice_id, cause, channel) for channel in channels)

    async def recorded(self, notice_id: str | None, cause: str, docs: list[dict], *, all_new: bool) -> None:
        """Deliveries of a cause were just recorded: counts not made yet are written from ``docs`` when every
        one of them is new (not a redelivery: nothing can have moved them yet), the rest recounted soon."""
        channels = {doc["channel"] for doc in docs}
        counted: set[str] = set()
        if all_new and notice_id:
            first = [doc for doc in docs if (notice_id, cause, doc["channel"]) not in self.known]
            if first:
                counted = await self.repo.count_recorded(first)
        if notice_id:
            self._know((notice_id, cause, channel) for channel in channels)
        self.soon(notice_id, cause, channels - counted)

    def _know(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self.known[key] = None
            self.known.move_to_end(key)
        while len(self.known) > KNOWN_KEPT:
            self.known.popitem(last=False)

    async def flush(self) -> None:
        keys, self.pending = self.pending, set()
        for key in sorted(keys):
            try:
                await self.repo.recount(*key)
                self._know([key])
            except Exception:  # the summary counts afresh meanwhile; try again on the next round
                log.exception("recount of %s failed", key)
                self.pending.add(key)

    async def run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.delay)
                await self.flush()
        finally:
            if self.pending:  # shutting down: what is named is counted now, while the store still answers
                await self.flush()
