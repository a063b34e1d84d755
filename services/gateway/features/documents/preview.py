"""A notice not yet issued, as the 公文 it will print: what 拟稿 and 转发 preview before issuing.

Nothing is stored and no 文号 is allocated: the 文号 is the one typed, or the lead issuer's template with the
year and no number (粤科协联〔2025〕号). The directory gives the issuers' 标志 and the recipients' kinds.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from shared.clock import local_year
from shared.contracts.common import Actor, Empty, NoticeQuery
from shared.contracts.notices import NoticeView, Unit
from shared.document_elements import attachment_label
from shared.errors import Forbidden, Invalid, NotFound
from shared.schemas import Contact, DocumentElements, UnitRef

from ...core.backend import Backend
from .build import link_of, placeholder_number

PREVIEW_ID = "preview"


def _ref(unit: Unit, node_id: str) -> UnitRef:
    return UnitRef(
        unit_id=unit.id,
        name=unit.name,
        kind=unit.kind,
        node_id=unit.node_id or node_id,
        contacts=unit.contacts,
        mark_name=unit.mark_name or "",
    )


def _refs(units: dict[str, Unit], ids: list[str], node_id: str, field: str, what: str) -> list[UnitRef]:
    out: list[UnitRef] = []
    for i, unit_id in enumerate(dict.fromkeys(ids)):
        unit = units.get(unit_id)
        if unit is None:
            raise Invalid(f"{what}不存在：{unit_id}", field=f"{field}.{i}", code="unknown_unit")
        out.append(_ref(unit, node_id))
    return out


async def preview_notice(
    b: Backend,
    actor: Actor,
    *,
    node_id: str,
    now: datetime,
    timezone: str,
    title: str,
    issuer_ids: list[str],
    recipient_ids: list[str],
    body: str = "",
    cover_note: str = "",
    doc_number: str | None = None,
    contacts: Sequence[Contact | dict[str, Any]] = (),
    filenames: Sequence[str] = (),
    elements: DocumentElements | None = None,
    upstream_id: str | None = None,
) -> NoticeView:
    """The notice a 拟稿 (or, with ``upstream_id``, a 转发 of that notice) would issue, as a ``NoticeView``."""
    if not issuer_ids or issuer_ids[0] != actor.unit_id:
        raise Forbidden("只能以本单位为主办单位发文", field="issuer_unit_ids.0", code="other_unit")
    upstream = await b.notices.get(NoticeQuery(notice_id=upstream_id, actor=actor)) if upstream_id else None
    if upstream is not None and (upstream.viewer is None or upstream.viewer.inbox is None):
        raise NotFound("本单位收文中没有该通知", field="notice_id")  # as the 转发 itself would answer
    units = {u.id: u for u in (await b.notices.all_units(Empty(actor=actor))).items}
    issuers = _refs(units, issuer_ids, node_id, "issuer_unit_ids", "发文单位")
    recipients = _refs(units, recipient_ids, node_id, "recipient_unit_ids", "收文单位")
    lead = units[issuer_ids[0]]
    values = (elements or DocumentElements()).model_dump()
    if values["attachment_names"] is None and filenames:
        values["attachment_names"] = [attachment_label(f) for f in filenames if f]
    number = (doc_number or "").strip() or placeholder_number(
        lead.doc_number_template, lead.name, local_year(now, timezone)
    )
    forwarded = upstream is not None
    if upstream is not None and not title.strip():
        title = f"关于转发《{upstream.title}》的通知"
    return NoticeView.model_validate(
        {
            **values,
            "id": PREVIEW_ID,
            "doc_number": number,
            "title": title.strip() or "（标题）",
            "issuers": issuers,
            "body": upstream.body if upstream is not None else body,
            "cover_note": cover_note,
            "contacts": list(contacts),
            "recipients": recipients,
            "recipient_count": len(recipients),
            "root_notice_id": upstream.root_notice_id if upstream is not None else PREVIEW_ID,
            "parent_notice_id": upstream.id if upstream is not None else None,
            "chain": [*upstream.chain, link_of(upstream)] if upstream is not None else [],
            "issued_at": now,
            "kind": "forwarded" if forwarded else "issued",
            "origin": "local",
        }
    )
