"""What Cascade stores → what an office prints: a notice as a 公文, an ask's 汇总表 and its blank 样表.

Pure functions from the contracts' replies (``NoticeView``, ``SubmissionTable``, ``Ask``) to the models of
the rendering library (``officedocs``); the routes fetch, these map, the library renders.

- A notice is its own 公文: 标志 from each issuer's 发文机关标志 (the directory's ``mark_name``), the 主送机关
  as written (or from the recipients' kinds), the text (a 转发's own cover note; the original's body), the
  附件说明, 署名 and 成文日期 (the signing date once a notice records one, else the day it was issued), 附注
  (its notes and contacts) and 版记.
- A 转发 carries the level above it as its 附件, built from the notice's chain (each level recorded what its
  公文 printed), and that level's own 附件 in turn: the original at the bottom.
- The 汇总: one row per item of each unit's latest submission; the units that owe and sent nothing as gap
  rows; items that came up inside a 汇总 name their source unit after the compiling one.
"""

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from shared.contracts.notices import NoticeView
from shared.contracts.submissions import SubmissionTable, TableRow
from shared.document_elements import attachment_labels, default_addressees
from shared.errors import NotFound
from shared.schemas import Ask, ChainLink, FieldType, FormField

from ...core.item_sources import item_sources
from ...officedocs import (
    BlankForm,
    Issuer,
    OfficialDocument,
    ReportSection,
    ReportUnit,
    SummaryGap,
    SummaryItem,
    SummaryReport,
    SummaryTable,
    paragraphs_from_text,
)

# ---------------------------------------------------------------- text an XML file can hold

# Word and Excel files are XML: C0 controls (but tab and newline), lone surrogates and U+FFFE/FFFF cannot be in
# them. Text typed into Cascade may hold them (a paste, a fuzzer); they are dropped, never a failed download.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def xml_safe[M: BaseModel](model: M) -> M:
    """The same model with every text stripped of what an XML document cannot hold."""
    return type(model).model_validate(_clean(model.model_dump()))


# ---------------------------------------------------------------- 公文


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


def local_time(at: datetime, timezone: str) -> datetime:
    """The office's wall-clock time, without a zone (what a ZIP entry's date holds)."""
    return at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def signed_on(notice: Any, timezone: str) -> date:
    """成文日期: the signing date when the notice records one (签发), else the day it was issued."""
    signed = getattr(notice, "signed_on", None)
    if isinstance(signed, date):
        return signed
    if isinstance(signed, str) and signed:
        return date.fromisoformat(signed[:10])
    return local_day(notice.issued_at, timezone)


def _notes(notes: str) -> list[str]:
    return [line.strip() for line in notes.splitlines() if line.strip()]


def official_document(notice: NoticeView, timezone: str) -> OfficialDocument:
    """A notice as its 公文; a 转发 with the level above it (and so on up to the original) following as 附件."""
    on = signed_on(notice, timezone)
    own_text = notice.body
    if notice.kind == "forwarded":
        upstream = notice.chain[-1].title if notice.chain else ""
        own_text = notice.cover_note or (f"现将《{upstream}》转发给你们，请结合实际认真贯彻落实。" if upstream else "")
    following = [_level(notice.chain, len(notice.chain) - 1, notice.body, timezone)] if notice.chain else []
    return xml_safe(
        OfficialDocument(
            issuers=[Issuer(name=u.name, mark_name=u.mark_name) for u in notice.issuers],
            doc_number=notice.doc_number,
            signers=notice.signers,
            urgency=notice.urgency,
            title=notice.title,
            addressees=notice.addressees or default_addressees(notice.recipients),
            body=paragraphs_from_text(own_text),
            attachment_names=attachment_labels(notice.attachments, notice.attachment_names),
            signed_on=on,
            notes=_notes(notice.notes),
            contacts=notice.contacts,
            copy_to=notice.copy_to,
            printed_by=notice.printed_by,
            printed_on=notice.printed_on or (on if notice.printed_by else None),
            attachments_following=following,
        )
    )


def _level(chain: list[ChainLink], i: int, original_body: str, timezone: str) -> OfficialDocument:
    """Level ``i`` of a chain (0: the original) as a 公文, the level above it following as its 附件."""
    link = chain[i]
    issuers = [Issuer(name=u.name, mark_name=u.mark_name) for u in link.issuers] or [
        Issuer(name=name) for name in link.issuer_name.split("、") if name.strip()
    ]
    on = link.signed_on or local_day(link.issued_at, timezone)
    text = original_body if i == 0 else link.cover_note
    return OfficialDocument(
        issuers=issuers or [Issuer(name=link.issuer_name or "（发文机关）")],
        doc_number=link.doc_number,
        signers=link.signers,
        urgency=link.urgency,
        title=link.title or link.doc_number,
        addressees=link.addressees,
        body=paragraphs_from_text(text),
        attachment_names=link.attachment_names or [],
        signed_on=on,
        notes=_notes(link.notes),
        contacts=link.contacts,
        copy_to=link.copy_to,
        printed_by=link.printed_by,
        printed_on=link.printed_on or (on if link.printed_by else None),
        attachments_following=[_level(chain, i - 1, original_body, timezone)] if i > 0 else [],
    )


def link_of(notice: NoticeView) -> ChainLink:
    """A notice as the next level's chain link (what a 转发 made of it would carry): for a 转发's preview."""
    return ChainLink(
        notice_id=notice.id,
        doc_number=notice.doc_number,
        issuer_name="、".join(i.name for i in notice.issuers),
        issuer_unit_id=notice.issuers[0].unit_id if notice.issuers else "",
        node_id=notice.issuers[0].node_id if notice.issuers else "local",
        issued_at=notice.issued_at,
        title=notice.title,
        issuers=notice.issuers,
        cover_note=notice.cover_note,
        contacts=notice.contacts,
        signed_on=getattr(notice, "signed_on", None),
        addressees=notice.addressees or default_addressees(notice.recipients),
        copy_to=notice.copy_to,
        printed_by=notice.printed_by,
        printed_on=notice.printed_on,
        urgency=notice.urgency,
        attachment_names=attachment_labels(notice.attachments, notice.attachment_names),
        notes=notice.notes,
        signers=notice.signers,
    )


def placeholder_number(template: str | None, prefix: str, year: int) -> str:
    """The 文号 of a preview: the issuer's template with the year and no number (粤科协联〔2025〕号): nothing is
    allocated before the notice is issued."""
    try:
        return (template or "{prefix}〔{year}〕{seq}号").format(prefix=prefix, year=year, seq="")
    except (KeyError, IndexError, ValueError):
        return f"{prefix}〔{year}〕号"


def document_filename(doc_number: str, title: str, extension: str) -> str:
    """文号-标题.docx, without what a file system refuses, the title cut to a sane length."""
    name = f"{doc_number}-{title}" if doc_number else title
    name = re.sub(r'[\\/:*?"<>|\s]+', " ", _NOT_XML.sub("", name)).strip(" .")
    return f"{name[:120] or '公文'}.{extension}"


# ---------------------------------------------------------------- 汇总


TEXT_FIELD = FormField(key="text", label="内容", type=FieldType.text)


def form_fields(ask: Ask) -> list[FormField]:
    """The ask's form; an ask without one is answered in one text (the 报送 page's ``text``)."""
    return list(ask.fields) or [TEXT_FIELD]


def _commendation(row: TableRow) -> str:
    mark = row.commendation
    if mark is None:
        return ""
    return f"{mark.category.value}（{mark.note}）" if mark.note else mark.category.value


def _sent_nothing(r: TableRow) -> bool:
    """A unit that owes the ask and sent nothing (a level whose items went up by themselves has sent them)."""
    return (r.status == "pending" or (not r.items and r.revision == 0)) and not r.items_up


def _answered_by_items(r: TableRow) -> bool:
    """A level's own submission upstream answered by its items sent up one by one (直接上报/择优上报)."""
    return r.status == "pending" and r.items_up > 0


def _row_items(r: TableRow) -> list[SummaryItem]:
    """The items of a unit's latest revision, each with its source unit and path."""
    items = r.items or [{}]
    sources = item_sources(r) if r.items else [(r.unit_name, [])]
    return [
        SummaryItem(
            unit_name=unit,
            source_path=path,
            status=r.status_text,
            submitted_at=r.submitted_at,
            late=r.late,
            accepted=r.status == "accepted",
            commendation=_commendation(r),
            item_no=n if len(items) > 1 else None,
            values=item,
            submitted_by=r.submitted_by or "",
        )
        for n, (item, (unit, path)) in enumerate(zip(items, sources, strict=True), 1)
    ]


def _gap(r: TableRow, now: datetime) -> SummaryGap:
    note = ""
    if r.last_reminder is not None:
        note = {"reminder": "已提醒", "chase": "已催办", "missed": "已逾期提醒"}[r.last_reminder.kind]
    return SummaryGap(unit_name=r.unit_name, status=r.status_text or "未报送", overdue=r.deadline < now, note=note)


def summary_table(
    table: SubmissionTable, *, generated_at: datetime, timezone: str, compiled_by: str = ""
) -> SummaryTable:
    """The 汇总表 of one ask: a row per item, the units that owe it and sent nothing as gaps."""
    rows: list[SummaryItem] = []
    gaps: list[SummaryGap] = []
    for r in table.rows:
        if _answered_by_items(r):
            continue  # its items are rows of their own
        if _sent_nothing(r):
            gaps.append(_gap(r, generated_at))
        else:
            rows += _row_items(r)
    return xml_safe(
        SummaryTable(
            notice_title=table.title,
            doc_number=table.doc_number,
            ask_title=table.ask.title,
            deadline=table.ask.deadline,
            generated_at=generated_at,
            compiled_by=compiled_by,
            timezone=timezone,
            fields=form_fields(table.ask),
            rows=rows,
            gaps=gaps,
        )
    )


# ---------------------------------------------------------------- 汇总报告


def summary_report(
    table: SubmissionTable, *, generated_at: datetime, timezone: str, compiled_by: str = ""
) -> SummaryReport:
    """The 汇总报告 of one ask: every unit that owes it (sent on time, late, or not), then each accepted
    submission with its items. Images are added by the route (``images``), after the text is made XML-safe."""
    units: list[ReportUnit] = []
    sections: list[ReportSection] = []
    for r in table.rows:
        if _answered_by_items(r):
            continue
        source = r.source_unit_name if r.source_unit_name and r.source_unit_name != r.unit_name else None
        sent = not _sent_nothing(r)
        units.append(
            ReportUnit(
                unit_name=source or r.unit_name,
                source_path=[r.unit_name, source] if source else [],
                status=r.status_text or ("已报送" if sent else "未报送"),
                submitted=sent,
                submitted_at=r.submitted_at if sent else None,
                late=sent and r.late,
                overdue=not sent and r.deadline < generated_at,
                items=len(r.items) if sent else 0,
            )
        )
        if r.status == "accepted":
            sections.append(
                ReportSection(
                    unit_name=source or r.unit_name,
                    status=r.status_text or "已采用",
                    submitted_at=r.submitted_at,
                    late=r.late,
                    submitted_by=r.submitted_by or "",
                    commendation=_commendation(r),
                    items=_row_items(r),
                )
            )
    return xml_safe(
        SummaryReport(
            notice_title=table.title,
            doc_number=table.doc_number,
            ask_title=table.ask.title,
            deadline=table.ask.deadline,
            generated_at=generated_at,
            compiled_by=compiled_by,
            timezone=timezone,
            fields=form_fields(table.ask),
            units=units,
            sections=sections,
        )
    )


def files_of(items: list[SummaryItem], fields: list[FormField]) -> list[tuple[str, dict[str, Any]]]:
    """Every file the items hold, with the unit it came from: (source unit, the file's attachment)."""
    keys = [f.key for f in fields if f.type == FieldType.file]
    return [
        (item.unit_name, f)
        for item in items
        for key in keys
        if isinstance(item.values.get(key), list)
        for f in item.values[key]
        if isinstance(f, dict) and f.get("sha256")
    ]


# ---------------------------------------------------------------- 样表


def ask_of(notice: NoticeView, ask_id: str) -> Ask:
    ask = next((a for a in notice.asks if a.ask_id == ask_id), None)
    if ask is None:
        raise NotFound("报送要求不存在", field="ask_id")
    return ask


def blank_form(notice: NoticeView, ask: Ask, timezone: str) -> BlankForm:
    """An ask's form as the 样表 to fill offline: 附件n as the notice lists its asks, the limits in words."""
    n = next((i for i, a in enumerate(notice.asks, 1) if a.ask_id == ask.ask_id), 1)
    return xml_safe(
        BlankForm(
            title=ask.title if ask.title.endswith("表") else f"{ask.title}（样表）",
            fields=form_fields(ask),
            attachment_label=f"附件{n}" if len(notice.asks) > 1 else "附件",
            ask_id=ask.ask_id,
            notice_title=notice.title,
            doc_number=notice.doc_number,
            min_items=ask.min_items,
            max_items=ask.max_items,
            note=ask.note,
            deadline=ask.deadline,
            timezone=timezone,
        )
    )
