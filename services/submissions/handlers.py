"""Submissions' use cases: 报送, 审核 (采用/退回), 汇总, 催办, and the automatic reminders.

Where things happen: a unit submits on the node that hosts it; the
submission is reviewed on the node of the notice's issuer (its ``issuer_node``),
which gets a copy. Review decisions travel back the same way. A 汇总 is the
compiling unit's own submission on the upstream notice, so it travels up
like any other. Every state change and its events are one write (the
document's outbox), and every consumer applies a change only if it is ahead
of the document (``domain.applies``), so redeliveries and late copies change
nothing.

Scope: the actor's unit submits only for itself, and sees a submission if it
is its own or if it is routed to it and the actor reviews.
"""

from dataclasses import dataclass

from shared import file_sync, outbox
from shared.blobs import BlobStore
from shared.bus import BusCaller
from shared.clock import Clock
from shared.contracts.notices import Notices, ReadAttachment
from shared.contracts.common import Actor, UnitNoticesQuery
from shared.commands import (
    AcceptSubmission,
    ChaseSubmissions,
    CommendSubmission,
    CompileReport,
    ReturnSubmission,
    ReviewQuery,
    SubmissionQuery,
    SubmissionTableQuery,
    SubmitItems,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import (
    DeadlineApproaching,
    DeadlineMissed,
    NoticeCorrected,
    NoticeForwarded,
    NoticeIssued,
    NoticeWithdrawn,
    PlanSubmitted,
    ReportCompiled,
    SubmissionAccepted,
    SubmissionReturned,
    SubmissionReviewed,
)
from shared.ids import new_id
from shared.paging import Page, page_of
from shared.schemas import Ask, Contribution, Role
from shared.scope import act_as, actor_name
from shared.service import Service
from shared.settings import SubmissionsSettings
from shared.storage import public

from . import domain, forms
from .repository import SubmissionsRepository, revision_id


@dataclass
class Deps:
    svc: Service
    repo: SubmissionsRepository
    settings: SubmissionsSettings
    clock: Clock
    blobs: BlobStore

    @property
    def node(self) -> str:
        return self.settings.node_id

    def copy_to(self, node: str | None) -> list[str]:
        """The other node an event must also reach, if it is one this node is linked to."""
        return [node] if node and node != self.node and node in self.settings.linked_nodes else []

    @property
    def notices(self) -> Notices:
        """The notices service of this node, which keeps the files (attachments are uploaded there)."""
        return Notices(BusCaller(self.svc.broker, self.node))


def reviews(actor: Actor | None, doc: dict, node: str) -> bool:
    """The actor reviews this submission: it is routed to the actor's unit, here, and the actor holds the role."""
    if actor is None:
        return True
    return (doc["to_unit_id"] == actor.unit_id and Role.reviewer in actor.roles
            and doc.get("issuer_node") == node)


def visible(actor: Actor | None, doc: dict | None, node: str) -> dict:
    if doc is None or not (actor is None or doc["unit_id"] == actor.unit_id or reviews(actor, doc, node)):
        raise NotFound("报送不存在", field="submission_id")
    return doc


async def notice_of(notice_id: str, d: Deps) -> dict:
    doc = await d.repo.get_notice(notice_id)
    if doc is None:
        raise NotFound("通知不存在", field="notice_id")
    return doc


def revision_doc(submission_id: str, revision: int, items: list[dict], *, at, by: str, event_id: str,
                 late: bool, contributions: list[dict] = (), note: str = "", source_notice_id: str | None = None) -> dict:
    return {"_id": revision_id(submission_id, revision), "submission_id": submission_id, "revision": revision,
            "items": items, "submitted_at": at, "submitted_by": by, "event_id": event_id, "late": late,
            "contributions": list(contributions), "note": note, "source_notice_id": source_notice_id}


# ---------------------------------------------------------------- notices arriving


async def on_notice(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """Schedule what each recipient owes, by when; the issuer's node also schedules the reminders."""
    notice = event.notice
    await d.repo.remember_notice(domain.notice_record(notice, event.origin_node))
    await d.repo.expect(domain.expectations(notice, d.node, event.origin_node))
    if domain.keeps_all(event.origin_node, d.node) and event.part == 1:
        await d.repo.schedule_asks([schedule_doc(notice.notice_id, a) for a in notice.asks])


def schedule_doc(notice_id: str, ask: Ask) -> dict:
    return {"_id": f"{notice_id}:{ask.ask_id}", "notice_id": notice_id, "ask_id": ask.ask_id,
            "deadline": ask.deadline, "sent": [], "done": False}


async def on_corrected(event: NoticeCorrected, d: Deps) -> None:
    """A 更正 may move deadlines or change the forms: later submissions are checked against the new asks."""
    notice = event.notice
    record = domain.notice_record(notice, event.origin_node)
    changed = await d.repo.update_notice(
        notice.notice_id, {k: record[k] for k in ("title", "asks", "revision")} | {"status": "corrected"},
        revision=notice.revision,
    )
    await d.repo.expect(domain.expectations(notice, d.node, event.origin_node))  # asks added by the 更正
    if not changed or event.part != 1:
        return
    for ask in notice.asks:
        await d.repo.update_for_notice(notice.notice_id, {"deadline": ask.deadline, "title": notice.title},
                                       ask.ask_id)
        if domain.keeps_all(event.origin_node, d.node):
            await d.repo.schedule_asks([schedule_doc(notice.notice_id, ask)])
            await d.repo.reschedule(notice.notice_id, {"deadline": ask.deadline, "sent": [], "done": False},
                                    ask.ask_id)


async def on_withdrawn(event: NoticeWithdrawn, d: Deps) -> None:
    """Nothing more can be submitted, and nobody is reminded of a withdrawn notice."""
    await d.repo.update_notice(event.notice_id, {"status": "withdrawn"})
    await d.repo.update_for_notice(event.notice_id, {"notice_status": "withdrawn"})
    await d.repo.reschedule(event.notice_id, {"done": True})


# ---------------------------------------------------------------- 报送


async def submit(cmd: SubmitItems, d: Deps) -> dict:
    act_as(cmd.actor, cmd.unit_id)
    notice = await notice_of(cmd.notice_id, d)
    ask = domain.ask_of(notice, cmd.ask_id)
    sid = domain.expectation_id(cmd.notice_id, cmd.ask_id, cmd.unit_id)
    doc = await d.repo.get(sid)
    if doc is None or doc["unit_node"] != d.node:
        raise NotFound("本单位无需报送这项", field="ask_id", code="not_owed")
    revision = domain.can_submit(doc, notice.get("status", "issued"))
    items = forms.check_items(ask, cmd.items)
    await check_files(items, cmd.actor, d)
    now = d.clock.now()
    fact = PlanSubmitted(
        occurred_at=now, origin_node=d.node, root_notice_id=notice.get("root_notice_id"), submission_id=sid,
        notice_id=cmd.notice_id, ask_id=cmd.ask_id, kind=ask.kind, unit_id=cmd.unit_id, unit_name=doc["unit_name"],
        unit_node=d.node, issuer_node=doc["issuer_node"], to_unit_id=doc["to_unit_id"],
        department=doc.get("department"), revision=revision, items=items,
        late=domain.is_late(now, doc["deadline"]), submitted_by=actor_name(cmd.actor), submitted_at=now,
    )
    return await _record_submission(doc, fact, d, compiled=False)


async def _record_submission(doc: dict, fact: PlanSubmitted | ReportCompiled, d: Deps, *, compiled: bool) -> dict:
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
    fields = domain.submitted_fields(revision=fact.revision, at=at, by=by, late=fact.late, items=len(fact.items),
                                     compiled=compiled)
    updated = await d.repo.advance(doc["_id"], fact.revision, domain.SUBMITTED, fields) or await d.repo.get(doc["_id"])
    await d.repo.flush(d.repo.revisions, revision["_id"], pending)
    return view(updated, [revision])


def _revision_from(fact: PlanSubmitted | ReportCompiled) -> dict:
    if isinstance(fact, ReportCompiled):
        return revision_doc(fact.submission_id, fact.revision, fact.items, at=fact.compiled_at, by=fact.compiled_by,
                            event_id=fact.event_id, late=fact.late,
                            contributions=[c.model_dump(mode="python") for c in fact.contributions],
                            note=fact.note, source_notice_id=fact.source_notice_id)
    return revision_doc(fact.submission_id, fact.revision, fact.items, at=fact.submitted_at, by=fact.submitted_by,
                        event_id=fact.event_id, late=fact.late)


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
    await d.repo.add_revision(_revision_from(event))
    # The files it names were uploaded where it was made: ask that node for them (shared/file_sync.py).
    await file_sync.want(d.svc, d.blobs, [att for _, att in forms.attachments_in(event.items)], event.origin_node,
                         d.clock.now())
    by = event.submitted_by if isinstance(event, PlanSubmitted) else event.compiled_by
    at = event.submitted_at if isinstance(event, PlanSubmitted) else event.compiled_at
    fields = domain.submitted_fields(revision=event.revision, at=at, by=by, late=event.late,
                                     items=len(event.items), compiled=compiled)
    base = {"_id": event.submission_id, "notice_id": event.notice_id, "ask_id": event.ask_id,
            "ask_kind": event.kind.value, "unit_id": event.unit_id, "unit_name": event.unit_name,
            "unit_node": event.unit_node, "issuer_node": event.issuer_node, "to_unit_id": event.to_unit_id,
            "department": event.department, "deadline": at, "doc_number": "", "title": "", "ask_title": ""}
    await d.repo.advance(event.submission_id, event.revision, domain.SUBMITTED, fields, base=base)


# ---------------------------------------------------------------- 审核: 采用 / 退回


async def accept(cmd: AcceptSubmission, d: Deps) -> dict:
    doc = await _to_review(cmd.submission_id, cmd.actor, cmd.revision, d)
    fact = SubmissionAccepted(**_review_fields(doc, cmd.revision, cmd.actor, d))
    return await _record_review(doc, fact, "accepted", d)


async def return_(cmd: ReturnSubmission, d: Deps) -> dict:
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
    return dict(occurred_at=now, origin_node=d.node, submission_id=doc["_id"], notice_id=doc["notice_id"],
                ask_id=doc["ask_id"], unit_id=doc["unit_id"], to_unit_id=doc["to_unit_id"], revision=revision,
                reviewed_by=actor_name(actor), reviewed_at=now)


async def _record_review(doc: dict, fact: SubmissionReviewed, status: str, d: Deps, reason: str | None = None) -> dict:
    pending = outbox.entries((fact, None), *((fact, n) for n in d.copy_to(doc["unit_node"])))
    fields = domain.reviewed_fields(status=status, revision=fact.revision, at=fact.reviewed_at, by=fact.reviewed_by,
                                    reason=reason)
    updated = await d.repo.advance(doc["_id"], fact.revision, domain.REVIEWED, fields, events=pending)
    if updated is None:
        raise Conflict("该项刚被他人审核或重新报送，请刷新后重试", field="revision", code="concurrent_change")
    await d.repo.flush(d.repo.expected, doc["_id"], pending)
    return view(updated)


async def commend(cmd: CommendSubmission, d: Deps) -> dict:
    """评选 an accepted submission for the 通报表扬, or take it back; only the unit it is routed to, here."""
    doc = await d.repo.get(cmd.submission_id)
    if doc is None or not reviews(cmd.actor, doc, d.node):
        raise NotFound("没有送交本单位审核的这项报送", field="submission_id")
    if doc["status"] != "accepted":
        raise Conflict("只能评选已采用的报送", field="submission_id", code="not_accepted")
    mark = None
    if cmd.category is not None:
        mark = {"category": cmd.category.value, "note": cmd.note.strip(), "by": actor_name(cmd.actor),
                "at": d.clock.now()}
    await d.repo.set_fields(doc["_id"], {"commendation": mark})
    return view({**doc, "commendation": mark})


async def on_reviewed(event: SubmissionReviewed, d: Deps) -> None:
    status = "accepted" if isinstance(event, SubmissionAccepted) else "returned"
    fields = domain.reviewed_fields(status=status, revision=event.revision, at=event.reviewed_at,
                                    by=event.reviewed_by, reason=getattr(event, "reason", None))
    await d.repo.advance(event.submission_id, event.revision, domain.REVIEWED, fields)


# ---------------------------------------------------------------- 汇总


async def compile_report(cmd: CompileReport, d: Deps) -> dict:
    """The compiling unit's answer to the upstream ask: its own items, then the accepted ones it selected."""
    act_as(cmd.actor, cmd.unit_id)
    source = await notice_of(cmd.notice_id, d)
    if cmd.unit_id not in source["issuer_unit_ids"] or source["issuer_node"] != d.node:
        raise NotFound("本单位没有发出该通知", field="notice_id")
    domain.ask_of(source, cmd.ask_id)
    upstream_id = source.get("parent_notice_id")
    upstream = await d.repo.get_notice(upstream_id) if upstream_id else None
    if upstream is None:
        raise Invalid("该通知不是转发的上级通知，没有可报送的上级", field="notice_id", code="no_upstream")
    ask = domain.ask_of(upstream, cmd.ask_id)
    target = await d.repo.get(domain.expectation_id(upstream["_id"], cmd.ask_id, cmd.unit_id))
    if target is None or target["unit_node"] != d.node:
        raise Invalid("上级通知没有要求本单位报送这项", field="ask_id", code="not_owed")
    revision = domain.can_submit(target, upstream.get("status", "issued"))
    if not cmd.submission_ids and not cmd.items:
        raise Invalid("请选择要汇总的报送，或填写本单位的内容", field="submission_ids", code="empty_report")
    own = forms.check_items(ask, cmd.items, field="items", own_only=True)
    await check_files(own, cmd.actor, d)
    items, contributions = list(own), []
    for i, sid in enumerate(dict.fromkeys(cmd.submission_ids)):
        doc = await d.repo.get(sid)
        if (doc is None or doc["notice_id"] != cmd.notice_id or doc["ask_id"] != cmd.ask_id
                or doc["to_unit_id"] != cmd.unit_id):
            raise Invalid("不是送交本单位的这项报送", field=f"submission_ids.{i}", code="unknown_submission")
        if doc["status"] != "accepted":
            raise Invalid(f"{doc['unit_name']}的报送尚未采用", field=f"submission_ids.{i}", code="not_accepted")
        rev = await d.repo.revision(sid, doc["revision"])
        if rev is None:
            raise Conflict(f"{doc['unit_name']}的报送内容尚未同步到本节点", field=f"submission_ids.{i}",
                           code="content_missing")
        items.extend(rev["items"])
        contributions.append(Contribution(submission_id=sid, unit_id=doc["unit_id"], unit_name=doc["unit_name"],
                                          revision=doc["revision"], items=len(rev["items"])))
    now = d.clock.now()
    fact = ReportCompiled(
        occurred_at=now, origin_node=d.node, root_notice_id=upstream.get("root_notice_id"), report_id=new_id(),
        submission_id=target["_id"], notice_id=upstream["_id"], source_notice_id=cmd.notice_id, ask_id=cmd.ask_id,
        kind=ask.kind, unit_id=cmd.unit_id, unit_name=target["unit_name"], unit_node=d.node,
        issuer_node=target["issuer_node"], to_unit_id=target["to_unit_id"], department=target.get("department"),
        revision=revision, items=items, contributions=contributions, note=cmd.note,
        late=domain.is_late(now, target["deadline"]), compiled_by=actor_name(cmd.actor), compiled_at=now,
    )
    result = await _record_submission(target, fact, d, compiled=True)
    for c in contributions:
        await d.repo.set_fields(c.submission_id, {"compiled_in": {"submission_id": target["_id"], "revision": revision,
                                                                  "report_id": fact.report_id, "at": now}})
    return {**result, "report_id": fact.report_id}


# ---------------------------------------------------------------- 催办 and reminders


async def chase(cmd: ChaseSubmissions, d: Deps) -> dict:
    notice = await notice_of(cmd.notice_id, d)
    if notice["issuer_node"] != d.node or (cmd.actor and cmd.actor.unit_id not in notice["issuer_unit_ids"]):
        raise Forbidden("只有发文单位可以催办", field="notice_id", code="not_issuer")
    if notice.get("status") == "withdrawn":
        raise Conflict("该通知已撤回", field="notice_id", code="withdrawn")
    if cmd.ask_id:
        domain.ask_of(notice, cmd.ask_id)
    owed = domain.still_owed(await d.repo.for_notice(cmd.notice_id), cmd.ask_id)
    if not owed:
        raise Conflict("没有需要催办的单位：都已报送", field="ask_id" if cmd.ask_id else "notice_id",
                       code="nothing_owed")
    now = d.clock.now()
    reminder_id = new_id()
    events = [
        DeadlineApproaching(
            occurred_at=now, origin_node=d.node, root_notice_id=notice.get("root_notice_id"), notice_id=notice["_id"],
            ask_id=ask_id, deadline=docs[0]["deadline"], pending_unit_ids=[x["unit_id"] for x in docs], manual=True,
            doc_number=notice["doc_number"], title=notice["title"], ask_title=domain.ask_of(notice, ask_id).title,
            note=cmd.note, chased_by=actor_name(cmd.actor),
        )
        for ask_id, docs in sorted(owed.items())
    ]
    await _send_reminder(reminder_id, notice["_id"], events, owed, d, by=actor_name(cmd.actor))
    return {"reminder_id": reminder_id, "notice_id": notice["_id"],
            "asks": {ask_id: len(docs) for ask_id, docs in owed.items()},
            "units": len({x["unit_id"] for docs in owed.values() for x in docs})}


async def _send_reminder(reminder_id: str, notice_id: str, events: list, owed: dict[str, list[dict]], d: Deps,
                         by: str = "") -> bool:
    """One reminder document carries its events: each to this node and to every linked node hosting a unit chased."""
    nodes = {x["unit_node"] for docs in owed.values() for x in docs}
    pending = outbox.entries(*((e, None) for e in events),
                             *((e, n) for e in events for n in sorted(nodes) if d.copy_to(n)))
    doc = {"_id": reminder_id, "notice_id": notice_id, "at": d.clock.now(), "by": by,
           "asks": {a: [x["unit_id"] for x in docs] for a, docs in owed.items()}, outbox.FIELD: pending}
    if not await d.repo.add_reminder(doc):
        return False
    await d.repo.flush(d.repo.reminders, reminder_id, pending)
    return True


async def on_reminded(event: DeadlineApproaching | DeadlineMissed, d: Deps) -> None:
    """The units chased see when and why (a reminder redelivered sets the same values)."""
    manual = getattr(event, "manual", False)
    mark = {"at": event.occurred_at, "kind": "missed" if isinstance(event, DeadlineMissed) else
            ("chase" if manual else "reminder"), "note": getattr(event, "note", ""), "event_id": event.event_id}
    for unit_id in event.pending_unit_ids:
        sid = domain.expectation_id(event.notice_id, event.ask_id, unit_id)
        doc = await d.repo.get(sid)
        if doc is not None and (doc.get("last_reminder") or {}).get("event_id") != event.event_id:
            await d.repo.set_fields(sid, {"last_reminder": mark})


async def send_due_reminders(d: Deps) -> int:
    """Automatic reminders before each deadline and a notice when it passed, for asks issued here.

    Restart-safe: each reminder has a deterministic id, so one due again after
    a crash is not sent twice, and its events are in its document (outbox).
    """
    now = d.clock.now()
    sent = 0
    for entry in await d.repo.open_schedule():
        key = domain.reminder_due(entry["deadline"], now, d.settings.reminder_days_before, set(entry["sent"]),
                                  tz=d.settings.timezone, working=d.settings.reminder_in_working_days)
        if key is None:
            continue
        notice = await d.repo.get_notice(entry["notice_id"])
        if notice is None or notice.get("status") == "withdrawn":
            await d.repo.mark_sent(entry["_id"], key, done=True)
            continue
        owed = domain.still_owed(await d.repo.for_notice(entry["notice_id"]), entry["ask_id"])
        if owed:
            ask = domain.ask_of(notice, entry["ask_id"])
            common = dict(occurred_at=now, origin_node=d.node, root_notice_id=notice.get("root_notice_id"),
                          notice_id=notice["_id"], ask_id=ask.ask_id, deadline=entry["deadline"],
                          pending_unit_ids=[x["unit_id"] for x in owed[ask.ask_id]], doc_number=notice["doc_number"],
                          title=notice["title"], ask_title=ask.title)
            event = DeadlineMissed(**common) if key == "missed" else DeadlineApproaching(**common)
            sent += await _send_reminder(f"{entry['_id']}:{key}", notice["_id"], [event], owed, d)
        await d.repo.mark_sent(entry["_id"], key, done=key == "missed")
    return sent


# ---------------------------------------------------------------- queries


# Every submission shows the same keys, whatever it went through.
VIEW_DEFAULTS = {"late": False, "compiled": False, "item_count": 0, "submitted_at": None, "submitted_by": None,
                 "reviewed_at": None, "reviewed_by": None, "return_reason": None, "last_reminder": None,
                 "compiled_in": None, "notice_status": "issued", "department": None, "commendation": None}


def view(doc: dict, revisions: list[dict | None] = ()) -> dict:
    out = VIEW_DEFAULTS | public({k: v for k, v in doc.items() if k not in (outbox.FIELD, "stage", "open", "decided")})
    out["status_text"] = domain.STATUS_TEXT.get(doc["status"], doc["status"])
    if revisions:
        out["revisions"] = [public(r) for r in revisions if r is not None]
    return out


async def get(q: SubmissionQuery, d: Deps) -> dict:
    doc = visible(q.actor, await d.repo.get(q.submission_id), d.node)
    notice = await d.repo.get_notice(doc["notice_id"])
    out = view(doc, await d.repo.revisions_of(doc["_id"], doc.get("revision", 0)))
    out["ask"] = next((a for a in (notice or {}).get("asks", []) if a["ask_id"] == doc["ask_id"]), None)
    out["notice_status"] = (notice or {}).get("status", "issued")
    out["can_review"] = reviews(q.actor, doc, d.node) and doc["status"] == "submitted"
    out["can_commend"] = reviews(q.actor, doc, d.node) and doc["status"] == "accepted"
    return out


async def mine(q: UnitNoticesQuery, d: Deps) -> Page[dict]:
    """报送: a page of what a unit owes and has submitted, the still-open first, soonest deadline first."""
    unit_id = q.unit_id or (q.actor.unit_id if q.actor else None)
    if unit_id is None:
        raise Invalid("请指定单位", field="unit_id")
    act_as(q.actor, unit_id)
    docs, more, total = await d.repo.for_unit(unit_id, q.page)
    return page_of([view(doc) for doc in docs], q.page, more, total)


async def review_queue(q: ReviewQuery, d: Deps) -> Page[dict]:
    """审核: a page of the submissions routed to the actor's unit, those to review first, newest first."""
    if q.actor is not None and Role.reviewer not in q.actor.roles:
        raise Forbidden("需要审核权限", field="actor", code="role")
    unit_id = q.actor.unit_id if q.actor else None
    if unit_id is None:
        raise Invalid("请指定单位", field="actor")
    docs, more, total = await d.repo.routed_to(unit_id, q.page, notice_id=q.notice_id, status=q.status)
    return page_of([view(doc) for doc in docs], q.page, more, total)


async def table(q: SubmissionTableQuery, d: Deps) -> dict:
    """汇总表 of one ask for the unit it is routed to: each unit that owes it, where it stands, its latest items.

    Units that have not submitted are rows too (status 未报送, no items): the
    compiling level sees the gaps beside the answers.
    """
    if q.actor is not None and Role.reviewer not in q.actor.roles:
        raise Forbidden("需要审核权限", field="actor", code="role")
    notice = await notice_of(q.notice_id, d)
    ask = next((a for a in notice.get("asks", []) if a["ask_id"] == q.ask_id), None)
    if ask is None:
        raise NotFound("报送要求不存在", field="ask_id")
    docs = [doc for doc in await d.repo.for_notice(q.notice_id) if doc["ask_id"] == q.ask_id and reviews(q.actor, doc, d.node)]
    latest_of = await d.repo.latest_revisions(docs)
    rows = []
    for doc in sorted(docs, key=lambda x: (x["unit_name"], x["unit_id"])):
        latest = latest_of.get(doc["_id"])
        rows.append(view(doc) | {"items": (latest or {}).get("items", []),
                                 "submitted_at": (latest or {}).get("submitted_at"),
                                 "submitted_by": (latest or {}).get("submitted_by", "")})
    return {"notice_id": q.notice_id, "title": notice.get("title", ""), "doc_number": notice.get("doc_number", ""),
            "ask": ask, "rows": rows}


async def expected(notice_id: str, d: Deps) -> list[dict]:
    return [view(doc) for doc in await d.repo.for_notice(notice_id)]
