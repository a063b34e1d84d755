"""Time: instants in UTC, dates read in the node's zone."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shared.clock import FixedClock, SystemClock, end_of_day, local_text, utc


def test_a_date_deadline_is_the_end_of_that_day_in_shanghai():
    # "于6月20日前报送": 23:59:59 on 20 June in Beijing is 15:59:59 UTC the same day.
    assert end_of_day(date(2020, 6, 20), "Asia/Shanghai") == datetime(2020, 6, 20, 15, 59, 59, tzinfo=UTC)


def test_end_of_day_depends_on_the_zone():
    assert end_of_day(date(2020, 6, 20), "UTC") == datetime(2020, 6, 20, 23, 59, 59, tzinfo=UTC)
    # Across New Year: 31 Dec in Shanghai is still 31 Dec in UTC.
    assert end_of_day(date(2020, 12, 31), "Asia/Shanghai").date() == date(2020, 12, 31)


def test_end_of_day_respects_daylight_saving_elsewhere():
    summer = end_of_day(date(2026, 7, 1), "Europe/Berlin")
    winter = end_of_day(date(2026, 1, 1), "Europe/Berlin")
    assert summer.hour == 21 and winter.hour == 22


def test_utc_treats_naive_values_as_utc_and_converts_aware_ones():
    assert utc(datetime(2020, 1, 1, 12)) == datetime(2020, 1, 1, 12, tzinfo=UTC)
    beijing = datetime(2020, 1, 1, 20, tzinfo=timezone(timedelta(hours=8)))
    assert utc(beijing) == datetime(2020, 1, 1, 12, tzinfo=UTC)
    assert utc(beijing).tzinfo is UTC


def test_local_text_shows_instants_in_the_node_zone():
    at = datetime(2020, 6, 20, 15, 59, 59, tzinfo=UTC)
    assert local_text(at, "Asia/Shanghai") == "2020-06-20 23:59"
    assert local_text(at, "Asia/Shanghai", "%m月%d日") == "06月20日"
    assert local_text(datetime(2020, 6, 20, 16, 30), "Asia/Shanghai") == "2020-06-21 00:30"  # naive = UTC


def test_fixed_clock_stands_still_until_moved():
    clock = FixedClock(datetime(2020, 6, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2020, 6, 1, 0, tzinfo=UTC) and clock.now().tzinfo is UTC
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2020, 6, 2, 0, tzinfo=UTC)
    clock.set(datetime(2021, 1, 1, tzinfo=UTC))
    assert clock.now().year == 2021


def test_fixed_clock_refuses_naive_time():
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2020, 6, 1))


def test_system_clock_is_aware_utc():
    assert SystemClock().now().tzinfo is UTC
