"""The notices service's use cases, one module per concern; each takes a message and ``Deps`` and returns a view.

The names here are the actions of ``shared.contracts.notices.Notices`` (``Service.serve`` binds them by name)
and the event handlers app.py subscribes.
"""

from .attachments import STALE_UPLOAD_S, begin_upload, finish_upload, read_attachment, read_blob, upload_part
from .corrections import correct, withdraw
from .deps import Deps
from .directory import all_units, delete_unit, export_units, get_unit, import_units, units_page, upsert_unit
from .forwarding import forward
from .issuing import issue
from .propagation import (
    on_forward_reported,
    on_notice_arrived,
    on_notice_corrected,
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
    "begin_upload",
    "correct",
    "delete_unit",
    "export_units",
    "finish_upload",
    "form_templates",
    "forward",
    "get",
    "get_unit",
    "import_units",
    "inbox",
    "issue",
    "on_forward_reported",
    "on_notice_acknowledged",
    "on_notice_arrived",
    "on_notice_corrected",
    "on_notice_withdrawn",
    "on_upstream_changed",
    "read_attachment",
    "read_blob",
    "sent",
    "tracking",
    "units_page",
    "upload_part",
    "upsert_unit",
    "withdraw",
]
