"""The fixed parts of a 公文 (GB/T 9704): 版头, 文号, 标题, 主送机关, and the closing parts
(附件说明, 落款 with the 成文日期, 抄送, 印发).

版头: the issuers' names, stacked for a joint notice, with "文件" beside them
("广东省科学技术协会 文件 广东省科学技术厅", "中国科协 科技部 文件"), or the
issuer alone for a 函 ("中 国 科 协 办 公 厅", letter-spaced). The 文号 sits on
its own line below ("粤科协联〔2020〕9号"; brackets vary: 〔〕 [] （） 【】),
the title below that, possibly over several lines, ending with the kind of
document (通知, 函, 意见…), then the 主送机关 ending with a colon.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from datetime import date

from .dates import FULL_DATE, parse_date_line
from .models import AttachmentName, Found
from .textview import ENUMERATOR, Line, compact, fold, is_cjk
from .units import looks_like_org

DOC_NO = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,16}?)\s*[〔\[【(﹝〖<]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]】)﹞〗>]\s*第?\s*(?P<seq>\d{1,5})\s*号"
)
_SIGNER = re.compile(r"签\s*发\s*人\s*[:：].*$")
_NOISE = re.compile(
    r"^(?:\d{3,8}|[★☆]?(?:绝密|机密|秘密|内部|公开)(?:★.*)?|特急|加急|急件|特提|平急|"
    r"份号.*|密级.*|紧急程度.*|签\s*发\s*人.*)$"
)
DOC_KINDS = (
    "通知",
    "通报",
    "复函",
    "函",
    "意见",
    "决定",
    "报告",
    "请示",
    "批复",
    "方案",
    "纪要",
    "公告",
    "通告",
    "办法",
    "规定",
    "决议",
    "命令",
    "议案",
    "公报",
    "细则",
    "要点",
    "计划",
    "规划",
    "规则",
    "倡议书",
    "邀请函",
    "指南",
    "说明",
    "通知书",
)
# the title ends with the kind of document, perhaps with a note: "…的通知（第二轮）", "…的函（代章）"
_ENDS_KIND = re.compile(rf"(?:{'|'.join(DOC_KINDS)})(?:[(（][^()（）]{{1,10}}[)）]|[)）])?$")
_STAMP = re.compile(r"收\s*文")
_ATTACH = re.compile(r"^[-*•·]?\s*附\s*件\s*(?P<no>\d{1,2})?\s*[:：]\s*(?P<rest>.*)$")
_ITEM = re.compile(r"^(?P<no>\d{1,2})\s*[.、．]\s*(?P<name>.+)$")
_PRINTED = re.compile(rf"(?P<date>{FULL_DATE})\s*印\s*发$")
_CC = re.compile(r"^抄\s*送\s*[:：]\s*(?P<v>.*)$")


def doc_number(text: str) -> str | None:
    """A 文号 normalised to 〔〕 and no spaces ("科协发组字 [2020] 7 号" → "科协发组字〔2020〕7号")."""
    m = DOC_NO.search(fold(text))
    return normalise_doc_number(m) if m else None


def normalise_doc_number(m: re.Match) -> str:
    return f"{m['prefix']}〔{m['year']}〕{int(m['seq'])}号"


def doc_number_line(line: Line) -> re.Match | None:
    """The 文号 when ``line`` is one (nothing but it, perhaps with 签发人)."""
    s = compact(_SIGNER.sub("", line.folded))
    m = DOC_NO.fullmatch(s)
    return m


def masthead_names(line: Line) -> list[tuple[str, int, int]]:
    """Issuer names on a 版头 line, with spans: "中国科协 科技部 文件" → 中国科协, 科技部."""
    t = line.text
    tokens = [(m.group(0), m.start()) for m in re.finditer(r"\S+", t)]
    if tokens and all(len(tok) == 1 for tok, _ in tokens):
        # "中 国 科 协 办 公 厅": one name, letter-spaced
        name = "".join(tok for tok, _ in tokens)
        tokens = [(name, tokens[0][1])]
        spans = [(name, line.start, line.end)]
    else:
        spans = [(tok, line.start + pos, line.start + pos + len(tok)) for tok, pos in tokens]
    out = []
    for tok, s, e in spans:
        name = re.sub(r"文\s*件$", "", tok)
        if name != tok:
            e -= len(tok) - len(name)
        if name and looks_like_org(name):
            out.append((name, s, e))
    return out


def clean_title(lines: list[Line]) -> str:
    """A title from its lines: spaces a layout put in are dropped, the spaces between joint issuers kept.

    "渭南市科学技术协会 / 渭南市科学技术局 / 关于开展2020年 / “全国科技工作者日”活动的通知"
    → "渭南市科学技术协会 渭南市科学技术局关于开展2020年“全国科技工作者日”活动的通知".
    """
    pieces: list[str] = []
    for n, ln in enumerate(lines):
        if n and pieces:
            prev_org = looks_like_org(lines[n - 1].text.split()[-1]) and "关于" not in "".join(pieces)
            pieces.append(" " if prev_org and not ln.text.startswith("关于") else "")
        pieces.append(ln.text)
    s = "".join(pieces)
    out = []
    for i, ch in enumerate(s):
        if not ch.isspace():
            out.append(ch)
            continue
        if out and out[-1] == " ":
            continue
        left = "".join(out)
        right = s[i:].lstrip()
        if not left or not right:
            continue
        a, b = left[-1], right[0]
        token = re.split(r"[\s《“（(]", left)[-1]
        if (is_cjk(a) and is_cjk(b) and looks_like_org(token) and not right.startswith("关于")) or (
            a.isascii() and a.isalnum() and b.isascii() and b.isalnum()
        ):
            out.append(" ")
    return "".join(out).strip()


def title_issuers(title: str, start: int) -> list[tuple[str, int, int]]:
    """Issuers named before "关于" in a title ("中国科协 科技部关于…"), outside any 《》."""
    depth = 0
    for i, ch in enumerate(title):
        if ch in "《〈":
            depth += 1
        elif ch in "》〉":
            depth -= 1
        elif depth == 0 and title.startswith("关于", i):
            prefix = title[:i]
            out = []
            for m in re.finditer(r"[^\s、，,和]+", prefix):
                if looks_like_org(m.group(0)):
                    out.append((m.group(0), start + m.start(), start + m.end()))
            return out
    return []


@dataclass
class Header:
    stamp_lines: list[Line] = field(default_factory=list)
    issuers: list[tuple[str, int, int]] = field(default_factory=list)  # from the 版头
    doc_number: Found[str] | None = None
    title: Found[str] | None = None
    title_lines: list[Line] = field(default_factory=list)
    recipients: Found[str] | None = None
    body_start: int = 0
    end_line: int = 0  # index in the non-empty lines where the body begins


def find_header(lines: list[Line], text: str) -> Header:
    """The 版头, 文号, title and 主送机关 at the top of one notice's ``lines`` (non-empty lines)."""
    h = Header()
    if not lines:
        return h
    i = 0
    # a 收文 stamp above the notice
    for k in range(min(4, len(lines))):
        if _STAMP.search(lines[k].folded) and len(lines[k].text) <= 30:
            first = k - 1 if k > 0 and looks_like_org(lines[k - 1].text) else k
            last = k + 1 if k + 1 < len(lines) and parse_date_line(lines[k + 1].folded) else k
            h.stamp_lines = lines[first : last + 1]
            i = last + 1
            break
    limit = min(len(lines), i + 12)
    doc_idx = None
    for k in range(i, limit):
        m = doc_number_line(lines[k])
        if m:
            doc_idx = k
            ln = lines[k]
            h.doc_number = Found[str](
                value=normalise_doc_number(m), confidence=0.95, span=(ln.start, ln.end), how="文号行"
            )
            break
    if doc_idx is not None:
        head = lines[i:doc_idx]
        title_from = doc_idx + 1
    else:
        head = []
        title_from = i
        for k in range(i, min(len(lines), i + 5)):
            t = compact(lines[k].folded)
            if t.endswith("文件") or (
                looks_like_org(lines[k].text)
                and not _ENDS_KIND.search(t)
                and "关于" not in t
                and k + 1 < len(lines)
                and not lines[k].folded.rstrip().endswith((":", "："))
            ):
                head.append(lines[k])
                title_from = k + 1
            else:
                break
    for ln in head:
        if _NOISE.match(compact(ln.folded)):
            continue
        h.issuers += masthead_names(ln)
    # the title: lines up to the one that ends with the kind of document
    k = title_from
    title_lines: list[Line] = []
    found = False
    while k < len(lines) and len(title_lines) < 6:
        ln = lines[k]
        f = ln.folded.rstrip()
        if f.endswith(":") and title_lines:
            break
        if "。" in f:
            break
        title_lines.append(ln)
        k += 1
        # joined: a PDF may wrap the title inside its last word ("…的通" / "知")
        if _ENDS_KIND.search(compact("".join(x.folded for x in title_lines))):
            found = True
            break
    if not found:
        # no title where it should be: look for "关于…通知" near the top
        title_lines = []
        for k2 in range(i, min(len(lines), i + 15)):
            t = compact(lines[k2].folded)
            if "关于" in t and _ENDS_KIND.search(t) and "。" not in t:
                title_lines = [lines[k2]]
                k = k2 + 1
                found = True
                break
        if not found:
            k = title_from
    if title_lines:
        value = clean_title(title_lines)
        conf = 0.95 if (doc_idx is not None or h.issuers) and found else 0.8
        h.title = Found[str](value=value, confidence=conf, span=(title_lines[0].start, title_lines[-1].end), how="标题")
        h.title_lines = title_lines
    # 主送机关: up to four lines ending with a colon, right after the title
    body_line = k
    if k < len(lines) and (title_lines or doc_idx is not None):
        acc: list[Line] = []
        for j in range(k, min(len(lines), k + 4)):
            f = lines[j].folded.rstrip()
            if "。" in f or (acc == [] and ENUMERATOR.match(f)):
                break
            acc.append(lines[j])
            if f.endswith(":"):
                value = compact("".join(ln.text for ln in acc)).rstrip(":：")
                if len(value) <= 300 and not value.startswith(("现将", "根据", "为")):
                    h.recipients = Found[str](value=value, confidence=0.9, span=(acc[0].start, acc[-1].end), how="主送")
                    body_line = j + 1
                break
    h.end_line = body_line
    h.body_start = lines[body_line].start if body_line < len(lines) else lines[-1].end
    return h


# ---------------------------------------------------------------- the closing parts


@dataclass
class Closing:
    attachments: list[AttachmentName] = field(default_factory=list)
    attachments_start: int | None = None
    date: Found[dt.date] | None = None
    signers: list[tuple[str, int, int]] = field(default_factory=list)
    signature_start: int | None = None
    printed: Found[dt.date] | None = None  # dt.date: in this class "date" is the field above
    printed_start: int | None = None
    cc: Found[str] | None = None
    cc_start: int | None = None

    def body_end(self, default: int) -> int:
        ends = [
            x
            for x in (self.attachments_start, self.signature_start, self.printed_start, self.cc_start)
            if x is not None
        ]
        return min(ends) if ends else default


def find_closing(lines: list[Line], median: float) -> Closing:
    """附件说明, 落款 and 成文日期, 抄送 and 印发 among the body's ``lines`` (non-empty, in order)."""
    c = Closing()
    for n, ln in enumerate(lines):
        f = ln.folded
        if c.attachments_start is None:
            m = _ATTACH.match(f)
            if m and (m["rest"].strip() or (n + 1 < len(lines) and _ITEM.match(lines[n + 1].folded))):
                c.attachments_start = ln.start
                c.attachments = _attachment_names(lines, n, m, median)
                continue
        if c.cc is None:
            m = _CC.match(f)
            if m:
                c.cc_start = ln.start
                v = ln.text[m.start("v") :]
                c.cc = Found[str](value=compact(v).rstrip("。"), confidence=0.9, span=(ln.start, ln.end), how="抄送")
                continue
        if c.printed is None:
            m = _PRINTED.search(compact(f))
            if m:
                d = parse_date_line(m["date"])
                if d:
                    start = ln.start
                    if n > 0 and looks_like_org(lines[n - 1].text) and compact(lines[n - 1].folded) != compact(f):
                        start = lines[n - 1].start if compact(f).startswith(m["date"]) else start
                    c.printed_start = start
                    c.printed = Found[date](value=d, confidence=0.9, span=(ln.start, ln.end), how="印发")
                continue
        if c.date is None:
            d, signers, sig_start = _dated_signature(lines, n)
            if d is not None:
                if n > 0 and _STAMP.search(lines[n - 1].folded):
                    continue  # the date of a 收文 stamp
                c.date = Found[date](
                    value=d,
                    confidence=0.95 if signers else 0.75,
                    span=(ln.start, ln.end),
                    how="落款" if signers else "日期行",
                )
                c.signers = signers
                c.signature_start = sig_start
    return c


_ORG_THEN_DATE = re.compile(rf"^(?P<org>.+?)\s+(?P<date>{FULL_DATE})$")


def _dated_signature(lines: list[Line], n: int) -> tuple[date | None, list[tuple[str, int, int]], int | None]:
    """The 成文日期 on line ``n``, the signers above it (or beside it), and where the signature starts."""
    ln = lines[n]
    d = parse_date_line(ln.folded)
    signers: list[tuple[str, int, int]] = []
    start = ln.start
    if d is None:
        m = _ORG_THEN_DATE.match(ln.folded)
        if not m:
            return None, [], None
        d = parse_date_line(m["date"])
        if d is None:
            return None, [], None
        signers += [
            s
            for s in masthead_names(
                Line(ln.no, ln.start, ln.start + m.end("org"), ln.text[: m.end("org")], ln.folded[: m.end("org")])
            )
        ]
    k = n - 1
    while k >= 0 and n - k <= 3:
        names = masthead_names(lines[k])
        if not names or len(compact(lines[k].folded)) > 40:
            break
        signers = names + signers
        start = lines[k].start
        k -= 1
    return d, signers, start


def _attachment_names(lines: list[Line], n: int, m: re.Match, median: float) -> list[AttachmentName]:
    """附件说明: "附件：1.《…》 / 2.… / 3.…", or a single name, perhaps wrapped over lines."""
    out: list[AttachmentName] = []
    first = lines[n]
    rest_at = first.start + m.start("rest")
    rest = m["rest"].strip()
    single_no = int(m["no"]) if m["no"] else None
    entries: list[list] = []  # [no, name, start, end, last line]
    im = _ITEM.match(rest)
    if im:
        entries.append([int(im["no"]), im["name"].strip(), rest_at + m["rest"].index(im["name"]), first.end, first])
    elif rest:
        entries.append([single_no, rest, rest_at + (len(m["rest"]) - len(m["rest"].lstrip())), first.end, first])
    k = n + 1
    while k < len(lines):
        ln = lines[k]
        f = ln.folded.strip()
        im = _ITEM.match(f)
        if im and (not entries or entries[-1][0] is not None):
            entries.append([int(im["no"]), im["name"].strip(), ln.start + f.index(im["name"]), ln.end, ln])
            k += 1
            continue
        # a name wrapped onto the next line: "…特色亮点活动筹备方" / "案" / "（样表）"
        wrapped = median >= 20 and len(entries[-1][4].text) >= 0.8 * median
        if (
            entries
            and not _ATTACH.match(f)
            and not re.match(r"^附\s*件\s*\d*$", f)
            and len(f) <= 12
            and (wrapped or f.startswith(("(", "（")))
            and not re.search("[。:：]", f)
            and not looks_like_org(f)
            and parse_date_line(f) is None
        ):
            entries[-1][1] += compact(ln.text)
            entries[-1][3] = ln.end
            entries[-1][4] = ln
            k += 1
            continue
        break
    for no, name, s, e, _ in entries:
        name = compact(name) if not re.search(r"[A-Za-z] [A-Za-z]", name) else name.strip()
        name = name.rstrip("；;。,，")
        if name.startswith("《") and name.endswith("》") and name.count("《") == 1:
            name = name[1:-1]
        out.append(AttachmentName(no=no, name=name, confidence=0.9, span=(s, e)))
    return out
