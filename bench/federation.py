"""Federation: a notice's way down two levels, and catching up after a province was down.

1. Latency, national → province → city, through the services: three nodes
   exactly as ``cascade demo`` makes them (``cascade provision``; each its own
   nats-server, FerretDB, services and gateway as processes, linked as
   leafnodes). One sample: ``POST /api/notices`` at national (to the
   province's organisation) → the entry appears in the province's inbox read
   model → ``POST …/forward`` at the province (to the city's organisation) →
   the entry appears in the city's inbox read model. Read models are polled by
   ``_id`` every 2 ms. Raw figure, the same way on the same servers and
   streams: nats-py publishes into ``OUTBOX_national``, an ordered consumer on
   ``EVENTS_province`` sees it arrive and publishes into ``OUTBOX_province``,
   one on ``EVENTS_city`` sees that arrive.
2. Catch-up: the province's nats-server is stopped, the city queues N upward
   events (``notice.acknowledged`` copies for the province, as the notices
   service publishes them, ~1 KB), the province starts again; the clock runs
   from its start until its ``EVENTS`` holds all N. Cascade: the production
   link (work-queue ``OUTBOX`` + durable link consumer + per-child leafnode
   permissions + origin stamping). Raw: the same on plain nats-py streams —
   a limits stream at the city sourced by the province the default way
   (ephemeral consumer), open leafnode, same machine.

    python -m bench federation [--samples N] [--events N] [-h]
"""

import argparse
import asyncio
import secrets
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js import api as js_api
from pymongo import AsyncMongoClient

from cascade import federation
from cascade import node as node_config
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports
from cascade.processes import free_port, start_nats
from cascade.provision import provision
from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from shared import subjects
from shared.events import NoticeAcknowledged

from ._node import machine, percentile

UNITS = {
    "national": ("cast", "中国科学技术协会"),
    "province": ("gd-kx", "广东省科学技术协会"),
    "city": ("sz-kx", "深圳市科学技术协会"),
}
POLL_S = 0.002


_TAKEN: set[int] = set()  # free_port() can hand out the same port twice before anything binds it


def _ports() -> Ports:
    picked: list[int] = []
    while len(picked) < 5:
        port = free_port()
        if port not in _TAKEN:
            _TAKEN.add(port)
            picked.append(port)
    return Ports(nats=picked[0], nats_http=picked[1], leafnodes=picked[2], ferretdb=picked[3], gateway=picked[4])


def three_levels(root: Path, suffix: str) -> dict[str, Path]:
    """national, then province and city provisioned from their parents, on free ports."""
    ids = {level: f"{level}{suffix}" for level in UNITS}
    paths = {"national": root / "national" / "node.yaml"}
    paths["national"].parent.mkdir(parents=True)
    unit, name = UNITS["national"]
    node_config.dump(
        NodeConfig(
            node_id=ids["national"],
            name=name,
            org_unit_id=unit,
            data_dir=Path("data"),
            ports=_ports(),
            log_level="WARNING",
        ),
        paths["national"],
    )
    for parent, child in (("national", "province"), ("province", "city")):
        unit, name = UNITS[child]
        bundle = provision(paths[parent], unit, node_id=ids[child], name=name, out=root / child, ports=_ports())
        cfg = node_config.load(bundle.path / "node.yaml").model_copy(update={"log_level": "WARNING"})
        node_config.dump(cfg, bundle.path / "node.yaml")
        paths[child] = bundle.path / "node.yaml"
    return paths


# ---------------------------------------------------------------- 1. latency


async def latency(cfgs: dict[str, NodeConfig], samples: int) -> dict[str, list[float]]:
    prov, city = cfgs["province"], cfgs["city"]
    tokens = {
        k: await create_api_token(c.ferretdb_url, c.node_id, UNITS[k][0], "admin", "issuer", "submitter", name="bench")
        for k, c in cfgs.items()
    }
    http = {
        k: httpx.AsyncClient(base_url=c.gateway_url, timeout=30, headers={"Authorization": f"Bearer {tokens[k]}"})
        for k, c in cfgs.items()
    }
    mongo: dict[str, AsyncMongoClient[dict[str, Any]]] = {k: AsyncMongoClient(c.ferretdb_url) for k, c in cfgs.items()}
    try:
        directory: dict[str, list[tuple[str, dict[str, Any]]]] = {
            "national": [("national", {}), ("province", {"runs_own_node": True})],
            "province": [("province", {}), ("city", {"runs_own_node": True})],
            "city": [("city", {})],
        }
        for level, entries in directory.items():
            for host, extra in entries:
                unit, name = UNITS[host]
                r = await http[level].put(
                    f"/api/units/{unit}",
                    json={"unit_id": unit, "name": name, "kind": "科协", "node_id": cfgs[host].node_id, **extra},
                )
                r.raise_for_status()
        prov_inbox = mongo["province"][f"{prov.node_id}_notices"]["inbox"]
        city_inbox = mongo["city"][f"{city.node_id}_notices"]["inbox"]

        async def appears(collection, doc_id: str) -> float:
            while await collection.find_one({"_id": doc_id}, {"_id": 1}) is None:
                await asyncio.sleep(POLL_S)
            return time.perf_counter()

        out: dict[str, list[float]] = {
            "national → province inbox": [],
            "forward → city inbox": [],
            "issue → city inbox": [],
        }
        for i in range(samples + 3):  # the first three warm up
            t0 = time.perf_counter()
            r = await http["national"].post(
                "/api/notices",
                json={
                    "title": f"关于开展全国科技工作者日活动的通知（基准 {i}）",
                    "issuer_unit_ids": ["cast"],
                    "recipient_unit_ids": ["gd-kx"],
                    "body": "请各省级科协组织开展系列活动。" * 20,
                },
            )
            r.raise_for_status()
            top = r.json()["notice_id"]
            t1 = await appears(prov_inbox, f"{top}:gd-kx")
            r = await http["province"].post(
                f"/api/notices/{top}/forward",
                json={"unit_id": "gd-kx", "recipient_unit_ids": ["sz-kx"], "cover_note": "请认真组织实施。"},
            )
            r.raise_for_status()
            t2 = await appears(city_inbox, f"{r.json()['notice_id']}:sz-kx")
            if i >= 3:
                out["national → province inbox"].append(t1 - t0)
                out["forward → city inbox"].append(t2 - t1)
                out["issue → city inbox"].append(t2 - t0)
        return out
    finally:
        for c in http.values():
            await c.aclose()
        for m in mongo.values():
            await m.close()


async def raw_latency(cfgs: dict[str, NodeConfig], samples: int) -> list[float]:
    """Two hops on the same servers and streams, nats-py only: publish, see it stored, relay, see it stored."""
    nat, prov, city = cfgs["national"], cfgs["province"], cfgs["city"]
    conns = {k: await nats.connect(c.nats_url) for k, c in cfgs.items()}
    try:
        arrived: dict[str, asyncio.Queue[float]] = {"province": asyncio.Queue(), "city": asyncio.Queue()}
        subs = []
        for level in ("province", "city"):
            node = cfgs[level].node_id
            js = conns[level].jetstream()

            async def seen(msg, level=level):
                arrived[level].put_nowait(time.perf_counter())

            subs.append(
                await js.subscribe(
                    f"evt.bench.*.{node}.ping", stream=subjects.events_stream(node), cb=seen, ordered_consumer=True
                )
            )
        payload = b"x" * 1024
        out = []
        for i in range(samples + 3):
            t0 = time.perf_counter()
            await (
                conns["national"]
                .jetstream()
                .publish(
                    subjects.event("bench.ping", nat.node_id, prov.node_id),
                    payload,
                    stream=subjects.outbox_stream(nat.node_id),
                    headers={"Nats-Msg-Id": f"down-{i}"},
                )
            )
            await arrived["province"].get()
            await (
                conns["province"]
                .jetstream()
                .publish(
                    subjects.event("bench.ping", prov.node_id, city.node_id),
                    payload,
                    stream=subjects.outbox_stream(prov.node_id),
                    headers={"Nats-Msg-Id": f"relay-{i}"},
                )
            )
            t2 = await arrived["city"].get()
            if i >= 3:
                out.append(t2 - t0)
        for s in subs:
            await s.unsubscribe()
        return out
    finally:
        for c in conns.values():
            await c.close()


# ---------------------------------------------------------------- 2. catch-up


def ack_event(i: int, city: str, prov: str) -> bytes:
    ev = NoticeAcknowledged(
        occurred_at=datetime.fromisoformat("2026-05-30T08:00:00+08:00"),
        origin_node=city,
        root_notice_id=f"root{i:08d}",
        notice_id=f"notice{i:08d}",
        issuer_node=prov,
        unit_id="sz-kx",
        unit_name="深圳市科学技术协会",
        acknowledged_by="深圳市科学技术协会办公室 王敏（基准测试用签收记录，补足约一千字节的消息体）" * 6,
        acknowledged_at=datetime.fromisoformat("2026-05-30T08:00:00+08:00"),
    )
    return ev.model_dump_json().encode()


async def publish_many(url: str, items: list[tuple[str, bytes, str]], stream: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for start in range(0, len(items), 500):
            await asyncio.gather(
                *(
                    js.publish(subj, data, stream=stream, headers={"Nats-Msg-Id": mid})
                    for subj, data, mid in items[start : start + 500]
                )
            )
    finally:
        await nc.close()


async def _quiet(exc: Exception) -> None:
    """The server is expected to be down at first: no tracebacks for that."""


async def wait_count(url: str, stream: str, n: int, timeout: float = 600.0) -> float:
    t0 = time.perf_counter()
    while True:
        try:
            nc = await nats.connect(url, allow_reconnect=False, connect_timeout=1, error_cb=_quiet)
            try:
                if (await nc.jetstream().stream_info(stream)).state.messages >= n:
                    return time.perf_counter() - t0
            finally:
                await nc.close()
        except Exception:
            pass
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(f"{stream} did not reach {n}")
        await asyncio.sleep(0.05)


async def cascade_catchup(root: Path, events: int) -> float:
    """Production link configs, nats-servers only (no services consume, so only the link is timed)."""
    suffix = secrets.token_hex(2)
    prov = NodeConfig(node_id=f"p{suffix}", name="province", data_dir=root / "cp", ports=_ports())
    city = NodeConfig(node_id=f"c{suffix}", name="city", data_dir=root / "cc", ports=_ports())
    prov, link = federation.link_child(prov, city.node_id)
    city = city.model_copy(update={"parent": link})
    procs = {}
    try:
        for cfg in (prov, city):
            cfg.root.mkdir(parents=True)
            cfg.path("nats.conf").write_text(nats_config(cfg))
            procs[cfg.node_id] = start_nats(cfg.path("nats.conf"), cfg.host, cfg.ports.nats, cfg.path("nats.log"))
            nc = await nats.connect(cfg.nats_url)
            await federation.configure(nc.jetstream(), cfg)
            await nc.close()
        procs[prov.node_id].stop()
        items = [
            (
                subjects.event("notice.acknowledged", city.node_id, prov.node_id),
                ack_event(i, city.node_id, prov.node_id),
                f"ack{i}:{prov.node_id}",
            )
            for i in range(events)
        ]
        await publish_many(city.nats_url, items, subjects.outbox_stream(city.node_id))
        procs[prov.node_id].start()
        return await wait_count(prov.nats_url, subjects.events_stream(prov.node_id), events)
    finally:
        for p in procs.values():
            p.stop()


def _raw_conf(name: str, ports: Ports, root: Path, parent_leaf: int | None) -> str:
    lines = [
        f"server_name: {name}",
        f"listen: 127.0.0.1:{ports.nats}",
        f'jetstream {{ store_dir: "{root / name}", domain: {name} }}',
    ]
    if parent_leaf:
        lines.append(
            f'leafnodes {{ reconnect: 1s, remotes: [ {{ url: "nats-leaf://leaf:pw@127.0.0.1:{parent_leaf}", account: APP }} ] }}'
        )
    else:
        lines.append(f"leafnodes {{ listen: 127.0.0.1:{ports.leafnodes}, no_advertise: true }}")
    lines.append(
        "accounts { APP { jetstream: enabled, users: [ {user: app, password: pw}, {user: leaf, password: pw} ] } }"
    )
    lines.append("no_auth_user: app")
    return "\n".join(lines) + "\n"


async def raw_catchup(root: Path, events: int) -> float:
    """Plain nats-py: a limits stream at the city, sourced by the province the default (ephemeral) way."""
    root.mkdir(parents=True, exist_ok=True)
    pp, cp = _ports(), _ports()
    procs = {}
    try:
        for name, ports, parent in (("rawprov", pp, None), ("rawcity", cp, pp.leafnodes)):
            conf = root / f"{name}.conf"
            conf.write_text(_raw_conf(name, ports, root, parent))
            procs[name] = start_nats(conf, "127.0.0.1", ports.nats, root / f"{name}.log")
        city_url, prov_url = f"nats://127.0.0.1:{cp.nats}", f"nats://127.0.0.1:{pp.nats}"
        nc = await nats.connect(city_url)
        await nc.jetstream().add_stream(js_api.StreamConfig(name="UP", subjects=["up.>"], duplicate_window=300.0))
        await nc.close()
        nc = await nats.connect(prov_url)
        await nc.jetstream().add_stream(
            js_api.StreamConfig(
                name="IN",
                subjects=["in.>"],
                sources=[
                    js_api.StreamSource(
                        name="UP", filter_subject="up.rawprov.>", external=js_api.ExternalStream(api="$JS.rawcity.API")
                    )
                ],
            )
        )
        await nc.close()
        procs["rawprov"].stop()
        items = [("up.rawprov.ack", ack_event(i, "rawcity", "rawprov"), f"raw{i}") for i in range(events)]
        await publish_many(city_url, items, "UP")
        procs["rawprov"].start()
        return await wait_count(prov_url, "IN", events)
    finally:
        for p in procs.values():
            p.stop()


# ---------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench federation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=40, help="notices sent down two levels, one at a time")
    parser.add_argument("--events", type=int, default=20_000, help="upward events queued while the province is down")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    root = Path(tempfile.mkdtemp(prefix="cascade-bench-fed-"))
    ms = lambda v: f"{v * 1000:7.1f} ms"  # noqa: E731
    try:
        paths = three_levels(root / "nodes", secrets.token_hex(2))
        runtimes = {k: NodeRuntime(node_config.load(p)) for k, p in paths.items()}
        try:
            for rt in runtimes.values():  # in this thread: children die with the thread that started them
                rt.start()
            cfgs = {k: rt.cfg for k, rt in runtimes.items()}
            lat = asyncio.run(latency(cfgs, args.samples))
            raw = asyncio.run(raw_latency(cfgs, args.samples))
        finally:
            for rt in runtimes.values():
                rt.stop()
        print(f"\n1. a notice down two levels, {args.samples} samples one at a time (p50 / p99)")
        for what, values in lat.items():
            print(f"   cascade {what:28s} {ms(percentile(values, 50))} / {ms(percentile(values, 99))}")
        print(
            f"   raw JetStream, 2 hops (publish → stored → relay → stored) {ms(percentile(raw, 50))} / "
            f"{ms(percentile(raw, 99))}"
        )

        if not args.events:
            return 0
        cascade = asyncio.run(cascade_catchup(root / "catchup", args.events))
        plain = asyncio.run(raw_catchup(root / "raw", args.events))
        print(
            f"\n2. {args.events} upward events (~1 KB) queued at the city while the province was down;"
            " from the province's start until its EVENTS holds them all"
        )
        print(f"   cascade (durable link, work-queue OUTBOX, permissions)  {cascade:6.2f} s")
        print(f"   raw JetStream (plain sourcing, open leafnode)           {plain:6.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0
