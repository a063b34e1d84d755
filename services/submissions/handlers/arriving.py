"""Notices arriving, corrected or withdrawn: what each recipient owes, by when, and the reminders to send."""

from shared.events import NoticeCorrected, NoticeForwarded, NoticeIssued, NoticeWithdrawn
from shared.schemas import Ask, NoticeSnapshot, UpwardMode

from .. import domain
from .deps import Deps


async def on_notice(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """Schedule what each recipient owes, by when; the issuer's node also schedules the reminders."""
    notice = event.notice
    await d.repo.remember_notice(domain.notice_record(notice, event.origin_node))
    await d.repo.expect(domain.expectations(notice, d.node, event.origin_node))
    if domain.keeps_all(event.origin_node, d.node) and event.part == 1:
        await d.repo.schedule_asks([schedule_doc(notice.notice_id, a) for a in notice.asks])
    if isinstance(event, NoticeForwarded) and event.part == 1:
        await mark_upward(notice, d)


async def mark_upward(notice: NoticeSnapshot, d: Deps) -> None:
    """A 转发 that sends an ask up by items (直接上报/择优上报): each forwarder's own submission upstream, kept
    here, says so, so the forwarder is not asked for an answer of its own as well (submitting.submit)."""
    if not notice.parent_notice_id:
        return
    for ask_id, policy in notice.upward.items():
        if policy.mode == UpwardMode.compile:
            continue
        for issuer in notice.issuers:
            sid = domain.expectation_id(notice.parent_notice_id, ask_id, issuer.unit_id)
            target = await d.repo.get(sid)
            if target is not None and target["unit_node"] == d.node and not target.get("upward"):
                await d.repo.set_fields(sid, {"upward": policy.mode.value})


def schedule_doc(notice_id: str, ask: Ask) -> dict:
    return {
        "_id": f"{notice_id}:{ask.ask_id}",
        "notice_id": notice_id,
        "ask_id": ask.ask_id,
        "deadline": ask.deadline,
        "sent": [],
        "done": False,
    }


async def on_corrected(event: NoticeCorrected, d: Deps) -> None:
    """A 更正 may move deadlines or change the forms: later submissions are checked against the new asks."""
    notice = event.notice
    record = domain.notice_record(notice, event.origin_node)
    changed = await d.repo.update_notice(
        notice.notice_id,
        {k: record[k] for k in ("title", "asks", "revision")} | {"status": "corrected"},
        revision=notice.revision,
    )
    await d.repo.expect(domain.expectations(notice, d.node, event.origin_node))  # asks added by the 更正
    if not changed or event.part != 1:
        return
    for ask in notice.asks:
        await d.repo.update_for_notice(notice.notice_id, {"deadline": ask.deadline, "title": notice.title}, ask.ask_id)
        if domain.keeps_all(event.origin_node, d.node):
            await d.repo.schedule_asks([schedule_doc(notice.notice_id, ask)])
            await d.repo.reschedule(notice.notice_id, {"deadline": ask.deadline, "sent": [], "done": False}, ask.ask_id)


async def on_withdrawn(event: NoticeWithdrawn, d: Deps) -> None:
    """Nothing more can be submitted, and nobody is reminded of a withdrawn notice."""
    await d.repo.update_notice(event.notice_id, {"status": "withdrawn"})
    await d.repo.update_for_notice(event.notice_id, {"notice_status": "withdrawn"})
    await d.repo.reschedule(event.notice_id, {"done": True})
