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
    units: list[UnitAnswer]


class Completeness(View):
    """报送情况: per ask, every unit that owes it and where it stands, with the counts."""

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


class Reports(Contract):
    service = "reports"

    completeness = query(
        NoticeQuery, Completeness, "报送情况: per ask, who owes, submitted (on time or late), accepted, returned"
    )
    notice_status = query(NoticeQuery, NoticeStatus, "Per-notice status: who has and has not acknowledged")
    unit_statistics = query(
        StatisticsQuery,
        Statistics,
        "办理情况统计: a page of how each recipient unit handled an issuer's notices of a year",
    )
