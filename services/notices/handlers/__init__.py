"""The notices service's use cases, one module per concern; each takes a message and ``Deps`` and returns a view.

The names here are the actions of ``shared.contracts.notices.Notices`` (``Service.serve`` binds them by name)
and the event handlers app.py subscribes.
"""

from .attachments import STALE_UPLOAD_S, begin_upload, finish_upload, read_attachment, read_blob, upload_part
from .corrections import correct, withdraw
from .cosign import (
    approve_draft,
    finish_issuing,
    on_signing_closed,
    on_signing_decided,
    on_signing_requested,
    reject_draft,
)
from .deps import Deps
from .directory import all_units, delete_unit, export_units, get_unit, import_units, units_page, upsert_unit
from .drafts import create_draft, drafts, get_draft, submit_draft, update_draft
from .forwarding import forward
from .intake import read_document
from .issuing import issue
from .propagation import (
    on_forward_reported,
    on_notice_arrived,
    on_notice_corrected,
    on_notice_issued_here,
    on_notice_withdrawn,
    on_upstream_changed,
)
from .reading import form_templates, get, inbox, sent, tracking
from .receipts import acknowledge, on_notice_acknowledged

__all__ = [
    "STALE_UPLOAD_S",
    "Deps",
    "acknowledge",
    "all_units",
    "approve_draft",
    "begin_upload",
    "correct",
    "create_draft",
    "delete_unit",
    "drafts",
    "export_units",
    "finish_issuing",
    "finish_upload",
    "form_templates",
    "forward",
    "get",
    "get_draft",
    "get_unit",
    "import_units",
    "inbox",
    "issue",
    "on_forward_reported",
    "on_notice_acknowledged",
    "on_notice_arrived",
    "on_notice_corrected",
    "on_notice_issued_here",
    "on_notice_withdrawn",
    "on_signing_closed",
    "on_signing_decided",
    "on_signing_requested",
    "on_upstream_changed",
    "read_attachment",
    "read_blob",
    "read_document",
    "reject_draft",
    "sent",
    "submit_draft",
    "tracking",
    "units_page",
    "update_draft",
    "upload_part",
    "upsert_unit",
    "withdraw",
]
