"""The draft a received 公文 becomes: every field with its confidence and source span.

Spans are (start, end) offsets into the extracted text (``ImportedDraft.text``
of the outermost draft; an upstream notice's spans point into the same text).
A field that was not found is absent (None or an empty list): nothing is
invented. Confidence says how a value was found: 0.9–1.0 from an explicit
label or the fixed layout of a 公文 (版头, a 文号 line, "联系人："), 0.6–0.8
from its position or a cross-check, below that a guess.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.schemas import AskKind, UnitKind

Span = tuple[int, int]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Found[T](Model):
    """One extracted value."""

    value: T
    confidence: float = Field(ge=0, le=1)
    span: Span
    how: str = Field(default="", description="where it was read, e.g. 版头, 标签, 落款, 推断")


class DirectoryUnit(Model):
    """A unit of the caller's directory that issuers and destinations are matched to."""

    unit_id: str
    name: str
    short_names: list[str] = []
    kind: UnitKind = UnitKind.other


class Issuer(Model):
    """A 发文机关: the name as written, and the directory unit it matched (if a directory was given)."""

    name: str
    unit_id: str | None = None
    unit_name: str | None = None
    kind: UnitKind | None = None
    confidence: float = Field(ge=0, le=1)
    span: Span
    how: str = ""


class KindMention(Model):
    """A kind of unit named in the text ("各地级以上市科协" → 科协)."""

    kind: UnitKind
    text: str
    confidence: float = Field(ge=0, le=1)
    span: Span


class AttachmentName(Model):
    no: int | None = None
    name: str
    confidence: float = Field(ge=0, le=1)
    span: Span


class ContactPerson(Model):
    name: str
    office_phone: str | None = None
    mobile: str | None = None
    confidence: float = Field(ge=0, le=1)
    span: Span


class ContactBlock(Model):
    """A 联系方式 block: the department it belongs to, its people, and what they share."""

    department: str | None = None
    people: list[ContactPerson] = []
    office_phones: list[str] = []
    mobiles: list[str] = []
    fax: str | None = None
    emails: list[str] = []
    address: str | None = None
    confidence: float = Field(ge=0, le=1)
    span: Span


class ReceivedStamp(Model):
    """收文 stamp: "青海省科协 收文ZKd-120号 2021年4月25日"."""

    unit: str | None = None
    number: str | None = None
    date: dt.date | None = None
    confidence: float = Field(ge=0, le=1)
    span: Span


class ItemRange(Model):
    min_items: int | None = None
    max_items: int | None = None
    approx: bool = False


class CharLimit(Model):
    max_chars: int
    approx: bool = False  # "2000字左右": a guide


class FileFormats(Model):
    types: list[str] = []
    stamped: bool = False
    paper_copies: int | None = None


class DraftFields(Model):
    issuers: list[Issuer] = []
    doc_number: Found[str] | None = None
    title: Found[str] | None = None
    recipients: Found[str] | None = Field(default=None, description="主送机关 as written")
    recipient_kinds: list[KindMention] = []
    date: Found[dt.date] | None = Field(default=None, description="成文日期")
    printed: Found[dt.date] | None = Field(default=None, description="印发日期 (版记)")
    body: Found[str] | None = Field(default=None, description="正文")
    attachments: list[AttachmentName] = []
    contacts: list[ContactBlock] = []
    cc: Found[str] | None = Field(default=None, description="抄送")
    received: ReceivedStamp | None = None


class ImportedAsk(Model):
    """报送要求 as read from one sentence of the notice."""

    ask_id: str
    kind: Found[AskKind]
    title: Found[str]
    items: list[str] = Field(default=[], description="what is to be reported, as written")
    deadline: Found[AwareDatetime] | None = None
    deadline_date: dt.date | None = None
    window_start: dt.date | None = Field(default=None, description="a range (5月10日至6月20日): its first day")
    recurrence: str | None = Field(default=None, description="每季度末…: the deadline is its next occurrence")
    unit_kinds: list[KindMention] = Field(default=[], description="who owes it; empty: every recipient")
    owed_by: str = Field(default="", description="the words naming who owes it")
    chars: Found[CharLimit] | None = None
    item_range: Found[ItemRange] | None = None
    formats: Found[FileFormats] | None = None
    send_to: list[str] = Field(default=[], description="where it is sent, as written (a department, an e-mail)")
    note: str = ""
    confidence: float = Field(ge=0, le=1)
    span: Span


class ImportedRoute(Model):
    """A routing sentence: these kinds of unit submit to that department."""

    unit_kinds: list[KindMention] = Field(default=[], description="empty: everyone who owes the asks")
    destination: str
    organisation: str | None = None
    department: str | None = None
    to_unit_id: str | None = None
    to_unit_name: str | None = None
    ask_ids: list[str] = []
    confidence: float = Field(ge=0, le=1)
    span: Span
    how: str = ""


class DraftWarning(Model):
    field: str | None = None
    message: str


class ImportedDraft(Model):
    """A received notice as a draft to review: a 转发 draft when it forwards or carries an upstream notice."""

    kind: Literal["notice", "forward"] = "notice"
    text: str | None = Field(default=None, description="the extracted text (outermost draft only)")
    segment: Span
    fields: DraftFields
    asks: list[ImportedAsk] = []
    routes: list[ImportedRoute] = []
    upstream: ImportedDraft | None = None
    stub: bool = Field(default=False, description="known only from the 转发 title or a citation, not its text")
    warnings: list[DraftWarning] = []

    def chain(self) -> list[ImportedDraft]:
        """This draft and every upstream one, this first."""
        out: list[ImportedDraft] = []
        d: ImportedDraft | None = self
        while d is not None:
            out.append(d)
            d = d.upstream
        return out


ImportedDraft.model_rebuild()
