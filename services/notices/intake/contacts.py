"""联系人 blocks: department, people, phones, e-mail, fax, address.

Notices write them as labelled lines under a department line ("省科协组织联络部 /
联系人：雷晶、周长江 / 联系电话：020-83551764、83270571 / 电子邮箱：…"), several
labels on one line ("联系人：张三，电话：010-…，邮箱：…"), a name with its
numbers ("联系人：李想 6335628 15897098299"), a department glued to the name
("联系人：渭南市科协学会部白茹"), letter-spaced names ("联 系 人：郑叶霞  张  月"),
or a table (姓名 | 单位 | 电话 | 邮箱). A block ends at the next department line
or at text that is not part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import ContactBlock, ContactPerson
from .textview import ENUMERATOR, Line, compact, fold, is_cjk
from .units import ORG_SUFFIX


def _spaced(word: str) -> str:
    """A label as typeset: "联系人" may be written "联 系 人"."""
    return r"\s*".join(re.escape(ch) for ch in word)


def _alt(*words: str) -> str:
    return "|".join(_spaced(w) for w in sorted(words, key=len, reverse=True))


LABELS = {
    "person": _alt(
        "联系人及联系电话", "联系人及电话", "联系人及联系方式", "联系人", "联络人", "联系人员", "经办人", "联系方式"
    ),
    "mobile": _alt("手机号码", "手机", "移动电话"),
    "fax": _alt("传真号码", "传真"),
    "phone": _alt(
        "联系电话", "办公电话", "咨询电话", "固定电话", "电话号码", "电话", "座机", "Tel", "TEL", "电话/传真"
    ),
    "email": _alt(
        "电子邮箱",
        "电子信箱",
        "电子邮件",
        "邮箱地址",
        "邮箱",
        "E-mail",
        "Email",
        "e-mail",
        "EMAIL",
        "电邮",
        "投稿邮箱",
        "报送邮箱",
    ),
    "address": _alt("通信地址", "通讯地址", "邮寄地址", "联系地址", "办公地址", "地址"),
    "postcode": _alt("邮政编码", "邮编"),
}
_LABEL_ANY = re.compile("|".join(f"(?P<{k}>{v})" for k, v in LABELS.items()))
# A label followed by its colon (a value after it); "电子邮箱" alone is a form's empty field.
_LABELLED = re.compile(rf"(?:{_LABEL_ANY.pattern})\s*[:：]\s*")

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
MOBILE = re.compile(r"(?<![\d-])1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
OFFICE = re.compile(
    r"(?<![\d-])(?:(?:\(\s*0\d{2,3}\s*\)\s*|0\d{2,3}\s*[-—]\s*)\d{7,8}|[2-9]\d{6,7})(?:\s*(?:-|转)\s*\d{1,5})?(?!\d)"
)
_FAX_TOO = re.compile(r"[(（]\s*兼\s*传\s*真\s*[)）]|[/、]\s*传\s*真")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
_HONORIFIC = re.compile(r"(?:同志|老师|女士|先生)$")
_DEPT_NAME = re.compile(
    r"^(?P<dept>.{2,}(?:部|处|室|司|中心|科|办|组|站|协|会|局|厅|馆))(?P<name>[\u4e00-\u9fff]{2,3})$"
)


def phones_in(s: str) -> tuple[list[str], list[str]]:
    """(office phones, mobiles) in ``s``, normalised: no spaces, "(010)68578091", "020-83551764"."""
    f = fold(s)
    mobiles = [re.sub(r"[\s-]", "", m.group(0)) for m in MOBILE.finditer(f)]
    rest = MOBILE.sub(" ", f)
    rest = EMAIL.sub(" ", rest)
    office = [re.sub(r"\s+", "", m.group(0)).replace("—", "-") for m in OFFICE.finditer(rest)]
    return office, mobiles


def _names(s: str) -> list[tuple[str | None, str]]:
    """(department, name) pairs in a 联系人 value with its numbers removed."""
    s = re.sub(r"[(（][^)）]*[)）]", " ", fold(s))
    out: list[tuple[str | None, str]] = []
    for group in re.split(r"[、,，;；/]|\s和\s|(?<=[\u4e00-\u9fff]{2})和(?=[\u4e00-\u9fff]{2})", s):
        tokens = [t for t in group.split() if t]
        merged: list[str] = []
        i = 0
        while i < len(tokens):
            # letter-spaced two-character names: "张  月", "田 鹏"
            if len(tokens[i]) == 1 and i + 1 < len(tokens) and len(tokens[i + 1]) == 1:
                merged.append(tokens[i] + tokens[i + 1])
                i += 2
                continue
            merged.append(tokens[i])
            i += 1
        for t in merged:
            t = _HONORIFIC.sub("", t.strip("：:，。. "))
            if not t or not all(is_cjk(c) or c == "·" for c in t):
                continue
            if (_NAME.match(t) and not ORG_SUFFIX.search(t[-1:])) or (len(t) in (2, 3) and _NAME.match(t)):
                out.append((None, t))
                continue
            m = _DEPT_NAME.match(t)
            if m:
                out.append((m["dept"], m["name"]))
    return out


@dataclass
class _Person:
    name: str
    start: int
    end: int
    office: list[str] = field(default_factory=list)
    mobile: list[str] = field(default_factory=list)


@dataclass
class _Block:
    start: int
    end: int
    department: str | None = None
    people: list[_Person] = field(default_factory=list)
    office: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    fax: str | None = None
    emails: list[str] = field(default_factory=list)
    address: str | None = None
    labelled: int = 0

    def has_data(self) -> bool:
        return bool(self.people or self.office or self.mobiles or self.emails)

    def build(self) -> ContactBlock:
        people = []
        n = len(self.people)
        for i, p in enumerate(self.people):
            office = p.office[0] if p.office else None
            mobile = p.mobile[0] if p.mobile else None
            # the block's numbers: one per person when the counts agree, else shared
            if office is None and self.office:
                office = self.office[i] if len(self.office) == n else self.office[0]
            if mobile is None and self.mobiles:
                mobile = self.mobiles[i] if len(self.mobiles) == n else self.mobiles[0]
            people.append(
                ContactPerson(
                    name=p.name,
                    office_phone=office,
                    mobile=mobile,
                    confidence=0.95 if self.labelled else 0.7,
                    span=(p.start, p.end),
                )
            )
        return ContactBlock(
            department=self.department,
            people=people,
            office_phones=self.office,
            mobiles=self.mobiles,
            fax=self.fax,
            emails=self.emails,
            address=self.address,
            confidence=0.95 if self.labelled else 0.7,
            span=(self.start, self.end),
        )


def _header(line: Line) -> str | None:
    """A department line above a block ("省科协组织联络部", "省科协联系方式：", "“全国科技工作者日”活动办公室")."""
    t = compact(line.folded)
    m = re.match(r"^(?P<who>.*?)(?:的)?联系方式\s*[:：]?$", t)
    if m:
        who = m["who"]
        return who if who and not ENUMERATOR.match(who) and len(who) <= 30 else None
    if ENUMERATOR.match(t) or len(t) > 30 or len(t) < 3 or re.search(r"[，。；：:、！？,;]|\d{4}年", t):
        return None
    return t if ORG_SUFFIX.search(t) else None


_ADDRESS_WORDS = re.compile(r"[路街号楼层座巷弄栋幢]|\d")


def _fields_of_line(line: Line) -> list[tuple[str, str, int, int]]:
    """(label kind, value, start, end) for each "label：value" on a line; a tab-separated pair counts too."""
    f = line.folded
    out = []
    matches = list(_LABELLED.finditer(f))
    if not matches and "\t" in line.text:
        cells = [c for c in line.text.split("\t") if c.strip()]
        if len(cells) == 2:
            lab = _LABEL_ANY.fullmatch(compact(fold(cells[0])))
            if lab and lab.lastgroup:
                i = line.text.index(cells[1])
                return [(lab.lastgroup, fold(cells[1]).strip(), line.start + i, line.start + i + len(cells[1].strip()))]
    for k, m in enumerate(matches):
        kind = next(g for g, v in m.groupdict().items() if v)
        vs = m.end()
        ve = matches[k + 1].start() if k + 1 < len(matches) else len(f)
        value = f[vs:ve]
        value = re.sub(r"[，,；;。\s]+$", "", value)
        while value.endswith(")") and value.count(")") > value.count("("):
            value = value[:-1]
        out.append((kind, value, line.start + vs, line.start + vs + len(value)))
    return out


def find_contacts(lines: list[Line]) -> list[ContactBlock]:
    """The contact blocks among ``lines`` (the lines of one notice), deduplicated, in order."""
    blocks: list[_Block] = []
    cur: _Block | None = None
    pending_header: tuple[str, int] | None = None
    last_kind = None

    def close():
        nonlocal cur
        if cur is not None and cur.has_data():
            blocks.append(cur)
        cur = None

    table_header: dict[str, int] | None = None
    rows: list[ContactBlock] = []  # from contact tables
    for line in lines:
        if "\t" in line.text:
            cells = [compact(fold(c)) for c in line.text.split("\t")]
            cols = _table_columns(cells)
            if cols:
                close()
                table_header = cols
                continue
            if table_header is not None:
                b = _table_row(line, table_header)
                if b is not None:
                    rows.append(b)
                continue
        table_header = None
        fields = [f for f in _fields_of_line(line) if f[1].strip()]  # "省科协联系方式：" is a header, not a value
        if not fields:
            # an address that wrapped onto the next line(s)
            if (
                cur is not None
                and last_kind == "address"
                and len(line.text) <= 14
                and _ADDRESS_WORDS.search(line.folded)
            ):
                cur.address = (cur.address or "") + compact(line.text)
                cur.end = line.end
                continue
            h = _header(line)
            if h is not None:
                close()
                pending_header = (h, line.start)
                continue
            close()
            pending_header = None
            last_kind = None
            continue
        for kind, value, vs, ve in fields:
            if kind == "person" and cur is not None and cur.people:
                close()
            if cur is None:
                start = pending_header[1] if pending_header else line.start
                cur = _Block(start=start, end=ve, department=pending_header[0] if pending_header else None)
                pending_header = None
            cur.labelled += 1
            cur.end = max(cur.end, ve)
            last_kind = kind
            _add(cur, kind, value, vs, ve)
            if kind == "address":
                # as written ("（100863）" keeps its full-width brackets)
                off = vs - line.start
                cur.address = compact(line.text[off : off + (ve - vs)]) or None
    close()
    out: list[ContactBlock] = []
    seen = set()
    built_blocks = [b.build() for b in blocks] + rows
    built_blocks.sort(key=lambda b: b.span[0])
    for built in built_blocks:
        key = (
            tuple(p.name for p in built.people),
            tuple(built.office_phones),
            tuple(built.mobiles),
            tuple(built.emails),
        )
        if key in seen:
            continue
        seen.add(key)
        out.append(built)
    return out


def _add(b: _Block, kind: str, value: str, vs: int, ve: int) -> None:
    office, mobiles = phones_in(value)
    if kind == "person":
        # names with their own numbers: "李想 6335628 15897098299", "张三 010-1234567，李四 13800000000"
        parts = re.split(r"[，,；;、]", value) if (office or mobiles) else [value]
        for part in parts:
            po, pm = phones_in(part)
            names = _names(EMAIL.sub(" ", MOBILE.sub(" ", OFFICE.sub(" ", part))))
            for dept, name in names:
                if dept and not b.department:
                    b.department = dept
                i = value.find(name)
                s = vs + i if i >= 0 else vs
                b.people.append(_Person(name, s, s + len(name)))
            if b.people and (po or pm) and names:
                b.people[-1].office += po
                b.people[-1].mobile += pm
            elif po or pm:
                b.office += po
                b.mobiles += pm
        for e in EMAIL.findall(value):
            b.emails.append(e)
        # "赵琳（校科协办公室）": the department in brackets
        bracket = re.search(r"[(（](?P<d>[^()（）]{2,30})[)）]", value)
        if (
            bracket
            and not b.department
            and ORG_SUFFIX.search(bracket["d"])
            and not re.search(r"\d|电话|手机", bracket["d"])
        ):
            b.department = bracket["d"]
    elif kind in ("phone", "mobile"):
        b.office += office
        b.mobiles += mobiles
        if _FAX_TOO.search(value) and office and not b.fax:
            b.fax = office[0]
    elif kind == "fax":
        if office or mobiles:
            b.fax = (office + mobiles)[0]
    elif kind == "email":
        b.emails += [e for e in EMAIL.findall(value) if e not in b.emails]
    elif kind == "address":
        b.address = compact(value) or None
    elif kind == "postcode":
        code = re.search(r"\d{6}", value)
        if code and b.address and code.group(0) not in b.address:
            b.address += f"（{code.group(0)}）"


_COLS = {
    "name": re.compile(r"^(?:联系人|姓名|联络人|联络员)(?:姓名)?$"),
    "dept": re.compile(r"^(?:单位|部门|所在单位|工作单位|单位名称|处室|单位及部门|工作单位及职务|部门及职务)$"),
    "phone": re.compile(r"^(?:联系电话|电话|办公电话|座机|固定电话)$"),
    "mobile": re.compile(r"^(?:手机|手机号码|移动电话)$"),
    "email": re.compile(r"^(?:电子邮箱|邮箱|E-?mail|电子信箱)$", re.I),
    "fax": re.compile(r"^传真$"),
}


def _table_columns(cells: list[str]) -> dict[str, int] | None:
    cols: dict[str, int] = {}
    for i, c in enumerate(cells):
        for key, rx in _COLS.items():
            if key not in cols and rx.match(c):
                cols[key] = i
    if "name" in cols and ({"phone", "mobile", "email"} & cols.keys()):
        return cols
    return None


def _table_row(line: Line, cols: dict[str, int]) -> ContactBlock | None:
    raw = line.text.split("\t")
    cells = [fold(c).strip() for c in raw]

    def cell(key):
        i = cols.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    names = _names(cell("name"))
    office, mobiles = phones_in(cell("phone"))
    o2, m2 = phones_in(cell("mobile"))
    emails = EMAIL.findall(cell("email"))
    if not names or not (office or mobiles or o2 or m2 or emails):
        return None
    pos = line.start
    name = names[0][1]
    i = line.text.find(name)
    p = ContactPerson(
        name=name,
        office_phone=next(iter(office + o2), None),
        mobile=next(iter(mobiles + m2), None),
        confidence=0.85,
        span=(pos + max(i, 0), pos + max(i, 0) + len(name)),
    )
    fax = phones_in(cell("fax"))[0]
    return ContactBlock(
        department=compact(cell("dept")) or names[0][0],
        people=[p],
        office_phones=office + o2,
        mobiles=mobiles + m2,
        fax=fax[0] if fax else None,
        emails=emails,
        confidence=0.85,
        span=(line.start, line.end),
    )
