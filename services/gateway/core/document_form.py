"""The 公文要素 of the notice forms (拟稿, 转发 and their preview): form values → the ``DocumentElements`` fields.

Every input may stay empty: the 主送机关 then follows from the recipients, the 附件说明 from the files, the
印发日期 from the 成文日期 (shared/schemas.py ``DocumentElements``).
"""

from typing import Any

from .forms import text, words

INPUTS = ("addressees", "copy_to", "printed_by", "printed_on", "urgency", "attachment_names", "notes", "signers")


def lines(value: Any) -> list[str]:
    """One entry a line (an attachment's name may hold 、 and ，)."""
    return [line.strip() for line in text(value).splitlines() if line.strip()]


def elements_of(data: dict) -> dict[str, Any]:
    """The 公文要素 a posted notice form gives (a ``nested`` form), as command fields."""
    return {
        "addressees": text(data.get("addressees")),
        "copy_to": words(data.get("copy_to")),
        "printed_by": text(data.get("printed_by")),
        "printed_on": text(data.get("printed_on")) or None,
        "urgency": text(data.get("urgency")) or None,
        "attachment_names": lines(data.get("attachment_names")) or None,
        "notes": text(data.get("notes")),
        "signers": words(data.get("signers")),
    }


def form_values(notice: dict) -> dict[str, str]:
    """A stored notice's 公文要素 as the form shows them (the inputs' text)."""
    return {
        "addressees": notice.get("addressees") or "",
        "copy_to": "、".join(notice.get("copy_to") or []),
        "printed_by": notice.get("printed_by") or "",
        "printed_on": notice.get("printed_on") or "",
        "urgency": notice.get("urgency") or "",
        "attachment_names": "\n".join(notice.get("attachment_names") or []),
        "notes": notice.get("notes") or "",
        "signers": "、".join(notice.get("signers") or []),
    }
