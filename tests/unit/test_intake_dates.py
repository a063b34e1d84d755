"""导入公文: Chinese numerals, dates and deadlines as notices write them, and limits (characters, items, file types)."""

from datetime import UTC, date, datetime

import pytest

from services.notices.intake.dates import (
    YearBasis,
    add_days,
    find_deadlines,
    instant,
    next_occurrence,
    parse_date_line,
    resolve,
)
from services.notices.intake.numbers import cn_to_int
from services.notices.intake.quantities import find_char_limit, find_formats, find_item_limit

pytestmark = pytest.mark.unit

BASIS = YearBasis.of(date(2020, 5, 6), source="成文日期", confidence=0.95)


@pytest.mark.parametrize(
    "text,value",
    [
        ("二〇二〇", 2020),
        ("二零二一", 2021),
        ("十", 10),
        ("十二", 12),
        ("二十一", 21),
        ("三十", 30),
        ("三千", 3000),
        ("两", 2),
        ("一万", 10000),
        ("一万二千", 12000),
        ("一百零五", 105),
        ("1万", 10000),
        ("3千", 3000),
        ("1.5万", 15000),
        ("2000", 2000),
        ("伍", 5),
        ("", None),
        ("abc", None),
        ("三x", None),
    ],
)
def test_numerals(text, value):
    assert cn_to_int(text) == value


def one(text: str, basis: YearBasis = BASIS):
    [d] = find_deadlines(text)
    assert d.date is not None
    day, _conf, _how = resolve(d.date, basis)
    return d, day


@pytest.mark.parametrize(
    "text,day,words",
    [
        ("于2020年6月10日前报送文字信息", date(2020, 6, 10), "2020年6月10日前"),
        ("请于6月10日前报送", date(2020, 6, 10), "6月10日前"),
        ("请各市州科协5月 10 日前上报回执表", date(2020, 5, 10), "5月 10 日前"),
        ("六月十日前报送", date(2020, 6, 10), "六月十日前"),
        ("于二〇二〇年六月二十日之前", date(2020, 6, 20), "二〇二〇年六月二十日之前"),
        ("务必于６月１０日以前报送", date(2020, 6, 10), "６月１０日以前"),
        ("并于6月底前提交总结报告", date(2020, 6, 30), "6月底前"),
        ("2月底前报送", date(2021, 2, 28), "2月底前"),  # from a May 2020 notice: next February
        ("请于6月中旬前报校科协", date(2020, 6, 20), "6月中旬前"),
        ("报送截止日期为2020年9月30日", date(2020, 9, 30), "截止日期为2020年9月30日"),
        ("截止时间：7月15日", date(2020, 7, 15), "截止时间：7月15日"),
        ("最迟不超过6月5日", date(2020, 6, 5), "最迟不超过6月5日"),
        ("即日起至5月31日", date(2020, 5, 31), "即日起至5月31日"),
        ("于5月10日报送", date(2020, 5, 10), "5月10日"),
        ("6月5日止", date(2020, 6, 5), "6月5日止"),
        ("2020-06-15前提交", date(2020, 6, 15), "2020-06-15前"),
        ("2020.6.15前提交", date(2020, 6, 15), "2020.6.15前"),
    ],
)
def test_deadlines_and_their_words(text, day, words):
    d, got = one(text)
    assert got == day
    assert d.text == words and text[d.start : d.end] == words


def test_a_january_deadline_in_a_december_notice_is_next_year():
    _, day = one("请于1月10日前报送", YearBasis.of(date(2021, 12, 20), source="成文日期"))
    assert day == date(2022, 1, 10)


def test_a_year_from_the_doc_number_alone_does_not_roll_over():
    _, day = one("请于1月10日前报送", YearBasis.of(year=2021, source="文号年份", confidence=0.8))
    assert day == date(2021, 1, 10)


def test_without_any_year_the_day_is_unknown():
    _d, day = one("6月10日前报送", YearBasis())
    assert day is None


@pytest.mark.parametrize(
    "text,hour,minute",
    [
        ("2021年5月10日（星期一）17:00前", 17, 0),
        ("5月10日17：30前", 17, 30),
        ("5月10日17时前", 17, 0),
        ("5月10日下午5点前", 17, 0),
        ("最迟于5月10日下午5时30分", 17, 30),
        ("5月10日中午12点前", 12, 0),
        ("5月10日（周五）下班前", None, 0),
        ("5月10日24时前", None, 0),
    ],
)
def test_times_of_day(text, hour, minute):
    [d] = find_deadlines(text)
    assert (d.date.hour, d.date.minute) == (hour, minute)


def test_a_date_means_the_end_of_that_day_in_shanghai_and_a_time_is_kept():
    assert instant(date(2020, 6, 10)) == datetime(2020, 6, 10, 15, 59, 59, tzinfo=UTC)
    assert instant(date(2020, 6, 10), 17, 0) == datetime(2020, 6, 10, 9, 0, tzinfo=UTC)


def test_dates_that_are_not_deadlines():
    assert find_deadlines("决定于5月30日第四个“全国科技工作者日”前后组织开展活动") == []
    assert find_deadlines("2021年5月30日是第5个“全国科技工作者日”") == []
    assert find_deadlines("活动时间：2020年5月中旬") == []


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("报名时间为5月10日至6月20日", date(2020, 5, 10), date(2020, 6, 20)),
        ("请于5月10日-25日期间报送", date(2020, 5, 10), date(2020, 5, 25)),
        ("5月10日—6月底报送", date(2020, 5, 10), date(2020, 6, 30)),
        ("5月10日至6月20日前报送", date(2020, 5, 10), date(2020, 6, 20)),
    ],
)
def test_ranges_end_on_their_last_day(text, start, end):
    [d] = find_deadlines(text)
    assert d.how == "range"
    assert resolve(d.window_start, BASIS)[0] == start and resolve(d.date, BASIS)[0] == end


@pytest.mark.parametrize(
    "text,after,first",
    [
        ("每季度末报送统计表", date(2022, 3, 1), date(2022, 3, 31)),
        ("每季度末前报送", date(2022, 4, 2), date(2022, 6, 30)),
        ("每季度结束后10日内报送", date(2022, 3, 1), date(2022, 4, 10)),
        ("每月5日前报送上月信息", date(2022, 5, 12), date(2022, 6, 5)),
        ("每月底前报送", date(2022, 2, 3), date(2022, 2, 28)),
        ("每年12月10日前报送年度总结", date(2022, 5, 12), date(2022, 12, 10)),
        ("每半年报送一次", date(2022, 7, 2), date(2022, 12, 31)),
    ],
)
def test_recurring_deadlines_first_occurrence(text, after, first):
    [d] = find_deadlines(text)
    assert d.how == "recurring"
    assert next_occurrence(d.extra, after) == first


def test_relative_deadlines_count_days_or_working_days():
    [d] = find_deadlines("请于收到通知后3个工作日内反馈")
    assert (d.how, d.days, d.working_days) == ("relative", 3, True)
    [d] = find_deadlines("自本通知印发之日起十日内报送")
    assert (d.days, d.working_days) == (10, False)
    # 2021-09-30 is a Thursday; 10-01..10-07 is the National Day holiday, 10-09 (Saturday) a working day
    assert add_days(date(2021, 9, 30), 2, True) == date(2021, 10, 9)
    assert add_days(date(2021, 9, 30), 2, False) == date(2021, 10, 2)


@pytest.mark.parametrize(
    "line,day",
    [
        ("2020年5月6日", date(2020, 5, 6)),
        ("  二〇二〇年五月六日 ", date(2020, 5, 6)),
        ("2021 年 4 月 27 日", date(2021, 4, 27)),
        ("2021-04-27", date(2021, 4, 27)),
        ("2020年5月6日印发", None),
        ("于2020年5月6日", None),
        ("2020年2月30日", None),
    ],
)
def test_date_lines(line, day):
    assert parse_date_line(line) == day


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "text,chars,approx",
    [
        ("（3000字以内，盖章PDF版和word版）", 3000, False),
        ("总结报告（2000 字以内）", 2000, False),
        ("不超过三千字", 3000, False),
        ("字数控制在1500字以内", 1500, False),
        ("限800字", 800, False),
        ("合计2000字以内", 2000, False),
        ("1万字以内", 10000, False),
        ("字数控制在2000字左右", 2000, True),
        ("约1000字", 1000, True),
        ("篇幅适中", None, None),
    ],
)
def test_character_limits(text, chars, approx):
    got = find_char_limit(text)
    assert (got.high if got else None) == chars
    if got:
        assert got.approx is approx and text[got.start : got.end] == got.text


@pytest.mark.parametrize(
    "text,low,high,approx",
    [
        ("择优精选1-2项特色亮点活动", 1, 2, False),
        ("择优精选约3项特色亮点活动（原则上每个阶段1项）筹备方案", 1, 3, True),
        ("限报1项", 1, 1, False),
        ("每单位推荐不超过3个案例", 1, 3, False),
        ("照片5至10张", 5, 10, False),
        ("典型案例（3个以内）", 1, 3, False),
        ("至少2项", 2, None, False),
        ("推荐两项", 2, 2, False),
        ("报送活动总结纸质版一份", None, None, None),  # copies, not items
        ("一式两份", None, None, None),
        ("推荐1名联络员", None, None, None),  # people, not items
    ],
)
def test_item_limits(text, low, high, approx):
    got = find_item_limit(text)
    if low is None and high is None:
        assert got is None
    else:
        assert (got.low, got.high, got.approx) == (low, high, approx)


@pytest.mark.parametrize(
    "text,types,stamped,copies",
    [
        ("盖章PDF版和word版", ["pdf", "doc", "docx"], True, None),
        ("word版和盖章PDF版", ["pdf", "doc", "docx"], True, None),
        ("Excel格式", ["xls", "xlsx"], False, None),
        ("照片（JPG格式）", ["jpg", "jpeg"], False, None),
        ("视频（MP4格式，不超过500MB）", ["mp4"], False, None),
        ("加盖公章的扫描件", ["pdf", "jpg", "png"], True, None),
        ("纸质版一份", [], False, 1),
        ("一式三份", [], False, 3),
        ("电子版", [], False, None),
    ],
)
def test_file_formats(text, types, stamped, copies):
    got = find_formats(text)
    assert (got.types, got.stamped, got.paper_copies) == (types, stamped, copies)
