"""Personal links in messages: how their tokens are made, found in text and hidden from those who may not use them.
Pure, no I/O.

A message to a contact about a notice carries ``<public_url>/r/<token>``. The token is the first 16 bytes of
HMAC-SHA256 over the delivery's id under the node's link secret (stored once in the notifications database,
``settings`` ``link_secret``), in base64url: 22 characters, 128 bits. Deterministic, so a redelivered event
renders the very link its first delivery recorded (the delivery and its link document are inserted by ``_id``
and the first wins, yet a job queued again carries the same text); unguessable without the secret; and the
link document (``links``, keyed by the token) says what it is for: one delivery, so one notice, one unit, one
contact, with its expiry and whether the admin revoked it. Nothing in a token can be edited to mean another
notice: a token that is not a stored one opens nothing.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from shared.contracts.notifications import LINK_TOKEN, is_link_token

# The causes whose messages to contacts carry a personal link: those that ask the unit to do something
# about a notice (签收, 报送). A withdrawn notice asks nothing; a submission arriving is for reviewers, who log in.
LINK_CAUSES = frozenset(
    {
        "notice.issued",
        "notice.forwarded",
        "notice.corrected",
        "deadline.approaching",
        "deadline.missed",
        "submission.returned",
    }
)
LINK_CHANNELS = ("email", "sms")
PATH = "/r/"
_IN_TEXT = re.compile(PATH + LINK_TOKEN.pattern)


def token_for(secret: bytes, delivery_id: str) -> str:
    mac = hmac.new(secret, delivery_id.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def is_token(value: str) -> bool:
    """Of a token's shape (shared with the gateway, which refuses any other without asking)."""
    return is_link_token(value)


def token_of(link: str) -> str:
    """The token of a link as a person pastes it (the whole URL, with a query or a fragment, or the token alone)."""
    text = link.strip()
    if PATH in text:
        text = text.split(PATH, 1)[1]
    for stop in "/?#":
        text = text.split(stop, 1)[0]
    return text


def redact(text: str) -> str:
    """Text with the tokens of personal links hidden: the issuer's delivery log shows what was sent, but a
    link there would let another unit sign for the recipient."""
    return _IN_TEXT.sub(PATH + "…", text) if PATH in text else text


@dataclass(frozen=True)
class LinkMaker:
    """The node's personal links: its public address and the secret the tokens are made with."""

    base_url: str
    secret: bytes

    def token(self, delivery_id: str) -> str:
        return token_for(self.secret, delivery_id)

    def url(self, delivery_id: str) -> str:
        return f"{self.base_url.rstrip('/')}{PATH}{self.token(delivery_id)}"


def wants_link(cause: str, channel: str) -> bool:
    return cause in LINK_CAUSES and channel in LINK_CHANNELS


def with_link(cause: str, channel: str, body: str, url: str, sign_off: str = "") -> str:
    """The body with the personal link, where a template (the admin's own, say) did not place it itself."""
    if not url or url in body:
        return body
    verb = "查看并签收" if cause.startswith("notice.") else "查看"
    if channel == "sms":
        return f"{body} {verb}：{url}"
    line = f"\n\n手机上点击链接即可{verb}（无需登录）：{url}"
    if sign_off and body.endswith(sign_off):
        return body[: -len(sign_off)] + line + sign_off
    return body + line
