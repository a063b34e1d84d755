"""Drafts, 签发 and 会签 through the notices contract with no server: a joint notice goes through a draft the
lead's 签发人 and the co-issuer's sign; a refusal sends it back; each state change happens once."""

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.clock import FixedClock
from shared.contracts.common import Actor, NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import (
    ApproveDraft,
    CreateDraft,
    DraftQuery,
    DraftsQuery,
    ForwardDraft,
    ForwardNotice,
    IssueNotice,
    NoticeDraft,
    RejectDraft,
    SubmitDraft,
    UpdateDraft,
    UpsertUnit,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.schemas import Role, UnitKind

from .conftest import fast_node

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)  # 09:00 in Beijing


def actor(unit_id: str, *roles: Role, name: str | None = None) -> Actor:
    return Actor(user_id=f"u-{unit_id}", display_name=name or f"{unit_id}经办人", unit_id=unit_id, roles=list(roles))


async def directory(node, *, requires_signing: bool = False) -> None:
    await node.notices.upsert_unit(
        UpsertUnit(unit_id="wn-kx", name="渭南市科学技术协会", kind=UnitKind.kexie, requires_signing=requires_signing)
    )
    await node.notices.upsert_unit(UpsertUnit(unit_id="wn-kjj", name="渭南市科学技术局", kind=UnitKind.keji))
    for i in range(3):
        await node.notices.upsert_unit(
            UpsertUnit(unit_id=f"wn-u{i}", name=f"渭南第{i}学会", kind=UnitKind.society, parent_id="wn-kx")
        )


def joint(**changes) -> NoticeDraft:
    fields = {
        "title": "关于开展2026年“全国科技工作者日”活动的通知",
        "issuer_unit_ids": ["wn-kx", "wn-kjj"],
        "recipient_unit_ids": ["wn-u0", "wn-u1", "wn-u2"],
        "body": "请各单位认真组织。",
    }
    return NoticeDraft(**{**fields, **changes})


DRAFTER = actor("wn-kx", Role.issuer, name="白茹")
SIGNER = actor("wn-kx", Role.signer, name="张主任")
CO_SIGNER = actor("wn-kjj", Role.signer, name="李局长")


async def test_a_joint_notice_is_issued_once_the_lead_and_the_co_issuer_have_signed(tmp):
    clock = FixedClock(NOW)
    async with fast_node(tmp, services=("notices",), clock=clock) as node:
        await directory(node)
        # Naming a co-issuer no longer issues at once: the co-issuer has not agreed.
        with pytest.raises(Conflict) as refused:
            await node.notices.issue(IssueNotice(**joint().model_dump(exclude={"actor"}), actor=DRAFTER))
        assert refused.value.code == "cosign_required" and refused.value.field == "issuer_unit_ids.1"

        draft = await node.notices.create_draft(CreateDraft(notice=joint(), actor=DRAFTER))
        assert (draft.status, draft.round, draft.doc_number, draft.notice_id) == ("draft", 0, "", None)
        assert draft.preview.recipient_count == 3 and draft.viewer.can_edit
        submitted = await node.notices.submit_draft(SubmitDraft(draft_id=draft.id, actor=DRAFTER))
        assert submitted.status == "submitted" and [s.unit_id for s in submitted.signatures] == ["wn-kx", "wn-kjj"]
        with pytest.raises(Conflict):  # with its 签发人 now: the drafter cannot change it
            await node.notices.update_draft(UpdateDraft(draft_id=draft.id, notice=joint(body="改"), actor=DRAFTER))

        pending = await node.notices.drafts(DraftsQuery(box="pending", actor=CO_SIGNER))
        assert [(r.id, r.lead, r.status) for r in pending.items] == [(draft.id, False, "pending")]
        with pytest.raises(Forbidden):  # a drafter is no 签发人
            await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, actor=DRAFTER))
        with pytest.raises(NotFound):  # nothing asked of this unit
            await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, actor=actor("wn-u0", Role.signer)))

        clock.advance(timedelta(hours=2))
        signed = await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, comment="同意", actor=SIGNER))
        assert signed.status == "submitted" and signed.signatures[0].status == "signed"
        with pytest.raises(Conflict):  # the same unit signs once
            await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, actor=SIGNER))

        clock.advance(timedelta(days=1))
        done = await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, comment="会签同意", actor=CO_SIGNER))
        assert done.status == "issued" and done.doc_number and done.notice_id == draft.id
        assert done.signed_by == "张主任" and done.signed_on == date(2026, 3, 3)  # the last signature's day

        notice = await node.notices.get(NoticeQuery(notice_id=draft.id, actor=DRAFTER))
        assert notice.signed_by == "张主任" and notice.signed_on == date(2026, 3, 3)
        assert [(s.unit_id, s.signed_by, s.lead) for s in notice.signatures] == [
            ("wn-kx", "张主任", True),
            ("wn-kjj", "李局长", False),
        ]
        assert notice.issued_by == "白茹"
        sent = await node.notices.sent(UnitNoticesQuery(actor=DRAFTER))
        assert [n.id for n in sent.items] == [draft.id]
        assert (await node.notices.drafts(DraftsQuery(box="pending", actor=CO_SIGNER))).items == []
        decided = await node.notices.drafts(DraftsQuery(box="decided", actor=CO_SIGNER))
        assert [(r.status, r.doc_number) for r in decided.items] == [("signed", done.doc_number)]


async def test_a_refusal_returns_the_draft_with_the_reason_and_a_new_round_starts_over(tmp):
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        await directory(node, requires_signing=True)
        alone = joint(issuer_unit_ids=["wn-kx"])
        with pytest.raises(Conflict) as refused:  # the unit requires 签发
            await node.notices.issue(IssueNotice(**alone.model_dump(exclude={"actor"}), actor=DRAFTER))
        assert refused.value.code == "signing_required"

        draft = await node.notices.create_draft(CreateDraft(notice=joint(), actor=DRAFTER))
        await node.notices.submit_draft(SubmitDraft(draft_id=draft.id, actor=DRAFTER))
        await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, actor=SIGNER))
        with pytest.raises(Invalid) as no_reason:
            await node.notices.reject_draft(RejectDraft(draft_id=draft.id, reason="  ", actor=CO_SIGNER))
        assert no_reason.value.field == "reason"
        back = await node.notices.reject_draft(RejectDraft(draft_id=draft.id, reason="请补充报送要求", actor=CO_SIGNER))
        assert back.status == "returned"
        mine = await node.notices.get_draft(DraftQuery(draft_id=draft.id, actor=DRAFTER))
        assert mine.returned.comment == "请补充报送要求" and mine.returned.unit_name == "渭南市科学技术局"
        assert mine.viewer.can_edit

        edited = await node.notices.update_draft(
            UpdateDraft(draft_id=draft.id, notice=joint(body="已补充。"), version=mine.version, actor=DRAFTER)
        )
        assert edited.version == mine.version + 1 and edited.status == "returned"
        again = await node.notices.submit_draft(SubmitDraft(draft_id=draft.id, actor=DRAFTER))
        assert again.round == 2 and all(s.status == "pending" for s in again.signatures)
        for who in (CO_SIGNER, SIGNER):
            last = await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, actor=who))
        assert last.status == "issued" and last.signed_by == "张主任"


async def test_a_draft_is_checked_as_issuing_would_check_it(tmp):
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        await directory(node)
        with pytest.raises(Invalid) as unknown:
            await node.notices.create_draft(
                CreateDraft(notice=joint(issuer_unit_ids=["wn-kx", "nobody"]), actor=DRAFTER)
            )
        assert unknown.value.field == "notice.issuer_unit_ids.1"
        with pytest.raises(Forbidden):  # another unit's name as the lead
            await node.notices.create_draft(CreateDraft(notice=joint(), actor=actor("wn-kjj", Role.issuer)))
        draft = await node.notices.create_draft(CreateDraft(notice=joint(recipient_unit_ids=[]), actor=DRAFTER))
        with pytest.raises(Invalid) as empty:
            await node.notices.submit_draft(SubmitDraft(draft_id=draft.id, actor=DRAFTER))
        assert empty.value.field == "notice.recipient_unit_ids"
        with pytest.raises(NotFound):  # another unit's draft does not exist for it
            await node.notices.get_draft(DraftQuery(draft_id=draft.id, actor=actor("wn-u0", Role.issuer)))
        mine = await node.notices.drafts(DraftsQuery(actor=DRAFTER))
        assert [(r.id, r.status) for r in mine.items] == [(draft.id, "draft")]


async def test_a_taken_doc_number_is_refused_before_anyone_is_asked_to_sign(tmp):
    """A 文号 the lead has used already: refused with the notice's mistakes (issued at once or saved as a draft),
    not found only when the last signature issues it."""
    async with fast_node(tmp, services=("notices",), clock=FixedClock(NOW)) as node:
        await directory(node)
        alone = joint(issuer_unit_ids=["wn-kx"], doc_number="渭科协发〔2026〕5号")
        first = await node.notices.issue(IssueNotice(**alone.model_dump(exclude={"actor"}), actor=DRAFTER))
        assert first.doc_number == "渭科协发〔2026〕5号"

        taken = joint(doc_number="渭科协发〔2026〕5号")
        with pytest.raises(Conflict) as at_once:  # a joint notice: its 会签 is not what is wrong with it
            await node.notices.issue(IssueNotice(**taken.model_dump(exclude={"actor"}), actor=DRAFTER))
        assert (at_once.value.code, at_once.value.field) == ("duplicate_doc_number", "doc_number")
        with pytest.raises(Conflict) as saved:
            await node.notices.create_draft(CreateDraft(notice=taken, actor=DRAFTER))
        assert (saved.value.code, saved.value.field) == ("duplicate_doc_number", "notice.doc_number")

        draft = await node.notices.create_draft(CreateDraft(notice=joint(), actor=DRAFTER))
        with pytest.raises(Conflict) as edited:
            await node.notices.update_draft(UpdateDraft(draft_id=draft.id, notice=taken, actor=DRAFTER))
        assert edited.value.field == "notice.doc_number"
        # Another unit's 文号 of the same text is its own.
        kjj = joint(issuer_unit_ids=["wn-kjj"], doc_number="渭科协发〔2026〕5号")
        other = await node.notices.issue(
            IssueNotice(**kjj.model_dump(exclude={"actor"}), actor=actor("wn-kjj", Role.issuer))
        )
        assert other.doc_number == "渭科协发〔2026〕5号"


# ---------------------------------------------------------------- a joint 转发


async def upstream_notice(node) -> str:
    """陕西省科协's notice to 渭南市科协 and 科技局, to be forwarded jointly."""
    await node.notices.upsert_unit(UpsertUnit(unit_id="sn-kx", name="陕西省科学技术协会", kind=UnitKind.kexie))
    top = await node.notices.issue(
        IssueNotice(
            title="关于开展2026年“全国科技工作者日”活动的通知",
            issuer_unit_ids=["sn-kx"],
            recipient_unit_ids=["wn-kx", "wn-kjj"],
            actor=actor("sn-kx", Role.issuer),
        )
    )
    return top.notice_id


def joint_forward(notice_id: str, **changes) -> dict:
    fields = {
        "notice_id": notice_id,
        "unit_id": "wn-kx",
        "co_issuer_unit_ids": ["wn-kjj"],
        "recipient_unit_ids": ["wn-u0", "wn-u1"],
        "cover_note": "现将通知转发给你们，请认真组织实施。",
    }
    return {**fields, **changes}


async def test_a_joint_forward_needs_the_co_forwarders_cosign_and_one_refusal_returns_it(tmp):
    clock = FixedClock(NOW)
    async with fast_node(tmp, services=("notices",), clock=clock) as node:
        await directory(node)
        top = await upstream_notice(node)
        # Naming a co-forwarder no longer forwards at once: the 科技局 has not agreed. Nothing is forwarded.
        with pytest.raises(Conflict) as refused:
            await node.notices.forward(ForwardNotice(**joint_forward(top), actor=DRAFTER))
        assert (refused.value.code, refused.value.field) == ("cosign_required", "co_issuer_unit_ids.0")
        assert "渭南市科学技术局" in refused.value.message and "会签" in refused.value.message
        assert "请先拟稿" in refused.value.message
        assert (await node.notices.sent(UnitNoticesQuery(actor=DRAFTER))).items == []
        with pytest.raises(Invalid) as unknown:  # a draft is checked as the 转发 would be, under ``forward.``
            await node.notices.create_draft(
                CreateDraft(forward=ForwardDraft(**joint_forward(top, co_issuer_unit_ids=["nobody"])), actor=DRAFTER)
            )
        assert unknown.value.field == "forward.co_issuer_unit_ids.0"
        with pytest.raises(Invalid) as policy:  # the 上报方式 too, not only once it is signed and made
            bad = joint_forward(top, upward={"nosuch": {"mode": "direct"}})
            await node.notices.create_draft(CreateDraft(forward=ForwardDraft(**bad), actor=DRAFTER))
        assert (policy.value.field, policy.value.code) == ("forward.upward.nosuch", "unknown_ask")

        draft = await node.notices.create_draft(CreateDraft(forward=ForwardDraft(**joint_forward(top)), actor=DRAFTER))
        assert draft.kind == "forward" and [u.unit_id for u in draft.preview.issuers] == ["wn-kx", "wn-kjj"]
        assert draft.preview.upstream is not None and draft.preview.upstream.notice_id == top
        submitted = await node.notices.submit_draft(SubmitDraft(draft_id=draft.id, actor=DRAFTER))
        assert [(s.unit_id, s.lead) for s in submitted.signatures] == [("wn-kx", True), ("wn-kjj", False)]
        pending = await node.notices.drafts(DraftsQuery(box="pending", actor=CO_SIGNER))
        assert [(r.id, r.kind, r.lead) for r in pending.items] == [(draft.id, "forward", False)]

        # Round 1: the lead signs, the co-forwarder refuses: the draft goes back with the reason, not forwarded.
        await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, actor=SIGNER))
        back = await node.notices.reject_draft(
            RejectDraft(draft_id=draft.id, reason="请写明科技局承办的内容", actor=CO_SIGNER)
        )
        assert back.status == "returned"
        mine = await node.notices.get_draft(DraftQuery(draft_id=draft.id, actor=DRAFTER))
        assert mine.returned.comment == "请写明科技局承办的内容" and mine.returned.unit_name == "渭南市科学技术局"
        assert mine.viewer.can_edit and mine.notice_id is None
        assert (await node.notices.sent(UnitNoticesQuery(actor=DRAFTER))).items == []

        # Round 2: edited and sent again; both sign, the 科技局 a day later: the 转发 is made, under the draft's id.
        edited = ForwardDraft(**joint_forward(top, cover_note="现将通知转发给你们，科技局承办科技人才活动。"))
        await node.notices.update_draft(UpdateDraft(draft_id=draft.id, forward=edited, actor=DRAFTER))
        again = await node.notices.submit_draft(SubmitDraft(draft_id=draft.id, actor=DRAFTER))
        assert again.round == 2
        await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, comment="同意", actor=SIGNER))
        clock.advance(timedelta(days=1))
        done = await node.notices.approve_draft(ApproveDraft(draft_id=draft.id, comment="会签同意", actor=CO_SIGNER))
        assert done.status == "issued" and done.notice_id == draft.id and done.doc_number
        assert done.signed_by == "张主任" and done.signed_on == date(2026, 3, 3)  # the last signature's day

        forwarded = await node.notices.get(NoticeQuery(notice_id=draft.id, actor=DRAFTER))
        assert forwarded.kind == "forwarded" and forwarded.parent_notice_id == top
        assert forwarded.cover_note == "现将通知转发给你们，科技局承办科技人才活动。"
        assert [u.unit_id for u in forwarded.issuers] == ["wn-kx", "wn-kjj"]
        assert [(s.unit_id, s.signed_by, s.lead, s.comment) for s in forwarded.signatures] == [
            ("wn-kx", "张主任", True, "同意"),
            ("wn-kjj", "李局长", False, "会签同意"),
        ]
        assert forwarded.signed_on == date(2026, 3, 3)
        # The co-forwarder sees it done (已转发) in its 收文, as a joint 转发 made at once would show.
        inbox = await node.notices.inbox(UnitNoticesQuery(actor=actor("wn-kjj", Role.issuer)))
        [entry] = [e for e in inbox.items if e.notice_id == top]
        assert draft.id in entry.forwarded
        below = await node.notices.inbox(UnitNoticesQuery(actor=actor("wn-u0", Role.submitter)))
        assert [e.notice_id for e in below.items] == [draft.id]
