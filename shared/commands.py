"""Commands: imperatives sent over request/reply, one model per command.

The gateway validates a command's shape (HTTP 422 names the field); the owning
service checks the rules that need its data (unknown recipient, duplicate
文号…) and answers with a ``Reply``.
"""

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from .errors import Problem
from .schemas import (
    Ask,
    Attachment,
    Contact,
    LongText,
    Role,
    Route,
    ShortText,
    Slug,
    UnitKind,
    Wire,
)


class Reply(Wire):
    ok: bool
    data: Any = None
    error: Problem | None = None


class Actor(Wire):
    """Who asks: the gateway has authenticated them; services record it and check unit scope."""

    user_id: str
    display_name: str
    unit_id: Slug
    roles: list[Role] = []


class UpsertUnit(Wire):
    unit_id: Slug
    name: ShortText
    kind: UnitKind
    parent_id: Slug | None = None
    node_id: Slug | None = Field(default=None, description="node hosting the unit; empty means this node")
    runs_own_node: bool = False
    contacts: list[Contact] = []
    departments: list[ShortText] = []
    doc_number_template: str | None = Field(
        default=None, max_length=60, description="e.g. 粤科协联〔{year}〕{seq}号; {year} and {seq} are filled in"
    )


class IssueNotice(Wire):
    title: ShortText
    issuer_unit_ids: list[Slug] = Field(min_length=1, description="joint issue lists several; the first leads")
    recipient_unit_ids: list[Slug] = Field(min_length=1, max_length=20_000)
    body: LongText = ""
    doc_number: str | None = Field(default=None, max_length=60, description="leave empty to allocate the next one")
    asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    actor: Actor | None = None


class ForwardNotice(Wire):
    """转发: a recipient re-issues a notice to its own subordinates.

    It gets its own 文号, cover note, contacts and routing; the upstream asks
    are inherited with deadlines that may only move earlier; ``extra_asks``
    adds the forwarder's own (e.g. a 联络员回执表).
    """

    notice_id: str
    unit_id: Slug = Field(description="the recipient unit that forwards")
    co_issuer_unit_ids: list[Slug] = Field(default=[], description="joint forwarding (科协 + 科技厅), after unit_id")
    title: ShortText | None = Field(default=None, description="empty: 关于转发《…》的通知")
    cover_note: LongText = ""
    recipient_unit_ids: list[Slug] = Field(min_length=1, max_length=20_000)
    doc_number: str | None = Field(default=None, max_length=60)
    deadlines: dict[Slug, AwareDatetime] = Field(default={}, description="ask_id → the earlier deadline downstream")
    unit_kinds: dict[Slug, list[UnitKind]] = Field(
        default={}, description="ask_id → which kinds of unit must answer downstream (default: as upstream)"
    )
    routes: list[Route] = Field(
        default=[], description="where each unit kind submits the inherited asks; empty: to the forwarding unit"
    )
    extra_asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    actor: Actor | None = None


class AcknowledgeNotice(Wire):
    notice_id: str
    unit_id: Slug
    actor: Actor | None = None


class CorrectNotice(Wire):
    """更正: change an issued notice. Fields left empty stay as they are; recipients never change."""

    notice_id: str
    reason: str = Field(min_length=1, max_length=2000)
    title: ShortText | None = None
    body: LongText | None = None
    cover_note: LongText | None = None
    asks: list[Ask] | None = None
    contacts: list[Contact] | None = None
    attachments: list[Attachment] | None = None
    actor: Actor | None = None


class WithdrawNotice(Wire):
    """撤回: recipients see the notice as withdrawn, with the reason."""

    notice_id: str
    reason: str = Field(min_length=1, max_length=2000)
    actor: Actor | None = None


class DeleteUnit(Wire):
    unit_id: Slug
    actor: Actor | None = None


class ImportUnits(Wire):
    """Replace-or-add directory entries from a CSV or YAML file: all rows or none."""

    format: Literal["csv", "yaml"]
    content: str = Field(max_length=900_000, description="the file's text (UTF-8)")
    actor: Actor | None = None


class ExportUnits(Wire):
    format: Literal["csv", "yaml"]
    actor: Actor | None = None


# ---------------------------------------------------------------- attachments
# A file travels to the notices service in parts (a NATS message is limited
# to about 1 MB): begin (limits checked before any byte moves), parts, finish.


class BeginUpload(Wire):
    filename: ShortText
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    actor: Actor | None = None


class UploadPart(Wire):
    upload_id: str = Field(min_length=1, max_length=40)
    offset: int = Field(ge=0)
    data: str = Field(max_length=700_000, description="base64")


class FinishUpload(Wire):
    upload_id: str = Field(min_length=1, max_length=40)
    actor: Actor | None = None


class ReadAttachment(Wire):
    attachment_id: str = Field(min_length=1, max_length=40)
    notice_id: str | None = Field(default=None, description="read it as listed on this notice (scope: who sees it)")
    offset: int = Field(default=0, ge=0)
    length: int = Field(default=0, ge=0, le=512 * 1024, description="0: metadata only")
    actor: Actor | None = None


# ---------------------------------------------------------------- queries
# Requests that change nothing; the actor decides what is visible.


class NoticeQuery(Wire):
    notice_id: str
    actor: Actor | None = None


class UnitNoticesQuery(Wire):
    """A unit's 收文 or 发文; without ``unit_id``, the actor's unit (or every unit for internal callers)."""

    unit_id: Slug | None = None
    actor: Actor | None = None


class UnitQuery(Wire):
    unit_id: Slug
    actor: Actor | None = None
