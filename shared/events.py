"""Events: facts in the past tense, plain data, one model per type.

Every event carries the envelope (``event_id``, ``type``, ``version``,
``occurred_at``, ``origin_node``, ``root_notice_id``). Publishers set
``Nats-Msg-Id`` to ``event_id`` so JetStream drops duplicate publishes, and
every consumer is idempotent on ``event_id`` because delivery is at least once.
"""

from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, Field, TypeAdapter

from . import subjects
from .ids import new_id
from .schemas import AskKind, NoticeSnapshot, Slug, Wire


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
    """A unit submitted against an ask (any kind: plan, liaison form, summary, media)."""

    type: Literal["plan.submitted"] = "plan.submitted"
    version: Literal[1] = 1
    submission_id: str
    notice_id: str
    ask_id: Slug
    kind: AskKind
    unit_id: Slug
    unit_name: str
    to_unit_id: Slug
    department: str | None = None
    revision: int = Field(ge=1)
    items: list[dict] = Field(description="one object per item, keyed by the ask's form fields")
    submitted_by: str
    submitted_at: AwareDatetime


class SubmissionReturned(Event):
    type: Literal["submission.returned"] = "submission.returned"
    version: Literal[1] = 1
    submission_id: str
    notice_id: str
    ask_id: Slug
    unit_id: Slug
    revision: int
    reason: str
    returned_by: str


class SubmissionAccepted(Event):
    type: Literal["submission.accepted"] = "submission.accepted"
    version: Literal[1] = 1
    submission_id: str
    notice_id: str
    ask_id: Slug
    unit_id: Slug
    revision: int
    accepted_by: str


class DeadlineApproaching(Event):
    """Reminder before a deadline (or a manual chase, 催办) for units that have not submitted."""

    type: Literal["deadline.approaching"] = "deadline.approaching"
    version: Literal[1] = 1
    notice_id: str
    ask_id: Slug
    deadline: AwareDatetime
    pending_unit_ids: list[Slug]
    manual: bool = False


class DeadlineMissed(Event):
    type: Literal["deadline.missed"] = "deadline.missed"
    version: Literal[1] = 1
    notice_id: str
    ask_id: Slug
    deadline: AwareDatetime
    pending_unit_ids: list[Slug]


class ReportCompiled(Event):
    """汇总: a level compiled what its subordinates sent, for the next level up."""

    type: Literal["report.compiled"] = "report.compiled"
    version: Literal[1] = 1
    report_id: str
    notice_id: str
    ask_id: Slug
    unit_id: Slug = Field(description="the compiling unit")
    to_unit_id: Slug
    submission_ids: list[str]
    summary: str = ""
    compiled_by: str
    compiled_at: AwareDatetime


class NotificationSent(Event):
    type: Literal["notification.sent"] = "notification.sent"
    version: Literal[1] = 1
    delivery_id: str
    channel: str
    unit_id: Slug
    cause_event_id: str


class NotificationFailed(Event):
    type: Literal["notification.failed"] = "notification.failed"
    version: Literal[1] = 1
    delivery_id: str
    channel: str
    unit_id: Slug
    cause_event_id: str
    error: str


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
    NotificationSent,
    NotificationFailed,
)
EVENT_TYPES: dict[str, type[Event]] = {cls.model_fields["type"].default: cls for cls in ALL_EVENTS}

AnyEvent = Annotated[Union[ALL_EVENTS], Field(discriminator="type")]  # noqa: UP007
_any_event: TypeAdapter[Event] = TypeAdapter(AnyEvent)


def parse_event(raw: bytes | str | dict) -> Event:
    """Parse any event by its ``type``; raises ``pydantic.ValidationError``."""
    if isinstance(raw, dict):
        return _any_event.validate_python(raw)
    return _any_event.validate_json(raw)
