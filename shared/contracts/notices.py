"""The notices service's contract: the directory, attachments, issuing, 转发, 更正/撤回, 签收, 收文 and 发文.

Requests are commands (imperatives) and queries; replies are views of what
the service stores. ``Notices`` lists every action; an instance is the client.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from ..paging import Page, PageQuery
from ..schemas import (
    Ask,
    Attachment,
    ChainLink,
    Contact,
    Day,
    DocumentElements,
    DraftPreview,
    LongText,
    Route,
    ShortText,
    Signature,
    Slug,
    UnitKind,
    UnitRef,
    UpwardPolicy,
    Urgency,
    Wire,
)
from .base import Contract, command, query
from .common import Actor, Empty, NoticeQuery, UnitNoticesQuery
from .intake import DocumentRead, ReadDocument
from .views import View

# ---------------------------------------------------------------- the directory


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
    requires_signing: bool = Field(
        default=False, description="its notices and 转发 need 签发: drafted, then signed by a 签发人 before issue"
    )
    mark_name: str | None = Field(
        default=None,
        max_length=40,
        description="发文机关标志: the full or standard short name before 文件 (e.g. 中国科协); empty: the name",
    )


class DeleteUnit(Wire):
    unit_id: Slug
    actor: Actor | None = None


class UnitQuery(Wire):
    unit_id: Slug
    actor: Actor | None = None


class UnitsQuery(Wire):
    """A page of the directory, by name; optionally one kind, or the units under one parent."""

    kind: UnitKind | None = None
    parent_id: Slug | None = None
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class ImportUnits(Wire):
    """Replace-or-add directory entries from a CSV or YAML file: all rows or none."""

    format: Literal["csv", "yaml"]
    content: str = Field(max_length=900_000, description="the file's text (UTF-8)")
    actor: Actor | None = None


class ExportUnits(Wire):
    format: Literal["csv", "yaml"]
    actor: Actor | None = None


class Unit(View):
    """A directory entry."""

    id: str
    name: str
    kind: UnitKind
    parent_id: str | None = None
    node_id: str | None = None
    runs_own_node: bool = False
    contacts: list[Contact] = []
    departments: list[str] = []
    doc_number_template: str | None = None
    external: bool = Field(
        default=False, description="not in this directory: a unit of another level known from a notice received"
    )
    requires_signing: bool = False
    mark_name: str | None = None


class Units(View):
    items: list[Unit]


class UnitDeleted(View):
    unit_id: str
    deleted: bool


class RowProblem(View):
    """A row of an import file that is refused: its line, the field and why."""

    line: int
    field: str | None = None
    message: str


class Imported(View):
    imported: int
    written: int = 0
    errors: list[RowProblem] = []


class Exported(View):
    format: Literal["csv", "yaml"]
    content: str
    count: int


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
    """An attachment's metadata, and whether its bytes are on this node, if the actor may see it."""

    attachment_id: str = Field(min_length=1, max_length=40)
    notice_id: str | None = Field(default=None, description="read it as listed on this notice (scope: who sees it)")
    actor: Actor | None = None


class ReadBlob(Wire):
    """Bytes of a stored file, by checksum: asked by the gateway once it has decided the caller may see the file."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    offset: int = Field(default=0, ge=0)
    length: int = Field(default=0, ge=0, le=512 * 1024, description="0: only whether the bytes are here")


class UploadBegun(View):
    """Either an upload to send the parts of, or the attachment at once (its content is here already)."""

    upload_id: str | None = None
    attachment: Attachment | None = None


class UploadProgress(View):
    upload_id: str
    received: int


class Uploaded(View):
    attachment: Attachment


class AttachmentInfo(View):
    attachment_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    original_of: str | None = None
    available: bool


class BlobPiece(View):
    available: bool
    data: str | None = Field(default=None, description="base64, when a piece was asked for")


# ---------------------------------------------------------------- issuing, 转发, 更正, 撤回, 签收


class IssueNotice(DocumentElements):
    """发文. The 公文 elements (主送机关, 抄送, 印发, 紧急程度, 附件说明, 附注, 签发人) are optional: see
    ``DocumentElements``."""

    title: ShortText
    issuer_unit_ids: list[Slug] = Field(min_length=1, description="joint issue lists several; the first leads")
    recipient_unit_ids: list[Slug] = Field(min_length=1, max_length=20_000)
    body: LongText = ""
    doc_number: str | None = Field(default=None, max_length=60, description="leave empty to allocate the next one")
    asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    actor: Actor | None = None


class ForwardNotice(DocumentElements):
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
    upward: dict[Slug, UpwardPolicy] = Field(
        default={},
        description="inherited ask_id → how this level sends up what it accepts: compile (逐级汇总, the default), "
        "direct (直接上报: each accepted submission at once, keeping its source unit), select (择优上报: "
        "the reviewer picks up to limit)",
    )
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
    addressees: str | None = Field(default=None, max_length=2000, description="主送机关")
    copy_to: list[ShortText] | None = Field(default=None, max_length=50, description="抄送机关")
    printed_by: str | None = Field(default=None, max_length=100, description="印发机关")
    printed_on: Day | None = Field(default=None, description="印发日期")
    urgency: Urgency | Literal[""] | None = Field(default=None, description="紧急程度 (empty text: taken off)")
    attachment_names: list[ShortText] | None = Field(default=None, max_length=50, description="附件说明")
    notes: str | None = Field(default=None, max_length=1000, description="附注 besides the contacts")
    signers: list[ShortText] | None = Field(default=None, max_length=10, description="签发人")
    actor: Actor | None = None


class WithdrawNotice(Wire):
    """撤回: recipients see the notice as withdrawn, with the reason."""

    notice_id: str
    reason: str = Field(min_length=1, max_length=2000)
    actor: Actor | None = None


class AcknowledgeNotice(Wire):
    notice_id: str
    unit_id: Slug
    actor: Actor | None = None


class Issued(View):
    """A notice issued or forwarded: its id and 文号, how many recipients, and what the issuer should know."""

    notice_id: str
    doc_number: str
    recipients: int
    warnings: list[dict[str, Any]] = []


class Corrected(View):
    notice_id: str
    revision: int
    changed: list[str]


class Withdrawn(View):
    notice_id: str
    status: str


# ---------------------------------------------------------------- reading


class TrackingQuery(Wire):
    """A page of the issuer's 签收 table of one notice: those who have not signed first."""

    notice_id: str
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class Change(View):
    """A 更正 or 撤回 of a notice, as its readers see it."""

    kind: Literal["corrected", "withdrawn"]
    reason: str
    at: AwareDatetime
    by: str = ""
    revision: int | None = None
    changed: list[str] = []


class UpstreamChange(View):
    """A 更正 or 撤回 above a 转发 in its chain."""

    change_id: str
    kind: Literal["corrected", "withdrawn"]
    reason: str
    at: AwareDatetime
    by: str = ""
    revision: int | None = None
    notice_id: str
    doc_number: str


class ForwardLink(View):
    """How a 转发 is listed on the notice it forwards (下级转发) and in its issuer's 签收 table (已转发)."""

    notice_id: str
    doc_number: str
    unit_id: str
    unit_name: str
    issued_at: AwareDatetime
    node_id: str
    recipients: int = 0
    unit_ids: list[str] = Field(default=[], description="every forwarding unit of a joint 转发, the lead first")
    unit_names: list[str] = []
    upward: dict[str, UpwardPolicy] = Field(default={}, description="ask_id → the level's policy (missing: 逐级汇总)")


class InboxEntry(View):
    """收文: a notice as one recipient unit holds it."""

    id: str
    notice_id: str
    unit_id: str
    doc_number: str
    title: str
    issuer_name: str
    issuer_node: str | None = None
    root_notice_id: str | None = None
    kind: Literal["issued", "forwarded"]
    issued_at: AwareDatetime
    received_at: AwareDatetime
    next_deadline: AwareDatetime | None = None
    status: str = "issued"
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None
    signed: bool = False
    change: Change | None = None
    forwarded: dict[str, ForwardLink] = {}
    upstream_change: UpstreamChange | None = None


class SentNotice(View):
    """发文: a notice the unit issued or forwarded, with its 签收 count."""

    id: str
    doc_number: str
    title: str
    kind: Literal["issued", "forwarded"]
    status: str
    revision: int
    issuer_name: str
    issued_at: AwareDatetime
    recipients: int
    acknowledged: int
    parent_notice_id: str | None = None
    upstream_change: UpstreamChange | None = None


class Viewer(View):
    """Who reads the notice: the caller's unit, whether it issued it, and its inbox entry if it received it."""

    unit_id: str
    is_issuer: bool
    inbox: InboxEntry | None = None


class NoticeView(View):
    """A notice as a unit that issued or received it sees it, with its chain and the 转发 made of it here."""

    id: str
    doc_number: str
    title: str
    issuers: list[UnitRef]
    body: str = ""
    cover_note: str = ""
    asks: list[Ask] = []
    contacts: list[Contact] = []
    attachments: list[Attachment] = []
    recipients: list[UnitRef] = []
    recipient_count: int = 0
    addressees: str = Field(default="", description="主送机关")
    copy_to: list[str] = Field(default=[], description="抄送机关")
    printed_by: str = Field(default="", description="印发机关")
    printed_on: Day | None = Field(default=None, description="印发日期")
    urgency: Urgency | None = Field(default=None, description="紧急程度")
    attachment_names: list[str] | None = Field(default=None, description="附件说明 (null: the attachments' names)")
    notes: str = Field(default="", description="附注 besides the contacts")
    signers: list[str] = Field(default=[], description="签发人")
    parent_notice_id: str | None = None
    root_notice_id: str
    chain: list[ChainLink] = []
    issued_at: AwareDatetime
    issued_by: str = ""
    signed_by: str = Field(default="", description="签发人 (a notice issued from a signed draft)")
    signed_at: AwareDatetime | None = None
    signed_on: Day | None = Field(default=None, description="成文日期: the day of the last signature")
    signatures: list[Signature] = Field(default=[], description="签发 and each co-issuer's 会签")
    revision: int = 1
    kind: Literal["issued", "forwarded"]
    origin: Literal["local", "received"]
    status: str = "issued"
    issuer_unit_ids: list[str] = []
    history: list[Change] = []
    last_change: Change | None = None
    forwards: dict[str, ForwardLink] = {}
    upward: dict[str, UpwardPolicy] = Field(
        default={}, description="a 转发: ask_id → how this level sends up what it accepts (missing: 逐级汇总)"
    )
    warnings: list[dict[str, Any]] = []
    received_at: datetime | None = None
    upstream_changes: list[UpstreamChange] = []
    upstream_change: UpstreamChange | None = None
    viewer: Viewer | None = None


class Receipt(View):
    """One recipient in the issuer's 签收 table."""

    unit_id: str
    name: str
    kind: UnitKind
    node_id: str
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None
    forwarded: list[ForwardLink] = []


class Tracking(View):
    """The issuer's 签收 table: the counts over every recipient, and one page of the recipients."""

    notice_id: str
    doc_number: str
    title: str
    status: str
    total: int
    acknowledged: int
    pending: int
    page: Page[Receipt]


class FormTemplate(View):
    """A form the ask editor offers (活动筹备方案, 联络员回执表, 总结报告, 影像资料)."""

    template_id: str
    kind: str
    title: str
    min_items: int
    max_items: int
    fields: list[dict[str, Any]]


class FormTemplates(View):
    items: list[FormTemplate]


# ---------------------------------------------------------------- drafts: 拟稿 → 签发, and 会签 of joint notices

DraftStatus = Literal["draft", "submitted", "returned", "issuing", "issued"]
SignatureStatus = Literal["pending", "signed", "refused", "cancelled"]


class NoticeDraft(IssueNotice):
    """A draft notice: the fields of ``IssueNotice`` (``actor`` is not read); the recipients may wait until it is
    sent for 签发."""

    recipient_unit_ids: list[Slug] = Field(default=[], max_length=20_000)


class ForwardDraft(ForwardNotice):
    """A draft 转发: the fields of ``ForwardNotice`` (``actor`` is not read; ``unit_id`` is the drafting unit)."""

    recipient_unit_ids: list[Slug] = Field(default=[], max_length=20_000)


class CreateDraft(Wire):
    """拟稿: a draft of a notice (``notice``: the body of POST /api/notices) or of a 转发 (``forward``: the body of
    POST /api/notices/{id}/forward, with its ``notice_id``); exactly one of the two. It is checked as issuing
    would check it, and gets its 文号 only when it is issued."""

    notice: NoticeDraft | None = None
    forward: ForwardDraft | None = None
    actor: Actor | None = None


class UpdateDraft(Wire):
    """Edit a draft that is not with its 签发人 (拟稿中, or 已退回): its whole content again. With ``version``, the
    edit is refused if the draft was saved since that version was read."""

    draft_id: str = Field(min_length=1, max_length=40)
    notice: NoticeDraft | None = None
    forward: ForwardDraft | None = None
    version: int | None = Field(default=None, ge=1)
    actor: Actor | None = None


class SubmitDraft(Wire):
    """送签发: the lead issuer's 签发人 are asked to sign (签发), and each co-issuer's (会签)."""

    draft_id: str = Field(min_length=1, max_length=40)
    version: int | None = Field(default=None, ge=1, description="refused if the draft was saved since")
    actor: Actor | None = None


class ApproveDraft(Wire):
    """签发 (a 签发人 of the lead issuer) or 会签 (of a co-issuer): the last signature issues the notice."""

    draft_id: str = Field(min_length=1, max_length=40)
    comment: str = Field(default="", max_length=2000)
    actor: Actor | None = None


class RejectDraft(Wire):
    """退回: a 签发人 sends the draft back to its drafter; ``reason`` is required."""

    draft_id: str = Field(min_length=1, max_length=40)
    reason: str = Field(default="", max_length=2000, description="what the drafter must change (required)")
    actor: Actor | None = None


class DraftQuery(Wire):
    draft_id: str = Field(min_length=1, max_length=40)
    actor: Actor | None = None


class DraftsQuery(Wire):
    """A page of drafts, newest first: ``mine`` the unit's own (optionally of one status), ``pending`` what waits
    for the unit's 签发人 (待签发), ``decided`` what they signed or sent back."""

    box: Literal["mine", "pending", "decided"] = "mine"
    status: DraftStatus | None = None
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class DraftSignature(View):
    """A signature a draft needs: the lead issuer's 签发 or a co-issuer's 会签, and how it stands."""

    unit_id: str
    unit_name: str
    node_id: str
    lead: bool = False
    status: SignatureStatus = "pending"
    by: str = ""
    at: AwareDatetime | None = None
    comment: str = ""


class DraftStep(View):
    """One step of a draft's history, with who, when and their comment."""

    action: Literal["created", "edited", "submitted", "signed", "refused", "issued", "failed"]
    by: str = ""
    unit_name: str = ""
    at: AwareDatetime
    comment: str = ""
    round: int = 0


class DraftViewer(View):
    """What the caller's unit is to the draft: its drafter, and the signature asked of it in the current round."""

    unit_id: str
    drafter: bool = False
    can_edit: bool = False
    signing: DraftSignature | None = None


class DraftView(View):
    """A draft as its drafting unit sees it (with its content, to edit) or as a unit asked to sign it does."""

    id: str
    kind: Literal["notice", "forward"]
    unit_id: str
    unit_name: str
    node_id: str
    status: DraftStatus
    version: int = 1
    round: int = 0
    title: str
    preview: DraftPreview
    notice: NoticeDraft | None = None
    forward: ForwardDraft | None = None
    drafted_by: str = ""
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    submitted_at: AwareDatetime | None = None
    signatures: list[DraftSignature] = []
    history: list[DraftStep] = []
    returned: DraftStep | None = Field(default=None, description="the last refusal: who sent it back and why")
    notice_id: str | None = Field(default=None, description="the notice issued from it")
    doc_number: str = ""
    signed_by: str = ""
    signed_at: AwareDatetime | None = None
    signed_on: Day | None = None
    viewer: DraftViewer | None = None


class DraftRow(View):
    """A draft in a list: the unit's own (its status), or a request to its 签发人 (``signature``)."""

    id: str
    kind: Literal["notice", "forward"]
    title: str
    unit_id: str
    unit_name: str
    status: DraftStatus | SignatureStatus
    drafted_by: str = ""
    updated_at: AwareDatetime
    round: int = 0
    lead: bool | None = Field(default=None, description="a request: 签发 (true) or 会签 (false)")
    notice_id: str | None = None
    doc_number: str = ""
    comment: str = ""


class Notices(Contract):
    service = "notices"

    upsert_unit = command(UpsertUnit, Unit, "Create or replace an org unit in the directory")
    delete_unit = command(DeleteUnit, UnitDeleted, "Remove an org unit that has no subordinate units")
    all_units = query(Empty, Units, "The whole directory (pickers and exports: it grows with the organisation)")
    units_page = query(UnitsQuery, Page[Unit], "A page of the directory by name, optionally of one kind or parent")
    get_unit = query(UnitQuery, Unit, "One org unit")
    import_units = command(
        ImportUnits, Imported, "Import org units from CSV or YAML: all rows or none, errors with line numbers"
    )
    export_units = query(ExportUnits, Exported, "The directory as CSV or YAML")

    begin_upload = command(
        BeginUpload, UploadBegun, "Start an upload: size and type limits checked before any byte moves"
    )
    upload_part = command(UploadPart, UploadProgress, "One part of an upload (base64, written at its offset)")
    finish_upload = command(FinishUpload, Uploaded, "Verify an upload's size, SHA-256 and type; store it by checksum")
    read_attachment = query(ReadAttachment, AttachmentInfo, "An attachment's metadata, and whether its bytes are here")
    read_blob = query(ReadBlob, BlobPiece, "Whether a file's bytes are here, or one piece of them")

    issue = command(IssueNotice, Issued, "Issue a notice: allocate its 文号, store it, publish notice.issued")
    forward = command(
        ForwardNotice, Issued, "转发: re-issue a received notice to subordinates; publish notice.forwarded"
    )
    correct = command(CorrectNotice, Corrected, "更正: change an issued notice; publish notice.corrected")
    withdraw = command(WithdrawNotice, Withdrawn, "撤回: withdraw an issued notice; publish notice.withdrawn")
    acknowledge = command(
        AcknowledgeNotice, InboxEntry, "签收: a recipient acknowledges a notice; publish notice.acknowledged"
    )

    sent = query(
        UnitNoticesQuery,
        Page[SentNotice],
        "发文: a page of the notices a unit issued or forwarded, newest first, with 签收 counts",
    )
    inbox = query(
        UnitNoticesQuery, Page[InboxEntry], "收文: a page of a unit's inbox, not yet signed first, newest first"
    )
    get = query(NoticeQuery, NoticeView, "One notice, with its chain and the notices forwarded from it here")
    tracking = query(
        TrackingQuery, Tracking, "签收 tracking: a page of the recipients, not yet signed first, and the counts"
    )
    form_templates = query(Empty, FormTemplates, "Form templates offered by the ask editor")

    create_draft = command(
        CreateDraft, DraftView, "拟稿: save a draft of a notice or a 转发, checked as issuing would (no 文号 yet)"
    )
    update_draft = command(UpdateDraft, DraftView, "Edit a draft that is not with its 签发人 (拟稿中, 已退回)")
    submit_draft = command(
        SubmitDraft, DraftView, "送签发: ask the lead's 签发 and each co-issuer's 会签; publish draft.signing_requested"
    )
    approve_draft = command(
        ApproveDraft, DraftView, "签发/会签 by a 签发人 asked to sign; the last signature issues the notice"
    )
    reject_draft = command(
        RejectDraft, DraftView, "退回: a 签发人 sends the draft back to its drafter, with the reason"
    )
    get_draft = query(DraftQuery, DraftView, "One draft, as its drafting unit or a unit asked to sign it sees it")
    drafts = query(DraftsQuery, Page[DraftRow], "A page of drafts: the unit's own, 待签发 or decided by its 签发人")
    read_document = query(
        ReadDocument,
        DocumentRead,
        "导入公文: read a received 公文 (text, or a .txt/.docx/.pdf the unit uploaded) into draft fields; nothing stored",
    )
