"""Value objects shared by events and commands: plain data, no behaviour.

They describe a notice as it travels between services and nodes. Each service
keeps its own documents; these are the shapes on the wire.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from .ids import SLUG_PATTERN

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]


class Wire(BaseModel):
    """Base of every wire model: unknown fields are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    """What a user may do; a user holds one or more, always within its own unit."""

    admin = "admin"  # node admin: directory, users, channels, templates
    issuer = "issuer"  # compose, issue, forward, chase (催办)
    reviewer = "reviewer"  # accept/return submissions, select, compile (汇总)
    submitter = "submitter"  # acknowledge (签收), submit for its own unit only


class UnitKind(StrEnum):
    """Kinds of org units, as the notices address them ("各地级以上市科协、科技局…")."""

    kexie = "科协"
    keji = "科技厅/局"
    society = "学会/协会/研究会"
    university = "高校科协"
    enterprise = "企业科协"
    department = "机关部门"
    other = "其他"


class Contact(Wire):
    name: ShortText
    department: str | None = Field(default=None, max_length=100)
    office_phone: str | None = Field(default=None, max_length=60)
    mobile: str | None = Field(default=None, max_length=30)
    fax: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(default=None, max_length=300)


class UnitRef(Wire):
    """A snapshot of a directory entry, taken when a notice is issued."""

    unit_id: Slug
    name: ShortText
    kind: UnitKind
    node_id: Slug = Field(description="the node that hosts this unit (its own node, or the one it logs in to)")
    contacts: list[Contact] = []


class AskKind(StrEnum):
    plan = "plan"  # 活动筹备方案
    liaison_form = "liaison_form"  # 联络员回执表
    summary_report = "summary_report"  # 总结报告
    media = "media"  # 影像资料
    other = "other"


class Commendation(StrEnum):
    """评选: what the level that asked may commend a unit for, as seeds 002 and 003 say (予以通报表扬)."""

    organisation = "优秀组织单位"
    case = "优秀活动案例"
    contribution = "积极贡献单位"


class FieldType(StrEnum):
    text = "text"
    choice = "choice"
    multi_choice = "multi_choice"
    date = "date"
    number = "number"
    contact = "contact"
    file = "file"


class FormField(Wire):
    key: Slug
    label: ShortText
    type: FieldType
    required: bool = True
    max_chars: int | None = Field(default=None, ge=1, le=100_000)
    options: list[ShortText] = []
    min_value: float | None = None
    max_value: float | None = None
    accept: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,10}$")]] = Field(
        default=[], description="file fields: allowed extensions, e.g. pdf, docx (盖章PDF版和word版)"
    )
    help: str = Field(default="", max_length=500, description="guidance shown under the field")


class Route(Wire):
    """Which department of the issuer a kind of unit submits to.

    Seed 000: city 科技局 report to the 科技厅's 引进智力管理处, everyone else
    to the 科协's 组织联络部.
    """

    unit_kind: UnitKind
    to_unit_id: Slug
    department: ShortText


class Ask(Wire):
    """报送要求: what recipients must send back, by when, and to whom."""

    ask_id: Slug
    kind: AskKind
    title: ShortText
    fields: list[FormField] = []
    min_items: int = Field(default=1, ge=0, le=100)
    max_items: int = Field(default=1, ge=1, le=100)
    deadline: AwareDatetime
    unit_kinds: list[UnitKind] = Field(default=[], description="kinds that must answer; empty means every recipient")
    routes: list[Route] = []
    note: str = Field(default="", max_length=2000, description="requirements in words, e.g. 盖章PDF版和word版, 约3项")


class Attachment(Wire):
    """A file attached to a notice. The bytes live on disk, addressed by ``sha256``."""

    attachment_id: str = Field(min_length=1, max_length=40)
    filename: ShortText
    content_type: str = Field(max_length=100)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    original_of: str | None = Field(
        default=None, description="set on the copy of the forwarded notice that a 转发 carries (its notice id)"
    )


class ChainLink(Wire):
    """One level of a forwarding chain: the original, then each 转发."""

    notice_id: str
    doc_number: str
    issuer_name: str
    node_id: Slug
    issued_at: AwareDatetime
    title: str = ""
    issuer_unit_id: str = ""


class NoticeSnapshot(Wire):
    """A notice as issued: everything a recipient node needs to show and answer it."""

    notice_id: str
    doc_number: str
    title: ShortText
    issuers: list[UnitRef] = Field(min_length=1, description="joint issue lists several; the first is the lead issuer")
    body: LongText = ""
    cover_note: LongText = ""
    asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    recipients: list[UnitRef] = Field(min_length=1)
    parent_notice_id: str | None = None
    root_notice_id: str
    chain: list[ChainLink] = Field(default=[], description="earlier levels, original first")
    issued_at: AwareDatetime
    issued_by: str = ""
    revision: int = Field(default=1, ge=1, description="1 as issued; each 更正 adds one")


class Contribution(Wire):
    """One subordinate's accepted submission included in a compiled report (汇总)."""

    submission_id: str
    unit_id: Slug
    unit_name: str
    revision: int = Field(ge=1)
    items: int = Field(ge=0, description="how many of the report's items came from it")
