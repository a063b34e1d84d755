"""Notices across two nodes on one nats-server: per-node copies, recipients in parts, remote 签收, 转发 below.

The links are made here the way federation makes them (each node's OUTBOX
captures what it addresses to the other; the other's EVENTS sources it),
without leafnodes: this tests the notices' side of the contract.
"""

import dataclasses

import nats
from nats.js.api import StreamSource

from shared import subjects
from shared.bus import _stream_config, node_stream_configs
from shared.clock import FixedClock
from shared.contracts.notices import UpsertUnit
from shared.schemas import UnitKind

from ..fixtures import SEED000_NOW, as_unit, deadline, load_directory, seed000_national
from ..harness import TestNode as Node
from ..harness import eventually, gateway, issue, running


async def link(a: Node, b: Node) -> None:
    nc = await nats.connect(a.servers.nats_url)
    js = nc.jetstream()
    try:
        for src, dst in ((a.node_id, b.node_id), (b.node_id, a.node_id)):
            await js.add_stream(
                _stream_config(subjects.outbox_stream(src), subjects.outbox_stream_subjects(src, [dst]), 3600.0)
            )
        for src, dst in ((a.node_id, b.node_id), (b.node_id, a.node_id)):
            events = next(c for c in node_stream_configs(dst) if c.name == subjects.events_stream(dst))
            await js.add_stream(
                dataclasses.replace(
                    events,
                    sources=[
                        StreamSource(name=subjects.outbox_stream(src), filter_subject=subjects.from_node_to(src, dst))
                    ],
                )
            )
    finally:
        await nc.close()


async def test_remote_recipients_get_their_copy_acknowledge_upward_and_forward_below(node, servers):
    city = Node(servers)
    try:
        await link(node, city)
        clock = FixedClock(SEED000_NOW)

        def settings(other: Node) -> dict:  # every recipient its own part; copies may go to the linked node
            return {"notices": {"recipients_per_event": 1, "linked_nodes": [other.node_id]}}

        async with (
            running(node, clock=clock, overrides=settings(city)),
            running(city, clock=clock, overrides=settings(node)),
            gateway(node) as top,
            gateway(city) as below,
        ):
            # The top knows two units hosted on the city's node; the city knows them and its own districts.
            remote = {"node_id": city.node_id}
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
                        unit_id="gd-kx", name="广东省科学技术协会", kind=UnitKind.kexie, runs_own_node=True, **remote
                    ),
                    UpsertUnit(unit_id="gd-kjt", name="广东省科学技术厅", kind=UnitKind.keji, **remote),
                    UpsertUnit(unit_id="cmes", name="中国机械工程学会", kind=UnitKind.society),
                ],
            )
            await load_directory(
                below,
                [
                    UpsertUnit(
                        unit_id="gd-kx",
                        name="广东省科学技术协会",
                        kind=UnitKind.kexie,
                        doc_number_template="粤科协联〔{year}〕{seq}号",
                        departments=["组织联络部"],
                    ),
                    UpsertUnit(unit_id="gd-kjt", name="广东省科学技术厅", kind=UnitKind.keji),
                    UpsertUnit(unit_id="sz-kx", name="深圳市科学技术协会", kind=UnitKind.kexie, parent_id="gd-kx"),
                    UpsertUnit(unit_id="gz-kx", name="广州市科学技术协会", kind=UnitKind.kexie, parent_id="gd-kx"),
                ],
            )
            cast, cmes = await as_unit(top, "cast"), await as_unit(top, "cmes")
            gd, gd_kjt, gz = (
                await as_unit(below, "gd-kx"),
                await as_unit(below, "gd-kjt"),
                await as_unit(below, "gz-kx"),
            )
            r = await issue(cast, seed000_national(["gd-kx", "gd-kjt", "cmes"]))
            assert r.status_code == 201, r.text
            nid = r.json()["notice_id"]

            # Below: both hosted recipients in the inbox; the copy joined from its two parts names only them.
            await eventually(lambda: _inbox(gd_kjt, nid))
            copy = await eventually(lambda: _notice_with_recipients(gd, nid, 2))
            assert copy["origin"] == "received" and copy["doc_number"] == "科协发组字〔2020〕7号"
            assert {r["unit_id"] for r in copy["recipients"]} == {"gd-kx", "gd-kjt"}
            # …and the local recipient at the top has its entry there, not below.
            assert await eventually(lambda: _inbox(cmes, nid))  # filled by the top's own consumer, in its time
            assert (await (await as_unit(below, "cmes")).get("/api/inbox")).json()["items"] == []

            # 签收 below reaches the issuer's tracking at the top.
            assert (await gd.post(f"/api/inbox/{nid}/acknowledge")).status_code == 200
            t = await eventually(lambda: _tracking(cast, nid, 1))
            [row] = [r for r in t["page"]["items"] if r["acknowledged_at"]]
            assert row["unit_id"] == "gd-kx" and row["node_id"] == city.node_id
            # Tracking is the issuer's: the copy below has none.
            assert (await gd.get(f"/api/notices/{nid}/tracking")).status_code == 403

            # 转发 below, to its own units, with an earlier deadline and the original attached.
            r = await gd.post(
                f"/api/notices/{nid}/forward",
                json={
                    "unit_id": "gd-kx",
                    "recipient_unit_ids": ["sz-kx", "gz-kx"],
                    "cover_note": "现将通知转发给你们。",
                    "deadlines": {"summary": deadline(2020, 6, 10)},
                },
            )
            assert r.status_code == 201, r.text
            fid = r.json()["notice_id"]
            assert r.json()["doc_number"] == "粤科协联〔2020〕1号"
            await eventually(lambda: _inbox(gz, fid))
            forwarded = (await gz.get(f"/api/notices/{fid}")).json()
            assert forwarded["chain"][0]["notice_id"] == nid and forwarded["chain"][0]["node_id"] == node.node_id
            original = next(a for a in forwarded["attachments"] if a["original_of"] == nid)
            r = await gz.get(f"/api/notices/{fid}/attachments/{original['attachment_id']}")
            assert r.status_code == 200 and "科协发组字〔2020〕7号" in r.text

            # 撤回 at the top: the copy below is withdrawn and the forward made from it flagged.
            assert (await cast.post(f"/api/notices/{nid}/withdraw", json={"reason": "另行通知"})).status_code == 200
            entry = await eventually(lambda: _inbox_status(gd_kjt, nid, "withdrawn"))
            assert entry["change"]["reason"] == "另行通知"
            flagged = await eventually(lambda: _flagged(gd, fid))
            assert flagged["upstream_change"]["kind"] == "withdrawn"
            assert (await gd.get(f"/api/notices/{nid}")).json()["status"] == "withdrawn"

            # Scope below too: sz-kx got the forward, not the original.
            sz = await as_unit(below, "sz-kx")
            assert (await sz.get(f"/api/notices/{fid}")).json()["viewer"]["inbox"]
            assert (await sz.get(f"/api/notices/{nid}")).status_code == 404
    finally:
        await city.cleanup()


async def _inbox(me, notice_id):
    return next((e for e in (await me.get("/api/inbox")).json()["items"] if e["notice_id"] == notice_id), None)


async def _inbox_status(me, notice_id, status):
    e = await _inbox(me, notice_id)
    return e if e and e["status"] == status else None


async def _notice_with_recipients(http, notice_id, n):
    r = await http.get(f"/api/notices/{notice_id}")
    return r.json() if r.status_code == 200 and len(r.json()["recipients"]) == n else None


async def _tracking(http, notice_id, acknowledged):
    t = (await http.get(f"/api/notices/{notice_id}/tracking")).json()
    return t if t.get("acknowledged") == acknowledged else None


async def _flagged(http, notice_id):
    f = (await http.get(f"/api/notices/{notice_id}")).json()
    return f if f.get("upstream_change") else None
