"""Commands: imperatives sent over request/reply, one model per command.

The gateway validates a command's shape (HTTP 422 names the field); the owning
service checks the rules that need its data (unknown recipient, duplicate
文号…) and answers with a ``Reply``.
"""

from typing import Literal

from pydantic import Field, field_validator

from .schemas import Wire
from .contracts.common import Actor


# ---------------------------------------------------------------- submissions (报送, 审核, 汇总, 催办)



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
