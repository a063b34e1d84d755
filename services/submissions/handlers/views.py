"""A submission as every reply shows it."""

from collections.abc import Sequence

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
    "to_unit_name": None,
    "unassigned": False,
    "source_unit_id": None,
    "source_unit_name": None,
    "upward": None,
    "items_up": 0,
    "returned_down": None,
}


def view_fields(doc: dict, revisions: Sequence[dict | None] = ()) -> dict:
    out = VIEW_DEFAULTS | public(
        {
            k: v
            for k, v in doc.items()
            if k not in (outbox.FIELD, "stage", "open", "decided", "items_sent", "items_held", "commended")
        }
    )
    out["status_text"] = domain.STATUS_TEXT.get(doc["status"], doc["status"])
    sent = doc.get("items_sent") or []
    if sent:  # a level's own submission answered by its items (直接上报/择优上报)
        out["items_up"] = len(sent)
        if doc["status"] == "pending":
            way = "直接上报" if doc.get("upward") == "direct" else "择优上报"
            out["status_text"] = f"已{way}{len(sent)}项"
    if revisions:
        out["revisions"] = [public(r) for r in revisions if r is not None]
    return out


def view(doc: dict, revisions: Sequence[dict | None] = ()) -> SubmissionView:
    return SubmissionView.model_validate(view_fields(doc, revisions))
