"""An item sent up by itself (直接上报/择优上报) that the level above returns is not a dead end: the level's
reviewer 退回下级, the unit corrects it, the level accepts it again and it goes up as the item's next revision;
a returned 择优上报 item no longer counts against the limit. Province, city and county on one fast node."""

import asyncio
from datetime import UTC, datetime

import pytest

from shared.clock import FixedClock
from shared.contracts.common import UnitNoticesQuery
from shared.contracts.notices import ForwardNotice, IssueNotice, UpsertUnit
from shared.contracts.reports import CompletenessQuery
from shared.contracts.submissions import (
    AcceptSubmission,
    CompileReport,
    ReturnDown,
    ReturnSubmission,
    SubmissionQuery,
    SubmitItems,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.schemas import Ask, AskKind, FieldType, FormField, Role, UnitKind, UpwardMode, UpwardPolicy

from .conftest import fast_node
from .test_notices_flow import actor

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)
DEADLINE = datetime(2026, 6, 30, 15, 59, tzinfo=UTC)
FIELDS = [FormField(key="text", label="内容", type=FieldType.text, max_chars=500)]
ASKS = [
    Ask(ask_id="plan", kind=AskKind.summary_report, title="活动方案", deadline=DEADLINE, fields=FIELDS),
    Ask(ask_id="cases", kind=AskKind.summary_report, title="典型案例", deadline=DEADLINE, fields=FIELDS, max_items=2),
]
PROVINCE, CITY, COUNTY = "gd-kx", "zj-kx", ["zj-u0", "zj-u1", "zj-u2"]
PROV = actor(PROVINCE, Role.issuer, Role.reviewer)
CITY_REVIEWER = actor(CITY, Role.issuer, Role.reviewer, Role.submitter)


async def world(node) -> tuple[str, str]:
    """The province's notice, forwarded by the city: 方案 直接上报, 案例 择优上报 (one at most)."""
    await node.notices.upsert_unit(UpsertUnit(unit_id=PROVINCE, name="广东省科学技术协会", kind=UnitKind.kexie))
    await node.notices.upsert_unit(
        UpsertUnit(unit_id=CITY, name="湛江市科学技术协会", kind=UnitKind.kexie, parent_id=PROVINCE)
    )
    for i, unit_id in enumerate(COUNTY):
        await node.notices.upsert_unit(
            UpsertUnit(unit_id=unit_id, name=f"湛江第{i}学会", kind=UnitKind.society, parent_id=CITY)
        )
    top = await node.notices.issue(
        IssueNotice(
            title="关于推荐典型案例的通知", issuer_unit_ids=[PROVINCE], recipient_unit_ids=[CITY], asks=ASKS, actor=PROV
        )
    )
    fwd = await node.notices.forward(
        ForwardNotice(
            notice_id=top.notice_id,
            unit_id=CITY,
            recipient_unit_ids=COUNTY,
            upward={
                "plan": UpwardPolicy(mode=UpwardMode.direct),
                "cases": UpwardPolicy(mode=UpwardMode.select, limit=1),
            },
            actor=CITY_REVIEWER,
        )
    )
    return top.notice_id, fwd.notice_id


async def submit(node, notice_id: str, ask_id: str, unit_id: str, text: str):
    return await node.submissions.submit(
        SubmitItems(
            notice_id=notice_id,
            ask_id=ask_id,
            unit_id=unit_id,
            items=[{"text": text}],
            actor=actor(unit_id, Role.submitter),
        )
    )


async def until(check, tries: int = 50):
    for _ in range(tries):
        if (found := await check()) is not None:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def item(node, top: str, ask_id: str, source: str, **wanted):
    async def check():
        try:
            got = await node.submissions.get(
                SubmissionQuery(submission_id=f"{top}:{ask_id}:{CITY}:{source}", actor=CITY_REVIEWER)
            )
        except NotFound:
            return None
        return got if all(getattr(got, k) == v for k, v in wanted.items()) else None

    return await until(check)


async def test_a_returned_direct_item_goes_back_down_and_up_again_as_its_next_revision(tmp):
    async with fast_node(tmp, clock=FixedClock(NOW)) as node:
        top, mid = await world(node)
        sent = {u: await submit(node, mid, "plan", u, f"{u}方案") for u in COUNTY[:2]}
        for unit in COUNTY[:2]:
            await node.submissions.accept(
                AcceptSubmission(submission_id=sent[unit].id, revision=1, actor=CITY_REVIEWER)
            )
        first = await item(node, top, "plan", "zj-u0", status="submitted", revision=1)
        other = await item(node, top, "plan", "zj-u1", status="submitted", revision=1)

        # 直接上报: the city has no answer of its own to give on this ask.
        with pytest.raises(Invalid) as own:
            await node.submissions.submit(
                SubmitItems(notice_id=top, ask_id="plan", unit_id=CITY, items=[{"text": "本级"}], actor=CITY_REVIEWER)
            )
        assert own.value.code == "direct_upward" and "直接上报" in own.value.message

        # Not returned by the province: nothing to send back down.
        with pytest.raises(Conflict) as early:
            await node.submissions.return_down(ReturnDown(submission_id=other.id, actor=CITY_REVIEWER))
        assert early.value.code == "not_returned" and "未被上级退回" in early.value.message
        source = await node.submissions.get(SubmissionQuery(submission_id=sent["zj-u0"].id, actor=CITY_REVIEWER))
        assert source.compiled_in is not None and source.compiled_in.upward == "direct"

        await node.submissions.return_(
            ReturnSubmission(submission_id=first.id, revision=1, reason="请补充经费预算", actor=PROV)
        )
        returned = await item(node, top, "plan", "zj-u0", status="returned")
        assert returned.can_return_down and returned.return_reason == "请补充经费预算"
        with pytest.raises(NotFound):  # only the level's own reviewers
            await node.submissions.return_down(ReturnDown(submission_id=first.id, actor=actor("zj-u1", Role.reviewer)))

        reopened = await node.submissions.return_down(
            ReturnDown(submission_id=first.id, note="请于本周内修改", actor=CITY_REVIEWER)
        )
        assert (reopened.id, reopened.status) == (sent["zj-u0"].id, "returned")
        assert reopened.return_reason == "上级退回：请补充经费预算；请于本周内修改"
        assert reopened.compiled_in is None
        with pytest.raises(Conflict) as twice:
            await node.submissions.return_down(ReturnDown(submission_id=first.id, actor=CITY_REVIEWER))
        assert twice.value.code == "already_returned_down"
        after = await item(node, top, "plan", "zj-u0", status="returned")
        assert (after.returned_down, after.can_return_down) == (1, False)

        async def city_sees_it_returned():  # the city's 报送情况: back with its unit, the reason named
            asks = (await node.reports.completeness(CompletenessQuery(notice_id=mid))).asks
            [row] = [u for a in asks if a.ask_id == "plan" for u in a.units if u.unit_id == "zj-u0"]
            return row if row.status == "returned" else None

        assert (await until(city_sees_it_returned)).reason == "上级退回：请补充经费预算；请于本周内修改"

        # The county unit sees it returned with the reason, corrects it; the city accepts: revision 2 goes up.
        county = actor("zj-u0", Role.submitter)
        mine = {s.id: s for s in (await node.submissions.mine(UnitNoticesQuery(actor=county))).items}
        assert mine[sent["zj-u0"].id].return_reason.startswith("上级退回：请补充经费预算")
        again = await submit(node, mid, "plan", "zj-u0", "补充了经费预算的方案")
        assert again.revision == 2
        await node.submissions.accept(AcceptSubmission(submission_id=again.id, revision=2, actor=CITY_REVIEWER))
        second = await item(node, top, "plan", "zj-u0", status="submitted", revision=2)
        assert [(r.revision, r.items, r.contributions[0].revision) for r in second.revisions] == [
            (1, [{"text": "zj-u0方案"}], 1),
            (2, [{"text": "补充了经费预算的方案"}], 2),
        ]
        # The province reviews revision 2 like any other.
        done = await node.submissions.accept(AcceptSubmission(submission_id=second.id, revision=2, actor=PROV))
        assert done.status == "accepted"


async def test_a_returned_select_item_frees_its_place_and_goes_up_again_only_corrected(tmp):
    async with fast_node(tmp, clock=FixedClock(NOW)) as node:
        top, mid = await world(node)
        sent = {u: await submit(node, mid, "cases", u, f"{u}案例") for u in COUNTY}
        for unit in COUNTY:
            await node.submissions.accept(
                AcceptSubmission(submission_id=sent[unit].id, revision=1, actor=CITY_REVIEWER)
            )

        def pick(*units: str) -> CompileReport:
            ids = [sent[u].id for u in units]
            return CompileReport(notice_id=mid, ask_id="cases", unit_id=CITY, submission_ids=ids, actor=CITY_REVIEWER)

        await node.submissions.compile_report(pick("zj-u0"))
        with pytest.raises(Invalid) as over:
            await node.submissions.compile_report(pick("zj-u1"))
        assert over.value.code == "over_limit"
        first = await item(node, top, "cases", "zj-u0", status="submitted", revision=1)
        source = await node.submissions.get(SubmissionQuery(submission_id=sent["zj-u0"].id, actor=CITY_REVIEWER))
        assert source.compiled_in is not None and source.compiled_in.upward == "select"

        await node.submissions.return_(
            ReturnSubmission(submission_id=first.id, revision=1, reason="不够典型", actor=PROV)
        )
        await item(node, top, "cases", "zj-u0", status="returned")
        # Returned, it goes up again only corrected; meanwhile its place is free for another.
        with pytest.raises(Conflict) as stale:
            await node.submissions.compile_report(pick("zj-u0"))
        assert stale.value.code == "returned_above" and "退回下级" in stale.value.message
        await until(lambda: _accepted_pick(node, pick("zj-u1")))
        await item(node, top, "cases", "zj-u1", status="submitted", revision=1)
        with pytest.raises(Invalid) as full:  # the limit holds again
            await node.submissions.compile_report(pick("zj-u2"))
        assert full.value.code == "over_limit"

        # 退回下级 → corrected → accepted: picked again it is revision 2 (once the other was returned too).
        await node.submissions.return_down(ReturnDown(submission_id=first.id, actor=CITY_REVIEWER))
        again = await submit(node, mid, "cases", "zj-u0", "更典型的案例")
        await node.submissions.accept(AcceptSubmission(submission_id=again.id, revision=2, actor=CITY_REVIEWER))
        other = await item(node, top, "cases", "zj-u1", status="submitted")
        await node.submissions.return_(ReturnSubmission(submission_id=other.id, revision=1, reason="重复", actor=PROV))
        await item(node, top, "cases", "zj-u1", status="returned")
        await until(lambda: _accepted_pick(node, pick("zj-u0")))
        second = await item(node, top, "cases", "zj-u0", status="submitted", revision=2)
        assert second.revisions[-1].items == [{"text": "更典型的案例"}]


async def _accepted_pick(node, cmd: CompileReport):
    """A pick that may race the release of a returned item's place (the 退回 is applied by a consumer)."""
    try:
        return await node.submissions.compile_report(cmd)
    except Invalid as exc:
        if exc.code != "over_limit":
            raise
        return None
