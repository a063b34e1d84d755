"""Issuing, 签收 and the lists that follow, through the notices contract with no server."""

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from services.notices import repository
from services.notices.repository import NoticesRepository
from shared.clock import FixedClock
from shared.contracts.common import Actor, UnitNoticesQuery
from shared.contracts.notices import AcknowledgeNotice, IssueNotice, TrackingQuery, UpsertUnit
from shared.errors import Conflict, NotFound
from shared.schemas import Role, UnitKind

from .conftest import fast_node

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)
PARTS_OF_2 = {"notices": {"recipients_per_event": 2}}


def actor(unit_id: str, *roles: Role) -> Actor:
    return Actor(user_id=f"u-{unit_id}", display_name=f"{unit_id}经办人", unit_id=unit_id, roles=list(roles))


async def directory(node) -> list[str]:
    await node.notices.upsert_unit(UpsertUnit(unit_id="zj-kx", name="湛江市科学技术协会", kind=UnitKind.kexie))
    units = [f"zj-u{i}" for i in range(5)]
    for i, unit_id in enumerate(units):
        await node.notices.upsert_unit(
            UpsertUnit(unit_id=unit_id, name=f"湛江第{i}学会", kind=UnitKind.society, parent_id="zj-kx")
        )
    return units


async def test_a_notice_fills_the_inboxes_and_each_receipt_counts_once(tmp):
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        units = await directory(node)
        issuer = actor("zj-kx", Role.issuer)
        issued = await node.notices.issue(
            IssueNotice(
                title="关于开展年度总结的通知",
                issuer_unit_ids=["zj-kx"],
                recipient_unit_ids=units,
                body="请各单位报送。",
                actor=issuer,
            )
        )
        assert issued.doc_number.endswith("1号") and issued.recipients == 5

        inbox = await node.notices.inbox(UnitNoticesQuery(actor=actor(units[0], Role.submitter)))
        assert [(e.notice_id, e.signed) for e in inbox.items] == [(issued.notice_id, False)]

        signed = await node.notices.acknowledge(
            AcknowledgeNotice(notice_id=issued.notice_id, unit_id=units[0], actor=actor(units[0], Role.submitter))
        )
        assert signed.signed and signed.acknowledged_by == f"{units[0]}经办人"
        try:
            await node.notices.acknowledge(
                AcknowledgeNotice(notice_id=issued.notice_id, unit_id=units[0], actor=actor(units[0], Role.submitter))
            )
            raise AssertionError("a second 签收 must be refused")
        except Conflict as exc:
            assert exc.code == "already_acknowledged"

        tracking = await node.notices.tracking(TrackingQuery(notice_id=issued.notice_id, actor=issuer))
        assert (tracking.total, tracking.acknowledged, tracking.pending) == (5, 1, 4)
        assert tracking.page.items[-1].unit_id == units[0]  # those who have not signed come first
        sent = await node.notices.sent(UnitNoticesQuery(actor=issuer))
        assert [(n.id, n.acknowledged, n.recipients) for n in sent.items] == [(issued.notice_id, 1, 5)]


async def test_a_unit_sees_only_its_own_inbox_and_numbers_follow_each_other(tmp):
    clock = FixedClock(NOW)
    async with fast_node(tmp, services=("notices",), clock=clock) as node:
        units = await directory(node)
        issuer = actor("zj-kx", Role.issuer)
        numbers = []
        for n in range(3):
            clock.advance(timedelta(hours=1))
            numbers.append(
                (
                    await node.notices.issue(
                        IssueNotice(
                            title=f"第{n}号通知",
                            issuer_unit_ids=["zj-kx"],
                            recipient_unit_ids=units[:2],
                            actor=issuer,
                        )
                    )
                ).doc_number
            )
        assert [n[-3:] for n in numbers] == ["〕1号", "〕2号", "〕3号"]
        try:
            await node.notices.inbox(UnitNoticesQuery(unit_id=units[0], actor=actor(units[1], Role.submitter)))
            raise AssertionError("another unit's inbox must be refused")
        except Exception as exc:  # Forbidden: acts only for its own unit
            assert getattr(exc, "status", None) == 403
        outsider = await node.notices.inbox(UnitNoticesQuery(actor=actor(units[4], Role.submitter)))
        assert outsider.items == []
        try:
            await node.notices.tracking(TrackingQuery(notice_id="nope", actor=issuer))
            raise AssertionError("an unknown notice must be refused")
        except NotFound as exc:
            assert exc.field == "notice_id"


async def test_clerks_issuing_at_once_each_insert_once_and_a_number_taken_elsewhere_is_stepped_over(tmp, monkeypatch):
    """8 issues at once: 文号 1..8 with one insert each (each attempt yields to the others first, as a store round
    trip does). Then a number taken by a manual 文号 (as another replica would) is stepped over."""
    attempts: list[str] = []
    insert = NoticesRepository.insert_notice

    async def counted(self, doc, pending, **kw):
        attempts.append(kw["number_key"])
        await asyncio.sleep(0)
        return await insert(self, doc, pending, **kw)

    monkeypatch.setattr(NoticesRepository, "insert_notice", counted)
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        units = await directory(node)
        issuer = actor("zj-kx", Role.issuer)

        def notice(n: int, number: str | None = None) -> IssueNotice:
            return IssueNotice(
                title=f"第{n}份通知",
                issuer_unit_ids=["zj-kx"],
                recipient_unit_ids=units[:2],
                doc_number=number,
                actor=issuer,
            )

        issued = await asyncio.gather(*(node.notices.issue(notice(n)) for n in range(8)))
        numbers = sorted(int(i.doc_number.rsplit("〕", 1)[1].removesuffix("号")) for i in issued)
        assert numbers == list(range(1, 9)) and len(attempts) == 8

        taken = issued[0].doc_number.rsplit("〕", 1)[0] + "〕9号"
        await node.notices.issue(notice(8, taken))
        attempts.clear()
        after = await node.notices.issue(notice(9))
        assert after.doc_number.endswith("〕10号") and len(attempts) == 2  # 9 tried, found taken, then 10


async def test_a_notice_not_listed_at_its_issue_is_listed_when_its_event_is_consumed(tmp, monkeypatch):
    """The 发文 entry is written at the issue; had the process stopped just before, the notice's own event (it
    is published from the stored notice at the next start) lists it."""
    list_sent = NoticesRepository.list_sent
    calls = []

    async def stopped_before_the_first(self, notice, year):
        calls.append(notice["_id"])
        if len(calls) > 1:
            await list_sent(self, notice, year)

    monkeypatch.setattr(NoticesRepository, "list_sent", stopped_before_the_first)
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        units = await directory(node)
        issuer = actor("zj-kx", Role.issuer)
        issued = await node.notices.issue(
            IssueNotice(
                title="关于报送年度总结的通知", issuer_unit_ids=["zj-kx"], recipient_unit_ids=units, actor=issuer
            )
        )
        sent = await node.notices.sent(UnitNoticesQuery(actor=issuer))
        assert calls == [issued.notice_id, issued.notice_id]  # skipped at the issue, made by the consumer
        assert [n.id for n in sent.items] == [issued.notice_id]
        assert await node.dbs["notices"]["sent"].count_documents({"notice_id": issued.notice_id}) == 1


async def test_the_inboxes_here_are_written_with_the_notice_and_by_its_consumer_only_if_the_issue_stopped(
    tmp, monkeypatch
):
    deliver = NoticesRepository.deliver_to_inbox
    calls: list[tuple[str, int]] = []
    stop_once = [False]

    async def counted(self, notice, units, kind, at, year):
        calls.append((notice.notice_id, len(units)))
        if stop_once[0]:
            stop_once[0] = False
            return 0  # the issue stopped before writing them
        return await deliver(self, notice, units, kind, at, year)

    monkeypatch.setattr(NoticesRepository, "deliver_to_inbox", counted)
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        units = await directory(node)
        issuer = actor("zj-kx", Role.issuer)

        async def issue(title: str) -> str:
            cmd = IssueNotice(title=title, issuer_unit_ids=["zj-kx"], recipient_unit_ids=units, actor=issuer)
            return (await node.notices.issue(cmd)).notice_id

        first = await issue("关于开展年度总结的通知")
        assert calls == [(first, 5)]  # by the issue; its consumer found every entry there
        stop_once[0] = True
        second = await issue("关于报送年度计划的通知")
        assert calls == [(first, 5), (second, 5), (second, 5)]  # the consumer made what the issue did not
        for unit_id in units:
            inbox = await node.notices.inbox(UnitNoticesQuery(actor=actor(unit_id, Role.submitter)))
            assert {e.notice_id for e in inbox.items} == {first, second}


async def test_a_notice_carries_its_events_without_their_recipients_and_a_restart_publishes_them_whole(
    tmp, monkeypatch
):
    """The notice document holds its events until they are out, naming the recipients by id only (their
    snapshots are in its recipient parts); what a start-up after a crash publishes is what the issue would have."""
    published: list[list[dict]] = []

    async def crashed_before_publishing(self, notice_id, events):
        published.append(events)

    monkeypatch.setattr(NoticesRepository, "flush", crashed_before_publishing)
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW), overrides=PARTS_OF_2) as node:
        units = await directory(node)
        issued = await node.notices.issue(
            IssueNotice(
                title="关于开展年度总结的通知",
                issuer_unit_ids=["zj-kx"],
                recipient_unit_ids=units,
                actor=actor("zj-kx", Role.issuer),
            )
        )
        doc = await node.dbs["notices"]["notices"].find_one({"_id": issued.notice_id})
        carried, whole = doc["_outbox"], published[0]
        assert [e["id"] for e in carried] == [e["id"] for e in whole] and len(whole) == 3  # 5 units, 2 an event
        assert all(e["event"]["notice"]["recipients"] == [] for e in carried)
        assert [u for e in carried for u in e["recipient_ids"]] == units
        assert [u["unit_id"] for e in whole for u in e["event"]["notice"]["recipients"]] == units

        repo = NoticesRepository(SimpleNamespace(db=node.dbs["notices"]))
        assert await repo.expanded(issued.notice_id, carried) == whole

        # A recipient id with no part (not expected: parts are written before their notice) is left out and said.
        warned: list[tuple] = []
        monkeypatch.setattr(repository.log, "warning", lambda *args: warned.append(args))
        ghost = [{**carried[0], "recipient_ids": [*carried[0]["recipient_ids"], "no-such-unit"]}, *carried[1:]]
        assert await repo.expanded(issued.notice_id, ghost) == whole
        assert [w[1:] for w in warned] == [(issued.notice_id, 1, carried[0]["id"])]
