"""Rules of notices. Pure functions: no I/O, the clock is passed in."""

from collections.abc import Iterable
from datetime import datetime

from shared.commands import IssueNotice
from shared.errors import Invalid
from shared.ids import new_id
from shared.schemas import Ask, ChainLink, NoticeSnapshot, UnitRef

DEFAULT_DOC_NUMBER_TEMPLATE = "{prefix}〔{year}〕{seq}号"


def format_doc_number(template: str | None, *, prefix: str, year: int, seq: int) -> str:
    """文号 from the issuer's template, e.g. ``粤科协联〔{year}〕{seq}号`` → ``粤科协联〔2020〕9号``."""
    tpl = template or DEFAULT_DOC_NUMBER_TEMPLATE
    return tpl.format(prefix=prefix, year=year, seq=seq)


def check_doc_number_template(template: str) -> None:
    if "{year}" not in template or "{seq}" not in template:
        raise Invalid("文号模板须包含 {year} 和 {seq}", field="doc_number_template")
    try:
        format_doc_number(template, prefix="", year=2020, seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise Invalid(f"文号模板无效：{exc}", field="doc_number_template") from exc


def check_recipients(requested: list[str], known: dict[str, UnitRef], *, field: str = "recipient_unit_ids") -> list[UnitRef]:
    """Every recipient must be in the directory; duplicates are dropped, order kept."""
    seen: set[str] = set()
    out: list[UnitRef] = []
    for i, unit_id in enumerate(requested):
        if unit_id in seen:
            continue
        seen.add(unit_id)
        unit = known.get(unit_id)
        if unit is None:
            raise Invalid(f"收文单位不存在：{unit_id}", field=f"{field}.{i}", code="unknown_recipient")
        out.append(unit)
    return out


def check_issuers(requested: list[str], known: dict[str, UnitRef]) -> list[UnitRef]:
    out = []
    for i, unit_id in enumerate(requested):
        unit = known.get(unit_id)
        if unit is None:
            raise Invalid(f"发文单位不存在：{unit_id}", field=f"issuer_unit_ids.{i}", code="unknown_issuer")
        out.append(unit)
    return out


def check_asks(asks: list[Ask], now: datetime, *, field: str = "asks") -> None:
    ids: set[str] = set()
    for i, ask in enumerate(asks):
        if ask.ask_id in ids:
            raise Invalid(f"报送要求编号重复：{ask.ask_id}", field=f"{field}.{i}.ask_id")
        ids.add(ask.ask_id)
        if ask.deadline <= now:
            raise Invalid("截止时间已过", field=f"{field}.{i}.deadline", code="deadline_in_past")
        if ask.min_items > ask.max_items:
            raise Invalid("最少份数不能大于最多份数", field=f"{field}.{i}.min_items")
        keys = [f.key for f in ask.fields]
        if len(keys) != len(set(keys)):
            raise Invalid("表单字段编号重复", field=f"{field}.{i}.fields")


def new_notice(
    cmd: IssueNotice,
    *,
    issuers: list[UnitRef],
    recipients: list[UnitRef],
    doc_number: str,
    now: datetime,
    issued_by: str,
) -> NoticeSnapshot:
    notice_id = new_id()
    return NoticeSnapshot(
        notice_id=notice_id,
        doc_number=doc_number,
        title=cmd.title,
        issuers=issuers,
        body=cmd.body,
        asks=cmd.asks,
        contacts=cmd.contacts,
        attachments=cmd.attachments,
        recipients=recipients,
        root_notice_id=notice_id,
        chain=[],
        issued_at=now,
        issued_by=issued_by,
    )


def chain_link(notice: NoticeSnapshot) -> ChainLink:
    return ChainLink(
        notice_id=notice.notice_id,
        doc_number=notice.doc_number,
        issuer_name=notice.issuers[0].name,
        node_id=notice.issuers[0].node_id,
        issued_at=notice.issued_at,
    )


def recipient_nodes(recipients: Iterable[UnitRef]) -> list[str]:
    """Nodes hosting the recipients, in first-seen order."""
    return list(dict.fromkeys(r.node_id for r in recipients))


def for_node(notice: NoticeSnapshot, node: str) -> NoticeSnapshot:
    """The copy a linked node receives: only the recipients it hosts."""
    return notice.model_copy(update={"recipients": [r for r in notice.recipients if r.node_id == node]})
