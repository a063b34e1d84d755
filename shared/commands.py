"""Commands: imperatives sent over request/reply, one model per command.

The gateway validates a command's shape (HTTP 422 names the field); the owning
service checks the rules that need its data (unknown recipient, duplicate
文号…) and answers with a ``Reply``.
"""

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from .errors import Problem
from .paging import PageQuery
from .schemas import (
    Ask,
    Attachment,
    Commendation,
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
    """An attachment's metadata, and whether its bytes are on this node, if the actor may see it."""

    attachment_id: str = Field(min_length=1, max_length=40)
    notice_id: str | None = Field(default=None, description="read it as listed on this notice (scope: who sees it)")
    actor: Actor | None = None


class ReadBlob(Wire):
    """Bytes of a stored file, by checksum: asked by the gateway once it has decided the caller may see the file."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    offset: int = Field(default=0, ge=0)
    length: int = Field(default=0, ge=0, le=512 * 1024, description="0: only whether the bytes are here")


# ---------------------------------------------------------------- queries
# Requests that change nothing; the actor decides what is visible.


class NoticeQuery(Wire):
    notice_id: str
    actor: Actor | None = None


class UnitNoticesQuery(Wire):
    """A page of a unit's 收文, 发文 or 报送; without ``unit_id``, the actor's unit (or every unit for internal
    callers)."""

    unit_id: Slug | None = None
    year: int | None = Field(default=None, ge=2000, le=2100, description="only notices issued in this year")
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class UnitsQuery(Wire):
    """A page of the directory, by name; optionally one kind, or the units under one parent."""

    kind: UnitKind | None = None
    parent_id: Slug | None = None
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class TrackingQuery(Wire):
    """A page of the issuer's 签收 table of one notice: those who have not signed first."""

    notice_id: str
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class UnitQuery(Wire):
    unit_id: Slug
    actor: Actor | None = None


# ---------------------------------------------------------------- submissions (报送, 审核, 汇总, 催办)

ItemList = Annotated[list[dict[str, Any]], Field(max_length=100, description="one object per item, keyed by the ask's form fields")]


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


class ReviewQuery(Wire):
    """A page of the submissions routed to the actor's unit (审核): those to review first, then the decided;
    optionally of one notice or in one state."""

    notice_id: str | None = None
    status: Literal["submitted", "returned", "accepted"] | None = None
    page: PageQuery = PageQuery()
    actor: Actor | None = None


class StatisticsQuery(Wire):
    """办理情况统计: how the units an issuer addressed handled its notices of one year."""

    unit_id: Slug
    year: int = Field(ge=2000, le=2100)


class SubmissionTableQuery(Wire):
    """汇总表: every submission of one ask routed to the actor's unit, with the items of its latest revision."""

    notice_id: str = Field(min_length=1, max_length=200)
    ask_id: Slug
    actor: Actor | None = None


# ---------------------------------------------------------------- notifications: channels and templates (node admin)

NotificationChannel = Literal["email", "sms", "chat"]
NotificationCause = Literal["notice.issued", "notice.forwarded", "notice.corrected", "notice.withdrawn",
                            "deadline.approaching", "deadline.missed", "submission.returned"]
_CONTROL = set(chr(c) for c in range(32)) | {"\x7f"}


def _plain_line(value: str | None, what: str) -> str | None:
    """One line of text: a sender name or signature ends up in message headers, so no control characters."""
    if value is not None and _CONTROL & set(value):
        raise ValueError(f"{what}不能包含换行或控制字符")
    return value


def _http_url(value: str | None) -> str | None:
    """An absolute http(s) URL with a host, no credentials, no spaces or control characters."""
    from urllib.parse import urlsplit

    if value is None or not value.strip():
        return None
    value = value.strip()
    if _CONTROL & set(value) or " " in value:
        raise ValueError("网址不能包含空格或控制字符")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("须为 http:// 或 https:// 开头的完整网址")
    if parts.username or parts.password:
        raise ValueError("网址中不能包含用户名或密码")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise ValueError("网址中的端口无效") from exc
    return value


class EmailChannel(Wire):
    """电子邮件: the sender's address and name (the SMTP server and its password stay in the service's settings)."""

    enabled: bool = True
    sender: str = Field(default="cascade@localhost", max_length=200, pattern=r"^[^@\s]+@[^@\s]+$",
                        description="From address")
    sender_name: str = Field(default="", max_length=60, description="From name, e.g. 广东省科协组织联络部")
    reply_to: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    @field_validator("sender_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _plain_line(v, "发件人名称") or ""


class SmsChannel(Wire):
    """短信: the signature the SMS gateway puts in 【】 (the gateway's keys stay in the service's settings)."""

    enabled: bool = True
    signature: str = Field(default="", max_length=16, description="短信签名 without 【】, e.g. 广东省科协")

    @field_validator("signature")
    @classmethod
    def _signature(cls, v: str) -> str:
        v = _plain_line(v, "短信签名") or ""
        if set("【】[]") & set(v):
            raise ValueError("短信签名不含【】，发送时自动加上")
        return v.strip()


class ChatChannel(Wire):
    """群聊机器人: one message per unit to the node's group webhook (企业微信, 钉钉, 飞书 or any HTTP endpoint)."""

    enabled: bool = False
    webhook_url: str | None = Field(default=None, max_length=500, description="http(s) URL of the webhook")

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _http_url(v)


class UpdateChannels(Wire):
    """The node's notification channels: which are enabled, and their non-secret parameters."""

    email: EmailChannel = EmailChannel()
    sms: SmsChannel = SmsChannel()
    chat: ChatChannel = ChatChannel()
    public_url: str | None = Field(default=None, max_length=200,
                                   description="this node's web address, for links in messages (https://…)")
    actor: Actor | None = None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        return _http_url(v)


class UpdateTemplate(Wire):
    """A message template for one cause and channel (Jinja2, sandboxed; the variables of the cause only)."""

    cause: NotificationCause
    channel: NotificationChannel
    subject: str = Field(default="", max_length=200, description="one line; e-mail and chat only")
    body: str = Field(min_length=1, max_length=4000)
    actor: Actor | None = None


class ResetTemplate(Wire):
    """Go back to the built-in template of a cause and channel."""

    cause: NotificationCause
    channel: NotificationChannel
    actor: Actor | None = None


class PreviewTemplate(Wire):
    """Render a template (the one given, else the current one) with sample values; nothing is stored."""

    cause: NotificationCause
    channel: NotificationChannel
    subject: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=4000)
    actor: Actor | None = None


class TemplateQuery(Wire):
    cause: NotificationCause | None = None
    channel: NotificationChannel | None = None
    actor: Actor | None = None
