"""转发: a recipient re-issues a notice to its own subordinates, with its own 文号, cover note, contacts, routing
and earlier deadlines; the original travels with it as a file."""

import asyncio

from shared import outbox
from shared.contracts.notices import (
    ForwardNotice,
    Issued,
)
from shared.errors import Conflict, Invalid, NotFound, gather
from shared.events import NoticeForwarded, NoticeForwardReported
from shared.ids import new_id
from shared.schemas import Attachment, NoticeSnapshot
from shared.scope import act_as, actor_name

from .. import domain, drafting
from ..repository import notice_document, snapshot_of
from ..upward import check_upward
from .attachments import checked_attachments
from .deps import Deps
from .issuing import check_doc_number, insert_numbered, units_and_refs
from .joint import claim_recipients, release
from .propagation import flag_if_changed_meanwhile, link_forward


async def forward(
    cmd: ForwardNotice, d: Deps, *, dry_run: bool = False, signed: dict | None = None, as_id: str | None = None
) -> Issued:
    """``dry_run``: only check (a draft being saved). ``signed``: the signatures of the draft it is issued from
    (签发人, 成文日期, each 会签) and ``as_id`` that draft's id (the notice's); without them, an actor's 转发 is refused
    where 签发 or 会签 is due (drafting.check_direct_forward: co-forwarders must 会签, as co-issuers do)."""
    now = d.clock.now()
    act_as(cmd.actor, cmd.unit_id, "unit_id")
    upstream_doc = await d.repo.get_notice(cmd.notice_id)
    entry = await d.repo.inbox_entry(cmd.notice_id, cmd.unit_id)
    if upstream_doc is None or entry is None:
        raise NotFound("本单位收文中没有该通知", field="notice_id")
    if upstream_doc.get("status") == "withdrawn":
        raise Conflict("该通知已撤回，不能转发", field="notice_id", code="withdrawn")
    upstream = snapshot_of(upstream_doc)

    issuer_ids = [cmd.unit_id, *cmd.co_issuer_unit_ids]
    routed = domain.route_unit_ids(cmd.extra_asks, cmd.routes)
    units, refs = await units_and_refs(d, issuer_ids + cmd.recipient_unit_ids + routed)
    if cmd.unit_id not in refs:
        raise NotFound(f"单位不存在：{cmd.unit_id}", field="unit_id")
    with gather() as problems:  # every mistake of the 转发 at once
        problems.check(domain.check_title, cmd.title)
        co_issuers = problems.check(domain.check_issuers, cmd.co_issuer_unit_ids, refs, field="co_issuer_unit_ids")
        issuers = [refs[cmd.unit_id], *(co_issuers or [])]
        if cmd.unit_id in cmd.co_issuer_unit_ids:
            problems.add(Invalid("联合转发单位不能是本单位", field="co_issuer_unit_ids"))
        problems.check(domain.check_routes, cmd.routes, units, field="routes")
        inherited = problems.check(
            domain.forward_asks,
            upstream.asks,
            cmd.deadlines,
            cmd.routes,
            now,
            unit_kinds=cmd.unit_kinds,
            tz=d.tz,
            min_slack=d.settings.min_forward_slack_days,
            working_days=d.settings.forward_slack_in_working_days,
        )
        asks, warnings = inherited or ([], [])
        taken = [a.ask_id for a in asks] if inherited else [a.ask_id for a in upstream.asks]
        problems.check(domain.check_asks, cmd.extra_asks, now, units, field="extra_asks", taken_ids=taken)
        upward = problems.check(check_upward, cmd.upward, upstream.asks) or {}  # checked in a draft too
        refused = domain.forward_refusals(issuers, upstream, await _ancestors(issuer_ids, d))
        recipients = (
            problems.check(
                domain.check_recipients,
                cmd.recipient_unit_ids,
                refs,
                issuers=issuer_ids,
                reachable_nodes=d.reachable_nodes,
                refused=refused,
            )
            or []
        )
        extra_files = await checked_attachments(cmd.attachments, d)
        await check_doc_number(d, cmd.unit_id, cmd.doc_number)
    issuer_docs = {u.unit_id: units[u.unit_id] for u in issuers}
    if dry_run:
        return Issued(notice_id="", doc_number="", recipients=len(recipients))
    if signed is None and cmd.actor is not None:
        drafting.check_direct_forward(units[cmd.unit_id], issuers[1:])
    route_units = [refs[u] for u in dict.fromkeys(domain.route_unit_ids([*asks, *cmd.extra_asks])) if u in refs]

    # The original travels with the 转发 as a file, so every level can read
    # exactly what it was given even where the upstream notice is not visible.
    text = domain.original_text(upstream, d.tz).encode("utf-8")
    sha = await asyncio.to_thread(d.blobs.put, text)
    original = Attachment(
        attachment_id=new_id(),
        filename=domain.original_filename(upstream),
        content_type="text/plain",
        size=len(text),
        sha256=sha,
        original_of=upstream.notice_id,
    )
    notice_id = as_id or new_id()

    def build(number: str) -> tuple[NoticeSnapshot, dict, list[dict]]:
        notice = domain.forwarded_snapshot(
            upstream,
            notice_id=notice_id,
            doc_number=number,
            title=cmd.title or domain.forward_title(upstream.title),
            issuers=issuers,
            recipients=recipients,
            cover_note=cmd.cover_note,
            asks=[*asks, *cmd.extra_asks],
            contacts=cmd.contacts,
            attachments=[original, *upstream.attachments, *extra_files],
            now=now,
            issued_by=actor_name(cmd.actor),
            elements=domain.document_elements(cmd, recipients),
        )
        # Names of the route targets travel with it (a child shows them by name), and the level's policies.
        notice = notice.model_copy(update={"route_units": route_units, "upward": upward})
        if signed:
            notice = notice.model_copy(update=signed)
        events = domain.notice_events(
            lambda n, part, parts: NoticeForwarded(
                occurred_at=now,
                origin_node=d.node,
                root_notice_id=upstream.root_notice_id,
                notice=n,
                part=part,
                parts=parts,
            ),
            notice,
            d.node,
            d.settings.recipients_per_event,
        )
        # The upstream issuer's node learns of the 转发 too, wherever it was made.
        report = NoticeForwardReported(
            occurred_at=now,
            origin_node=d.node,
            root_notice_id=upstream.root_notice_id,
            notice_id=upstream.notice_id,
            issuer_node=upstream_node,
            forward_notice_id=notice_id,
            doc_number=number,
            unit_id=issuers[0].unit_id,
            unit_name=issuers[0].name,
            node_id=d.node,
            recipients=len(recipients),
            forwarded_at=now,
            co_forwarders=issuers[1:],
            upward=upward,
        )
        events += [(report, None)] + ([(report, upstream_node)] if upstream_node != d.node else [])
        return (
            notice,
            notice_document(notice, kind="forwarded", origin="local", warnings=warnings),
            outbox.entries(*events),
        )

    upstream_node = upstream.issuers[0].node_id
    # Each recipient is forwarded this notice once (joint forwarders included): claimed before it is stored.
    await claim_recipients(upstream.notice_id, notice_id, recipients, cmd.recipient_unit_ids, issuers, now, d)
    try:
        doc = await insert_numbered(d, issuer_docs[cmd.unit_id], cmd.doc_number, now, build)
    except BaseException:
        await release(upstream.notice_id, notice_id, [r.unit_id for r in recipients], d)
        raise
    await link_forward(snapshot_of(doc), d)
    await flag_if_changed_meanwhile(upstream_doc, doc["_id"], d)
    return Issued(notice_id=doc["_id"], doc_number=doc["doc_number"], recipients=len(recipients), warnings=warnings)


async def _ancestors(unit_ids: list[str], d: Deps) -> dict[str, str]:
    """The units above these in the directory (``parent_id`` chains), id → name. Looked up by ``_id``."""
    out: dict[str, str] = {}
    seen = set(unit_ids)
    todo = list(unit_ids)
    while todo:
        unit = await d.repo.get_unit(todo.pop())
        parent_id = (unit or {}).get("parent_id")
        if parent_id and parent_id not in seen:
            seen.add(parent_id)
            parent = await d.repo.get_unit(parent_id)
            if parent is not None:
                out[parent_id] = parent["name"]
                todo.append(parent_id)
    return out
