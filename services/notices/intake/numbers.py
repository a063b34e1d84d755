"""Chinese numerals: "二〇二〇" → 2020, "二十一" → 21, "三千" → 3000, "1万" → 10000, "两" → 2.

Notices mix Arabic and Chinese numerals freely ("六月十日", "三千字以内",
"1-2项", "约3项"); the date and quantity parsers read both through here.
"""

from __future__ import annotations

import re

DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壹": 1,
    "贰": 2,
    "叁": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG = {"万": 10_000, "亿": 100_000_000}

# A number as written in a notice: Arabic digits (with an optional 万/千 after
# them), or Chinese numerals. Used inside larger patterns.
CN_CHARS = "〇零○一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟"
NUMBER = rf"(?:\d+(?:\.\d+)?[万千]?|[{CN_CHARS}]+)"
_ARABIC = re.compile(r"^(\d+(?:\.\d+)?)([万千]?)$")


def cn_to_int(s: str) -> int | None:
    """The value of a numeral, or None if ``s`` is not one.

    A run of digit characters without units is read digit by digit, as years
    are written ("二〇二一" → 2021); otherwise units multiply ("二十一" → 21,
    "一万二千" → 12000, "十" → 10).
    """
    s = s.strip()
    if not s:
        return None
    m = _ARABIC.match(s)
    if m:
        value = float(m[1]) * (10_000 if m[2] == "万" else 1000 if m[2] == "千" else 1)
        return int(value) if value == int(value) else None
    if any(ch not in DIGITS and ch not in UNITS and ch not in BIG for ch in s):
        return None
    if all(ch in DIGITS for ch in s):
        if len(s) == 1:
            return DIGITS[s]
        return int("".join(str(DIGITS[ch]) for ch in s))
    total = 0  # sum of completed 万/亿 groups
    section = 0  # value below the current 万
    digit = None
    for ch in s:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in UNITS:
            section += (1 if digit is None else digit) * UNITS[ch]
            digit = None
        else:  # 万, 亿
            section += digit or 0
            total = (total + section) * BIG[ch]
            section = 0
            digit = None
    return total + section + (digit or 0)
