"""The submissions service's contract: 报送, 审核 (采用/退回), 评选, 汇总, 催办, and the lists and tables that read them."""

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from ..paging import Page, PageQuery
from ..schemas import Ask, Commendation, Contribution, Slug, Wire
from .base import Contract, command, query
from .common import Actor, NoticeQuery, UnitNoticesQuery
from .views import View

ItemList = Annotated[
    list[dict[str, Any]], Field(max_length=100, description="one object per item, keyed by the ask's form fields")
]


class SubmitItems(Wire):
    """报送: a unit answers one ask of a notice in its inbox; again after a 退回 (a new revision)."""

    notice_id: str
    ask_id: Slug
    unit_id: Slug
    items: ItemList
    actor: Actor | None = None


class AcceptSubmission(Wire):
    """采用: the unit a submission is routed to accepts its latest revision."""

    submission_id: str = Field(min_length=1, max_length=200)
    revision: int = Field(ge=1, description="the revision reviewed; a newer one submitted meanwhile is a conflict")
    actor: Actor | None = None


class ReturnSubmission(Wire):
    """退回: the reviewer sends the latest revision back with the reason."""

    submission_id: str = Field(min_length=1, max_length=200)
    revision: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=2000)
    actor: Actor | None = None


class ReturnDown(Wire):
    """退回下级: the level above returned an item this level sent up by itself (直接上报/择优上报); the level's
    reviewer reopens the accepted submission it came from to its unit, with the level above's reason."""

    submission_id: str = Field(min_length=1, max_length=200, description="the item the level above returned")
    note: str = Field(default="", max_length=500, description="what the level's reviewer adds to the reason")
    actor: Actor | None = None


class CommendSubmission(Wire):
    """评选: the unit an accepted submission is routed to commends it (``category`` None: takes it back)."""

    submission_id: str = Field(min_length=1, max_length=200)
    category: Commendation | None = None
    note: str = Field(default="", max_length=500, description="why, for the 通报表扬 (e.g. the activity's name)")
    actor: Actor | None = None


class CompileReport(Wire):
    """汇总: compile accepted submissions of a notice one issued (or forwarded) into one's answer upward.

    ``notice_id`` is the notice whose submissions are compiled; the report
    answers the same ask of the notice it was forwarded from.
    """

    notice_id: str
    ask_id: Slug
    unit_id: Slug = Field(description="the compiling unit")
    submission_ids: list[str] = Field(default=[], max_length=5000, description="the accepted submissions selected")
    items: ItemList = Field(default=[], description="the compiling unit's own items (e.g. its own summary)")
    note: str = Field(default="", max_length=5000, description="a cover note for the level above")
    actor: Actor | None = None


class ChaseSubmissions(Wire):
    """催办: remind the units that still owe an ask (all asks when ``ask_id`` is empty)."""

    notice_id: str
    ask_id: Slug | None = None
    note: str = Field(default="", max_length=500)
    actor: Actor | None = None


class SubmissionQuery(Wire):
    submission_id: str = Field(min_length=1, max_length=200)
    actor: Actor | None = None


ALL_DEPARTMENTS = "*"  # ReviewQuery.department: every department's submissions
NO_DEPARTMENT = "-"  # ReviewQuery.department: those routed to the unit without a department


class ReviewQuery(Wire):
    """A page of the submissions routed to the actor's unit (审核): those to review first, then the decided;
    optionally of one notice or in one state.

    Departments: by default a reviewer who belongs to a department sees its queue, plus what is routed to
    the unit without a department and to ``unstaffed`` departments (no reviewer of their own: they fall back
    to the unit's reviewers); a reviewer without a department sees every department's. ``department`` asks
    for one department's queue, ``*`` for all, ``-`` for those routed to no department.
    """

    notice_id: str | None = None
    status: Literal["submitted", "returned", "accepted"] | None = None
    department: str | None = Field(default=None, min_length=1, max_length=200)
    unstaffed: list[str] = Field(
        default=[], max_length=200, description="departments of the unit no reviewer belongs to (the gateway knows)"
    )
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class SubmissionTableQuery(Wire):
    """汇总表: every submission of one ask routed to the actor's unit, with the items of its latest revision."""

    notice_id: str = Field(min_length=1, max_length=200)
    ask_id: Slug
    actor: Actor | None = None


class ReminderMark(View):
    """The last reminder a unit got for an ask: 截止提醒, 催办 or 已逾期."""

    at: AwareDatetime
    kind: Literal["reminder", "chase", "missed"]
    note: str = ""


class CommendationMark(View):
    category: Commendation
    note: str = ""
    by: str = ""
    at: AwareDatetime


class CompiledIn(View):
    """The 汇总 an accepted submission went up in, or the item it went up as by itself (``upward``)."""

    submission_id: str
    revision: int
    report_id: str
    at: AwareDatetime
    upward: Literal["direct", "select"] | None = Field(
        default=None, description="went up by itself: 直接上报 (direct) or 择优上报 (select); None: in a 汇总"
    )


class Revision(View):
    """The items of one revision of a submission, as submitted (or compiled)."""

    id: str
    submission_id: str
    revision: int
    items: list[dict[str, Any]]
    submitted_at: AwareDatetime
    submitted_by: str = ""
    late: bool = False
    contributions: list[Contribution] = []
    note: str = ""
    source_notice_id: str | None = None


class SubmissionView(View):
    """What one unit owes for one ask of a notice, and where it stands."""

    id: str
    notice_id: str
    doc_number: str = ""
    title: str = ""
    ask_id: str
    ask_kind: str = ""
    ask_title: str = ""
    unit_id: str
    unit_name: str
    unit_kind: str | None = None
    unit_node: str
    issuer_node: str
    to_unit_id: str
    to_unit_name: str | None = Field(default=None, description="the unit it is routed to, by name (any level)")
    department: str | None = None
    unassigned: bool = Field(
        default=False, description="its department has no reviewer: the unit's reviewers handle it (审核 lists)"
    )
    source_unit_id: str | None = Field(
        default=None, description="an item sent up by itself (直接上报/择优上报): the unit it came from below"
    )
    source_unit_name: str | None = None
    upward: Literal["compile", "direct", "select"] | None = Field(
        default=None, description="how it went up: 汇总 (compile), 直接上报 (direct), 择优上报 (select)"
    )
    items_up: int = Field(default=0, description="the unit's own: how many items it sent up by themselves")
    returned_down: int | None = Field(
        default=None, description="an item returned by the level above: the revision whose source was 退回下级"
    )
    deadline: AwareDatetime
    status: Literal["pending", "submitted", "returned", "accepted"]
    status_text: str
    revision: int = 0
    late: bool = False
    compiled: bool = False
    item_count: int = 0
    submitted_at: AwareDatetime | None = None
    submitted_by: str | None = None
    reviewed_at: AwareDatetime | None = None
    reviewed_by: str | None = None
    return_reason: str | None = None
    last_reminder: ReminderMark | None = None
    compiled_in: CompiledIn | None = None
    notice_status: str = "issued"
    commendation: CommendationMark | None = None
    revisions: list[Revision] = []


class SubmissionDetail(SubmissionView):
    """One submission with its revisions and the ask it answers, and what the caller may do with it."""

    ask: Ask | None = None
    can_review: bool = False
    can_commend: bool = False
    can_return_down: bool = Field(
        default=False, description="an item the level above returned, whose source the caller may 退回下级"
    )


class Compiled(SubmissionView):
    """A 汇总 sent up: the compiling unit's own submission on the upstream notice."""

    report_id: str


class Chased(View):
    reminder_id: str
    notice_id: str
    asks: dict[str, int] = Field(description="ask id → how many units were chased")
    units: int


class TableRow(SubmissionView):
    """A row of the 汇总表: a unit that owes the ask, its state and the items of its latest revision."""

    items: list[dict[str, Any]] = []
    contributions: list[Contribution] = Field(
        default=[], description="a 汇总: whose accepted items it holds, in order, after the compiling unit's own"
    )


class SubmissionTable(View):
    notice_id: str
    title: str
    doc_number: str
    ask: Ask
    rows: list[TableRow]


class Expected(View):
    """Everything owed for one notice (the issuer's node keeps every recipient's)."""

    items: list[SubmissionView]


class Submissions(Contract):
    service = "submissions"

    submit = command(SubmitItems, SubmissionView, "报送: submit a unit's items for an ask; publish plan.submitted")
    accept = command(
        AcceptSubmission,
        SubmissionView,
        "采用: accept the latest revision of a submission; publish submission.accepted",
    )
    return_ = command(
        ReturnSubmission, SubmissionView, "退回: return the latest revision with a reason; publish submission.returned"
    )
    return_down = command(
        ReturnDown,
        SubmissionView,
        "退回下级: reopen the accepted submission an item returned from above came from; publish "
        "submission.returned (reopened)",
    )
    commend = command(
        CommendSubmission, SubmissionView, "评选: commend an accepted submission for the 通报表扬, or take it back"
    )
    compile_report = command(
        CompileReport,
        Compiled,
        "汇总: compile accepted submissions into the unit's answer upstream; publish report.compiled",
    )
    chase = command(
        ChaseSubmissions, Chased, "催办: remind the units that still owe an ask; publish deadline.approaching"
    )

    get = query(
        SubmissionQuery, SubmissionDetail, "One submission with its revisions, for its unit or the unit reviewing it"
    )
    mine = query(
        UnitNoticesQuery,
        Page[SubmissionView],
        "报送: a page of what a unit owes and has submitted, the still-open first",
    )
    review = query(
        ReviewQuery,
        Page[SubmissionView],
        "审核: a page of the submissions routed to the actor's unit, those to review first",
    )
    table = query(
        SubmissionTableQuery,
        SubmissionTable,
        "汇总表: the submissions of one ask routed to the actor's unit, with their latest items",
    )
    expected = query(NoticeQuery, Expected, "Who owes which submission for a notice, and its state")
    commended = query(NoticeQuery, Expected, "评选结果: the commended submissions of a notice (a few, read by index)")
