"""Personal links (tokens.py says how they are made): recorded beside their deliveries, opened from the gateway's
link page (the delivery is then 已读), checked again before a 签收 through one, revoked by the node admin.

A link is valid while it is stored, not revoked and not past ``expires_at`` (``link_valid_days`` after its
message was made). What it is good for is decided by the gateway: showing its notice to its unit and signing
for that unit, naming its contact; nothing else.
"""

import secrets
from collections.abc import Mapping
from datetime import timedelta

from shared.clock import utc
from shared.contracts.notifications import LinkQuery, LinkView, Revoked, RevokeLinks
from shared.errors import DomainError, NotFound

from . import templates as tpl
from .deps import Deps, node_admin
from .tokens import LinkMaker, is_token, token_of, wants_link


class LinkGone(DomainError):
    """A link that was valid once: expired, or revoked by the admin."""

    status = 410
    code = "link_expired"


async def load_secret(d: Deps) -> None:
    d.keys.link_secret = bytes.fromhex(await d.reach.link_secret(secrets.token_hex(32)))


def maker(chan: Mapping, d: Deps) -> LinkMaker | None:
    """The node's links, or None while it has no public address (its messages then ask people to log in)."""
    base = chan.get("public_url")
    return LinkMaker(base, d.keys.link_secret) if base and d.keys.link_secret else None


async def record(docs: list[dict], links: LinkMaker | None, d: Deps) -> int:
    """The link documents of the deliveries that carry one (their bodies were rendered with the same tokens)."""
    if links is None:
        return 0
    now = d.clock.now()
    expires = now + timedelta(days=d.settings.link_valid_days)
    return await d.reach.save_links(
        [
            {
                "_id": links.token(doc["_id"]),
                "delivery_id": doc["_id"],
                "notice_id": doc["notice_id"],
                "cause": doc["reason"],
                "channel": doc["channel"],
                "unit_id": doc["unit_id"],
                "unit_name": doc.get("unit_name") or doc["unit_id"],
                "contact_name": doc.get("contact_name") or "",
                "created_at": now,
                "expires_at": expires,
                "opened": False,
                "revoked": False,
            }
            for doc in docs
            if doc.get("notice_id") and wants_link(doc["reason"], doc["channel"])
        ]
    )


async def valid(token: str, d: Deps) -> dict:
    """The link of ``token`` if it may be used now; else the refusal, in words for the person holding it."""
    doc = await d.reach.link(token) if is_token(token) else None
    if doc is None:
        raise NotFound("链接无效：请使用消息中的完整链接，或登录系统办理", field="token", code="link_invalid")
    if doc.get("revoked"):
        raise LinkGone("该链接已被管理员撤销，请登录系统办理，或联系本单位管理员", field="token", code="link_revoked")
    if utc(doc["expires_at"]) <= d.clock.now():
        raise LinkGone("该链接已过期，请登录系统办理", field="token", code="link_expired")
    return doc


def view(doc: dict) -> LinkView:
    return LinkView(
        notice_id=doc["notice_id"],
        unit_id=doc["unit_id"],
        unit_name=doc.get("unit_name") or doc["unit_id"],
        contact_name=doc.get("contact_name") or "",
        channel=doc["channel"],
        channel_label=tpl.CHANNEL_LABELS.get(doc["channel"], doc["channel"]),
        cause=doc["cause"],
        delivery_id=doc["delivery_id"],
        expires_at=doc["expires_at"],
        opened_at=doc.get("opened_at"),
    )


async def link(q: LinkQuery, d: Deps) -> LinkView:
    return view(await valid(q.token, d))


async def open_link(q: LinkQuery, d: Deps) -> LinkView:
    """The link followed: its delivery is 已读 from the first time on, and the notice's summary counts it."""
    doc = await valid(q.token, d)
    now = d.clock.now()
    if not doc.get("opened") and await d.reach.mark_opened(doc["_id"], now):
        doc["opened_at"] = now
    # Each time, not only the first: a crash between the marks must not leave the delivery unread for good.
    await d.reach.mark_read(doc["delivery_id"], doc.get("opened_at") or now)
    key = (doc["notice_id"], doc["cause"], doc["channel"])
    if not await d.reach.keep_read_count(*key):  # opened before its counts were first made: make them now
        await d.repo.recount(*key)
        await d.reach.keep_read_count(*key)
    return view(doc)


async def revoke_links(cmd: RevokeLinks, d: Deps) -> Revoked:
    """The node admin withdraws a link someone lost or forwarded; with ``contact``, all its contact's links for
    that notice (each message had its own)."""
    actor = node_admin(cmd.actor)
    token = token_of(cmd.link)
    doc = await d.reach.link(token) if is_token(token) else None
    if doc is None:
        raise NotFound("没有这个链接：请粘贴消息中的完整链接", field="link", code="link_invalid")
    tokens = [token]
    if cmd.contact:
        same = await d.reach.links_of(doc["notice_id"], doc["unit_id"])
        tokens += [x["_id"] for x in same if x.get("contact_name") == doc.get("contact_name") and x["_id"] != token]
    n = await d.reach.revoke(tokens, d.clock.now(), actor.display_name)
    return Revoked(revoked=n, notice_id=doc["notice_id"], unit_id=doc["unit_id"], contact_name=doc["contact_name"])
