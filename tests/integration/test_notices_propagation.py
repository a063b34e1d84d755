"""更正/撤回 down whole forwarding chains, and the upstream issuer learning of every 转发 — on one node and across nodes.

A chain of three levels: the original (中国科协 + 科技部), its 转发 by the
province, and the 转发 of that by a city. A 更正 and then a 撤回 of the
original must flag every level — the forwarder's own views and the
recipients' inbox entries and pages — with the kind, the reason, the time and
the original's 文号; and each issuer sees who forwarded its notice, under which
文号, when and to how many units, wherever the 转发 was made.

Across nodes the links are made as in test_notices_nodes.py (OUTBOX of each
node sourced by its neighbours' EVENTS on one nats-server): national ↔
province ↔ city, so a copy travels one link at a time.
"""

import dataclasses

import nats
from nats.js.api import StreamSource

from shared import subjects
from shared.bus import _stream_config, node_stream_configs
from shared.clock import FixedClock
from shared.contracts.notices import UpsertUnit
from shared.schemas import UnitKind

from ..fixtures import SEED000_NOW, as_unit, deadline, load_directory, seed000_forward, seed000_national
from ..harness import TestNode as Node
from ..harness import create_user, eventually, forward, gateway, issue, login, running

HTML = {"Accept": "text/html"}
SERVICES = ["notices", "submissions", "reports"]  # the notice page shows what is owed and its completeness
NATIONAL_NUMBER = "科协发组字〔2020〕7号"
CORRECTION = "截止时间调整为6月18日"
WITHDRAWAL = "活动调整，另行通知"

DISTRICTS = [
    UpsertUnit(unit_id="sz-ft-kx", name="深圳市福田区科学技术协会", kind=UnitKind.kexie, parent_id="sz-kx"),
    UpsertUnit(unit_id="sz-ns-kx", name="深圳市南山区科学技术协会", kind=UnitKind.kexie, parent_id="sz-kx"),
]


def correction_body() -> dict:
    national = seed000_national()
    asks = [{**a, "deadline": deadline(2020, 6, 18)} for a in national["asks"]]
    return {"reason": CORRECTION, "asks": asks}


async def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


# ---------------------------------------------------------------- reading the flag at one level


async def flag_on_notice(client, notice_id: str, kind: str):
    """The notice as ``client`` reads it, once its upstream change of ``kind`` is there."""
    r = await client.get(f"/api/notices/{notice_id}")
    change = r.json().get("upstream_change") if r.status_code == 200 else None
    return change if change and change["kind"] == kind else None


async def flag_in_inbox(client, notice_id: str, kind: str):
    entry = next((e for e in (await client.get("/api/inbox")).json()["items"] if e["notice_id"] == notice_id), None)
    change = (entry or {}).get("upstream_change")
    return change if change and change["kind"] == kind else None


async def flag_in_outbox(client, notice_id: str, kind: str):
    row = next((n for n in (await client.get("/api/notices")).json()["items"] if n["id"] == notice_id), None)
    change = (row or {}).get("upstream_change")
    return change if change and change["kind"] == kind else None


def assert_change(change: dict, kind: str, reason: str, upstream_id: str) -> None:
    assert change["kind"] == kind and change["reason"] == reason
    assert change["doc_number"] == NATIONAL_NUMBER and change["notice_id"] == upstream_id
    assert change["at"].startswith("2020-05-06")


async def assert_level(forwarder, recipient, notice_id: str, kind: str, reason: str, upstream_id: str) -> None:
    """One level of the chain: the forwarder's 发文 and detail, the recipient's 收文 entry and detail."""
    for change in (
        await eventually(lambda: flag_on_notice(forwarder, notice_id, kind)),
        await eventually(lambda: flag_in_outbox(forwarder, notice_id, kind)),
        await eventually(lambda: flag_in_inbox(recipient, notice_id, kind)),
        await eventually(lambda: flag_on_notice(recipient, notice_id, kind)),
    ):
        assert_change(change, kind, reason, upstream_id)


async def assert_banner(http, username: str, unit_id: str, notice_id: str, text: str) -> None:
    """The zh-CN banner on the notice page and the tag in 收文, as the person of a recipient unit sees them."""
    await create_user(http, username, unit_id, "submitter")
    person = await login(http, username)
    page = (await person.get(f"/notices/{notice_id}", headers=HTML)).text
    assert 'id="upstream-change"' in page and text in page and NATIONAL_NUMBER in page
    inbox = (await person.get("/inbox", headers=HTML)).text
    assert text in inbox


# ---------------------------------------------------------------- one node


async def test_correction_and_withdrawal_flag_every_level_of_a_chain_on_one_node(node):
    async with running(node, SERVICES, clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        await load_directory(http, DISTRICTS)
        cast, gd, sz = await as_unit(http, "cast"), await as_unit(http, "gd-kx"), await as_unit(http, "sz-kx")
        jxxh, ft = await as_unit(http, "gd-jxxh"), await as_unit(http, "sz-ft-kx")

        nid = (await ok(await issue(cast, seed000_national()), 201))["notice_id"]
        await eventually(lambda: _in_inbox(gd, nid))
        fid = (await ok(await forward(gd, nid, seed000_forward()), 201))["notice_id"]
        await eventually(lambda: _in_inbox(sz, fid))
        second = await ok(
            await sz.post(
                f"/api/notices/{fid}/forward",
                json={
                    "unit_id": "sz-kx",
                    "recipient_unit_ids": ["sz-ft-kx", "sz-ns-kx"],
                    "cover_note": "请按要求报送。",
                    "deadlines": {"summary": deadline(2020, 6, 5), "media": deadline(2020, 6, 5)},
                },
            ),
            201,
        )
        f2 = second["notice_id"]
        await eventually(lambda: _in_inbox(ft, f2))

        # Each issuer sees the 转发 of its notice: who, 文号, when, to how many.
        [row] = await eventually(lambda: _forwarded_rows(cast, nid, "gd-kx"))
        assert (row["doc_number"], row["recipients"], row["unit_name"]) == (
            "粤科协联〔2020〕9号",
            5,
            "广东省科学技术协会",
        )
        [row] = await eventually(lambda: _forwarded_rows(gd, fid, "sz-kx"))
        assert (row["notice_id"], row["recipients"]) == (f2, 2)

        # 更正 of the original: both levels below are flagged, for their issuers and their recipients.
        await ok(await cast.post(f"/api/notices/{nid}/correct", json=correction_body()))
        await assert_level(gd, jxxh, fid, "corrected", CORRECTION, nid)
        await assert_level(sz, ft, f2, "corrected", CORRECTION, nid)
        await assert_banner(http, "ft-person", "sz-ft-kx", f2, "上级通知已更正")

        # 撤回 of the original: the flag becomes the withdrawal at every level, the 更正 kept in its history.
        await ok(await cast.post(f"/api/notices/{nid}/withdraw", json={"reason": WITHDRAWAL}))
        await assert_level(gd, jxxh, fid, "withdrawn", WITHDRAWAL, nid)
        await assert_level(sz, ft, f2, "withdrawn", WITHDRAWAL, nid)
        detail = await ok(await ft.get(f"/api/notices/{f2}"))
        assert [c["kind"] for c in detail["upstream_changes"]] == ["corrected", "withdrawn"]
        await assert_banner(http, "ns-person", "sz-ns-kx", f2, "上级通知已撤回")

        # One event per forward and change, however often the causes were handled.
        assert await _events(node, "upstream_changed") == 4


async def test_a_forward_made_after_an_upstream_change_carries_it(node):
    """A city forwards after the original was corrected further up: its own recipients are told too."""
    async with running(node, SERVICES, clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        await load_directory(http, DISTRICTS)
        cast, gd, sz = await as_unit(http, "cast"), await as_unit(http, "gd-kx"), await as_unit(http, "sz-kx")
        nid = (await ok(await issue(cast, seed000_national()), 201))["notice_id"]
        await eventually(lambda: _in_inbox(gd, nid))
        fid = (await ok(await forward(gd, nid, seed000_forward()), 201))["notice_id"]
        await ok(await cast.post(f"/api/notices/{nid}/correct", json=correction_body()))
        await eventually(lambda: flag_in_inbox(sz, fid, "corrected"))

        f2 = (
            await ok(
                await sz.post(
                    f"/api/notices/{fid}/forward",
                    json={
                        "unit_id": "sz-kx",
                        "recipient_unit_ids": ["sz-ft-kx"],
                        "deadlines": {"summary": deadline(2020, 6, 5), "media": deadline(2020, 6, 5)},
                    },
                ),
                201,
            )
        )["notice_id"]
        ft = await as_unit(http, "sz-ft-kx")
        assert_change(await eventually(lambda: flag_in_inbox(ft, f2, "corrected")), "corrected", CORRECTION, nid)


# ---------------------------------------------------------------- three nodes: national ↔ province ↔ city


async def link_line(*nodes: Node) -> None:
    """Each node linked to the ones next to it: OUTBOX holds what it addresses to them, EVENTS sources theirs."""
    neighbours = {
        n.node_id: [m.node_id for m in nodes[max(i - 1, 0) : i + 2] if m is not n] for i, n in enumerate(nodes)
    }
    nc = await nats.connect(nodes[0].servers.nats_url)
    js = nc.jetstream()
    try:
        for src, dsts in neighbours.items():
            await js.add_stream(
                _stream_config(subjects.outbox_stream(src), subjects.outbox_stream_subjects(src, dsts), 3600.0)
            )
        for dst, srcs in neighbours.items():
            events = next(c for c in node_stream_configs(dst) if c.name == subjects.events_stream(dst))
            await js.add_stream(
                dataclasses.replace(
                    events,
                    sources=[
                        StreamSource(name=subjects.outbox_stream(src), filter_subject=subjects.from_node_to(src, dst))
                        for src in srcs
                    ],
                )
            )
    finally:
        await nc.close()


async def test_correction_and_withdrawal_flag_every_level_across_nodes_and_issuers_see_remote_forwards(node, servers):
    nat, prov, city = node, Node(servers), Node(servers)
    try:
        await link_line(nat, prov, city)
        clock = FixedClock(SEED000_NOW)

        def settings(*linked: Node) -> dict:  # every recipient its own part: parts merge on every node
            return {"notices": {"recipients_per_event": 1, "linked_nodes": [n.node_id for n in linked]}}

        async with (
            running(nat, SERVICES, clock=clock, overrides=settings(prov)),
            running(prov, SERVICES, clock=clock, overrides=settings(nat, city)),
            running(city, SERVICES, clock=clock, overrides=settings(prov)),
            gateway(nat) as top,
            gateway(prov) as mid,
            gateway(city) as low,
        ):
            at_prov, at_city = {"node_id": prov.node_id}, {"node_id": city.node_id}
            await load_directory(
                top,
                [
                    UpsertUnit(
                        unit_id="cast", name="中国科学技术协会", kind=UnitKind.kexie, departments=["组织人事部"]
                    ),
                    UpsertUnit(
                        unit_id="most",
                        name="中华人民共和国科学技术部",
                        kind=UnitKind.keji,
                        departments=["引进国外智力管理司"],
                    ),
                    UpsertUnit(
                        unit_id="gd-kx", name="广东省科学技术协会", kind=UnitKind.kexie, runs_own_node=True, **at_prov
                    ),
                ],
            )
            await load_directory(
                mid,
                [
                    UpsertUnit(
                        unit_id="gd-kx",
                        name="广东省科学技术协会",
                        kind=UnitKind.kexie,
                        doc_number_template="粤科协联〔{year}〕{seq}号",
                        departments=["组织联络部"],
                    ),
                    UpsertUnit(
                        unit_id="sz-kx",
                        name="深圳市科学技术协会",
                        kind=UnitKind.kexie,
                        parent_id="gd-kx",
                        runs_own_node=True,
                        **at_city,
                    ),
                    UpsertUnit(unit_id="gd-jxxh", name="广东省机械工程学会", kind=UnitKind.society, parent_id="gd-kx"),
                ],
            )
            await load_directory(
                low,
                [
                    UpsertUnit(unit_id="sz-kx", name="深圳市科学技术协会", kind=UnitKind.kexie, departments=["办公室"]),
                    *DISTRICTS,
                ],
            )
            cast = await as_unit(top, "cast")
            gd, jxxh = await as_unit(mid, "gd-kx"), await as_unit(mid, "gd-jxxh")
            sz, ft = await as_unit(low, "sz-kx"), await as_unit(low, "sz-ft-kx")

            # The chain: issued at the top, forwarded by the province (to the city and a society of its own),
            # forwarded again by the city to its districts.
            r = await issue(cast, seed000_national(["gd-kx"]))
            nid = (await ok(r, 201))["notice_id"]
            await eventually(lambda: _in_inbox(gd, nid))
            fid = (
                await ok(
                    await gd.post(
                        f"/api/notices/{nid}/forward",
                        json={
                            "unit_id": "gd-kx",
                            "recipient_unit_ids": ["sz-kx", "gd-jxxh"],
                            "doc_number": "粤科协联〔2020〕9号",
                            "deadlines": {"summary": deadline(2020, 6, 10), "media": deadline(2020, 6, 10)},
                        },
                    ),
                    201,
                )
            )["notice_id"]
            await eventually(lambda: _in_inbox(sz, fid))
            f2 = (
                await ok(
                    await sz.post(
                        f"/api/notices/{fid}/forward",
                        json={
                            "unit_id": "sz-kx",
                            "recipient_unit_ids": ["sz-ft-kx", "sz-ns-kx"],
                            "deadlines": {"summary": deadline(2020, 6, 5), "media": deadline(2020, 6, 5)},
                        },
                    ),
                    201,
                )
            )["notice_id"]
            await eventually(lambda: _in_inbox(ft, f2))

            # The issuers learn of the forwards made on the nodes below: tracking (已转发) and 下级转发.
            [row] = await eventually(lambda: _forwarded_rows(cast, nid, "gd-kx"))
            assert (row["notice_id"], row["doc_number"], row["recipients"]) == (fid, "粤科协联〔2020〕9号", 2)
            assert row["node_id"] == prov.node_id and row["issued_at"].startswith("2020-05-06")
            original = await ok(await cast.get(f"/api/notices/{nid}"))
            assert original["forwards"][fid]["unit_name"] == "广东省科学技术协会"
            [row] = await eventually(lambda: _forwarded_rows(gd, fid, "sz-kx"))
            assert (row["notice_id"], row["recipients"], row["node_id"]) == (f2, 2, city.node_id)
            await create_user(top, "cast-person", "cast", "issuer")
            page = (await (await login(top, "cast-person")).get(f"/notices/{nid}", headers=HTML)).text
            assert "已转发" in page and "下级转发" in page and "粤科协联〔2020〕9号" in page and "2个单位" in page

            # 更正 at the top: the province's 转发 and the city's 转发 of it are flagged, on every node.
            await ok(await cast.post(f"/api/notices/{nid}/correct", json=correction_body()))
            await assert_level(gd, jxxh, fid, "corrected", CORRECTION, nid)
            assert_change(await eventually(lambda: flag_in_inbox(sz, fid, "corrected")), "corrected", CORRECTION, nid)
            await assert_level(sz, ft, f2, "corrected", CORRECTION, nid)
            await assert_banner(low, "ft-person", "sz-ft-kx", f2, "上级通知已更正")

            # 撤回 at the top: the same, with the withdrawal.
            await ok(await cast.post(f"/api/notices/{nid}/withdraw", json={"reason": WITHDRAWAL}))
            await assert_level(gd, jxxh, fid, "withdrawn", WITHDRAWAL, nid)
            assert_change(await eventually(lambda: flag_in_inbox(sz, fid, "withdrawn")), "withdrawn", WITHDRAWAL, nid)
            await assert_level(sz, ft, f2, "withdrawn", WITHDRAWAL, nid)
            await assert_banner(low, "ns-person", "sz-ns-kx", f2, "上级通知已撤回")
    finally:
        await prov.cleanup()
        await city.cleanup()


# ---------------------------------------------------------------- helpers


async def _in_inbox(client, notice_id: str) -> bool:
    return any(e["notice_id"] == notice_id for e in (await client.get("/api/inbox")).json()["items"])


async def _forwarded_rows(issuer, notice_id: str, unit_id: str):
    t = (await issuer.get(f"/api/notices/{notice_id}/tracking")).json()
    row = next((r for r in t.get("page", {}).get("items", []) if r["unit_id"] == unit_id), None)
    return (row or {}).get("forwarded")


async def _events(node, name: str) -> int:
    """How many events of a type this node published locally (subject evt.notice.N.N.<name>)."""
    nc = await nats.connect(node.servers.nats_url)
    try:
        stream = subjects.events_stream(node.node_id)
        info = await nc.jetstream().stream_info(stream, subjects_filter=subjects.event(f"notice.{name}", node.node_id))
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()
