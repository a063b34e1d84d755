"""导入公文 end to end on the four real notices (../shared/seeds). What each seed says, field by field, is written
by hand once, in tests/seeds_expected.py: every field must be read exactly, from the text and from a .docx and
a PDF made of it here. The checks below add what the table does not hold: the spans the values came from,
the phones and e-mails of the contacts, the reader's warnings, and the command shapes."""

from datetime import date

import pytest

from services.notices.handlers.intake import directory_of, with_departments
from services.notices.intake import import_document, parse_text, to_command
from shared.clock import end_of_day
from shared.schemas import UnitKind

from ..fixtures import DIRECTORY
from ..seeds_expected import EXPECTED, score, seed_text
from .test_intake_extract import make_docx, make_pdf

pytestmark = pytest.mark.unit

TZ = "Asia/Shanghai"
K = UnitKind
ORGS = {K.kexie, K.society, K.university, K.enterprise}
UNITS: list[tuple[str, str, list[str], UnitKind]] = [(u.unit_id, u.name, [], u.kind) for u in DIRECTORY]
# The directory as the notices service gives it to the reader (handlers/intake.py): names, 标志, departments.
STORED = [
    {"_id": u.unit_id, "name": u.name, "kind": u.kind.value, "mark_name": u.mark_name, "departments": u.departments}
    for u in DIRECTORY
]


def seed(n: int) -> str:
    return seed_text(n)


def due(y, m, d):
    return end_of_day(date(y, m, d), TZ)


def at(draft, span) -> str:
    return draft.text[span[0] : span[1]]


def asks_of(d) -> dict:
    return {a.ask_id: a for a in d.asks}


def as_read(d):
    """The draft as the service reads an import: a route naming no department gets its contacts' department."""
    return with_departments(d, STORED)


def lines(n: int) -> list[str]:
    return [ln.strip() for ln in seed(n).splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def drafts():
    return {n: parse_text(seed(n), directory=UNITS) for n in range(4)}


# ---------------------------------------------------------------- every field, as the seed says it


def _exact(n: int, d) -> None:
    s = score(n, as_read(d))
    assert s.checks and not s.misses(), "\n".join(f"{c.field}: expected {c.expected}, read {c.got}" for c in s.misses())


@pytest.mark.parametrize("n", sorted(EXPECTED))
def test_every_field_of_the_seed_is_read_exactly(n):
    _exact(n, parse_text(seed(n), directory=directory_of(STORED)))


@pytest.mark.parametrize("n", [1, 3])
def test_every_field_of_the_seed_as_a_docx(n):
    _exact(n, import_document(make_docx(lines(n)), f"{n:03d}.docx", directory=directory_of(STORED)))


@pytest.mark.parametrize("n", [2, 3])
def test_every_field_of_the_seed_as_a_pdf(n):
    # seed 003: the national notice's title is wrapped inside its last word ("…的通" / "知")
    _exact(n, import_document(make_pdf(lines(n)), f"{n:03d}.pdf", directory=directory_of(STORED)))


# ---------------------------------------------------------------- 000: the province forwards the national notice


def test_seed000_spans_recipients_and_body(drafts):
    d = drafts[0]
    f = d.fields
    assert at(d, f.doc_number.span) == "粤科协联〔2020〕9号"
    assert f.recipients.value.startswith("各地级以上市科协、科技局(委)")
    assert f.body.value.startswith("现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们")
    for a in d.asks:
        assert at(d, a.deadline.span) == "2020年6月10日前"
    for r in d.routes:
        assert set(r.ask_ids) == {"summary-report", "media"}
        assert r.destination in at(d, r.span)


def test_seed000_forward_contacts(drafts):
    blocks = drafts[0].fields.contacts
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
    blocks = f.contacts
    assert blocks[0].office_phones == ["(010)68578091"] and blocks[0].fax == "(010)68578091"  # （兼传真）
    assert blocks[0].address == "北京市海淀区复兴路3号（100863）"
    assert blocks[1].fax == "(010)58884208" and blocks[1].emails == ["yangqm@most.cn"]
    # the forward's own text ends where the national notice begins
    assert drafts[0].segment[1] == up.segment[0]
    assert at(drafts[0], (up.segment[0], up.segment[0] + 12)).startswith("中国科协 科技部 文件")


def test_seed000_year_comes_from_the_doc_number_when_the_national_notice_has_no_date(drafts):
    up = drafts[0].upstream
    assert any("6月20日前" in w.message and "文号" in w.message for w in up.warnings)


# ---------------------------------------------------------------- 001: joint city notice


def test_seed001_contacts_and_what_is_sent(drafts):
    d = drafts[1]
    asks = asks_of(d)
    assert asks["summary-report"].items == ["活动总结", "信息"]
    assert asks["summary-report"].formats.value.paper_copies == 1
    assert {(r.department, r.organisation) for r in d.routes} == {("学会部", "渭南市科学技术协会")}
    assert {a for r in d.routes for a in r.ask_ids} == {"summary-report", "media"}
    [block] = d.fields.contacts
    assert [(p.name, p.office_phone) for p in block.people] == [("白茹", "0913-2126498")]
    assert block.emails == ["wnskxxhb@126.com"] and block.address == "渭南市朝阳大街东段市委"


# ---------------------------------------------------------------- 002: the national 实施方案 (a PDF's text)


def test_seed002_spans_and_contacts(drafts):
    d = drafts[2]
    assert d.fields.contacts[0].address == "北京市海淀区学院南路86号中国科协综合业务楼西楼609室"
    assert d.fields.contacts[0].office_phones == ["(010)62168293"]
    assert d.fields.contacts[0].emails == ["rczx@cast.org.cn"]
    assert not d.asks[1].chars.value.approx
    assert at(d, d.asks[0].deadline.span) == "4月22日\n\n前"  # the PDF's line break is inside the span
    # "报送中国科协": as read, no department; the service gives it its contacts' (seeds_expected.py)
    assert [(r.destination, r.to_unit_id, r.department, r.ask_ids) for r in d.routes] == [
        ("中国科协", "cast", None, ["plan"])
    ]


# ---------------------------------------------------------------- 003: the province carries the national notice


def test_seed003_forward(drafts):
    d = drafts[3]
    f = d.fields
    assert [a.no for a in f.attachments] == [1, 2, 3]
    assert f.cc.value.startswith("尤伟利书记")
    # "办公室汇总上报中国科协": the 办公室 receives the summaries
    assert {(r.to_unit_id, r.department, r.how) for r in d.routes} == {("qh-kx", "办公室", "汇总")}
    [block] = f.contacts
    [p] = block.people
    assert (p.name, p.office_phone, p.mobile) == ("李想", "6335628", "15897098299")
    assert block.fax == "6302839" and block.emails == ["qhskxbgs@163.com"]
    assert block.address == "海湖新区文景街32号国投广场7楼757室"


def test_seed003_upstream_after_the_received_stamp(drafts):
    up = drafts[3].upstream
    asks = asks_of(up)
    plan, summary = asks["plan"], asks["summary-report"]
    assert summary.deadline.value == due(2021, 6, 30)  # 6月底前
    assert plan.item_range.value.approx  # 约3项
    assert "合计" in summary.note
    assert plan.formats.value.stamped
    assert [(r.to_unit_id, r.department) for r in up.routes] == [("cast", None)]


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
