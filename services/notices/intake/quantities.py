"""Limits on what is reported: characters, items, file types.

"3000字以内", "不超过三千字", "字数控制在2000字左右" (a guide, not a limit),
"合计2000字以内"; "择优精选1-2项", "约3项", "限报1项", "不超过3个",
"照片5至10张"; "盖章PDF版和word版", "Excel格式", "JPG格式照片",
"扫描件". Each finder returns the value and the span of the words it read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbers import NUMBER, cn_to_int
from .textview import strip_brackets

_N = rf"(?P<n>{NUMBER})"


@dataclass(frozen=True)
class Limit:
    start: int
    end: int
    low: int | None
    high: int | None
    approx: bool = False  # "约3项", "2000字左右"
    text: str = ""


# ---------------------------------------------------------------- characters

_CHARS = [
    # "3000字以内", "3000字内", "3000字之内", "3000 字以内", "3千字以内"
    (re.compile(rf"{_N}\s*(?:个)?\s*(?:汉?字|字符)\s*(?:以内|之内|内|以下)"), False),
    # "不超过3000字", "不多于", "不得超过", "控制在3000字以内/以下", "限3000字", "限定在"
    (
        re.compile(
            rf"(?:不超过|不多于|不得超过|不宜超过|不要超过|不超出|限于?|限定在|最多)\s*{_N}\s*(?:个)?\s*(?:汉?字|字符)"
        ),
        False,
    ),
    (re.compile(rf"控制在\s*{_N}\s*(?:个)?\s*(?:汉?字|字符)"), False),
    # "2000字左右", "约2000字": a guide; kept as the limit with approx=True
    (re.compile(rf"{_N}\s*(?:汉?字)\s*左右"), True),
    (re.compile(rf"约\s*{_N}\s*(?:汉?字)"), True),
]


def find_char_limit(s: str) -> Limit | None:
    """The first character limit in ``s`` ("3000字以内" → 3000)."""
    best: Limit | None = None
    for rx, approx in _CHARS:
        for m in rx.finditer(s):
            n = cn_to_int(m["n"])
            if not n or n > 100_000:
                continue
            tail = re.match(r"\s*左右", s[m.end() :])
            end = m.end() + (tail.end() if tail else 0)
            lim = Limit(m.start(), end, None, n, approx or bool(tail), s[m.start() : end])
            if best is None or lim.start < best.start:
                best = lim
            break
    return best


# ---------------------------------------------------------------- items

_UNIT = r"(?:项|个|件|篇|条|张|幅|组|部|段|份|名|人|则|例|套)"
_ITEMS = [
    # "1-2项", "1至2项", "1～2个", "5到10张"
    ("range", re.compile(rf"(?P<a>{NUMBER})\s*(?:-|—|–|~|～|至|到)\s*(?P<b>{NUMBER})\s*{_UNIT}")),
    # "不超过3项", "最多3项", "限报3项", "限推荐1项", "3项以内"
    ("most", re.compile(rf"(?:不超过|不多于|最多|至多|限报?|限推荐|限申报|原则上不超过)\s*{_N}\s*{_UNIT}")),
    ("most", re.compile(rf"{_N}\s*{_UNIT}\s*(?:以内|之内|以下)")),
    # "至少2项", "不少于2项"
    ("least", re.compile(rf"(?:至少|不少于|最少)\s*{_N}\s*{_UNIT}")),
    # "约3项": about three, so up to three
    ("about", re.compile(rf"约\s*{_N}\s*{_UNIT}")),
    # "择优精选2项", "推荐1项", "各1项", "报送1个": exactly n
    ("exact", re.compile(rf"(?:精选|择优|推荐|遴选|报送|提交|上报|各|选送|申报)\s*{_N}\s*{_UNIT}")),
]
# Copies and people are not items of the ask: "纸质版一份", "一式两份", "(盖章)原件1份", "1名联络员".
_NOT_ITEMS = re.compile(r"(?:纸质版?|一式|原件|复印件|打印件)\s*" + NUMBER + r"\s*份|" + NUMBER + r"\s*名")


def find_item_limit(s: str) -> Limit | None:
    """How many items the ask wants: "择优精选1-2项" → 1..2, "约3项" → 1..3 (approx), "至少2项" → 2..None.

    Words outside parentheses win over an aside inside them ("约3项（原则上每个阶段1项）" → about 3).
    """
    plain = strip_brackets(s)
    for text in (plain, s) if plain != s else (s,):
        found = _find_items(text)
        if found is not None:
            if text is plain:
                # map back: find the same words in the original
                i = s.find(found.text)
                if i >= 0:
                    found = Limit(i, i + len(found.text), found.low, found.high, found.approx, found.text)
            return found
    return None


def _find_items(s: str) -> Limit | None:
    blocked = [(m.start(), m.end()) for m in _NOT_ITEMS.finditer(s)]
    hits: list[Limit] = []
    for how, rx in _ITEMS:
        for m in rx.finditer(s):
            if any(a <= m.start() < b or a < m.end() <= b for a, b in blocked):
                continue
            if how == "range":
                a, b = cn_to_int(m["a"]), cn_to_int(m["b"])
                if a is None or b is None or a > b or b > 100:
                    continue
                hits.append(Limit(m.start(), m.end(), a, b, False, m.group(0)))
            else:
                n = cn_to_int(m["n"])
                if not n or n > 100:
                    continue
                low, high = {"most": (1, n), "least": (n, None), "about": (1, n), "exact": (n, n)}[how]
                hits.append(Limit(m.start(), m.end(), low, high, how == "about", m.group(0)))
    return min(hits, key=lambda h: (h.start, -(h.end - h.start))) if hits else None


# ---------------------------------------------------------------- file types

_FILE_TYPES = [
    (re.compile(r"pdf", re.I), ["pdf"]),
    (re.compile(r"word|docx?\b|\bdoc", re.I), ["doc", "docx"]),
    (re.compile(r"wps", re.I), ["wps"]),
    (re.compile(r"excel|xlsx?\b|电子表格", re.I), ["xls", "xlsx"]),
    (re.compile(r"ppt|powerpoint|演示文稿", re.I), ["ppt", "pptx"]),
    (re.compile(r"jpe?g", re.I), ["jpg", "jpeg"]),
    (re.compile(r"png", re.I), ["png"]),
    (re.compile(r"mp4", re.I), ["mp4"]),
    (re.compile(r"\bmov\b", re.I), ["mov"]),
    (re.compile(r"\bavi\b", re.I), ["avi"]),
    (re.compile(r"zip|压缩包", re.I), ["zip"]),
    (re.compile(r"\brar\b", re.I), ["rar"]),
    (re.compile(r"扫描件"), ["pdf", "jpg", "png"]),
]


@dataclass(frozen=True)
class Formats:
    types: list[str]
    stamped: bool  # 盖章
    paper_copies: int | None  # 纸质版一份
    spans: list[tuple[int, int]]


def find_formats(s: str) -> Formats:
    """File types, stamping and paper copies asked for: "盖章PDF版和word版" → pdf, doc, docx; stamped."""
    types: list[str] = []
    spans: list[tuple[int, int]] = []
    for rx, exts in _FILE_TYPES:
        for m in rx.finditer(s):
            spans.append((m.start(), m.end()))
            for e in exts:
                if e not in types:
                    types.append(e)
            break
    stamped = bool(re.search(r"盖章|加盖公章|盖公章|签章", s))
    copies = None
    paper = re.search(rf"(?:纸质版?|一式)\s*(?P<n>{NUMBER})\s*份", s)
    if paper:
        copies = cn_to_int(paper["n"])
        spans.append((paper.start(), paper.end()))
    return Formats(types, stamped, copies, sorted(spans))
