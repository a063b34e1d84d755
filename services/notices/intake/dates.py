"""Dates and deadlines as notices write them.

"于2020年6月10日前", "6月10日前", "5月 10 日前上报", "六月十日前",
"2021年5月10日（星期一）17:00前", "6月底前", "截止日期为5月10日",
"5月10日至6月20日", "每季度末", "收到通知后3个工作日内"…

A date without a year takes it from the notice (its 成文日期, else the date it
was printed, else the year of its 文号), rolling into the next year when the
date would otherwise lie well before the notice ("1月10日前" in a December
notice). A deadline written as a date means the end of that day in the node's
zone (Asia/Shanghai); a time of day, when given, is kept.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.clock import end_of_day, is_working_day

from .numbers import cn_to_int
from .textview import fold

TZ = "Asia/Shanghai"

_Y = r"(?P<y>\d{4}|[〇零○O一二三四五六七八九]{4})\s*年\s*"
_M = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月\s*"
_D = r"(?P<d>3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日号]"
_PART = r"(?P<part>底|末|上旬|中旬|下旬)"
_ASIDE = r"(?:\s*[(（](?:星期|周|礼拜)[一二三四五六日天][)）]|\s*[(（]含(?:当日|当天)?[)）])?"
_TIME = (
    r"(?:\s*(?P<ampm>上午|下午|中午|晚上|晚)?\s*(?P<h>2[0-4]|[01]?\d|[一二三四五六七八九十]{1,3})"
    r"(?:\s*[:：]\s*(?P<mi>[0-5]\d)|\s*[时点](?:\s*(?P<mi2>[0-5]?\d|半)\s*分?)?)"
    r"|\s*(?P<eod>下班|工作日结束|当日|当天))?"
)

DATE_RE = re.compile(rf"(?:{_Y})?{_M}(?:{_D}|{_PART})")
ISO_RE = re.compile(
    r"(?<!\d)(?P<y>20\d{2})\s*[-./]\s*(?P<m>1[0-2]|0?[1-9])\s*[-./]\s*(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)"
)
# A date alone on a line: the 成文日期 under the signature ("2020年5月6日", "二〇二〇年五月六日").
FULL_DATE = _Y + _M + _D
DATE_LINE = re.compile(rf"^\s*{FULL_DATE}\s*$")

# After a date: "前", "之前", "以前", "止", "为止" (not "前后": "5月30日…前后" is a period).
_BEFORE = re.compile(r"^\s*(?:之前|以前|前(?!后)|为止|止|截止)")
# Before a date: the words that make it a deadline without "前".
_LEADS = re.compile(
    r"(?:即日起至|截止(?:日期|时间)?|截至(?:日期|时间)?|不晚于|最迟(?:于|在|不超过)?|最晚(?:于|在)?|务必于)"
    r"\s*(?:为|是|到|至)?\s*[:：]?\s*$"
)
_RANGE_SEP = re.compile(r"^\s*(?:至|到|—{1,2}|-|~|～)\s*")
_RANGE_END = re.compile(rf"(?:{_Y})?(?:{_M})?(?:{_D}|{_PART})")


@dataclass(frozen=True)
class DateMention:
    """A date as written: offsets into the searched string; year None when the text omits it."""

    start: int
    end: int
    month: int
    day: int | None  # None: ``part`` says which (底, 上旬…)
    year: int | None = None
    part: str | None = None
    hour: int | None = None
    minute: int = 0
    text: str = ""

    def day_in(self, year: int) -> date:
        last = calendar.monthrange(year, self.month)[1]
        if self.day is not None:
            return date(year, self.month, min(self.day, last))
        # "6月底": the last day; "6月中旬": the last day of that ten-day period.
        return date(year, self.month, {"上旬": 10, "中旬": 20}.get(self.part or "", last))


def _int(s: str | None) -> int | None:
    return None if s is None else cn_to_int(s)


def _mention(m: re.Match, s: str, offset: int = 0) -> DateMention | None:
    month, day, year = _int(m["m"]), _int(m.groupdict().get("d")), _int(m.groupdict().get("y"))
    if month is None or not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    return DateMention(
        offset + m.start(), offset + m.end(), month, day, year, m.groupdict().get("part"), text=m.group(0)
    )


def _time_after(s: str, pos: int) -> tuple[int | None, int, int]:
    """(hour, minute, end) of a time of day written right after a date ("（星期五）17:00", "下午5点")."""
    m = re.compile(_ASIDE + _TIME).match(s, pos)
    if not m or m.end() == pos:
        return None, 0, pos
    if m["eod"]:
        return None, 0, m.end()
    if m["h"] is None:
        return None, 0, m.end()
    hour = cn_to_int(m["h"])
    if hour is None or hour > 24:
        return None, 0, pos
    minute = 30 if m["mi2"] == "半" else int(m["mi"] or m["mi2"] or 0)
    if m["ampm"] in ("下午", "晚上", "晚") and hour < 12:
        hour += 12
    if hour == 24:
        return None, 0, m.end()  # "24时": the end of the day, as a date alone means
    return hour, minute, m.end()


def find_dates(s: str) -> list[DateMention]:
    """Every date in ``s`` (Chinese or ISO-like), with a time of day when one follows."""
    out: list[DateMention] = []
    for rx in (DATE_RE, ISO_RE):
        for m in rx.finditer(s):
            d = _mention(m, s)
            if d is None:
                continue
            if any(o.start <= d.start < o.end for o in out):
                continue
            hour, minute, end = _time_after(s, d.end)
            if hour is not None or end > d.end:
                d = DateMention(d.start, end, d.month, d.day, d.year, d.part, hour, minute, s[d.start : end])
            out.append(d)
    return sorted(out, key=lambda d: d.start)


def parse_date_line(s: str) -> date | None:
    """A line that is only a date (the 成文日期): its value, or None."""
    m = DATE_LINE.match(s) or (ISO_RE.fullmatch(s.strip()) if s.strip() else None)
    if not m:
        return None
    y, mo, d = _int(m["y"]), _int(m["m"]), _int(m["d"])
    try:
        return date(y, mo, d) if y and mo and d else None
    except ValueError:
        return None


@dataclass(frozen=True)
class YearBasis:
    """Where a date without a year takes its year from, and how sure that is."""

    year: int | None = None
    on: date | None = None  # the notice's date, when known: lets "1月10日" of a December notice roll over
    source: str = ""  # 成文日期, 印发日期, 文号, 正文
    confidence: float = 0.0

    @classmethod
    def of(cls, on: date | None = None, year: int | None = None, source: str = "", confidence: float = 0.9):
        return cls(year if year is not None else (on.year if on else None), on, source, confidence)


def resolve(d: DateMention, basis: YearBasis) -> tuple[date | None, float, str]:
    """The calendar day of a mention: (day, confidence, how the year was found)."""
    if d.year is not None:
        try:
            return d.day_in(d.year), 1.0, "文中年份"
        except ValueError:
            return None, 0.0, ""
    if basis.year is None:
        return None, 0.0, ""
    try:
        day = d.day_in(basis.year)
        if basis.on is not None and day < basis.on - timedelta(days=60):
            day = d.day_in(basis.year + 1)  # a December notice asking for "1月10日前"
    except ValueError:
        return None, 0.0, ""
    return day, basis.confidence, basis.source


def instant(day: date, hour: int | None = None, minute: int = 0, tz: str = TZ) -> datetime:
    """A deadline as an aware UTC instant: the end of ``day`` in ``tz``, or the time of day given."""
    if hour is None:
        return end_of_day(day, tz)
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


# ---------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineMention:
    """A deadline in a clause: ``how`` is before ("6月10日前"), by ("截止5月10日", "于5月10日报送"),
    range (the end of "5月10日至6月20日"), recurring ("每季度末") or relative ("收到通知后3个工作日内")."""

    start: int
    end: int
    how: str
    date: DateMention | None = None
    window_start: DateMention | None = None
    recurrence: str | None = None
    days: int | None = None  # relative: how many days
    working_days: bool = False
    text: str = ""
    extra: dict = field(default_factory=dict, compare=False)


_RECUR = re.compile(
    r"每(?:个)?(?P<unit>季度|月|年|半年|周|星期)(?:的)?"
    r"(?:(?P<mon>\d{1,2}|[一二三四五六七八九十]{1,2})月)?"
    r"(?:(?P<day>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]|(?P<end>末|底|最后一天|结束后(?P<after>\d{1,2}|[一二三四五六七八九十]{1,3})(?:个工作|个)?日内?)"
    r"|(?:首月|第一个月)(?P<fday>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]|周?(?P<wd>[一二三四五六日天]))?"
    r"(?:之?前|以前)?"
)
_RELATIVE = re.compile(
    r"(?:收到|接到)(?:本)?(?:通知|函|文件)(?:后|之日起)|(?:本通知|本函|通知)?(?:印发|下发|发布)之日起|即日起"
)
_WITHIN = re.compile(
    r"\s*(?P<n>\d{1,3}|[一二三四五六七八九十两]{1,3})\s*个?\s*(?P<wd>工作)?\s*(?:日|天)\s*(?:内|之内|以内)"
)


def find_deadlines(text: str) -> list[DeadlineMention]:
    """The deadlines in a clause, in order (dates that are not deadlines — "5月30日…前后" — are left out)."""
    s = fold(text)  # one character for one: offsets hold for ``text``
    dates = find_dates(s)
    out: list[DeadlineMention] = []
    used: set[int] = set()
    recurring = [(m.start(), m.end()) for m in _RECUR.finditer(s)]
    for i, d in enumerate(dates):
        if i in used or any(a <= d.start < b for a, b in recurring):
            continue
        rest = s[d.end :]
        # a range: "5月10日至6月20日", "5月10日-25日", "5月10日至6月底"
        sep = _RANGE_SEP.match(rest)
        if sep:
            m = _RANGE_END.match(rest, sep.end())
            if m and (m["d"] or m["part"]):
                month = _int(m["m"]) if m["m"] else d.month
                end_day = _int(m["d"])
                year = _int(m["y"]) if m["y"] else d.year
                if month and 1 <= month <= 12 and (end_day is None or 1 <= end_day <= 31):
                    a = d.end + m.end()
                    hour, minute, a2 = _time_after(s, a)
                    end = DateMention(
                        d.end + sep.end(), a2, month, end_day, year, m["part"], hour, minute, s[d.end + sep.end() : a2]
                    )
                    # the range's own end may be followed by 前 too ("至5月20日前")
                    b = _BEFORE.match(s[a2:])
                    stop = a2 + (b.end() if b else 0)
                    out.append(DeadlineMention(d.start, stop, "range", end, window_start=d, text=s[d.start : stop]))
                    for j in range(i + 1, len(dates)):
                        if dates[j].start < stop:
                            used.add(j)
                    continue
        b = _BEFORE.match(rest)
        if b:
            out.append(DeadlineMention(d.start, d.end + b.end(), "before", d, text=s[d.start : d.end + b.end()]))
            continue
        lead = _LEADS.search(s[max(0, d.start - 12) : d.start])
        if lead:
            start = max(0, d.start - 12) + lead.start()
            out.append(DeadlineMention(start, d.end, "by", d, text=s[start : d.end]))
            continue
        # "于5月10日报送": a date right before a verb of sending is a deadline too.
        if re.match(r"^\s*(?:将|把)?\s*(?:报送|上报|提交|报至|寄送|寄至|报名|填报|发送|报)", rest) and re.search(
            r"(?:于|在)\s*$", s[max(0, d.start - 3) : d.start]
        ):
            out.append(DeadlineMention(d.start, d.end, "on", d, text=d.text))
    for m in _RECUR.finditer(s):
        if any(o.start <= m.start() < o.end for o in out):
            continue
        out.append(
            DeadlineMention(
                m.start(),
                m.end(),
                "recurring",
                recurrence=m.group(0),
                text=m.group(0),
                extra={k: v for k, v in m.groupdict().items() if v},
            )
        )
    for m in _RELATIVE.finditer(s):
        w = _WITHIN.match(s, m.end())
        if w:
            out.append(
                DeadlineMention(
                    m.start(),
                    w.end(),
                    "relative",
                    days=cn_to_int(w["n"]),
                    working_days=bool(w["wd"]),
                    text=s[m.start() : w.end()],
                )
            )
    # the words as written, not folded
    out = [
        replace(
            d,
            text=text[d.start : d.end],
            date=replace(d.date, text=text[d.date.start : d.date.end]) if d.date else None,
        )
        for d in out
    ]
    return sorted(out, key=lambda x: x.start)


def next_occurrence(rec: dict, after: date) -> date | None:
    """The first due day of a recurring deadline on or after ``after``: "每季度末" → the next quarter end."""
    unit = rec.get("unit")
    day = cn_to_int(rec["day"]) if rec.get("day") else None
    if unit == "季度":
        ends = [date(after.year, m, calendar.monthrange(after.year, m)[1]) for m in (3, 6, 9, 12)]
        if rec.get("end") and not rec.get("after"):
            return next(e for e in ends if e >= after) if any(e >= after for e in ends) else date(after.year + 1, 3, 31)
        n = cn_to_int(rec.get("after") or rec.get("fday") or "") if (rec.get("after") or rec.get("fday")) else None
        if n:
            starts = [date(after.year, m, 1) for m in (1, 4, 7, 10)] + [date(after.year + 1, 1, 1)]
            for st in starts:
                due = st + timedelta(days=n - 1) if rec.get("after") else st.replace(day=min(n, 28))
                if due >= after:
                    return due
        return None
    if unit == "月":
        if rec.get("end"):
            return date(after.year, after.month, calendar.monthrange(after.year, after.month)[1])
        if day:
            y, m = after.year, after.month
            for _ in range(2):
                last = calendar.monthrange(y, m)[1]
                due = date(y, m, min(day, last))
                if due >= after:
                    return due
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return None
    if unit == "年" and rec.get("mon") and day:
        month = cn_to_int(rec["mon"])
        if month and 1 <= month <= 12:
            for y in (after.year, after.year + 1):
                due = date(y, month, min(day, calendar.monthrange(y, month)[1]))
                if due >= after:
                    return due
        return None
    if unit == "半年":
        for due in (date(after.year, 6, 30), date(after.year, 12, 31)):
            if due >= after:
                return due
    return None


def add_days(start: date, n: int, working: bool) -> date:
    """``n`` days (or working days, China's calendar) after ``start``."""
    if not working:
        return start + timedelta(days=n)
    day = start
    while n > 0:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day
