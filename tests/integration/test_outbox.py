"""A crash between storing a state change and publishing its events loses nothing."""

from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from shared import outbox
from shared.events import NoticeAcknowledged

from ..harness import eventually, running


def ack_event(node_id: str, unit: str) -> NoticeAcknowledged:
    now = datetime.now(UTC)
    return NoticeAcknowledged(
        occurred_at=now,
        origin_node=node_id,
        notice_id="n-crash",
        issuer_node=node_id,
        unit_id=unit,
        unit_name=unit,
        acknowledged_by="测试",
        acknowledged_at=now,
    )


async def test_unpublished_entries_are_published_at_start_up_and_only_those(node):
    # What an earlier life of the notices service left: one aggregate whose
    # event went out (marked), one whose process died before publishing.
    published = ack_event(node.node_id, "u-published")
    lost = ack_event(node.node_id, "u-lost")

    async with running(node, ["reports"]):
        client = AsyncMongoClient(node.servers.mongo_url)
        db = client[f"{node.node_id}_notices"]
        await db["inbox"].insert_many(
            [
                {"_id": "a", outbox.FIELD: outbox.entries((published, None))},
                {"_id": "b", outbox.FIELD: outbox.entries((lost, None))},
            ]
        )
        await db[outbox.MARKERS].insert_one({"_id": published.event_id})

        # Second life: start-up republishes only the unmarked entry.
        async with running(node, ["notices"]):
            units = client[f"{node.node_id}_reports"]["notice_units"]  # one document per (notice, unit)

            async def receipt_seen():
                return await units.find_one({"_id": "n-crash:u-lost", "ack": {"$exists": True}})

            assert await eventually(receipt_seen)
            assert await units.find_one({"_id": "n-crash:u-published"}) is None
            # Both taken off their aggregates: the published one without going out again.
            left = [doc async for doc in db["inbox"].find({"_id": {"$in": ["a", "b"]}})]
            assert [(doc["_id"], doc[outbox.FIELD]) for doc in left] == [("a", []), ("b", [])]
        await client.close()


class FlakyBus:
    """Stands in for a service whose NATS refuses the first ``failures`` publishes."""

    def __init__(self, db, failures: int):
        self.db, self.failures = db, failures
        self.published: list[str] = []

    async def publish(self, event: dict, dest=None):
        if self.failures:
            self.failures -= 1
            raise TimeoutError("no ack")
        self.published.append(event["event_id"])  # as the outbox holds it


async def test_a_publish_that_fails_does_not_fail_the_write_and_is_retried_until_it_goes_out(node):
    client = AsyncMongoClient(node.servers.mongo_url)
    db = client[f"{node.node_id}_notices"]
    event, other = ack_event(node.node_id, "u-slow"), ack_event(node.node_id, "u-next")
    pending = outbox.entries((event, None))
    await db["inbox"].insert_one({"_id": "c", outbox.FIELD: pending})
    bus = FlakyBus(db, failures=2)

    await outbox.flush(bus, db["inbox"], "c", pending)  # returns although NATS refused
    assert bus.published == []
    # Another change of the aggregate meanwhile: its entry stays until it is published itself.
    later = outbox.entries((other, None))
    await db["inbox"].update_one({"_id": "c"}, {"$push": {outbox.FIELD: {"$each": later}}})

    async def taken_off():
        doc = await db["inbox"].find_one({"_id": "c"})
        return doc is not None and [e["id"] for e in doc[outbox.FIELD]] == [other.event_id]

    assert await eventually(taken_off)
    assert bus.published == [event.event_id] and bus.failures == 0
    await client.close()
