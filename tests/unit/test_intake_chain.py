"""导入公文: the chain — a notice that forwards another carries it after its own text (pasted, as 附件, or after a
收文 stamp) or only names it in its 转发 title; each level becomes a draft with its own 文号, issuers and asks."""

from datetime import date

import pytest

from services.notices.intake import parse_text

pytestmark = pytest.mark.unit

CITY = "\n".join(
    [
        "渭南市科学技术协会文件",
        "渭科协发〔2020〕12号",
        "关于转发《陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知》的通知",
        "各县（市、区）科协，市级各学会：",
        "现将《陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知》（陕科协发〔2020〕20号）转发给你们，"
        "请于2020年6月5日前将活动总结报市科协学会部。",
        "联系人：白茹，电话：0913-2126498",
        "渭南市科学技术协会",
        "2020年5月8日",
    ]
)
PROVINCE = "\n".join(
    [
        "陕西省科学技术协会文件",
        "陕科协发〔2020〕20号",
        "陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知",
        "各市（区）科协，各省级学会：",
        "请各单位于6月15日前将活动总结报送省科协组织人事部。",
        "联系人：王强，电话：029-87654321",
        "陕西省科学技术协会",
        "2020年4月28日",
    ]
)
COUNTY = "\n".join(
    [
        "临渭区科学技术协会",
        "临科协发〔2020〕5号",
        "关于转发《渭南市科学技术协会关于转发〈陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知〉的通知》的通知",
        "各镇（街道）科协：",
        "请于6月1日前将活动总结报区科协办公室。",
        "临渭区科学技术协会",
        "2020年5月11日",
    ]
)


def test_forward_with_the_original_pasted_below():
    d = parse_text(CITY + "\n\n" + PROVINCE)
    assert d.kind == "forward"
    up = d.upstream
    assert not up.stub and up.upstream is None
    assert (d.fields.doc_number.value, up.fields.doc_number.value) == ("渭科协发〔2020〕12号", "陕科协发〔2020〕20号")
    assert [i.name for i in up.fields.issuers] == ["陕西省科学技术协会"]
    assert (d.asks[0].deadline_date, up.asks[0].deadline_date) == (date(2020, 6, 5), date(2020, 6, 15))
    assert [(r.organisation, r.department) for r in up.routes] == [("陕西省科学技术协会", "组织人事部")]
    assert [(r.organisation, r.department) for r in d.routes] == [("渭南市科学技术协会", "学会部")]
    assert [p.name for b in d.fields.contacts for p in b.people] == ["白茹"]
    assert [p.name for b in up.fields.contacts for p in b.people] == ["王强"]
    assert d.segment[1] == up.segment[0] and d.text[up.segment[0] :].startswith("陕西省科学技术协会文件")
    assert d.fields.date.value == date(2020, 5, 8) and up.fields.date.value == date(2020, 4, 28)


def test_the_original_after_an_attachment_heading_and_a_received_stamp():
    text = CITY + "\n\n附件\n\n陕西省科协\n收文 2020-058号\n2020年4月30日\n\n" + PROVINCE
    d = parse_text(text)
    up = d.upstream
    assert up.fields.doc_number.value == "陕科协发〔2020〕20号"
    assert up.fields.received.unit == "陕西省科协" and up.fields.received.date == date(2020, 4, 30)
    assert up.fields.received.number == "2020-058号"


def test_three_levels_pasted_one_after_another():
    d = parse_text(COUNTY + "\n" + CITY + "\n" + PROVINCE)
    assert [x.fields.doc_number.value for x in d.chain()] == [
        "临科协发〔2020〕5号",
        "渭科协发〔2020〕12号",
        "陕科协发〔2020〕20号",
    ]
    assert [x.asks[0].deadline_date for x in d.chain()] == [date(2020, 6, 1), date(2020, 6, 5), date(2020, 6, 15)]
    assert not any(x.stub for x in d.chain())


def test_forward_without_the_original_knows_it_from_the_title_and_the_citation():
    d = parse_text(CITY)
    up = d.upstream
    assert d.kind == "forward" and up.stub
    assert up.fields.title.value == "陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知"
    assert up.fields.doc_number.value == "陕科协发〔2020〕20号"
    assert d.text[up.fields.doc_number.span[0] : up.fields.doc_number.span[1]] == "陕科协发〔2020〕20号"
    assert [i.name for i in up.fields.issuers] == ["陕西省科学技术协会"]
    assert up.asks == []
    assert any(w.field == "upstream" for w in d.warnings)


def test_nested_forward_titles_become_a_chain_of_stubs():
    d = parse_text(COUNTY)
    titles = [x.fields.title.value for x in d.chain()[1:]]
    assert titles == [
        "渭南市科学技术协会关于转发《陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知》的通知",
        "陕西省科学技术协会关于开展2020年全国科技工作者日活动的通知",
    ]
    assert all(x.stub for x in d.chain()[1:])


def test_a_received_notice_with_its_stamp_on_top_is_one_notice():
    d = parse_text("陕西省科协\n收文 2020-058号\n2020年4月30日\n" + PROVINCE)
    assert d.kind == "notice" and d.upstream is None
    assert d.fields.received.date == date(2020, 4, 30)
    assert d.fields.doc_number.value == "陕科协发〔2020〕20号"
    assert [i.name for i in d.fields.issuers] == ["陕西省科学技术协会"]


def test_a_doc_number_cited_in_the_body_starts_no_notice():
    text = PROVINCE.replace("请各单位", "根据《中国科协关于开展活动的通知》\n科协发组字〔2020〕7号\n的要求，请各单位")
    d = parse_text(text)
    assert d.upstream is None and d.kind == "notice"


def test_an_implementation_plan_after_the_signature_is_not_another_notice():
    text = (
        PROVINCE
        + "\n\n2020年全国科技工作者日活动实施方案\n一、指导思想\n二、活动安排\n请各市于6月1日前报送活动方案。\n"
    )
    d = parse_text(text)
    assert d.upstream is None
    assert [a.deadline_date for a in d.asks] == [date(2020, 6, 15), date(2020, 6, 1)]
