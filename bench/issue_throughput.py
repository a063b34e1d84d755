"""Notices issued per second through the slice, next to a raw baseline.

Slice: HTTP ``POST /api/notices`` to the gateway (its own process) → the
notices service validates, allocates the 文号 and stores the notice →
``notice.issued`` on JetStream → consumed by notifications (one delivery per
recipient contact and channel) AND reports (the status read model). The clock
stops when both read models hold every notice.

Raw baseline: the same notice documents inserted with PyMongo into the same
store (FerretDB, or the MongoDB that MONGO_URL names) and the same ``notice.issued`` events published with nats-py to a
JetStream stream on the same nats-server, with the same concurrency: the
floor that one store write and one publish per notice cost on this machine.

HTTP floor: the same POSTs, client and concurrency, to a server that only
parses the body and answers 201 (bench/_http_floor.py): the most any slice
behind HTTP could reach on this machine.

It also issues a few notices one at a time, through HTTP and straight to the
notices service over NATS, to show where a single request's time goes, and
prints the CPU seconds each process spent. Figures: docs/benchmarks.md.

    python -m bench issue_throughput [--notices N] [--concurrency C] [-h]
"""

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import nats
from nats.js import api as js_api
from pymongo import AsyncMongoClient

from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from services.notifications.domain import channels_for
from shared import subjects
from shared.contracts.common import Reply
from shared.contracts.notices import UpsertUnit
from shared.schemas import Contact, UnitKind

from ._http_floor import floor_server
from ._load import bounded, deadline_in
from ._node import CpuMeter, cpu_parts, machine, percentile, processes, running_node, store

# A province issuing to its cities, societies and universities, as in seed 000.
ISSUERS = [
    UpsertUnit(
        unit_id="gd-kx",
        name="广东省科学技术协会",
        kind=UnitKind.kexie,
        doc_number_template="粤科协联〔{year}〕{seq}号",
        contacts=[
            Contact(name="雷晶", department="组织联络部", office_phone="020-83551764", email="gdsxzz11b@126.com")
        ],
    ),
    UpsertUnit(
        unit_id="gd-kjt",
        name="广东省科学技术厅",
        kind=UnitKind.keji,
        contacts=[Contact(name="夏兴林", department="引进智力管理处", mobile="18026320018")],
    ),
]
RECIPIENTS = [
    UpsertUnit(
        unit_id="sz-kx",
        name="深圳市科学技术协会",
        kind=UnitKind.kexie,
        parent_id="gd-kx",
        contacts=[Contact(name="王敏", mobile="13800000001", email="szkx@example.cn")],
    ),
    UpsertUnit(
        unit_id="sz-kjj",
        name="深圳市科技创新局",
        kind=UnitKind.keji,
        parent_id="gd-kjt",
        contacts=[Contact(name="李军", mobile="13800000002")],
    ),
    UpsertUnit(
        unit_id="gz-kx",
        name="广州市科学技术协会",
        kind=UnitKind.kexie,
        parent_id="gd-kx",
        contacts=[Contact(name="张华", email="gzkx@example.cn")],
    ),
    UpsertUnit(
        unit_id="gd-jxxh",
        name="广东省机械工程学会",
        kind=UnitKind.society,
        parent_id="gd-kx",
        contacts=[Contact(name="陈思", email="jxxh@example.cn")],
    ),
    UpsertUnit(
        unit_id="scut-kx",
        name="华南理工大学科协",
        kind=UnitKind.university,
        parent_id="gd-kx",
        contacts=[Contact(name="刘洋", mobile="13800000003", email="scut@example.cn")],
    ),
]
DELIVERIES_PER_NOTICE = sum(len(channels_for(c)) for u in RECIPIENTS for c in u.contacts)

BODY = (
    "现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们，并就有关事项通知如下：\n"
    "一、广泛凝聚合力，做好工作预案。积极争取地方党委、政府支持，充分调动各方面积极性，结合各自实际制定工作方案。\n"
    "二、突出时代主题，广泛开展宣传。充分利用主流媒体、新媒体和科技系统、科协系统宣传平台，发挥各自优势开展主题宣传。\n"
    "三、梳理典型做法，做好总结评估。请各有关单位认真总结活动开展情况和工作成效，梳理总结典型经验，提出意见建议，"
    "于6月10日前报送文字信息、影像资料等。\n"
)


def notice_payload(i: int, deadline: str) -> dict:
    return {
        "title": f"关于开展2020年“全国科技工作者日”活动的通知（基准 {i}）",
        # 广东省科协 alone: a joint notice goes through 会签 (a draft), not POST /api/notices.
        "issuer_unit_ids": ["gd-kx"],
        "recipient_unit_ids": [u.unit_id for u in RECIPIENTS],
        "body": BODY,
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结（文字信息、影像资料）",
                "deadline": deadline,
                "max_items": 2,
                "routes": [
                    {"unit_kind": "科技厅/局", "to_unit_id": "gd-kjt", "department": "引进智力管理处"},
                    {"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                ],
            }
        ],
    }


@dataclass
class Result:
    notices: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    accepted_seconds: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.notices / self.seconds


class ReadModels:
    """The two read models the slice must fill.

    Progress is watched on the consumers (JetStream acks a message only after
    its handler has written), which costs the servers next to nothing;
    counting documents on every poll would not: on FerretDB v1 a count decodes
    every document, loading the very store being measured. The documents are
    counted once, at the end, to check.
    """

    CONSUMERS = (("reports", "status_issued"), ("notifications", "deliveries_issued"))

    def __init__(self, rt: NodeRuntime) -> None:
        self.node = rt.cfg.node_id
        self.nats_url = rt.cfg.nats_url
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url)
        self.status = self.client[f"{self.node}_reports"]["notice_status"]
        self.deliveries = self.client[f"{self.node}_notifications"]["deliveries"]

    async def counts(self) -> tuple[int, int]:
        return await self.status.count_documents({}), await self.deliveries.count_documents({})

    async def wait_for(self, notices: int, timeout: float = 120.0, interval: float = 0.02) -> None:
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            stream = subjects.events_stream(self.node)
            last = (await js.stream_info(stream)).state.last_seq
            deadline = time.perf_counter() + timeout
            for service, name in self.CONSUMERS:
                durable = subjects.durable(self.node, service, name)
                while True:
                    info = await js.consumer_info(stream, durable)
                    if info.ack_floor.stream_seq >= last and info.num_pending == 0 and info.num_ack_pending == 0:
                        break
                    if time.perf_counter() > deadline:
                        raise TimeoutError(f"{durable} still behind: {info}")
                    await asyncio.sleep(interval)
        finally:
            await nc.close()
        want = (notices, notices * DELIVERIES_PER_NOTICE)
        if (got := await self.counts()) != want:
            raise AssertionError(f"consumers are done but the read models hold {got}, expected {want}")

    async def close(self) -> None:
        await self.client.close()


@dataclass
class SliceRun:
    measured: Result
    one_http: list[float]  # one request at a time, through HTTP and the gateway
    one_rpc: list[float]  # one request at a time, straight to the notices service over NATS


async def run_slice(rt: NodeRuntime, n: int, concurrency: int, warmup: int, single: int) -> SliceRun:
    deadline = deadline_in(30)
    models = ReadModels(rt)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    nc = await nats.connect(rt.cfg.nats_url)
    try:
        token = await create_api_token(rt.store_url, rt.cfg.node_id, "gd-kx", "admin", "issuer", name="bench")
        async with httpx.AsyncClient(
            base_url=rt.cfg.gateway_url, timeout=60.0, limits=limits, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for unit in ISSUERS + RECIPIENTS:
                r = await http.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))
                r.raise_for_status()

            async def issue(i: int) -> None:
                r = await http.post("/api/notices", json=notice_payload(i, deadline))
                if r.status_code != 201:
                    raise RuntimeError(f"POST /api/notices answered {r.status_code}: {r.text[:300]}")

            # Warm-up: connections, code paths, the consumers' first fetch.
            await bounded(warmup, concurrency, issue)
            await models.wait_for(warmup)

            meter = CpuMeter({name: p.pid for name, p in processes(rt).items()} | {"bench client": os.getpid()})
            meter.start()
            t0 = time.perf_counter()
            latencies = await bounded(n, concurrency, lambda i: issue(warmup + i))
            accepted = time.perf_counter() - t0
            await models.wait_for(warmup + n)
            seconds = time.perf_counter() - t0
            cpu = meter.stop()

            # Where one request's time goes: the same issue with and without HTTP + gateway.
            base = warmup + n
            one_http = await bounded(single, 1, lambda i: issue(base + i))

        subject = subjects.rpc(rt.cfg.node_id, "notices", "issue")

        async def issue_rpc(i: int) -> None:
            msg = await nc.request(
                subject, json.dumps(notice_payload(base + single + i, deadline)).encode(), timeout=30
            )
            reply: Reply[Any] = Reply.model_validate_json(msg.data)
            if not reply.ok:
                raise RuntimeError(f"{subject} answered {reply.error}")

        one_rpc = await bounded(single, 1, issue_rpc)
        await models.wait_for(base + 2 * single)
    finally:
        await nc.close()
        await models.close()
    return SliceRun(Result(n, seconds, latencies, accepted, cpu), one_http, one_rpc)


async def run_raw(rt: NodeRuntime, n: int, concurrency: int, warmup: int, rounds: int) -> list[Result]:
    """The same notice documents and events, written and published with the plain drivers."""
    node = rt.cfg.node_id
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url)
    nc = await nats.connect(rt.cfg.nats_url)
    try:
        source = client[f"{node}_notices"]["notices"]
        docs = [d async for d in source.find({}).sort("_id", 1).limit(n)]
        js = nc.jetstream()
        events_sub = await js.pull_subscribe(
            subjects.incoming("notice.issued", node), stream=subjects.events_stream(node)
        )
        events: list[bytes] = []
        while len(events) < n:
            events += [m.data for m in await events_sub.fetch(min(256, n - len(events)), timeout=5)]
        await events_sub.unsubscribe()

        await js.add_stream(
            js_api.StreamConfig(
                name="BENCH_RAW",
                subjects=["bench.raw.>"],
                storage=js_api.StorageType.FILE,
                duplicate_window=300.0,
            )
        )
        target = client[f"{node}_raw"]["notices"]  # same store, its own database

        async def write(key: str, i: int) -> None:
            await target.insert_one(dict(docs[i % len(docs)], _id=key))
            await js.publish(f"bench.raw.{node}", events[i % len(events)], headers={"Nats-Msg-Id": key})

        async def write_in_round(r: int, i: int) -> None:
            await write(f"r{r}-{i}", i)

        await bounded(warmup, concurrency, lambda i: write(f"warm-{i}", i))  # same warm-up as the slice
        results = []
        for r in range(rounds):  # a round takes well under a second: repeat it and keep them all
            meter = CpuMeter({name: p.pid for name, p in rt.infra.items()} | {"bench client": os.getpid()})
            meter.start()
            t0 = time.perf_counter()
            latencies = await bounded(n, concurrency, partial(write_in_round, r))
            seconds = time.perf_counter() - t0
            results.append(Result(n, seconds, latencies, cpu=meter.stop()))
        return results
    finally:
        await nc.close()
        await client.close()


async def run_http_floor(url: str, pid: int, n: int, concurrency: int, warmup: int, rounds: int) -> list[Result]:
    """The slice's POSTs, same client, payloads and concurrency, to a server that only parses them (_http_floor)."""
    deadline = deadline_in(30)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, timeout=60.0, limits=limits, headers={"Authorization": "Bearer -"}
    ) as http:

        async def post(i: int) -> None:
            r = await http.post("/api/notices", json=notice_payload(i, deadline))
            if r.status_code != 201:
                raise RuntimeError(f"the HTTP floor answered {r.status_code}")

        await bounded(warmup, concurrency, post)
        results = []
        for _ in range(rounds):
            meter = CpuMeter({"http server": pid, "bench client": os.getpid()})
            meter.start()
            t0 = time.perf_counter()
            latencies = await bounded(n, concurrency, post)
            results.append(Result(n, time.perf_counter() - t0, latencies, cpu=meter.stop()))
        return results


def median_round(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


def report(run: SliceRun, raws: list[Result], floors: list[Result], concurrency: int) -> None:
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    slice_ = run.measured
    accepted = slice_.accepted_seconds
    assert accepted is not None  # run_slice() measures it
    raw = median_round(raws)
    floor = median_round(floors)
    print(
        f"\n{slice_.notices} notices, concurrency {concurrency}, {len(RECIPIENTS)} recipients and "
        f"{DELIVERIES_PER_NOTICE} deliveries each"
    )
    print("\n  slice (HTTP → gateway → notices → JetStream → notifications + reports)")
    print(
        f"    end to end:        {slice_.rate:8.1f} notices/s   ({slice_.seconds:.2f} s until both read models were complete)"
    )
    print(f"    accepted by HTTP:  {slice_.notices / accepted:8.1f} notices/s   ({accepted:.2f} s)")
    print(
        f"    POST latency:      p50 {ms(percentile(slice_.latencies, 50))}  p95 {ms(percentile(slice_.latencies, 95))}"
        f"  p99 {ms(percentile(slice_.latencies, 99))}"
    )
    print(
        f"    one at a time:     HTTP p50 {ms(percentile(run.one_http, 50))}, "
        f"NATS request to notices directly p50 {ms(percentile(run.one_rpc, 50))} ({len(run.one_rpc)} each)"
    )
    print("\n  raw baseline (PyMongo insert_one + nats-py JetStream publish, same documents, same servers)")
    print(
        f"    throughput:        {raw.rate:8.1f} notices/s   (median of {len(raws)} rounds: "
        f"{', '.join(f'{r.rate:.0f}' for r in raws)})"
    )
    print(f"    per notice:        p50 {ms(percentile(raw.latencies, 50))}  p95 {ms(percentile(raw.latencies, 95))}")
    print(f"\n  ratio slice / raw:   {slice_.rate / raw.rate:8.3f}   (raw is {raw.rate / slice_.rate:.1f}× faster)")
    print("\n  HTTP floor (the same POSTs, client and concurrency; the server only parses the body and answers 201)")
    print(
        f"    throughput:        {floor.rate:8.1f} requests/s   (median of {len(floors)} rounds: "
        f"{', '.join(f'{r.rate:.0f}' for r in floors)})"
    )
    print(
        f"    slice / floor:     {slice_.rate / floor.rate:8.3f}   (a slice / raw of 0.3 would be "
        f"{0.3 * raw.rate:.0f} notices/s: {0.3 * raw.rate / floor.rate:.2f}× what HTTP alone carries here)"
    )
    for title, r in (("slice", slice_), ("median raw", raw), ("median HTTP floor", floor)):
        total = sum(r.cpu.values())
        parts = cpu_parts(r.cpu)
        print(
            f"\n  CPU seconds during the {title} run ({total:.1f} s in {r.seconds:.1f} s wall, "
            f"{total / r.notices * 1000:.1f} ms each): {parts}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench issue_throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=300, help="notices to issue in the measured run")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    parser.add_argument("--warmup", type=int, default=20, help="notices issued before measuring")
    parser.add_argument("--single", type=int, default=30, help="notices issued one at a time for the latency breakdown")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the raw baseline (the median is compared)")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", flush=True)
    with running_node() as rt:
        print(f"store: {store(rt)}", flush=True)
        run = asyncio.run(run_slice(rt, args.notices, args.concurrency, args.warmup, args.single))
        raws = asyncio.run(run_raw(rt, args.notices, args.concurrency, args.warmup, args.rounds))
        with floor_server() as (url, pid):
            floors = asyncio.run(run_http_floor(url, pid, args.notices, args.concurrency, args.warmup, args.rounds))
    report(run, raws, floors, args.concurrency)
    return 0
