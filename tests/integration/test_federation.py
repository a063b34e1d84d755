"""Federation: national → province → two cities, each its own nats-server, linked as leafnodes.

Notices flow down to the node hosting each recipient, receipts flow up to the
issuer's node, each exactly once; nothing crosses a link that is not
addressed to the other side; a child cannot speak for anyone but itself.
"""

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

import nats
import pytest

from cascade import federation
from shared import subjects
from shared.contracts.notices import UpsertUnit
from shared.schemas import UnitKind

from ..federation_harness import FedNode, build, link_consumer_waiting, teardown
from ..harness import as_role, eventually, gateway, running

SHAPE = {"nat": None, "prov": "nat", "city": "prov", "city2": "prov"}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE)
    yield nodes
    await teardown(nodes)


def directory(nodes: dict[str, FedNode]) -> dict[str, list[UpsertUnit]]:
    """Each node's directory: its own organisation and the units it sends to, with the nodes hosting them."""
    kx = UnitKind.kexie
    cast = UpsertUnit(unit_id="cast", name="中国科学技术协会", kind=kx)
    gd = UpsertUnit(
        unit_id="gd-kx", name="广东省科学技术协会", kind=kx, doc_number_template="粤科协联〔{year}〕{seq}号"
    )
    sz = UpsertUnit(unit_id="sz-kx", name="深圳市科学技术协会", kind=kx)
    gz = UpsertUnit(unit_id="gz-kx", name="广州市科学技术协会", kind=kx)

    def at(unit: UpsertUnit, name: str, **extra) -> list[UpsertUnit]:
        if name not in nodes:
            return []
        return [unit.model_copy(update={"node_id": nodes[name].id, **extra})]

    return {
        "nat": at(cast, "nat") + at(gd, "prov", runs_own_node=True),
        "prov": at(gd, "prov") + at(sz, "city", runs_own_node=True) + at(gz, "city2", runs_own_node=True),
        "city": at(sz, "city"),
        "city2": at(gz, "city2"),
    }


OWN_UNIT = {"nat": "cast", "prov": "gd-kx", "city": "sz-kx", "city2": "gz-kx"}


class Level:
    """A node's gateway, and API clients of its own organisation: ``issuer`` (发文) and ``clerk`` (签收)."""

    def __init__(self, http, issuer, clerk) -> None:
        self.http, self.issuer, self.clerk = http, issuer, clerk


@contextlib.asynccontextmanager
async def services(nodes: dict[str, FedNode], names=None):
    """Every backend service of the named nodes in-process, a gateway per node, its directory loaded."""
    names = list(names or nodes)
    async with contextlib.AsyncExitStack() as stack:
        levels = {}
        for name in names:
            await stack.enter_async_context(running(nodes[name]))
            http = await stack.enter_async_context(gateway(nodes[name]))
            unit = OWN_UNIT[name]
            admin = await as_role(http, unit, "admin")
            for entry in directory(nodes)[name]:
                r = await admin.put(f"/api/units/{entry.unit_id}", json=entry.model_dump(mode="json"))
                assert r.status_code == 200, r.text
            levels[name] = Level(http, await as_role(http, unit, "issuer"), await as_role(http, unit, "submitter"))
        yield levels


def notice(issuer: str, recipients: list[str], title: str = "关于开展2021年“全国科技工作者日”活动的通知") -> dict:
    return {
        "title": title,
        "issuer_unit_ids": [issuer],
        "recipient_unit_ids": recipients,
        "body": "请各单位于6月10日前报送活动总结。",
    }


async def inbox_ids(http, unit: str) -> set[str]:
    r = await http.get(f"/api/units/{unit}/inbox")
    assert r.status_code == 200, r.text
    return {e["notice_id"] for e in r.json()["items"]}


def has(http, unit: str, notice_id: str):
    async def check():
        return notice_id in await inbox_ids(http, unit)

    return check


def acknowledged(http, notice_id: str, count: int):
    async def check():
        r = await http.get(f"/api/notices/{notice_id}/status")
        return r.json() if r.status_code == 200 and r.json()["acknowledged"] == count else None

    return check


async def test_notices_flow_down_and_receipts_flow_up_exactly_once(fed):
    nat, prov, city, city2 = (fed[k] for k in ("nat", "prov", "city", "city2"))
    async with services(fed) as lv:
        # National → the province's organisation, hosted on the province node.
        r = await lv["nat"].issuer.post("/api/notices", json=notice("cast", ["gd-kx"]))
        assert r.status_code == 201, r.text
        top = r.json()["notice_id"]
        await eventually(has(lv["prov"].clerk, "gd-kx", top))
        copy = (await lv["prov"].clerk.get(f"/api/notices/{top}")).json()
        assert [u["unit_id"] for u in copy["recipients"]] == ["gd-kx"]
        assert copy["issuers"][0]["node_id"] == nat.id

        # The province forwards it (转发) to its two cities, each on its own node: each gets only its own part.
        r = await lv["prov"].issuer.post(
            f"/api/notices/{top}/forward",
            json={
                "unit_id": "gd-kx",
                "recipient_unit_ids": ["sz-kx", "gz-kx"],
                "cover_note": "请各市科协认真组织实施。",
            },
        )
        assert r.status_code == 201, r.text
        mid = r.json()["notice_id"]
        assert r.json()["doc_number"].startswith("粤科协联〔")
        await eventually(has(lv["city"].clerk, "sz-kx", mid))
        await eventually(has(lv["city2"].clerk, "gz-kx", mid))
        [original] = [
            a
            for a in (await lv["prov"].clerk.get(f"/api/notices/{mid}")).json()["attachments"]
            if a.get("original_of") == top
        ]
        url = f"/api/notices/{mid}/attachments/{original['attachment_id']}"
        at_province = await lv["prov"].clerk.get(url)
        assert at_province.status_code == 200
        for name, unit in (("city", "sz-kx"), ("city2", "gz-kx")):
            got = (await lv[name].clerk.get(f"/api/notices/{mid}")).json()
            assert [u["unit_id"] for u in got["recipients"]] == [unit]
            assert got["root_notice_id"] == top and got["cover_note"] == "请各市科协认真组织实施。"
            # The 转发 carries the original as a file made at the province: its bytes follow the notice down.
            here = await eventually(lambda n=name: _downloaded(lv[n].clerk, url))
            assert here.content == at_province.content

        # Receipts go up to the issuer's node: province → national, city → province.
        assert (await lv["prov"].clerk.post(f"/api/units/gd-kx/inbox/{top}/acknowledge")).status_code == 200
        assert (await lv["city"].clerk.post(f"/api/units/sz-kx/inbox/{mid}/acknowledge")).status_code == 200
        status = await eventually(acknowledged(lv["nat"].issuer, top, 1))
        assert status["recipients"][0]["unit_id"] == "gd-kx" and status["recipients"][0]["acknowledged_at"]
        status = await eventually(acknowledged(lv["prov"].issuer, mid, 1))
        assert {row["unit_id"]: bool(row["acknowledged_at"]) for row in status["recipients"]} == {
            "sz-kx": True,
            "gz-kx": False,
        }

        # Nothing travels further than it is addressed.
        assert (await lv["nat"].issuer.get(f"/api/notices/{mid}")).status_code == 404
        assert (await lv["city"].clerk.get(f"/api/notices/{top}")).status_code == 404
        assert await inbox_ids(lv["city2"].clerk, "gz-kx") == {mid}

    # Exactly once on every level: one copy per link, and every OUTBOX drained.
    assert await prov.subjects_in(subjects.events_stream(prov.id)) == {
        f"evt.notice.{nat.id}.{prov.id}.issued": 1,
        f"evt.notice.{prov.id}.{prov.id}.forwarded": 1,
        f"evt.notice.{prov.id}.{prov.id}.forward_reported": 1,
        f"evt.notice.{prov.id}.{prov.id}.acknowledged": 1,
        f"evt.notice.{city.id}.{prov.id}.acknowledged": 1,
        f"evt.blob.{city.id}.{prov.id}.wanted": 1,  # each city asked for the original's bytes, once
        f"evt.blob.{city2.id}.{prov.id}.wanted": 1,
    }
    at_nat = await nat.subjects_in(subjects.events_stream(nat.id))
    # The province's 下级进度 goes up too, throttled (the newest kept): none yet, one or two, by timing; the
    # roll-up tests check what they carry.
    assert at_nat.pop(f"evt.progress.{prov.id}.{nat.id}.reported", 0) <= 2
    assert at_nat == {
        f"evt.notice.{nat.id}.{nat.id}.issued": 1,
        f"evt.notice.{prov.id}.{nat.id}.forward_reported": 1,  # the issuer learns of the 转发 below
        f"evt.notice.{prov.id}.{nat.id}.acknowledged": 1,
    }
    assert await city.subjects_in(subjects.events_stream(city.id)) == {
        f"evt.notice.{prov.id}.{city.id}.forwarded": 1,
        f"evt.notice.{city.id}.{city.id}.acknowledged": 1,
        # …and got them: the piece is removed from the stream once the file is kept.
    }
    for sender, dest in ((nat, prov), (prov, nat), (prov, city), (prov, city2), (city, prov)):
        assert await eventually(lambda s=sender, d=dest: _zero(link_consumer_waiting(s, d)))
        assert await sender.stream_messages(subjects.outbox_stream(sender.id)) == 0


async def _downloaded(client, url: str):
    r = await client.get(url)
    return r if r.status_code == 200 else None


async def _zero(check) -> bool:
    return await check() == 0


async def test_a_recipient_on_a_node_that_is_not_linked_is_refused(fed):
    """National is linked to the province only: a city's unit cannot be reached from there in one hop."""
    nat, city = fed["nat"], fed["city"]
    async with services(fed, ["nat"]) as lv:
        admin = await as_role(lv["nat"].http, "cast", "admin")
        far = UpsertUnit(
            unit_id="sz-kx", name="深圳市科学技术协会", kind=UnitKind.kexie, node_id=city.id, runs_own_node=True
        )
        assert (await admin.put("/api/units/sz-kx", json=far.model_dump(mode="json"))).status_code == 200
        before = await nat.stream_messages(subjects.events_stream(nat.id))
        r = await lv["nat"].issuer.post("/api/notices", json=notice("cast", ["gd-kx", "sz-kx"]))
        assert r.status_code == 422, r.text
        [error] = r.json()["detail"]
        assert error["loc"] == ["body", "recipient_unit_ids", "1"] and error["type"] == "unlinked_node"
        assert city.id in error["msg"]
        assert (await lv["nat"].issuer.get("/api/notices")).json()["items"] == []
        assert await nat.stream_messages(subjects.events_stream(nat.id)) == before
        assert await nat.stream_messages(subjects.outbox_stream(nat.id)) == 0


async def test_an_unlinked_leafnode_is_refused(fed):
    """No credentials (the local no-auth user) or the local ``app`` user: a leafnode cannot use either."""
    prov = fed["prov"]
    for connect in (
        {},
        {"user": "app", "pass": "local-" + prov.id},
        {"user": fed["city"].id, "pass": "wrong-password"},
    ):
        reader, writer = await _leaf_connect(prov, connect)
        try:
            reply = await _read_until(reader, (b"-ERR", b"+OK"), timeout=5)
            assert reply.startswith(b"-ERR") and b"Authorization Violation" in reply
        finally:
            writer.close()
    assert await prov.leaf_links() == 3  # still only nat, city and city2


async def test_a_child_cannot_publish_for_a_sibling_or_its_parent(fed):
    """The province's leafnode user for ``city`` admits only city's own link: each forged subject is refused.

    nats-server closes a leafnode connection at its first violation, so each
    forged subject gets a rogue connection of its own."""
    nat, prov, city, city2 = fed["nat"], fed["prov"], fed["city"], fed["city2"]
    streams = [
        (nat, subjects.events_stream(nat.id)),
        (prov, subjects.events_stream(prov.id)),
        (prov, subjects.outbox_stream(prov.id)),
        (city2, subjects.events_stream(city2.id)),
    ]
    before = {(n.id, s): await n.stream_messages(s) for n, s in streams}
    forged = [
        subjects.link_deliver(city2.id, prov.id),  # city2's upward link
        subjects.event("notice.acknowledged", city2.id, prov.id),  # city2's copy subject
        subjects.event("notice.issued", prov.id, prov.id),  # a fact of the province itself
        subjects.event("notice.issued", prov.id, city2.id),  # a copy for the sibling
        subjects.event("notice.issued", prov.id, nat.id),  # a copy for the grandparent
        subjects.rpc(prov.id, "notices", "issue"),  # a request to the province's services
        subjects.js_consumer_reset(prov.id, subjects.outbox_stream(prov.id), subjects.link_consumer(city2.id)),
        subjects.js_flow_control(subjects.outbox_stream(prov.id), subjects.link_consumer(city2.id)).replace("*", "1"),
        f"{subjects.js_api(prov.id)}.STREAM.PURGE.{subjects.events_stream(prov.id)}",  # the province's JetStream
    ]
    # A well-behaved child server does not even forward them: the parent never
    # told it there is interest.
    nc = await nats.connect(city.cfg.nats_url)
    try:
        for subject in forged:
            await nc.publish(subject, b'{"forged": true}')
        await nc.flush()
    finally:
        await nc.close()
    # A rogue one that speaks the leafnode protocol with city's credentials is refused by the parent, every time.
    creds = {"user": city.cfg.parent.user, "pass": city.cfg.parent.password}
    for subject in forged:
        # The province maps its own domain's API prefix to the local one before it checks.
        seen_as = subject.replace(f"{subjects.js_api(prov.id)}.", "$JS.API.")
        async with rogue_leaf(prov, creds) as leaf:
            leaf.writer.write(f"LMSG {subject} 16\r\n".encode() + b'{"forged": true}\r\n')
            await leaf.writer.drain()
            await asyncio.wait_for(leaf.closed.wait(), 10)  # the parent closes the connection
            assert any(f'Permissions Violation for Publish to "{seen_as}"'.encode() in e for e in leaf.errors), (
                subject,
                leaf.errors,
            )
        await eventually(lambda seen_as=seen_as: _log_has(prov, f'Publish Violation on "{seen_as}"'))

    await asyncio.sleep(1.0)  # anything that slipped through would have landed by now
    assert {(n.id, s): await n.stream_messages(s) for n, s in streams} == before
    assert await prov.leaf_links() == 3  # the real links are untouched


async def test_a_child_receives_only_what_is_addressed_to_it(fed):
    """Subscribe side: asking the province for a sibling's (or anyone else's) subjects gets nothing.

    A literal subject outside city's link is refused outright (one rogue
    connection each); a wildcard is accepted but the province delivers only
    city's own subjects through it, while the sibling does get its copy."""
    nat, prov, city, city2 = fed["nat"], fed["prov"], fed["city"], fed["city2"]
    creds = {"user": city.cfg.parent.user, "pass": city.cfg.parent.password}
    for subject in (
        subjects.link_deliver(prov.id, city2.id),  # the sibling's downward link
        subjects.link_deliver(prov.id, nat.id),  # the province's upward link
        subjects.event("notice.issued", prov.id, city2.id),  # copies for the sibling, before they are stored
        subjects.event("notice.issued", prov.id, prov.id),  # the province's own facts
        subjects.rpc(prov.id, "notices", "issue"),  # requests to the province's services
    ):
        async with rogue_leaf(prov, creds) as leaf:
            leaf.writer.write(f"LS+ {subject}\r\n".encode())
            await leaf.writer.drain()
            await asyncio.wait_for(leaf.closed.wait(), 10)
            assert any(f'Permissions Violation for Subscription to "{subject}"'.encode() in e for e in leaf.errors), (
                subject,
                leaf.errors,
            )
        await eventually(lambda subject=subject: _log_has(prov, f'Subscription Violation on "{subject}"'))

    # A well-behaved child's own clients, asking their server for the sibling's subjects.
    child = await nats.connect(city.cfg.nats_url)
    got_at_city: list[str] = []

    async def collect(msg) -> None:
        got_at_city.append(msg.subject)

    for subject in (subjects.link_deliver(prov.id, city2.id), f"evt.*.{prov.id}.{city2.id}.*", "rpc.>"):
        await child.subscribe(subject, cb=collect)
    await child.flush()
    async with rogue_leaf(prov, creds) as leaf:
        for subject in ("link.>", "evt.>", ">"):
            leaf.writer.write(f"LS+ {subject}\r\n".encode())
        leaf.writer.write(b"PING\r\n")
        await leaf.writer.drain()
        await asyncio.sleep(0.5)
        assert not leaf.closed.is_set(), leaf.errors  # wildcards are accepted …

        # … and the province sends the sibling a copy (its link consumer pushes it on link.prov.city2).
        pnc = await nats.connect(prov.cfg.nats_url)
        try:
            await pnc.jetstream().publish(
                subjects.event("notice.issued", prov.id, city2.id),
                b'{"for": "city2"}',
                headers={"Nats-Msg-Id": "for-city2-only"},
            )
            await pnc.publish(subjects.rpc(prov.id, "notices", "health"), b"{}")
        finally:
            await pnc.close()
        assert await eventually(lambda: _subject_count(city2, subjects.event("notice.issued", prov.id, city2.id), 1))
        await asyncio.sleep(1.0)  # anything delivered to the rogue would have arrived by now
        allowed = federation.leaf_permissions(prov.id, city.id)["subscribe"]
        assert leaf.subjects, "the rogue link received nothing at all (not even city's own link traffic)"
        strays = [s for s in leaf.subjects if not any(_matches(pattern, s) for pattern in allowed)]
        assert strays == []
        assert not any(city2.id in s.split(".") for s in leaf.subjects)
    await child.close()
    assert got_at_city == []
    assert await prov.leaf_links() == 3


def _matches(pattern: str, subject: str) -> bool:
    p, s = pattern.split("."), subject.split(".")
    if p[-1] == ">":
        return len(s) >= len(p) and all(a in ("*", b) for a, b in zip(p[:-1], s, strict=False))  # a prefix of s
    return len(p) == len(s) and all(a in ("*", b) for a, b in zip(p, s, strict=True))


async def _log_has(node: FedNode, text: str) -> str | None:
    log = node.nats_log()
    return log if text in log else None


async def test_a_child_cannot_speak_for_another_node_through_its_own_link(fed):
    """A child that widens its own OUTBOX to carry a sibling's subjects: the parent stamps them as the child's,
    and the parent's consumers dead-letter a body that names another origin."""
    prov, city, city2 = fed["prov"], fed["city"], fed["city2"]
    nc = await nats.connect(city.cfg.nats_url)
    try:
        js = nc.jetstream()
        outbox = (await js.stream_info(subjects.outbox_stream(city.id))).config
        outbox.subjects = [*outbox.subjects, subjects.from_node_to(city2.id, prov.id)]
        await js.update_stream(outbox)
        consumer = (await js.consumer_info(outbox.name, subjects.link_consumer(prov.id))).config
        consumer.filter_subject = None
        consumer.filter_subjects = [subjects.from_node_to(city.id, prov.id), subjects.from_node_to(city2.id, prov.id)]
        await js.add_consumer(outbox.name, consumer)
        body = {
            "event_id": "01JFORGED0000000000000000",
            "type": "notice.acknowledged",
            "version": 1,
            "occurred_at": "2026-05-30T08:00:00Z",
            "origin_node": city2.id,
            "notice_id": "n1",
            "issuer_node": prov.id,
            "unit_id": "gz-kx",
            "unit_name": "广州市科学技术协会",
            "acknowledged_by": "forger",
            "acknowledged_at": "2026-05-30T08:00:00Z",
        }
        await js.publish(subjects.event("notice.acknowledged", city2.id, prov.id), json.dumps(body).encode())
    finally:
        await nc.close()

    stamped = subjects.event("notice.acknowledged", city.id, prov.id)
    assert await eventually(lambda: _subject_count(prov, stamped, 1))
    assert subjects.event("notice.acknowledged", city2.id, prov.id) not in await prov.subjects_in(
        subjects.events_stream(prov.id)
    )
    async with running(prov, services=["reports"]):
        letters = await eventually(lambda: _dead_letters(prov))
    assert any("origin mismatch" in h.get("Cascade-Error", "") and h["Cascade-Subject"] == stamped for h in letters)


async def _subject_count(node: FedNode, subject: str, count: int) -> bool:
    return (await node.subjects_in(subjects.events_stream(node.id))).get(subject) == count


async def _dead_letters(node: FedNode) -> list[dict]:
    nc = await nats.connect(node.cfg.nats_url)
    try:
        js = nc.jetstream()
        stream = subjects.deadletter_stream(node.id)
        n = (await js.stream_info(stream)).state.messages
        return [dict((await js.get_msg(stream, seq)).headers or {}) for seq in range(1, n + 1)]
    finally:
        await nc.close()


# ---------------------------------------------------------------- raw leafnode protocol


@dataclass
class RogueLeaf:
    """A leafnode connection spoken by hand: what it was sent (subjects), the errors, whether it was closed."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    subjects: list[str] = field(default_factory=list)
    errors: list[bytes] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def read_loop(self) -> None:
        try:
            while line := await self.reader.readline():
                if line.startswith((b"LMSG ", b"HMSG ")):
                    args = line.split()
                    await self.reader.readexactly(int(args[-1]) + 2)
                    self.subjects.append(args[1].decode())
                elif line.startswith(b"PING"):
                    self.writer.write(b"PONG\r\n")
                elif line.startswith(b"-ERR"):
                    self.errors.append(line)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed.set()


@contextlib.asynccontextmanager
async def rogue_leaf(node: FedNode, creds: dict):
    """Logged in to ``node``'s leafnode port with ``creds`` (it answered), reading in the background."""
    reader, writer = await _leaf_connect(node, creds)
    await _read_until(reader, (b"PING", b"LS+"), timeout=5)  # authenticated
    leaf = RogueLeaf(reader, writer)
    task = asyncio.create_task(leaf.read_loop())
    try:
        yield leaf
    finally:
        writer.close()
        await asyncio.wait_for(task, 10)


async def _leaf_connect(node: FedNode, creds: dict):
    reader, writer = await asyncio.open_connection(node.cfg.host, node.cfg.ports.leafnodes)
    await reader.readline()  # INFO
    connect = {
        "name": "rogue",
        "server_id": "ROGUE",
        "headers": True,
        "protocol": 1,
        "remote_account": "APP",
        "compress_mode": "off",
        **creds,
    }
    writer.write(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
    await writer.drain()
    return reader, writer


async def _read_until(reader: asyncio.StreamReader, prefixes: tuple[bytes, ...], timeout: float) -> bytes:
    async def scan() -> bytes:
        while True:
            line = await reader.readline()
            if not line or any(line.startswith(p) for p in prefixes if p):
                return line

    return await asyncio.wait_for(scan(), timeout)
