"""Commands: imperatives sent over request/reply, one model per command.

The gateway validates a command's shape (HTTP 422 names the field); the owning
service checks the rules that need its data (unknown recipient, duplicate
文号…) and answers with a ``Reply``.
"""

from typing import Any

from pydantic import AwareDatetime, Field

from .errors import Problem
from .schemas import (
    Ask,
    Attachment,
    Contact,
    LongText,
    Role,
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
    notice_id: str
    unit_id: Slug = Field(description="the recipient unit that forwards")
    title: ShortText | None = None
    cover_note: LongText = ""
    recipient_unit_ids: list[Slug] = Field(min_length=1, max_length=20_000)
    doc_number: str | None = Field(default=None, max_length=60)
    deadlines: dict[Slug, AwareDatetime] = Field(default={}, description="ask_id → the earlier deadline downstream")
    extra_asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    actor: Actor | None = None


class AcknowledgeNotice(Wire):
    notice_id: str
    unit_id: Slug
    actor: Actor | None = None
