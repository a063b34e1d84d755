"""Transactional outbox without transactions.

FerretDB v1 has no multi-document transactions, so a state change and the
events it must emit are written in ONE document: the aggregate carries an
``_outbox`` list (append to it with ``$push``, never replace it). After the
write we publish each entry (JetStream drops repeats by ``Nats-Msg-Id``) and
then take the published entries off the aggregate (``$pullAll``): once out,
an event is the stream's to keep, and an aggregate that carried every event
it ever emitted grew with its history (a notice to 300 units carried its
``notice.issued`` parts, as large again as the notice; every read of it paid
for them). The default store applies the ``$pullAll`` by ``_id`` atomically
with any ``$push`` of new entries (deploy/ferretdb, patch 0004).

If NATS does not take an entry (down, or too slow to ack), the state change
still stands — it is written — and ``flush`` keeps trying in the background
until it goes out. If the process dies before that, ``flush_pending``
republishes at the next start-up whatever is still on an aggregate: nothing
is lost, and consumers are idempotent on ``event_id`` so nothing is applied
twice.

Before entries were taken off, each published one was recorded by a marker
in the service's ``outbox_published`` collection and stayed on the aggregate;
``flush_pending`` takes those off without publishing them again.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from pymongo.asynchronous.collection import AsyncCollection

from .events import Event

FIELD = "_outbox"
MARKERS = "outbox_published"

RETRY_MAX_DELAY_S = 30.0

# (aggregate _id, the entries it carries) → the entries to publish, one per entry and in order.
Expand = Callable[[str, list[dict]], Awaitable[list[dict]]]

log = logging.getLogger("cascade.outbox")
# Retries and take-offs in flight; held here so the event loop does not drop them.
_retries: set[asyncio.Task] = set()


def entries(*pairs: tuple[Event, str | None]) -> list[dict]:
    """Outbox entries for (event, destination node or None for local) pairs."""
    return [
        {
            "id": event.event_id if dest is None else f"{event.event_id}:{dest}",
            "dest": dest,
            "event": event.model_dump(mode="json"),
        }
        for event, dest in pairs
    ]


async def flush(
    service, collection: AsyncCollection, doc_id: str, pending: list[dict], carried: list[dict] | None = None
) -> None:
    """Publish the entries the aggregate ``collection/doc_id`` carries, then take them off it.

    ``carried``: the entries as the aggregate holds them, when it holds a smaller form of what is published (one
    per entry, in order; see ``flush_pending``'s ``expand``). The caller's write is already durable, so a failure
    here does not fail the caller: the entries are retried in the background until they go out.
    """
    carried = pending if carried is None else carried
    try:
        await _publish_and_take_off(service, collection, doc_id, pending, carried)
    except Exception as exc:
        log.warning(
            "publishing %d event(s) of %s/%s failed (%r); retrying in the background",
            len(pending),
            collection.name,
            doc_id,
            exc,
        )
        task = asyncio.create_task(_retry(service, collection, doc_id, pending, carried))
        _retries.add(task)
        task.add_done_callback(_retries.discard)


async def _retry(service, collection: AsyncCollection, doc_id: str, pending: list[dict], carried: list[dict]) -> None:
    delay = 0.5
    while True:
        await asyncio.sleep(delay)
        try:
            await _publish_and_take_off(service, collection, doc_id, pending, carried)
            log.info("published %d event(s) of %s/%s after a retry", len(pending), collection.name, doc_id)
            return
        except Exception as exc:
            delay = min(delay * 2, RETRY_MAX_DELAY_S)
            log.warning("publishing %s/%s still failing (%r); next try in %.1f s", collection.name, doc_id, exc, delay)


async def _publish_and_take_off(
    service, collection: AsyncCollection, doc_id: str, pending: list[dict], carried: list[dict]
) -> None:
    """Publish, then take the entries off in the background: the caller (a command) need not wait for that write,
    which comes just as the events' consumers start writing to the same database (a notice's events are as large
    as the notice). Until it lands the entries stay on the aggregate, and a start-up in between publishes them
    again, which JetStream and the consumers drop."""
    # All at once: consumers never relied on the order of one write's events (they run 4 at a time and apply a
    # change only if it is ahead), and a notice's parts then cost one round trip to JetStream, not one each.
    await asyncio.gather(*(service.publish(entry["event"], entry["dest"]) for entry in pending))
    if pending:
        log.debug("published %d event(s) of %s/%s", len(pending), collection.name, doc_id)
        task = asyncio.create_task(_take_off_logged(collection, doc_id, carried))
        _retries.add(task)
        task.add_done_callback(_retries.discard)


async def _take_off_logged(collection: AsyncCollection, doc_id: str, entries: list[dict]) -> None:
    try:
        await _take_off(collection, doc_id, entries)
    except Exception as exc:  # they stay on the aggregate: the next start-up publishes them again (dropped there)
        log.warning("taking %d published event(s) off %s/%s failed (%r)", len(entries), collection.name, doc_id, exc)


async def _take_off(collection: AsyncCollection, doc_id: str, entries: list[dict]) -> None:
    """Remove entries from the aggregate, each by its whole value (as it was pushed and read back)."""
    if entries:
        await collection.update_one({"_id": doc_id}, {"$pullAll": {FIELD: entries}})


async def flush_pending(service, collection: AsyncCollection, expand: Expand | None = None) -> int:
    """Republish what a crash left on the aggregates. Scans, so run it at start-up only.

    ``expand``: makes the entries to publish from those an aggregate carries (``flush``'s ``carried``), given the
    aggregate's ``_id``. Entries an older version marked as published (``MARKERS``) are only taken off. Returns
    how many entries were published.
    """
    carriers = [doc async for doc in collection.find({f"{FIELD}.0": {"$exists": True}}, {FIELD: 1})]
    ids = [entry["id"] for doc in carriers for entry in doc[FIELD]]
    if not ids:
        return 0
    done = {m["_id"] async for m in service.db[MARKERS].find({"_id": {"$in": ids}}, {"_id": 1})}
    count = 0
    for doc in carriers:
        left = [entry for entry in doc[FIELD] if entry["id"] not in done]
        await _take_off(collection, doc["_id"], [entry for entry in doc[FIELD] if entry["id"] in done])
        if left:
            publish = await expand(doc["_id"], left) if expand else left
            await _publish_and_take_off(service, collection, doc["_id"], publish, left)
            count += len(left)
    return count
