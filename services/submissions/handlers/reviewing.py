"""审核: the unit a submission is routed to accepts (采用) or returns (退回) its latest revision, and 评选 commends
accepted ones; the decision travels back to the submitter's node."""

from shared import outbox
from shared.contracts.common import Actor
from shared.contracts.submissions import AcceptSubmission, CommendSubmission, ReturnSubmission, SubmissionView
from shared.errors import Conflict, NotFound
from shared.events import SubmissionAccepted, SubmissionReturned, SubmissionReviewed
from shared.scope import actor_name

from .. import domain
from . import upward
from .deps import Deps, reviews
from .views import view


async def accept(cmd: AcceptSubmission, d: Deps) -> SubmissionView:
    doc = await _to_review(cmd.submission_id, cmd.actor, cmd.revision, d)
    fact = SubmissionAccepted(**_review_fields(doc, cmd.revision, cmd.actor, d))
    return await _record_review(doc, fact, "accepted", d)


async def return_(cmd: ReturnSubmission, d: Deps) -> SubmissionView:
    doc = await _to_review(cmd.submission_id, cmd.actor, cmd.revision, d)
    fact = SubmissionReturned(**_review_fields(doc, cmd.revision, cmd.actor, d), reason=cmd.reason)
    return await _record_review(doc, fact, "returned", d, reason=cmd.reason)


async def _to_review(submission_id: str, actor: Actor | None, revision: int, d: Deps) -> dict:
    doc = await d.repo.get(submission_id)
    if doc is None or not reviews(actor, doc, d.node):
        raise NotFound("没有送交本单位审核的这项报送", field="submission_id")
    domain.check_review(doc, revision)
    return doc


def _review_fields(doc: dict, revision: int, actor: Actor | None, d: Deps) -> dict:
    now = d.clock.now()
    return dict(
        occurred_at=now,
        origin_node=d.node,
        submission_id=doc["_id"],
        notice_id=doc["notice_id"],
        ask_id=doc["ask_id"],
        unit_id=doc["unit_id"],
        to_unit_id=doc["to_unit_id"],
        revision=revision,
        reviewed_by=actor_name(actor),
        reviewed_at=now,
    )


async def _record_review(
    doc: dict, fact: SubmissionReviewed, status: str, d: Deps, reason: str | None = None
) -> SubmissionView:
    pending = outbox.entries((fact, None), *((fact, n) for n in d.copy_to(doc["unit_node"])))
    fields = domain.reviewed_fields(
        status=status, revision=fact.revision, at=fact.reviewed_at, by=fact.reviewed_by, reason=reason
    )
    updated = await d.repo.advance(doc["_id"], fact.revision, domain.REVIEWED, fields, events=pending)
    if updated is None:
        raise Conflict("该项刚被他人审核或重新报送，请刷新后重试", field="revision", code="concurrent_change")
    await d.repo.flush(d.repo.expected, doc["_id"], pending)
    return view(updated)


async def commend(cmd: CommendSubmission, d: Deps) -> SubmissionView:
    """评选 an accepted submission for the 通报表扬, or take it back; only the unit it is routed to, here."""
    doc = await d.repo.get(cmd.submission_id)
    if doc is None or not reviews(cmd.actor, doc, d.node):
        raise NotFound("没有送交本单位审核的这项报送", field="submission_id")
    if doc["status"] != "accepted":
        raise Conflict("只能评选已采用的报送", field="submission_id", code="not_accepted")
    mark = None
    if cmd.category is not None:
        mark = {
            "category": cmd.category.value,
            "note": cmd.note.strip(),
            "by": actor_name(cmd.actor),
            "at": d.clock.now(),
        }
    await d.repo.set_fields(doc["_id"], {"commendation": mark, "commended": mark is not None})
    return view({**doc, "commendation": mark})


async def on_reviewed(event: SubmissionReviewed, d: Deps) -> None:
    if isinstance(event, SubmissionReturned) and event.reopened:  # 退回下级: after the acceptance it reopens
        fields = domain.reopened_fields(
            revision=event.revision, at=event.reviewed_at, by=event.reviewed_by, reason=event.reason
        )
        await d.repo.advance(event.submission_id, event.revision, domain.REOPENED, fields)
        return
    status = "accepted" if isinstance(event, SubmissionAccepted) else "returned"
    fields = domain.reviewed_fields(
        status=status,
        revision=event.revision,
        at=event.reviewed_at,
        by=event.reviewed_by,
        reason=getattr(event, "reason", None),
    )
    # The reviewer's own decision comes back here applied already: one read says so.
    if domain.applies(await d.repo.get(event.submission_id), event.revision, domain.REVIEWED):
        await d.repo.advance(event.submission_id, event.revision, domain.REVIEWED, fields)
    if isinstance(event, SubmissionAccepted):
        await upward.on_accepted(event, d)  # 直接上报: accepted here, it goes up by itself
    elif isinstance(event, SubmissionReturned):
        await upward.on_returned(event, d)  # an item returned from above no longer counts against 择优上报
