"""下级进度 on the wire: how a level that forwarded a notice stands, in figures and per recipient.

A forwarding level reports its 转发's progress upward (``progress.reported``, shared/events.py): the counts the
upstream issuer sees in its 下级进度 table (签收 x/y, 报送 x/y per ask, 采用, 逾期) and one row per recipient,
each carrying, if that recipient forwarded the notice further, the figures of its own report (so the level
above can open it one level further).
"""

from typing import Literal

from pydantic import AwareDatetime, Field

from .schemas import Slug, Wire

AnswerStatus = Literal["pending", "submitted", "returned", "accepted"]


class AskProgress(Wire):
    """One ask of the 转发: how many owe it, have sent it (报送, any decision), had it accepted (采用), sent it late."""

    ask_id: Slug
    title: str = ""
    deadline: AwareDatetime
    owed: int = Field(ge=0)
    submitted: int = Field(ge=0, description="sent at least once (whatever the decision on it)")
    accepted: int = Field(ge=0)
    returned: int = Field(ge=0)
    late: int = Field(ge=0, description="sent after the deadline")
    pending: int = Field(ge=0, description="not sent yet: 逾期 once the deadline has passed")


class ProgressFigures(Wire):
    """A level's figures on one 转发: recipients and 签收, and per ask."""

    recipients: int = Field(ge=0)
    acknowledged: int = Field(ge=0)
    asks: list[AskProgress] = []


class ForwardFigures(Wire):
    """A recipient's own 转发 of the notice, as its latest report said (nested one level)."""

    forward_notice_id: str
    doc_number: str = ""
    sequence: int = Field(ge=1)
    as_of: AwareDatetime
    withdrawn: bool = False
    figures: ProgressFigures


class AnswerState(Wire):
    status: AnswerStatus = "pending"
    late: bool = False


class UnitProgress(Wire):
    """Where one recipient of the 转发 stands: its 签收, its answer per ask it owes, and its own 转发 if any."""

    unit_id: Slug
    name: str
    kind: str = ""
    node_id: Slug
    acknowledged_at: AwareDatetime | None = None
    answers: dict[Slug, AnswerState] = Field(default={}, description="ask_id → its state, for the asks it owes")
    forward: ForwardFigures | None = None
