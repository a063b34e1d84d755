"""拟稿: drafts of notices and 转发, saved and edited by their unit, checked as issuing would check them, sent for
签发 (and each co-issuer's 会签), and read: one draft, the unit's own, 待签发 for its 签发人.

Every state change is one conditional update (drafts_store.py ``move``) whose filter names the state it moves
from; the requests to sign ride in the draft's outbox, to this node or the linked node hosting each unit.
"""

from shared import outbox
from shared.contracts.common import Actor
from shared.contracts.notices import (
    CreateDraft,
    DraftQuery,
    DraftRow,
    DraftsQuery,
    DraftView,
    ForwardDraft,
    NoticeDraft,
    SubmitDraft,
    UpdateDraft,
)
from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, one_or_all
from shared.events import DraftSigningRequested
from shared.ids import new_id
from shared.paging import Page, page_of
from shared.schemas import DraftPreview, Role
from shared.scope import actor_name

from .. import domain, drafting
from ..drafts_store import EDITABLE, signoff_id, step, when_editable
from ..repository import snapshot_of
from .deps import Deps
from .forwarding import forward
from .issuing import issue

Content = NoticeDraft | ForwardDraft

NOT_EDITABLE = {
    "submitted": "草稿已送签发，签发人处理前不能修改或再次送签",
    "issuing": "草稿已签发，正在发文，不能修改",
    "issued": "草稿已签发并发文，不能修改",
}


# ---------------------------------------------------------------- content


def content_of(cmd: CreateDraft | UpdateDraft) -> tuple[str, Content]:
    if (cmd.notice is None) == (cmd.forward is None):
        raise Invalid("草稿须是通知（notice）或转发（forward）二者之一", field="notice", code="draft_kind")
    return ("notice", cmd.notice) if cmd.notice is not None else ("forward", cmd.forward)  # type: ignore[return-value]


def lead_of(kind: str, content: Content) -> str:
    return content.issuer_unit_ids[0] if isinstance(content, NoticeDraft) else content.unit_id


def stored_content(doc: dict) -> Content:
    model = NoticeDraft if doc["kind"] == "notice" else ForwardDraft
    return model.model_validate(doc["content"])


def dumped(content: Content) -> dict:
    return content.model_dump(mode="python", exclude={"actor"})


async def checked(kind: str, content: Content, actor: Actor | None, d: Deps) -> DraftPreview:
    """The content checked as issuing it would be (no 文号 taken, nothing stored; the errors name the fields
    under ``notice.`` or ``forward.``), then what its 签发人 will read."""
    cmd = content.model_copy(update={"actor": actor})
    try:
        if isinstance(cmd, NoticeDraft):
            await issue(cmd, d, dry_run=True)
        else:
            await forward(cmd, d, dry_run=True)
    except DomainError as exc:  # each problem (``Problems``: several at once) under the draft's kind
        raise one_or_all([_under(kind, e) for e in exc.all()]) from exc
    return await preview_of(kind, content, d)


def _under(kind: str, exc: DomainError) -> DomainError:
    out = type(exc)(exc.message, field=f"{kind}.{exc.field}" if exc.field else kind, code=exc.code)
    out.status = exc.status
    return out


async def preview_of(kind: str, content: Content, d: Deps) -> DraftPreview:
    upstream = None
    if isinstance(content, ForwardDraft):
        issuer_ids = [content.unit_id, *content.co_issuer_unit_ids]
        upstream_doc = await d.repo.get_notice(content.notice_id)
        if upstream_doc is None:
            raise NotFound("本单位收文中没有该通知", field="forward.notice_id")
        upstream = snapshot_of(upstream_doc)
    else:
        issuer_ids = list(content.issuer_unit_ids)
    units = await d.repo.units_by_id(issuer_ids + list(content.recipient_unit_ids))
    refs = {uid: domain.unit_ref(doc, d.node) for uid, doc in units.items()}
    issuers = [refs[u] for u in issuer_ids if u in refs]
    recipients = [refs[u] for u in dict.fromkeys(content.recipient_unit_ids) if u in refs]
    if upstream is None:
        assert isinstance(content, NoticeDraft)
        return drafting.preview(
            "notice",
            title=content.title,
            issuers=issuers,
            recipients=recipients,
            doc_number=content.doc_number,
            body=content.body,
            asks=list(content.asks),
            contacts=list(content.contacts),
            attachments=list(content.attachments),
        )
    assert isinstance(content, ForwardDraft)
    return drafting.preview(
        "forward",
        title=content.title or domain.forward_title(upstream.title),
        issuers=issuers,
        recipients=recipients,
        doc_number=content.doc_number,
        body=upstream.body,
        cover_note=content.cover_note,
        asks=drafting.upstream_asks(upstream.asks, dict(content.deadlines), list(content.extra_asks)),
        contacts=list(content.contacts),
        attachments=[*upstream.attachments, *content.attachments],
        upstream=domain.chain_link(upstream),
    )


# ---------------------------------------------------------------- 拟稿, edit, 送签发


async def create_draft(cmd: CreateDraft, d: Deps) -> DraftView:
    kind, content = content_of(cmd)
    preview = await checked(kind, content, cmd.actor, d)
    lead = preview.issuers[0]
    now = d.clock.now()
    by = actor_name(cmd.actor)
    doc = {
        "_id": new_id(),
        "kind": kind,
        "unit_id": lead.unit_id,
        "unit_name": lead.name,
        "node_id": d.node,
        "status": "draft",
        "version": 1,
        "round": 0,
        "title": preview.title,
        "content": dumped(content),
        "preview": preview.model_dump(mode="python"),
        "drafted_by": by,
        # Who drafted it issues it once signed: the 文号 and 发文人 are the drafting unit's.
        "drafter": cmd.actor.model_dump(mode="python") if cmd.actor else None,
        "created_at": now,
        "updated_at": now,
        "submitted_at": None,
        "signatures": {},
        "history": [step("created", by, lead.name, now)],
        "returned": None,
        "notice_id": None,
        "doc_number": "",
        "signed_by": "",
        "signed_at": None,
        "signed_on": None,
    }
    await d.drafts.insert(doc)
    return await view(doc, cmd.actor, d)


async def own_draft(draft_id: str, actor: Actor | None, d: Deps) -> dict:
    """A draft of the actor's unit; any other does not exist for it."""
    doc = await d.drafts.get(draft_id)
    if doc is None or (actor is not None and doc["unit_id"] != actor.unit_id):
        raise NotFound("草稿不存在", field="draft_id")
    return doc


def require_editable(doc: dict) -> None:
    if doc["status"] not in EDITABLE:
        raise Conflict(NOT_EDITABLE.get(doc["status"], "草稿不能修改"), field="draft_id", code="not_editable")


async def refusal(draft_id: str, actor: Actor | None, d: Deps) -> DomainError:
    """Why a conditional update of a draft did not apply: it moved on, or it was saved since it was read."""
    doc = await own_draft(draft_id, actor, d)
    require_editable(doc)
    return Conflict("草稿刚被修改过，请刷新后重试", field="version", code="stale_version")


async def update_draft(cmd: UpdateDraft, d: Deps) -> DraftView:
    kind, content = content_of(cmd)
    doc = await own_draft(cmd.draft_id, cmd.actor, d)
    if kind != doc["kind"]:
        raise Invalid("不能改变草稿的种类（通知或转发）", field=kind, code="draft_kind")
    require_editable(doc)
    if cmd.version is not None and cmd.version != doc["version"]:
        raise Conflict("草稿刚被修改过，请刷新后重试", field="version", code="stale_version")
    if lead_of(kind, content) != doc["unit_id"]:
        field = "notice.issuer_unit_ids.0" if kind == "notice" else "forward.unit_id"
        raise Forbidden("草稿的主办单位不能更改", field=field, code="other_unit")
    preview = await checked(kind, content, cmd.actor, d)
    fields = {
        "content": dumped(content),
        "preview": preview.model_dump(mode="python"),
        "title": preview.title,
        "updated_at": d.clock.now(),
    }
    moved = await d.drafts.move(
        doc["_id"], when_editable(doc["unit_id"], doc["version"]), {"$set": fields, "$inc": {"version": 1}}
    )
    if moved is None:
        raise await refusal(doc["_id"], cmd.actor, d)
    return await view(moved, cmd.actor, d)


def signing_request(doc: dict, preview: DraftPreview, sig: dict, round_: int, d: Deps) -> DraftSigningRequested:
    now = d.clock.now()
    return DraftSigningRequested(
        event_id=domain.derived_event_id("draft", doc["_id"], str(round_), sig["unit_id"]),
        occurred_at=now,
        origin_node=d.node,
        draft_id=doc["_id"],
        round=round_,
        unit_id=sig["unit_id"],
        unit_name=sig["unit_name"],
        unit_node=sig["node_id"],
        lead=sig["lead"],
        draft_node=d.node,
        drafter_unit_id=doc["unit_id"],
        drafter_unit_name=doc["unit_name"],
        drafted_by=doc["drafted_by"],
        preview=preview,
        requested_at=now,
    )


def signoff_doc(event: DraftSigningRequested) -> dict:
    """The request as the signing unit's node keeps it: what its 签发人 read in 待签发, and their answer."""
    return {
        "_id": signoff_id(event.draft_id, event.round, event.unit_id),
        "draft_id": event.draft_id,
        "round": event.round,
        "unit_id": event.unit_id,
        "unit_name": event.unit_name,
        "lead": event.lead,
        "draft_node": event.draft_node,
        "drafter_unit_id": event.drafter_unit_id,
        "drafter_unit_name": event.drafter_unit_name,
        "drafted_by": event.drafted_by,
        "kind": event.preview.kind,
        "title": event.preview.title,
        "preview": event.preview.model_dump(mode="python"),
        "requested_at": event.requested_at,
        "status": "pending",
        "decided": False,
        "by": "",
        "decided_at": None,
        "comment": "",
        "closed": None,
    }


async def submit_draft(cmd: SubmitDraft, d: Deps) -> DraftView:
    doc = await own_draft(cmd.draft_id, cmd.actor, d)
    require_editable(doc)
    if cmd.version is not None and cmd.version != doc["version"]:
        raise Conflict("草稿刚被修改过，请刷新后重试", field="version", code="stale_version")
    kind, content = doc["kind"], stored_content(doc)
    if not content.recipient_unit_ids:
        raise Invalid("送签发前请选择收文单位", field=f"{kind}.recipient_unit_ids", code="no_recipients")
    preview = await checked(kind, content, cmd.actor, d)  # the directory and the deadlines may have moved since
    for i, unit in enumerate(preview.issuers):
        if unit.node_id not in d.reachable_nodes:
            field = f"notice.issuer_unit_ids.{i}" if kind == "notice" else f"forward.co_issuer_unit_ids.{i - 1}"
            raise Invalid(
                f"联合发文单位所在节点（{unit.node_id}）未与本节点连接，无法会签：{unit.name}",
                field=field,
                code="unlinked_node",
            )
    now = d.clock.now()
    round_ = doc["round"] + 1
    signatures = drafting.signatures_asked(preview.issuers)
    requests = [signing_request(doc, preview, sig, round_, d) for sig in signatures.values()]
    pending = outbox.entries(*[(e, None if e.unit_node == d.node else e.unit_node) for e in requests])
    by = actor_name(cmd.actor)
    moved = await d.drafts.move(
        doc["_id"],
        {**when_editable(doc["unit_id"], doc["version"]), "round": doc["round"]},
        {
            "$set": {
                "status": "submitted",
                "round": round_,
                "signatures": signatures,
                "preview": preview.model_dump(mode="python"),
                "title": preview.title,
                "submitted_at": now,
                "updated_at": now,
                "returned": None,
            },
            "$push": {"history": step("submitted", by, doc["unit_name"], now, round_=round_)},
        },
        pending,
    )
    if moved is None:
        raise await refusal(doc["_id"], cmd.actor, d)
    await d.drafts.flush(doc["_id"], pending)
    for request in requests:  # this node's requests at once (their events add them again: nothing changes)
        if request.unit_node == d.node:
            await d.drafts.add_signoff(signoff_doc(request))
    return await view(moved, cmd.actor, d)


# ---------------------------------------------------------------- reading


def signature_of(signoff: dict, node: str) -> dict:
    """The signature a request stands for, as the signing unit's node knows it."""
    return {
        "unit_id": signoff["unit_id"],
        "unit_name": signoff["unit_name"],
        "node_id": node,
        "lead": signoff["lead"],
        "status": signoff["status"],
        "by": signoff.get("by", ""),
        "at": signoff.get("decided_at"),
        "comment": signoff.get("comment", ""),
    }


_UNSET: dict = {}


async def view(doc: dict, actor: Actor | None, d: Deps, signoff: dict | None = _UNSET) -> DraftView:
    unit = actor.unit_id if actor else doc["unit_id"]
    drafter = unit == doc["unit_id"]
    if signoff is _UNSET:
        signoff = await d.drafts.signoff_of(doc["_id"], unit) if actor else None
    signing = signature_of(signoff, d.node) if signoff and signoff["round"] == doc["round"] else None
    issuer_ids = [u["unit_id"] for u in doc["preview"]["issuers"]]
    keys = ("kind", "unit_id", "unit_name", "node_id", "status", "version", "round", "title", "preview")
    return DraftView.model_validate(
        {
            "id": doc["_id"],
            **{k: doc[k] for k in keys},
            **{k: doc.get(k) for k in ("drafted_by", "created_at", "updated_at", "submitted_at", "returned")},
            **{k: doc.get(k) for k in ("notice_id", "signed_at", "signed_on")},
            "doc_number": doc.get("doc_number") or "",
            "signed_by": doc.get("signed_by") or "",
            "history": doc.get("history", []),
            "notice": doc["content"] if drafter and doc["kind"] == "notice" else None,
            "forward": doc["content"] if drafter and doc["kind"] == "forward" else None,
            "signatures": drafting.in_order(doc.get("signatures") or {}, issuer_ids),
            "viewer": {
                "unit_id": unit,
                "drafter": drafter,
                "can_edit": drafter and doc["status"] in EDITABLE,
                "signing": signing,
            },
        }
    )


def signoff_view(signoff: dict, actor: Actor | None, node: str) -> DraftView:
    """A draft kept on a linked node, as the unit asked to sign it here sees it: its request."""
    closed = signoff.get("closed") or {}
    outcome = closed.get("outcome")
    signature = signature_of(signoff, node)
    returned = None
    if outcome == "returned":
        returned = {"action": "refused", "comment": closed.get("reason", ""), "at": closed["at"]}
    return DraftView.model_validate(
        {
            "id": signoff["draft_id"],
            "kind": signoff["kind"],
            "unit_id": signoff["drafter_unit_id"],
            "unit_name": signoff["drafter_unit_name"],
            "node_id": signoff["draft_node"],
            "status": {"issued": "issued", "returned": "returned"}.get(outcome or "", "submitted"),
            "round": signoff["round"],
            "title": signoff["title"],
            "preview": signoff["preview"],
            "drafted_by": signoff["drafted_by"],
            "submitted_at": signoff["requested_at"],
            "updated_at": signoff.get("decided_at") or signoff["requested_at"],
            "signatures": [signature],
            "returned": returned,
            "notice_id": closed.get("notice_id"),
            "doc_number": closed.get("doc_number") or "",
            "viewer": {"unit_id": actor.unit_id if actor else "", "signing": signature},
        }
    )


async def get_draft(q: DraftQuery, d: Deps) -> DraftView:
    """A draft, as its drafting unit sees it or as a unit asked to sign it does (here or on a linked node)."""
    unit = q.actor.unit_id if q.actor else None
    doc = await d.drafts.get(q.draft_id)
    signoff = await d.drafts.signoff_of(q.draft_id, unit) if unit else None
    if doc is not None and (unit is None or doc["unit_id"] == unit or signoff is not None):
        return await view(doc, q.actor, d, signoff)
    if signoff is not None:
        return signoff_view(signoff, q.actor, d.node)
    raise NotFound("草稿不存在", field="draft_id")


async def drafts(q: DraftsQuery, d: Deps) -> Page[DraftRow]:
    """The unit's own drafts, newest first; or, for its 签发人, what waits for them (待签发) or they decided."""
    if q.actor is None:
        raise Invalid("请以本单位用户身份查询", field="actor")
    unit = q.actor.unit_id
    if q.box == "mine":
        docs, more, total = await d.drafts.page_of_unit(unit, q.page, q.status)
        rows = [
            DraftRow.model_validate(
                {
                    "id": doc["_id"],
                    **{k: doc.get(k) for k in ("kind", "title", "unit_id", "unit_name", "status", "drafted_by")},
                    **{k: doc.get(k) for k in ("updated_at", "round", "notice_id")},
                    "doc_number": doc.get("doc_number") or "",
                    "comment": (doc.get("returned") or {}).get("comment", ""),
                }
            )
            for doc in docs
        ]
        return page_of(rows, q.page, more, total)
    if Role.signer not in q.actor.roles:
        raise Forbidden("只有签发人可以查看待签发", field="box", code="not_signer")
    signoffs, more, total = await d.drafts.page_of_signer(unit, q.page, decided=q.box == "decided")
    rows = [
        DraftRow.model_validate(
            {
                "id": s["draft_id"],
                **{k: s[k] for k in ("kind", "title", "status", "drafted_by", "round", "lead", "comment")},
                "unit_id": s["drafter_unit_id"],
                "unit_name": s["drafter_unit_name"],
                "updated_at": s.get("decided_at") or s["requested_at"],
                "notice_id": (s.get("closed") or {}).get("notice_id"),
                "doc_number": (s.get("closed") or {}).get("doc_number") or "",
            }
        )
        for s in signoffs
    ]
    return page_of(rows, q.page, more, total)
