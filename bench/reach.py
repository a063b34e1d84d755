"""Reaching 3,000 units by e-mail, SMS and chat for one notice within the providers' limits (issue 15), next to the
raw floor.

Slice: a whole node as ``cascade up`` runs it, its notifications service sending to servers on loopback: aiosmtpd's
sink in a process of its own (answers 250, drops the message), and in this process an SMS gateway and a 钉钉-style
group robot (HTTP servers that record when each message arrives; the robot counts its own window by arrival and
refuses what goes over with errcode 130101, as 钉钉 does). N units with one contact each (e-mail and mobile) are
imported; e-mail, SMS and chat are on and the node has a public address, so every e-mail and SMS carries its
contact's personal 签收 link. One notice to all N makes N e-mails, N SMS and one chat card; then B 催办
(``deadline.approaching``, one unit each, as the chase button publishes them) make B more of each — the chat burst
of 1 + B messages is what the robot's limit holds back. The limit runs on a short window (``--window`` seconds
instead of a minute) so a run takes a minute or two. The clock runs from the POST until the issuer's summary says
every delivery sent.

Checked: every delivery sent (none failed); the robot got each of its 1 + B messages once, refused none, and no span
of the window ever held more than the limit; no mobile number got more SMS than ``sms_per_number_per_day``; with
``--sms-limit``, no window held more SMS than that.

Raw floor: the same messages (the service's deliveries, read back) sent with the plain drivers, the three channels
at once (a thread each): ``smtplib``, one connection per 50; ``httpx`` posting the SMS one by one; the chat
messages posted ``--chat-limit`` at a time, one window apart (the least time the limit allows). No records.

    python -m bench reach [--units N] [--reminders B] [--chat-limit L] [--window S] [--sms-limit M] [-h]
"""

import argparse
import asyncio
import json
import math
import os
import smtplib
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from cascade.processes import free_port
from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from services.notifications import chat
from services.notifications.sending import OutgoingMessage, email_message
from shared.bus import publish_event
from shared.events import DeadlineApproaching

from ._node import CpuMeter, cpu_parts, machine, processes, running_node, store
from .issue_fanout import directory_csv, notice_payload
from .sending import BATCH, start_smtp_sink

TOO_FAST = {"errcode": 130101, "errmsg": "send too fast, exceed the limit per minute"}


@dataclass
class Servers:
    """The SMS gateway (``/sms``) and the robot (``/robot``) on one loopback HTTP server, recording arrivals."""

    limit: int
    window: float
    sms: list[tuple[float, str]] = field(default_factory=list)  # (arrival, number)
    taken: list[float] = field(default_factory=list)  # the robot's accepted arrivals
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        servers = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway
            disable_nagle_algorithm = True  # headers and body are two writes: without it each answer waits 40 ms

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = servers.answer(self.path, body)
                raw = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, path: str, body: dict) -> dict:
        now = time.monotonic()
        with self.lock:
            if path.startswith("/sms"):
                self.sms.append((now, body["to"]))
                return {"code": 0, "msg": "queued"}
            if sum(1 for t in self.taken if now - t < self.window) >= self.limit:
                self.refused += 1
                return TOO_FAST
            self.taken.append(now)
            return {"errcode": 0, "errmsg": "ok"}

    def reset(self) -> None:
        with self.lock:
            self.sms, self.taken, self.refused = [], [], 0

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class Slice:
    seconds: float = 0.0
    by_channel: dict[str, float] = field(default_factory=dict)  # POST until the channel's last delivery was sent
    counts: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    notice_id: str = ""
    cpu: dict[str, float] = field(default_factory=dict)


async def run_slice(rt: NodeRuntime, hub: str, args: argparse.Namespace) -> Slice:
    node, n, b = rt.cfg.node_id, args.units, args.reminders
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    token = await create_api_token(rt.store_url, node, "gd-kx", "admin", "issuer", name="bench reach")
    expected = {"email": n + b, "sms": n + b, "chat": 1 + b}
    out = Slice()
    async with httpx.AsyncClient(
        base_url=rt.cfg.gateway_url, timeout=300.0, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        csv = directory_csv(n).encode()
        (await http.post("/api/units/import", params={"format": "csv"}, content=csv)).raise_for_status()
        channels = {
            "email": {"enabled": True, "sender": "kx@gdkx.example.cn", "sender_name": "广东省科协"},
            "sms": {"enabled": True, "signature": "广东省科协"},
            "chat": {"enabled": True, "webhook_url": f"{hub}/robot/send?access_token=bench", "provider": "dingtalk"},
            "public_url": "https://cascade.gdkx.example.cn",
        }
        (await http.put("/api/admin/channels", json=channels)).raise_for_status()
        meter = CpuMeter({name: p.pid for name, p in processes(rt).items()} | {"bench client": os.getpid()})
        meter.start()
        t0 = time.perf_counter()
        r = await http.post("/api/notices", json=notice_payload(0, n, deadline))
        if r.status_code != 201:
            raise RuntimeError(f"POST /api/notices answered {r.status_code}: {r.text[:300]}")
        out.notice_id = nid = r.json()["notice_id"]
        chased = False
        while True:
            summary = (await http.get(f"/api/notices/{nid}/deliveries/summary")).json()
            done = {c: 0 for c in expected}
            for row in summary["rows"]:
                done[row["channel"]] += row["sent"]
            now = time.perf_counter() - t0
            for c, want in expected.items():
                if c not in out.by_channel and done[c] >= want:
                    out.by_channel[c] = now
            if not chased and summary["total"] >= 2 * n + 1:
                # The notice's deliveries are recorded (its units known): the 催办 follow, one unit each.
                await chase(rt, nid, b, deadline)
                chased = True
            if len(out.by_channel) == len(expected):
                break
            if any(row["failed"] for row in summary["rows"]):
                raise AssertionError(f"deliveries failed: {summary['problems'][:3]}")
            if now > args.timeout:
                raise TimeoutError(f"not all sent after {args.timeout:.0f} s: {done} of {expected}")
            await asyncio.sleep(0.25)
        out.seconds = time.perf_counter() - t0
        out.cpu = meter.stop()
        out.counts = done
        out.failed = sum(row["failed"] for row in summary["rows"])
    return out


async def chase(rt: NodeRuntime, notice_id: str, reminders: int, deadline: str) -> None:
    broker = NatsBroker(rt.cfg.nats_url)
    await broker.connect()
    try:
        now = datetime.now(UTC)
        for i in range(reminders):
            event = DeadlineApproaching(
                occurred_at=now,
                origin_node=rt.cfg.node_id,
                notice_id=notice_id,
                ask_id="summary",
                deadline=datetime.fromisoformat(deadline),
                pending_unit_ids=[f"u{i:05d}"],
                manual=True,
                note=f"第{i + 1}次催办（基准）",
            )
            await publish_event(broker, event)
    finally:
        await broker.stop()


# ---------------------------------------------------------------- the raw floor


async def read_back(rt: NodeRuntime, notice_id: str) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url)
    try:
        found = client[f"{rt.cfg.node_id}_notifications"]["deliveries"].find({"notice_id": notice_id})
        return [d async for d in found]
    finally:
        await client.close()


def raw_emails(port: int, messages: list[OutgoingMessage]) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(messages), BATCH):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for m in messages[i : i + BATCH]:
                smtp.send_message(email_message(m))
    return time.perf_counter() - t0


def raw_sms(hub: str, messages: list[OutgoingMessage]) -> float:
    t0 = time.perf_counter()
    with httpx.Client(timeout=10) as client:
        for m in messages:
            client.post(f"{hub}/sms", json={"id": m.delivery_id, "to": m.address, "text": m.body}).raise_for_status()
    return time.perf_counter() - t0


def raw_chat(hub: str, deliveries: list[dict], limit: int, window: float) -> float:
    """Bursts of ``limit``, each a window (and a hair) after the one before: the least time the limit allows."""
    t0 = time.perf_counter()
    with httpx.Client(timeout=10) as client:
        for i in range(0, len(deliveries), limit):
            if i:
                time.sleep(max(0.0, t0 + (i // limit) * (window + 0.05) - time.perf_counter()))
            for d in deliveries[i : i + limit]:
                payload = chat.payload(d["provider"], d["subject"], d["body"], d.get("link"), d.get("link_label"))
                client.post(f"{hub}/robot/send", json=payload).raise_for_status()
    return time.perf_counter() - t0


def run_raw(port: int, hub: str, deliveries: list[dict], limit: int, window: float) -> dict[str, float]:
    by = {c: [d for d in deliveries if d["channel"] == c] for c in ("email", "sms", "chat")}
    jobs = {
        "email": lambda: raw_emails(port, [OutgoingMessage.of(d) for d in by["email"]]),
        "sms": lambda: raw_sms(hub, [OutgoingMessage.of(d) for d in by["sms"]]),
        "chat": lambda: raw_chat(hub, by["chat"], limit, window),
    }
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    threads = [threading.Thread(target=lambda c=c, f=f: times.__setitem__(c, f())) for c, f in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times["all"] = time.perf_counter() - t0
    return times


# ---------------------------------------------------------------- report


def check(hub: Servers, args: argparse.Namespace, counts: Counter) -> list[str]:
    """The limits, as the servers saw them: what went over (nothing, when all is well)."""
    over = []
    if hub.refused:
        over.append(f"the robot refused {hub.refused} message(s)")
    most = most_in_any_window(hub.taken, args.window)
    if most > args.chat_limit:
        over.append(f"the robot got {most} within {args.window:g} s (limit {args.chat_limit})")
    number, most_sms = counts.most_common(1)[0] if counts else ("", 0)
    if most_sms > args.sms_per_day:
        over.append(f"{number} got {most_sms} SMS today (limit {args.sms_per_day})")
    if args.sms_limit:
        most = most_in_any_window([t for t, _ in hub.sms], args.window)
        if most > args.sms_limit:
            over.append(f"the SMS gateway got {most} within {args.window:g} s (limit {args.sms_limit})")
    return over


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reach", description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=3000, help="units (one contact: e-mail and mobile) of the notice")
    parser.add_argument("--reminders", type=int, default=59, help="催办 after the notice, one unit each (chat burst)")
    parser.add_argument("--chat-limit", type=int, default=20, help="messages the robot takes per window (钉钉: 20)")
    parser.add_argument("--window", type=float, default=10.0, help="the limits' window in seconds (providers: 60)")
    parser.add_argument("--sms-limit", type=int, default=0, help="SMS the gateway takes per window (0: no limit)")
    parser.add_argument("--sms-per-day", type=int, default=10, help="SMS per mobile number per day")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", flush=True)
    hub = Servers(args.chat_limit, args.window)
    url = hub.start()
    port = free_port()
    os.environ.update(
        CASCADE_SMTP_HOST="127.0.0.1",
        CASCADE_SMTP_PORT=str(port),
        CASCADE_SMTP_SECURITY="none",
        CASCADE_SMS_GATEWAY_URL=f"{url}/sms",
        CASCADE_DINGTALK_PER_MINUTE=str(args.chat_limit),
        CASCADE_SMS_PER_MINUTE=str(args.sms_limit),
        CASCADE_SMS_PER_NUMBER_PER_DAY=str(args.sms_per_day),
        CASCADE_RATE_WINDOW_SECONDS=str(args.window),
        CASCADE_RATE_LIMITED_PAUSE_SECONDS=str(args.window),
    )
    try:
        with running_node() as rt:
            sink = start_smtp_sink(port, rt.cfg.path("logs") / "smtp-sink.log")
            try:
                print(f"store: {store(rt)}", flush=True)
                got = asyncio.run(run_slice(rt, url, args))
                robot = {"taken": len(hub.taken), "refused": hub.refused}
                over = check(hub, args, Counter(number for _, number in hub.sms))
                chat_span = max(hub.taken) - min(hub.taken) if hub.taken else 0.0
                deliveries = asyncio.run(read_back(rt, got.notice_id))
                hub.reset()
                raw = run_raw(port, url, deliveries, args.chat_limit, args.window)
            finally:
                sink.stop()
    finally:
        hub.stop()
    report(args, got, raw, robot, over, chat_span)
    return 1 if over or got.failed else 0


def report(
    args: argparse.Namespace, got: Slice, raw: dict[str, float], robot: dict, over: list[str], chat_span: float
) -> None:
    n, b = args.units, args.reminders
    names = {"email": "e-mail", "sms": "SMS", "chat": "chat"}
    print(
        f"\n{n} units × e-mail + SMS + chat for one notice, then {b} 催办 of one unit each: "
        f"{n + b} e-mails, {n + b} SMS, {1 + b} chat messages; the robot takes {args.chat_limit} per {args.window:g} s"
        + (f", the SMS gateway {args.sms_limit} per {args.window:g} s" if args.sms_limit else "")
    )
    print("\n  slice (HTTP → notices → notice.issued → notifications: deliveries, links, jobs, paced sends)")
    print(f"    all sent after {got.seconds:.1f} s")
    for c in ("email", "sms", "chat"):
        print(f"      {names[c]:7s} last sent at {got.by_channel.get(c, float('nan')):6.1f} s   ({got.counts.get(c)})")
    print(
        f"    robot: took {robot['taken']}, refused {robot['refused']}; its {1 + b} messages spread over {chat_span:.1f} s"
    )
    least = (math.ceil((1 + b) / args.chat_limit) - 1) * args.window
    print(f"    (the limit allows them no faster than {least:.0f} s from the first)")
    print(f"    limits exceeded: {'; '.join(over) if over else 'none'}")
    print("\n  raw floor (plain drivers, the three channels at once; no records)")
    for c in ("email", "sms", "chat"):
        print(f"      {names[c]:7s} {raw[c]:6.1f} s")
    print(f"    all: {raw['all']:.1f} s")
    print(
        f"\n  ratio raw / slice: {raw['all'] / got.seconds:.3f}   (the slice takes {got.seconds / raw['all']:.2f}× the raw floor)"
    )
    print(
        f"\n  CPU seconds during the slice ({sum(got.cpu.values()):.1f} s in {got.seconds:.1f} s wall): {cpu_parts(got.cpu)}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
