"""E-mails sent per second through the notifications service, next to plain smtplib.

Slice: a whole node as ``cascade up`` runs it, its notifications service
pointed at an SMTP server on loopback (aiosmtpd's sink in its own process:
it answers 250 and drops the message). A directory of N hosted units (one
e-mail contact each; SMS and chat off) is imported, then one notice is
issued by HTTP to all of them: notifications records N deliveries, queues
them as jobs of 50 on ``WORK_<node>``, and sends each job over one SMTP
connection, inserting every message's outcome. The clock runs from the POST
until the work queue is empty and the deliveries consumer has acknowledged
every part of ``notice.issued``; the summary the issuer sees must then say N
sent.

Raw baseline: the same messages (the service's own deliveries, read back)
sent with plain ``smtplib``, one connection per 50, and their outcomes
inserted with PyMongo (``insert_many`` per 50), one batch after the other:
the floor of SMTP plus the outcome records on this machine.

    python -m bench sending [--recipients N] [--notices K] [--rounds R] [-h]
"""

import argparse
import asyncio
import os
import smtplib
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
from pymongo import AsyncMongoClient

from cascade.processes import Proc, free_port, wait_port
from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from services.notifications.sending import OutgoingMessage, email_message
from shared import subjects

from ._node import CpuMeter, cpu_parts, machine, processes, running_node, store
from .issue_fanout import directory_csv, notice_payload

BATCH = 50


def start_smtp_sink(port: int, log: Path) -> Proc:
    """aiosmtpd's own command line with its Sink handler, in a process of its own."""
    proc = Proc(
        "smtp-sink",
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        log,
    )
    wait_port("127.0.0.1", port, proc=proc)
    return proc


async def until_sent(js, node: str, last_seq: int, timeout: float = 600.0) -> None:
    """The deliveries consumer has every part, and the work queue is empty (every job acked)."""
    durable = subjects.durable(node, "notifications", "deliveries_issued")
    deadline = time.perf_counter() + timeout
    while True:
        info = await js.consumer_info(subjects.events_stream(node), durable)
        if info.ack_floor.stream_seq >= last_seq and info.num_ack_pending == 0:
            work = await js.stream_info(subjects.work_stream(node))
            if work.state.messages == 0:
                return
        if time.perf_counter() > deadline:
            raise TimeoutError("sending did not finish")
        await asyncio.sleep(0.02)


async def run_slice(rt: NodeRuntime, recipients: int, notices: int) -> tuple[list[float], list[str], dict]:
    node = rt.cfg.node_id
    deadline = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 30 * 86400))
    token = await create_api_token(rt.store_url, node, "gd-kx", "admin", "issuer", name="bench sending")
    nc = await nats.connect(rt.cfg.nats_url)
    js = nc.jetstream()
    times, ids, cpu = [], [], {}
    try:
        async with httpx.AsyncClient(
            base_url=rt.cfg.gateway_url, timeout=300.0, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            (
                await http.post(
                    "/api/units/import", params={"format": "csv"}, content=directory_csv(recipients).encode()
                )
            ).raise_for_status()
            (
                await http.put(
                    "/api/admin/channels",
                    json={
                        "email": {"enabled": True, "sender": "kx@gdkx.example.cn", "sender_name": "广东省科协"},
                        "sms": {"enabled": False},
                        "chat": {"enabled": False},
                    },
                )
            ).raise_for_status()
            for k in range(notices):
                meter = CpuMeter({name: p.pid for name, p in processes(rt).items()} | {"bench client": os.getpid()})
                meter.start()
                t0 = time.perf_counter()
                r = await http.post("/api/notices", json=notice_payload(k, recipients, deadline))
                if r.status_code != 201:
                    raise RuntimeError(f"POST /api/notices answered {r.status_code}: {r.text[:300]}")
                last = (await js.stream_info(subjects.events_stream(node))).state.last_seq
                await until_sent(js, node, last)
                times.append(time.perf_counter() - t0)
                cpu = meter.stop()
                nid = r.json()["notice_id"]
                ids.append(nid)
                summary = (await http.get(f"/api/notices/{nid}/deliveries/summary")).json()
                if (summary["total"], summary["sent"]) != (recipients, recipients):
                    raise AssertionError(f"{summary['sent']} of {summary['total']} sent, expected {recipients}")
    finally:
        await nc.close()
    return times, ids, cpu


async def run_raw(rt: NodeRuntime, port: int, notice_id: str, rounds: int) -> list[float]:
    node = rt.cfg.node_id
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url)
    try:
        deliveries = [d async for d in client[f"{node}_notifications"]["deliveries"].find({"notice_id": notice_id})]
        messages = [OutgoingMessage.of(d) for d in deliveries]
        outcomes = client[f"{node}_raw"]["outcomes"]
        times = []
        for r in range(rounds):
            t0 = time.perf_counter()
            for i in range(0, len(messages), BATCH):
                batch = messages[i : i + BATCH]
                await asyncio.to_thread(send_plain, port, batch)
                now = datetime.now(UTC)
                await outcomes.insert_many(
                    [{"_id": f"{r}:{m.delivery_id}", "status": "sent", "at": now} for m in batch]
                )
            times.append(time.perf_counter() - t0)
        return times
    finally:
        await client.close()


def send_plain(port: int, batch: list[OutgoingMessage]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        for m in batch:
            smtp.send_message(email_message(m))


def report(times: list[float], raw: list[float], recipients: int, cpu: dict) -> None:
    slice_s, raw_s = statistics.median(times), statistics.median(raw)
    print(f"\n{recipients} e-mails per notice ({len(times)} notice(s)), jobs of {BATCH}, to an SMTP sink on loopback")
    print("\n  slice (HTTP → notices → notice.issued → notifications: deliveries, jobs on WORK, SMTP, outcomes)")
    for i, t in enumerate(times):
        print(f"    notice {i + 1}: {t:6.2f} s")
    print(f"    median: {slice_s:.2f} s   {recipients / slice_s:7.0f} e-mails/s")
    print("\n  raw baseline (smtplib, one connection per 50, + PyMongo insert_many of the outcomes)")
    print(
        f"    median of {len(raw)} rounds: {raw_s:.2f} s   {recipients / raw_s:7.0f} e-mails/s   "
        f"(rounds: {', '.join(f'{x:.2f}' for x in raw)})"
    )
    print(
        f"\n  ratio slice / raw:   {raw_s / slice_s:.3f}   (the slice takes {slice_s / raw_s:.2f}× the raw time, "
        "and its time includes issuing the notice and recording the deliveries)"
    )
    parts = cpu_parts(cpu)
    print(f"\n  CPU seconds during the last notice ({sum(cpu.values()):.1f} s in {times[-1]:.1f} s wall): {parts}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sending", description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=2000, help="units (one e-mail each) per notice")
    parser.add_argument("--notices", type=int, default=3, help="notices issued, one after the other")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the raw baseline (the median is compared)")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", flush=True)
    port = free_port()
    os.environ.update(CASCADE_SMTP_HOST="127.0.0.1", CASCADE_SMTP_PORT=str(port), CASCADE_SMTP_SECURITY="none")
    with running_node() as rt:
        sink = start_smtp_sink(port, rt.cfg.path("logs") / "smtp-sink.log")
        try:
            print(f"store: {store(rt)}", flush=True)
            times, ids, cpu = asyncio.run(run_slice(rt, args.recipients, args.notices))
            raw = asyncio.run(run_raw(rt, port, ids[-1], args.rounds))
        finally:
            sink.stop()
    report(times, raw, args.recipients, cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
