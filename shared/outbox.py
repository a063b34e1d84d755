"""Transactional outbox without transactions.

FerretDB v1 has no multi-document transactions, so a state change and the
events it must emit are written in ONE document: the aggregate carries an
``_outbox`` list. After the write we publish each entry (JetStream drops
repeats by ``Nats-Msg-Id``) and clear the list. If the process dies in
between, ``flush_pending`` republishes at the next start-up: nothing is lost,
and consumers are idempotent on ``event_id`` so nothing is applied twice.
"""

from pymongo.asynchronous.collection import AsyncCollection

from .events import Event, parse_event

FIELD = "_outbox"


def entries(*pairs: tuple[Event, str | None]) -> list[dict]:
    """Outbox entries for (event, destination node or None for local) pairs."""
    return [{"dest": dest, "event": event.model_dump(mode="json")} for event, dest in pairs]


async def flush(service, collection: AsyncCollection, doc_id: str, pending: list[dict]) -> None:
    for entry in pending:
        await service.publish(parse_event(entry["event"]), entry["dest"])
    if pending:
        await collection.update_one({"_id": doc_id}, {"$set": {FIELD: []}})


async def flush_pending(service, collection: AsyncCollection) -> int:
    """Republish what a crash left behind. A scan, so run it at start-up only."""
    count = 0
    async for doc in collection.find({f"{FIELD}.0": {"$exists": True}}, {FIELD: 1}):
        await flush(service, collection, doc["_id"], doc[FIELD])
        count += 1
    return count
