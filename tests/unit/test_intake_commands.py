"""导入公文: a draft in the shape of the IssueNotice / ForwardNotice commands — what validates goes in, the rest
stays raw with a Chinese warning, and what a text cannot give is listed as missing."""

import pytest

from services.notices.intake import parse_text, to_command
from shared.contracts.notices import ForwardNotice, IssueNotice
from shared.schemas import Ask
from shared.schemas import UnitKind as K

pytestmark = pytest.mark.unit

UNITS = [
    ("sx-kx", "陕西省科学技术协会", ["陕西省科协"], K.kexie),
    ("wn-kx", "渭南市科学技术协会", ["渭南市科协"], K.kexie),
]

PROVINCE = "\n".join(
    [
        "陕西省科学技术协会文件",
        "陕科协发〔2020〕20号",
        "陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知",
        "各市（区）科协，各省级学会：",
        "请各单位于6月15日前将活动总结（3000字以内，盖章PDF版）报送省科协组织人事部，"
        "于5月20日前报送择优精选1-2项活动方案。",
        "联系人：王强，电话：029-87654321，邮箱：wq@sxkx.org.cn",
        "陕西省科学技术协会",
        "2020年4月28日",
    ]
)
CITY = "\n".join(
    [
        "渭南市科学技术协会文件",
        "渭科协发〔2020〕12号",
        "关于转发《陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知》的通知",
        "各县（市、区）科协，市级各学会：",
        "请于2020年6月5日前将活动总结报市科协学会部，5月31日前上报联络员回执表。",
        "渭南市科学技术协会",
        "2020年5月8日",
    ]
)


def test_a_notice_becomes_issue_notice_fields_that_validate():
    cmd = to_command(parse_text(PROVINCE, directory=UNITS))
    assert cmd.command == "issue" and cmd.missing == ["recipient_unit_ids"]
    v = cmd.values
    IssueNotice(**v, recipient_unit_ids=["wn-kx"])  # complete it as a person would: it validates
    assert v["issuer_unit_ids"] == ["sx-kx"] and v["doc_number"] == "陕科协发〔2020〕20号"
    summary, plan = [Ask(**a) for a in v["asks"]]
    assert summary.fields[0].max_chars == 3000 and summary.fields[1].accept == ["pdf"]
    assert {(r.unit_kind, r.to_unit_id, r.department) for r in summary.routes} == {
        (K.kexie, "sx-kx", "组织人事部"),
        (K.society, "sx-kx", "组织人事部"),
    }  # the recipients' kinds
    assert (plan.min_items, plan.max_items) == (1, 2)
    assert v["contacts"] == [
        {
            "name": "王强",
            "department": None,
            "office_phone": "029-87654321",
            "mobile": None,
            "fax": None,
            "email": "wq@sxkx.org.cn",
            "address": None,
        }
    ]
    assert cmd.hints["recipient_kinds"] == ["科协", "学会/协会/研究会"]


def test_a_forward_becomes_forward_notice_fields_with_earlier_deadlines_and_extra_asks():
    cmd = to_command(parse_text(CITY + "\n" + PROVINCE, directory=UNITS))
    assert cmd.command == "forward" and set(cmd.missing) == {"notice_id", "recipient_unit_ids"}
    v = cmd.values
    ForwardNotice(**v, notice_id="n1", recipient_unit_ids=["x"])
    assert v["unit_id"] == "wn-kx" and v["co_issuer_unit_ids"] == []
    assert v["deadlines"] == {"summary-report": "2020-06-05T15:59:59+00:00"}
    assert [a["kind"] for a in v["extra_asks"]] == ["liaison_form"]
    assert {(r["unit_kind"], r["to_unit_id"], r["department"]) for r in v["routes"]} == {
        ("科协", "wn-kx", "学会部"),
        ("学会/协会/研究会", "wn-kx", "学会部"),
    }
    assert cmd.upstream.command == "issue" and cmd.upstream.values["doc_number"] == "陕科协发〔2020〕20号"
    assert cmd.hints["upstream_doc_number"] == "陕科协发〔2020〕20号"


def test_a_later_deadline_downstream_is_warned_about():
    late = CITY.replace("2020年6月5日前", "2020年6月25日前")
    cmd = to_command(parse_text(late + "\n" + PROVINCE, directory=UNITS))
    assert any(w.field == "deadlines" and "晚于" in w.message for w in cmd.warnings)


def test_without_a_directory_names_stay_raw_and_are_missing():
    cmd = to_command(parse_text(PROVINCE))
    assert "issuer_unit_ids" in cmd.missing and cmd.raw["issuers"] == ["陕西省科学技术协会"]
    assert any("未能对应到通讯录" in w.message for w in cmd.warnings)
    # the routes cannot name a unit: the asks go without them, the route stays raw
    assert all(a["routes"] == [] for a in cmd.values["asks"])


def test_an_ask_that_does_not_validate_stays_raw_with_a_warning():
    text = PROVINCE.replace("于5月20日前报送择优精选1-2项活动方案", "每周报送活动方案")
    d = parse_text(text.replace("2020年4月28日", ""), directory=UNITS)  # no date: a weekly ask cannot be dated
    weekly = [a for a in d.asks if a.recurrence]
    assert weekly and weekly[0].deadline is None
    cmd = to_command(d)
    assert [a["title"]["value"] for a in cmd.raw["asks"]] == ["活动方案"]
    assert any("没有截止日期" in w.message for w in cmd.warnings)
