"""The notifications service keeps its channel settings and templates a moment (repository.Kept): read once per
moment, dropped by a save, never keeping what a save replaced while it was being read."""

import asyncio

from services.notifications.repository import Kept


class Store:
    def __init__(self) -> None:
        self.value = {"email": {"sender": "a@example.cn"}}
        self.reads = 0
        self.gate: asyncio.Event | None = None

    async def read(self) -> dict:
        self.reads += 1
        seen = {k: dict(v) for k, v in self.value.items()}
        if self.gate is not None:
            await self.gate.wait()
        return seen


async def test_read_once_per_moment_and_each_caller_gets_its_own_copy():
    store, kept = Store(), Kept(ttl=60)
    first = await kept.get("channels", store.read)
    first["email"]["sender"] = "changed by a caller"
    again = await kept.get("channels", store.read)
    assert store.reads == 1 and again == {"email": {"sender": "a@example.cn"}}
    assert await Kept(ttl=0).get("channels", store.read) == again and store.reads == 2  # ttl 0: always read


async def test_a_save_drops_what_is_kept():
    store, kept = Store(), Kept(ttl=60)
    await kept.get("channels", store.read)
    store.value = {"email": {"sender": "b@example.cn"}}
    kept.drop()
    assert (await kept.get("channels", store.read))["email"]["sender"] == "b@example.cn" and store.reads == 2


async def test_a_read_in_flight_while_a_save_drops_is_not_kept():
    store, kept = Store(), Kept(ttl=60)
    store.gate = asyncio.Event()
    reading = asyncio.create_task(kept.get("channels", store.read))
    await asyncio.sleep(0)  # the read has what the store held before the save
    store.value = {"email": {"sender": "b@example.cn"}}
    kept.drop()
    store.gate.set()
    assert (await reading)["email"]["sender"] == "a@example.cn"  # that caller asked before the save
    store.gate = None
    assert (await kept.get("channels", store.read))["email"]["sender"] == "b@example.cn" and store.reads == 2
