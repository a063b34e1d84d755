"""Rules of drafts (拟稿), 签发 and 会签. Pure functions: no I/O; the clock and the zone are passed in.

A draft is issued once every issuing unit's 签发人 has signed it: the lead's 签发 and each co-issuer's 会签.
Who may issue without a draft: a unit that does not require 签发 (its directory entry's ``requires_signing``),
for a notice or a 转发 of its own alone. Naming a co-issuer (a co-forwarder) makes it a joint notice (转发), which
only its 会签 can make.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.errors import Conflict
from shared.schemas import MAX_PREVIEW_NAMES, Ask, ChainLink, DraftPreview, Signature, UnitRef

DRAFTS_HINT = "请先拟稿（POST /api/drafts，或在拟稿页面保存草稿）并送签发"
FORWARD_DRAFTS_HINT = "请先拟稿（POST /api/drafts，或在转发页面保存草稿）并送签发"


def check_direct_issue(lead: dict, issuers: list[UnitRef], *, field: str = "issuer_unit_ids") -> None:
    """A notice issued at once (POST /api/notices): refused where a 签发人 must sign it first."""
    _check_cosign(issuers[1:], field=f"{field}.1", what="发文", hint=DRAFTS_HINT)
    _check_signing(lead, field=f"{field}.0", what="发文", hint=DRAFTS_HINT)


def check_direct_forward(
    unit: dict,
    co_forwarders: Sequence[UnitRef] = (),
    *,
    field: str = "unit_id",
    co_field: str = "co_issuer_unit_ids",
) -> None:
    """A 转发 made at once (POST /api/notices/{id}/forward): refused, as a notice is, where a 签发人 must sign it
    first — each co-forwarder's (会签: a joint 转发 only goes through a draft), or the unit's own (签发)."""
    _check_cosign(co_forwarders, field=f"{co_field}.0", what="转发", hint=FORWARD_DRAFTS_HINT)
    _check_signing(unit, field=field, what="转发", hint=FORWARD_DRAFTS_HINT)


def _check_cosign(co_issuers: Sequence[UnitRef], *, field: str, what: str, hint: str) -> None:
    if co_issuers:
        names = "、".join(u.name for u in co_issuers)
        raise Conflict(
            f"联合{what}须经联合{what}单位（{names}）的签发人会签，不能直接{what}：{hint}",
            field=field,
            code="cosign_required",
        )


def _check_signing(unit: dict, *, field: str, what: str, hint: str) -> None:
    """A notice or 转发 of a unit that requires 签发 goes through a draft."""
    if unit.get("requires_signing"):
        raise Conflict(
            f"{unit['name']}的{what}须经签发人签发，不能直接{what}：{hint}", field=field, code="signing_required"
        )


# ---------------------------------------------------------------- what a 签发人 reads


def preview(
    kind: str,
    *,
    title: str,
    issuers: list[UnitRef],
    recipients: Iterable[UnitRef],
    doc_number: str | None,
    body: str,
    cover_note: str = "",
    asks: list[Ask],
    contacts: list,
    attachments: list,
    upstream: ChainLink | None = None,
) -> DraftPreview:
    names = [u.name for u in recipients]
    return DraftPreview(
        kind=kind,  # type: ignore[arg-type]
        title=title,
        issuers=issuers,
        recipient_names=names[:MAX_PREVIEW_NAMES],
        recipient_count=len(names),
        doc_number=doc_number or "",
        body=body,
        cover_note=cover_note,
        asks=asks,
        contacts=contacts,
        attachments=attachments,
        upstream=upstream,
    )


def upstream_asks(upstream: list[Ask], deadlines: dict[str, datetime], extra: list[Ask]) -> list[Ask]:
    """The asks a 转发 would carry, as its 签发人 read them: the inherited ones at their earlier deadlines, then its
    own (the 转发's full rules are checked when it is saved and again when it is issued)."""
    moved = [a.model_copy(update={"deadline": deadlines.get(a.ask_id, a.deadline)}) for a in upstream]
    return [*moved, *extra]


# ---------------------------------------------------------------- signatures


def signatures_asked(issuers: list[UnitRef]) -> dict[str, dict]:
    """The signatures a submitted draft needs, keyed by unit: the lead's 签发, then each co-issuer's 会签."""
    return {
        u.unit_id: {
            "unit_id": u.unit_id,
            "unit_name": u.name,
            "node_id": u.node_id,
            "lead": n == 0,
            "status": "pending",
            "by": "",
            "at": None,
            "comment": "",
        }
        for n, u in enumerate(issuers)
    }


def in_order(signatures: dict[str, dict], issuer_ids: list[str]) -> list[dict]:
    """The signatures as the issuers are listed: the lead first."""
    order = {u: n for n, u in enumerate(issuer_ids)}
    return sorted(signatures.values(), key=lambda s: (not s.get("lead"), order.get(s["unit_id"], len(order))))


def all_signed(signatures: dict[str, dict]) -> bool:
    return bool(signatures) and all(s["status"] == "signed" for s in signatures.values())


def signing_of(signatures: list[dict], tz: str) -> dict:
    """What the issued notice records: its 签发人 and when (the lead's signature), every signature, and the
    成文日期 — the day, in the node's zone, of the last signature."""
    lead = next(s for s in signatures if s.get("lead"))
    last = max(s["at"] for s in signatures)
    return {
        "signed_by": lead["by"],
        "signed_at": lead["at"],
        "signed_on": last.astimezone(ZoneInfo(tz)).date(),
        "signatures": [
            Signature(
                unit_id=s["unit_id"],
                unit_name=s["unit_name"],
                lead=bool(s.get("lead")),
                signed_by=s["by"],
                signed_at=s["at"],
                comment=s.get("comment", ""),
            )
            for s in signatures
        ],
    }


def by_node(signatures: dict[str, dict]) -> dict[str, list[str]]:
    """The units asked to sign, grouped by the node hosting each (where their requests are kept)."""
    out: dict[str, list[str]] = {}
    for s in signatures.values():
        out.setdefault(s["node_id"], []).append(s["unit_id"])
    return out
