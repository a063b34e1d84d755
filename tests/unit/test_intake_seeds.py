"""导入公文 end to end on the four real notices (../shared/seeds): the values below are written by hand from the
seeds' text. Each seed is read as text; seed 001 also as a .docx and seed 002 as a PDF made here."""

from datetime import date
from pathlib import Path

import pytest

from services.notices.intake import import_document, parse_text, to_command
from shared.clock import end_of_day
from shared.schemas import UnitKind

from ..fixtures import DIRECTORY
from .test_intake_extract import make_docx, make_pdf

pytestmark = pytest.mark.unit

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
TZ = "Asia/Shanghai"
K = UnitKind
ORGS = {K.kexie, K.society, K.university, K.enterprise}
UNITS: list[tuple[str, str, list[str], UnitKind]] = [(u.unit_id, u.name, [], u.kind) for u in DIRECTORY]


def seed(n: int) -> str:
    [path] = SEEDS.glob(f"{n:03d}_*.txt")
    return path.read_text(encoding="utf-8")


def due(y, m, d):
    return end_of_day(date(y, m, d), TZ)


def kinds(items) -> set:
    return {k.kind for k in items}


def at(draft, span) -> str:
    return draft.text[span[0] : span[1]]


def asks_of(d) -> dict:
    return {a.ask_id: a for a in d.asks}


def routes_of(d) -> set:
    return {(frozenset(k.kind for k in r.unit_kinds), r.to_unit_id, r.department) for r in d.routes}


@pytest.fixture(scope="module")
def drafts():
    return {n: parse_text(seed(n), directory=UNITS) for n in range(4)}


# ---------------------------------------------------------------- 000: the province forwards the national notice


def test_seed000_forward_header(drafts):
    d = drafts[0]
    f = d.fields
    assert d.kind == "forward"
    assert f.doc_number.value == "粤科协联〔2020〕9号"
    assert at(d, f.doc_number.span) == "粤科协联〔2020〕9号"
    assert [(i.name, i.unit_id) for i in f.issuers] == [("广东省科学技术协会", "gd-kx"), ("广东省科学技术厅", "gd-kjt")]
    assert f.title.value == "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知"
    assert f.recipients.value.startswith("各地级以上市科协、科技局(委)")
    assert kinds(f.recipient_kinds) == ORGS | {K.keji}
    assert f.date is None  # the seed has no 落款
    assert f.body.value.startswith("现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们")


def test_seed000_forward_asks_and_routes(drafts):
    d = drafts[0]
    asks = asks_of(d)
    assert set(asks) == {"summary-report", "media"}
    assert asks["summary-report"].title.value == "文字信息" and asks["media"].title.value == "影像资料"
    for a in asks.values():
        assert a.deadline.value == due(2020, 6, 10)
        assert at(d, a.deadline.span) == "2020年6月10日前"
        assert a.unit_kinds == []  # 各有关单位: everyone
    assert routes_of(d) == {
        (frozenset(ORGS), "gd-kx", "组织联络部"),
        (frozenset({K.keji}), "gd-kjt", "引进智力管理处"),
    }
    for r in d.routes:
        assert set(r.ask_ids) == {"summary-report", "media"}
        assert r.destination in at(d, r.span)


def test_seed000_forward_contacts(drafts):
    blocks = drafts[0].fields.contacts
    assert [b.department for b in blocks] == ["省科协组织联络部", "省科技厅引进智力管理处"]
    assert [(p.name, p.office_phone, p.mobile) for p in blocks[0].people] == [
        ("雷晶", "020-83551764", None),
        ("周长江", "83270571", None),
    ]
    assert blocks[0].emails == ["gdsxzz11b@126.com"]
    assert [(p.name, p.office_phone, p.mobile) for p in blocks[1].people] == [("夏兴林", None, "18026320018")]
    assert blocks[1].emails == ["9059529@qq.com"]


def test_seed000_upstream_is_the_national_notice(drafts):
    up = drafts[0].upstream
    f = up.fields
    assert up.stub is False and up.upstream is None
    assert f.doc_number.value == "科协发组字〔2020〕7号"
    assert [(i.name, i.unit_id) for i in f.issuers] == [("中国科协", "cast"), ("科技部", "most")]
    assert f.title.value == "中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知"
    assert kinds(f.recipient_kinds) == ORGS | {K.keji}
    asks = asks_of(up)
    assert {a.title.value for a in asks.values()} == {"文字信息", "影像资料"}
    assert {a.deadline.value for a in asks.values()} == {due(2020, 6, 20)}
    assert routes_of(up) == {
        (frozenset(ORGS), "cast", "组织人事部"),
        (frozenset({K.keji}), "most", "引进国外智力资源管理司"),
    }
    blocks = f.contacts
    assert [b.department for b in blocks] == ["中国科协组织人事部", "科技部引进国外智力管理司"]
    assert [p.name for p in blocks[0].people] == ["马文斌", "宋维嘉"]
    assert blocks[0].office_phones == ["(010)68578091"] and blocks[0].fax == "(010)68578091"  # （兼传真）
    assert blocks[0].address == "北京市海淀区复兴路3号（100863）"
    assert blocks[1].people[0].name == "杨启明" and blocks[1].fax == "(010)58884208"
    assert blocks[1].emails == ["yangqm@most.cn"]
    # the forward's own text ends where the national notice begins
    assert drafts[0].segment[1] == up.segment[0]
    assert at(drafts[0], (up.segment[0], up.segment[0] + 12)).startswith("中国科协 科技部 文件")


def test_seed000_year_comes_from_the_doc_number_when_the_national_notice_has_no_date(drafts):
    up = drafts[0].upstream
    assert any("6月20日前" in w.message and "文号" in w.message for w in up.warnings)


# ---------------------------------------------------------------- 001: joint city notice


def check_seed001(d):
    f = d.fields
    assert d.kind == "notice" and d.upstream is None
    assert f.doc_number.value == "渭科协发〔2020〕12号"
    assert [i.name for i in f.issuers] == ["渭南市科学技术协会", "渭南市科学技术局"]
    assert f.title.value == "渭南市科学技术协会 渭南市科学技术局关于开展2020年“全国科技工作者日”活动的通知"
    assert kinds(f.recipient_kinds) == ORGS | {K.keji}
    assert f.date.value == date(2020, 5, 6)
    asks = asks_of(d)
    assert set(asks) == {"summary-report", "media"}
    assert asks["summary-report"].items == ["活动总结", "信息"]
    assert asks["summary-report"].formats.value.paper_copies == 1
    assert asks["media"].title.value == "影像资料"
    assert {a.deadline.value for a in asks.values()} == {due(2020, 6, 10)}
    assert {(r.department, r.organisation) for r in d.routes} == {("学会部", "渭南市科学技术协会")}
    assert {a for r in d.routes for a in r.ask_ids} == {"summary-report", "media"}
    [block] = f.contacts
    assert block.department == "渭南市科协学会部"
    assert [(p.name, p.office_phone) for p in block.people] == [("白茹", "0913-2126498")]
    assert block.emails == ["wnskxxhb@126.com"] and block.address == "渭南市朝阳大街东段市委"


def test_seed001_joint_city_notice(drafts):
    check_seed001(drafts[1])
    assert [i.unit_id for i in drafts[1].fields.issuers] == ["wn-kx", "wn-kjj"]
    assert {r.to_unit_id for r in drafts[1].routes} == {"wn-kx"}


def test_seed001_as_docx_gives_the_same_draft():
    d = import_document(make_docx(seed(1).splitlines()), "渭科协发〔2020〕12号.docx", directory=UNITS)
    check_seed001(d)


# ---------------------------------------------------------------- 002: the national 实施方案 (a PDF's text)


def check_seed002(d):
    f = d.fields
    assert d.kind == "notice"
    assert f.doc_number.value == "科协办函组字〔2020〕29号"
    assert [i.name for i in f.issuers] == ["中国科协办公厅"]
    assert f.title.value == "中国科协办公厅关于印发《2020年“全国科技工作者日”活动实施方案》的通知"
    assert kinds(f.recipient_kinds) == ORGS
    assert f.date.value == date(2020, 4, 9)
    assert [a.name for a in f.attachments] == ["2020年“全国科技工作者日”特色亮点活动筹备方案（样表）"]
    asks = asks_of(d)
    assert set(asks) == {"plan", "summary-report"}
    plan, summary = asks["plan"], asks["summary-report"]
    assert plan.title.value == "特色亮点活动筹备方案"
    assert plan.deadline.value == due(2020, 4, 22)
    assert (plan.item_range.value.min_items, plan.item_range.value.max_items) == (1, 2)
    assert set(plan.formats.value.types) == {"pdf", "doc", "docx"} and plan.formats.value.stamped
    assert kinds(plan.unit_kinds) == ORGS
    assert summary.deadline.value == due(2020, 6, 20)
    assert summary.chars.value.max_chars == 3000 and not summary.chars.value.approx
    assert set(summary.formats.value.types) == {"pdf", "doc", "docx"}
    assert kinds(summary.unit_kinds) == ORGS
    assert [(r.destination, r.to_unit_id, r.department, r.ask_ids) for r in d.routes] == [
        ("中国科协", "cast", None, ["plan"])
    ]
    [block] = f.contacts
    assert block.department == "“全国科技工作者日”活动办公室"
    assert [p.name for p in block.people] == ["郑叶霞", "张月"]
    assert block.office_phones == ["(010)62168293"] and block.emails == ["rczx@cast.org.cn"]


def test_seed002_national_plan_notice(drafts):
    d = drafts[2]
    check_seed002(d)
    assert d.fields.issuers[0].unit_id == "cast-bgt"
    assert d.fields.contacts[0].address == "北京市海淀区学院南路86号中国科协综合业务楼西楼609室"
    assert at(d, d.asks[0].deadline.span) == "4月22日\n\n前"  # the PDF's line break is inside the span


def test_seed002_as_pdf_gives_the_same_draft():
    lines = [ln.strip() for ln in seed(2).splitlines() if ln.strip()]
    d = import_document(make_pdf(lines), "科协办函组字〔2020〕29号.pdf", directory=UNITS)
    check_seed002(d)


# ---------------------------------------------------------------- 003: the province carries the national notice


def test_seed003_forward(drafts):
    d = drafts[3]
    f = d.fields
    assert d.kind == "forward"
    assert f.doc_number.value == "青科协发〔2021〕15号"
    assert [(i.name, i.unit_id) for i in f.issuers] == [("青海省科学技术协会", "qh-kx")]
    assert f.title.value == "关于印发《2021年“全国科技工作者日”青海省活动方案》的通知"
    assert kinds(f.recipient_kinds) == ORGS | {K.department}
    assert f.date is None and f.printed.value == date(2021, 4, 27)
    assert [(a.no, a.name) for a in f.attachments] == [
        (1, "2021年“全国科技工作者日”青海省活动方案"),
        (2, "2021年“全国科技工作者日”活动联络员回执表"),
        (3, "中国科协《2021年“全国科技工作者日”活动实施方案》"),
    ]
    assert f.cc.value.startswith("尤伟利书记")
    qh = {K.kexie, K.university, K.enterprise}
    got = {
        (
            a.kind.value.value,
            a.title.value,
            a.deadline.value,
            frozenset(kinds(a.unit_kinds)),
            a.chars.value.max_chars if a.chars else None,
        )
        for a in d.asks
    }
    assert got == {
        ("liaison_form", "活动联络员回执表", due(2021, 5, 10), frozenset(qh), None),
        ("plan", "简要活动方案", due(2021, 5, 10), frozenset(qh), None),
        ("plan", "特色亮点活动筹备方案", due(2021, 5, 8), frozenset({K.department}), None),
        ("summary_report", "特色亮点活动的总结报告", due(2021, 6, 18), frozenset({K.department}), 2000),
        ("summary_report", "活动总结报告", due(2021, 6, 18), frozenset(qh), 3000),
    }
    # "办公室汇总上报中国科协": the 办公室 receives the summaries
    assert {(r.to_unit_id, r.department, r.how) for r in d.routes} == {("qh-kx", "办公室", "汇总")}
    [block] = f.contacts
    assert block.department == "省科协"
    [p] = block.people
    assert (p.name, p.office_phone, p.mobile) == ("李想", "6335628", "15897098299")
    assert block.fax == "6302839" and block.emails == ["qhskxbgs@163.com"]
    assert block.address == "海湖新区文景街32号国投广场7楼757室"


def test_seed003_upstream_after_the_received_stamp(drafts):
    up = drafts[3].upstream
    f = up.fields
    assert f.received.unit == "青海省科协" and f.received.number == "ZKd-120号"
    assert f.received.date == date(2021, 4, 25)
    assert f.doc_number.value == "科协办函组字〔2021〕56号"
    assert [(i.name, i.unit_id) for i in f.issuers] == [("中国科协办公厅", "cast-bgt")]
    assert f.title.value == "中国科协办公厅关于印发《2021年“全国科技工作者日”活动实施方案》的通知"
    asks = asks_of(up)
    plan, summary = asks["plan"], asks["summary-report"]
    assert plan.deadline.value == due(2021, 5, 10) and summary.deadline.value == due(2021, 6, 30)  # 6月底前
    assert (plan.item_range.value.max_items, plan.item_range.value.approx) == (3, True)  # 约3项
    assert summary.chars.value.max_chars == 2000 and "合计" in summary.note
    assert set(plan.formats.value.types) == {"pdf", "doc", "docx"} and plan.formats.value.stamped
    assert kinds(plan.unit_kinds) == ORGS
    assert [(r.to_unit_id, r.department) for r in up.routes] == [("cast", None)]
    assert [b.department for b in f.contacts] == ["中国科协培训和人才服务中心", "中国科协组织人事部"]
    assert [p.name for b in f.contacts for p in b.people] == ["田鹏", "郑叶霞", "付震宇", "宋维嘉"]


# ---------------------------------------------------------------- into the command shapes


def test_seed000_becomes_forward_notice_fields(drafts):
    cmd = to_command(drafts[0])
    v = cmd.values
    assert cmd.command == "forward" and {"notice_id", "recipient_unit_ids"} <= set(cmd.missing)
    assert v["unit_id"] == "gd-kx" and v["co_issuer_unit_ids"] == ["gd-kjt"]
    assert v["doc_number"] == "粤科协联〔2020〕9号"
    assert v["deadlines"] == {"summary-report": due(2020, 6, 10).isoformat(), "media": due(2020, 6, 10).isoformat()}
    assert {(r["unit_kind"], r["to_unit_id"], r["department"]) for r in v["routes"]} == {
        ("科协", "gd-kx", "组织联络部"),
        ("学会/协会/研究会", "gd-kx", "组织联络部"),
        ("高校科协", "gd-kx", "组织联络部"),
        ("企业科协", "gd-kx", "组织联络部"),
        ("科技厅/局", "gd-kjt", "引进智力管理处"),
    }
    assert [c["name"] for c in v["contacts"]] == ["雷晶", "周长江", "夏兴林"]
    up = cmd.upstream
    assert up.command == "issue" and up.values["issuer_unit_ids"] == ["cast", "most"]
    assert [a["deadline"] for a in up.values["asks"]] == ["2020-06-20T15:59:59Z"] * 2


def test_seed003_forward_keeps_its_own_asks_as_extra(drafts):
    v = to_command(drafts[3]).values
    assert v["deadlines"] == {"plan": due(2021, 5, 8).isoformat(), "summary-report": due(2021, 6, 18).isoformat()}
    assert v["unit_kinds"] == {"plan": ["机关部门"], "summary-report": ["机关部门"]}
    assert {a["title"] for a in v["extra_asks"]} == {"活动联络员回执表", "简要活动方案", "活动总结报告"}


def test_seed002_route_without_a_department_stays_raw_with_a_warning(drafts):
    cmd = to_command(drafts[2])
    [plan, summary] = cmd.values["asks"]
    assert plan["min_items"] == 1 and plan["max_items"] == 2 and plan["routes"] == []
    assert summary["fields"][0]["max_chars"] == 3000
    assert set(plan["fields"][1]["accept"]) == {"pdf", "doc", "docx"}
    assert any("中国科协" in w.message and "部门" in w.message for w in cmd.warnings)
