"""One notice to 3,000 recipient units: the fan-out, through the slice and next to a raw baseline.

Slice: a whole node as ``cascade up`` runs it (every service its own
process). A directory of 3,000 hosted units (one contact each, e-mail and
mobile) is imported in one CSV, then each notice is issued by HTTP ``POST
/api/notices`` to all of them, with one ask. The notices service stores the
notice and publishes ``notice.issued`` in parts of 500 recipients; four
consumers fan it out: notices fills 3,000 inbox entries, submissions 3,000
expected submissions, notifications 6,000 deliveries, reports 3,000 per-unit
status documents and the notice's header. The clock stops when every consumer
has acknowledged every part (a part is acknowledged only after its handler
wrote); the documents are counted at the end to check.

Raw baseline: the same documents and the same event bytes, written with the
plain drivers on the same servers: PyMongo ``insert_one`` of the notice,
nats-py JetStream ``publish`` of its parts, a pull consumer fetching them,
and per part the ``insert_many`` of its inbox entries, expected submissions
and deliveries and the report's per-unit documents —
the floor of these writes on this machine, without validation, routing or
services.

    python -m bench issue_fanout [--recipients N] [--notices K] [-h]
"""

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
from nats.js import api as js_api
from pymongo import AsyncMongoClient

from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from shared import subjects

from ._node import CpuMeter, cpu_parts, machine, percentile, processes, running_node, store

INBOX_USERS = 8  # users opening their 收文 at the same moment

# (service, durable name) of each consumer of notice.issued, and what it writes per recipient.
CONSUMERS = {
    "inbox (notices)": ("notices", "inbox_issued"),
    "expected (submissions)": ("submissions", "expect_issued"),
    "deliveries (notifications)": ("notifications", "deliveries_issued"),
    "status (reports)": ("reports", "status_issued"),
}


def directory_csv(recipients: int) -> str:
    rows = [
        "unit_id,name,kind,parent_id,departments,doc_number_template,contact1_name,contact1_mobile,contact1_email",
        "gd-kx,广东省科学技术协会,科协,,组织联络部,粤科协联〔{year}〕{seq}号,雷晶,,gdsxzz11b@126.com",
    ]
    kinds = ("科协", "学会/协会/研究会", "高校科协", "企业科协")
    for i in range(recipients):
        rows.append(f"u{i:05d},第{i}号基层科学技术协会,{kinds[i % 4]},gd-kx,,,联系人{i},138{i:08d},u{i}@example.cn")
    return "\n".join(rows) + "\n"


def notice_payload(k: int, recipients: int, deadline: str) -> dict:
    return {
        "title": f"关于开展2020年“全国科技工作者日”活动的通知（扇出基准 {k}）",
        "issuer_unit_ids": ["gd-kx"],
        "recipient_unit_ids": [f"u{i:05d}" for i in range(recipients)],
        "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送文字信息、影像资料等。" * 5,
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结",
                "deadline": deadline,
                "fields": [{"key": "summary", "label": "总结报告", "type": "text", "max_chars": 3000}],
                "routes": [{"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"}],
            }
        ],
    }


@dataclass
class Fanout:
    seconds: float  # POST until every consumer acknowledged every part
    accepted: float  # POST until 201
    per_consumer: dict[str, float] = field(default_factory=dict)
    parts: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    lookups: list[float] = field(default_factory=list)  # a directory lookup's latency while the POST ran


async def inboxes_at_once(rt: NodeRuntime, users: int) -> tuple[float, list[float]]:
    """收文 of one unit alone, then of ``users`` units at once (each its own token): the seconds each took."""

    async def client(unit: str) -> httpx.AsyncClient:
        token = await create_api_token(rt.store_url, rt.cfg.node_id, unit, "submitter", name=f"bench {unit}")
        return httpx.AsyncClient(
            base_url=rt.cfg.gateway_url, timeout=120.0, headers={"Authorization": f"Bearer {token}"}
        )

    async def timed(c: httpx.AsyncClient) -> float:
        t = time.perf_counter()
        (await c.get("/api/inbox")).raise_for_status()
        return time.perf_counter() - t

    clients = [await client(f"u{i:05d}") for i in range(users)]
    try:
        alone = await timed(clients[0])
        return alone, list(await asyncio.gather(*(timed(c) for c in clients)))
    finally:
        for c in clients:
            await c.aclose()


async def lookups_while(http: httpx.AsyncClient, running: asyncio.Event, out: list[float]) -> None:
    """Look a unit up (``GET /api/units/…``, one document by ``_id``) again and again until ``running`` is cleared:
    what another user's page waits while the notices service is busy issuing."""
    while running.is_set():
        t = time.perf_counter()
        (await http.get("/api/units/u00001")).raise_for_status()
        out.append(time.perf_counter() - t)
        await asyncio.sleep(0.02)


async def consumers_done(js, node: str, last_seq: int, t0: float, timeout: float = 600.0) -> dict[str, float]:
    """Seconds since ``t0`` at which each consumer had acknowledged everything up to ``last_seq``."""
    stream = subjects.events_stream(node)
    done: dict[str, float] = {}
    deadline = time.perf_counter() + timeout
    while len(done) < len(CONSUMERS):
        for label, (service, name) in CONSUMERS.items():
            if label in done:
                continue
            info = await js.consumer_info(stream, subjects.durable(node, service, name))
            if info.ack_floor.stream_seq >= last_seq and info.num_ack_pending == 0:
                done[label] = time.perf_counter() - t0
        if time.perf_counter() > deadline:
            raise TimeoutError(f"consumers still behind after {timeout}s: {sorted(set(CONSUMERS) - set(done))}")
        await asyncio.sleep(0.02)
    return done


async def run_slice(
    rt: NodeRuntime, recipients: int, notices: int
) -> tuple[list[Fanout], list[str], float, list[float]]:
    node = rt.cfg.node_id
    deadline = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 30 * 86400))
    token = await create_api_token(rt.store_url, node, "gd-kx", "admin", "issuer", name="bench fan-out")
    nc = await nats.connect(rt.cfg.nats_url)
    js = nc.jetstream()
    results, ids = [], []
    try:
        async with httpx.AsyncClient(
            base_url=rt.cfg.gateway_url, timeout=300.0, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            t = time.perf_counter()
            r = await http.post(
                "/api/units/import", params={"format": "csv"}, content=directory_csv(recipients).encode()
            )
            r.raise_for_status()
            import_seconds = time.perf_counter() - t
            idle: list[float] = []
            for _ in range(20):
                t = time.perf_counter()
                (await http.get("/api/units/u00001")).raise_for_status()
                idle.append(time.perf_counter() - t)
            for k in range(notices):
                meter = CpuMeter({name: p.pid for name, p in processes(rt).items()} | {"bench client": os.getpid()})
                meter.start()
                busy = asyncio.Event()
                lookups: list[float] = []
                busy.set()
                t0 = time.perf_counter()
                prober = asyncio.create_task(lookups_while(http, busy, lookups))
                r = await http.post("/api/notices", json=notice_payload(k, recipients, deadline))
                busy.clear()
                await prober
                if r.status_code != 201:
                    raise RuntimeError(f"POST /api/notices answered {r.status_code}: {r.text[:300]}")
                accepted = time.perf_counter() - t0
                ids.append(r.json()["notice_id"])
                last = (await js.stream_info(subjects.events_stream(node))).state.last_seq
                per = await consumers_done(js, node, last, t0)
                results.append(Fanout(max(per.values()), accepted, per, cpu=meter.stop(), lookups=lookups))
    finally:
        await nc.close()
    await check_documents(rt, ids, recipients)
    return results, ids, import_seconds, idle


async def check_documents(rt: NodeRuntime, ids: list[str], recipients: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url)
    node = rt.cfg.node_id
    try:
        want = {
            "inbox": recipients * len(ids),
            "expected": recipients * len(ids),
            "deliveries": 2 * recipients * len(ids),
        }
        got = {
            "inbox": await client[f"{node}_notices"]["inbox"].count_documents({}),
            "expected": await client[f"{node}_submissions"]["expected"].count_documents({}),
            "deliveries": await client[f"{node}_notifications"]["deliveries"].count_documents({}),
        }
        # The reports service keeps one small document per (notice, recipient).
        units = await client[f"{node}_reports"]["notice_units"].count_documents({"notice_id": ids[-1]})
        if got != want or units != recipients:
            raise AssertionError(f"read models hold {got} and {units} recipients, expected {want}")
    finally:
        await client.close()


async def run_raw(rt: NodeRuntime, notice_id: str, rounds: int) -> tuple[list[float], int]:
    """The same writes with the plain drivers: the notice, its event parts, and per part its documents."""
    node = rt.cfg.node_id
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url)
    nc = await nats.connect(rt.cfg.nats_url)
    js = nc.jetstream()
    try:
        notice = await client[f"{node}_notices"]["notices"].find_one({"_id": notice_id})
        if notice is None:
            raise LookupError(f"notice {notice_id} is not in the store")
        inbox = [d async for d in client[f"{node}_notices"]["inbox"].find({"notice_id": notice_id})]
        expected = [d async for d in client[f"{node}_submissions"]["expected"].find({"notice_id": notice_id})]
        deliveries = [d async for d in client[f"{node}_notifications"]["deliveries"].find({"notice_id": notice_id})]
        units = [d async for d in client[f"{node}_reports"]["notice_units"].find({"notice_id": notice_id})]
        sub = await js.pull_subscribe(subjects.incoming("notice.issued", node), stream=subjects.events_stream(node))
        parts: list[bytes] = []
        while True:
            try:
                batch = await sub.fetch(64, timeout=2)
            except TimeoutError:
                break
            parts += [m.data for m in batch if notice_id.encode() in m.data]
        await sub.unsubscribe()
        by_unit = lambda docs: {d["unit_id"]: d for d in docs}  # noqa: E731
        inbox_u, expected_u = by_unit(inbox), by_unit(expected)
        deliveries_u: dict[str, list[dict]] = {}
        for d in deliveries:
            deliveries_u.setdefault(d["unit_id"], []).append(d)
        recipients = [(d["unit_id"], d) for d in units]
        size = -(-len(recipients) // len(parts))
        slices = [recipients[i : i + size] for i in range(0, len(recipients), size)]

        await js.add_stream(
            js_api.StreamConfig(
                name="BENCH_FANOUT",
                subjects=["bench.fanout.>"],
                storage=js_api.StorageType.FILE,
                duplicate_window=300.0,
            )
        )
        db = client[f"{node}_raw"]
        times = []
        for r in range(rounds):
            t0 = time.perf_counter()
            await db["notices"].insert_one(dict(notice, _id=f"{r}:{notice_id}", number_key=f"{r}"))
            for i, data in enumerate(parts):
                await js.publish(f"bench.fanout.{r}", data, headers={"Nats-Msg-Id": f"{r}:{i}"})
            raw_sub = await js.pull_subscribe(f"bench.fanout.{r}", stream="BENCH_FANOUT")
            got = 0
            while got < len(parts):
                for m in await raw_sub.fetch(len(parts) - got, timeout=10):
                    piece = slices[got] if got < len(slices) else []
                    unit_ids = [u for u, _ in piece]
                    await db["inbox"].insert_many([dict(inbox_u[u], _id=f"{r}:{inbox_u[u]['_id']}") for u in unit_ids])
                    await db["expected"].insert_many(
                        [dict(expected_u[u], _id=f"{r}:{expected_u[u]['_id']}") for u in unit_ids]
                    )
                    await db["deliveries"].insert_many(
                        [dict(d, _id=f"{r}:{d['_id']}") for u in unit_ids for d in deliveries_u.get(u, [])]
                    )
                    await db["notice_units"].insert_many([dict(v, _id=f"{r}:{v['_id']}") for _, v in piece])
                    await m.ack()
                    got += 1
            await raw_sub.unsubscribe()
            times.append(time.perf_counter() - t0)
        return times, len(parts)
    finally:
        await nc.close()
        await client.close()


def report(
    results: list[Fanout], raw: list[float], parts: int, recipients: int, import_seconds: float, idle: list[float]
) -> None:
    docs = 5 * recipients + 1  # inbox + expected + 2 deliveries + the report's unit document per recipient, the notice
    median = lambda xs: statistics.median(xs)  # noqa: E731
    total = median([r.seconds for r in results])
    raw_s = median(raw)
    print(
        f"\n{recipients} recipients per notice, {len(results)} notice(s); notice.issued in {parts} parts, "
        f"each consumed by {len(CONSUMERS)} services; {docs} documents written per notice"
    )
    print(f"  directory import of {recipients + 1} units (one CSV):  {import_seconds:.2f} s")
    print("\n  slice (HTTP → gateway → notices → JetStream → 4 consumers)")
    for i, r in enumerate(results):
        print(f"    notice {i + 1}: {r.seconds:6.2f} s end to end, accepted (201) after {r.accepted:.2f} s")
    print(
        f"    median end to end:   {total:.2f} s   {recipients / total:8.0f} recipients/s   "
        f"{parts * len(CONSUMERS) / total:6.1f} events handled/s   {docs / total:8.0f} documents/s"
    )
    for label in CONSUMERS:
        print(f"      {label:28s} done after {median([r.per_consumer[label] for r in results]):.2f} s")
    busy = [x for r in results for x in r.lookups]
    print(
        f"    a directory lookup (GET /api/units/…) meanwhile: p50 {percentile(busy, 50) * 1000:.0f} ms, "
        f"max {max(busy) * 1000:.0f} ms over {len(busy)} lookups; idle p50 {percentile(idle, 50) * 1000:.0f} ms"
    )
    print("\n  raw baseline (PyMongo insert_one/insert_many/update_one + nats-py publish/fetch, same documents)")
    print(
        f"    median of {len(raw)} rounds: {raw_s:.2f} s   {recipients / raw_s:8.0f} recipients/s   "
        f"{parts * len(CONSUMERS) / raw_s:6.1f} events/s   {docs / raw_s:8.0f} documents/s   "
        f"(rounds: {', '.join(f'{x:.2f}' for x in raw)})"
    )
    # Events: every part of notice.issued is handled once by each of the four consumers (the raw loop
    # does the same handlings itself, one after the other).
    deliveries = parts * len(CONSUMERS)
    print(f"\n  events/s ({parts} parts × {len(CONSUMERS)} consumers = {deliveries} event handlings per notice)")
    print(f"    slice: {deliveries / total:7.1f} events/s      raw baseline: {deliveries / raw_s:7.1f} events/s")
    print(f"\n  ratio slice / raw:   {raw_s / total:.3f}   (raw is {total / raw_s:.1f}× faster)")
    cpu = results[-1].cpu
    parts_cpu = cpu_parts(cpu)
    print(
        f"\n  CPU seconds during the last notice ({sum(cpu.values()):.1f} s in {results[-1].seconds:.1f} s wall): "
        f"{parts_cpu}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench issue_fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=3000, help="recipient units per notice")
    parser.add_argument("--notices", type=int, default=3, help="notices issued, one after the other")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the raw baseline (the median is compared)")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", flush=True)
    with running_node() as rt:
        print(f"store: {store(rt)}", flush=True)
        results, ids, import_seconds, idle = asyncio.run(run_slice(rt, args.recipients, args.notices))
        alone, together = asyncio.run(inboxes_at_once(rt, INBOX_USERS))
        raw, parts = asyncio.run(run_raw(rt, ids[-1], args.rounds))
    report(results, raw, parts, args.recipients, import_seconds, idle)
    print(
        f"\n  收文 (GET /api/inbox, {args.notices * args.recipients} inbox entries stored): one unit alone "
        f"{alone * 1000:.0f} ms; {INBOX_USERS} units at once: p50 {percentile(together, 50) * 1000:.0f} ms, "
        f"slowest {max(together) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
