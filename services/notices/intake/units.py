"""Organisations in the text: unit kinds, names, and matching them to the directory.

Recipients are addressed by kind ("各地级以上市科协、科技局（委），各省级学会、
协会、研究会，各高校科协、企业科协"); issuers and destinations by name, often
abbreviated ("中国科协" for 中国科学技术协会, "省科技厅" for the province's
科学技术厅 that issues the notice).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from shared.schemas import UnitKind

from .models import DirectoryUnit, KindMention
from .textview import compact, fold

# Order matters: the first pattern to claim a stretch of text wins, so the
# specific words come before the words they contain (高校科协 before 科协,
# 科学技术协会 before 协会).
_KIND_WORDS: list[tuple[UnitKind, str, float]] = [
    (
        UnitKind.university,
        r"高等学校科(?:学技术)?协(?:会)?|高等院校科协|高校科(?:学技术)?协(?:会)?|大学科协|学院科协|高校"
        r"|高等学校|高等院校|大学|学院(?!科协)",
        0.9,
    ),
    (UnitKind.enterprise, r"企业科(?:学技术)?协(?:会)?|企业", 0.9),
    (
        UnitKind.keji,
        r"科学技术(?:厅|局|委员会|部)|科技(?:厅|局|委|部)|科技创新(?:局|委员会|委)|科委"
        r"|科技(?:工作)?(?:主管|管理|行政)部门",
        0.95,
    ),
    (UnitKind.kexie, r"科学技术协会|科协", 0.95),
    (
        UnitKind.department,
        r"机关各(?:部室|处室|部门|处|部)|各(?:部室|处室)|(?:各)?直属(?:事业)?单位|内设机构|机关各部门",
        0.85,
    ),
    (
        UnitKind.society,
        r"全国学会|省级学会|市级学会|学[(（]协[)）]会|学协会|学会(?!部)|协会|研究会|学术团体|社会团体",
        0.95,
    ),
]
_KIND_RE = [(k, re.compile(p), c) for k, p, c in _KIND_WORDS]
# "中国科协所属各全国学会", "省科协机关各部室": the 科协 named there owns the recipients, it is not one.
_OWNER_AFTER = re.compile(r"^(?:所属|直属|下属|主管|机关|挂靠|各部|各处|办公厅)")


def kinds_in(text: str, offset: int = 0, confidence: float | None = None) -> list[KindMention]:
    """Every unit kind ``text`` names, in order of first mention, with the words and their spans."""
    s = fold(text)
    claimed: list[tuple[int, int]] = []
    hits: list[KindMention] = []
    for kind, rx, conf in _KIND_RE:
        for m in rx.finditer(s):
            if any(a < m.end() and m.start() < b for a, b in claimed):
                continue
            if kind == UnitKind.kexie and _OWNER_AFTER.match(s[m.end() :]):
                claimed.append((m.start(), m.end()))
                continue
            claimed.append((m.start(), m.end()))
            hits.append(
                KindMention(
                    kind=kind,
                    text=text[m.start() : m.end()],
                    confidence=confidence or conf,
                    span=(offset + m.start(), offset + m.end()),
                )
            )
    hits.sort(key=lambda h: h.span[0])
    out: list[KindMention] = []
    for h in hits:
        if h.kind not in {o.kind for o in out}:
            out.append(h)
    return out


_DEPT_ITEM = re.compile(r"(?:部|室|处|馆|中心|办|站|所|科)$")


def department_kinds(text: str, offset: int = 0) -> list[KindMention]:
    """ "请办公室、组人部、调宣部、科技馆…": a list of the issuer's own departments (机关部门)."""
    s = fold(text)
    s2 = re.sub(r"^(?:请|由)", "", s)
    lead = len(s) - len(s2)
    items = [i for i in re.split(r"[、,，和及]", s2) if i]
    if items and all(_DEPT_ITEM.search(i) and len(i) <= 8 for i in items):
        return [
            KindMention(
                kind=UnitKind.department, text=text[lead:], confidence=0.7, span=(offset + lead, offset + len(text))
            )
        ]
    return []


# ---------------------------------------------------------------- names

_ABBREV = [("中华人民共和国", ""), ("科学技术协会", "科协"), ("科学技术", "科技"), ("委员会", "委")]


def canonical(name: str) -> str:
    """A name reduced to a comparable form: "广东省科学技术协会" and "广东省科协" become the same."""
    s = compact(fold(name))
    for a, b in _ABBREV:
        s = s.replace(a, b)
    return s


ORG_SUFFIX = re.compile(
    r"(?:协会|学会|研究会|科协|委员会|委|厅|局|部|办公厅|办公室|大学|学院|中心|集团|公司|政府|院|所|馆|处|会|社|室|司|站|党组|科)$"
)
_NOT_ORG = re.compile(r"[，。；：:、！？“”《》]|\d|[〇零]|联系|电话|邮箱|地址|附件|通知|关于")


def looks_like_org(s: str) -> bool:
    """A plausible organisation name: ends like one, short, no sentence punctuation."""
    s = compact(fold(s))
    return 2 <= len(s) <= 30 and bool(ORG_SUFFIX.search(s)) and not _NOT_ORG.search(s)


# The ends of an organisation's name inside a destination ("省科协组织联络部"), longest first.
_ORG_END = re.compile(
    r"科学技术协会|科学技术(?:厅|局|部|委员会)|科技创新(?:委员会|局)|科技(?:厅|局|部|委)|科协|科委|办公厅|人民政府"
    r"|研究会|学会(?!部)|协会|联合会|委员会|大学|学院|集团(?:有限公司|公司)?|有限公司"
)
_DEPT_END = re.compile(r"(?:部|处|室|司|中心|科|办|组|站)$")


def split_destination(dest: str) -> tuple[str | None, str | None]:
    """ "省科协组织联络部" → ("省科协", "组织联络部"); "中国科协" → ("中国科协", None); "办公室" → (None, "办公室")."""
    parts = destination_parts(dest)
    if parts is not None:
        return parts
    d = compact(fold(dest))
    return (d, None) if d else (None, None)


def destination_parts(dest: str) -> tuple[str | None, str | None] | None:
    """(organisation, department) when ``dest`` names where to send something, else None.

    "省科协组织联络部", "中国科协", "市科协学会部", "办公室" are destinations;
    "文字信息", "学会工作报告" are things to send.
    """
    d = compact(fold(dest))
    if not d or len(d) > 40:
        return None
    # the last end of an organisation's name that leaves a department ("集团公司科协|秘书处")
    best = None
    for m in _ORG_END.finditer(d):
        rest = d[m.end() :]
        if not rest:
            return (d, None) if best is None else best
        if _DEPT_END.search(rest) and len(rest) >= 2 and not re.search(r"报告|方案|总结|材料|信息|表", rest):
            best = (d[: m.end()], rest)
    if best is not None:
        return best
    split = re.match(r"^(.{1,12}?(?:部|厅|局|委))(.{2,}(?:部|处|室|司|中心|科|办))$", d)
    if split:
        return split[1], split[2]
    if re.match(r"^.{1,12}?(?:部|厅|局|委)$", d) and len(d) <= 8 and not re.search(r"全部|内部|各部", d):
        return d, None
    if _DEPT_END.search(d) and len(d) <= 10 and not re.search(r"报告|方案|总结|材料|信息|表", d):
        return None, d
    return None


def as_directory(units: Iterable[DirectoryUnit | Sequence] | None) -> list[DirectoryUnit]:
    """The caller's directory: DirectoryUnit objects, or (unit_id, name, short names, kind) tuples."""
    out = []
    for u in units or []:
        if isinstance(u, DirectoryUnit):
            out.append(u)
        elif isinstance(u, dict):
            out.append(DirectoryUnit(**u))
        else:
            uid, name, shorts, kind = [*u, None, None][:4]
            if isinstance(shorts, str):
                shorts = [shorts]
            out.append(
                DirectoryUnit(
                    unit_id=uid,
                    name=name,
                    short_names=list(shorts or []),
                    kind=UnitKind(kind) if kind else UnitKind.other,
                )
            )
    return out


def match_unit(name: str, directory: list[DirectoryUnit]) -> tuple[DirectoryUnit | None, float]:
    """The directory unit a name refers to: exact name or short name (1.0), same canonical form (0.9)."""
    if not name or not directory:
        return None, 0.0
    n = compact(fold(name))
    for u in directory:
        if n == compact(fold(u.name)) or n in {compact(fold(s)) for s in u.short_names}:
            return u, 1.0
    c = canonical(name)
    found = [u for u in directory if c == canonical(u.name) or c in {canonical(s) for s in u.short_names}]
    if len(found) == 1:
        return found[0], 0.9
    return None, 0.0


_RELATIVE = re.compile(r"^(?:省|市|区|县|州|盟|本|我)(?P<rest>.+)$")


def match_relative(org: str, candidates: list[tuple[str, str | None]]) -> int | None:
    """ "省科协" among the issuers ["广东省科学技术协会", "广东省科学技术厅"] → index 0.

    ``candidates`` are (name, unit_id) pairs; an abbreviation that drops the
    place name ("省科技厅", "市科协学会部"'s "市科协", "中国科协") matches the
    one issuer whose canonical name ends with it.
    """
    c = canonical(org)
    exact = [i for i, (name, _) in enumerate(candidates) if canonical(name) == c]
    if exact:
        return exact[0]
    m = _RELATIVE.match(c)
    tail = m["rest"] if m else c
    level = c[0] if m and c[0] in "省市区县州盟" else ""
    ends = [i for i, (name, _) in enumerate(candidates) if canonical(name).endswith(level + tail)]
    if len(ends) == 1:
        return ends[0]
    ends = [i for i, (name, _) in enumerate(candidates) if canonical(name).endswith(tail)]
    return ends[0] if len(ends) == 1 else None
