"""What each seed notice (../shared/seeds) says, field by field, written by hand from its text: THE expectations of
导入公文. tests/unit/test_intake_seeds.py checks the reader against them, tests/integration/test_imports.py the
drafts made from them, and bench/import.py prints, per seed and field, whether the reading is exact.

A seed is a list of levels: the document (0), then each upstream notice it forwards or carries (1). A value
the seed does not state is None (or empty) and must be read as such: nothing is invented. Asks are keyed by
the ids the reader gives them (kind, then -2, -3… in the order they appear).

Routes to a unit that name no department ("报送中国科协") go to the department the notice's contacts belong to
(seed 002: the 活动办公室; seed 003's upstream: the 培训和人才服务中心), as tests/fixtures.py routes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
TZ = "Asia/Shanghai"

KX, SOC, UNI, ENT, KJ, DEP = "科协", "学会/协会/研究会", "高校科协", "企业科协", "科技厅/局", "机关部门"
ORGS = frozenset({KX, SOC, UNI, ENT})
QH = frozenset({KX, UNI, ENT})  # "各市州科协、高校科协、企业科协"
PDF_WORD = frozenset({"pdf", "doc", "docx"})  # "盖章PDF版和word版"


@dataclass(frozen=True)
class Ask:
    kind: str
    title: str
    deadline: date
    unit_kinds: frozenset[str] = frozenset()  # empty: every recipient
    chars: int | None = None  # "3000字以内"
    items: tuple[int, int] | None = None  # "择优精选1-2项": (1, 2)
    formats: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Route:
    unit_kinds: frozenset[str]  # empty: whoever owes the asks
    unit_id: str
    department: str


@dataclass(frozen=True)
class Level:
    doc_number: str
    issuers: tuple[tuple[str, str], ...]  # as written, and the directory unit (tests/fixtures.py DIRECTORY)
    title: str
    recipient_kinds: frozenset[str]
    date: dt.date | None  # 成文日期
    contacts: tuple[tuple[str, tuple[str, ...]], ...]  # (department, people)
    asks: dict[str, Ask]
    routes: frozenset[Route]
    attachments: tuple[str, ...] = ()
    printed: dt.date | None = None  # 印发日期
    received: tuple[str, str, dt.date] | None = None  # 收文 stamp: unit, number, date
    kind: str = "notice"  # forward: it forwards or carries the next level


def seed_text(n: int) -> str:
    [path] = SEEDS.glob(f"{n:03d}_*.txt")
    return path.read_text(encoding="utf-8")


# The unit each seed is imported by: its own issuer (a draft of the notice the seed is).
IMPORTED_BY = {0: "gd-kx", 1: "wn-kx", 2: "cast-bgt", 3: "qh-kx"}

EXPECTED: dict[int, list[Level]] = {
    0: [
        Level(
            kind="forward",
            doc_number="粤科协联〔2020〕9号",
            issuers=(("广东省科学技术协会", "gd-kx"), ("广东省科学技术厅", "gd-kjt")),
            title="关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知",
            recipient_kinds=ORGS | {KJ},
            date=None,  # no 落款 in the seed
            contacts=(("省科协组织联络部", ("雷晶", "周长江")), ("省科技厅引进智力管理处", ("夏兴林",))),
            # "于2020年6月10日前报送文字信息、影像资料等"
            asks={
                "summary-report": Ask("summary_report", "文字信息", date(2020, 6, 10)),
                "media": Ask("media", "影像资料", date(2020, 6, 10)),
            },
            # "各地级以上市科协、省级学会、高校科协、企业科协报送省科协组织联络部。各地级以上市科技局（委）报送省科技厅
            # 引进智力管理处。"
            routes=frozenset({Route(ORGS, "gd-kx", "组织联络部"), Route(frozenset({KJ}), "gd-kjt", "引进智力管理处")}),
        ),
        Level(
            doc_number="科协发组字〔2020〕7号",
            issuers=(("中国科协", "cast"), ("科技部", "most")),
            title="中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知",
            recipient_kinds=ORGS | {KJ},
            date=None,
            contacts=(("中国科协组织人事部", ("马文斌", "宋维嘉")), ("科技部引进国外智力管理司", ("杨启明",))),
            # "于6月20日前报送文字信息、影像资料等" (the year: 〔2020〕)
            asks={
                "summary-report": Ask("summary_report", "文字信息", date(2020, 6, 20)),
                "media": Ask("media", "影像资料", date(2020, 6, 20)),
            },
            # "各省级科协、全国学会、高校科协、企业科协报送中国科协组织人事部，各省级科技厅（委、局）报送科技部引进国外
            # 智力资源管理司"
            routes=frozenset(
                {Route(ORGS, "cast", "组织人事部"), Route(frozenset({KJ}), "most", "引进国外智力资源管理司")}
            ),
        ),
    ],
    1: [
        Level(
            doc_number="渭科协发〔2020〕12号",
            issuers=(("渭南市科学技术协会", "wn-kx"), ("渭南市科学技术局", "wn-kjj")),
            title="渭南市科学技术协会 渭南市科学技术局关于开展2020年“全国科技工作者日”活动的通知",
            recipient_kinds=ORGS | {KJ},
            date=date(2020, 5, 6),
            contacts=(("渭南市科协学会部", ("白茹",)),),
            # "于6月10日前向市科协学会部报送活动总结纸质版一份，活动总结、信息、影像资料电子版发市科协邮箱"
            asks={
                "summary-report": Ask("summary_report", "活动总结、信息", date(2020, 6, 10)),
                "media": Ask("media", "影像资料", date(2020, 6, 10)),
            },
            routes=frozenset({Route(frozenset(), "wn-kx", "学会部")}),
        )
    ],
    2: [
        Level(
            doc_number="科协办函组字〔2020〕29号",
            issuers=(("中国科协办公厅", "cast-bgt"),),
            title="中国科协办公厅关于印发《2020年“全国科技工作者日”活动实施方案》的通知",
            recipient_kinds=ORGS,
            date=date(2020, 4, 9),
            contacts=(("“全国科技工作者日”活动办公室", ("郑叶霞", "张月")),),
            attachments=("2020年“全国科技工作者日”特色亮点活动筹备方案（样表）",),
            # "请各全国学会、省级科协、高校科协、企业科协…于4月22日前择优精选1-2项特色亮点活动筹备方案报送中国科协
            # （盖章PDF版和word版），并于6月20日前提交该特色亮点活动的总结报告（3000字以内，盖章PDF版和word版）"
            asks={
                "plan": Ask("plan", "特色亮点活动筹备方案", date(2020, 4, 22), ORGS, items=(1, 2), formats=PDF_WORD),
                "summary-report": Ask(
                    "summary_report", "特色亮点活动的总结报告", date(2020, 6, 20), ORGS, chars=3000, formats=PDF_WORD
                ),
            },
            routes=frozenset({Route(ORGS, "cast", "“全国科技工作者日”活动办公室")}),
        )
    ],
    3: [
        Level(
            kind="forward",
            doc_number="青科协发〔2021〕15号",
            issuers=(("青海省科学技术协会", "qh-kx"),),
            title="关于印发《2021年“全国科技工作者日”青海省活动方案》的通知",
            recipient_kinds=ORGS | {DEP},
            date=None,
            printed=date(2021, 4, 27),
            contacts=(("省科协", ("李想",)),),
            attachments=(
                "2021年“全国科技工作者日”青海省活动方案",
                "2021年“全国科技工作者日”活动联络员回执表",
                "中国科协《2021年“全国科技工作者日”活动实施方案》",
            ),
            # "请各市州科协、高校科协、企业科协5月10日前上报活动联络员回执表和简要活动方案"; "请办公室、组人部、调宣部、
            # 科技馆在5月8日前填报…特色亮点活动筹备方案、6月18日前提交该特色亮点活动的总结报告（2000字以内），办公室
            # 汇总上报中国科协"; "各市州科协、高校科协、企业科协6月18日前提交活动总结报告（3000字以内），办公室汇总…"
            asks={
                "liaison-form": Ask("liaison_form", "活动联络员回执表", date(2021, 5, 10), QH),
                "plan": Ask("plan", "简要活动方案", date(2021, 5, 10), QH),
                "plan-2": Ask("plan", "特色亮点活动筹备方案", date(2021, 5, 8), frozenset({DEP})),
                "summary-report": Ask(
                    "summary_report", "特色亮点活动的总结报告", date(2021, 6, 18), frozenset({DEP}), chars=2000
                ),
                "summary-report-2": Ask("summary_report", "活动总结报告", date(2021, 6, 18), QH, chars=3000),
            },
            routes=frozenset({Route(frozenset({DEP}), "qh-kx", "办公室"), Route(QH, "qh-kx", "办公室")}),
        ),
        Level(
            doc_number="科协办函组字〔2021〕56号",
            issuers=(("中国科协办公厅", "cast-bgt"),),
            title="中国科协办公厅关于印发《2021年“全国科技工作者日”活动实施方案》的通知",
            recipient_kinds=ORGS,
            date=None,
            received=("青海省科协", "ZKd-120号", date(2021, 4, 25)),
            contacts=(("中国科协培训和人才服务中心", ("田鹏", "郑叶霞")), ("中国科协组织人事部", ("付震宇", "宋维嘉"))),
            attachments=("2021年“全国科技工作者日”特色亮点活动筹备方案(样表)",),
            # "于5月10日前择优精选约3项特色亮点活动…筹备方案报送中国科协（word版和盖章PDF版），并于6月底前提交该特色亮点
            # 活动的总结报告（合计2000字以内，word版和盖章PDF版）"
            asks={
                "plan": Ask("plan", "特色亮点活动筹备方案", date(2021, 5, 10), ORGS, items=(1, 3), formats=PDF_WORD),
                "summary-report": Ask(
                    "summary_report", "特色亮点活动的总结报告", date(2021, 6, 30), ORGS, chars=2000, formats=PDF_WORD
                ),
            },
            routes=frozenset({Route(ORGS, "cast", "培训和人才服务中心")}),
        ),
    ],
}


# ---------------------------------------------------------------- a reading against them


@dataclass(frozen=True)
class Check:
    """One field: what the seed says, what was read, and whether they are the same."""

    field: str
    expected: Any
    got: Any
    kind: str = ""  # deadline, route, ask…: the goals name some kinds

    @property
    def exact(self) -> bool:
        return self.expected == self.got


@dataclass
class Score:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, expected: Any, got: Any, kind: str = "") -> None:
        self.checks.append(Check(name, expected, got, kind))

    @property
    def exact(self) -> int:
        return sum(c.exact for c in self.checks)

    def misses(self) -> list[Check]:
        return [c for c in self.checks if not c.exact]


def local_day(at: datetime | None) -> date | None:
    return at.astimezone(ZoneInfo(TZ)).date() if at is not None else None


def score(n: int, draft: Any) -> Score:
    """Seed ``n`` as read (an ``ImportedDraft`` of services/notices/intake), field by field against EXPECTED."""
    out = Score()
    chain = draft.chain()
    for i, want in enumerate(EXPECTED[n]):
        p = f"{i}." if i else ""
        got = chain[i] if i < len(chain) else None
        f = got.fields if got is not None else None
        out.add(
            p + "kind", want.kind, (got.kind if i == 0 else ("forward" if got.upstream else "notice")) if got else None
        )
        out.add(p + "doc_number", want.doc_number, f.doc_number.value if f and f.doc_number else None)
        out.add(p + "issuers", want.issuers, tuple((x.name, x.unit_id) for x in f.issuers) if f else None)
        out.add(p + "title", want.title, f.title.value if f and f.title else None)
        out.add(
            p + "recipient_kinds",
            want.recipient_kinds,
            frozenset(k.kind.value for k in f.recipient_kinds) if f else None,
        )
        out.add(p + "date", want.date, f.date.value if f and f.date else None)
        out.add(p + "printed", want.printed, f.printed.value if f and f.printed else None)
        out.add(p + "attachments", want.attachments, tuple(a.name for a in f.attachments) if f else None)
        stamp = f.received if f else None
        out.add(p + "received", want.received, (stamp.unit, stamp.number, stamp.date) if stamp else None)
        blocks = tuple((b.department, tuple(x.name for x in b.people)) for b in f.contacts) if f else ()
        for j, block in enumerate(want.contacts):
            out.add(f"{p}contacts.{j}", block, blocks[j] if j < len(blocks) else None, "contact")
        for j in range(len(want.contacts), len(blocks)):
            out.add(f"{p}contacts.{j}", None, blocks[j], "contact")
        asks = {a.ask_id: a for a in got.asks} if got else {}
        for ask_id, a in want.asks.items():
            _ask(out, f"{p}asks.{ask_id}", a, asks.get(ask_id))
        for ask_id in asks.keys() - want.asks.keys():
            out.add(f"{p}asks.{ask_id}", None, asks[ask_id].title.value, "ask")
        routes = {
            Route(frozenset(k.kind.value for k in r.unit_kinds), r.to_unit_id or r.destination, r.department or "")
            for r in (got.routes if got else [])
        }
        for r in sorted(want.routes, key=repr):
            out.add(
                f"{p}routes.{r.unit_id}:{'、'.join(sorted(r.unit_kinds)) or '*'}",
                r,
                r if r in routes else None,
                "route",
            )
        for r in sorted(routes - want.routes, key=repr):
            out.add(f"{p}routes.{r.unit_id}:{'、'.join(sorted(r.unit_kinds)) or '*'}", None, r, "route")
    return out


def _ask(out: Score, p: str, want: Ask, got: Any) -> None:
    if got is None:
        for part in ("kind", "title", "deadline", "unit_kinds", "chars", "items", "formats"):
            out.add(f"{p}.{part}", getattr(want, part), None, "deadline" if part == "deadline" else "ask")
        return
    out.add(f"{p}.kind", want.kind, got.kind.value.value, "ask")
    out.add(f"{p}.title", want.title, got.title.value, "ask")
    out.add(f"{p}.deadline", want.deadline, local_day(got.deadline.value) if got.deadline else None, "deadline")
    out.add(f"{p}.unit_kinds", want.unit_kinds, frozenset(k.kind.value for k in got.unit_kinds), "ask")
    out.add(f"{p}.chars", want.chars, got.chars.value.max_chars if got.chars else None, "ask")
    r = got.item_range.value if got.item_range else None
    out.add(f"{p}.items", want.items, (r.min_items, r.max_items) if r else None, "ask")
    out.add(f"{p}.formats", want.formats, frozenset(got.formats.value.types) if got.formats else frozenset(), "ask")
