"""Events: facts in the past tense, plain data, one model per type.

Every event carries the envelope (``event_id``, ``type``, ``version``,
``occurred_at``, ``origin_node``, ``root_notice_id``). Publishers set
``Nats-Msg-Id`` to ``event_id`` so JetStream drops duplicate publishes, and
every consumer is idempotent on ``event_id`` because delivery is at least once.
"""

import base64
from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import AwareDatetime, Field, TypeAdapter, model_validator

from . import subjects
from .ids import new_id
from .progress import ProgressFigures, UnitProgress
from .schemas import (
    AskKind,
    Contribution,
    DraftPreview,
    NoticeSnapshot,
    Slug,
    UnitRef,
    UpwardMode,
    UpwardPolicy,
    Wire,
)


class Event(Wire):
    event_id: str = Field(default_factory=new_id, min_length=10, max_length=40)
    type: str
    version: int
    occurred_at: AwareDatetime
    origin_node: Slug
    root_notice_id: str | None = Field(default=None, description="the original notice of the chain this belongs to")

    def subject(self, dest: str | None = None) -> str:
        return subjects.event(self.type, self.origin_node, dest)


class RecipientsPart(Event):
    """A notice event whose ``notice.recipients`` may be one slice of the recipients.

    A notice to thousands of units would not fit in one NATS message, so it is
    published as ``parts`` events, each carrying ``notice`` with a slice of the
    recipients (the rest of the snapshot is the same in every part).
    Consumers work per recipient with deterministic ids, so parts merge in any
    order and a redelivered part changes nothing.
    """

    part: int = Field(default=1, ge=1)
    parts: int = Field(default=1, ge=1)


class NoticeIssued(RecipientsPart):
    type: Literal["notice.issued"] = "notice.issued"
    version: Literal[1] = 1
    notice: NoticeSnapshot


class NoticeForwarded(RecipientsPart):
    """A recipient re-issued a notice to its own subordinates (转发)."""

    type: Literal["notice.forwarded"] = "notice.forwarded"
    version: Literal[1] = 1
    notice: NoticeSnapshot = Field(description="the new notice; parent_notice_id names the one forwarded")


class NoticeAcknowledged(Event):
    """A recipient unit signed for a notice (签收)."""

    type: Literal["notice.acknowledged"] = "notice.acknowledged"
    version: Literal[1] = 1
    notice_id: str
    issuer_node: Slug = Field(description="node of the notice's issuer, where the receipt must arrive")
    unit_id: Slug
    unit_name: str
    acknowledged_by: str
    acknowledged_at: AwareDatetime


class NoticeCorrected(RecipientsPart):
    """更正: the issuer changed an issued notice; recipients must see what and why.

    ``notice`` is the corrected snapshot (its ``revision`` went up by one);
    recipients never change in a correction.
    """

    type: Literal["notice.corrected"] = "notice.corrected"
    version: Literal[1] = 1
    notice: NoticeSnapshot
    reason: str = Field(min_length=1, max_length=2000)
    changed: list[str] = Field(default=[], description="names of the fields that changed")
    corrected_by: str = ""


class NoticeWithdrawn(Event):
    """撤回: the issuer withdrew a notice."""

    type: Literal["notice.withdrawn"] = "notice.withdrawn"
    version: Literal[1] = 1
    notice_id: str
    doc_number: str = ""
    recipient_unit_ids: list[Slug]
    reason: str = Field(min_length=1, max_length=2000)
    withdrawn_by: str = ""


class PlanSubmitted(Event):
    """报送: a unit submitted (or resubmitted) its answer to an ask (any kind: plan, liaison form, summary, media).

    Published on the submitter's node; a copy goes to ``issuer_node`` when the
    notice came from elsewhere, so the unit it is routed to can review it.
    """

    type: Literal["plan.submitted"] = "plan.submitted"
    version: Literal[1] = 1
    submission_id: str = Field(description="notice:ask:unit — one submission per unit and ask, with revisions")
    notice_id: str
    ask_id: Slug
    kind: AskKind
    unit_id: Slug
    unit_name: str
    unit_node: Slug = Field(description="the node hosting the submitting unit, where review decisions go back to")
    issuer_node: Slug = Field(description="the node of the notice's issuer, where the submission is reviewed")
    to_unit_id: Slug = Field(description="the unit it is routed to (seed 000: 科技局 → 科技厅, others → 科协)")
    department: str | None = None
    revision: int = Field(ge=1)
    items: list[dict] = Field(description="one object per item, keyed by the ask's form fields")
    late: bool = Field(default=False, description="submitted after the ask's deadline")
    submitted_by: str
    submitted_at: AwareDatetime


class SubmissionReviewed(Event):
    """Base of a reviewer's decision on one revision; a copy goes back to the submitter's node."""

    submission_id: str
    notice_id: str
    ask_id: Slug
    unit_id: Slug
    to_unit_id: Slug
    revision: int = Field(ge=1)
    reviewed_by: str
    reviewed_at: AwareDatetime


class SubmissionReturned(SubmissionReviewed):
    """退回: the reviewer sent a revision back with the reason; the unit may submit again."""

    type: Literal["submission.returned"] = "submission.returned"
    version: Literal[1] = 1
    reason: str = Field(min_length=1, max_length=2000)
    reopened: bool = Field(
        default=False,
        description="退回下级: an accepted revision reopened to its unit because the level above returned the "
        "item it went up as (直接上报/择优上报); the reason carries the level above's",
    )


class SubmissionAccepted(SubmissionReviewed):
    """采用: the reviewer accepted a revision; it can be compiled (汇总) upward."""

    type: Literal["submission.accepted"] = "submission.accepted"
    version: Literal[1] = 1


class DeadlineApproaching(Event):
    """Reminder before a deadline (or a manual chase, 催办) for units that have not submitted."""

    type: Literal["deadline.approaching"] = "deadline.approaching"
    version: Literal[1] = 1
    notice_id: str
    ask_id: Slug
    deadline: AwareDatetime
    pending_unit_ids: list[Slug]
    manual: bool = False
    doc_number: str = ""
    title: str = Field(default="", description="the notice's title, for the reminder's text")
    ask_title: str = ""
    note: str = Field(default="", max_length=500, description="what the issuer wrote when chasing by hand")
    chased_by: str = ""


class DeadlineMissed(Event):
    """The deadline passed and these units had not submitted (逾期未报)."""

    type: Literal["deadline.missed"] = "deadline.missed"
    version: Literal[1] = 1
    notice_id: str
    ask_id: Slug
    deadline: AwareDatetime
    pending_unit_ids: list[Slug]
    doc_number: str = ""
    title: str = ""
    ask_title: str = ""


class ReportCompiled(Event):
    """汇总: a level compiled what its subordinates sent into its own submission for the next level up.

    The report answers ask ``ask_id`` of notice ``notice_id`` (the upstream
    notice) for ``unit_id``; ``source_notice_id`` is the 转发 whose accepted
    submissions it includes. A copy goes to ``issuer_node``.
    """

    type: Literal["report.compiled"] = "report.compiled"
    version: Literal[1] = 1
    report_id: str
    submission_id: str = Field(description="the compiling unit's submission on the upstream notice")
    notice_id: str
    source_notice_id: str
    ask_id: Slug
    kind: AskKind
    unit_id: Slug = Field(description="the compiling unit")
    unit_name: str
    unit_node: Slug
    issuer_node: Slug
    to_unit_id: Slug
    department: str | None = None
    revision: int = Field(ge=1)
    items: list[dict] = Field(description="the compiling unit's own items, then those of the included submissions")
    contributions: list[Contribution] = Field(description="which submissions the items came from, in order")
    note: str = ""
    late: bool = False
    compiled_by: str
    compiled_at: AwareDatetime
    upward: UpwardMode = Field(
        default=UpwardMode.compile,
        description="compile: the level's 汇总; direct/select: one submission accepted below sent up by itself "
        "(直接上报/择优上报), its own submission upstream (``submission_id`` names the source unit too), the "
        "source unit its one contribution",
    )


class NoticeForwardReported(Event):
    """A recipient forwarded (转发) a notice: the upstream issuer's node learns who, under which 文号, when, to how many.

    Published where the 转发 was made, with a copy to ``issuer_node`` when the
    forwarded notice came from another node, so the issuer's 签收 table and the
    notice's 下级转发 list show forwards made on every node. Merged keyed by
    ``forward_notice_id``: a redelivery changes nothing.
    """

    type: Literal["notice.forward_reported"] = "notice.forward_reported"
    version: Literal[1] = 1
    notice_id: str = Field(description="the notice that was forwarded")
    issuer_node: Slug = Field(description="node of that notice's issuer, where the report must arrive")
    forward_notice_id: str
    doc_number: str = Field(description="the 转发's own 文号")
    unit_id: Slug = Field(description="the forwarding unit (the lead one of a joint 转发)")
    unit_name: str
    node_id: Slug = Field(description="the node where the 转发 was made and lives")
    recipients: int = Field(ge=0, description="how many units it was forwarded to")
    forwarded_at: AwareDatetime
    co_forwarders: list[UnitRef] = Field(default=[], description="a joint 转发: the other forwarding units")
    upward: dict[Slug, UpwardPolicy] = Field(
        default={}, description="ask_id → how the forwarding level sends up what it accepts (missing: 逐级汇总)"
    )


class NoticeUpstreamChanged(Event):
    """A notice this 转发 forwards — directly or further up its chain — was corrected or withdrawn (更正/撤回).

    The node holding a 转发 of a changed notice publishes one per such 转发,
    locally and to each node hosting its recipients; every node receiving it
    flags the 转发 for its readers and does the same for the forwards made of
    it there, level by level. ``change_id`` names the change at the top
    (notice and revision, or the withdrawal) and the ``event_id`` is derived
    from it and ``notice_id``, so a redelivered cause republishes the same
    event and nothing is flagged twice.
    """

    type: Literal["notice.upstream_changed"] = "notice.upstream_changed"
    version: Literal[1] = 1
    notice_id: str = Field(description="the 转发 being flagged")
    change_id: str = Field(min_length=1, max_length=80)
    kind: Literal["corrected", "withdrawn"]
    upstream_notice_id: str = Field(description="the notice that changed")
    upstream_doc_number: str
    reason: str = Field(min_length=1, max_length=2000)
    changed_at: AwareDatetime
    changed_by: str = ""
    revision: int | None = Field(default=None, description="a correction: the changed notice's new revision")


class ProgressReported(Event):
    """下级进度: a level that forwarded a notice reports how its 转发 stands, to the upstream issuer's node.

    Published by the reports service of the node where the 转发 was made,
    throttled (at most one per 转发 every few seconds, the latest state always
    sent), to ``issuer_node``; each level passes on the reports of the levels
    below its own 转发 (same body, its own origin), so the top sees every level.
    ``sequence`` grows with each report of the 转发: a receiver keeps the
    highest and ignores an older or repeated one, in any order. A 转发 to
    many units is reported in ``parts``, each with the figures and a slice
    of the recipients' rows.
    """

    type: Literal["progress.reported"] = "progress.reported"
    version: Literal[1] = 1
    forward_notice_id: str = Field(description="the 转发 whose recipients' progress this is")
    notice_id: str = Field(description="the notice it forwards")
    chain: list[str] = Field(
        min_length=1, description="notice ids above the 转发, the original first (the last is ``notice_id``)"
    )
    issuer_node: Slug = Field(description="node of the issuer of ``notice_id``, where the report must arrive")
    node_id: Slug = Field(description="the node where the 转发 was made")
    doc_number: str = Field(description="the 转发's 文号")
    unit_id: Slug = Field(description="the forwarding unit (the lead one of a joint 转发)")
    unit_name: str
    co_forwarders: list[UnitRef] = []
    sequence: int = Field(ge=1, description="grows with each report of this 转发; the newest wins")
    as_of: AwareDatetime = Field(description="when the figures were taken")
    withdrawn: bool = False
    figures: ProgressFigures
    part: int = Field(default=1, ge=1)
    parts: int = Field(default=1, ge=1)
    units: list[UnitProgress] = Field(default=[], description="this part's slice of the recipients, by name")


# ---------------------------------------------------------------- 签发 and 会签 of drafts
#
# A draft lives on its drafting unit's node. Sending it for 签发 asks each issuing unit's 签发人 (the lead's
# 签发, each co-issuer's 会签) with one ``draft.signing_requested`` per unit, to the node hosting that unit;
# each answer comes back as ``draft.signing_decided``; once all have signed (the notice is issued) or one
# has refused (the draft goes back to its drafter), ``draft.signing_closed`` tells the signers' nodes.
# ``round`` counts the draft's submissions: an answer to an earlier round changes nothing.


class DraftSigningRequested(Event):
    """A unit's 签发人 are asked to sign a draft: 签发 for the lead issuer, 会签 for a co-issuer."""

    type: Literal["draft.signing_requested"] = "draft.signing_requested"
    version: Literal[1] = 1
    draft_id: str
    round: int = Field(ge=1, description="the draft's submission this request belongs to")
    unit_id: Slug = Field(description="the unit whose 签发人 sign")
    unit_name: str
    unit_node: Slug = Field(description="the node hosting that unit, where its 签发人 see the request")
    lead: bool = Field(description="签发 of the lead issuer (true) or 会签 of a co-issuer (false)")
    draft_node: Slug = Field(description="the node keeping the draft, where the answer must arrive")
    drafter_unit_id: Slug
    drafter_unit_name: str
    drafted_by: str = ""
    preview: DraftPreview
    requested_at: AwareDatetime


class DraftSigningDecided(Event):
    """A unit's 签发人 signed (签发/会签) or refused a draft, with their comment; a copy goes to ``draft_node``."""

    type: Literal["draft.signing_decided"] = "draft.signing_decided"
    version: Literal[1] = 1
    draft_id: str
    round: int = Field(ge=1)
    unit_id: Slug
    unit_name: str
    draft_node: Slug
    decision: Literal["signed", "refused"]
    decided_by: str
    decided_at: AwareDatetime
    comment: str = Field(default="", max_length=2000, description="required when refused: why")


class DraftSigningClosed(Event):
    """A round of signing ended: the notice was issued, or the draft went back to its drafter.

    Sent to each node holding requests of that round (``unit_ids``: the units hosted there), whose
    pending requests are then withdrawn from the 签发人's 待签发.
    """

    type: Literal["draft.signing_closed"] = "draft.signing_closed"
    version: Literal[1] = 1
    draft_id: str
    round: int = Field(ge=1)
    unit_ids: list[Slug]
    outcome: Literal["issued", "returned"]
    reason: str = Field(default="", max_length=2000, description="returned: the refusal's comment")
    notice_id: str | None = None
    doc_number: str = ""


SHA256 = r"^[0-9a-f]{64}$"
BLOB_CHUNK_BYTES = 192 * 1024  # raw bytes per chunk: about 256 KB of base64, well inside NATS' max payload


class BlobWanted(Event):
    """A node lacks the bytes of a file named in what a linked node sent it (a notice's attachment, a
    submitted file) and asks that node for them. Knowing the checksum is what entitles one to the bytes."""

    type: Literal["blob.wanted"] = "blob.wanted"
    version: Literal[1] = 1
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=1)


class BlobChunk(Event):
    """One piece of a file, sent to the linked node that wanted it (its bytes at ``offset``, base64)."""

    type: Literal["blob.chunk"] = "blob.chunk"
    version: Literal[1] = 1
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=1)
    offset: int = Field(ge=0)
    data: str = Field(min_length=1, max_length=(BLOB_CHUNK_BYTES * 4) // 3 + 4)

    @model_validator(mode="after")
    def _inside(self) -> "BlobChunk":
        try:
            length = len(base64.b64decode(self.data, validate=True))
        except ValueError as exc:
            raise ValueError("data is not base64") from exc
        if self.offset + length > self.size:
            raise ValueError("the piece goes beyond the file's size")
        return self

    def bytes(self) -> bytes:
        return base64.b64decode(self.data)


ALL_EVENTS: tuple[type[Event], ...] = (
    NoticeIssued,
    NoticeForwarded,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeWithdrawn,
    PlanSubmitted,
    SubmissionReturned,
    SubmissionAccepted,
    DeadlineApproaching,
    DeadlineMissed,
    ReportCompiled,
    NoticeForwardReported,
    NoticeUpstreamChanged,
    ProgressReported,
    DraftSigningRequested,
    DraftSigningDecided,
    DraftSigningClosed,
    BlobWanted,
    BlobChunk,
)
EVENT_TYPES: dict[str, type[Event]] = {cls.model_fields["type"].default: cls for cls in ALL_EVENTS}

if TYPE_CHECKING:
    AnyEvent = Event  # the union below is built from ALL_EVENTS at run time; to the checker each is an Event
else:
    AnyEvent = Annotated[Union[ALL_EVENTS], Field(discriminator="type")]  # noqa: UP007
_any_event: TypeAdapter[Event] = TypeAdapter(AnyEvent)


def parse_event(raw: bytes | str | dict) -> Event:
    """Parse any event by its ``type``; raises ``pydantic.ValidationError``."""
    if isinstance(raw, dict):
        return _any_event.validate_python(raw)
    return _any_event.validate_json(raw)
