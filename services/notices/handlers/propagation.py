"""Notices arriving and changing: inboxes filled from notice events, copies kept, 转发 linked to what they
forward, and 更正/撤回 flagged down every forwarding chain.

Writes use deterministic ``_id``s or keyed ``$set``s, so a redelivery changes nothing.
"""

from datetime import datetime

from shared import outbox
from shared.clock import local_year
from shared.events import (
    NoticeCorrected,
    NoticeForwarded,
    NoticeForwardReported,
    NoticeIssued,
    NoticeUpstreamChanged,
    NoticeWithdrawn,
)
from shared.schemas import NoticeSnapshot, UnitKind, UnitRef, UpwardPolicy

from .. import domain
from ..repository import ROW_SOURCE, snapshot_of
from . import known_units
from .attachments import want_files
from .deps import Deps
from .joint import release


async def on_notice_arrived(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """A notice addressed to units hosted here: keep a copy and fill their inboxes.

    Runs for local issues too (the notice is stored already then). Writes use
    deterministic ``_id``s or keyed ``$set``s, so a redelivery changes nothing.
    """
    notice = event.notice
    kind = "forwarded" if isinstance(event, NoticeForwarded) else "issued"
    now = d.clock.now()
    if event.origin_node != d.node:
        await d.repo.store_received(notice, event.part, now, kind)
        if event.part == 1:
            await want_files(notice.attachments, event.origin_node, d)
            await known_units.remember(notice, d)
    here = [r for r in notice.recipients if r.node_id == d.node]
    # Made here, the issue wrote the inboxes already (issuing.insert_numbered), unless it stopped before: a count
    # by _id says so, where inserting every entry again would cost as much as the first time.
    if event.origin_node != d.node or not await d.repo.in_inboxes(notice.notice_id, here):
        await d.repo.deliver_to_inbox(notice, here, kind, now, local_year(notice.issued_at, d.tz))
    if kind == "forwarded" and event.origin_node == d.node and event.part == 1:
        stored = await d.repo.get_notice(notice.notice_id)  # the whole notice: a part holds a slice of recipients
        if stored is not None:
            await link_forward(snapshot_of(stored), d)


async def on_notice_issued_here(event: NoticeIssued | NoticeForwarded, d: Deps) -> None:
    """The issuer's side of a notice made on this node (a consumer of its own, apart from the inboxes): a receipt
    per recipient of this part for the 签收 table, and its 发文 entries (made at the issue already, unless it
    crashed before)."""
    if event.origin_node != d.node:
        return
    notice = event.notice
    await d.repo.track_recipients(notice.notice_id, notice.recipients)
    issuers = [u.unit_id for u in notice.issuers]
    if event.part == 1 and not await d.repo.is_listed(notice.notice_id, issuers):
        listed = await d.repo.notice_fields(notice.notice_id, ROW_SOURCE)
        if listed is not None:
            await d.repo.list_sent(listed, local_year(notice.issued_at, d.tz))


async def on_notice_corrected(event: NoticeCorrected, d: Deps) -> None:
    """Recipients here see the corrected notice and why; notices forwarded from it here are flagged."""
    notice = event.notice
    now = d.clock.now()
    change = {
        "kind": "corrected",
        "reason": event.reason,
        "at": event.occurred_at,
        "by": event.corrected_by,
        "revision": notice.revision,
        "changed": event.changed,
    }
    if event.origin_node != d.node:
        fields = {name: notice.model_dump(mode="python")[name] for name in domain.CORRECTABLE}
        fields.update(revision=notice.revision, status="corrected", last_change=change)
        await d.repo.apply_correction(notice, fields, event.part, now)
        if event.part == 1:
            await want_files(notice.attachments, event.origin_node, d)
    if event.origin_node == d.node and event.part == 1:
        await d.repo.refresh_sent(notice.notice_id)  # done at the 更正 already, unless it crashed before
    if event.part == 1:
        deadlines = [a.deadline for a in notice.asks]
        await d.repo.mark_inbox(
            notice.notice_id,
            {
                "status": "corrected",
                "title": notice.title,
                "change": change,
                "next_deadline": min(deadlines) if deadlines else None,
            },
        )
        await flag_forwards(notice.notice_id, upstream_change(notice.notice_id, notice.doc_number, change), d)


async def on_notice_withdrawn(event: NoticeWithdrawn, d: Deps) -> None:
    change = {"kind": "withdrawn", "reason": event.reason, "at": event.occurred_at, "by": event.withdrawn_by}
    if event.origin_node == d.node:  # a 转发 withdrawn here gives its recipients back: they may be forwarded again
        doc = await d.repo.get_notice(event.notice_id)
        if doc is not None and doc.get("parent_notice_id"):
            await release(doc["parent_notice_id"], doc["_id"], doc.get("recipient_unit_ids", []), d)
    if event.origin_node != d.node:
        await d.repo.set_fields(event.notice_id, {"status": "withdrawn", "last_change": change})
    else:
        await d.repo.refresh_sent(event.notice_id)  # done at the 撤回 already, unless it crashed before
    await d.repo.mark_inbox(event.notice_id, {"status": "withdrawn", "change": change})
    await flag_forwards(event.notice_id, upstream_change(event.notice_id, event.doc_number, change), d)


# ---------------------------------------------------------------- 更正/撤回 down the forwarding chains
#
# A 更正 or 撤回 of notice N reaches every node holding N (its copies). Each
# node flags the forwards made *there* of N (``flag_forwards``): the flag and
# a ``notice.upstream_changed`` event per forward go into the forward's
# document in one write, then out — locally and to each node hosting the
# forward's recipients. Every node receiving it records the flag for the
# forward's readers (``on_upstream_changed``) and flags the forwards made
# there of *that* forward, and so on down the chain. Keyed by the change id
# (N + revision, or N's withdrawal) and deterministic event ids: a
# redelivery anywhere republishes the same events and flags nothing twice.


def upstream_change(notice_id: str, doc_number: str, change: dict) -> dict:
    """The flag forwards below a changed notice carry: what changed up there, why, when, and its 文号."""
    return {
        "change_id": domain.change_id(notice_id, change["kind"], change.get("revision")),
        "kind": change["kind"],
        "reason": change["reason"],
        "at": change["at"],
        "by": change.get("by", ""),
        "revision": change.get("revision") if change["kind"] == "corrected" else None,
        "notice_id": notice_id,
        "doc_number": doc_number,
    }


async def flag_forwards(notice_id: str, change: dict, d: Deps) -> None:
    """Flag every 转发 made on this node of ``notice_id`` (those made elsewhere are flagged there)."""
    doc = await d.repo.get_notice(notice_id)
    for forward_id, link in (doc or {}).get("forwards", {}).items():
        if link.get("node_id", d.node) == d.node:
            await flag_forward(forward_id, change, d)


async def flag_forward(forward_id: str, change: dict, d: Deps) -> None:
    """One 转发 made here: its flag and the events telling its recipients' nodes, written once, then published."""
    doc = await d.repo.get_notice(forward_id)
    if doc is None or doc.get("origin") != "local":
        return
    notice = snapshot_of(doc)
    fact = NoticeUpstreamChanged(
        event_id=domain.derived_event_id(change["change_id"], forward_id),
        occurred_at=d.clock.now(),
        origin_node=d.node,
        root_notice_id=notice.root_notice_id,
        notice_id=forward_id,
        change_id=change["change_id"],
        kind=change["kind"],
        upstream_notice_id=change["notice_id"],
        upstream_doc_number=change["doc_number"],
        reason=change["reason"],
        changed_at=change["at"],
        changed_by=change["by"],
        revision=change["revision"],
    )
    pending = outbox.entries(
        (fact, None), *[(fact, node) for node in domain.recipient_nodes(notice.recipients) if node != d.node]
    )
    if await d.repo.flag_forward(forward_id, change["change_id"], pending):
        await d.repo.record_upstream_change(forward_id, change)  # the forwarder sees it at once
        await d.repo.flush(forward_id, pending)


async def on_upstream_changed(event: NoticeUpstreamChanged, d: Deps) -> None:
    """A 转发 held here (made here, or a copy) is flagged for its readers, then the forwards made of it here."""
    change = {
        "change_id": event.change_id,
        "kind": event.kind,
        "reason": event.reason,
        "at": event.changed_at,
        "by": event.changed_by,
        "revision": event.revision,
        "notice_id": event.upstream_notice_id,
        "doc_number": event.upstream_doc_number,
    }
    await d.repo.record_upstream_change(event.notice_id, change)
    await flag_forwards(event.notice_id, change, d)


async def flag_if_changed_meanwhile(read: dict, forward_id: str, d: Deps) -> None:
    """A new 转发 is flagged with what changed above it: changes recorded on the notice it forwards, and a
    更正/撤回 of that notice that arrived after it was read for this 转发.

    ``flag_forwards`` reads a notice's forwards after recording a change; this
    reads the changes after recording the forward: whichever runs second sees
    the other, so a change racing a 转发 is never lost.
    """
    notice_id = read["_id"]
    changes = list((await d.repo.upstream_changes([notice_id])).get(notice_id, {}).values())
    now = await d.repo.get_notice(notice_id) or read
    moved = now.get("revision", 1) != read.get("revision", 1) or now.get("status") != read.get("status")
    if moved and now.get("last_change"):
        changes.append(upstream_change(notice_id, now["doc_number"], now["last_change"]))
    for change in changes:
        await flag_forward(forward_id, change, d)


def forward_link(
    *,
    notice_id: str,
    doc_number: str,
    forwarders: list[UnitRef],
    issued_at: datetime,
    node_id: str,
    recipients: int,
    upward: dict[str, UpwardPolicy],
) -> dict:
    """How a 转发 is listed on the notice it forwards (下级转发), in each forwarder's 收文 (已转发: a joint one is
    done for every forwarder) and in its issuer's tracking (已转发), with how the level sends up each ask."""
    return {
        "notice_id": notice_id,
        "doc_number": doc_number,
        "unit_id": forwarders[0].unit_id,
        "unit_name": forwarders[0].name,
        "unit_ids": [f.unit_id for f in forwarders],
        "unit_names": [f.name for f in forwarders],
        "issued_at": issued_at,
        "node_id": node_id,
        "recipients": recipients,
        "upward": {k: v.model_dump(mode="python") for k, v in upward.items()},
    }


async def link_forward(notice: NoticeSnapshot, d: Deps) -> None:
    """Record the 转发 on the notice it forwards, the forwarder's inbox entry and (if local) the issuer's tracking.

    Runs after the forward and again when its event is consumed: ``$set``
    keyed by notice id, so doing it twice changes nothing. An issuer on
    another node learns of it from ``notice.forward_reported``.
    """
    parent_id = notice.parent_notice_id
    if parent_id is None:
        return
    link = forward_link(
        notice_id=notice.notice_id,
        doc_number=notice.doc_number,
        forwarders=notice.issuers,
        issued_at=notice.issued_at,
        node_id=d.node,
        recipients=len(notice.recipients),
        upward=notice.upward,
    )
    await d.repo.set_fields(parent_id, {f"forwards.{notice.notice_id}": link})
    parent = await d.repo.get_notice(parent_id)
    # Every forwarder of a joint 转发 that received the notice here sees it done (已转发, by whom, 文号).
    for forwarder in notice.issuers:
        await d.repo.set_inbox_fields(parent_id, forwarder.unit_id, {f"forwarded.{notice.notice_id}": link})
        if (
            parent is not None
            and parent.get("origin") == "local"
            and forwarder.unit_id in parent.get("recipient_unit_ids", [])
        ):
            await d.repo.record_receipt(parent_id, forwarder.unit_id, {f"forwarded.{notice.notice_id}": link})


async def on_forward_reported(event: NoticeForwardReported, d: Deps) -> None:
    """The issuer's side of a 转发 (made here or on a linked node): 下级转发 on the notice, 已转发 in its tracking."""
    notice = await d.repo.get_notice(event.notice_id) if event.issuer_node == d.node else None
    if notice is None:
        return
    lead = UnitRef(unit_id=event.unit_id, name=event.unit_name, kind=UnitKind.other, node_id=event.node_id)
    link = forward_link(
        notice_id=event.forward_notice_id,
        doc_number=event.doc_number,
        forwarders=[lead, *event.co_forwarders],
        issued_at=event.forwarded_at,
        node_id=event.node_id,
        recipients=event.recipients,
        upward=event.upward,
    )
    await d.repo.set_fields(event.notice_id, {f"forwards.{event.forward_notice_id}": link})
    # The issuer's 签收 table lists the 转发 under every joint forwarder that is a recipient.
    for unit_id in [u for u in link["unit_ids"] if u in notice.get("recipient_unit_ids", [])]:
        await d.repo.record_receipt(event.notice_id, unit_id, {f"forwarded.{event.forward_notice_id}": link})
