"""Submissions (报送) and acceptances (采用) per second through the slice, next to a raw baseline.

Slice: a whole node as ``cascade up`` runs it (every service its own
process). A directory of one issuer and N recipient units is imported, one
notice with a summary ask (a text field of up to 3000 characters) is issued to
all of them, and once the submissions service has scheduled every recipient:

1. **N submissions**, each unit with its own API token (role submitter):
   HTTP ``POST /api/notices/{id}/asks/summary/submission`` with ~1 KB of
   Chinese text, C in flight. The gateway → the submissions service checks the
   items, inserts the revision with the event in its outbox, advances the
   unit's ``expected`` document, publishes ``plan.submitted`` → consumed by the
   submissions service itself and by reports (the completeness read model).
2. **N acceptances** by the issuer's reviewer: ``POST
   /api/submissions/{id}/accept`` → ``submission.accepted`` → the same two
   consumers.

Each clock runs from the first POST until both consumers have acknowledged
every event (acked only after the handler wrote); the completeness read model
(``GET /api/notices/{id}/completeness`` as the issuer) is then checked once to
show all N submitted, then all N accepted.

Raw baseline, same run, same servers, same concurrency: per submission a
PyMongo ``insert_one`` of the same revision document (with its outbox entry)
and an ``update_one`` by ``_id`` of the submission document (the same ``$set``)
on a copy of the ``expected`` collection in the same store, and
a nats-py JetStream ``publish`` of the same ``plan.submitted`` bytes with
``Nats-Msg-Id`` to a file stream on the same nats-server; per acceptance the
same update (with the ``$push`` of its outbox entry) and publish. Each entry is
then taken off (``$pullAll``), as the outbox does once it is published.
Figures: docs/benchmarks.md.

    python -m bench submission_throughput [--units N] [--concurrency C] [-h]
"""

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import nats
from nats.js import api as js_api
from pymongo import AsyncMongoClient

from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from services.submissions import domain
from shared import outbox, subjects

from ._load import bearer, bounded, deadline_in, settled, unit_tokens
from ._node import CpuMeter, cpu_parts, machine, percentile, processes, running_node, store

ISSUER = "gd-kx"
ASK = "summary"
# ~1 KB of UTF-8 (about 340 characters), well inside the field's 3000.
SUMMARY = (
    "我会于5月30日前后组织开展“科技为民、奋斗有我”主题活动，走访慰问一线科技工作者120人次，"
    "举办科普讲座6场、青少年科技创新展示活动2场，线上线下参与群众逾3000人次。活动期间，"
    "我们联合市属高校、科研院所和重点企业，围绕乡村振兴、智能制造、生命健康等领域开展技术咨询和成果对接，"
    "收集企业技术需求41项，促成合作意向12项。同时，通过微信公众号、短视频平台发布活动信息28条，"
    "累计阅读量超过5万次。下一步，我们将认真总结经验，建立常态化联系服务科技工作者机制，"
    "进一步做好科技工作者权益保障和表彰激励工作，营造尊重知识、尊重人才、尊重创造的良好氛围。"
    "活动中也发现基层科协组织力量薄弱、经费保障不足等问题，建议上级科协加强指导，完善激励机制。"
    "附：活动照片、影像资料另行报送。"
)
# The consumers of each phase's event: (service, durable name).
SUBMITTED = (("submissions", "submitted"), ("reports", "completeness_submitted"))
ACCEPTED = (("submissions", "accepted"), ("reports", "completeness_accepted"))
SCHEDULED = (("submissions", "expect_issued"), ("reports", "status_issued"))


def unit_id(i: int) -> str:
    return f"s{i:04d}"


def directory_csv(units: int) -> str:
    rows = [
        "unit_id,name,kind,parent_id,departments,contact1_name,contact1_email",
        f"{ISSUER},广东省科学技术协会,科协,,组织联络部,雷晶,gdsxzz11b@126.com",
    ]
    rows += [
        f"{unit_id(i)},第{i}号基层科学技术协会,科协,{ISSUER},,联系人{i},{unit_id(i)}@example.cn" for i in range(units)
    ]
    return "\n".join(rows) + "\n"


def notice_payload(title: str, recipients: list[str], deadline: str) -> dict:
    return {
        "title": title,
        "issuer_unit_ids": [ISSUER],
        "recipient_unit_ids": recipients,
        "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送活动总结。",
        "asks": [
            {
                "ask_id": ASK,
                "kind": "summary_report",
                "title": "活动总结",
                "deadline": deadline,
                "fields": [{"key": "summary", "label": "总结报告", "type": "text", "max_chars": 3000}],
                "routes": [{"unit_kind": "科协", "to_unit_id": ISSUER, "department": "组织联络部"}],
            }
        ],
    }


@dataclass
class Phase:
    count: int
    seconds: float  # first POST until both consumers acknowledged everything
    posted: float  # first POST until the last answer
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


@dataclass
class SliceRun:
    notice_id: str
    submissions: Phase
    acceptances: Phase
    setup: float


async def run_slice(rt: NodeRuntime, units: int, concurrency: int, warmup: int) -> SliceRun:
    node = rt.cfg.node_id
    url = rt.store_url
    t_setup = time.perf_counter()
    admin = await create_api_token(url, node, ISSUER, "admin", "issuer", name="bench")
    reviewer = await create_api_token(url, node, ISSUER, "issuer", "reviewer", name="bench reviewer")
    tokens = await unit_tokens(rt, [unit_id(i) for i in range(units)], "submitter", name="bench submitter")
    pids = {name: p.pid for name, p in processes(rt).items()} | {"bench client": os.getpid()}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    nc = await nats.connect(rt.cfg.nats_url)
    js = nc.jetstream()
    deadline = deadline_in(30)
    try:
        async with httpx.AsyncClient(base_url=rt.cfg.gateway_url, timeout=120.0, limits=limits) as http:
            r = await http.post(
                "/api/units/import",
                params={"format": "csv"},
                headers=bearer(admin),
                content=directory_csv(units).encode(),
            )
            r.raise_for_status()

            async def issue(title: str, recipients: list[str]) -> str:
                r = await http.post(
                    "/api/notices", headers=bearer(admin), json=notice_payload(title, recipients, deadline)
                )
                if r.status_code != 201:
                    raise RuntimeError(f"POST /api/notices answered {r.status_code}: {r.text[:300]}")
                return r.json()["notice_id"]

            async def submit(notice_id: str, i: int) -> str:
                r = await http.post(
                    f"/api/notices/{notice_id}/asks/{ASK}/submission",
                    headers=bearer(tokens[i]),
                    json={"items": [{"summary": f"{unit_id(i)}：{SUMMARY}"}]},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"POST …/submission answered {r.status_code}: {r.text[:300]}")
                return r.json()["id"]

            async def accept(sid: str) -> None:
                r = await http.post(f"/api/submissions/{sid}/accept", headers=bearer(reviewer), json={"revision": 1})
                if r.status_code != 200:
                    raise RuntimeError(f"POST …/accept answered {r.status_code}: {r.text[:300]}")

            async def completeness(notice_id: str) -> dict:
                r = await http.get(f"/api/notices/{notice_id}/completeness", headers=bearer(reviewer))
                r.raise_for_status()
                return next(a for a in r.json()["asks"] if a["ask_id"] == ASK)

            # Warm-up: a notice to the first few units, submitted and accepted (connections, code paths, consumers).
            warm = await issue("活动总结（预热）", [unit_id(i) for i in range(warmup)])
            await settled(js, node, SCHEDULED)
            warm_ids = [await submit(warm, i) for i in range(warmup)]
            for sid in warm_ids:
                await accept(sid)

            notice_id = await issue(
                f"关于报送2020年“全国科技工作者日”活动总结的通知（{units} 个单位）", [unit_id(i) for i in range(units)]
            )
            await settled(js, node, SCHEDULED + SUBMITTED + ACCEPTED)
            # Every unit sees what it owes (this also records each token's first use, an update, before the clock).
            seen = 0

            async def owes(i: int) -> None:
                nonlocal seen
                r = await http.get("/api/submissions", headers=bearer(tokens[i]))
                r.raise_for_status()
                rows = r.json()["items"]  # the first page: what is still owed comes first
                seen += any(row["notice_id"] == notice_id and row["status"] == "pending" for row in rows)

            await bounded(units, concurrency, owes)
            if seen != units:
                raise AssertionError(f"{seen} of {units} units see the submission they owe")
            setup = time.perf_counter() - t_setup

            ids: list[str] = [""] * units

            async def submit_one(i: int) -> None:
                ids[i] = await submit(notice_id, i)

            phases = []
            for work, consumers, state in (
                (submit_one, SUBMITTED, "submitted"),
                (lambda i: accept(ids[i]), ACCEPTED, "accepted"),
            ):
                meter = CpuMeter(pids)
                meter.start()
                t0 = time.perf_counter()
                latencies = await bounded(units, concurrency, work)
                posted = time.perf_counter() - t0
                await settled(js, node, consumers)
                seconds = time.perf_counter() - t0
                phases.append(Phase(units, seconds, posted, latencies, meter.stop()))
                ask = await completeness(notice_id)
                if ask[state] != units or ask["owed"] != units:
                    raise AssertionError(f"completeness shows {ask[state]} of {ask['owed']} {state}, expected {units}")
    finally:
        await nc.close()
    return SliceRun(notice_id, phases[0], phases[1], setup)


async def run_raw(rt: NodeRuntime, notice_id: str, concurrency: int, rounds: int) -> tuple[list[Phase], list[Phase]]:
    """The same writes and publishes with the plain drivers: (submission rounds, acceptance rounds)."""
    node = rt.cfg.node_id
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url, tz_aware=True)
    nc = await nats.connect(rt.cfg.nats_url)
    try:
        sdb = client[f"{node}_submissions"]
        docs = [d async for d in sdb["expected"].find({"notice_id": notice_id}).sort("_id", 1)]
        revisions = {
            d["submission_id"]: d
            async for d in sdb["revisions"].find({"_id": {"$in": [f"{d['_id']}:1" for d in docs]}})
        }
        js = nc.jetstream()
        events: dict[str, dict[str, bytes]] = {"plan.submitted": {}, "submission.accepted": {}}
        for event_type, got in events.items():
            sub = await js.pull_subscribe(subjects.incoming(event_type, node), stream=subjects.events_stream(node))
            try:
                while True:
                    try:
                        msgs = await sub.fetch(256, timeout=1)
                    except TimeoutError:  # nats-py raises either its own subclass or the builtin
                        break
                    for m in msgs:
                        got[json.loads(m.data)["submission_id"]] = m.data
            finally:
                await sub.unsubscribe()
        # The outbox entries the slice wrote (taken off its documents once published): rebuilt from the events.
        entries = {
            event_type: {
                sid: {"id": (e := json.loads(data))["event_id"], "dest": None, "event": e} for sid, data in got.items()
            }
            for event_type, got in events.items()
        }
        sids = [d["_id"] for d in docs]

        await js.add_stream(
            js_api.StreamConfig(
                name="BENCH_RAW",
                subjects=["bench.raw.>"],
                storage=js_api.StorageType.FILE,
                duplicate_window=300.0,
            )
        )
        raw = client[f"{node}_raw"]  # same store, its own database
        pending = [
            {k: v for k, v in d.items() if k != outbox.FIELD}
            | {"status": "pending", "revision": 0, "stage": 0, outbox.FIELD: []}
            for d in docs
        ]

        async def submit(key: str, i: int) -> None:
            sid, rev = sids[i], revisions[sids[i]]
            fields = domain.submitted_fields(
                revision=1,
                at=rev["submitted_at"],
                by=rev["submitted_by"],
                late=rev["late"],
                items=len(rev["items"]),
                compiled=False,
            )
            entry, rid = entries["plan.submitted"][sid], f"{key}:{rev['_id']}"
            await raw["revisions"].insert_one(dict(rev, _id=rid, **{outbox.FIELD: [entry]}))  # the event in it
            await raw["expected"].update_one({"_id": sid}, {"$set": fields})
            await js.publish(
                f"bench.raw.{node}", events["plan.submitted"][sid], headers={"Nats-Msg-Id": f"{key}:{sid}"}
            )
            await raw["revisions"].update_one({"_id": rid}, {"$pullAll": {outbox.FIELD: [entry]}})  # published

        async def accept(key: str, i: int) -> None:
            sid = sids[i]
            entry = entries["submission.accepted"][sid]
            fields = domain.reviewed_fields(
                status="accepted",
                revision=1,
                by=entry["event"]["reviewed_by"],
                at=datetime.fromisoformat(entry["event"]["reviewed_at"]),
            )
            await raw["expected"].update_one({"_id": sid}, {"$set": fields, "$push": {outbox.FIELD: entry}})
            await js.publish(
                f"bench.raw.{node}", events["submission.accepted"][sid], headers={"Nats-Msg-Id": f"{key}:{sid}"}
            )
            await raw["expected"].update_one({"_id": sid}, {"$pullAll": {outbox.FIELD: [entry]}})  # published

        out: tuple[list[Phase], list[Phase]] = ([], [])
        n = len(sids)
        for r in range(rounds):
            await raw["expected"].delete_many({})  # each round starts from the pending documents
            await raw["expected"].insert_many(pending)
            for results, work in ((out[0], submit), (out[1], accept)):
                meter = CpuMeter({name: p.pid for name, p in rt.infra.items()} | {"bench client": os.getpid()})
                meter.start()
                t0 = time.perf_counter()
                latencies = await bounded(n, concurrency, partial(work, f"r{r}-{work.__name__}"))
                seconds = time.perf_counter() - t0
                results.append(Phase(n, seconds, seconds, latencies, meter.stop()))
        return out
    finally:
        await nc.close()
        await client.close()


def report(run: SliceRun, raws: tuple[list[Phase], list[Phase]], units: int, concurrency: int) -> None:
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    print(
        f"\n{units} units, concurrency {concurrency}, one notice, one summary ask, ~{len(SUMMARY.encode())} B of "
        f"text per submission (setup: directory, tokens, notice, scheduling {run.setup:.1f} s)"
    )
    for label, what, phase, rounds in (
        ("submissions", "报送 POST …/asks/summary/submission", run.submissions, raws[0]),
        ("acceptances", "采用 POST /api/submissions/{id}/accept", run.acceptances, raws[1]),
    ):
        raw = sorted(rounds, key=lambda p: p.rate)[len(rounds) // 2]  # the median round
        print(f"\n  {label}: {what} → submissions → JetStream → submissions + reports")
        print(
            f"    slice end to end:  {phase.rate:8.1f} {label}/s   ({phase.seconds:.2f} s until completeness "
            f"showed all {phase.count})"
        )
        print(f"    answered by HTTP:  {phase.count / phase.posted:8.1f} {label}/s   ({phase.posted:.2f} s)")
        print(
            f"    POST latency:      p50 {ms(percentile(phase.latencies, 50))}  "
            f"p95 {ms(percentile(phase.latencies, 95))}  p99 {ms(percentile(phase.latencies, 99))}"
        )
        writes = "insert_one + update_one {_id}" if label == "submissions" else "update_one {_id}"
        print(
            f"    raw baseline:      {raw.rate:8.1f} {label}/s   ({writes} + JetStream publish; median of "
            f"{len(rounds)} rounds: {', '.join(f'{p.rate:.0f}' for p in rounds)}; "
            f"p50 {ms(percentile(raw.latencies, 50))} p95 {ms(percentile(raw.latencies, 95))})"
        )
        print(f"    ratio slice / raw: {phase.rate / raw.rate:8.3f}   (raw is {raw.rate / phase.rate:.1f}× faster)")
        for title, p in (("slice", phase), ("median raw", raw)):
            total = sum(p.cpu.values())
            parts = cpu_parts(p.cpu, digits=2)
            print(f"    CPU seconds, {title} ({total:.1f} s in {p.seconds:.1f} s wall): {parts}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench submission_throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=50, help="recipient units, each submitting once")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    parser.add_argument("--warmup", type=int, default=5, help="units that submit and are accepted on a warm-up notice")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the raw baseline (the median is compared)")
    args = parser.parse_args(argv)
    if not 0 < args.warmup <= args.units:
        parser.error("--warmup must be between 1 and --units")

    print(f"machine: {machine()}", flush=True)
    with running_node() as rt:
        print(f"store: {store(rt)}", flush=True)
        run = asyncio.run(run_slice(rt, args.units, args.concurrency, args.warmup))
        raws = asyncio.run(run_raw(rt, run.notice_id, args.concurrency, args.rounds))
    report(run, raws, args.units, args.concurrency)
    print(f"\nmachine after: {machine()}")
    return 0
