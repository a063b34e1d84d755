"""Rules of notices. Pure functions: no I/O, the clock and settings are passed in."""

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.clock import is_working_day, local_text
from shared.contracts.notices import CorrectNotice, UpsertUnit
from shared.document_elements import attachment_labels, default_addressees
from shared.errors import Invalid, gather
from shared.events import Event
from shared.schemas import (
    Ask,
    Attachment,
    ChainLink,
    Contact,
    DocumentElements,
    FieldType,
    NoticeSnapshot,
    Route,
    UnitRef,
)

DEFAULT_DOC_NUMBER_TEMPLATE = "{prefix}〔{year}〕{seq}号"

# ---------------------------------------------------------------- 文号


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


# ---------------------------------------------------------------- titles

_MARKUP = re.compile(r"<[A-Za-z!/?]")  # how a browser starts a tag


def check_title(title: str | None, field: str = "title") -> None:
    """An official title has no markup; one that looks like HTML (``<script>``) is refused outright.

    (Every page escapes whatever it shows anyway; this keeps such titles out
    of other systems that read the API, and out of e-mail subjects.)
    """
    if title and _MARKUP.search(title):
        raise Invalid("标题不能包含 HTML 标记（如 <script>）", field=field, code="markup_in_title")


# ---------------------------------------------------------------- directory


def check_unit(cmd: UpsertUnit) -> None:
    """Rules of one directory entry that need no other entry."""
    if cmd.doc_number_template:
        check_doc_number_template(cmd.doc_number_template)
    if cmd.parent_id == cmd.unit_id:
        raise Invalid("上级单位不能是本单位", field="parent_id")
    if cmd.runs_own_node and not cmd.node_id:
        raise Invalid("自建节点的单位须填写节点编号", field="node_id")
    if len(set(cmd.departments)) != len(cmd.departments):
        raise Invalid("部门名称重复", field="departments")


def parent_cycle(unit_id: str, parents: dict[str, str | None]) -> bool:
    """True if following ``parent_id`` from ``unit_id`` comes back to it."""
    seen = {unit_id}
    current = parents.get(unit_id)
    while current:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def unit_ref(doc: dict, node: str) -> UnitRef:
    return UnitRef(
        unit_id=doc["_id"],
        name=doc["name"],
        kind=doc["kind"],
        node_id=doc.get("node_id") or node,
        contacts=doc.get("contacts", []),
        mark_name=doc.get("mark_name") or "",
    )


# ---------------------------------------------------------------- recipients & issuers


def check_recipients(
    requested: list[str],
    known: dict[str, UnitRef],
    *,
    issuers: Iterable[str] = (),
    field: str = "recipient_unit_ids",
    reachable_nodes: Iterable[str] | None = None,
    refused: dict[str, tuple[str, str]] | None = None,
) -> list[UnitRef]:
    """Every recipient must be in the directory and not an issuer; duplicates are dropped, order kept.

    ``refused``: units this notice may not go to, each with its (code, message)
    (a 转发's upstream; see ``forward_refusals``).

    With ``reachable_nodes`` (this node and the nodes linked to it), a
    recipient hosted anywhere else is refused: a copy travels over one link only.
    """
    issuer_ids = set(issuers)
    refused = refused or {}
    reachable = set(reachable_nodes) if reachable_nodes is not None else None
    seen: set[str] = set()
    out: list[UnitRef] = []
    with gather() as problems:  # every recipient refused, each once
        for i, unit_id in enumerate(requested):
            if unit_id in seen:
                continue
            seen.add(unit_id)
            unit = known.get(unit_id)
            if unit is None:
                problems.add(Invalid(f"收文单位不存在：{unit_id}", field=f"{field}.{i}", code="unknown_recipient"))
            elif unit_id in refused:
                code, message = refused[unit_id]
                problems.add(Invalid(message, field=f"{field}.{i}", code=code))
            elif unit_id in issuer_ids:
                problems.add(
                    Invalid(
                        f"发文单位不能同时是收文单位：{unit.name}", field=f"{field}.{i}", code="issuer_is_recipient"
                    )
                )
            elif reachable is not None and unit.node_id not in reachable:
                problems.add(
                    Invalid(
                        f"收文单位所在节点（{unit.node_id}）未与本节点连接：{unit.name}",
                        field=f"{field}.{i}",
                        code="unlinked_node",
                    )
                )
            else:
                out.append(unit)
    return out


def forward_refusals(
    forwarders: Iterable[UnitRef], upstream: NoticeSnapshot, ancestors: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """Units a 转发 may not go to, each with (code, message): a 转发 goes down to the forwarder's subordinates.

    Refused: the forwarding units themselves, the issuers of the notice being
    forwarded (and the lead issuers of the levels above it), and the
    forwarders' ancestors in the directory (``ancestors``: unit id → name).
    Units with no ``parent_id`` link are not refused: directories imported
    from other systems and units hosted on other nodes often lack one.
    """
    out: dict[str, tuple[str, str]] = {}
    for unit_id, name in ancestors.items():
        out[unit_id] = ("forward_to_ancestor", f"{name}是本单位的上级单位，转发只能发给下级单位")
    upstream_issuers = {i.unit_id: i.name for i in upstream.issuers}
    upstream_issuers |= {c.issuer_unit_id: c.issuer_name for c in upstream.chain if c.issuer_unit_id}
    for unit_id, name in upstream_issuers.items():
        out[unit_id] = ("forward_to_upstream_issuer", f"{name}是上级来文的发文单位，转发只能发给下级单位")
    for unit in forwarders:
        out[unit.unit_id] = ("forward_to_self", f"转发不能发给本单位：{unit.name}")
    return out


def check_issuers(requested: list[str], known: dict[str, UnitRef], *, field: str = "issuer_unit_ids") -> list[UnitRef]:
    out: list[UnitRef] = []
    with gather() as problems:
        for i, unit_id in enumerate(requested):
            unit = known.get(unit_id)
            if unit is None:
                problems.add(Invalid(f"发文单位不存在：{unit_id}", field=f"{field}.{i}", code="unknown_issuer"))
            elif unit_id in {u.unit_id for u in out}:
                problems.add(Invalid(f"发文单位重复：{unit.name}", field=f"{field}.{i}"))
            else:
                out.append(unit)
    return out


# ---------------------------------------------------------------- asks


def route_unit_ids(asks: Iterable[Ask], routes: Iterable[Route] = ()) -> list[str]:
    return [r.to_unit_id for a in asks for r in a.routes] + [r.to_unit_id for r in routes]


def check_routes(routes: Sequence[Route], units: dict[str, dict], *, field: str) -> None:
    """Routes send a unit kind to a unit in the directory, to a department it has (if it lists any).

    Usually an issuer (seed 000: the 科技厅 of a joint issue), but not always:
    a notice of the 中国科协办公厅 is answered to 中国科协 (seed 002).
    """
    kinds: set[str] = set()
    with gather() as problems:
        for j, route in enumerate(routes):
            if route.unit_kind in kinds:
                problems.add(
                    Invalid(f"同一类单位只能有一个报送对象：{route.unit_kind.value}", field=f"{field}.{j}.unit_kind")
                )
            kinds.add(route.unit_kind)
            unit = units.get(route.to_unit_id)
            if unit is None:
                problems.add(
                    Invalid(
                        f"报送对象单位不存在：{route.to_unit_id}",
                        field=f"{field}.{j}.to_unit_id",
                        code="unknown_route_unit",
                    )
                )
                continue
            departments = unit.get("departments") or []
            if departments and route.department not in departments:
                problems.add(
                    Invalid(
                        f"{unit['name']}没有部门“{route.department}”（已登记：{'、'.join(departments)}）",
                        field=f"{field}.{j}.department",
                        code="unknown_department",
                    )
                )


def check_form(ask: Ask, *, field: str) -> None:
    keys: set[str] = set()
    with gather() as problems:
        for k, f in enumerate(ask.fields):
            if f.key in keys:
                problems.add(Invalid(f"表单字段编号重复：{f.key}", field=f"{field}.fields.{k}.key"))
            keys.add(f.key)
            if f.type in (FieldType.choice, FieldType.multi_choice) and not f.options:
                problems.add(Invalid("选择题须列出选项", field=f"{field}.fields.{k}.options"))
            if len(set(f.options)) != len(f.options):
                problems.add(Invalid("选项重复", field=f"{field}.fields.{k}.options"))
            if f.min_value is not None and f.max_value is not None and f.min_value > f.max_value:
                problems.add(Invalid("最小值不能大于最大值", field=f"{field}.fields.{k}.min_value"))


def check_asks(
    asks: Sequence[Ask],
    now: datetime,
    units: dict[str, dict] | None = None,
    *,
    field: str = "asks",
    taken_ids: Iterable[str] = (),
    unchanged: Iterable[Ask] = (),
) -> None:
    """Ask rules, every problem of every ask at once. ``units``: directory entries the routes may name.
    ``unchanged`` asks (a correction that kept them) keep their deadline even if it has passed."""
    ids = set(taken_ids)
    kept = {a.model_dump_json() for a in unchanged}
    with gather() as problems:
        for i, ask in enumerate(asks):
            if ask.ask_id in ids:
                problems.add(Invalid(f"报送要求编号重复：{ask.ask_id}", field=f"{field}.{i}.ask_id"))
            ids.add(ask.ask_id)
            if ask.deadline <= now and ask.model_dump_json() not in kept:
                problems.add(
                    Invalid(f"“{ask.title}”的截止时间已过", field=f"{field}.{i}.deadline", code="deadline_in_past")
                )
            if ask.min_items > ask.max_items:
                problems.add(Invalid("最少份数不能大于最多份数", field=f"{field}.{i}.min_items"))
            problems.check(check_form, ask, field=f"{field}.{i}")
            problems.check(check_routes, ask.routes, units or {}, field=f"{field}.{i}.routes")


# ---------------------------------------------------------------- forwarding deadlines


def slack_days(forwarded: datetime, upstream: datetime, tz: str, *, working: bool) -> int:
    """Days the forwarder has to compile before its own deadline upstream.

    The rule: count the days d (in the node's zone) with
    ``forwarded date < d <= upstream date`` — every calendar day, or with
    ``working`` only working days. A forwarded deadline on the upstream day
    leaves 0; the day before a Monday deadline leaves 1 working day even
    across a weekend.
    """
    zone = ZoneInfo(tz)
    start = forwarded.astimezone(zone).date()
    end = upstream.astimezone(zone).date()
    if not working:
        return max((end - start).days, 0)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def forward_asks(
    upstream: Sequence[Ask],
    deadlines: dict[str, datetime],
    routes: Sequence[Route],
    now: datetime,
    *,
    unit_kinds: dict[str, list] | None = None,
    tz: str,
    min_slack: int,
    working_days: bool,
) -> tuple[list[Ask], list[dict]]:
    """The inherited asks of a 转发, and warnings about short slack.

    A deadline may only move earlier (the forwarder needs time to compile what
    comes back); a later one is refused, naming the ask. Downstream units
    submit to the forwarder, so the upstream routes are replaced by ``routes``.
    """
    by_id = {a.ask_id: a for a in upstream}
    unit_kinds = unit_kinds or {}
    problems = gather()
    for name, given in (("deadlines", deadlines), ("unit_kinds", unit_kinds)):
        for ask_id in given:
            if ask_id not in by_id:
                problems.add(Invalid(f"上级通知没有报送要求“{ask_id}”", field=f"{name}.{ask_id}", code="unknown_ask"))
    asks: list[Ask] = []
    warnings: list[dict] = []
    unit = "个工作日" if working_days else "天"
    for ask in upstream:
        deadline = deadlines.get(ask.ask_id, ask.deadline)
        field = f"deadlines.{ask.ask_id}"
        if deadline > ask.deadline:
            problems.add(
                Invalid(
                    f"“{ask.title}”的转发截止时间（{local_text(deadline, tz)}）晚于上级要求的截止时间"
                    f"（{local_text(ask.deadline, tz)}），转发时只能提前",
                    field=field,
                    code="deadline_after_upstream",
                )
            )
            continue
        if deadline <= now:
            problems.add(Invalid(f"“{ask.title}”的截止时间已过", field=field, code="deadline_in_past"))
            continue
        slack = slack_days(deadline, ask.deadline, tz, working=working_days)
        if slack < min_slack:
            warnings.append(
                {
                    "field": field,
                    "code": "short_slack",
                    "ask_id": ask.ask_id,
                    "slack_days": slack,
                    "message": f"“{ask.title}”的转发截止时间距上级截止时间仅余{slack}{unit}，"
                    f"少于{min_slack}{unit}，收齐后可能来不及汇总上报",
                }
            )
        kinds = list(unit_kinds.get(ask.ask_id, ask.unit_kinds))
        asks.append(ask.model_copy(update={"deadline": deadline, "routes": list(routes), "unit_kinds": kinds}))
    problems.raise_any()  # every problem of every ask
    return asks, warnings


def check_against_upstream(asks: Sequence[Ask], upstream: Sequence[Ask], tz: str, *, field: str = "asks") -> None:
    """A corrected forwarded notice still may not ask later than upstream."""
    by_id = {a.ask_id: a for a in upstream}
    for i, ask in enumerate(asks):
        up = by_id.get(ask.ask_id)
        if up is not None and ask.deadline > up.deadline:
            raise Invalid(
                f"“{ask.title}”的截止时间（{local_text(ask.deadline, tz)}）晚于上级要求的截止时间"
                f"（{local_text(up.deadline, tz)}）",
                field=f"{field}.{i}.deadline",
                code="deadline_after_upstream",
            )


# ---------------------------------------------------------------- notices


def chain_link(notice: NoticeSnapshot) -> ChainLink:
    """A level of the chain, with what its 公文 printed: a 转发 carries it as its 附件 (the original's text is the
    notice's body; a 转发's own is its cover note)."""
    return ChainLink(
        **document_elements(notice).model_dump(),
        notice_id=notice.notice_id,
        doc_number=notice.doc_number,
        issuer_name="、".join(i.name for i in notice.issuers),
        issuer_unit_id=notice.issuers[0].unit_id,
        node_id=notice.issuers[0].node_id,
        issued_at=notice.issued_at,
        title=notice.title,
        issuers=notice.issuers,
        cover_note=notice.cover_note,
        contacts=notice.contacts,
        signed_on=getattr(notice, "signed_on", None),
    )


def document_elements(given: DocumentElements, recipients: list[UnitRef] | None = None) -> DocumentElements:
    """The 公文 elements as given, the 主送机关 defaulting to the recipients' kinds (when ``recipients`` are
    given) and, on a chain link, the 附件说明 resolved from the attachments."""
    values = DocumentElements.model_validate(given.model_dump(include=set(DocumentElements.model_fields)))
    if recipients is not None and not values.addressees.strip():
        values = values.model_copy(update={"addressees": default_addressees(recipients)})
    if isinstance(given, NoticeSnapshot) and values.attachment_names is None:
        values = values.model_copy(update={"attachment_names": attachment_labels(given.attachments)})
    return values


def forward_title(upstream_title: str) -> str:
    title = f"关于转发《{upstream_title}》的通知"
    return title if len(title) <= 200 else upstream_title


def forwarded_snapshot(
    upstream: NoticeSnapshot,
    *,
    notice_id: str,
    doc_number: str,
    title: str,
    issuers: list[UnitRef],
    recipients: list[UnitRef],
    cover_note: str,
    asks: list[Ask],
    contacts: list[Contact],
    attachments: list[Attachment],
    now: datetime,
    issued_by: str,
    elements: DocumentElements | None = None,
) -> NoticeSnapshot:
    """A 转发 keeps the chain back to the original and carries the original's text as its body."""
    return NoticeSnapshot(
        **(elements or DocumentElements()).model_dump(),
        notice_id=notice_id,
        doc_number=doc_number,
        title=title,
        issuers=issuers,
        body=upstream.body,
        cover_note=cover_note,
        asks=asks,
        contacts=contacts,
        attachments=attachments,
        recipients=recipients,
        parent_notice_id=upstream.notice_id,
        root_notice_id=upstream.root_notice_id,
        chain=[*upstream.chain, chain_link(upstream)],
        issued_at=now,
        issued_by=issued_by,
    )


def recipient_nodes(recipients: Iterable[UnitRef]) -> list[str]:
    """Nodes hosting the recipients, in first-seen order."""
    return list(dict.fromkeys(r.node_id for r in recipients))


def for_node(notice: NoticeSnapshot, node: str) -> NoticeSnapshot:
    """The copy a linked node receives: only the recipients it hosts."""
    return notice.model_copy(update={"recipients": [r for r in notice.recipients if r.node_id == node]})


def _slices(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def notice_events(
    make: Callable[[NoticeSnapshot, int, int], Event], notice: NoticeSnapshot, node: str, per_event: int
) -> list[tuple[Event, str | None]]:
    """(event, destination) pairs for a notice: the local fact, then a copy per linked node.

    The local fact names every recipient (the issuer's read models need them
    all); each linked node gets only the recipients it hosts. Either is split
    into parts of at most ``per_event`` recipients.
    """
    out: list[tuple[Event, str | None]] = []
    copies = [(notice, None)] + [(for_node(notice, n), n) for n in recipient_nodes(notice.recipients) if n != node]
    for copy, dest in copies:
        parts = list(_slices(copy.recipients, per_event))
        for i, part in enumerate(parts, start=1):
            out.append((make(copy.model_copy(update={"recipients": part}), i, len(parts)), dest))
    return out


# ---------------------------------------------------------------- 更正/撤回 down the forwarding chains


def change_id(notice_id: str, kind: str, revision: int | None = None) -> str:
    """Names one 更正 (by the revision it made) or the 撤回 of a notice, the same on every node."""
    return f"{notice_id}-r{revision}" if kind == "corrected" else f"{notice_id}-withdrawn"


def derived_event_id(*parts: str) -> str:
    """A deterministic event id: the same cause publishes the same event, which JetStream and consumers drop."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def latest_change(changes: dict[str, dict] | None) -> dict | None:
    """The most recent upstream change recorded for a notice (they arrive in any order).

    At the same instant a 撤回 outranks a 更正 (it is final), and a later revision an earlier one.
    """
    return max((changes or {}).values(), key=change_order, default=None)


def change_order(change: dict) -> tuple:
    return change["at"], change["kind"] == "withdrawn", change.get("revision") or 0


ELEMENTS = tuple(DocumentElements.model_fields)  # 主送机关, 抄送, 印发, 紧急程度, 附件说明, 附注, 签发人
CORRECTABLE = ("title", "body", "cover_note", "asks", "contacts", "attachments", *ELEMENTS)


def corrected(notice: NoticeSnapshot, cmd: CorrectNotice) -> tuple[NoticeSnapshot, list[str]]:
    """The notice after a 更正, and the names of the fields that changed. Recipients never change."""
    updates = {}
    for name in CORRECTABLE:
        value = getattr(cmd, name)
        if value is None:  # left out: stays as it is
            continue
        if name == "urgency" and value == "":  # 紧急程度 taken off
            value = None
        if value != getattr(notice, name):
            updates[name] = value
    if not updates:
        raise Invalid("更正内容与原通知相同", field="reason", code="no_change")
    return notice.model_copy(update={**updates, "revision": notice.revision + 1}), list(updates)


# ---------------------------------------------------------------- the original, as a file


def original_text(notice: NoticeSnapshot, tz: str) -> str:
    """A plain-text copy of a notice: what a 转发 carries as the original attachment."""
    lines = [notice.doc_number, "", notice.title, ""]
    lines.append("发文单位：" + "、".join(i.name for i in notice.issuers))
    lines.append("发文时间：" + local_text(notice.issued_at, tz, "%Y年%m月%d日"))
    # The 主送机关 as the issuer wrote it (or as derived from every recipient when it was issued): the
    # recipients a node holds of a notice it received are only that node's own units.
    addressees = notice.addressees.strip() or default_addressees(notice.recipients)
    lines.append("主送：" + addressees)
    if notice.revision > 1:
        lines.append(f"（第{notice.revision - 1}次更正后版本）")
    lines.append("")
    if notice.cover_note:
        lines += [notice.cover_note, ""]
    if notice.body:
        lines += [notice.body, ""]
    if notice.asks:
        lines.append("报送要求：")
        for n, ask in enumerate(notice.asks, start=1):
            count = f"{ask.min_items}-{ask.max_items}项" if ask.min_items != ask.max_items else f"{ask.max_items}项"
            lines.append(f"{n}. {ask.title}（{count}，截止 {local_text(ask.deadline, tz)}）")
            if ask.note:
                lines.append(f"   {ask.note}")
            for f in ask.fields:
                limit = f"，{f.max_chars}字以内" if f.max_chars else ""
                options = f"：{'、'.join(f.options)}" if f.options else ""
                lines.append(f"   - {f.label}{limit}{options}")
            for r in ask.routes:
                lines.append(f"   {r.unit_kind.value}报送{r.department}")
        lines.append("")
    if notice.contacts:
        lines.append("联系方式：")
        for c in notice.contacts:
            parts = [c.department, c.name, c.office_phone, c.mobile, c.email, c.address]
            lines.append("   " + "  ".join(p for p in parts if p))
        lines.append("")
    if notice.attachments:
        lines.append("附件：" + "；".join(a.filename for a in notice.attachments))
    if notice.chain:
        lines.append("转发链：" + " → ".join(f"{link.doc_number}（{link.issuer_name}）" for link in notice.chain))
    return "\n".join(lines).rstrip() + "\n"


def original_filename(notice: NoticeSnapshot) -> str:
    name = f"原文-{notice.doc_number}.txt"
    return name if len(name) <= 200 else "原文.txt"


# ---------------------------------------------------------------- attachment types

# First bytes of each allowed type: a declared type must match the content,
# so a renamed executable or HTML page is refused whatever it claims to be.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .xls
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # .docx / .xlsx / .zip
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "application/msword": (_OLE,),
    "application/vnd.ms-excel": (_OLE,),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/zip": _ZIP,
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def content_matches_type(content_type: str, head: bytes) -> bool:
    if content_type == "text/plain":
        if b"\x00" in head:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
                return True
            except UnicodeDecodeError as exc:
                if exc.start >= len(head) - 3:  # a character cut by the sample's end
                    return True
        return False
    prefixes = MAGIC.get(content_type)
    return prefixes is None or head.startswith(prefixes)


def base_content_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()
