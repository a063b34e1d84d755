"""报送: a unit submits its items for an ask (a new revision each time); the copy at the issuer's node applies it.

Every state change and its events are one write (the document's outbox), and
every consumer applies a change only if it is ahead of the document
(``domain.applies``), so redeliveries and late copies change nothing.
"""

from shared import file_sync, outbox
from shared.contracts.common import Actor
from shared.contracts.notices import ReadAttachment
from shared.contracts.submissions import SubmissionView, SubmitItems
from shared.errors import Conflict, Invalid, NotFound
from shared.events import PlanSubmitted, ReportCompiled
from shared.schemas import UpwardMode
from shared.scope import act_as, actor_name

from .. import domain, forms
from . import upward
from .deps import Deps, notice_of, revision_doc
from .views import view


async def submit(cmd: SubmitItems, d: Deps) -> SubmissionView:
    act_as(cmd.actor, cmd.unit_id)
    notice = await notice_of(cmd.notice_id, d)
    ask = domain.ask_of(notice, cmd.ask_id)
    sid = domain.expectation_id(cmd.notice_id, cmd.ask_id, cmd.unit_id)
    doc = await d.repo.get(sid)
    if doc is None or doc["unit_node"] != d.node:
        raise NotFound("本单位无需报送这项", field="ask_id", code="not_owed")
    if doc.get("upward") == UpwardMode.direct.value:
        raise Invalid(
            "本单位转发时对这项报送要求选择了直接上报：下级报送采用后即逐项自动上报，不能再报送本单位的内容",
            field="ask_id",
            code="direct_upward",
        )
    revision = domain.can_submit(doc, notice.get("status", "issued"))
    items = forms.check_items(ask, cmd.items)
    await check_files(items, cmd.actor, d)
    now = d.clock.now()
    fact = PlanSubmitted(
        occurred_at=now,
        origin_node=d.node,
        root_notice_id=notice.get("root_notice_id"),
        submission_id=sid,
        notice_id=cmd.notice_id,
        ask_id=cmd.ask_id,
        kind=ask.kind,
        unit_id=cmd.unit_id,
        unit_name=doc["unit_name"],
        unit_node=d.node,
        issuer_node=doc["issuer_node"],
        to_unit_id=doc["to_unit_id"],
        department=doc.get("department"),
        revision=revision,
        items=items,
        late=domain.is_late(now, doc["deadline"]),
        submitted_by=actor_name(cmd.actor),
        submitted_at=now,
    )
    return await record_submission(doc, fact, d, compiled=False)


async def record_submission(
    doc: dict, fact: PlanSubmitted | ReportCompiled, d: Deps, *, compiled: bool
) -> SubmissionView:
    """Insert the new revision carrying its events (outbox), move the submission to it, then publish.

    The events travel in the revision, not in the submission document, so that
    document stays small (FerretDB updates cost in proportion to it). The
    revision's deterministic ``_id`` makes a concurrent submit of the same
    revision a conflict; a crash after the insert loses nothing, since the
    events published at start-up move the submission when consumed here.
    """
    pending = outbox.entries((fact, None), *((fact, n) for n in d.copy_to(doc["issuer_node"])))
    revision = {**_revision_from(fact), outbox.FIELD: pending}
    if not await d.repo.add_revision(revision):
        raise Conflict("该项刚被他人报送，请刷新后重试", field="ask_id", code="concurrent_change")
    by = fact.submitted_by if isinstance(fact, PlanSubmitted) else fact.compiled_by
    at = fact.submitted_at if isinstance(fact, PlanSubmitted) else fact.compiled_at
    fields = domain.submitted_fields(
        revision=fact.revision, at=at, by=by, late=fact.late, items=len(fact.items), compiled=compiled
    )
    updated = await d.repo.advance(doc["_id"], fact.revision, domain.SUBMITTED, fields) or await d.repo.get(doc["_id"])
    await d.repo.flush(d.repo.revisions, revision["_id"], pending)
    assert updated is not None  # the submission was read above, and submissions are never deleted
    return view(updated, [revision])


def _revision_from(fact: PlanSubmitted | ReportCompiled) -> dict:
    if isinstance(fact, ReportCompiled):
        return revision_doc(
            fact.submission_id,
            fact.revision,
            fact.items,
            at=fact.compiled_at,
            by=fact.compiled_by,
            event_id=fact.event_id,
            late=fact.late,
            contributions=[c.model_dump(mode="python") for c in fact.contributions],
            note=fact.note,
            source_notice_id=fact.source_notice_id,
        )
    return revision_doc(
        fact.submission_id,
        fact.revision,
        fact.items,
        at=fact.submitted_at,
        by=fact.submitted_by,
        event_id=fact.event_id,
        late=fact.late,
    )


async def check_files(items: list[dict], actor: Actor | None, d: Deps, field: str = "items") -> None:
    """Files named in the items must have been uploaded here by the submitting unit, with that content."""
    for where, att in forms.attachments_in(items, field):
        try:
            meta = await d.notices.read_attachment(ReadAttachment(attachment_id=att["attachment_id"], actor=actor))
        except NotFound:
            meta = None
        if meta is None or meta.sha256 != att["sha256"] or meta.size != att["size"]:
            raise Invalid(f"文件不存在或未上传完成：{att['filename']}", field=where, code="unknown_attachment")


async def on_submitted(event: PlanSubmitted, d: Deps) -> None:
    """The submitter's own fact (already applied) or its copy at the issuer's node (applied now)."""
    await _apply_submission(event, d, compiled=False)


async def on_compiled(event: ReportCompiled, d: Deps) -> None:
    """A level's 汇总 arriving upstream is that unit's submission on the upstream notice."""
    await _apply_submission(event, d, compiled=True)


async def _apply_submission(event: PlanSubmitted | ReportCompiled, d: Deps, *, compiled: bool) -> None:
    # The submitter's own fact comes back here applied already (its revision, any items reserved, files where
    # they were made): one read says so, where the writes below would each find nothing to change.
    if not domain.applies(await d.repo.get(event.submission_id), event.revision, domain.SUBMITTED):
        return
    await d.repo.add_revision(_revision_from(event))
    # The files it names were uploaded where it was made: ask that node for them (shared/file_sync.py).
    await file_sync.want(
        d.svc, d.blobs, [att for _, att in forms.attachments_in(event.items)], event.origin_node, d.clock.now()
    )
    by = event.submitted_by if isinstance(event, PlanSubmitted) else event.compiled_by
    at = event.submitted_at if isinstance(event, PlanSubmitted) else event.compiled_at
    fields = domain.submitted_fields(
        revision=event.revision, at=at, by=by, late=event.late, items=len(event.items), compiled=compiled
    )
    base = {
        "_id": event.submission_id,
        "notice_id": event.notice_id,
        "ask_id": event.ask_id,
        "ask_kind": event.kind.value,
        "unit_id": event.unit_id,
        "unit_name": event.unit_name,
        "unit_node": event.unit_node,
        "issuer_node": event.issuer_node,
        "to_unit_id": event.to_unit_id,
        "department": event.department,
        "queue": domain.queue_of(event.department),
        "deadline": at,
        "doc_number": "",
        "title": "",
        "ask_title": "",
    }
    notice = await d.repo.get_notice(event.notice_id)
    if notice is not None:  # a copy whose expectation this node never made: named as the notice names it
        ask = next((a for a in notice.get("asks", []) if a["ask_id"] == event.ask_id), None)
        base |= {
            "doc_number": notice["doc_number"],
            "title": notice["title"],
            "ask_title": (ask or {}).get("title", ""),
        }
        if ask is not None:
            base["deadline"] = ask["deadline"]
    if isinstance(event, ReportCompiled) and (item := upward.item_fields(event)):
        # An item sent up by itself (直接上报/择优上报): it answers its level's own submission here too.
        base |= item
        await d.repo.reserve_items(
            item["parent_submission_id"], [item["source_unit_id"]], limit=None, mode=item["upward"]
        )
    await d.repo.advance(event.submission_id, event.revision, domain.SUBMITTED, fields, base=base)
