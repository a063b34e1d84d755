"""Text as 公文 and spreadsheets write it: dates, widths, contacts, cell values."""

import re
import unicodedata
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.schemas import Contact

from .models import Paragraph


def date_text(d: date) -> str:
    """成文日期 in Arabic numerals with no padding (GB/T 9704 §7.3.5): 2020年5月20日."""
    return f"{d.year}年{d.month}月{d.day}日"


def local(dt: datetime, timezone: str) -> datetime:
    """An aware time in the office's zone, without tzinfo (Excel and Word have no zones)."""
    if dt.tzinfo is None:
        return dt
    return dt.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def datetime_text(dt: datetime | None, timezone: str) -> str:
    if dt is None:
        return ""
    t = local(dt, timezone)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def width(text: str) -> float:
    """Width in full-width characters: CJK and full-width punctuation count 1, the rest ½."""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.5 for c in text)


def ending_with_colon(text: str) -> str:
    """主送机关 ends with a full-width colon (§7.3.2)."""
    text = text.strip().rstrip(":：,，;；。")
    return text + "：" if text else ""


def ending_with_full_stop(text: str) -> str:
    text = text.strip().rstrip(",，;；。.")
    return text + "。" if text else ""


def contact_text(c: Contact) -> str:
    """One contact for the 附注: 省科协组织联络部 雷晶，联系电话：020-83551764，电子邮箱：…"""
    parts = [p for p in (c.department, f"联系人：{c.name}") if p]
    phones = "、".join(p for p in (c.office_phone, c.mobile) if p)
    if phones:
        parts.append(f"联系电话：{phones}")
    if c.fax:
        parts.append(f"传真：{c.fax}")
    if c.email:
        parts.append(f"电子邮箱：{c.email}")
    if c.address:
        parts.append(f"地址：{c.address}")
    return "，".join(parts)


def contact_cell(value: Any) -> str:
    if isinstance(value, dict):
        labels = {"name": "", "office_phone": "办公电话：", "mobile": "手机：", "fax": "传真：", "email": "电子邮箱："}
        return " ".join(f"{label}{value[k]}" for k, label in labels.items() if value.get(k))
    return str(value)


def field_text(value: Any) -> str:
    """An item's value as text: choices joined, a contact on one line, files by name."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return contact_cell(value)
    if isinstance(value, list):
        return "、".join(v.get("filename", "") if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


# Heading numbers as the genre writes them: 一、 / （一） / 1. or 1． or 1、 / （1）.
_LEVELS = [
    (1, re.compile(r"^[一二三四五六七八九十百]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
    (3, re.compile(r"^\d+[.．、](?!\d)")),
    (4, re.compile(r"^[（(]\d+[）)]")),
]


def paragraphs_from_text(text: str) -> list[Paragraph]:
    """Plain text (one paragraph a line, as notices are typed today) → paragraphs with their heading levels.

    A level 2–4 heading that runs on into its text (（一）突出时代主题。充分发挥…) is split after its first
    full stop, so the heading alone takes the heading font, as printed 公文 do.
    """
    out: list[Paragraph] = []
    for raw in text.splitlines():
        line = raw.strip().replace("\u3000", " ").strip()
        if not line:
            continue
        for level, pattern in _LEVELS:
            if pattern.match(line):
                if level == 1:
                    out.append(Paragraph(level=1, heading=line))
                else:
                    head, stop, rest = line.partition("。")
                    if stop and rest:
                        out.append(Paragraph(level=level, heading=head + stop, text=rest))
                    else:
                        out.append(Paragraph(level=level, heading=line))
                break
        else:
            out.append(Paragraph(text=line))
    return out
