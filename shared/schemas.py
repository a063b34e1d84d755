"""Value objects shared by events and commands: plain data, no behaviour.

They describe a notice as it travels between services and nodes. Each service
keeps its own documents; these are the shapes on the wire.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from .ids import SLUG_PATTERN

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
# A calendar day (成文日期, 印发日期): ISO text when dumped, so the store (which has no date type) keeps it as is.
Day = Annotated[date, PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="always")]


class Wire(BaseModel):
    """Base of every wire model: unknown fields are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    """What a user may do; a user holds one or more, always within its own unit."""

    admin = "admin"  # node admin: directory, users, channels, templates
    issuer = "issuer"  # compose, issue, forward, chase (催办)
    reviewer = "reviewer"  # accept/return submissions, select, compile (汇总)
    submitter = "submitter"  # acknowledge (签收), submit for its own unit only
    signer = "signer"  # 签发人: approves its unit's drafts (签发) and co-signs joint ones (会签)


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
    mark_name: str = Field(
        default="", max_length=40, description="its 发文机关标志: the full or standard short name (empty: the name)"
    )


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


class UpwardMode(StrEnum):
    """How a forwarding level sends up what it accepted for an inherited ask (ForwardNotice.upward)."""

    compile = "compile"  # 逐级汇总: the level compiles its own answer (汇总)
    direct = "direct"  # 直接上报: each accepted submission goes up by itself, keeping its source unit
    select = "select"  # 择优上报: the reviewer picks up to ``limit`` accepted submissions to send up


UPWARD_LABELS = {UpwardMode.compile: "逐级汇总", UpwardMode.direct: "直接上报", UpwardMode.select: "择优上报"}


class UpwardPolicy(Wire):
    mode: UpwardMode = UpwardMode.compile
    limit: int | None = Field(
        default=None, ge=1, le=100, description="择优上报: at most this many (default: the ask's max_items)"
    )


class Signature(Wire):
    """签发 by the lead issuer's 签发人, or 会签 by a co-issuer's: who signed for the unit, and when."""

    unit_id: Slug
    unit_name: str
    lead: bool = False
    signed_by: str
    signed_at: AwareDatetime
    comment: str = Field(default="", max_length=2000)


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


Urgency = Literal["特急", "加急"]


class DocumentElements(Wire):
    """How a notice prints as a 公文, beyond its 文号, title and text (《党政机关公文处理工作条例》 §9).

    Every field may be left out: the 主送机关 then follows from the recipients' kinds
    (``shared.document_elements.default_addressees``), the 附件说明 from the attachments.
    """

    addressees: str = Field(
        default="",
        max_length=2000,
        description="主送机关 as written, e.g. 各地级以上市科协、科技局（委）; empty: from the recipients' kinds",
    )
    copy_to: list[ShortText] = Field(default=[], max_length=50, description="抄送机关, in order")
    printed_by: str = Field(default="", max_length=100, description="印发机关, e.g. 广东省科学技术协会办公室")
    printed_on: Day | None = Field(default=None, description="印发日期; empty: the 成文日期")
    urgency: Urgency | None = Field(default=None, description="紧急程度")
    attachment_names: list[ShortText] | None = Field(
        default=None, max_length=50, description="附件说明, numbered in order; null: the attachments' names"
    )
    notes: str = Field(default="", max_length=1000, description="附注 besides the contacts, e.g. 此件公开发布")
    signers: list[ShortText] = Field(
        default=[], max_length=10, description="签发人, for a notice to a higher level (上行文)"
    )


class ChainLink(DocumentElements):
    """One level of a forwarding chain: the original, then each 转发; with what its 公文 printed, so a 转发
    carries the levels above it as its 附件 wherever it is read."""

    notice_id: str
    doc_number: str
    issuer_name: str
    node_id: Slug
    issued_at: AwareDatetime
    title: str = ""
    issuer_unit_id: str = ""
    issuers: list[UnitRef] = Field(default=[], description="every issuer, the lead first (标志 and 署名)")
    cover_note: LongText = Field(default="", description="a 转发's own text (the original's is the notice's body)")
    contacts: list[Contact] = []
    signed_on: Day | None = Field(default=None, description="成文日期, when the level recorded one")


class NoticeSnapshot(DocumentElements):
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
    signed_by: str = Field(default="", description="签发人: who signed the notice for its lead issuer")
    signed_at: AwareDatetime | None = None
    signed_on: Day | None = Field(default=None, description="成文日期: the day of the last signature (签发 or 会签)")
    signatures: list[Signature] = Field(default=[], description="签发 and each co-issuer's 会签, in order")
    revision: int = Field(default=1, ge=1, description="1 as issued; each 更正 adds one")
    route_units: list[UnitRef] = Field(
        default=[], description="the units the asks' routes name, so any level shows them by name"
    )
    upward: dict[Slug, UpwardPolicy] = Field(
        default={}, description="a 转发: ask_id → how this level sends up what it accepts (missing: 逐级汇总)"
    )


class Contribution(Wire):
    """One subordinate's accepted submission included in a compiled report (汇总)."""

    submission_id: str
    unit_id: Slug
    unit_name: str
    revision: int = Field(ge=1)
    items: int = Field(ge=0, description="how many of the report's items came from it")
    contributions: list["Contribution"] = Field(
        default=[],
        description="when it was itself a 汇总 (or an item sent up by itself): whose items it held, in order after "
        "its unit's own, so every level of a 汇总 keeps each item's source unit",
    )


class DraftPreview(Wire):
    """A draft as its 签发人 read it before signing (签发, 会签): the notice it would issue, without its 文号.

    It travels with a request for 会签 to the node hosting a co-issuer, so it names recipients by name only
    (at most ``MAX_PREVIEW_NAMES``; ``recipient_count`` says how many there are).
    """

    kind: Literal["notice", "forward"]
    title: str
    issuers: list[UnitRef] = Field(min_length=1, description="the lead first, then the co-issuers")
    recipient_names: list[str] = []
    recipient_count: int = Field(default=0, ge=0)
    doc_number: str = Field(default="", description="a 文号 given by hand; empty: allocated when it is issued")
    body: LongText = ""
    cover_note: LongText = ""
    asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    upstream: ChainLink | None = Field(default=None, description="a 转发: the notice it forwards")


MAX_PREVIEW_NAMES = 200
