"""发文: issuing a notice under the next 文号 of its lead issuer."""

import asyncio
from collections.abc import Callable
from datetime import datetime

from shared import outbox
from shared.clock import local_year
from shared.contracts.notices import (
    Issued,
    IssueNotice,
)
from shared.errors import Conflict, Forbidden, gather
from shared.events import NoticeIssued
from shared.ids import new_id
from shared.schemas import NoticeSnapshot, UnitRef
from shared.scope import actor_name

from .. import domain, drafting
from ..repository import notice_document
from .attachments import checked_attachments
from .deps import Deps

MAX_NUMBER_ATTEMPTS = 100


async def units_and_refs(d: Deps, ids: list[str]) -> tuple[dict[str, dict], dict[str, UnitRef]]:
    return await d.repo.units_and_refs(ids, lambda doc: domain.unit_ref(doc, d.node))


async def issue(
    cmd: IssueNotice, d: Deps, *, dry_run: bool = False, signed: dict | None = None, as_id: str | None = None
) -> Issued:
    """``dry_run``: only check (a draft being saved). ``signed``: the signatures of the draft it is issued from
    (签发人, 成文日期, each 会签) and ``as_id`` that draft's id (the notice's); without them, an actor's notice is refused
    where 签发 or 会签 is due (drafting.check_direct_issue)."""
    now = d.clock.now()
    # The lead issuer's 文号 sequence is used: only the lead unit's own issuers may issue (joint or not).
    if cmd.actor is not None and cmd.actor.unit_id != cmd.issuer_unit_ids[0]:
        raise Forbidden("只能以本单位为主办单位发文", field="issuer_unit_ids.0", code="other_unit")
    with gather() as problems:  # every mistake of the notice at once
        problems.check(domain.check_title, cmd.title)
        units, refs = await units_and_refs(
            d, cmd.issuer_unit_ids + cmd.recipient_unit_ids + domain.route_unit_ids(cmd.asks)
        )
        issuers = problems.check(domain.check_issuers, cmd.issuer_unit_ids, refs) or []
        problems.check(domain.check_asks, cmd.asks, now, units)
        recipients = (
            problems.check(
                domain.check_recipients,
                cmd.recipient_unit_ids,
                refs,
                issuers=cmd.issuer_unit_ids,
                reachable_nodes=d.reachable_nodes,
            )
            or []
        )
        attachments = await checked_attachments(cmd.attachments, d)
        if issuers:
            await check_doc_number(d, issuers[0].unit_id, cmd.doc_number)
    issuer_docs = {u.unit_id: units[u.unit_id] for u in issuers}
    lead = issuer_docs[issuers[0].unit_id]
    if dry_run:
        return Issued(notice_id="", doc_number="", recipients=len(recipients))
    if signed is None and cmd.actor is not None:
        drafting.check_direct_issue(lead, issuers)
    notice_id = as_id or new_id()

    def build(number: str) -> tuple[NoticeSnapshot, dict, list[dict]]:
        notice = NoticeSnapshot(
            **domain.document_elements(cmd, recipients).model_dump(),
            notice_id=notice_id,
            doc_number=number,
            title=cmd.title,
            issuers=issuers,
            body=cmd.body,
            asks=cmd.asks,
            contacts=cmd.contacts,
            attachments=attachments,
            recipients=recipients,
            root_notice_id=notice_id,
            chain=[],
            route_units=[refs[u] for u in dict.fromkeys(domain.route_unit_ids(cmd.asks)) if u in refs],
            issued_at=now,
            issued_by=actor_name(cmd.actor),
            **(signed or {}),
        )
        events = domain.notice_events(
            lambda n, part, parts: NoticeIssued(
                occurred_at=now, origin_node=d.node, root_notice_id=notice_id, notice=n, part=part, parts=parts
            ),
            notice,
            d.node,
            d.settings.recipients_per_event,
        )
        return notice, notice_document(notice, kind="issued", origin="local", warnings=[]), outbox.entries(*events)

    doc = await insert_numbered(d, lead, cmd.doc_number, now, build)
    return Issued(notice_id=doc["_id"], doc_number=doc["doc_number"], recipients=len(recipients))


def duplicate_doc_number(number: str) -> Conflict:
    return Conflict(f"文号已存在：{number}", field="doc_number", code="duplicate_doc_number")


async def check_doc_number(d: Deps, lead_id: str, manual: str | None) -> None:
    """A 文号 typed in that the lead issuer has used already is refused with the notice's other mistakes: before
    its 签发 and 会签 are asked for (a draft) or found due (issued at once), not after they are given."""
    if manual and await d.repo.doc_number_taken(lead_id, manual):
        raise duplicate_doc_number(manual)


Build = Callable[[str], tuple[NoticeSnapshot, dict, list[dict]]]  # 文号 → the notice, its document, its events


async def insert_numbered(d: Deps, lead: dict, manual: str | None, now: datetime, build: Build) -> dict:
    """Store a notice under the next free 文号 of its lead issuer and year (or the one given), then publish it.

    The number is taken only by the insert itself (``number_key`` is unique),
    so a failed issue consumes no number: never reused, never skipped. Where to
    start is a hint (the counter in the store, or the last number this process
    took); if another replica took the number first, the insert fails and the
    next one is tried.
    """
    year = local_year(now, d.tz)
    if manual:
        notice, doc, pending = build(manual)
        if not await d.repo.insert_notice(doc, pending, number_key=f"{lead['_id']}:{manual}"):
            raise duplicate_doc_number(manual)
        hint = None
    else:
        notice, doc, pending, seq = await _insert_next_number(d, lead, year, build)
        hint = d.repo.advance_number_hint(lead["_id"], year, seq)  # only a hint for the next issue
    # Its 发文 entry, and the inboxes of the recipients hosted here, before its events go out (their consumers
    # write to the same database at once), each made again by its consumer if this stops before (crash-safe). The
    # inboxes here are written with the notice so its recipients see it when the issuer does; a notice in parts
    # (thousands of recipients) leaves them to the consumer, part by part, rather than hold its 201 for them all.
    here = [r for r in notice.recipients if r.node_id == d.node]
    inboxes = len(notice.recipients) <= d.settings.recipients_per_event and here
    await asyncio.gather(
        d.repo.list_sent(doc, local_year(doc["issued_at"], d.tz)),
        *([hint] if hint else []),
        *(
            [d.repo.deliver_to_inbox(notice, here, doc["kind"], now, local_year(notice.issued_at, d.tz))]
            if inboxes
            else []
        ),
    )
    await d.repo.flush(doc["_id"], pending)
    return doc


async def _insert_next_number(
    d: Deps, lead: dict, year: int, build: Build
) -> tuple[NoticeSnapshot, dict, list[dict], int]:
    """One issue at a time per lead issuer and year in this process: clerks issuing at once would otherwise all
    start from the same hint and each insert the whole notice under numbers the others take first (measured: 2.75
    inserts per notice at 8 at once). The process remembers the number it took last, so the counter is read only
    for the first notice; other replicas still meet at the unique key, and step over what they find taken."""
    key = (lead["_id"], year)
    async with d.numbering.lock(key):
        seq = d.numbering.next(key) or await d.repo.number_hint(lead["_id"], year)
        for attempt in range(MAX_NUMBER_ATTEMPTS):
            number = domain.format_doc_number(lead.get("doc_number_template"), prefix=lead["name"], year=year, seq=seq)
            notice, doc, pending = build(number)
            if await d.repo.insert_notice(
                doc, pending, number_key=f"{lead['_id']}:{number}", seq=seq, first=attempt == 0
            ):
                d.numbering.took(key, seq)
                break
            seq += 1
        else:
            raise Conflict("无法分配文号，请稍后再试", field="doc_number", code="doc_number_exhausted")
    return notice, doc, pending, seq
