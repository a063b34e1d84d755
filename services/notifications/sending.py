"""Sending: e-mail over SMTP, SMS through an HTTP gateway, chat through the group's webhook.

Deliveries are sent in jobs (``SendJob``: the deliveries of one cause event,
``send_batch_size`` at a time) that the notifications service queues for
itself on the node's WORK stream, so the event handler that records them
stays fast and any replica can send. Every message ends as one ``Result``:

- ``sent``     the server took it;
- ``failed``   the server refused it for good (no such mailbox, a 4xx from a
               gateway): trying again cannot help;
- ``skipped``  no server is configured for its channel (a node without mail);
- ``retry``    the server was unreachable or asked to try later: the job is
               offered again with a growing delay until ``send_give_up_hours``;
               one the server refused as "rate limited" (``limited``), or that
               waits for its turn under the node's limits (pacing.py), is
               offered again when the window reopens, and never given up.

Servers and their secrets come from the service's settings (the environment);
what the node admin sets (sender address, SMS signature, webhook URL) is
already in each delivery.
"""

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal
from urllib.parse import urlsplit

import httpx
from pydantic import AwareDatetime, Field

from shared.schemas import Wire
from shared.settings import NotificationsSettings

from . import chat

SENT, FAILED, SKIPPED, RETRY = "sent", "failed", "skipped", "retry"

# Webhook answers that mean "too many messages, later" (企业微信, 钉钉, 飞书).
CHAT_RATE_LIMITED = chat.RATE_LIMITED_CODES


class OutgoingMessage(Wire):
    """One delivery as a sender needs it."""

    delivery_id: str
    channel: Literal["email", "sms", "chat"]
    address: str = Field(description="e-mail address, mobile number or webhook URL")
    contact_name: str = ""
    subject: str = ""
    body: str
    sender: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    provider: str | None = Field(default=None, description="chat: the robot's format (chat.py); None: from the URL")
    link: str | None = Field(default=None, description="chat: the card's button (the notice, or its 报送情况)")
    link_label: str | None = None

    @classmethod
    def of(cls, delivery: dict) -> "OutgoingMessage":
        return cls.model_validate(
            {k: delivery.get(k) for k in cls.model_fields if delivery.get(k) is not None}
            | {"delivery_id": delivery["_id"]}
        )


class SendJob(Wire):
    """A job of the notifications service: send these deliveries (all made for one cause event)."""

    job_id: str
    cause_event_id: str
    due_at: AwareDatetime = Field(description="when the deliveries were made; past send_give_up_hours they fail")
    notice_id: str | None = Field(
        default=None,
        description="the notice and cause of its deliveries, whose counts "
        "it keeps; absent in a job of an older version (then read from a delivery)",
    )
    cause: str = ""
    messages: list[OutgoingMessage]


@dataclass(frozen=True)
class Result:
    status: str
    error: str = ""
    limited: bool = False  # a retry because of a rate limit (the server's, or ours): waits, never given up
    retry_after: float | None = None  # seconds until it may go, when known (a window, a Retry-After header)


def _problem(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


# ---------------------------------------------------------------- e-mail


def email_message(m: OutgoingMessage) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = Address(display_name=m.sender_name or "", addr_spec=m.sender or "")
    msg["To"] = Address(display_name=m.contact_name, addr_spec=m.address)
    if m.reply_to:
        msg["Reply-To"] = m.reply_to
    msg["Subject"] = m.subject
    msg["Date"] = formatdate()
    # From the delivery id, so a mail system can tell a repeat after a crash from a new message.
    msg["Message-ID"] = f"<{m.delivery_id.replace(':', '.')}@cascade>"
    msg.set_content(m.body)
    return msg


def _smtp_result(code: int, text: bytes | str) -> Result:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return Result(FAILED if code >= 500 else RETRY, f"SMTP {code} {text}"[:500])


def send_emails(settings: NotificationsSettings, messages: list[OutgoingMessage]) -> dict[str, Result]:
    """Send over one SMTP connection (blocking: run it in a thread)."""
    results: dict[str, Result] = {}
    timeout = settings.send_timeout_seconds
    host = settings.smtp_host or ""  # unset: no connection is made (Senders.missing skips e-mails then)
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            for m in messages:
                try:
                    message = email_message(m)
                except (ValueError, MessageError) as exc:
                    results[m.delivery_id] = Result(FAILED, f"地址无效：{_problem(exc)}")
                    continue
                try:
                    smtp.send_message(message)
                    results[m.delivery_id] = Result(SENT)
                except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address the server cannot take
                    results[m.delivery_id] = Result(FAILED, _problem(exc))
                except smtplib.SMTPRecipientsRefused as exc:
                    code, text = next(iter(exc.recipients.values()))
                    results[m.delivery_id] = _smtp_result(code, text)
                except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                    results[m.delivery_id] = _smtp_result(exc.smtp_code, exc.smtp_error)
    except (OSError, smtplib.SMTPException) as exc:
        # Unreachable, dropped, TLS or login refused: what is not sent yet waits for the next try.
        for m in messages:
            results.setdefault(m.delivery_id, Result(RETRY, _problem(exc)))
    return results


# ---------------------------------------------------------------- SMS and chat (HTTP)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _http_result(response: httpx.Response) -> Result:
    if response.status_code == 429:
        error = f"HTTP 429（发送过快，稍后重试）: {response.text[:200]}"
        return Result(RETRY, error, limited=True, retry_after=_retry_after(response))
    if response.status_code >= 500:
        return Result(RETRY, f"HTTP {response.status_code}: {response.text[:200]}")
    if response.status_code >= 400:
        return Result(FAILED, f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        answer = response.json()
    except ValueError:
        return Result(SENT)
    code = answer.get("errcode", answer.get("code", 0)) if isinstance(answer, dict) else 0
    if code in (0, None, "0"):
        return Result(SENT)
    error = f"{code} {answer.get('errmsg') or answer.get('msg') or ''}".strip()[:500]
    if code in CHAT_RATE_LIMITED:
        return Result(RETRY, f"{error}（发送过快，稍后重试）", limited=True)
    return Result(FAILED, error)


class Senders:
    """The node's ways out, from its settings."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    def missing(self, channel: str) -> str | None:
        """Why ``channel`` cannot send on this node, or None."""
        if channel == "email" and not self.settings.smtp_host:
            return "未配置邮件服务器（CASCADE_SMTP_HOST）"
        if channel == "sms" and not self.settings.sms_gateway_url:
            return "未配置短信网关（CASCADE_SMS_GATEWAY_URL）"
        return None

    def servers(self) -> dict[str, str | None]:
        """Where each channel sends, for the admin's page (no secrets); None: not configured."""
        s = self.settings
        sms = urlsplit(s.sms_gateway_url) if s.sms_gateway_url else None
        return {
            "email": f"{s.smtp_host}:{s.smtp_port}（{s.smtp_security}）" if s.smtp_host else None,
            "sms": f"{sms.scheme}://{sms.netloc}{sms.path}" if sms else None,
        }

    async def send(self, messages: Iterable[OutgoingMessage]) -> dict[str, Result]:
        results: dict[str, Result] = {}
        by_channel: dict[str, list[OutgoingMessage]] = {}
        for m in messages:
            reason = self.missing(m.channel)
            if reason:
                results[m.delivery_id] = Result(SKIPPED, reason)
            else:
                by_channel.setdefault(m.channel, []).append(m)
        if by_channel.get("email"):
            results |= await asyncio.to_thread(send_emails, self.settings, by_channel["email"])
        http_messages = by_channel.get("sms", []) + by_channel.get("chat", [])
        if http_messages:
            async with httpx.AsyncClient(timeout=self.settings.send_timeout_seconds) as client:
                results |= await self._post_all(client, http_messages)
        return results

    async def _post_all(self, client: httpx.AsyncClient, messages: list[OutgoingMessage]) -> dict[str, Result]:
        results: dict[str, Result] = {}
        # A server that did not answer, or said "too many", is not asked again in this job.
        unreachable: dict[str, Result] = {}
        for m in messages:
            url, payload, headers = self._request(m)
            if url in unreachable:
                results[m.delivery_id] = unreachable[url]
                continue
            try:
                result = results[m.delivery_id] = _http_result(await client.post(url, json=payload, headers=headers))
            except httpx.HTTPError as exc:
                unreachable[url] = results[m.delivery_id] = Result(RETRY, _problem(exc))
                continue
            if result.limited:
                unreachable[url] = result
        return results

    def _request(self, m: OutgoingMessage) -> tuple[str, dict, dict]:
        if m.channel == "sms":
            token = self.settings.sms_gateway_token.get_secret_value() if self.settings.sms_gateway_token else ""
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return self.settings.sms_gateway_url or "", {"id": m.delivery_id, "to": m.address, "text": m.body}, headers
        provider = m.provider or chat.provider_of(None, m.address)
        return m.address, chat.payload(provider, m.subject, m.body, m.link, m.link_label), {}
