"""签发 and 会签: a 签发人 signs (or sends back) the request kept for its unit, on the node hosting the unit.

The decision is one conditional update of the request (pending → signed | refused), whose event goes to the
node keeping the draft — this one, or a linked one, like any copy. There the draft takes each answer once
(the filter names the round and the signature still pending); one refusal sends it back to its drafter, and
the last signature issues the notice under the draft's own id, so it is issued once whoever gets there
first: claiming the issue (submitted → issuing) is one conditional update too, and a claim a crash
interrupted is finished at start-up. Then ``draft.signing_closed`` tells the signers' nodes how it ended.
"""

import logging

from pydantic import ValidationError

from shared import outbox
from shared.contracts.common import Actor
from shared.contracts.notices import ApproveDraft, DraftQuery, DraftView, RejectDraft
from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from shared.events import DraftSigningClosed, DraftSigningDecided, DraftSigningRequested
from shared.schemas import Role
from shared.scope import actor_name

from .. import domain, drafting
from ..drafts_store import step
from .deps import Deps
from .drafts import get_draft, signoff_doc, stored_content
from .forwarding import forward
from .issuing import issue

log = logging.getLogger("cascade.notices.drafts")

DECIDED = {
    "signed": "本单位已签发该草稿",
    "refused": "本单位已退回该草稿",
    "cancelled": "该草稿已退回拟稿单位，无需再签",
}


async def approve_draft(cmd: ApproveDraft, d: Deps) -> DraftView:
    return await decide(cmd.draft_id, "signed", cmd.comment.strip(), cmd.actor, d)


async def reject_draft(cmd: RejectDraft, d: Deps) -> DraftView:
    reason = cmd.reason.strip()
    if not reason:
        raise Invalid("退回须写明意见", field="reason", code="reason_required")
    return await decide(cmd.draft_id, "refused", reason, cmd.actor, d)


async def decide(draft_id: str, decision: str, comment: str, actor: Actor | None, d: Deps) -> DraftView:
    if actor is None:
        raise Invalid("签发须由本单位的签发人进行", field="actor")
    if Role.signer not in actor.roles:
        raise Forbidden("只有签发人可以签发或退回草稿", field="draft_id", code="not_signer")
    signoff = await d.drafts.signoff_of(draft_id, actor.unit_id)
    if signoff is None:
        raise NotFound("没有待本单位签发的该草稿", field="draft_id")
    if signoff["status"] != "pending":
        raise Conflict(DECIDED[signoff["status"]], field="draft_id", code="already_decided")
    now = d.clock.now()
    by = actor_name(actor)
    event = DraftSigningDecided(
        occurred_at=now,
        origin_node=d.node,
        draft_id=draft_id,
        round=signoff["round"],
        unit_id=signoff["unit_id"],
        unit_name=signoff["unit_name"],
        draft_node=signoff["draft_node"],
        decision=decision,  # type: ignore[arg-type]
        decided_by=by,
        decided_at=now,
        comment=comment,
    )
    here = signoff["draft_node"] == d.node
    pending = outbox.entries((event, None if here else signoff["draft_node"]))
    fields = {"status": decision, "by": by, "decided_at": now, "comment": comment}
    if not await d.drafts.decide(signoff["_id"], fields, pending):
        raise Conflict("本单位的签发人刚处理过该草稿，请刷新", field="draft_id", code="already_decided")
    if here:  # at once, before its event goes out: the event then finds it done and changes nothing
        await apply_decision(event, d)
    await d.drafts.flush_signoff(signoff["_id"], pending)
    return await get_draft(DraftQuery(draft_id=draft_id, actor=actor), d)


# ---------------------------------------------------------------- events


async def on_signing_requested(event: DraftSigningRequested, d: Deps) -> None:
    """A unit hosted here is asked to sign: its 签发人 see the request in 待签发 (kept once, by its id)."""
    if event.unit_node == d.node:
        await d.drafts.add_signoff(signoff_doc(event))


async def on_signing_decided(event: DraftSigningDecided, d: Deps) -> None:
    """A 签发人's answer, made here or on a linked node, for a draft kept here."""
    if event.draft_node == d.node:
        await apply_decision(event, d)


async def on_signing_closed(event: DraftSigningClosed, d: Deps) -> None:
    """A round ended: its requests here still pending leave 待签发; each shows how the draft ended."""
    outcome = {
        "outcome": event.outcome,
        "reason": event.reason,
        "notice_id": event.notice_id,
        "doc_number": event.doc_number,
        "at": event.occurred_at,
    }
    await d.drafts.close(event.draft_id, event.round, list(event.unit_ids), outcome)


# ---------------------------------------------------------------- the draft takes an answer


async def apply_decision(event: DraftSigningDecided, d: Deps) -> None:
    unit = event.unit_id
    when = {"status": "submitted", "round": event.round, f"signatures.{unit}.status": "pending"}
    signature = {
        f"signatures.{unit}.status": event.decision,
        f"signatures.{unit}.by": event.decided_by,
        f"signatures.{unit}.at": event.decided_at,
        f"signatures.{unit}.comment": event.comment,
    }
    action = "signed" if event.decision == "signed" else "refused"
    entry = step(action, event.decided_by, event.unit_name, event.decided_at, event.comment, event.round)
    now = d.clock.now()
    if event.decision == "signed":
        await d.drafts.move(
            event.draft_id, when, {"$set": {**signature, "updated_at": now}, "$push": {"history": entry}}
        )
        doc = await d.drafts.get(event.draft_id)
        if doc is not None and doc["round"] == event.round and ready(doc):
            await issue_draft(doc, d)
        return
    doc = await d.drafts.get(event.draft_id)
    if doc is None:
        return
    pending = closing(doc, "returned", d, reason=f"{event.unit_name}退回：{event.comment}")
    fields = {**signature, "status": "returned", "returned": entry, "updated_at": now}
    if await d.drafts.move(event.draft_id, when, {"$set": fields, "$push": {"history": entry}}, pending):
        await d.drafts.flush(event.draft_id, pending)


def ready(doc: dict) -> bool:
    """Every signature is in (or a claim to issue it was interrupted): the draft is to be issued."""
    return doc["status"] == "issuing" or (doc["status"] == "submitted" and drafting.all_signed(doc["signatures"]))


def closing(doc: dict, outcome: str, d: Deps, *, reason: str = "", doc_number: str = "") -> list[dict]:
    """``draft.signing_closed`` to every node keeping a request of the draft's round, for the units there."""
    pairs = []
    for node, unit_ids in drafting.by_node(doc.get("signatures") or {}).items():
        event = DraftSigningClosed(
            event_id=domain.derived_event_id("draft-closed", doc["_id"], str(doc["round"]), outcome, node),
            occurred_at=d.clock.now(),
            origin_node=d.node,
            draft_id=doc["_id"],
            round=doc["round"],
            unit_ids=unit_ids,
            outcome=outcome,  # type: ignore[arg-type]
            reason=reason[:2000],
            notice_id=doc["_id"] if outcome == "issued" else None,
            doc_number=doc_number,
        )
        pairs.append((event, None if node == d.node else node))
    return outbox.entries(*pairs)


# ---------------------------------------------------------------- issuing a signed draft


async def issue_draft(doc: dict, d: Deps) -> None:
    """Issue a draft every unit has signed: claim it (submitted → issuing), issue the notice under the draft's
    id, then record it (issuing → issued). A notice that cannot be issued any more (a deadline passed while
    it waited for 会签, a 文号 taken meanwhile) sends the draft back to its drafter with the reason."""
    now = d.clock.now()
    if doc["status"] == "submitted":
        claimed = await d.drafts.move(
            doc["_id"],
            {"status": "submitted", "round": doc["round"]},
            {"$set": {"status": "issuing", "updated_at": now}},
        )
        if claimed is None:
            return  # another signer or replica got there first
        doc = claimed
    if doc["status"] != "issuing":
        return
    issuer_ids = [u["unit_id"] for u in doc["preview"]["issuers"]]
    signing = drafting.signing_of(drafting.in_order(doc["signatures"], issuer_ids), d.tz)
    drafter = Actor.model_validate(doc["drafter"]) if doc.get("drafter") else None
    content = stored_content(doc).model_copy(update={"actor": drafter})
    notice = await d.repo.get_notice(doc["_id"])
    if notice is None:
        try:
            make = issue if doc["kind"] == "notice" else forward
            await make(content, d, signed=signing, as_id=doc["_id"])  # type: ignore[arg-type]
        except (DomainError, ValidationError) as exc:
            if await d.repo.get_notice(doc["_id"]) is None:  # not issued by a second try running alongside
                message = exc.message if isinstance(exc, DomainError) else "内容不完整"
                await _send_back(doc, f"签发后未能发文：{message}", d)
                return
        notice = await d.repo.get_notice(doc["_id"])
    number = notice["doc_number"] if notice else ""
    pending = closing(doc, "issued", d, doc_number=number)
    fields = {
        "status": "issued",
        "notice_id": doc["_id"],
        "doc_number": number,
        "signed_by": signing["signed_by"],
        "signed_at": signing["signed_at"],
        "signed_on": signing["signed_on"].isoformat(),
        "updated_at": now,
    }
    entry = step("issued", "", doc["unit_name"], now, number, doc["round"])
    if await d.drafts.move(doc["_id"], {"status": "issuing"}, {"$set": fields, "$push": {"history": entry}}, pending):
        await d.drafts.flush(doc["_id"], pending)


async def _send_back(doc: dict, reason: str, d: Deps) -> None:
    now = d.clock.now()
    entry = step("failed", "", doc["unit_name"], now, reason, doc["round"])
    pending = closing(doc, "returned", d, reason=reason)
    fields = {"status": "returned", "returned": entry, "updated_at": now}
    if await d.drafts.move(doc["_id"], {"status": "issuing"}, {"$set": fields, "$push": {"history": entry}}, pending):
        await d.drafts.flush(doc["_id"], pending)


async def finish_issuing(d: Deps) -> None:
    """At start-up: drafts whose issue a crash interrupted. Never stops the service from starting."""
    for doc in await d.drafts.issuing():
        try:
            await issue_draft(doc, d)
        except Exception:
            log.exception("could not finish issuing draft %s; it is tried again at the next start-up", doc["_id"])
