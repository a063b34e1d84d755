"""Routing: which kinds of unit send their submissions to which department.

Seed 000: "各地级以上市科协、省级学会、高校科协、企业科协报送省科协组织联络部。
各地级以上市科技局（委）报送省科技厅引进智力管理处。" Also inline in an ask
("于6月10日前向市科协学会部报送…"), and a collector ("办公室汇总上报中国科协":
the 办公室 receives them). A destination is split into the organisation and
its department, and the organisation matched to the notice's issuers first
("省科协" is the province's 科协 that issues the notice), then to the directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import DirectoryUnit, Issuer
from .textview import fold, split_outside_brackets
from .units import destination_parts, match_relative, match_unit

VERB = re.compile(
    r"报送|上报|提交|填报|反馈|报至|报到|寄送|寄至|寄给|发送|发至|发到|送至|送交|递交|上传|报名|申报|交至|交到|报给|传至"
    r"|(?<![汇通预简情海年周月日电快画学])报(?=[\u4e00-\u9fff])(?![告道名刊纸表])"
    r"|(?<![印分下转颁开启出])发(?=[\u4e00-\u9fff])(?![布放展现出生挥起文])"
    r"|(?<![提递上移])交(?=[\u4e00-\u9fff])(?![流通叉付])"
)
# 报, 发, 交 alone are verbs of sending only when a destination follows ("报校科协办公室", "发市科协邮箱").
_BARE = ("报", "发", "交")


def find_verb(clause: str, start: int = 0) -> re.Match | None:
    """The first verb of sending in ``clause``; a bare 报/发/交 counts only before a destination."""
    for m in VERB.finditer(clause, start):
        if m.group(0) not in _BARE or destination_after(clause, m.end()) is not None:
            return m
    return None


_TO = re.compile(r"^(?:至|到|给)")
_DEST_STOP = re.compile(r"[（(，,。；;、：:]|邮箱|电子邮箱|邮件|$")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@dataclass
class Destination:
    text: str
    start: int  # offsets in the clause
    end: int
    organisation: str | None
    department: str | None
    email: str | None = None


def destination_after(clause: str, pos: int) -> Destination | None:
    """Where a verb at ``pos`` sends things: "报送省科协组织联络部", "发市科协邮箱", "发送至a@b.cn"."""
    rest = clause[pos:]
    to = _TO.match(rest)
    k = to.end() if to else 0
    e = EMAIL.match(rest, k) or (EMAIL.match(rest, k + 2) if rest[k : k + 2] in ("邮箱",) else None)
    if e:
        return Destination(e.group(0), pos + e.start(), pos + e.end(), None, None, e.group(0))
    stop = _DEST_STOP.search(rest, k)
    assert stop is not None  # the pattern ends in "|$": it always matches
    text = rest[k : stop.start()]
    parts = destination_parts(text)
    if parts is None:
        return None
    email = None
    if rest[stop.start() : stop.start() + 2] == "邮箱" or rest[stop.start() : stop.start() + 4] == "电子邮箱":
        email = "邮箱"
    return Destination(text, pos + k, pos + k + len(text), parts[0], parts[1], email)


def destination_before(clause: str) -> Destination | None:
    """ "向市科协学会部报送": the destination written before the verb."""
    m = re.search(r"向(?P<d>[^，,。；;、向]{2,30}?)(?:报送|上报|提交|报|寄送|发送|递交|反馈)", clause)
    if not m:
        return None
    parts = destination_parts(m["d"])
    if parts is None:
        return None
    return Destination(m["d"], m.start("d"), m.end("d"), parts[0], parts[1])


def collector(clause: str) -> tuple[str, int, int] | None:
    """ "办公室汇总上报中国科协", "由市科协学会部汇总后报送": who compiles (and so receives) the submissions."""
    m = re.search(r"(?:由)?(?P<d>[\u4e00-\u9fff]{2,20}?)(?:统一)?汇总", fold(clause))
    if not m:
        return None
    if destination_parts(m["d"]) is None:
        return None
    return m["d"], m.start("d"), m.end("d")


@dataclass
class Resolved:
    organisation: str | None
    department: str | None
    unit_id: str | None
    unit_name: str | None
    confidence: float


def resolve(org: str | None, dept: str | None, issuers: list[Issuer], directory: list[DirectoryUnit]) -> Resolved:
    """The unit a destination names: one of the issuers ("省科协"), else a directory unit, else unknown."""
    if org is None:
        # a department alone ("办公室", "学会部"): the lead issuer's
        lead = issuers[0] if issuers else None
        return Resolved(
            lead.name if lead else None,
            dept,
            lead.unit_id if lead else None,
            lead.unit_name if lead else None,
            0.7 if lead else 0.5,
        )
    i = match_relative(org, [(x.name, x.unit_id) for x in issuers])
    if i is not None:
        x = issuers[i]
        return Resolved(x.name, dept, x.unit_id, x.unit_name, 0.9)
    u, conf = match_unit(org, directory)
    if u is not None:
        return Resolved(u.name, dept, u.unit_id, u.name, conf * 0.9)
    return Resolved(org, dept, None, None, 0.6)


def route_clauses(sentence: str) -> list[tuple[str, int, re.Match, Destination]]:
    """Clauses of a sentence that route: (subject, subject end, verb, destination)."""
    out = []
    for a, b in split_outside_brackets(sentence, "，,；;"):
        clause = sentence[a:b]
        # the verb that has a destination after it ("报送方式：纸质材料寄送中国科协人才中心": 寄送, not 报送)
        v = d = None
        for m in VERB.finditer(clause):
            d = destination_after(clause, m.end())
            if d is not None:
                v = m
                break
        if v is None or d is None or d.email:
            continue
        d = Destination(d.text, a + d.start, a + d.end, d.organisation, d.department)
        out.append((clause[: v.start()], a, v, d))
    return out
