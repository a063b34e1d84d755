"""From the text of a received 公文 to an ``ImportedDraft`` (and its upstream notices)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .asks import find_asks
from .chain import cited_doc_number, forwarded_title, notice_starts, stamp_of
from .contacts import find_contacts
from .dates import TZ, YearBasis
from .errors import EmptyDocument
from .header import Closing, Header, find_closing, find_header, title_issuers
from .models import DirectoryUnit, DraftFields, DraftWarning, Found, ImportedDraft, Issuer
from .textview import Flow, Lines
from .units import as_directory, canonical, kinds_in, match_unit

MAX_CHARS = 2_000_000  # about 1,000 pages: more is not one notice


def parse_text(
    text: str, *, directory: Iterable[DirectoryUnit | Sequence] | None = None, tz: str = TZ
) -> ImportedDraft:
    """Parse the text of a received notice into a draft; the notices it carries become ``upstream``.

    ``directory``: units to match issuers and destinations to (``DirectoryUnit``
    or (unit_id, name, short names, kind) tuples); without it names stay unmatched.
    """
    if text is None or not text.strip():
        raise EmptyDocument("文本为空，没有可以导入的内容", field="text")
    if len(text) > MAX_CHARS:
        from .errors import FileTooLarge

        raise FileTooLarge(f"文本过长（{len(text)}字），一份公文不超过{MAX_CHARS}字", field="text")
    units = as_directory(directory)
    lines = Lines(text)
    nonempty = lines.nonempty
    median = lines.median_length()
    starts = notice_starts(nonempty, text)
    bounds = []
    for i, s in enumerate(starts):
        end = nonempty[starts[i + 1]].start if i + 1 < len(starts) else len(text)
        bounds.append((nonempty[s].start, end))
    drafts = [_parse_notice(text, nonempty, a, b, units, tz, median) for a, b in bounds]
    # link them: each notice's upstream is the one after it
    upstream = None
    for d in reversed(drafts[1:]):
        upstream = d.model_copy(update={"upstream": upstream})
    main = drafts[0]
    if upstream is None:
        upstream = _stub(text, main)
    warnings = list(main.warnings)
    kind = "forward" if upstream is not None else "notice"
    title = main.fields.title.value if main.fields.title else ""
    if upstream is not None and upstream.stub:
        warnings.append(
            DraftWarning(
                field="upstream", message="上级来文的正文不在导入的文本中，仅从转发标题得知其标题（及文号），请核对"
            )
        )
    if "转发" in title and upstream is not None and not upstream.stub:
        inner = forwarded_title(title)
        up_title = upstream.fields.title.value if upstream.fields.title else ""
        if inner and canonical(inner[0]) != canonical(up_title):
            warnings.append(
                DraftWarning(
                    field="upstream", message=f"转发标题中的《{inner[0]}》与所附上级来文标题“{up_title}”不一致，请核对"
                )
            )
    return main.model_copy(update={"kind": kind, "text": text, "upstream": upstream, "warnings": warnings})


def _parse_notice(
    text: str, all_lines, start: int, end: int, units: list[DirectoryUnit], tz: str, median: float
) -> ImportedDraft:
    seg = [ln for ln in all_lines if start <= ln.start < end]
    h = find_header(seg, text)
    body_lines = seg[h.end_line :]
    closing = find_closing(body_lines, median)
    body_end = closing.body_end(end)
    body = None
    body_text = text[h.body_start : body_end].strip()
    if body_text and h.end_line < len(seg):
        bs = text.index(body_text, h.body_start)
        body = Found[str](
            value=body_text, confidence=0.85 if h.title else 0.5, span=(bs, bs + len(body_text)), how="正文"
        )
    issuers = _issuers(text, h, closing, units)
    kinds = []
    if h.recipients is not None:
        rs, re_ = h.recipients.span
        kinds = kinds_in(text[rs:re_], offset=rs)
    stamp = stamp_of(h.stamp_lines)
    basis = _year_basis(h, closing, stamp)
    flow = Flow.of(body_lines, median)
    asks, routes, ask_warnings = find_asks(flow, basis, tz, issuers, units)
    fields = DraftFields(
        issuers=issuers,
        doc_number=h.doc_number,
        title=h.title,
        recipients=h.recipients,
        recipient_kinds=kinds,
        date=closing.date,
        printed=closing.printed,
        body=body,
        attachments=closing.attachments,
        contacts=find_contacts(body_lines),
        cc=closing.cc,
        received=stamp,
    )
    warnings = _missing(fields, asks, basis) + [DraftWarning(field="asks", message=w) for w in ask_warnings]
    return ImportedDraft(segment=(start, end), fields=fields, asks=asks, routes=routes, warnings=warnings)


def _issuers(text: str, h: Header, closing: Closing, units: list[DirectoryUnit]) -> list[Issuer]:
    """发文机关 from the 版头, the title ("A B关于…") and the 落款; a name found twice is surer."""
    sources: list[tuple[str, list[tuple[str, int, int]], float]] = [("版头", h.issuers, 0.9)]
    if h.title is not None:
        names = title_issuers(h.title.value, 0)
        located = []
        for name, _, _ in names:
            i = text.find(name, h.title.span[0], h.title.span[1] + 1)
            located.append((name, i, i + len(name)) if i >= 0 else (name, *h.title.span))
        sources.append(("标题", located, 0.85))
    sources.append(("落款", closing.signers, 0.8))
    chosen: list[list] = []  # [name, conf, span, how]
    for how, names, conf in sources:
        for name, s, e in names:
            same = next((c for c in chosen if _same_org(c[0], name)), None)
            if same is not None:
                same[1] = min(1.0, same[1] + 0.05)
                continue
            chosen.append([name, conf, (s, e), how])
    out = []
    for name, conf, span, how in chosen:
        u, _ = match_unit(name, units)
        out.append(
            Issuer(
                name=name,
                unit_id=u.unit_id if u else None,
                unit_name=u.name if u else None,
                kind=u.kind if u else None,
                confidence=round(conf, 2),
                span=span,
                how=how,
            )
        )
    return out


def _same_org(a: str, b: str) -> bool:
    ca, cb = canonical(a), canonical(b)
    return ca == cb or (len(min(ca, cb, key=len)) >= 4 and (ca.endswith(cb) or cb.endswith(ca)))


def _year_basis(h: Header, closing: Closing, stamp) -> YearBasis:
    if closing.date is not None:
        return YearBasis.of(closing.date.value, source="成文日期", confidence=0.95)
    if closing.printed is not None:
        return YearBasis.of(closing.printed.value, source="印发日期", confidence=0.9)
    if h.doc_number is not None:
        m = re.search(r"〔(\d{4})〕", h.doc_number.value)
        if m:
            return YearBasis.of(year=int(m[1]), source="文号年份", confidence=0.8)
    if stamp is not None and stamp.date is not None:
        return YearBasis.of(stamp.date, source="收文日期", confidence=0.7)
    if h.title is not None:
        m = re.search(r"(20\d{2})\s*年", h.title.value)
        if m:
            return YearBasis.of(year=int(m[1]), source="标题中的年份", confidence=0.6)
    return YearBasis()


def _missing(f: DraftFields, asks, basis: YearBasis) -> list[DraftWarning]:
    out = []
    checks = [
        ("doc_number", f.doc_number, "未找到文号"),
        ("title", f.title, "未找到标题"),
        ("issuers", f.issuers, "未找到发文机关"),
        ("recipients", f.recipients, "未找到主送机关"),
        ("date", f.date, "未找到成文日期"),
    ]
    for name, value, message in checks:
        if not value:
            out.append(DraftWarning(field=name, message=message))
    if not asks:
        out.append(DraftWarning(field="asks", message="未找到报送要求（需报送的材料和截止日期）"))
    if not f.doc_number and not f.title and not f.issuers and not asks:
        out.insert(0, DraftWarning(field=None, message="这段文字不像一份公文：未找到文号、标题、发文机关和报送要求"))
    return out


def _stub(text: str, main: ImportedDraft) -> ImportedDraft | None:
    """The original of a 转发 whose text is not included: what its title (and a citation) say."""
    t = main.fields.title
    if t is None:
        return None
    inner = forwarded_title(t.value)
    if inner is None:
        return None
    name, _, _ = inner
    name = name.replace("〈", "《").replace("〉", "》") if "《" not in name else name
    title = Found[str](value=name, confidence=0.8, span=t.span, how="转发标题")
    issuers = [Issuer(name=n, confidence=0.7, span=t.span, how="转发标题") for n, _, _ in title_issuers(name, 0)]
    body_end = main.fields.body.span[0] + 600 if main.fields.body else t.span[1] + 600
    cited = cited_doc_number(text, t.span[0], min(len(text), body_end)) if not main.stub else None
    doc = Found[str](value=cited[0], confidence=0.8, span=(cited[1], cited[2]), how="引用") if cited else None
    fields = DraftFields(title=title, issuers=issuers, doc_number=doc)
    stub = ImportedDraft(segment=t.span, fields=fields, stub=True)
    # a 转发 of a 转发: "关于转发《市科协关于转发〈省科协关于…的通知〉的通知》的通知"
    deeper = _stub(text, stub) if "转发" in name else None
    return stub.model_copy(update={"upstream": deeper}) if deeper is not None else stub
