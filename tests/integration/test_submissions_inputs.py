"""Bad submissions and reviews are refused with the field and the reason, and nothing is stored.

The ask is seed 002's 特色亮点活动筹备方案: 1–2 items, each ≤500字, the five
modules to tick, a contact, and the stamped PDF/Word file.
"""

import json

import nats
import pytest

from shared import subjects
from shared.clock import FixedClock
from shared.ids import submission_id

from ..fixtures import FIVE_MODULES, SEED002_NOW, as_unit, deadline, load_directory
from ..harness import as_role, eventually, gateway, running
from .test_slice import db, stream_count

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

PLAN_ASK = {
    "ask_id": "plan",
    "kind": "plan",
    "title": "特色亮点活动筹备方案",
    "min_items": 1,
    "max_items": 2,
    "note": "择优精选1-2项，盖章PDF版和word版；原则上每项活动500字以内，一项一表",
    "deadline": deadline(2020, 4, 22),
    "fields": [
        {"key": "activity", "label": "主题活动名称", "type": "text", "max_chars": 100},
        {"key": "modules", "label": "主题活动模块", "type": "multi_choice", "options": FIVE_MODULES},
        {"key": "contact", "label": "联系人", "type": "contact"},
        {"key": "plan", "label": "工作方案", "type": "text", "max_chars": 500},
        {"key": "stamped", "label": "盖章PDF版和word版", "type": "file", "accept": ["pdf", "doc", "docx"]},
    ],
}


def notice() -> dict:
    return {
        "title": "中国科协办公厅关于印发《2020年“全国科技工作者日”活动实施方案》的通知",
        "issuer_unit_ids": ["cast-bgt"],
        "recipient_unit_ids": ["gd-kx", "cmes", "thu-kx"],
        "asks": [PLAN_ASK],
    }


def plan_item(stamped: list[dict], **over) -> dict:
    return {
        "activity": "科技工作者之家开放日",
        "modules": ["建家办事"],
        "contact": {"name": "雷晶", "office_phone": "020-83551764"},
        "plan": "5月30日在省科技工作者之家举办开放日活动。",
        "stamped": stamped,
        **over,
    }


class Stored:
    """What the submissions service holds for one submission, and how many events the node has."""

    def __init__(self, node, sid: str) -> None:
        self.node, self.sid = node, sid

    async def snapshot(self) -> dict:
        client, d = await db(self.node, "submissions")
        try:
            doc = await d["expected"].find_one({"_id": self.sid}, {"_outbox": 0})
            return {
                "doc": doc,
                "revisions": await d["revisions"].count_documents({}),
                "events": await stream_count(self.node, subjects.events_stream(self.node.node_id)),
            }
        finally:
            await client.close()


async def setup(http):
    await load_directory(http)
    bgt = await as_unit(http, "cast-bgt")
    r = await bgt.post("/api/notices", json=notice())
    assert r.status_code == 201, r.text
    nid = r.json()["notice_id"]
    gd = await as_role(http, "gd-kx", "submitter")

    async def scheduled():
        return any(s["notice_id"] == nid for s in (await gd.get("/api/submissions")).json()["items"])

    await eventually(scheduled)
    r = await gd.post("/api/submission-files", files={"file": ("方案.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return nid, gd, r.json()


def loc(response) -> tuple[list[str], str]:
    detail = response.json()["detail"][0]
    return detail["loc"], detail["type"]


BAD_ITEMS = [
    (lambda f: [], ["body", "items"], "item_count"),
    (lambda f: [plan_item(f)] * 3, ["body", "items"], "item_count"),
    (lambda f: [plan_item(f, plan="字" * 501)], ["body", "items", "0", "plan"], "too_long"),
    (lambda f: [plan_item(f, modules=["文艺演出"])], ["body", "items", "0", "modules"], "not_an_option"),
    (lambda f: [plan_item(f, activity=" ")], ["body", "items", "0", "activity"], "required"),
    (lambda f: [plan_item(f, budget=1000)], ["body", "items", "0", "budget"], "unknown_field"),
    (lambda f: [plan_item(f, contact={"name": "雷晶"})], ["body", "items", "0", "contact"], "bad_contact"),
    (lambda f: [plan_item([{**f, "filename": "方案.exe"}])], ["body", "items", "0", "stamped", "0"], "file_type"),
    (lambda f: [plan_item([{**f, "sha256": "1" * 64}])], ["body", "items", "0", "stamped", "0"], "unknown_attachment"),
]


async def test_bad_items_are_refused_naming_the_field_and_nothing_is_stored(node):
    async with running(node, clock=FixedClock(SEED002_NOW)), gateway(node) as http:
        nid, gd, pdf = await setup(http)
        store = Stored(node, submission_id(nid, "plan", "gd-kx"))
        before = await store.snapshot()
        url = f"/api/notices/{nid}/asks/plan/submission"
        for build, where, code in BAD_ITEMS:
            r = await gd.post(url, json={"items": build(pdf)})
            assert r.status_code == 422, (code, r.text)
            assert loc(r) == (where, code), r.text
        # Not owed, unknown ask or notice, wrong role: refused too.
        cmes_issuer = await as_role(http, "cmes", "issuer")
        assert (await cmes_issuer.post(url, json={"items": [plan_item([pdf])]})).status_code == 403
        outsider = await as_role(http, "sz-kx", "submitter")  # not a recipient
        assert loc(await outsider.post(url, json={"items": [plan_item([pdf])]})) == (["body", "ask_id"], "not_owed")
        assert loc(await gd.post(f"/api/notices/{nid}/asks/ghost/submission", json={"items": [{}]})) == (
            ["body", "ask_id"],
            "unknown_ask",
        )
        assert (await gd.post("/api/notices/nope/asks/plan/submission", json={"items": [{}]})).status_code == 404
        assert (await gd.post(url, json={"items": "x"})).status_code == 422
        assert await store.snapshot() == before

        # The good one is stored, and its file can be read by the unit and by its reviewer only.
        r = await gd.post(url, json={"items": [plan_item([pdf])]})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        files = f"/api/submissions/{sid}/files/{pdf['attachment_id']}"
        assert (await gd.get(files)).content == PDF
        reviewer = await as_role(http, "cast-bgt", "reviewer")
        assert (await reviewer.get(files)).content == PDF
        assert (await outsider.get(files)).status_code == 404
        assert (await outsider.get(f"/api/submissions/{sid}")).status_code == 404
        assert (await gd.get(f"/api/submissions/{sid}/files/ghost")).status_code == 404


async def test_bad_reviews_compiles_and_chases_are_refused_and_change_nothing(node):
    async with running(node, clock=FixedClock(SEED002_NOW)), gateway(node) as http:
        nid, gd, pdf = await setup(http)
        r = await gd.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": [plan_item([pdf])]})
        sid = r.json()["id"]
        store = Stored(node, sid)
        reviewer = await as_role(http, "cast-bgt", "reviewer")
        await eventually(lambda: _in_queue(reviewer, sid))
        before = await store.snapshot()

        refused = [
            (reviewer.post(f"/api/submissions/{sid}/return", json={"revision": 1}), 422, ["body", "reason"]),
            (
                reviewer.post(f"/api/submissions/{sid}/return", json={"revision": 1, "reason": ""}),
                422,
                ["body", "reason"],
            ),
            (reviewer.post(f"/api/submissions/{sid}/accept", json={"revision": 2}), 409, ["body", "revision"]),
            (reviewer.post(f"/api/submissions/{sid}/accept", json={"revision": 0}), 422, ["body", "revision"]),
            # Not routed to them: the submitting unit itself, another reviewer, a submitter.
            (
                (await as_role(http, "gd-kx", "reviewer")).post(f"/api/submissions/{sid}/accept", json={"revision": 1}),
                404,
                ["body", "submission_id"],
            ),
            (gd.post(f"/api/submissions/{sid}/accept", json={"revision": 1}), 403, None),
            # 汇总 of a notice that was not forwarded from another; 催办 by a unit that did not issue it.
            (
                reviewer.post(f"/api/notices/{nid}/asks/plan/compile", json={"submission_ids": [sid]}),
                422,
                ["body", "notice_id"],
            ),
            ((await as_role(http, "gd-kx", "issuer")).post(f"/api/notices/{nid}/chase", json={}), 403, None),
            (
                (await as_unit(http, "cast-bgt")).post(f"/api/notices/{nid}/chase", json={"ask_id": "ghost"}),
                422,
                ["body", "ask_id"],
            ),
        ]
        for call, status, where in refused:
            r = await call
            assert r.status_code == status, r.text
            if where:
                assert r.json()["detail"][0]["loc"] == where, r.text
        assert await store.snapshot() == before

        # Accepted once; a second decision is a conflict, and so is a new submission.
        assert (await reviewer.post(f"/api/submissions/{sid}/accept", json={"revision": 1})).status_code == 200
        assert (
            await reviewer.post(f"/api/submissions/{sid}/return", json={"revision": 1, "reason": "x"})
        ).status_code == 409
        again = await gd.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": [plan_item([pdf])]})
        assert loc(again) == (["body", "ask_id"], "already_accepted")


async def _in_queue(reviewer, sid):
    return any(r["id"] == sid for r in (await reviewer.get("/api/review")).json()["items"])


async def test_a_withdrawn_notice_takes_no_submissions(node):
    async with running(node, clock=FixedClock(SEED002_NOW)), gateway(node) as http:
        nid, gd, pdf = await setup(http)
        bgt = await as_unit(http, "cast-bgt")
        assert (await bgt.post(f"/api/notices/{nid}/withdraw", json={"reason": "方案调整"})).status_code == 200

        async def refused():
            r = await gd.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": [plan_item([pdf])]})
            return r if r.status_code == 409 else None

        assert loc(await eventually(refused)) == (["body", "notice_id"], "withdrawn")


@pytest.mark.parametrize("older_first", [False, True])
async def test_redelivered_or_late_events_change_nothing(node, older_first):
    """The same plan.submitted twice, or a revision's events after a newer one: the newest state stays."""
    async with running(node, clock=FixedClock(SEED002_NOW)), gateway(node) as http:
        nid, gd, pdf = await setup(http)
        url = f"/api/notices/{nid}/asks/plan/submission"
        first = (await gd.post(url, json={"items": [plan_item([pdf], activity="第一版")]})).json()
        reviewer = await as_role(http, "cast-bgt", "reviewer")
        await eventually(lambda: _in_queue(reviewer, first["id"]))
        await reviewer.post(f"/api/submissions/{first['id']}/return", json={"revision": 1, "reason": "请修改"})
        await gd.post(url, json={"items": [plan_item([pdf], activity="第二版")]})
        assert (await reviewer.post(f"/api/submissions/{first['id']}/accept", json={"revision": 2})).status_code == 200
        store = Stored(node, first["id"])
        before = await store.snapshot()

        # Publish every event of this submission again, under new message ids so JetStream lets them through.
        nc = await nats.connect(node.servers.nats_url)
        try:
            js = nc.jetstream()
            stream = subjects.events_stream(node.node_id)
            info = await js.stream_info(stream)
            events = []
            for seq in range(1, info.state.last_seq + 1):
                msg = await js.get_msg(stream, seq)
                body = json.loads(msg.data)
                if body.get("submission_id") == first["id"]:
                    events.append((msg.subject, msg.data))
            assert len(events) == 4  # submitted, returned, submitted, accepted
            for i, (subject, data) in enumerate(reversed(events) if older_first else events):
                await js.publish(subject, data, headers={"Nats-Msg-Id": f"replay-{i}"})
        finally:
            await nc.close()

        async def settled():
            now = await store.snapshot()
            return now if now["events"] == before["events"] + 4 else None

        await eventually(settled)
        await eventually(lambda: _consumed(node))
        after = await store.snapshot()
        assert after["doc"] == before["doc"] and after["revisions"] == before["revisions"]
        assert after["doc"]["status"] == "accepted" and after["doc"]["revision"] == 2
        c = (await (await as_role(http, "cast-bgt", "issuer")).get(f"/api/notices/{nid}/completeness")).json()
        row = next(u for u in c["asks"][0]["units"] if u["unit_id"] == "gd-kx")
        assert (row["status"], row["revision"]) == ("accepted", 2)


async def _consumed(node) -> bool:
    """Every durable consumer of the node has acked everything in the stream."""
    nc = await nats.connect(node.servers.nats_url)
    try:
        js = nc.jetstream()
        stream = subjects.events_stream(node.node_id)
        return all(not (c.num_pending or c.num_ack_pending) for c in await js.consumers_info(stream))
    finally:
        await nc.close()


async def test_a_submission_interrupted_after_its_revision_was_written_completes_at_restart(node):
    """The process died between writing revision 2 (with its event) and moving the submission: nothing is lost."""
    from datetime import timedelta

    from shared import outbox
    from shared.events import PlanSubmitted
    from shared.schemas import AskKind

    clock = FixedClock(SEED002_NOW)
    async with running(node, clock=clock), gateway(node) as http:
        nid, gd, pdf = await setup(http)
        first = (await gd.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": [plan_item([pdf])]})).json()
    sid = first["id"]
    client, d = await db(node, "submissions")
    try:
        doc = await d["expected"].find_one({"_id": sid})
        at = SEED002_NOW + timedelta(hours=1)
        fact = PlanSubmitted(
            occurred_at=at,
            origin_node=node.node_id,
            submission_id=sid,
            notice_id=nid,
            ask_id="plan",
            kind=AskKind.plan,
            unit_id="gd-kx",
            unit_name=doc["unit_name"],
            unit_node=node.node_id,
            issuer_node=node.node_id,
            to_unit_id=doc["to_unit_id"],
            revision=2,
            items=[plan_item([pdf], activity="第二版")],
            submitted_by="雷晶",
            submitted_at=at,
        )
        await d["revisions"].insert_one(
            {
                "_id": f"{sid}:2",
                "submission_id": sid,
                "revision": 2,
                "items": fact.items,
                "submitted_at": at,
                "submitted_by": "雷晶",
                outbox.FIELD: outbox.entries((fact, None)),
            }
        )
    finally:
        await client.close()

    async with running(node, clock=clock), gateway(node) as http:
        gd = await as_role(http, "gd-kx", "submitter")

        async def moved():
            s = (await gd.get(f"/api/submissions/{sid}")).json()
            return s if s["revision"] == 2 else None

        s = await eventually(moved)
        assert s["status"] == "submitted" and s["revisions"][-1]["items"][0]["activity"] == "第二版"
