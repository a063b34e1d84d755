"""Notices arriving, corrected or withdrawn: what each recipient owes, by when, and the reminders to send."""

from shared.events import NoticeCorrected, NoticeForwarded, NoticeIssued, NoticeWithdrawn
from shared.schemas import Ask

from .. import domain
from .deps import Deps


async def on_notice(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """Schedule what each recipient owes, by when; the issuer's node also schedules the reminders."""
    notice = event.notice
    await d.repo.remember_notice(domain.notice_record(notice, event.origin_node))
    await d.repo.expect(domain.expectations(notice, d.node, event.origin_node))
    if domain.keeps_all(event.origin_node, d.node) and event.part == 1:
        await d.repo.schedule_asks([schedule_doc(notice.notice_id, a) for a in notice.asks])


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
