"""The first vertical slice on one node: HTTP → notices → notice.issued → notifications + reports."""

import json
from typing import Any

import nats
import pytest
from pymongo import AsyncMongoClient

from shared import subjects
from shared.events import NoticeIssued, parse_event

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, eventually, gateway, issue, running


async def load_directory(http) -> None:
    """The directory, entered by the node's admin (``http``: the anonymous client of the gateway)."""
    admin = await as_role(http, "gd-kx", "admin")
    for unit in GD_UNITS:
        r = await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))
        assert r.status_code == 200, r.text


async def issuer(http):
    """The issuer of 广东省科协, which leads the joint issue of seed 000."""
    return await as_role(http, "gd-kx", "issuer")


async def stream_count(node, stream: str) -> int:
    nc = await nats.connect(node.servers.nats_url)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


async def db(node, service: str):
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    return client, client[f"{node.node_id}_{service}"]


async def test_issued_notice_reaches_status_deliveries_inbox_and_schedule(node):
    async with running(node), gateway(node) as http:
        await load_directory(http)
        gd, sz_kx = await issuer(http), await as_role(http, "sz-kx", "submitter")
        http = gd  # reads below are the issuer's
        r = await issue(gd, seed000_notice())
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["doc_number"].startswith("粤科协联〔")
        nid = created["notice_id"]

        async def status_ready():
            s = await http.get(f"/api/notices/{nid}/status")
            return s.json() if s.status_code == 200 else None

        status = await eventually(status_ready)
        assert status["total"] == 4 and status["acknowledged"] == 0
        assert {row["unit_id"] for row in status["recipients"]} == {"sz-kx", "sz-kjj", "gd-jxxh", "scut-kx"}

        async def deliveries():
            return (await http.get(f"/api/notices/{nid}/deliveries")).json()["items"]

        # sz-kx has e-mail and mobile, sz-kjj mobile only, gd-jxxh e-mail only, scut-kx no contact.
        rows = await eventually(lambda: _len_at_least(deliveries, 4))
        assert sorted((d["unit_id"], d["channel"]) for d in rows) == [
            ("gd-jxxh", "email"),
            ("sz-kjj", "sms"),
            ("sz-kx", "email"),
            ("sz-kx", "sms"),
        ]

        sz_kjj = await as_role(http, "sz-kjj", "submitter")
        inbox = await eventually(lambda: _items(sz_kjj, "/api/units/sz-kjj/inbox"))
        assert inbox[0]["notice_id"] == nid

        # Routing from seed 000: the city 科技局 reports to the 科技厅's 引进智力管理处.
        expected = await eventually(lambda: _len_at_least(lambda: _get_json(http, f"/api/notices/{nid}/expected"), 4))
        route = {e["unit_id"]: (e["to_unit_id"], e["department"]) for e in expected}
        assert route["sz-kjj"] == ("gd-kjt", "引进智力管理处")
        assert route["sz-kx"] == ("gd-kx", "组织联络部")

        # 签收 shows up in the issuer's status read model.
        ack = await sz_kx.post(f"/api/units/sz-kx/inbox/{nid}/acknowledge")
        assert ack.status_code == 200, ack.text

        async def acknowledged():
            s = (await http.get(f"/api/notices/{nid}/status")).json()
            return s if s["acknowledged"] == 1 else None

        s = await eventually(acknowledged)
        row = next(r for r in s["recipients"] if r["unit_id"] == "sz-kx")
        assert row["acknowledged_at"] is not None

        again = await sz_kx.post(f"/api/units/sz-kx/inbox/{nid}/acknowledge")
        assert again.status_code == 409


async def test_doc_numbers_follow_the_issuer_sequence(node):
    async with running(node, ["notices"]), gateway(node) as anonymous:
        await load_directory(anonymous)
        http = await issuer(anonymous)
        numbers = []
        for _ in range(3):
            r = await issue(http, seed000_notice(["sz-kx"]))
            assert r.status_code == 201, r.text
            numbers.append(r.json()["doc_number"])
        seqs = [int(n.split("〕")[1].rstrip("号")) for n in numbers]
        assert seqs == [1, 2, 3]

        # A failed issue consumes no number.
        bad = seed000_notice(["nobody"])
        assert (await issue(http, bad)).status_code == 422
        r = await issue(http, seed000_notice(["sz-kx"]))
        assert r.json()["doc_number"].endswith("〕4号")

        # A manual number that is taken is refused.
        dup = {**seed000_notice(["sz-kx"]), "doc_number": numbers[0]}
        r = await issue(http, dup)
        assert r.status_code == 409
        assert r.json()["detail"][0]["loc"] == ["body", "doc_number"]


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"recipient_unit_ids": ["sz-kx", "ghost-unit"]}, ["body", "recipient_unit_ids", "1"]),
        ({"title": ""}, ["body", "title"]),
        ({"issuer_unit_ids": []}, ["body", "issuer_unit_ids"]),
        (
            {"asks": [{**seed000_notice()["asks"][0], "deadline": "2020-06-10T23:59:59+08:00"}]},
            ["body", "asks", "0", "deadline"],
        ),
        (
            {"asks": [{**seed000_notice()["asks"][0], "deadline": "2027-06-10T23:59:59"}]},
            ["body", "asks", 0, "deadline"],
        ),
        ({"recipient_unit_ids": ["Bad Id!"]}, ["body", "recipient_unit_ids", 0]),
    ],
)
async def test_invalid_notice_is_refused_and_nothing_is_stored_or_published(node, patch, field):
    async with running(node, ["notices"]), gateway(node) as anonymous:
        await load_directory(anonymous)
        http = await issuer(anonymous)
        before = await stream_count(node, subjects.events_stream(node.node_id))
        r = await issue(http, {**seed000_notice(), **patch})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"][0]
        assert detail["loc"] == field
        assert detail["msg"]
        client, notices_db = await db(node, "notices")
        try:
            assert await notices_db["notices"].count_documents({}) == 0
        finally:
            await client.close()
        assert await stream_count(node, subjects.events_stream(node.node_id)) == before


async def test_same_event_delivered_twice_changes_nothing(node):
    async with running(node), gateway(node) as anonymous:
        await load_directory(anonymous)
        http, sz_kx = await issuer(anonymous), await as_role(anonymous, "sz-kx", "submitter")
        nid = (await issue(http, seed000_notice())).json()["notice_id"]
        await eventually(lambda: _len_at_least(lambda: _items(http, f"/api/notices/{nid}/deliveries"), 4))
        await eventually(lambda: _len_at_least(lambda: _get_json(http, f"/api/notices/{nid}/expected"), 4))

        # Take the stored event and publish it again *without* Nats-Msg-Id, so
        # JetStream's dedup cannot help: only the consumers' idempotency can.
        nc = await nats.connect(node.servers.nats_url)
        js = nc.jetstream()
        original = await js.get_last_msg(
            subjects.events_stream(node.node_id), subjects.event("notice.issued", node.node_id)
        )
        event = parse_event(original.data)
        assert isinstance(event, NoticeIssued)
        status_before = (await http.get(f"/api/notices/{nid}/status")).json()
        for _ in range(2):
            await js.publish(original.subject, original.data)
        seq_marker = await js.publish(original.subject, original.data)
        await nc.close()

        # Wait until every consumer has passed the last republished message.
        await _consumers_caught_up(node, seq_marker.seq)
        assert len(await _items(http, f"/api/notices/{nid}/deliveries")) == 4
        summary = await _get_json(http, f"/api/notices/{nid}/deliveries/summary")
        assert summary["total"] == 4  # the counts kept as the sending goes did not count the copies either
        assert len(await _get_json(http, f"/api/notices/{nid}/expected")) == 4
        assert len(await _items(sz_kx, "/api/units/sz-kx/inbox")) == 1
        assert (await http.get(f"/api/notices/{nid}/status")).json() == status_before


async def test_unparseable_message_is_dead_lettered_and_consumer_keeps_running(node):
    async with running(node, ["reports", "notices"]), gateway(node) as anonymous:
        await load_directory(anonymous)
        http = await issuer(anonymous)
        nc = await nats.connect(node.servers.nats_url)
        js = nc.jetstream()
        subject = subjects.event("notice.issued", node.node_id)
        await js.publish(subject, b"this is not json")
        await js.publish(subject, json.dumps({"type": "notice.issued", "version": 99}).encode())

        async def dead_letters():
            info = await js.stream_info(subjects.deadletter_stream(node.node_id))
            return info.state.messages >= 6 or None  # 2 bad messages × 3 consumers (reports, notices × 2)

        await eventually(dead_letters)
        sub = await js.pull_subscribe("dlq.>", stream=subjects.deadletter_stream(node.node_id))
        msgs = await sub.fetch(6, timeout=5)
        bodies = {m.data for m in msgs}
        assert b"this is not json" in bodies
        for m in msgs:
            assert m.headers["Cascade-Subject"] == subject
            assert m.headers["Cascade-Error"]
        assert {m.headers["Cascade-Consumer"] for m in msgs} == {
            subjects.durable(node.node_id, "reports", "status_issued"),
            subjects.durable(node.node_id, "notices", "inbox_issued"),
            subjects.durable(node.node_id, "notices", "tracking_issued"),
        }
        await nc.close()

        # The consumers are still running: a good notice goes through.
        nid = (await issue(http, seed000_notice())).json()["notice_id"]
        status = await eventually(lambda: _ok_json(http, f"/api/notices/{nid}/status"))
        assert status["total"] == 4


# ---------------------------------------------------------------- helpers


async def _get_json(http, url):
    r = await http.get(url)
    assert r.status_code == 200, r.text
    return r.json()


async def _items(http, url):
    return (await _get_json(http, url))["items"]


async def _ok_json(http, url):
    r = await http.get(url)
    return r.json() if r.status_code == 200 else None


async def _len_at_least(fetch, n):
    rows = await fetch()
    return rows if len(rows) >= n else None


async def _consumers_caught_up(node, seq: int) -> None:
    nc = await nats.connect(node.servers.nats_url)
    js = nc.jetstream()
    stream = subjects.events_stream(node.node_id)

    async def caught_up():
        consumers = await js.consumers_info(stream)
        return (
            all(
                c.delivered.stream_seq >= seq and c.num_ack_pending == 0
                for c in consumers
                if c.config.filter_subject == subjects.incoming("notice.issued", node.node_id)
            )
            or None
        )

    try:
        await eventually(caught_up)
    finally:
        await nc.close()
