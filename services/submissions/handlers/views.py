"""A submission as every reply shows it."""

from shared import outbox
from shared.contracts.submissions import SubmissionView
from shared.storage import public

from .. import domain

# Every submission shows the same keys, whatever it went through.
VIEW_DEFAULTS = {
    "late": False,
    "compiled": False,
    "item_count": 0,
    "submitted_at": None,
    "submitted_by": None,
    "reviewed_at": None,
    "reviewed_by": None,
    "return_reason": None,
    "last_reminder": None,
    "compiled_in": None,
    "notice_status": "issued",
    "department": None,
    "commendation": None,
}


def view_fields(doc: dict, revisions: list[dict | None] = ()) -> dict:
    out = VIEW_DEFAULTS | public({k: v for k, v in doc.items() if k not in (outbox.FIELD, "stage", "open", "decided")})
    out["status_text"] = domain.STATUS_TEXT.get(doc["status"], doc["status"])
    if revisions:
        out["revisions"] = [public(r) for r in revisions if r is not None]
    return out


def view(doc: dict, revisions: list[dict | None] = ()) -> SubmissionView:
    return SubmissionView.model_validate(view_fields(doc, revisions))
