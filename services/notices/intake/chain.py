"""The chain: a document that forwards another carries it (or names it).

A 转发 or a 印发 often has the upstream notice after its own text: as 附件,
after a 收文 stamp ("青海省科协 / 收文ZKd-120号 / 2021年4月25日"), or just
pasted below. Each notice in the text starts with a header of its own: a 版头
("中国科协 科技部 文件"), a 文号 on a line of its own, then a title. The text
is cut at each such header after the first; the notices follow one another
downstream first (a 转发 puts its own text before the original's).

When the title says 转发 and the original is not in the text, the original is
still known by its title ("关于转发《中国科协 科技部关于…的通知》的通知"),
and sometimes its 文号 ("…的通知》（科协发组字〔2020〕7号）").
"""

from __future__ import annotations

import re

from .dates import parse_date_line
from .header import DOC_NO, doc_number_line, find_header, normalise_doc_number
from .models import ReceivedStamp
from .textview import Line, compact
from .units import looks_like_org

_STAMP = re.compile(r"收\s*文")


def _masthead_like(line: Line) -> bool:
    t = compact(line.folded)
    return (
        (t.endswith("文件") and len(t) <= 40)
        or looks_like_org(line.text)
        or all(len(x) == 1 for x in line.text.split())
    )


def _is_stamp(line: Line) -> bool:
    t = compact(line.folded)
    return bool(_STAMP.search(t)) and len(t) <= 30


def notice_starts(lines: list[Line], text: str) -> list[int]:
    """Indices (in ``lines``) where a notice starts: 0, then each later header that has a title under it."""
    starts = [0]
    first = find_header(lines, text)
    k = max(first.end_line, 1)
    while k < len(lines):
        ln = lines[k]
        t = compact(ln.folded)
        candidate = (
            bool(doc_number_line(ln))
            or (t.endswith("文件") and looks_like_org(t[:-2]))
            or (bool(_STAMP.search(t)) and len(t) <= 30)
        )
        if not candidate:
            k += 1
            continue
        # walk back over the header lines above (版头, the stamp)
        s = k
        while s - 1 > starts[-1] and k - (s - 1) <= 4 and _masthead_like(lines[s - 1]) and not _is_stamp(lines[s - 1]):
            s -= 1
        # a 收文 stamp above the masthead: "陕西省科协 / 收文 2020-058号 / 2020年4月30日"
        j = s - 1
        if j > starts[-1] and parse_date_line(lines[j].folded) is not None and _is_stamp(lines[j - 1]):
            j -= 1
        if j > starts[-1] and _is_stamp(lines[j]):
            s = j - 1 if j - 1 > starts[-1] and looks_like_org(lines[j - 1].text) else j
        h = find_header(lines[s:], text)
        if (
            h.title is not None
            and (h.doc_number is not None or h.issuers or h.stamp_lines)
            and h.title.confidence >= 0.9
        ):
            starts.append(s)
            k = s + max(h.end_line, 1)
            continue
        k += 1
    return starts


def stamp_of(stamp_lines: list[Line]) -> ReceivedStamp | None:
    """收文 stamp lines → who received it, its 收文 number, when."""
    if not stamp_lines:
        return None
    unit = number = None
    day = None
    for ln in stamp_lines:
        t = compact(ln.text)
        m = re.search(r"收\s*文\s*(?:号|编号)?\s*[:：]?\s*(?P<n>[A-Za-z0-9\-－〔〕\[\]（）()\u4e00-\u9fff]*?号?)$", t)
        if m and _STAMP.search(t):
            before = t[: m.start()]
            if before and looks_like_org(before):
                unit = before
            number = m["n"] or None
        elif parse_date_line(ln.folded):
            day = parse_date_line(ln.folded)
        elif looks_like_org(ln.text):
            unit = compact(ln.text)
    return ReceivedStamp(
        unit=unit, number=number, date=day, confidence=0.85, span=(stamp_lines[0].start, stamp_lines[-1].end)
    )


def forwarded_title(title: str) -> tuple[str, int, int] | None:
    """The original's title inside a 转发 title: (title, start, end) in ``title``."""
    i = title.find("转发")
    if i < 0:
        return None
    opens = [j for j in (title.find("《", i), title.find("〈", i)) if j >= 0]
    if opens:
        j = min(opens)
        o, c = title[j], "》" if title[j] == "《" else "〉"
        depth = 0
        for k in range(j, len(title)):
            if title[k] == o:
                depth += 1
            elif title[k] == c:
                depth -= 1
                if depth == 0:
                    return title[j + 1 : k], j + 1, k
        return None
    # "关于转发中国科协关于…的通知的通知"
    m = re.match(r"^(?P<t>.+?的(?:通知|函|意见|决定|通报|方案))的(?:通知|函)$", title[i + 2 :])
    if m:
        return m["t"], i + 2, i + 2 + len(m["t"])
    return None


def cited_doc_number(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """A 文号 in parentheses right after the original's title: "《…》（科协发组字〔2020〕7号）"."""
    from .textview import fold

    f = fold(text[start:end])
    m = re.search(r"》\s*\(\s*(?P<no>" + DOC_NO.pattern + r")\s*\)", f)
    if not m:
        return None
    inner = DOC_NO.search(f, m.start("no"))
    assert inner is not None  # group "no" is a DOC_NO match at that offset
    return normalise_doc_number(inner), start + inner.start(), start + inner.end()
