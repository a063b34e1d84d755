"""Offline tolerance: a cut link, a middle node that dies, a service killed mid-flow.

Each time, what was sent while something was down arrives once it is back —
exactly once — and the counts and contents agree on every level.
"""

import asyncio
import contextlib

import pytest

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
        await eventually(lambda: all_equal(link_consumer_waiting(sender, dest), 0), timeout=30)


async def test_a_cut_link_loses_nothing_and_delivers_exactly_once_when_it_heals(fed):
    nat, prov, city = fed["nat"], fed["prov"], fed["city"]
    async with level(fed, "nat") as top, level(fed, "prov") as mid, level(fed, "city") as low:
        before = {await issue(mid, "gd-kx", ["sz-kx"], f"先到的通知{i}") for i in range(3)}
        await eventually(all_in(low.clerk, "sz-kx", before))

        # Both links of the province go down; every level keeps working on its own.
        await prov.proxy.cut()
        await city.proxy.cut()
        from_top = {await issue(top, "cast", ["gd-kx"], f"断网期间国家级通知{i}") for i in range(5)}
        during = {await issue(mid, "gd-kx", ["sz-kx"], f"断网期间省级通知{i}") for i in range(2)}
        for nid in before:
            await ack(low, "sz-kx", nid)
        await asyncio.sleep(2.0)  # long enough for anything that could leak through to arrive
        assert not from_top & await inbox_ids(mid.clerk, "gd-kx")
        assert not during & await inbox_ids(low.clerk, "sz-kx")
        assert [await acks(mid.issuer, nid)() for nid in before] == [0, 0, 0]
        assert await nat.stream_messages(subjects.outbox_stream(nat.id)) == 5  # waiting for the province
        assert await city.stream_messages(subjects.outbox_stream(city.id)) == 3  # receipts waiting to go up

        await prov.proxy.restore()
        await city.proxy.restore()
        await eventually(all_in(mid.clerk, "gd-kx", from_top), timeout=60)
        await eventually(all_in(low.clerk, "sz-kx", during), timeout=60)
        for nid in before:
            assert await eventually(acks(mid.issuer, nid), timeout=60) == 1

        # Exactly once, everywhere.
        assert await inbox_ids(mid.clerk, "gd-kx") == from_top
        assert await inbox_ids(low.clerk, "sz-kx") == before | during
        await drained((nat, prov), (prov, city), (city, prov), (prov, nat))
    copies = await prov.subjects_in(subjects.events_stream(prov.id))
    assert copies[f"evt.notice.{nat.id}.{prov.id}.issued"] == 5
    assert copies[f"evt.notice.{city.id}.{prov.id}.acknowledged"] == 3
    assert (await city.subjects_in(subjects.events_stream(city.id)))[f"evt.notice.{prov.id}.{city.id}.issued"] == 5


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
                await ack(mid, "gd-kx", sorted(from_top)[0])
                assert await eventually(acks(top.issuer, sorted(from_top)[0])) == 1

                assert await inbox_ids(mid.clerk, "gd-kx") == from_top
                assert await inbox_ids(low.clerk, "sz-kx") == {first, again}
                await drained((nat, prov), (prov, city), (city, prov), (prov, nat))
    finally:
        procs.stop_all()
    copies = await prov.subjects_in(subjects.events_stream(prov.id))
    assert copies[f"evt.notice.{nat.id}.{prov.id}.issued"] == 3
    assert copies[f"evt.notice.{city.id}.{prov.id}.acknowledged"] == 1


async def test_services_killed_on_both_sides_of_a_link_resume_without_loss(fed):
    """The city's notices service dies while notices arrive; the province's reports while receipts arrive."""
    prov, city = fed["prov"], fed["city"]
    city_procs, prov_procs = ServiceProcesses(city), ServiceProcesses(prov)
    try:
        city_procs.start("notices")
        prov_procs.start("notices", "reports")
        await asyncio.gather(city_procs.wait_healthy(timeout=90), prov_procs.wait_healthy(timeout=90))
        async with (level(fed, "prov", with_services=False) as mid,
                    level(fed, "city", with_services=False) as low):
            city_procs.kill("notices")
            sent = {await issue(mid, "gd-kx", ["sz-kx"], f"市节点服务中断期间的通知{i}") for i in range(4)}
            await eventually(lambda: _count(city, f"evt.notice.{prov.id}.{city.id}.issued", 4))
            city_procs.start("notices")
            await city_procs.wait_healthy(timeout=90)
            await eventually(all_in(low.clerk, "sz-kx", sent), timeout=60)

            prov_procs.kill("reports")
            for nid in sent:
                await ack(low, "sz-kx", nid)
            await eventually(lambda: _count(prov, f"evt.notice.{city.id}.{prov.id}.acknowledged", 4))
            prov_procs.start("reports")
            await prov_procs.wait_healthy(timeout=90)
            for nid in sent:
                assert await eventually(acks(mid.issuer, nid), timeout=60) == 1
            assert await inbox_ids(low.clerk, "sz-kx") == sent
    finally:
        city_procs.stop_all()
        prov_procs.stop_all()


async def _count(node: FedNode, subject: str, n: int) -> bool:
    return (await node.subjects_in(subjects.events_stream(node.id))).get(subject) == n
