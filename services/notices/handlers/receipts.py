"""签收: a recipient signs for a notice (its inbox entry and the events, one write); the issuer's node records
each receipt in its own document and keeps the count."""

from shared import outbox
from shared.contracts.notices import (
    AcknowledgeNotice,
    InboxEntry,
)
from shared.errors import Conflict, NotFound
from shared.events import NoticeAcknowledged
from shared.scope import act_as, actor_name
from shared.storage import public

from .deps import Deps


async def acknowledge(cmd: AcknowledgeNotice, d: Deps) -> InboxEntry:
    act_as(cmd.actor, cmd.unit_id, "unit_id")
    entry = await d.repo.inbox_entry(cmd.notice_id, cmd.unit_id)
    if entry is None:
        raise NotFound("本单位收文中没有该通知", field="notice_id")
    if entry.get("status") == "withdrawn":
        raise Conflict("该通知已撤回", field="notice_id", code="withdrawn")
    if entry.get("acknowledged_at"):
        raise Conflict("该通知已签收", field="notice_id", code="already_acknowledged")
    unit = await d.repo.get_unit(cmd.unit_id)
    now = d.clock.now()
    issuer_node = entry.get("issuer_node") or d.node
    by = actor_name(cmd.actor)
    fact = NoticeAcknowledged(
        occurred_at=now,
        origin_node=d.node,
        root_notice_id=entry.get("root_notice_id"),
        notice_id=cmd.notice_id,
        issuer_node=issuer_node,
        unit_id=cmd.unit_id,
        unit_name=(unit or {}).get("name", cmd.unit_id),
        acknowledged_by=by,
        acknowledged_at=now,
    )
    pending = outbox.entries((fact, None), *([(fact, issuer_node)] if issuer_node != d.node else []))
    updated = await d.repo.mark_acknowledged(cmd.notice_id, cmd.unit_id, now, by, pending)
    if updated is None:
        raise Conflict("该通知已签收", field="notice_id", code="already_acknowledged")
    await d.repo.flush_inbox(updated["_id"], pending)
    return InboxEntry.model_validate(public(updated))


async def on_notice_acknowledged(event: NoticeAcknowledged, d: Deps) -> None:
    """The issuer's side of 签收: record who signed and when, keyed by unit."""
    if event.issuer_node != d.node:
        return
    await d.repo.record_receipt(
        event.notice_id,
        event.unit_id,
        {
            "signed": True,
            "acknowledged": {
                "at": event.acknowledged_at,
                "by": event.acknowledged_by,
                "unit_name": event.unit_name,
                "event_id": event.event_id,
            },
        },
    )
    await d.repo.count_signed(event.notice_id)
