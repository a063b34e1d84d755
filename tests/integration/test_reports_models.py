"""The reports read models against the real store: events in any order, repeated, concurrent; small documents;
the 办理情况统计 a page at a time; data of the old shape migrated once.

Most tests call the service's handlers (services/reports/handlers.py) directly on the node's reports
database, so the order and concurrency of events is the test's to choose.
"""

import asyncio
import csv
import io
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import bson
import pytest
from pymongo import AsyncMongoClient

from services.reports import domain, repository
from services.reports.handlers import Reports
from services.reports.migration import ROW_PARTS_BUILT, ROW_SUMS_KEPT, SPLIT_STATUS, split_notice_status
from services.reports.repository import (
    HEADERS,
    INDEXES,
    OLD_ROW_PARTS,
    ROUNDS,
    ROW_PARTS,
    ROWS,
    UNITS,
    ReportsRepository,
    part_id,
)
from shared.contracts.common import NoticeQuery
from shared.contracts.reports import CompletenessQuery, StatisticsQuery
from shared.events import (
    DeadlineApproaching,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeIssued,
    NoticeWithdrawn,
    PlanSubmitted,
    SubmissionAccepted,
    SubmissionReturned,
)
from shared.schemas import Ask, AskKind, NoticeSnapshot, UnitKind, UnitRef
from shared.storage import ensure_indexes

from ..fixtures import GD_UNITS
from ..harness import as_role, eventually, gateway, running

TZ = "Asia/Shanghai"
T0 = datetime(2020, 5, 6, 2, 0, tzinfo=UTC)
ISSUER = UnitRef(unit_id="gd-kx", name="广东省科学技术协会", kind=UnitKind.kexie, node_id="gd")
UNITS_BY_ID = {u.unit_id: UnitRef(unit_id=u.unit_id, name=u.name, kind=u.kind, node_id="gd") for u in GD_UNITS}


def summary(days: int = 30) -> Ask:
    return Ask(ask_id="summary", title="活动总结", kind=AskKind.summary_report, deadline=T0 + timedelta(days=days))


def plan() -> Ask:
    return Ask(
        ask_id="plan",
        title="活动方案",
        kind=AskKind.plan,
        deadline=T0 + timedelta(days=10),
        unit_kinds=[UnitKind.kexie],
    )


def snapshot(
    notice_id: str,
    unit_ids: list[str],
    asks: list[Ask],
    *,
    issued_at: datetime = T0,
    revision: int = 1,
    issuer: UnitRef = ISSUER,
) -> NoticeSnapshot:
    return NoticeSnapshot(
        notice_id=notice_id,
        doc_number=f"粤科协联〔2020〕{notice_id}号",
        title=f"通知 {notice_id}",
        issuers=[issuer],
        recipients=[UNITS_BY_ID[u] for u in unit_ids],
        asks=asks,
        root_notice_id=notice_id,
        issued_at=issued_at,
        revision=revision,
    )


class Events:
    """Events as the other services publish them on node ``node``, the issuer's."""

    def __init__(self, node: str) -> None:
        self.node = node

    def env(self) -> dict:
        return {"occurred_at": T0, "origin_node": self.node}

    def issued(self, notice: NoticeSnapshot, per_part: int = 1000) -> list[NoticeIssued]:
        slices = [notice.recipients[i : i + per_part] for i in range(0, len(notice.recipients), per_part)]
        return [
            NoticeIssued(**self.env(), notice=notice.model_copy(update={"recipients": s}), part=n, parts=len(slices))
            for n, s in enumerate(slices, 1)
        ]

    def corrected(self, notice: NoticeSnapshot) -> NoticeCorrected:
        return NoticeCorrected(**self.env(), notice=notice, reason="增加总结报送", changed=["asks"])

    def withdrawn(self, notice: NoticeSnapshot) -> NoticeWithdrawn:
        return NoticeWithdrawn(
            **self.env(),
            notice_id=notice.notice_id,
            recipient_unit_ids=[r.unit_id for r in notice.recipients],
            reason="重复发文",
        )

    def ack(self, notice_id: str, unit_id: str, at: datetime) -> NoticeAcknowledged:
        return NoticeAcknowledged(
            **self.env(),
            notice_id=notice_id,
            issuer_node=self.node,
            unit_id=unit_id,
            unit_name=UNITS_BY_ID[unit_id].name,
            acknowledged_by="联络员",
            acknowledged_at=at,
        )

    def submitted(
        self, notice_id: str, unit_id: str, revision: int, late: bool = False, ask_id: str = "summary"
    ) -> PlanSubmitted:
        return PlanSubmitted(
            **self.env(),
            submission_id=f"{notice_id}:{ask_id}:{unit_id}",
            notice_id=notice_id,
            ask_id=ask_id,
            kind=AskKind.summary_report,
            unit_id=unit_id,
            unit_name=UNITS_BY_ID[unit_id].name,
            unit_node=self.node,
            issuer_node=self.node,
            to_unit_id=ISSUER.unit_id,
            revision=revision,
            items=[{"text": f"第{revision}稿"}],
            late=late,
            submitted_by="联络员",
            submitted_at=T0 + timedelta(days=revision),
        )

    def decided(self, notice_id: str, unit_id: str, revision: int, accept: bool):
        fields = dict(
            **self.env(),
            submission_id=f"{notice_id}:summary:{unit_id}",
            notice_id=notice_id,
            ask_id="summary",
            unit_id=unit_id,
            to_unit_id=ISSUER.unit_id,
            revision=revision,
            reviewed_by="审核人",
            reviewed_at=T0 + timedelta(days=revision, hours=1),
        )
        return SubmissionAccepted(**fields) if accept else SubmissionReturned(**fields, reason="请补充照片")

    def chase(self, notice_id: str, pending: list[str]) -> DeadlineApproaching:
        return DeadlineApproaching(
            **self.env(),
            notice_id=notice_id,
            ask_id="summary",
            deadline=T0 + timedelta(days=30),
            pending_unit_ids=pending,
            manual=True,
        )


async def statistics(reports, unit_id: str, year: int) -> dict:
    """The statistics reply as one flat dict (the rows as ``units``), as the tests compare them."""
    stats = await reports.unit_statistics(StatisticsQuery(unit_id=unit_id, year=year))
    return {
        "notices": stats.notices,
        "units": [u.model_dump() for u in stats.units.items],
        "total": stats.units.total,
        "has_more": stats.units.has_more,
    }


async def apply(reports: Reports, event) -> None:
    """What the service's subscriptions call for each event type (services/reports/app.py)."""
    match event:
        case NoticeIssued() | NoticeCorrected():
            await reports.notice_arrived(event)
        case NoticeAcknowledged():
            await reports.acknowledged(event)
        case NoticeWithdrawn():
            await reports.withdrawn(event)
        case DeadlineApproaching():
            await reports.chased(event)
        case _:
            await reports.submission(event)


@pytest.fixture
async def mongo(node):
    client = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    yield client
    await client.close()


async def reports_on(client: AsyncMongoClient, node) -> Reports:
    """The service's use cases on the node's reports database (the one ``running(node)`` uses)."""
    db = client[f"{node.node_id}_reports"]
    await ensure_indexes(db, INDEXES)
    return Reports(ReportsRepository(SimpleNamespace(db=db)), node.node_id, TZ)


async def views(reports: Reports) -> dict:
    return {
        "status": (await reports.notice_status(NoticeQuery(notice_id="n1"))).model_dump(),
        "completeness": (await reports.completeness(CompletenessQuery(notice_id="n1"))).model_dump(),
        "corrected": (await reports.completeness(CompletenessQuery(notice_id="n3"))).model_dump(),
        "statistics": await statistics(reports, "gd-kx", 2020),
    }


def story(ev: Events) -> list:
    """One issuer's year: a notice in two parts, receipts, a 退回 and a resubmission, a 催办, a notice withdrawn,
    a notice whose 更正 adds an ask."""
    n1 = snapshot("n1", ["sz-kx", "sz-kjj", "gd-jxxh", "scut-kx"], [summary(), plan()])
    n2 = snapshot("n2", ["sz-kx", "gd-jxxh"], [summary()], issued_at=T0 + timedelta(days=1))
    n3 = snapshot("n3", ["sz-kx"], [], issued_at=T0 + timedelta(days=2))
    return [
        *ev.issued(n1, per_part=2),
        ev.ack("n1", "sz-kx", T0 + timedelta(hours=3)),
        ev.ack("n1", "gd-jxxh", T0 + timedelta(hours=5)),
        ev.submitted("n1", "sz-kx", 1),
        ev.decided("n1", "sz-kx", 1, accept=False),
        ev.submitted("n1", "sz-kx", 2, late=True),
        ev.decided("n1", "sz-kx", 2, accept=True),
        ev.submitted("n1", "gd-jxxh", 1),
        ev.decided("n1", "gd-jxxh", 1, accept=True),
        ev.chase("n1", ["sz-kjj", "scut-kx"]),
        *ev.issued(n2),
        ev.ack("n2", "sz-kx", T0 + timedelta(days=1, hours=1)),
        ev.withdrawn(n2),
        *ev.issued(n3),
        ev.corrected(n3.model_copy(update={"asks": [summary()], "revision": 2})),
        ev.submitted("n3", "sz-kx", 1),
    ]


async def test_events_in_any_order_and_repeated_give_the_same_read_models(node, mongo):
    ev = Events(node.node_id)
    events = story(ev)
    shuffled = events * 2  # every event delivered twice
    random.Random(10).shuffle(shuffled)
    orders = {
        "as published": events,
        # receipts before their notice, part 2 before part 1, decisions before their submissions,
        # the 撤回 and the 更正 before the 下发
        "reversed": events[::-1],
        "shuffled, each twice": shuffled,
    }
    seen = {}
    for name, order in orders.items():
        await mongo.drop_database(f"{node.node_id}_reports")
        reports = await reports_on(mongo, node)
        for event in order:
            await apply(reports, event)
        seen[name] = await views(reports)
    assert seen["reversed"] == seen["as published"]
    assert seen["shuffled, each twice"] == seen["as published"]

    got = seen["as published"]
    status = got["status"]
    assert (status["total"], status["acknowledged"], status["pending"]) == (4, 2, 2)
    assert [r["unit_id"] for r in status["recipients"]] == ["scut-kx", "sz-kjj", "gd-jxxh", "sz-kx"]
    ask = {a["ask_id"]: a for a in got["completeness"]["asks"]}
    assert (
        ask["summary"]["owed"],
        ask["summary"]["pending"],
        ask["summary"]["accepted"],
        ask["summary"]["late"],
        len(ask["summary"]["chases"]),
    ) == (4, 2, 2, 1, 1)
    assert (ask["plan"]["owed"], ask["plan"]["pending"]) == (1, 1)  # 科协 only
    sz_summary = next(u for u in ask["summary"]["units"] if u["unit_id"] == "sz-kx")
    assert (sz_summary["status"], sz_summary["revision"], sz_summary["late"]) == ("accepted", 2, True)
    [corrected] = got["corrected"]["asks"]  # the 更正's asks, though the 下发 (no asks) came after it
    assert (corrected["ask_id"], corrected["submitted"]) == ("summary", 1)
    assert got["corrected"]["status"] == "corrected"

    stats = got["statistics"]
    assert (stats["notices"], stats["total"], stats["has_more"]) == (2, 4, False)  # n2 was withdrawn
    rows = {r["unit_id"]: r for r in stats["units"]}
    assert [r["name"] for r in stats["units"]] == sorted(r["name"] for r in stats["units"])
    sz = rows["sz-kx"]
    assert (sz["notices"], sz["acknowledged"], sz["ack_rate"], sz["avg_ack_hours"]) == (2, 1, 0.5, 3.0)
    assert (
        sz["owed"],
        sz["submitted"],
        sz["on_time"],
        sz["late"],
        sz["accepted"],
        sz["returned"],
        sz["pending"],
        sz["on_time_rate"],
    ) == (3, 2, 1, 1, 1, 0, 1, 0.333)
    jx = rows["gd-jxxh"]
    assert (jx["notices"], jx["acknowledged"], jx["avg_ack_hours"], jx["owed"], jx["accepted"]) == (1, 1, 5.0, 1, 1)
    assert (rows["scut-kx"]["notices"], rows["scut-kx"]["acknowledged"], rows["scut-kx"]["pending"]) == (1, 0, 1)


async def store_keeps_concurrent_updates(client: AsyncMongoClient) -> bool:
    """30 concurrent ``$set``s of one document: an atomic store keeps all 30 (issue 10, item 2)."""
    probe = client["reports_probe"]["probe"]
    await probe.delete_many({})
    await probe.insert_one({"_id": "p"})
    await asyncio.gather(*(probe.update_one({"_id": "p"}, {"$set": {f"f{i}": i}}) for i in range(30)))
    doc = await probe.find_one({"_id": "p"})
    assert doc is not None
    kept = len(doc) - 1
    await client.drop_database("reports_probe")
    return kept == 30


async def test_a_units_statistics_row_is_right_after_many_concurrent_events_on_two_replicas(node, mongo):
    if not await store_keeps_concurrent_updates(mongo):
        pytest.skip(
            "this store loses concurrent updates of one document (FerretDB before issue 10's patch): "
            "no lock-free read model can be right on it"
        )
    other = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)  # the second replica's own connections
    try:
        replicas = [await reports_on(mongo, node), await reports_on(other, node)]
        ev = Events(node.node_id)
        events = []
        for i in range(12):
            n = snapshot(f"c{i:02d}", ["sz-kx", "gd-jxxh"], [summary()], issued_at=T0 + timedelta(days=i))
            nid = n.notice_id
            events += ev.issued(n, per_part=1)
            if i % 2 == 0:
                events.append(ev.ack(nid, "sz-kx", n.issued_at + timedelta(hours=2)))
            events.append(ev.submitted(nid, "sz-kx", 1, late=i % 3 == 0))
            if i % 4 == 0:
                events += [ev.decided(nid, "sz-kx", 1, accept=False), ev.submitted(nid, "sz-kx", 2)]
            if i % 4 == 1:
                events.append(ev.decided(nid, "sz-kx", 1, accept=True))
            if i == 11:
                events.append(ev.withdrawn(n))
        events *= 2
        random.Random(7).shuffle(events)
        # Both replicas also sum their rows all along (each adds differences: one at a time, by the lease).
        summers = [r.repo.sum_rows(wait=1.0) for r in replicas for _ in range(8)]
        await asyncio.gather(*(apply(replicas[k % 2], e) for k, e in enumerate(events)), *summers)

        rows = {r["unit_id"]: r for r in (await statistics(replicas[0], "gd-kx", 2020))["units"]}
        sz, jx = rows["sz-kx"], rows["gd-jxxh"]
        # Notices 0..10 count (11 was withdrawn); 0, 4, 8 resubmitted on time after a 退回; 1, 5, 9 accepted;
        # late: 3, 6, 9 (0's late first revision was replaced).
        assert (sz["notices"], sz["acknowledged"], sz["avg_ack_hours"]) == (11, 6, 2.0)
        assert (
            sz["owed"],
            sz["submitted"],
            sz["on_time"],
            sz["late"],
            sz["accepted"],
            sz["returned"],
            sz["pending"],
        ) == (11, 11, 8, 3, 3, 0, 0)
        assert (jx["notices"], jx["acknowledged"], jx["owed"], jx["pending"]) == (11, 0, 11, 11)
        # And each row is what its unit's documents say now: no stale recompute was written last.
        db = mongo[f"{node.node_id}_reports"]
        for unit in ("sz-kx", "gd-jxxh"):
            row = await db[ROWS].find_one({"_id": domain.row_id("gd-kx", 2020, unit)})
            docs = [d async for d in db[UNITS].find({"row": row["_id"]})]
            assert {k: row[k] for k in domain.ROW_FIELDS if k != "unit_id"} == {
                k: v for k, v in domain.row_figures(docs).items() if k != "listed"
            }
    finally:
        await other.close()


async def test_an_event_writes_small_documents_whatever_the_recipients_and_the_history(node, mongo):
    reports = await reports_on(mongo, node)
    db = mongo[f"{node.node_id}_reports"]
    ev = Events(node.node_id)
    many = [UnitRef(unit_id=f"u{i:04d}", name=f"单位{i:04d}", kind=UnitKind.kexie, node_id="gd") for i in range(200)]
    UNITS_BY_ID.update({u.unit_id: u for u in many})
    big = snapshot("big", [u.unit_id for u in many], [summary(), plan()])
    small = snapshot("small", ["sz-kx", "gd-jxxh", "scut-kx"], [summary(), plan()])
    for event in [*ev.issued(big, per_part=100), *ev.issued(small)]:
        await apply(reports, event)
    size = lambda doc: len(bson.encode(doc))  # noqa: E731
    big_header, small_header = [await db[HEADERS].find_one({"_id": nid}) for nid in ("big", "small")]
    assert domain.recipient_count(big_header) == 200 and domain.recipient_count(small_header) == 3
    assert abs(size(big_header) - size(small_header)) < 64 and size(big_header) < 2048

    # A year's worth of work on one unit's entry: receipts, 20 revisions each submitted and reviewed, 催办.
    for revision in range(1, 21):
        for event in (
            ev.ack("small", "sz-kx", T0 + timedelta(hours=revision)),
            ev.submitted("small", "sz-kx", revision, late=revision % 2 == 0),
            ev.submitted("small", "sz-kx", revision, ask_id="plan"),
            ev.decided("small", "sz-kx", revision, accept=revision == 20),
        ):
            await apply(reports, event)
    for _ in range(5):
        await apply(reports, ev.chase("small", ["gd-jxxh"]))
    unit_doc = await db[UNITS].find_one({"_id": "small:sz-kx"})
    assert unit_doc["subs"]["summary"]["submitted"]["revision"] == 20
    assert size(unit_doc) < 1536, unit_doc
    assert await reports.repo.sum_rows() >= 1  # events flag their parts; rows take them in once for many events
    row = await db[ROWS].find_one({"_id": domain.row_id("gd-kx", 2020, "sz-kx")})
    assert size(row) < 1024 and row["accepted"] == 1
    # The row is summed from one small part per notice of the unit, not rewritten with every notice's part.
    parts = [d async for d in db[ROW_PARTS].find({"row": row["_id"]})]
    # (each part keeps its numbers and what its row holds of them: ~330 bytes whatever the history)
    assert {d["notice_id"] for d in parts} == {"small"} and all(size(d) < 384 for d in parts)
    assert size(await db[HEADERS].find_one({"_id": "small"})) < 4096  # five chases kept, nothing per unit


async def test_statistics_come_a_page_at_a_time_and_the_csv_has_every_unit(node, mongo):
    units = [u.unit_id for u in GD_UNITS]  # 7 units, issued to by 中国科协 on this node
    cast = UnitRef(unit_id="cast", name="中国科学技术协会", kind=UnitKind.kexie, node_id="gd")
    async with running(node, ["reports"]), gateway(node) as http:
        reports = await reports_on(mongo, node)
        ev = Events(node.node_id)
        for event in ev.issued(snapshot("p1", units, [summary()], issuer=cast), per_part=3):
            await apply(reports, event)
        await apply(reports, ev.ack("p1", "sz-kx", T0 + timedelta(hours=1)))
        issuer = await as_role(http, "cast", "issuer")
        by_name = sorted(units, key=lambda u: (UNITS_BY_ID[u].name, domain.row_id("cast", 2020, u)))

        r = await issuer.get("/api/statistics", params={"year": 2020, "per_page": 3, "page": 2})
        assert r.status_code == 200, r.text
        page2 = r.json()
        assert [u["unit_id"] for u in page2["units"]] == by_name[3:6]
        assert (page2["page"], page2["per_page"], page2["has_more"], page2["total"], page2["notices"]) == (
            2,
            3,
            True,
            7,
            1,
        )
        last = (await issuer.get("/api/statistics", params={"year": 2020, "per_page": 3, "page": 3})).json()
        assert [u["unit_id"] for u in last["units"]] == by_name[6:] and last["has_more"] is False
        first = (await issuer.get("/api/statistics", params={"year": 2020})).json()
        assert len(first["units"]) == 7 and first["per_page"] == 50 and not first["has_more"]
        assert next(u for u in first["units"] if u["unit_id"] == "sz-kx")["acknowledged"] == 1

        for params, field, words in (
            ({"page": 0}, "page", "页码"),
            ({"page": "二"}, "page", "页码"),
            ({"per_page": 201}, "per_page", "每页条数"),
        ):
            r = await issuer.get("/api/statistics", params={"year": 2020, **params})
            assert r.status_code == 422, r.text
            [problem] = r.json()["detail"]
            assert problem["loc"][-1] == field and words in problem["msg"]

        page = await issuer.get(
            "/statistics", params={"year": 2020, "per_page": 3, "page": 2}, headers={"Accept": "text/html"}
        )
        assert page.status_code == 200
        assert all(f'data-unit="{u}"' in page.text for u in by_name[3:6])
        assert f'data-unit="{by_name[0]}"' not in page.text
        assert 'rel="next"' in page.text and 'rel="prev"' in page.text and "共 7 个收文单位" in page.text

        r = await issuer.get("/api/statistics.csv", params={"year": 2020})
        assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
        header, *table = list(csv.reader(io.StringIO(r.content.decode()[1:])))
        assert header[0] == "单位" and [row[0] for row in table] == [UNITS_BY_ID[u].name for u in by_name]


async def test_statistics_parts_kept_in_one_document_per_row_become_one_per_notice_at_start_up(node, mongo):
    reports = await reports_on(mongo, node)
    db = mongo[f"{node.node_id}_reports"]
    ev = Events(node.node_id)
    for nid in ("n1", "n2"):
        for event in [*ev.issued(snapshot(nid, ["sz-kx", "gd-jxxh"], [summary()])), ev.ack(nid, "sz-kx", T0)]:
            await apply(reports, event)
    row_id = domain.row_id("gd-kx", 2020, "sz-kx")
    await reports.repo.sum_rows()
    right = await db[ROWS].find_one({"_id": row_id})
    # As the previous version left it: the parts in one document per row (the row guarded by that document's
    # version), and no part documents yet.
    await db[ROW_PARTS].delete_many({})
    await db[OLD_ROW_PARTS].insert_one({"_id": row_id, "v": 10_000, "parts": {"n1": {"v": 3, "c": [1]}}})
    await db[ROWS].update_one({"_id": row_id}, {"$set": {"parts_v": 10_000, "acknowledged": 7}})
    await db["migrations"].delete_one({"_id": ROW_PARTS_BUILT})

    async with running(node, ["reports"]):
        reports = await reports_on(mongo, node)
        [row] = [r for r in (await statistics(reports, "gd-kx", 2020))["units"] if r["unit_id"] == "sz-kx"]
        assert (row["notices"], row["acknowledged"]) == (right["notices"], right["acknowledged"]) == (2, 2)
        assert OLD_ROW_PARTS not in await db.list_collection_names()
        assert {d["notice_id"] async for d in db[ROW_PARTS].find({"row": row_id})} == {"n1", "n2"}
        # Later events count again: the row's old guard no longer stands in their way.
        for event in [*ev.issued(snapshot("n3", ["sz-kx"], [summary()])), ev.ack("n3", "sz-kx", T0)]:
            await apply(reports, event)

        # Summed by the running service in the background, with no read asking for it.
        async def summed():
            row = await db[ROWS].find_one({"_id": row_id})
            return (row["notices"], row["acknowledged"]) == (3, 3) and not row.get("dirty")

        assert await eventually(summed, timeout=10)


async def test_status_documents_of_the_old_shape_are_split_once_at_start_up(node, mongo):
    db = mongo[f"{node.node_id}_reports"]
    ack_at = T0 + timedelta(hours=4)
    # What the reports service wrote before: one document per notice with every unit in it.
    await db[HEADERS].insert_many(
        [
            {
                "_id": "old1",
                "notice_id": "old1",
                "doc_number": "粤科协联〔2020〕1号",
                "title": "旧通知",
                "kind": "issued",
                "issuer_unit_id": "gd-kx",
                "issuer_name": "广东省科学技术协会",
                "issued_at": T0,
                "root_notice_id": "old1",
                "parent_notice_id": None,
                "deadlines": {"summary": T0 + timedelta(days=30)},
                "asks": domain.asks_fields([summary(), plan()]),
                "recipients": {
                    u: {"name": UNITS_BY_ID[u].name, "kind": UNITS_BY_ID[u].kind.value, "node_id": "gd"}
                    for u in ("sz-kx", "sz-kjj")
                },
                "acks": {"sz-kx": {"at": ack_at, "by": "联络员", "event_id": "e1"}},
                "subs": {
                    "summary": {
                        "sz-kx": {
                            "submitted": {"revision": 2, "late": True, "submitted_at": T0, "items": 1},
                            "reviewed": {"revision": 2, "status": "accepted", "reviewed_at": T0},
                        }
                    }
                },
                "chases": {"summary": {"e9": {"at": T0, "manual": True, "units": 1}}},
            },
            {"_id": "old2", "acks": {"sz-kx": {"at": ack_at, "by": "联络员", "event_id": "e2"}}},
        ]
    )  # receipt, no notice

    async with running(node, ["reports"]):
        reports = await reports_on(mongo, node)
        status = (await reports.notice_status(NoticeQuery(notice_id="old1"))).model_dump()
        assert (status["total"], status["acknowledged"], status["recipients"][-1]["acknowledged_at"]) == (2, 1, ack_at)
        ask = {
            a["ask_id"]: a
            for a in ((await reports.completeness(CompletenessQuery(notice_id="old1"))).model_dump())["asks"]
        }
        assert (ask["summary"]["accepted"], ask["summary"]["late"], len(ask["summary"]["chases"])) == (1, 1, 1)
        [row] = [r for r in (await statistics(reports, "gd-kx", 2020))["units"] if r["unit_id"] == "sz-kx"]
        assert (row["notices"], row["acknowledged"], row["owed"], row["accepted"], row["pending"]) == (1, 1, 2, 1, 1)
        header = await db[HEADERS].find_one({"_id": "old1"})
        assert not {"recipients", "acks", "subs"} & set(header) and header["year"] == 2020
        assert "revision" not in await db[HEADERS].find_one({"_id": "old2"})  # still waiting for its notice
        assert (await db[UNITS].find_one({"_id": "old2:sz-kx"}))["ack"]["event_id"] == "e2"
        assert await db["migrations"].find_one({"_id": SPLIT_STATUS})
        # Recorded: a later start (or a replica starting beside it) does not run it again.
        assert await split_notice_status(reports.repo, TZ) is False


async def row_and_oracle(db, row_id: str) -> tuple[dict, dict]:
    """A statistics row as stored, and what its unit's documents say it must be."""
    row = await db[ROWS].find_one({"_id": row_id})
    docs = [d async for d in db[UNITS].find({"row": row_id})]
    expected = {k: v for k, v in domain.row_figures(docs).items() if k != "listed"}
    return {k: row[k] for k in domain.ROW_FIELDS if k != "unit_id"}, expected


async def test_summing_takes_in_only_what_changed_and_a_summer_stopped_halfway_is_finished_not_added_twice(
    node, mongo, monkeypatch
):
    reports = await reports_on(mongo, node)
    db = mongo[f"{node.node_id}_reports"]
    ev = Events(node.node_id)
    row_id = domain.row_id("gd-kx", 2020, "sz-kx")
    for i in range(30):  # a unit's year: 30 notices of the issuer, each signed
        n = snapshot(f"y{i:02d}", ["sz-kx", "gd-jxxh"], [summary()], issued_at=T0 + timedelta(days=i))
        for event in [*ev.issued(n), ev.ack(n.notice_id, "sz-kx", n.issued_at + timedelta(hours=i % 5))]:
            await apply(reports, event)
    assert await reports.repo.sum_rows() == 60  # a part per notice and unit
    stored, expected = await row_and_oracle(db, row_id)
    assert stored == expected and stored["notices"] == 30

    # One more 报送: the round takes in that one part, whatever the year holds.
    await apply(reports, ev.submitted("y07", "sz-kx", 1))
    assert await db[ROW_PARTS].count_documents({"pending": True}) == 1
    assert await reports.repo.sum_rows() == 1
    stored, expected = await row_and_oracle(db, row_id)
    assert stored == expected and stored["submitted"] == 1

    # A summer stops after writing the row, before marking the parts it took in: its round is left behind, and
    # the next one marks them instead of adding them again.
    await apply(reports, ev.submitted("y08", "sz-kx", 1, late=True))
    mark = ReportsRepository._mark
    monkeypatch.setattr(ReportsRepository, "_mark", lambda self, doing: _stopped())
    with pytest.raises(ConnectionError):
        await reports.repo.sum_rows()
    monkeypatch.setattr(ReportsRepository, "_mark", mark)
    [stopped] = [r async for r in db[ROUNDS].find({})]
    assert [d["id"] for d in stopped["parts"]] == [part_id(row_id, "y08")]
    assert (await db[ROWS].find_one({"_id": row_id}))["submitted"] == 2  # written, its part still pending
    assert await db[ROW_PARTS].count_documents({"pending": True}) == 1
    assert await reports.repo.sum_rows() == 0  # finished: nothing was left to add
    stored, expected = await row_and_oracle(db, row_id)
    assert stored == expected and (stored["submitted"], stored["late"]) == (2, 1)
    assert await db[ROUNDS].count_documents({}) == 0 and await db[ROW_PARTS].count_documents({"pending": True}) == 0

    # One that stops before writing the row: the next round adds the part (it was never added).
    await apply(reports, ev.submitted("y09", "sz-kx", 1))
    monkeypatch.setattr(repository, "_bulk_upserts", lambda collection, updates: _stopped())
    with pytest.raises(ConnectionError):
        await reports.repo.sum_rows()
    monkeypatch.undo()
    assert await reports.repo.sum_rows() == 1
    stored, expected = await row_and_oracle(db, row_id)
    assert stored == expected and stored["submitted"] == 3


async def _stopped():
    raise ConnectionError("the summer's process stopped here")


async def test_a_row_is_named_by_its_latest_notice_and_by_the_one_before_once_that_is_withdrawn(node, mongo):
    reports = await reports_on(mongo, node)
    db = mongo[f"{node.node_id}_reports"]
    ev = Events(node.node_id)
    renamed = UNITS_BY_ID["sz-kx"].model_copy(update={"name": "深圳市科学技术协会（新）"})
    first = snapshot("old-name", ["sz-kx"], [summary()])
    later = snapshot("new-name", ["sz-kx"], [summary()], issued_at=T0 + timedelta(days=3))
    later = later.model_copy(update={"recipients": [renamed]})
    for event in [*ev.issued(first), *ev.issued(later)]:
        await apply(reports, event)
    row_id = domain.row_id("gd-kx", 2020, "sz-kx")
    await reports.repo.sum_rows()
    assert (await db[ROWS].find_one({"_id": row_id}))["name"] == "深圳市科学技术协会（新）"
    await apply(reports, ev.withdrawn(later))
    await reports.repo.sum_rows()
    stored, expected = await row_and_oracle(db, row_id)
    assert stored == expected and (stored["name"], stored["notices"]) == (UNITS_BY_ID["sz-kx"].name, 1)


async def test_rows_summed_from_all_their_parts_before_are_rebuilt_with_their_sums_once(node, mongo):
    reports = await reports_on(mongo, node)
    db = mongo[f"{node.node_id}_reports"]
    ev = Events(node.node_id)
    for nid in ("m1", "m2"):
        for event in [*ev.issued(snapshot(nid, ["sz-kx"], [summary()])), ev.ack(nid, "sz-kx", T0)]:
            await apply(reports, event)
    await reports.repo.sum_rows()
    row_id = domain.row_id("gd-kx", 2020, "sz-kx")
    # As the previous version left it: rows marked to be summed (their index too), no sums, parts not flagged.
    await db[ROWS].update_one({"_id": row_id}, {"$set": {"dirty": True, "dirty_v": 9}, "$unset": {"sums": ""}})
    await db[ROWS].create_index("dirty")
    await db[ROW_PARTS].update_many({}, {"$unset": {"a": "", "pending": ""}})
    await db["migrations"].delete_one({"_id": ROW_SUMS_KEPT})

    await split_notice_status(reports.repo, TZ)
    row = await db[ROWS].find_one({"_id": row_id})
    assert "dirty" not in row and "dirty_v" not in row and row["sums"][:2] == [2, 2]
    assert "dirty_1" not in await db[ROWS].index_information()
    # Later events add to the sums kept.
    await apply(reports, ev.submitted("m1", "sz-kx", 1))
    assert await reports.repo.sum_rows() == 1
    stored, expected = await row_and_oracle(db, row_id)
    assert stored == expected and (stored["notices"], stored["submitted"]) == (2, 1)
