"""The reports service's contract: the read models of 签收, 报送情况 (completeness) and 办理情况统计."""

from typing import Literal

from pydantic import AwareDatetime, Field

from ..paging import Page, PageQuery
from ..schemas import Slug, Wire
from .base import Contract, query
from .common import NoticeQuery
from .views import View


class StatisticsQuery(Wire):
    """办理情况统计: how the units an issuer addressed handled its notices of one year."""

    unit_id: Slug
    year: int = Field(ge=2000, le=2100)
    page: PageQuery = PageQuery()


class StatusRow(View):
    unit_id: str
    name: str
    kind: str
    node_id: str
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None


class NoticeStatus(View):
    """Per notice: who has and has not acknowledged (the issuer's node)."""

    notice_id: str
    doc_number: str
    title: str
    issuer_name: str | None = None
    issued_at: AwareDatetime | None = None
    deadlines: dict[str, AwareDatetime] = {}
    status: str
    change_reason: str | None = None
    total: int
    acknowledged: int
    pending: int
    recipients: list[StatusRow]


class CompletenessQuery(NoticeQuery):
    """报送情况 of a notice: per ask its counts, and this page of the units that owe it (the same page of each)."""

    page: PageQuery = PageQuery()


class Chase(View):
    at: AwareDatetime
    manual: bool = False
    units: int = 0


class UnitAnswer(View):
    """Where one unit that owes an ask stands."""

    unit_id: str
    name: str
    kind: str
    node_id: str
    status: Literal["pending", "returned", "submitted", "accepted"]
    revision: int = 0
    submitted_at: AwareDatetime | None = None
    late: bool = False
    compiled: bool = False
    upward: Literal["direct", "select"] | None = Field(
        default=None, description="answered by items sent up by themselves (直接上报, 择优上报), not one 报送"
    )
    sent_up: int = Field(default=0, description="with upward: how many items (one per source unit below)")
    items: int = 0
    reviewed_at: AwareDatetime | None = None
    reason: str | None = None


class AskCompleteness(View):
    ask_id: str
    title: str
    kind: str
    deadline: AwareDatetime
    unit_kinds: list[str] = []
    owed: int
    pending: int
    returned: int
    submitted: int
    accepted: int
    late: int
    chases: list[Chase] = []
    units: list[UnitAnswer] = Field(
        description="a page of the units that owe it: not yet, returned, submitted, accepted, each by unit id"
    )
    more: bool = Field(default=False, description="more units than this page, and those before it, list")


class Completeness(View):
    """报送情况: per ask, its counts over every unit that owes it, and a page of those units."""

    notice_id: str
    doc_number: str
    title: str
    status: str
    asks: list[AskCompleteness]


class UnitStatistics(View):
    """How one recipient unit handled an issuer's notices of a year: 签收 and 报送."""

    unit_id: str
    name: str
    kind: str
    notices: int
    acknowledged: int
    owed: int
    submitted: int
    on_time: int
    late: int
    accepted: int
    returned: int
    pending: int
    ack_rate: float | None = None
    avg_ack_hours: float | None = None
    on_time_rate: float | None = None


class Statistics(View):
    """办理情况统计 of an issuer unit and year: how many notices it sent, and a page of its recipients' rows."""

    unit_id: str
    year: int
    notices: int
    units: Page[UnitStatistics]


class RollupQuery(Wire):
    """下级进度 of a notice: the latest report of each 转发 made of it (a page, by forwarding unit)."""

    notice_id: str
    page: PageQuery = PageQuery()


class ForwardProgressQuery(Wire):
    """One 转发's report opened from a notice above it (its own upstream notice, or any notice higher up its
    chain): its figures, the levels in between, and a page of its recipients."""

    notice_id: str = Field(description="the notice the reader issued, somewhere above the 转发")
    forward_notice_id: str
    page: PageQuery = PageQuery()


class AskFigures(View):
    ask_id: str
    title: str = ""
    deadline: AwareDatetime
    owed: int
    submitted: int
    accepted: int
    returned: int
    late: int
    pending: int
    overdue: int = Field(description="逾期: sent late, or not sent and the deadline has passed (as of the reading)")


class ProgressFiguresView(View):
    """签收 x/y, and per ask and summed over the asks: 报送 x/y, 采用, 逾期."""

    recipients: int
    acknowledged: int
    asks: list[AskFigures] = []
    owed: int
    submitted: int
    accepted: int
    returned: int
    overdue: int


class ForwardRow(View):
    """One 转发 of the notice and how its level stands, as its latest report said."""

    forward_notice_id: str
    notice_id: str
    doc_number: str
    unit_id: str
    unit_name: str
    unit_names: list[str] = Field(description="the forwarding units (a joint 转发 names several)")
    node_id: str
    sequence: int
    as_of: AwareDatetime = Field(description="when the level took these figures")
    received_at: AwareDatetime | None = None
    withdrawn: bool = False
    figures: ProgressFiguresView


class Rollup(View):
    """下级进度: for each recipient that forwarded the notice, its level's own progress."""

    notice_id: str
    forwards: Page[ForwardRow]


class AnswerView(View):
    status: Literal["pending", "returned", "submitted", "accepted"]
    late: bool = False
    overdue: bool = False


class NestedForward(View):
    """A recipient's own 转发 of the notice, as its latest report said (open it one level further)."""

    forward_notice_id: str
    doc_number: str = ""
    sequence: int
    withdrawn: bool = False
    as_of: AwareDatetime
    figures: ProgressFiguresView


class UnitProgressView(View):
    unit_id: str
    name: str
    kind: str = ""
    node_id: str = ""
    acknowledged_at: AwareDatetime | None = None
    answers: dict[str, AnswerView] = Field(default={}, description="ask_id → its state, for the asks it owes")
    owed: int = 0
    submitted: int = 0
    accepted: int = 0
    overdue: int = 0
    forward: NestedForward | None = None


class ForwardProgress(View):
    """One 转发's level: its figures, the levels between the notice read and it, and a page of its recipients."""

    notice_id: str
    forward: ForwardRow
    path: list[ForwardRow] = Field(default=[], description="the 转发 between the notice read and this one, top first")
    units: Page[UnitProgressView]


class Reports(Contract):
    service = "reports"

    completeness = query(
        CompletenessQuery,
        Completeness,
        "报送情况: per ask, how many owe, submitted (on time or late), accepted, returned, and a page of them",
    )
    notice_status = query(NoticeQuery, NoticeStatus, "Per-notice status: who has and has not acknowledged")
    unit_statistics = query(
        StatisticsQuery,
        Statistics,
        "办理情况统计: a page of how each recipient unit handled an issuer's notices of a year",
    )
    rollup = query(RollupQuery, Rollup, "下级进度: a page of the 转发 made of a notice, each level's latest figures")
    forward_progress = query(
        ForwardProgressQuery,
        ForwardProgress,
        "下级进度 one level further: a 转发's figures and a page of its recipients' 签收 and 报送",
    )
