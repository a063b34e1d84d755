"""Offline tolerance: a cut link, a middle node that dies, the top node that dies, a service killed mid-flow,
and the same copy sent twice across a link.

Each time, what was sent while something was down waits in its sender's
OUTBOX and arrives once it is back — exactly once — and the counts (every
level's EVENTS stream) and the contents (titles, 文号, recipients, the chain,
the 签收 records) agree on every level.
"""

import asyncio
import contextlib
import json

import nats
import pytest
from nats.js.errors import NotFoundError

from shared import subjects

from ..federation_harness import FedNode, build, link_consumer_waiting, teardown
from ..harness import ServiceProcesses, as_role, eventually, gateway, running
from .test_federation import OWN_UNIT, Level, directory, has, inbox_ids, notice

SHAPE = {"nat": None, "prov": "nat", "city": "prov"}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE, proxied=True)
    yield nodes
    await teardown(nodes)


def level(fed: dict[str, FedNode], name: str, *, with_services: bool = True, load: bool = True):
    """A node's gateway in-process (and its backend services unless they run as processes)."""

    @contextlib.asynccontextmanager
    async def cm():
        node = fed[name]
        async with contextlib.AsyncExitStack() as stack:
            if with_services:
                await stack.enter_async_context(running(node))
            http = await stack.enter_async_context(gateway(node))
            unit = OWN_UNIT[name]
            if load:
                admin = await as_role(http, unit, "admin")
                for entry in directory(fed)[name]:
                    r = await admin.put(f"/api/units/{entry.unit_id}", json=entry.model_dump(mode="json"))
                    assert r.status_code == 200, r.text
            yield Level(http, await as_role(http, unit, "issuer"), await as_role(http, unit, "submitter"))

    return cm()


async def issue(lv: Level, issuer: str, recipients: list[str], title: str) -> str:
    r = await lv.issuer.post("/api/notices", json=notice(issuer, recipients, title))
    assert r.status_code == 201, r.text
    return r.json()["notice_id"]


async def forward(lv: Level, unit: str, notice_id: str, recipients: list[str], cover_note: str) -> str:
    r = await lv.issuer.post(
        f"/api/notices/{notice_id}/forward",
        json={"unit_id": unit, "recipient_unit_ids": recipients, "cover_note": cover_note},
    )
    assert r.status_code == 201, r.text
    return r.json()["notice_id"]


async def ack(lv: Level, unit: str, notice_id: str) -> None:
    r = await lv.clerk.post(f"/api/units/{unit}/inbox/{notice_id}/acknowledge")
    assert r.status_code == 200, r.text


def all_in(client, unit: str, ids: set[str]):
    async def check():
        return ids <= await inbox_ids(client, unit)

    return check


def acks(client, notice_id: str):
    async def check():
        r = await client.get(f"/api/notices/{notice_id}/status")
        return r.json()["acknowledged"] if r.status_code == 200 else None

    return check


async def all_equal(check, value) -> bool:
    return await check() == value


async def drained(*pairs: tuple[FedNode, FedNode]) -> None:
    for sender, dest in pairs:
        await eventually(lambda s=sender, d=dest: all_equal(link_consumer_waiting(s, d), 0), timeout=30)


# ---------------------------------------------------------------- contents, compared across levels


def content(view: dict) -> dict:
    """What a notice says, as the sender and every receiver must see it alike."""
    keys = (
        "notice_id",
        "doc_number",
        "title",
        "body",
        "cover_note",
        "root_notice_id",
        "parent_notice_id",
        "issued_at",
        "issued_by",
        "revision",
    )
    return {
        **{k: view.get(k) for k in keys},
        "issuers": [(u["unit_id"], u["name"], u["node_id"]) for u in view["issuers"]],
        "chain": [(c["notice_id"], c["doc_number"], c["node_id"], c["issuer_name"]) for c in view.get("chain", [])],
        "attachments": sorted((a["filename"], a["sha256"]) for a in view.get("attachments", [])),
    }


async def view(client, notice_id: str) -> dict:
    r = await client.get(f"/api/notices/{notice_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def same_notice(sender, receiver, notice_id: str, recipients: list[str]) -> dict:
    """The receiver holds exactly what the sender issued, addressed to ``recipients``; returns the receiver's view."""
    sent, got = await view(sender, notice_id), await view(receiver, notice_id)
    assert content(got) == content(sent)
    assert [u["unit_id"] for u in got["recipients"]] == recipients
    return got


async def inbox(client, unit: str) -> list[dict]:
    r = await client.get(f"/api/units/{unit}/inbox", params={"per_page": 200})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def inbox_once(client, unit: str, ids: set[str]) -> dict[str, dict]:
    """The unit's inbox holds exactly ``ids``, each once; returns the entries by notice id."""
    entries = await inbox(client, unit)
    assert sorted(e["notice_id"] for e in entries) == sorted(ids)
    return {e["notice_id"]: e for e in entries}


async def receipts_match(issuer, clerk, unit: str, notice_ids: set[str]) -> None:
    """签收 records at the issuer's node are the recipient's own: same time, same person, one each."""
    entries = {e["notice_id"]: e for e in await inbox(clerk, unit)}
    for nid in notice_ids:
        r = await issuer.get(f"/api/notices/{nid}/tracking")
        assert r.status_code == 200, r.text
        t = r.json()
        row = next(x for x in t["page"]["items"] if x["unit_id"] == unit)
        assert entries[nid]["acknowledged_at"] and row["acknowledged_at"] == entries[nid]["acknowledged_at"]
        assert row["acknowledged_by"] == entries[nid]["acknowledged_by"]
        assert t["acknowledged"] == 1
        assert await acks(issuer, nid)() == 1


def ev(kind: str, origin: FedNode, dest: FedNode) -> str:
    return subjects.event(f"notice.{kind}", origin.id, dest.id)


def reported(origin: FedNode, dest: FedNode) -> str:
    """下级进度 of a 转发 made at ``origin``, for its upstream issuer's node (services/reports/rollup.py)."""
    return subjects.event("progress.reported", origin.id, dest.id)


async def newest_report(node: FedNode, stream: str, subject: str) -> dict | None:
    """The figures of the newest 下级进度 report ``node`` holds in ``stream`` on ``subject``, or None."""
    nc = await nats.connect(node.cfg.nats_url)
    try:
        data = (await nc.jetstream().get_last_msg(stream, subject)).data
    except NotFoundError:
        return None
    finally:
        await nc.close()
    return json.loads(data or b"{}")["figures"]


def file_ev(kind: str, origin: FedNode, dest: FedNode) -> str:
    """A file's bytes asked for (``wanted``) across a link (shared/file_sync.py)."""
    return subjects.event(f"blob.{kind}", origin.id, dest.id)


def forwarded_original(prov: FedNode, city: FedNode) -> dict[str, dict[str, int]]:
    """A 转发 carries the original as a file made at the province: the city asks for it once (the piece it
    gets is removed from its stream once the file is kept)."""
    return {"prov": {file_ev("wanted", city, prov): 1}, "city": {}}


async def events_are(node: FedNode, expected: dict[str, int], *, throttled: frozenset[str] = frozenset()) -> None:
    """Every subject in the node's EVENTS stream, with its count: nothing missing, nothing twice, nothing else.

    Waits a little for what may still be on its way (a file's pieces follow the notice that names it);
    a count above the expected one never comes back down, so it fails with that count. ``throttled``:
    subjects present once or more (下级进度 reports: one per 转发 and one an interval at most after each
    change, so how many depends on timing; the newest wins).
    """

    async def settled():
        got = await node.subjects_in(subjects.events_stream(node.id))
        exact = {k: n for k, n in got.items() if k not in throttled}
        assert all(exact.get(k, 0) <= n for k, n in expected.items()) and set(exact) <= set(expected), got
        return exact == expected and all(got.get(k, 0) >= 1 for k in throttled)

    assert await eventually(settled), await node.subjects_in(subjects.events_stream(node.id))


# ---------------------------------------------------------------- outages


async def test_a_cut_link_loses_nothing_and_delivers_exactly_once_when_it_heals(fed):
    nat, prov, city = fed["nat"], fed["prov"], fed["city"]
    async with level(fed, "nat") as top, level(fed, "prov") as mid, level(fed, "city") as low:
        first = await issue(top, "cast", ["gd-kx"], "断网前的国家级通知")
        before = {await issue(mid, "gd-kx", ["sz-kx"], f"先到的通知{i}") for i in range(3)}
        await eventually(all_in(low.clerk, "sz-kx", before))
        await eventually(has(mid.clerk, "gd-kx", first))
        await drained((nat, prov), (prov, city))  # what arrived has also left its OUTBOX

        # Both links of the province go down; every level keeps working on its own.
        await prov.proxy.cut()
        await city.proxy.cut()
        from_top = {await issue(top, "cast", ["gd-kx"], f"断网期间国家级通知{i}") for i in range(5)}
        during = {await issue(mid, "gd-kx", ["sz-kx"], f"断网期间省级通知{i}") for i in range(2)}
        forwarded = await forward(mid, "gd-kx", first, ["sz-kx"], "断网期间转发，请认真落实。")
        await ack(mid, "gd-kx", first)
        for nid in before:
            await ack(low, "sz-kx", nid)
        await asyncio.sleep(2.0)  # long enough for anything that could leak through to arrive
        assert not from_top & await inbox_ids(mid.clerk, "gd-kx")
        assert not (during | {forwarded}) & await inbox_ids(low.clerk, "sz-kx")
        assert [await acks(mid.issuer, nid)() for nid in before] == [0, 0, 0]
        assert await acks(top.issuer, first)() == 0
        # What could not cross waits in each sender's OUTBOX, for the right neighbour.
        assert await nat.stream_messages(subjects.outbox_stream(nat.id)) == 5  # notices for the province
        assert await city.stream_messages(subjects.outbox_stream(city.id)) == 3  # receipts waiting to go up
        # The province holds 2 notices + 1 转发 for the city, and its receipt + the 转发's report + its 下级进度 for
        # national (one: nothing changes the 转发's progress while the city is cut off).
        outbox = subjects.outbox_stream(prov.id)
        assert await eventually(lambda: newest_report(prov, outbox, reported(prov, nat))) == {
            "recipients": 1,
            "acknowledged": 0,
            "asks": [],
        }
        assert await prov.subjects_in(outbox) == {
            ev("issued", prov, city): 2,
            ev("forwarded", prov, city): 1,
            ev("acknowledged", prov, nat): 1,
            ev("forward_reported", prov, nat): 1,
            reported(prov, nat): 1,
        }
        assert await link_consumer_waiting(prov, city)() == 3 and await link_consumer_waiting(prov, nat)() == 3

        await prov.proxy.restore()
        await city.proxy.restore()
        await eventually(all_in(mid.clerk, "gd-kx", from_top), timeout=60)
        await eventually(all_in(low.clerk, "sz-kx", during | {forwarded}), timeout=60)
        for nid in before:
            assert await eventually(acks(mid.issuer, nid), timeout=60) == 1
        assert await eventually(acks(top.issuer, first), timeout=60) == 1
        await drained((nat, prov), (prov, city), (city, prov), (prov, nat))

        # Exactly once, and the same contents, everywhere.
        await inbox_once(mid.clerk, "gd-kx", from_top | {first})
        await inbox_once(low.clerk, "sz-kx", before | during | {forwarded})
        for nid in from_top | {first}:
            await same_notice(top.issuer, mid.clerk, nid, ["gd-kx"])
        for nid in before | during | {forwarded}:
            await same_notice(mid.issuer, low.clerk, nid, ["sz-kx"])
        got = await view(low.clerk, forwarded)
        assert got["root_notice_id"] == first and got["cover_note"] == "断网期间转发，请认真落实。"
        top_view = await view(top.issuer, first)
        assert [c["notice_id"] for c in got["chain"]] == [first]
        assert got["chain"][0]["doc_number"] == top_view["doc_number"]
        assert got["doc_number"].startswith("粤科协联〔") and got["doc_number"] != top_view["doc_number"]
        # National learnt of the 转发 too (下级转发 on its notice).
        assert [f["notice_id"] for f in top_view.get("forwards", {}).values()] == [forwarded]
        await receipts_match(mid.issuer, low.clerk, "sz-kx", before)
        await receipts_match(top.issuer, mid.clerk, "gd-kx", {first})

    await events_are(
        nat,
        {ev("issued", nat, nat): 6, ev("acknowledged", prov, nat): 1, ev("forward_reported", prov, nat): 1},
        throttled=frozenset({reported(prov, nat)}),
    )
    assert await newest_report(nat, subjects.events_stream(nat.id), reported(prov, nat)) == {
        "recipients": 1,
        "acknowledged": 0,
        "asks": [],
    }
    files = forwarded_original(prov, city)
    await events_are(
        prov,
        {
            ev("issued", nat, prov): 6,
            ev("issued", prov, prov): 5,
            ev("forwarded", prov, prov): 1,
            ev("forward_reported", prov, prov): 1,
            ev("acknowledged", prov, prov): 1,
            ev("acknowledged", city, prov): 3,
            **files["prov"],
        },
    )
    await events_are(
        city,
        {
            ev("issued", prov, city): 5,
            ev("forwarded", prov, city): 1,
            ev("acknowledged", city, city): 3,
            **files["city"],
        },
    )


async def test_a_middle_node_that_dies_catches_up_and_relays_again(fed, servers):
    """The province's nats-server and services are killed (SIGKILL) and come back: nothing is lost."""
    nat, prov, city = fed["nat"], fed["prov"], fed["city"]
    procs = ServiceProcesses(prov)
    try:
        procs.start("notices", "submissions", "notifications", "reports")
        await procs.wait_healthy(timeout=90)
        async with level(fed, "nat") as top, level(fed, "city") as low:
            async with level(fed, "prov", with_services=False) as mid:
                first = await issue(mid, "gd-kx", ["sz-kx"], "省级通知（宕机前）")
                await eventually(has(low.clerk, "sz-kx", first))
                await drained((prov, city))  # it has also left the province's OUTBOX

            for service in procs.procs:
                procs.kill(service)
            prov.stop_nats(kill=True)

            from_top = {await issue(top, "cast", ["gd-kx"], f"省节点宕机期间的通知{i}") for i in range(3)}
            await ack(low, "sz-kx", first)
            await asyncio.sleep(1.0)
            assert await nat.stream_messages(subjects.outbox_stream(nat.id)) == 3
            assert await city.stream_messages(subjects.outbox_stream(city.id)) == 1

            prov.start_nats()
            procs.start(*procs.procs)
            await procs.wait_healthy(timeout=90)
            async with level(fed, "prov", with_services=False, load=False) as mid:
                await eventually(all_in(mid.clerk, "gd-kx", from_top), timeout=60)
                assert await eventually(acks(mid.issuer, first), timeout=60) == 1
                # And it relays again, in both directions.
                again = await issue(mid, "gd-kx", ["sz-kx"], "省级通知（恢复后）")
                await eventually(has(low.clerk, "sz-kx", again))
                answered = sorted(from_top)[0]
                await ack(mid, "gd-kx", answered)
                assert await eventually(acks(top.issuer, answered)) == 1
                await drained((nat, prov), (prov, city), (city, prov), (prov, nat))

                await inbox_once(mid.clerk, "gd-kx", from_top)
                await inbox_once(low.clerk, "sz-kx", {first, again})
                for nid in from_top:
                    await same_notice(top.issuer, mid.clerk, nid, ["gd-kx"])
                for nid in (first, again):
                    await same_notice(mid.issuer, low.clerk, nid, ["sz-kx"])
                await receipts_match(mid.issuer, low.clerk, "sz-kx", {first})
                await receipts_match(top.issuer, mid.clerk, "gd-kx", {answered})
    finally:
        procs.stop_all()
    await events_are(nat, {ev("issued", nat, nat): 3, ev("acknowledged", prov, nat): 1})
    await events_are(
        prov,
        {
            ev("issued", nat, prov): 3,
            ev("issued", prov, prov): 2,
            ev("acknowledged", prov, prov): 1,
            ev("acknowledged", city, prov): 1,
        },
    )
    await events_are(city, {ev("issued", prov, city): 2, ev("acknowledged", city, city): 1})


async def test_the_top_node_that_dies_gets_everything_its_children_sent_meanwhile(fed):
    """National's nats-server and services are killed: the province and the city keep working between
    themselves, and national gets the receipts and the 转发 report once it is back, then issues again."""
    nat, prov, city = fed["nat"], fed["prov"], fed["city"]
    procs = ServiceProcesses(nat)
    try:
        procs.start("notices", "submissions", "notifications", "reports")
        await procs.wait_healthy(timeout=90)
        async with level(fed, "prov") as mid, level(fed, "city") as low:
            async with level(fed, "nat", with_services=False) as top:
                sent = [await issue(top, "cast", ["gd-kx"], f"国家级通知{i}") for i in range(3)]
                await eventually(all_in(mid.clerk, "gd-kx", set(sent)))
                await drained((nat, prov))  # they have also left national's OUTBOX

            for service in procs.procs:
                procs.kill(service)
            nat.stop_nats(kill=True)

            # Meanwhile the province answers national and forwards to the city, which answers the province.
            for nid in sent:
                await ack(mid, "gd-kx", nid)
            forwarded = await forward(mid, "gd-kx", sent[0], ["sz-kx"], "国家级节点停机期间转发。")
            await eventually(has(low.clerk, "sz-kx", forwarded))
            await ack(low, "sz-kx", forwarded)
            assert await eventually(acks(mid.issuer, forwarded)) == 1
            await drained((prov, city), (city, prov))  # that link works: nothing waits on it
            # The 转发's 下级进度 waits for national too, the newest report with the city's 签收 (one or two
            # reports: the 签收 may come after the first, and the next waits one interval).
            outbox = subjects.outbox_stream(prov.id)
            assert await eventually(
                lambda: all_equal(
                    lambda: newest_report(prov, outbox, reported(prov, nat)),
                    {"recipients": 1, "acknowledged": 1, "asks": []},
                ),
                timeout=30,
            )
            await asyncio.sleep(1.0)
            waiting = await prov.subjects_in(outbox)
            assert waiting.pop(reported(prov, nat), 0) >= 1
            assert waiting == {ev("acknowledged", prov, nat): 3, ev("forward_reported", prov, nat): 1}

            nat.start_nats()
            procs.start(*procs.procs)
            await procs.wait_healthy(timeout=90)
            async with level(fed, "nat", with_services=False, load=False) as top:
                for nid in sent:
                    assert await eventually(acks(top.issuer, nid), timeout=60) == 1
                await drained((prov, nat), (nat, prov), (prov, city), (city, prov))
                await receipts_match(top.issuer, mid.clerk, "gd-kx", set(sent))
                await receipts_match(mid.issuer, low.clerk, "sz-kx", {forwarded})
                top_view = await eventually(lambda: _forwards(top.issuer, sent[0], 1), timeout=60)
                assert [f["doc_number"] for f in top_view["forwards"].values()] == [
                    (await view(mid.issuer, forwarded))["doc_number"]
                ]
                # It issues again, and that reaches the province once.
                again = await issue(top, "cast", ["gd-kx"], "国家级通知（恢复后）")
                await eventually(has(mid.clerk, "gd-kx", again))
                await drained((nat, prov))
                await inbox_once(mid.clerk, "gd-kx", {*sent, again})
                await inbox_once(low.clerk, "sz-kx", {forwarded})
                for nid in (*sent, again):
                    await same_notice(top.issuer, mid.clerk, nid, ["gd-kx"])
                got = await same_notice(mid.issuer, low.clerk, forwarded, ["sz-kx"])
                assert [c["notice_id"] for c in got["chain"]] == [sent[0]]
    finally:
        procs.stop_all()
    await events_are(
        nat,
        {ev("issued", nat, nat): 4, ev("acknowledged", prov, nat): 3, ev("forward_reported", prov, nat): 1},
        throttled=frozenset({reported(prov, nat)}),
    )
    assert await newest_report(nat, subjects.events_stream(nat.id), reported(prov, nat)) == {
        "recipients": 1,
        "acknowledged": 1,
        "asks": [],
    }
    files = forwarded_original(prov, city)
    await events_are(
        prov,
        {
            ev("issued", nat, prov): 4,
            ev("acknowledged", prov, prov): 3,
            ev("forwarded", prov, prov): 1,
            ev("forward_reported", prov, prov): 1,
            ev("acknowledged", city, prov): 1,
            **files["prov"],
        },
    )
    await events_are(city, {ev("forwarded", prov, city): 1, ev("acknowledged", city, city): 1, **files["city"]})


async def _forwards(client, notice_id: str, n: int) -> dict | None:
    got = await view(client, notice_id)
    return got if len(got.get("forwards") or {}) == n else None


async def test_services_killed_on_both_sides_of_a_link_resume_without_loss(fed):
    """The city's notices service dies while notices arrive; the province's reports while receipts arrive."""
    prov, city = fed["prov"], fed["city"]
    city_procs, prov_procs = ServiceProcesses(city), ServiceProcesses(prov)
    try:
        city_procs.start("notices")
        prov_procs.start("notices", "reports")
        await asyncio.gather(city_procs.wait_healthy(timeout=90), prov_procs.wait_healthy(timeout=90))
        async with level(fed, "prov", with_services=False) as mid, level(fed, "city", with_services=False) as low:
            city_procs.kill("notices")
            sent = {await issue(mid, "gd-kx", ["sz-kx"], f"市节点服务中断期间的通知{i}") for i in range(4)}
            await eventually(lambda: _count(city, ev("issued", prov, city), 4))
            city_procs.start("notices")
            await city_procs.wait_healthy(timeout=90)
            await eventually(all_in(low.clerk, "sz-kx", sent), timeout=60)

            prov_procs.kill("reports")
            for nid in sent:
                await ack(low, "sz-kx", nid)
            await eventually(lambda: _count(prov, ev("acknowledged", city, prov), 4))
            prov_procs.start("reports")
            await prov_procs.wait_healthy(timeout=90)
            for nid in sent:
                assert await eventually(acks(mid.issuer, nid), timeout=60) == 1
            await inbox_once(low.clerk, "sz-kx", sent)
            for nid in sent:
                await same_notice(mid.issuer, low.clerk, nid, ["sz-kx"])
            await receipts_match(mid.issuer, low.clerk, "sz-kx", sent)
    finally:
        city_procs.stop_all()
        prov_procs.stop_all()
    await events_are(prov, {ev("issued", prov, prov): 4, ev("acknowledged", city, prov): 4})
    await events_are(city, {ev("issued", prov, city): 4, ev("acknowledged", city, city): 4})


async def _count(node: FedNode, subject: str, n: int) -> bool:
    return (await node.subjects_in(subjects.events_stream(node.id))).get(subject) == n


# ---------------------------------------------------------------- the same copy twice


async def _stored(receiver: FedNode, subject: str) -> bytes:
    """The copy ``receiver`` stored last on ``subject``, as it arrived."""
    nc = await nats.connect(receiver.cfg.nats_url)
    try:
        data = (await nc.jetstream().get_last_msg(subjects.events_stream(receiver.id), subject)).data
        assert data is not None
        return data
    finally:
        await nc.close()


async def _send_again(sender: FedNode, subject: str, data: bytes, msg_id: str) -> bool:
    """Publish a copy into ``sender``'s OUTBOX again; True if JetStream took it as a duplicate."""
    nc = await nats.connect(sender.cfg.nats_url)
    try:
        return bool((await nc.jetstream().publish(subject, data, headers={"Nats-Msg-Id": msg_id})).duplicate)
    finally:
        await nc.close()


async def _consumed(node: FedNode) -> bool:
    """Every durable consumer of the node's EVENTS has had every message it wants, and acked it."""
    nc = await nats.connect(node.cfg.nats_url)
    try:
        infos = await nc.jetstream().consumers_info(subjects.events_stream(node.id))
    finally:
        await nc.close()
    return bool(infos) and all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos)


async def test_the_same_copy_sent_twice_across_a_link_is_applied_once(fed):
    """A copy published again (an outbox republished after a crash, past JetStream's duplicate window) crosses
    the link a second time and is stored twice; the receiver's consumers apply it once."""
    prov, city = fed["prov"], fed["city"]
    async with level(fed, "prov") as mid, level(fed, "city") as low:
        nid = await issue(mid, "gd-kx", ["sz-kx"], "重复投递测试通知")
        await eventually(has(low.clerk, "sz-kx", nid))
        await ack(low, "sz-kx", nid)
        assert await eventually(acks(mid.issuer, nid)) == 1
        await drained((prov, city), (city, prov))
        entry_before = (await inbox_once(low.clerk, "sz-kx", {nid}))[nid]
        tracking_before = (await mid.issuer.get(f"/api/notices/{nid}/tracking")).json()

        down, up = ev("issued", prov, city), ev("acknowledged", city, prov)
        issued, receipt = await _stored(city, down), await _stored(prov, up)
        event_id = json.loads(issued)["event_id"]
        assert json.loads(issued)["notice"]["notice_id"] == nid and json.loads(receipt)["notice_id"] == nid

        # Within the duplicate window, under the id the outbox gives it, the sender's OUTBOX drops it …
        assert await _send_again(prov, down, issued, f"{event_id}:{city.id}") is True
        # … under a fresh one (republished past the window) it crosses again: down the notice, up the receipt.
        assert await _send_again(prov, down, issued, f"{event_id}:{city.id}:again") is False
        assert await _send_again(city, up, receipt, f"{json.loads(receipt)['event_id']}:{prov.id}:again") is False
        assert await eventually(lambda: _count(city, down, 2), timeout=30)
        assert await eventually(lambda: _count(prov, up, 2), timeout=30)
        assert [b["event_id"] for b in await _all_bodies(city, down)] == [event_id, event_id]
        assert await eventually(lambda: _consumed(city), timeout=60)
        assert await eventually(lambda: _consumed(prov), timeout=60)

        # Applied once: one inbox entry, still acknowledged as before; one receipt with its first time and signer.
        entry = (await inbox_once(low.clerk, "sz-kx", {nid}))[nid]
        assert (entry["acknowledged_at"], entry["acknowledged_by"]) == (
            entry_before["acknowledged_at"],
            entry_before["acknowledged_by"],
        )
        await same_notice(mid.issuer, low.clerk, nid, ["sz-kx"])
        assert (await mid.issuer.get(f"/api/notices/{nid}/tracking")).json() == tracking_before
        await receipts_match(mid.issuer, low.clerk, "sz-kx", {nid})
        # Nothing was dead-lettered: a repeated copy is not an error, just nothing new.
        assert await city.stream_messages(subjects.deadletter_stream(city.id)) == 0
        assert await prov.stream_messages(subjects.deadletter_stream(prov.id)) == 0
        await drained((prov, city), (city, prov))


async def _all_bodies(node: FedNode, subject: str) -> list[dict]:
    nc = await nats.connect(node.cfg.nats_url)
    try:
        js = nc.jetstream()
        stream = subjects.events_stream(node.id)
        n = (await js.stream_info(stream)).state.last_seq
        out = []
        for seq in range(1, n + 1):
            msg = await js.get_msg(stream, seq)
            if msg.subject == subject:
                assert msg.data is not None
                out.append(json.loads(msg.data))
        return out
    finally:
        await nc.close()
