"""下级进度 with no server: a 转发's level reports its progress; the issuer keeps the newest report of each.

On one node the 转发 and the notice it forwards meet in the same reports service (the report stays local),
so the whole loop — a change, the throttled report, the upstream's copy — runs here in milliseconds. Across
linked nodes: tests/integration/test_rollup_federation.py.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from shared.bus import publish_event
from shared.clock import FixedClock
from shared.contracts.notices import AcknowledgeNotice, ForwardNotice, IssueNotice, UpsertUnit
from shared.contracts.reports import ForwardProgressQuery, RollupQuery
from shared.contracts.submissions import AcceptSubmission, SubmitItems
from shared.errors import NotFound
from shared.events import ProgressReported
from shared.progress import AnswerState, AnswerStatus, AskProgress, ProgressFigures, UnitProgress
from shared.schemas import Ask, AskKind, FieldType, FormField, Role, UnitKind

from ..harness import eventually
from .conftest import NODE, fast_node
from .test_notices_flow import actor

SOON = datetime.now(UTC) + timedelta(days=30)
PAST = datetime(2020, 1, 1, tzinfo=UTC)
SUMMARY = Ask(
    ask_id="summary",
    kind=AskKind.summary_report,
    title="活动总结",
    deadline=SOON,
    fields=[FormField(key="summary", label="总结", type=FieldType.text, max_chars=3000)],
)
FAST = {"reports": {"progress_interval_seconds": 0.2}}


async def units(node) -> None:
    kx = UnitKind.kexie
    for unit_id, name, parent in (
        ("js-kx", "江苏省科学技术协会", None),
        ("sz-kx", "苏州市科学技术协会", "js-kx"),
        ("ks-kx", "昆山市科学技术协会", "sz-kx"),
        ("tc-kx", "太仓市科学技术协会", "sz-kx"),
        ("ks-z1", "昆山市玉山镇科协", "ks-kx"),
        ("ks-z2", "昆山市周市镇科协", "ks-kx"),
    ):
        await node.notices.upsert_unit(UpsertUnit(unit_id=unit_id, name=name, kind=kx, parent_id=parent))


async def test_each_level_reports_its_progress_and_the_issuer_opens_it_level_by_level(tmp):
    async with fast_node(tmp, overrides=FAST) as node:
        await units(node)
        top = await node.notices.issue(
            IssueNotice(
                title="关于开展科技工作者日活动的通知",
                issuer_unit_ids=["js-kx"],
                recipient_unit_ids=["sz-kx"],
                asks=[SUMMARY],
                actor=actor("js-kx", Role.issuer),
            )
        )
        city = await node.notices.forward(
            ForwardNotice(
                notice_id=top.notice_id,
                unit_id="sz-kx",
                recipient_unit_ids=["ks-kx", "tc-kx"],
                actor=actor("sz-kx", Role.issuer),
            )
        )
        county = await node.notices.forward(
            ForwardNotice(
                notice_id=city.notice_id,
                unit_id="ks-kx",
                recipient_unit_ids=["ks-z1", "ks-z2"],
                actor=actor("ks-kx", Role.issuer),
            )
        )
        await node.notices.acknowledge(
            AcknowledgeNotice(notice_id=city.notice_id, unit_id="tc-kx", actor=actor("tc-kx", Role.submitter))
        )
        await node.notices.acknowledge(
            AcknowledgeNotice(notice_id=county.notice_id, unit_id="ks-z1", actor=actor("ks-z1", Role.submitter))
        )
        sent = await node.submissions.submit(
            SubmitItems(
                notice_id=city.notice_id,
                ask_id="summary",
                unit_id="tc-kx",
                items=[{"summary": "太仓总结"}],
                actor=actor("tc-kx", Role.submitter),
            )
        )
        await node.submissions.accept(
            AcceptSubmission(submission_id=sent.id, revision=1, actor=actor("sz-kx", Role.reviewer))
        )

        async def city_level():
            rollup = await node.reports.rollup(RollupQuery(notice_id=top.notice_id))
            [row] = rollup.forwards.items or [None]
            if row is None:
                return None
            f = row.figures
            done = (f.recipients, f.acknowledged, f.submitted, f.owed, f.accepted) == (2, 1, 1, 2, 1)
            return row if done else None

        row = await eventually(city_level)
        assert (row.forward_notice_id, row.unit_id, row.unit_name) == (city.notice_id, "sz-kx", "苏州市科学技术协会")
        assert row.figures.asks[0].title == "活动总结" and row.figures.overdue == 0

        async def county_seen_from_the_top():
            opened = await node.reports.forward_progress(
                ForwardProgressQuery(notice_id=top.notice_id, forward_notice_id=city.notice_id)
            )
            rows = {u.unit_id: u for u in opened.units.items}
            nested = rows["ks-kx"].forward
            return opened if nested and nested.figures.acknowledged == 1 else None

        opened = await eventually(county_seen_from_the_top)
        rows = {u.unit_id: u for u in opened.units.items}
        assert [u.name for u in opened.units.items] == ["太仓市科学技术协会", "昆山市科学技术协会"]
        assert rows["tc-kx"].acknowledged_at is not None and rows["tc-kx"].answers["summary"].status == "accepted"
        assert rows["ks-kx"].acknowledged_at is None and rows["ks-kx"].answers["summary"].status == "pending"
        nested = rows["ks-kx"].forward
        assert nested is not None and nested.forward_notice_id == county.notice_id
        assert (nested.figures.recipients, nested.figures.acknowledged) == (2, 1)

        # One level further: 昆山's own recipients, from the province's notice, with the path in between.
        deeper = await node.reports.forward_progress(
            ForwardProgressQuery(notice_id=top.notice_id, forward_notice_id=county.notice_id)
        )
        assert [p.forward_notice_id for p in deeper.path] == [city.notice_id]
        assert {u.unit_id: bool(u.acknowledged_at) for u in deeper.units.items} == {"ks-z1": True, "ks-z2": False}
        # Paged.
        first = await node.reports.forward_progress(
            ForwardProgressQuery(
                notice_id=top.notice_id, forward_notice_id=county.notice_id, page={"page": 1, "per_page": 1}
            )
        )
        assert (len(first.units.items), first.units.has_more, first.units.total) == (1, True, 2)
        # A notice not above the 转发 does not open it.
        try:
            await node.reports.forward_progress(
                ForwardProgressQuery(notice_id=county.notice_id, forward_notice_id=city.notice_id)
            )
            raise AssertionError("a 转发 opens only from a notice above it")
        except NotFound:
            pass


async def test_changes_within_the_interval_go_up_in_one_report_once_the_interval_has_passed(tmp):
    clock = FixedClock(datetime.now(UTC))
    async with fast_node(tmp, clock=clock, overrides={"reports": {"progress_interval_seconds": 0.4}}) as node:
        await units(node)
        top = await node.notices.issue(
            IssueNotice(
                title="关于报送活动总结的通知",
                issuer_unit_ids=["js-kx"],
                recipient_unit_ids=["sz-kx"],
                asks=[SUMMARY],
                actor=actor("js-kx", Role.issuer),
            )
        )
        city = await node.notices.forward(
            ForwardNotice(
                notice_id=top.notice_id,
                unit_id="sz-kx",
                recipient_unit_ids=["ks-kx", "tc-kx"],
                actor=actor("sz-kx", Role.issuer),
            )
        )

        async def row():
            items = (await node.reports.rollup(RollupQuery(notice_id=top.notice_id))).forwards.items
            return items[0] if items else None

        first = await eventually(row)  # the first report goes at once
        assert (first.sequence, first.figures.acknowledged) == (1, 0)
        for unit in ("ks-kx", "tc-kx"):
            await node.notices.acknowledge(
                AcknowledgeNotice(notice_id=city.notice_id, unit_id=unit, actor=actor(unit, Role.submitter))
            )
        await asyncio.sleep(1.0)  # the loop ticks a few times, but the clock has not reached the next report
        waiting = await node.dbs["reports"]["progress_out"].find_one({"_id": city.notice_id})
        assert waiting is not None and waiting["pending"] and waiting["sequence"] == 1
        assert (await row()).sequence == 1

        clock.advance(timedelta(seconds=1))

        async def both():
            r = await row()
            return r if r.figures.acknowledged == 2 else None

        second = await eventually(both)
        assert second.sequence == 2  # both receipts in one report
        done = await node.dbs["reports"]["progress_out"].find_one({"_id": city.notice_id})
        assert not done["pending"]


def report(
    sequence: int, acknowledged: int, status: AnswerStatus, *, part: int = 1, parts: int = 1
) -> ProgressReported:
    now = datetime.now(UTC)
    return ProgressReported(
        event_id=f"progress-test-{sequence}-{part}-{status}",
        occurred_at=now,
        origin_node=NODE,
        root_notice_id="n-top",
        forward_notice_id="n-city",
        notice_id="n-top",
        chain=["n-top"],
        issuer_node=NODE,
        node_id=NODE,
        doc_number="苏科协〔2026〕3号",
        unit_id="sz-kx",
        unit_name="苏州市科学技术协会",
        sequence=sequence,
        as_of=now,
        figures=ProgressFigures(
            recipients=2,
            acknowledged=acknowledged,
            asks=[
                AskProgress(
                    ask_id="summary",
                    title="活动总结",
                    deadline=PAST,
                    owed=2,
                    submitted=1,
                    accepted=0,
                    returned=0,
                    late=0,
                    pending=1,
                )
            ],
        ),
        part=part,
        parts=parts,
        units=[
            UnitProgress(
                unit_id="ks-kx",
                name="昆山市科学技术协会",
                node_id=NODE,
                answers={"summary": AnswerState(status=status)},
            )
        ],
    )


async def test_an_older_or_repeated_report_does_not_overwrite_a_newer_one(tmp):
    async with fast_node(tmp, services=("reports",), overrides=FAST) as node:

        async def seen():
            rollup = await node.reports.rollup(RollupQuery(notice_id="n-top"))
            opened = await node.reports.forward_progress(
                ForwardProgressQuery(notice_id="n-top", forward_notice_id="n-city")
            )
            [row] = rollup.forwards.items
            return row.sequence, row.figures.acknowledged, opened.units.items[0].answers["summary"].status

        await publish_event(node.broker, report(2, 2, "accepted"))
        assert await seen() == (2, 2, "accepted")
        await publish_event(node.broker, report(1, 0, "pending"))  # late, stale
        assert await seen() == (2, 2, "accepted")
        await publish_event(node.broker, report(2, 2, "accepted"))  # repeated
        assert await seen() == (2, 2, "accepted")
        await publish_event(node.broker, report(3, 1, "returned"))
        assert await seen() == (3, 1, "returned")
        # 逾期 is read against the deadline as of now: the pending unit is overdue.
        [row] = (await node.reports.rollup(RollupQuery(notice_id="n-top"))).forwards.items
        assert row.figures.overdue == 1
