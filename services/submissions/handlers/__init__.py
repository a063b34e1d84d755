"""The submissions service's use cases: 报送, 审核 (采用/退回), 汇总, 催办 and the automatic reminders.

Where things happen: a unit submits on the node that hosts it; the
submission is reviewed on the node of the notice's issuer (its
``issuer_node``), which gets a copy. Review decisions travel back the same
way. The names here are the actions of ``shared.contracts.submissions.Submissions``
(``Service.serve`` binds them by name) and the event handlers app.py subscribes.
"""

from .arriving import on_corrected, on_notice, on_withdrawn
from .chasing import chase, on_reminded, send_due_reminders
from .compiling import compile_report
from .deps import Deps
from .reading import commended, expected, get, mine, review, table
from .reviewing import accept, commend, on_reviewed, return_
from .submitting import on_compiled, on_submitted, submit
from .upward import return_down

__all__ = [
    "Deps",
    "accept",
    "chase",
    "commend",
    "commended",
    "compile_report",
    "expected",
    "get",
    "mine",
    "on_compiled",
    "on_corrected",
    "on_notice",
    "on_reminded",
    "on_reviewed",
    "on_submitted",
    "on_withdrawn",
    "return_",
    "return_down",
    "review",
    "send_due_reminders",
    "submit",
    "table",
]
