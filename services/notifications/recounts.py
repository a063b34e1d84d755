"""Recounts of the ``delivery_counts`` documents, coalesced: one per notice, cause and channel per moment.

Why deferred: every write that moves deliveries (recording a cause's deliveries, a sending job's outcomes, a
digest settled) must recount what it touched (``DeliveriesRepository.recount``: a count per status, then a
guarded write). Done in the handler, a notice answered by 300 units recounted its ``submission.arrived``
counts twice per 报送 (recorded, then sent): about half of what a 报送 cost the whole node. Here a handler
only names what it touched; a background task recounts each named key once every ``recount_delay_seconds``,
however many events touched it meanwhile. A cause's first deliveries need none: their counts are written with
them, from the documents just recorded (``DeliveriesRepository.count_recorded``).

Why that is safe: the counts are a view the sending summary checks before it trusts them (counts that can
still move or that disagree with the size of the log are counted afresh there, and written back), so a
recount lost to a crash or a shutdown leaves the summary right and is made by its next view.
"""

import asyncio
import logging

from .repository import DeliveriesRepository

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # notice, cause, channel


class Recounts:
    def __init__(self, repo: DeliveriesRepository, delay: float) -> None:
        self.repo = repo
        self.delay = delay
        self.pending: set[Key] = set()

    def soon(self, notice_id: str | None, cause: str | None, channels) -> None:
        if notice_id and cause:
            self.pending.update((notice_id, cause, channel) for channel in channels)

    async def flush(self) -> None:
        keys, self.pending = self.pending, set()
        for key in sorted(keys):
            try:
                await self.repo.recount(*key)
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
