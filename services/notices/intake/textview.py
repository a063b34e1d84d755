"""Views of the extracted text that keep every offset pointing into it.

Every extracted field carries the span of the source text it came from, so
the parsers never edit the text they were given. They work on views instead:

- ``fold``: the same text, one character for one character, with full-width
  ASCII (``０-９``, ``（）``, ``：``…) and the ideographic space folded to their
  half-width forms. Offsets are unchanged, so a regex match on the folded text
  is a span of the original.
- ``Lines``: the text's lines with their offsets, stripped.
- ``Flow``: the running text of a part of the document with the line breaks
  that a PDF (or a typist) put inside sentences removed, and the spaces
  between Chinese characters dropped ("5月 10 日" → "5月10日"); every
  character remembers its offset in the original, so a match in the flow maps
  back to a span.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

# U+FF01..U+FF5E are the full-width forms of U+0021..U+007E.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20  # ideographic space
_FOLD[0x00A0] = 0x20  # no-break space (Word)
_FOLD[0x2002] = _FOLD[0x2003] = _FOLD[0x2009] = 0x20
_FOLD[0xFE55] = ord(":")  # small colon
_FOLD[0x2236] = ord(":")  # ratio sign, typed for a colon by some input methods


def fold(text: str) -> str:
    """Full-width ASCII → half-width, one character for one character (offsets stay valid)."""
    return text.translate(_FOLD)


CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")
# Punctuation after which a line break is part of the sentence (the next line continues it).
CONTINUES = "，、,（(“《‘〈【—-/"
# Punctuation that ends a sentence or a clause.
ENDS = "。！？!?；;"

# The enumerators that open a heading or a list item: 一、 （一） (1) 1. 1、 ① 第一，
ENUMERATOR = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}[、.]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、.．](?=\D|\d{4})"
    r"|[①-⑳]|第[一二三四五六七八九十]{1,3}[，、,])"
)


PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－]+\s*\d{1,3}\s*[-—–－]+|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$"
)


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


@dataclass(frozen=True)
class Line:
    """A line of the text: ``start``/``end`` are offsets of its stripped content in the original."""

    no: int
    start: int
    end: int
    text: str  # stripped, original characters
    folded: str  # stripped, folded

    def __bool__(self) -> bool:
        return bool(self.text)


class Lines:
    """The lines of ``text[start:end]`` with their offsets in ``text``."""

    def __init__(self, text: str, start: int = 0, end: int | None = None) -> None:
        self.text = text
        self.folded = fold(text)
        end = len(text) if end is None else end
        self.start, self.end = start, end
        out: list[Line] = []
        pos = start
        for raw in text[start:end].splitlines(keepends=True):
            body = raw.rstrip("\r\n")
            stripped = body.strip()
            if stripped:
                lead = len(body) - len(body.lstrip())
                s = pos + lead
                e = s + len(stripped)
            else:
                s = e = pos
            out.append(Line(len(out), s, e, stripped, self.folded[s:e]))
            pos += len(raw)
        self.all = out
        self.nonempty = [ln for ln in out if ln]

    def median_length(self) -> float:
        lengths = [len(ln.text) for ln in self.nonempty if len(ln.text) >= 4]
        return statistics.median(lengths) if lengths else 0.0


def compact(s: str) -> str:
    """Drop whitespace except between two ASCII letters/digits ("Microsoft Word" keeps its space)."""
    out = re.sub(r"(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])", "\x00", s)
    out = re.sub(r"\s+", "", out)
    return out.replace("\x00", " ")


@dataclass
class Flow:
    """Running text with an offset map: ``index[i]`` is where ``text[i]`` is in the original."""

    text: str
    index: list[int]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """The original span of ``text[i:j]``."""
        if j <= i:
            k = self.index[i] if i < len(self.index) else (self.index[-1] + 1 if self.index else 0)
            return (k, k)
        return (self.index[i], self.index[j - 1] + 1)

    @classmethod
    def of(cls, lines: list[Line], median: float | None = None) -> Flow:
        """Join ``lines`` into running text; a "\\n" is kept where a paragraph really ends.

        A PDF wraps every line at the page width and puts blank lines anywhere,
        so blank lines mean nothing; a line break is a paragraph end when the
        line ends a sentence, is a heading, or is clearly shorter than the
        lines around it, or when the next line opens an enumerated item.
        """
        # page numbers of a PDF ("— 2 —", "-3-", "第2页 共5页") sit inside sentences that cross a page
        lines = [ln for ln in lines if not PAGE_NUMBER.match(ln.folded)]
        if median is None:
            lengths = [len(ln.text) for ln in lines if len(ln.text) >= 4]
            median = statistics.median(lengths) if lengths else 0.0
        chars: list[str] = []
        index: list[int] = []
        for n, ln in enumerate(lines):
            prev_char = ""
            for k, ch in enumerate(ln.folded):
                if ch.isspace():
                    # keep one space only between two ASCII words
                    nxt = ln.folded[k + 1 :].lstrip()[:1]
                    if (
                        prev_char.isascii()
                        and prev_char.isalnum()
                        and nxt.isascii()
                        and nxt.isalnum()
                        and (not chars or chars[-1] != " ")
                    ):
                        chars.append(" ")
                        index.append(ln.start + k)
                    continue
                chars.append(ch)
                index.append(ln.start + k)
                prev_char = ch
            nxt_line = lines[n + 1] if n + 1 < len(lines) else None
            if nxt_line is not None and paragraph_ends(ln, nxt_line, median):
                chars.append("\n")
                index.append(ln.end)
        return cls("".join(chars), index)


def is_heading(line: Line) -> bool:
    """ "一、活动主题", "（二）报送工作材料": an enumerator, short, no sentence inside."""
    t = line.folded
    return bool(ENUMERATOR.match(t)) and len(t) <= 30 and "。" not in t[:-1] and not t.endswith(tuple(CONTINUES))


def paragraph_ends(line: Line, nxt: Line, median: float) -> bool:
    t = line.folded.rstrip()
    if not t:
        return True
    if t[-1] in CONTINUES:
        return False
    if t[-1] in ENDS or t[-1] in ":：":
        return True
    if is_heading(line) or ENUMERATOR.match(nxt.folded):
        return True
    # "附件", a signature, a date: a short line is a paragraph of its own. A
    # wrapped line is about as long as its neighbours.
    return not (median and len(t) >= 0.8 * median)


def split_outside_brackets(s: str, seps: str) -> list[tuple[int, int]]:
    """Split ``s`` at any of ``seps`` that is not inside （）() 《》 “” : (start, end) pairs."""
    depth = 0
    out = []
    start = 0
    opens, closes = "（(《“〈[【", "）)》”〉]】"
    for i, ch in enumerate(s):
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0:
            out.append((start, i))
            start = i + 1
    out.append((start, len(s)))
    return [(a, b) for a, b in out if b > a]


def strip_brackets(s: str) -> str:
    """Remove parenthesised asides: "特色亮点活动（原则上每个阶段1项）筹备方案" → "特色亮点活动筹备方案"."""
    prev = None
    while prev != s:
        prev = s
        s = re.sub(r"[（(][^（()）]*[）)]", "", s)
    return s
