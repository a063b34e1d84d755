"""导入公文: asks (what, by when, limits, who owes it) and routes (which kinds send to which department), from
sentences written the many ways notices write them."""

from datetime import UTC, date, datetime

import pytest

from services.notices.intake import parse_text
from shared.schemas import AskKind
from shared.schemas import UnitKind as K

pytestmark = pytest.mark.unit


def notice(
    body: str,
    *,
    issuers: str = "广东省科学技术协会文件",
    number: str = "粤科协发〔2021〕3号",
    recipients: str = "各地级以上市科协，各省级学会，各高校科协、企业科协",
    signed: str = "2021年4月1日",
    directory=None,
):
    signer = issuers.replace("文件", " ").split()[0]
    text = "\n".join([issuers, number, "关于开展有关工作的通知", recipients + "：", body, "", signer, signed])
    return parse_text(text, directory=directory)


def asks(d) -> list[tuple]:
    return [(a.kind.value, a.title.value, a.deadline_date) for a in d.asks]


def test_one_sentence_two_deadlines_two_asks():
    d = notice(
        "请各全国学会、省级科协按照《实施方案》，统筹制定工作方案，并于4月22日前择优精选1-2项特色亮点活动筹备方案"
        "报送中国科协（盖章PDF版和word版），并于6月20日前提交该特色亮点活动的总结报告（3000字以内，盖章PDF版和word版）。"
    )
    assert asks(d) == [
        (AskKind.plan, "特色亮点活动筹备方案", date(2021, 4, 22)),
        (AskKind.summary_report, "特色亮点活动的总结报告", date(2021, 6, 20)),
    ]
    plan, summary = d.asks
    assert (plan.item_range.value.min_items, plan.item_range.value.max_items) == (1, 2)
    assert plan.chars is None and summary.item_range is None
    assert summary.chars.value.max_chars == 3000
    assert [k.kind for k in plan.unit_kinds] == [K.society, K.kexie]
    assert plan.owed_by == "各全国学会、省级科协"
    assert d.text[plan.deadline.span[0] : plan.deadline.span[1]] == "4月22日前"
    assert d.text[summary.chars.span[0] : summary.chars.span[1]] == "3000字以内"
    assert d.text[plan.item_range.span[0] : plan.item_range.span[1]] == "1-2项"


def test_object_after_the_verb_split_into_asks_by_kind():
    d = notice("请各单位于2021年6月10日前报送活动总结、工作信息、影像资料和活动照片等。")
    assert asks(d) == [
        (AskKind.summary_report, "活动总结、工作信息", date(2021, 6, 10)),
        (AskKind.media, "影像资料、活动照片", date(2021, 6, 10)),
    ]
    assert d.asks[0].unit_kinds == [] and d.asks[0].deadline.confidence == 1.0


def test_object_before_the_deadline():
    d = notice("活动总结（2000字左右）及照片5-10张请于6月中旬前报省科协办公室。请将推荐表于五月十日前报送。")
    got = {a.kind.value: a for a in d.asks}
    assert got[AskKind.summary_report].title.value == "活动总结"
    assert got[AskKind.summary_report].chars.value.approx is True
    assert (got[AskKind.media].item_range.value.min_items, got[AskKind.media].item_range.value.max_items) == (5, 10)
    assert got[AskKind.media].deadline_date == date(2021, 6, 20) and got[AskKind.media].deadline.confidence < 0.9
    assert got[AskKind.other].title.value == "推荐表" and got[AskKind.other].deadline_date == date(2021, 5, 10)


def test_deadline_time_of_day_is_kept():
    d = notice("请于5月20日（星期四）17:00前提交申报书一式两份。")
    [a] = d.asks
    assert a.deadline.value == datetime(2021, 5, 20, 9, 0, tzinfo=UTC)
    assert a.title.value == "申报书" and a.formats.value.paper_copies == 2


def test_liaison_form_and_brief_plan_owed_by_named_kinds():
    d = notice("请各市州科协、高校科协、企业科协5月10日前上报活动联络员回执表和简要活动方案。")
    assert asks(d) == [
        (AskKind.liaison_form, "活动联络员回执表", date(2021, 5, 10)),
        (AskKind.plan, "简要活动方案", date(2021, 5, 10)),
    ]
    assert [k.kind for k in d.asks[0].unit_kinds] == [K.kexie, K.university, K.enterprise]
    assert d.asks[0].owed_by == "各市州科协、高校科协、企业科协"


def test_departments_owe_an_ask():
    d = notice("请办公室、组人部、调宣部、科技馆在 5 月 8 日前填报各自牵头负责的特色亮点活动筹备方案。")
    [a] = d.asks
    assert a.title.value == "特色亮点活动筹备方案" and [k.kind for k in a.unit_kinds] == [K.department]


def test_a_repeated_ask_is_kept_once():
    text = "请各市科协5月10日前上报活动联络员回执表。"
    d = notice(text + "\n附件2\n联络员回执表\n" + text)
    assert len(d.asks) == 1


def test_recurring_and_relative_deadlines_are_dated_with_a_warning():
    d = notice("请各单位每季度末前报送上一季度统计表。请于收到本通知后5个工作日内反馈联络员信息。")
    rec, rel = d.asks
    assert rec.recurrence == "每季度末前" and rec.deadline_date == date(2021, 6, 30)
    assert rec.deadline.confidence <= 0.5
    assert rel.kind.value == AskKind.liaison_form and rel.deadline_date == date(2021, 4, 9)
    messages = " ".join(w.message for w in d.warnings)
    assert "周期性" in messages and "按成文日期推算" in messages


def test_a_range_next_to_a_verb_is_a_deadline_but_a_period_is_not():
    d = notice("活动时间为5月10日至6月30日，各地自行安排。请于7月1日至7月10日期间报送活动总结。")
    [a] = d.asks
    assert a.deadline_date == date(2021, 7, 10) and a.window_start == date(2021, 7, 1)


def test_a_date_without_a_year_takes_the_year_of_the_notice_and_rolls_over():
    d = notice("请各单位于1月15日前报送年度总结。", signed="2021年12月20日")
    assert d.asks[0].deadline_date == date(2022, 1, 15)


def test_no_deadline_no_ask():
    d = notice("请各单位高度重视，认真组织，积极报送典型案例。")
    assert d.asks == []
    assert any(w.field == "asks" for w in d.warnings)


# ---------------------------------------------------------------- routes


def routes(d) -> set:
    return {(frozenset(k.kind for k in r.unit_kinds), r.organisation, r.department) for r in d.routes}


def test_routing_sentences_after_the_ask():
    d = notice(
        "请各有关单位于2021年6月10日前报送文字信息、影像资料等。各地级以上市科协、省级学会、高校科协、企业科协报送"
        "省科协组织联络部。各地级以上市科技局（委）报送省科技厅引进智力管理处。",
        issuers="广东省科学技术协会 文件 广东省科学技术厅",
    )
    assert routes(d) == {
        (frozenset({K.kexie, K.society, K.university, K.enterprise}), "广东省科学技术协会", "组织联络部"),
        (frozenset({K.keji}), "广东省科学技术厅", "引进智力管理处"),
    }
    assert all(set(r.ask_ids) == {"summary-report", "media"} for r in d.routes)


def test_routes_in_their_own_section_apply_to_every_ask():
    d = notice(
        "一、报送时间\n请各单位于5月10日前报送工作方案，于11月30日前报送工作总结。\n"
        "二、报送方式\n各市科协报省科协组织部；各省级学会报省科协学会部。",
        issuers="江苏省科学技术协会文件",
    )
    assert routes(d) == {
        (frozenset({K.kexie}), "江苏省科学技术协会", "组织部"),
        (frozenset({K.society}), "江苏省科学技术协会", "学会部"),
    }
    assert all(set(r.ask_ids) == {"plan", "summary-report"} for r in d.routes)


def test_destination_inside_the_ask_and_matched_to_the_directory():
    d = notice(
        "请于6月10日前向市科协学会部报送活动总结纸质版一份，电子版发市科协邮箱。",
        issuers="渭南市科学技术协会文件",
        directory=[("wn-kx", "渭南市科学技术协会", ["渭南市科协"], K.kexie)],
    )
    [r] = d.routes
    assert (r.to_unit_id, r.organisation, r.department, r.unit_kinds) == ("wn-kx", "渭南市科学技术协会", "学会部", [])
    assert d.text[r.span[0] : r.span[1]] == "市科协学会部"
    assert d.asks[0].formats.value.paper_copies == 1


def test_destination_of_another_organisation_from_the_directory():
    d = notice(
        "请各省级学会于9月30日前将推荐材料报送中国科协科学技术创新部。",
        directory=[("cast", "中国科学技术协会", ["中国科协"], K.kexie)],
    )
    [r] = d.routes
    assert (r.to_unit_id, r.department) == ("cast", "科学技术创新部")
    assert [k.kind for k in r.unit_kinds] == [K.society]


def test_a_collector_is_where_submissions_go():
    d = notice(
        "各市州科协6月18日前提交活动总结报告（3000字以内），办公室汇总上报中国科协。", issuers="青海省科学技术协会文件"
    )
    [r] = d.routes
    assert (r.organisation, r.department, r.how) == ("青海省科学技术协会", "办公室", "汇总")


def test_email_destination_is_kept_on_the_ask_not_as_a_route():
    d = notice("请于2021年9月30日前将推荐表（加盖公章扫描件）发送至邮箱tuijian@cmes.org。")
    [a] = d.asks
    assert a.send_to == ["tuijian@cmes.org"] and d.routes == []
    assert a.formats.value.stamped and "pdf" in a.formats.value.types


def test_sentences_that_only_look_like_routes():
    d = notice("各单位要及时报道活动情况。市科协发挥枢纽作用。请于6月1日前报送总结。")
    assert d.routes == []


def test_requirements_written_as_a_labelled_list():
    d = notice(
        "二、报送要求\n1.报送材料：推荐表（盖章）、候选人简历及代表性论文。\n2.截止时间：2021年10月15日17:00。\n"
        "3.报送方式：纸质材料寄送中国科协人才中心，电子版发送至邮箱qnj@cast.org.cn。"
    )
    [a] = d.asks
    assert a.items == ["推荐表", "候选人简历", "代表性论文"]
    assert a.deadline.value == datetime(2021, 10, 15, 9, 0, tzinfo=UTC)
    assert a.formats.value.stamped
    assert d.text[a.title.span[0] : a.title.span[1]] == "推荐表（盖章）、候选人简历及代表性论文"
    [r] = d.routes
    assert (r.organisation, r.department, r.ask_ids) == ("中国科协", "人才中心", [a.ask_id])


def test_a_labelled_deadline_without_materials_is_reported():
    d = notice("二、时间安排\n截止日期：2021年10月15日。")
    assert d.asks == []
    assert any("未找到要报送的材料" in w.message for w in d.warnings)


def test_a_sentence_across_a_pdf_page_break_with_a_page_number():
    d = notice(
        "请各省级学会、市科协认真总结活动开展情况和工作成效，梳理总结典型经验，提出意见建议，于6月\n— 2 —\n"
        "10日前报送活动总结和影像资料。"
    )
    assert [(a.kind.value, a.deadline_date) for a in d.asks] == [
        (AskKind.summary_report, date(2021, 6, 10)),
        (AskKind.media, date(2021, 6, 10)),
    ]
