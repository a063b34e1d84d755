"""The notifications service's contract: the delivery log of a notice and how sending went, and the node admin's
channels and message templates."""

import re
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from ..paging import Page, PageQuery
from ..schemas import Wire
from .base import Contract, command, query
from .common import Actor, Empty, NoticeQuery
from .views import View

# ---------------------------------------------------------------- channels and templates (node admin)

NotificationChannel = Literal["email", "sms", "chat"]
ChatProvider = Literal["auto", "wecom", "dingtalk", "feishu", "text"]
NotificationCause = Literal[
    "notice.issued",
    "notice.forwarded",
    "notice.corrected",
    "notice.withdrawn",
    "deadline.approaching",
    "deadline.missed",
    "submission.returned",
    "submission.arrived",
]
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
    sender: str = Field(
        default="cascade@localhost", max_length=200, pattern=r"^[^@\s]+@[^@\s]+$", description="From address"
    )
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
    provider: ChatProvider = Field(
        default="auto",
        description="the robot's message format: wecom (企业微信 markdown), dingtalk (钉钉 actionCard), feishu "
        "(飞书 card), text (plain JSON text); auto: from the webhook's host (others: text)",
    )

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _http_url(v)


class EscalationChannel(Wire):
    """提醒升级: a notice or reminder not answered within ``after_hours`` goes again on the next channel (e-mail →
    SMS → the group chat)."""

    after_hours: float | None = Field(
        default=None,
        ge=0,
        le=720,
        description="hours before the next round; 0: off; none: the service's setting (CASCADE_ESCALATE_AFTER_HOURS)",
    )


class UpdateChannels(Wire):
    """The node's notification channels: which are enabled, and their non-secret parameters."""

    email: EmailChannel = EmailChannel()
    sms: SmsChannel = SmsChannel()
    chat: ChatChannel = ChatChannel()
    escalation: EscalationChannel = EscalationChannel()
    public_url: str | None = Field(
        default=None, max_length=200, description="this node's web address, for links in messages (https://…)"
    )
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


class EmailSettings(View):
    """E-mail as the admin page shows it; ``server`` comes from the service's settings (``None``: not configured,
    messages are recorded as not sent)."""

    enabled: bool
    server: str | None = None
    sender: str
    sender_name: str = ""
    reply_to: str | None = None


class SmsSettings(View):
    enabled: bool
    server: str | None = None
    signature: str = ""


class ChatSettings(View):
    enabled: bool
    webhook_url: str | None = None
    provider: ChatProvider = "auto"


class EscalationSettings(View):
    """提醒升级 as the admin page shows it: the admin's hours (none: the service's), and what applies."""

    after_hours: float | None = None
    default_hours: float = Field(default=0.0, description="the service's setting (CASCADE_ESCALATE_AFTER_HOURS)")
    effective_hours: float = Field(default=0.0, description="what applies now; 0: off")


class SendingLimits(View):
    """The providers' limits the service sends within (its settings, the environment): per window of
    ``window_seconds``; 0: no limit of ours."""

    window_seconds: float
    chat: dict[str, int] = Field(description="per robot (webhook), by its kind: wecom, dingtalk, feishu, text")
    sms_per_minute: int
    email_per_minute: int
    sms_per_number_per_day: int


class Channels(View):
    email: EmailSettings
    sms: SmsSettings
    chat: ChatSettings
    escalation: EscalationSettings = EscalationSettings()
    limits: SendingLimits | None = None
    public_url: str | None = None
    updated_at: AwareDatetime | None = None
    updated_by: str | None = None
    enabled: list[str] | None = Field(default=None, description="after an update: the channels now sending")


class Template(View):
    """The message of one cause on one channel: the current text, the built-in one and the variables it may use."""

    cause: NotificationCause
    cause_label: str
    channel: NotificationChannel
    channel_label: str
    subject: str
    body: str
    is_default: bool
    default_subject: str
    default_body: str
    variables: dict[str, str] | list[str]
    updated_at: AwareDatetime | None = None
    updated_by: str | None = None


class Templates(View):
    items: list[Template]


class Preview(View):
    cause: NotificationCause
    channel: NotificationChannel
    subject: str
    body: str
    sample: dict[str, Any]


# ---------------------------------------------------------------- the delivery log

DeliveryStatus = Literal["sent", "pending", "retrying", "failed", "skipped"]


class DeliveriesQuery(Wire):
    """A page of the delivery log of one notice; each filter narrows it (the issuer's page offers them)."""

    notice_id: str
    channel: NotificationChannel | None = None
    status: DeliveryStatus | None = None
    cause: NotificationCause | None = None
    unit_id: str | None = Field(default=None, max_length=100)
    page: PageQuery = PageQuery()


class Delivery(View):
    """One message to one contact (or the chat group) about one cause, and how it went."""

    id: str
    cause_event_id: str
    job_id: str | None = Field(default=None, description="the sending job it went in (absent: never queued)")
    notice_id: str | None = None
    ask_id: str | None = None
    reason: str
    unit_id: str
    unit_name: str = ""
    contact_name: str = ""
    channel: NotificationChannel
    address: str = ""
    subject: str = ""
    body: str = ""
    sender: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    created_at: AwareDatetime
    status: DeliveryStatus
    status_label: str
    cause_label: str
    channel_label: str
    error: str = ""
    attempts: int = 0
    sent_at: AwareDatetime | None = None
    read_at: AwareDatetime | None = Field(default=None, description="when its personal link was first opened (已读)")
    tier: int = Field(default=0, description="0: the first sending; 1, 2: sent again on the next channel (escalation)")
    digest_day: str | None = Field(default=None, description="held for the unit's daily digest of this day")


class SendingRow(View):
    """Counts of one cause on one channel, per status."""

    cause: str
    cause_label: str
    channel: str
    channel_label: str
    sent: int = 0
    pending: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    read: int = Field(default=0, description="opened through their personal link (已读)")


class Problem(View):
    """A message that failed or is being retried, with the server's words."""

    unit_id: str
    unit_name: str
    contact_name: str = ""
    channel: str
    channel_label: str
    cause_label: str
    address: str = ""
    status: DeliveryStatus
    status_label: str
    error: str = ""
    attempts: int = 0


class Skipped(View):
    reason: str
    count: int


class SendingSummary(View):
    """How sending went for one notice: counts per cause and channel, the first that did not go."""

    total: int
    sent: int
    read: int = 0
    rows: list[SendingRow]
    problems: list[Problem]
    problems_total: int
    skipped: list[Skipped]
    status_labels: dict[str, str]


# ---------------------------------------------------------------- personal links and the units' preferences

# The shape of a personal link's token (services/notifications/tokens.py makes them): 22 base64url characters.
# What is not of this shape was never a link, so the gateway refuses it without asking the service.
LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def is_link_token(value: str) -> bool:
    return LINK_TOKEN.fullmatch(value) is not None


class LinkQuery(Wire):
    """A personal link's token (the last part of ``<public_url>/r/<token>``), as whoever holds it presents it."""

    token: str = Field(min_length=1, max_length=100)
    actor: Actor | None = None


class LinkView(View):
    """What a valid personal link is for: one notice, one recipient unit, one contact, until it expires."""

    notice_id: str
    unit_id: str
    unit_name: str
    contact_name: str
    channel: NotificationChannel
    channel_label: str
    cause: str
    delivery_id: str
    expires_at: AwareDatetime
    opened_at: AwareDatetime | None = None


class RevokeLinks(Wire):
    """The node admin withdraws a personal link (pasted whole, or its token): it opens nothing any more.
    ``contact``: every link of that contact for that notice too."""

    link: str = Field(min_length=1, max_length=600)
    contact: bool = False
    actor: Actor | None = None


class Revoked(View):
    revoked: int
    notice_id: str
    unit_id: str
    contact_name: str


class UnitPreferencesQuery(Wire):
    unit_id: str = Field(min_length=1, max_length=100)
    actor: Actor | None = None


class UpdateUnitPreferences(Wire):
    """How a unit hosted here is told: ``digest`` holds its e-mails and SMS about notices and reminders for one
    message a day (at the node's ``digest_hour``)."""

    unit_id: str = Field(min_length=1, max_length=100)
    digest: bool = False
    actor: Actor | None = None


class UnitPreferences(View):
    unit_id: str
    digest: bool = False
    digest_hour: int
    timezone: str
    updated_at: AwareDatetime | None = None
    updated_by: str | None = None


class Notifications(Contract):
    service = "notifications"

    deliveries = query(
        DeliveriesQuery,
        Page[Delivery],
        "A page of the delivery log of one notice, filtered by channel, status, cause, unit",
    )
    deliveries_summary = query(
        NoticeQuery, SendingSummary, "How sending went for one notice: counts per cause and channel, what did not go"
    )
    channels = query(Empty, Channels, "The node's notification channels (enabled, parameters)")
    update_channels = command(UpdateChannels, Channels, "Enable or disable channels and set their parameters")
    templates = query(TemplateQuery, Templates, "Message templates per cause and channel, with their variables")
    update_template = command(
        UpdateTemplate, Template, "Change the template of a cause and channel (checked in the sandbox)"
    )
    reset_template = command(ResetTemplate, Template, "Go back to the built-in template of a cause and channel")
    preview_template = query(PreviewTemplate, Preview, "Render a template with sample values; nothing is stored")
    open_link = command(
        LinkQuery, LinkView, "A personal link opened: what it is for; its delivery marked read (refused if not valid)"
    )
    link = query(LinkQuery, LinkView, "What a personal link is for, if it is still valid (nothing is marked)")
    revoke_links = command(RevokeLinks, Revoked, "The node admin revokes a personal link (or a contact's for a notice)")
    unit_preferences = query(UnitPreferencesQuery, UnitPreferences, "How a unit hosted here is told (daily digest)")
    update_unit_preferences = command(
        UpdateUnitPreferences, UnitPreferences, "A unit chooses a daily digest instead of a message per event"
    )
