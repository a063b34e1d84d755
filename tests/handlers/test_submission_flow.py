"""报送 → 采用 → 报送情况 across the four services of a node, with no server."""

from datetime import UTC, datetime

from shared.clock import FixedClock
from shared.contracts.common import UnitNoticesQuery
from shared.contracts.notices import IssueNotice
from shared.contracts.reports import CompletenessQuery
from shared.contracts.submissions import AcceptSubmission, ReturnSubmission, ReviewQuery, SubmitItems
from shared.errors import Conflict, Invalid
from shared.schemas import Ask, AskKind, FieldType, FormField, Role, Route, UnitKind

from .conftest import fast_node
from .test_notices_flow import actor, directory

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)
SUMMARY = Ask(
    ask_id="summary",
    kind=AskKind.summary_report,
    title="年度工作总结",
    deadline=datetime(2026, 6, 30, 15, 59, tzinfo=UTC),
    fields=[FormField(key="summary", label="总结", type=FieldType.text, max_chars=3000)],
    routes=[Route(unit_kind=UnitKind.society, to_unit_id="zj-kx", department="学会部")],
)


async def test_a_submission_is_reviewed_and_counted_where_it_was_asked(tmp):
    async with fast_node(tmp, clock=FixedClock(NOW)) as node:
        units = await directory(node)
        issuer = actor("zj-kx", Role.issuer, Role.reviewer)
        issued = await node.notices.issue(
            IssueNotice(
                title="关于报送年度工作总结的通知",
                issuer_unit_ids=["zj-kx"],
                recipient_unit_ids=units,
                asks=[SUMMARY],
                actor=issuer,
            )
        )
        me = actor(units[0], Role.submitter)
        [owed] = [
            s
            for s in (await node.submissions.mine(UnitNoticesQuery(actor=me))).items
            if s.notice_id == issued.notice_id
        ]
        assert (owed.status, owed.to_unit_id, owed.department) == ("pending", "zj-kx", "学会部")

        try:
            await node.submissions.submit(
                SubmitItems(
                    notice_id=issued.notice_id,
                    ask_id="summary",
                    unit_id=units[0],
                    items=[{"summary": "字" * 3001}],
                    actor=me,
                )
            )
            raise AssertionError("an item over its limit must be refused")
        except Invalid as exc:
            assert exc.field.startswith("items.0")

        first = await node.submissions.submit(
            SubmitItems(
                notice_id=issued.notice_id, ask_id="summary", unit_id=units[0], items=[{"summary": "初稿"}], actor=me
            )
        )
        queue = await node.submissions.review(ReviewQuery(actor=issuer))
        assert [(s.id, s.status) for s in queue.items] == [(first.id, "submitted")]
        await node.submissions.return_(
            ReturnSubmission(submission_id=first.id, revision=1, reason="请补充数据", actor=issuer)
        )
        second = await node.submissions.submit(
            SubmitItems(
                notice_id=issued.notice_id, ask_id="summary", unit_id=units[0], items=[{"summary": "终稿"}], actor=me
            )
        )
        assert second.revision == 2
        accepted = await node.submissions.accept(AcceptSubmission(submission_id=first.id, revision=2, actor=issuer))
        assert accepted.status == "accepted"
        try:
            await node.submissions.accept(AcceptSubmission(submission_id=first.id, revision=2, actor=issuer))
            raise AssertionError("a second decision on one revision must be refused")
        except Conflict as exc:
            assert exc.code == "already_reviewed"

        completeness = await node.reports.completeness(CompletenessQuery(notice_id=issued.notice_id))
        [ask] = completeness.asks
        assert (ask.owed, ask.accepted, ask.pending) == (5, 1, 4)
        assert {u.unit_id: u.status for u in ask.units}[units[0]] == "accepted"
