"""What the benchmarks that drive a node through its HTTP API share: bounded concurrency, deadlines,
waiting for the JetStream consumers, and API tokens for many units."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from shared import subjects


async def bounded(n: int, concurrency: int, work: Callable[[int], Awaitable[object]]) -> list[float]:
    """Run ``work(i)`` for i in range(n), ``concurrency`` at a time; per-call latencies in seconds."""
    latencies: list[float] = []
    next_i = iter(range(n))

    async def worker() -> None:
        for i in next_i:
            t = time.perf_counter()
            await work(i)
            latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def deadline_in(days: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + days * 86400))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def settled(js, node: str, consumers, timeout: float = 300.0) -> None:
    """Every event now in the stream that these (service, durable name) consumers filter on has been acknowledged.

    A consumer acknowledges a message only after its handler wrote, so this is "the read models are
    complete"; watching the consumers costs the servers next to nothing, where counting documents would
    load the very store being measured."""
    stream = subjects.events_stream(node)
    deadline = time.perf_counter() + timeout
    for service, name in consumers:
        durable = subjects.durable(node, service, name)
        while True:
            info = await js.consumer_info(stream, durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{durable} still behind: {info}")
            await asyncio.sleep(0.02)


async def unit_tokens(rt: NodeRuntime, unit_ids: list[str], *roles: str, name: str = "bench") -> list[str]:
    """An API token per unit (written straight into the gateway's database, 8 at a time), in ``unit_ids`` order."""
    sem = asyncio.Semaphore(8)

    async def one(unit_id: str) -> str:
        async with sem:
            return await create_api_token(rt.store_url, rt.cfg.node_id, unit_id, *roles, name=name)

    return list(await asyncio.gather(*(one(u) for u in unit_ids)))
