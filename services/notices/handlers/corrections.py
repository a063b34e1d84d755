"""更正 and 撤回 by the issuer: the change and the events telling every node that holds the notice, in one write
guarded by the revision read (a concurrent change makes one of them fail, never overwrite the other)."""

from shared import outbox
from shared.contracts.notices import (
    Corrected,
    CorrectNotice,
    Withdrawn,
    WithdrawNotice,
)
from shared.errors import Conflict
from shared.events import NoticeCorrected, NoticeWithdrawn
from shared.schemas import UnitRef
from shared.scope import actor_name

from .. import domain
from ..repository import snapshot_of
from .attachments import checked_attachments
from .deps import Deps, require_issuer, visible_notice


async def correct(cmd: CorrectNotice, d: Deps) -> Corrected:
    now = d.clock.now()
    doc = await visible_notice(cmd.notice_id, cmd.actor, d)
    require_issuer(doc, cmd.actor, "更正")
    domain.check_title(cmd.title)
    if doc.get("status") == "withdrawn":
        raise Conflict("该通知已撤回，不能更正", field="notice_id", code="withdrawn")
    notice = snapshot_of(doc)
    new, changed = domain.corrected(notice, cmd)
    if "asks" in changed:
        units = await d.repo.units_by_id(domain.route_unit_ids(new.asks))
        domain.check_asks(new.asks, now, units, unchanged=notice.asks)
        if notice.parent_notice_id:
            parent = await d.repo.get_notice(notice.parent_notice_id)
            if parent is not None:
                domain.check_against_upstream(new.asks, snapshot_of(parent).asks, d.tz)
    if "attachments" in changed:
        files = await checked_attachments(new.attachments, d, already=doc.get("attachments", []))
        new = new.model_copy(update={"attachments": files})
    by = actor_name(cmd.actor)
    events = domain.notice_events(
        lambda n, part, parts: NoticeCorrected(
            occurred_at=now,
            origin_node=d.node,
            root_notice_id=new.root_notice_id,
            notice=n,
            part=part,
            parts=parts,
            reason=cmd.reason,
            changed=changed,
            corrected_by=by,
        ),
        new,
        d.node,
        d.settings.recipients_per_event,
    )
    change = {
        "kind": "corrected",
        "reason": cmd.reason,
        "at": now,
        "by": by,
        "revision": new.revision,
        "changed": changed,
    }
    fields = {name: new.model_dump(mode="python")[name] for name in changed}
    fields.update(
        revision=new.revision, status="corrected", last_change=change, history=[*doc.get("history", []), change]
    )
    pending = outbox.entries(*events)
    if not await d.repo.set_fields(cmd.notice_id, fields, revision=notice.revision, events=pending):
        raise Conflict("通知刚被修改过，请刷新后重试", field="notice_id", code="stale_revision")
    await d.repo.flush(cmd.notice_id, pending)
    return Corrected(notice_id=cmd.notice_id, revision=new.revision, changed=changed)


async def withdraw(cmd: WithdrawNotice, d: Deps) -> Withdrawn:
    now = d.clock.now()
    doc = await visible_notice(cmd.notice_id, cmd.actor, d)
    require_issuer(doc, cmd.actor, "撤回")
    if doc.get("status") == "withdrawn":
        raise Conflict("该通知已撤回", field="notice_id", code="already_withdrawn")
    notice = snapshot_of(doc)
    by = actor_name(cmd.actor)

    def withdrawn(recipients: list[UnitRef]) -> NoticeWithdrawn:
        return NoticeWithdrawn(
            occurred_at=now,
            origin_node=d.node,
            root_notice_id=notice.root_notice_id,
            notice_id=notice.notice_id,
            doc_number=notice.doc_number,
            recipient_unit_ids=[r.unit_id for r in recipients],
            reason=cmd.reason,
            withdrawn_by=by,
        )

    pairs = [(withdrawn(notice.recipients), None)] + [
        (withdrawn(domain.for_node(notice, node).recipients), node)
        for node in domain.recipient_nodes(notice.recipients)
        if node != d.node
    ]
    change = {"kind": "withdrawn", "reason": cmd.reason, "at": now, "by": by, "revision": notice.revision}
    pending = outbox.entries(*pairs)
    fields = {"status": "withdrawn", "last_change": change, "history": [*doc.get("history", []), change]}
    if not await d.repo.set_fields(cmd.notice_id, fields, revision=notice.revision, events=pending):
        raise Conflict("通知刚被修改过，请刷新后重试", field="notice_id", code="stale_revision")
    await d.repo.flush(cmd.notice_id, pending)
    return Withdrawn(notice_id=cmd.notice_id, status="withdrawn")
