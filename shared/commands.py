"""Commands: imperatives sent over request/reply, one model per command.

The gateway validates a command's shape (HTTP 422 names the field); the owning
service checks the rules that need its data (unknown recipient, duplicate
文号…) and answers with a ``Reply``.
"""

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from .paging import PageQuery
from .schemas import Commendation, Slug, Wire
from .contracts.common import Actor


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
