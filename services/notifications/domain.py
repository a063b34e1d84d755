"""Who gets told what, on which channel, in which words. Pure functions.

Channels: ``email`` and ``sms`` reach each contact of a unit that gave an
e-mail address or a mobile number; ``chat`` posts one message per cause to
the node's group webhook (e.g. a 企业微信 / 钉钉 group of the liaisons),
naming the units concerned. The node
admin enables channels and sets their parameters (``ChannelSettings``); a
disabled channel gets no deliveries. Subjects and bodies come from the
templates of the cause (templates.py).

Delivery ``_id``s derive from the cause event's id, the unit, the contact and
the channel, so a redelivered event maps onto the deliveries it already made.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.clock import local_text
from shared.schemas import Contact, UnitRef

from . import templates as tpl
from .chat import link_label, provider_of
from .tokens import LINK_CHANNELS, LinkMaker, redact, wants_link, with_link

# Channels in order of preference when a contact has several ways to be reached.
CHANNELS = tpl.CHANNELS
CONTACT_CHANNELS = ("email", "sms")
CHAT_TIER = 2  # escalation: e-mail (0) → SMS (1) → the group chat (2)


def channels_for(contact: Contact | Mapping[str, Any], enabled: Iterable[str] = CONTACT_CHANNELS) -> list[str]:
    """The per-contact channels this contact can be reached on, among those enabled."""
    get = contact.get if isinstance(contact, Mapping) else lambda k: getattr(contact, k)
    on = set(enabled)
    out = []
    if "email" in on and get("email"):
        out.append("email")
    if "sms" in on and get("mobile"):
        out.append("sms")
    return out


GROUP_ID = "group"  # the unit id of a chat message to the group, for every unit concerned
GROUP_NAMES_SHOWN = 10


def group_name(names: list[str]) -> str:
    """The units a group message is about: ``甲、乙`` or ``甲、乙…等12个单位``."""
    shown = "、".join(names[:GROUP_NAMES_SHOWN])
    return shown if len(names) <= GROUP_NAMES_SHOWN else f"{shown}等{len(names)}个单位"


def delivery_id(cause_event_id: str, unit_id: str, contact_index: int | str, channel: str) -> str:
    """Deterministic, so a redelivered event maps onto the same deliveries."""
    return f"{cause_event_id}:{unit_id}:{contact_index}:{channel}"


# ---------------------------------------------------------------- the node's channel settings


def default_channels(sender: str = "cascade@localhost") -> dict:
    """What a node starts with: e-mail and SMS on (as before channels were configurable), chat off."""
    return {
        "email": {"enabled": True, "sender": sender, "sender_name": "", "reply_to": None},
        "sms": {"enabled": True, "signature": ""},
        "chat": {"enabled": False, "webhook_url": None, "provider": "auto"},
        "public_url": None,
    }


def enabled_channels(channels: Mapping[str, Any]) -> list[str]:
    out = [c for c in CHANNELS if (channels.get(c) or {}).get("enabled")]
    if "chat" in out and not channels["chat"].get("webhook_url"):
        out.remove("chat")
    return out


def notice_url(channels: Mapping[str, Any], notice_id: str | None) -> str:
    base = (channels.get("public_url") or "").rstrip("/")
    return f"{base}/notices/{notice_id}" if base and notice_id else ""


# ---------------------------------------------------------------- what a message is about


@dataclass(frozen=True)
class Recipient:
    """A unit to tell, with its contacts (from a notice snapshot or the contacts read model)."""

    unit_id: str
    name: str
    contacts: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, unit: UnitRef) -> "Recipient":
        return cls(unit.unit_id, unit.name, [c.model_dump() for c in unit.contacts])

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "Recipient":
        return cls(doc["_id"], doc.get("name") or doc["_id"], list(doc.get("contacts") or []))


@dataclass(frozen=True)
class Cause:
    """The fact a message tells about: its event, type, notice, and the cause's template variables."""

    event_id: str
    type: str
    notice_id: str | None
    variables: dict[str, Any]
    ask_id: str | None = None


def when(dt: datetime | None, tz: str) -> str:
    return local_text(dt, tz) if dt else ""


def notice_variables(notice: Mapping[str, Any], channels: Mapping[str, Any], tz: str) -> dict[str, Any]:
    """The variables every cause has, from the notices read model (title, 文号, issuer) of its notice."""
    deadlines = [a["deadline"] for a in notice.get("asks") or [] if a.get("deadline")]
    return {
        "notice_title": notice.get("title") or "",
        "doc_number": notice.get("doc_number") or "",
        "issuer_name": notice.get("issuer_name") or "",
        "notice_url": notice_url(channels, notice.get("_id")),
        "ask_count": len(notice.get("asks") or []),
        "earliest_deadline": when(min(deadlines), tz) if deadlines else "",
        "original_title": notice.get("original_title") or notice.get("title") or "",
    }


def ask_title(notice: Mapping[str, Any], ask_id: str | None) -> str:
    return next((a.get("title") or "" for a in notice.get("asks") or [] if a.get("ask_id") == ask_id), "")


# ---------------------------------------------------------------- deliveries


@dataclass
class Messages:
    """The templates of one cause per channel, and the node's channel settings: makes the deliveries."""

    channels: Mapping[str, Any]
    templates: Mapping[str, tuple[str, str]]  # channel -> (subject, body)
    enabled: list[str] = field(default_factory=list)
    links: LinkMaker | None = None  # None: the node has no public address, its messages carry no personal link

    def __post_init__(self) -> None:
        if not self.enabled:
            self.enabled = enabled_channels(self.channels)

    def render(
        self, cause: Cause, channel: str, unit_name: str, contact_name: str, link_url: str = ""
    ) -> tuple[str, str]:
        subject, body = self.templates.get(channel) or tpl.default(cause.type, channel)
        names = set(tpl.VARIABLES[cause.type])
        context = {k: v for k, v in cause.variables.items() if k in names}
        context.update(unit_name=unit_name, contact_name=contact_name)
        if "link_url" in names:
            context["link_url"] = link_url  # the contact's own: never one that came with the cause
        for name in names - set(context):
            context[name] = ""  # a variable the cause could not fill (an unknown notice): empty, not an error
        subject, body = tpl.render_pair(cause.type, channel, subject, body, context)
        # Every message that asks a contact to act carries their link, whatever the template says.
        link = context.get("link_url", "") if channel in LINK_CHANNELS else ""
        return subject, with_link(cause.type, channel, body, link, tpl.SIGN_OFF)

    def deliveries(
        self,
        cause: Cause,
        recipients: Iterable[Recipient],
        now: datetime,
        tier: int | None = None,
        *,
        group: bool = True,
    ) -> list[dict]:
        """The deliveries of a cause: to every contact on each of its channels and once to the group chat; or,
        with ``tier`` (escalation: each round one channel further), to each contact on its ``tier``-th channel
        (e-mail, then SMS) and, at ``CHAT_TIER``, to the group chat only. ``group=False``: no group message (one
        part of a notice event published in parts: the group hears once, when every part is in)."""
        docs = []
        units = list(recipients)
        contact_channels = [c for c in self.enabled if c in CONTACT_CHANNELS]
        for unit in units:
            for i, contact in enumerate(unit.contacts):
                reachable = channels_for(contact, contact_channels)
                for channel in reachable if tier is None else reachable[tier : tier + 1]:
                    _id = delivery_id(cause.event_id, unit.unit_id, i, channel)
                    link = self.links.url(_id) if self.links and wants_link(cause.type, channel) else ""
                    subject, body = self.render(cause, channel, unit.name, contact.get("name") or "", link)
                    doc = self._doc(
                        cause,
                        unit,
                        channel,
                        _id,
                        contact.get("name") or "",
                        contact["email"] if channel == "email" else contact["mobile"],
                        subject,
                        body,
                        now,
                    )
                    docs.append(doc | ({"tier": tier} if tier else {}))
        if group and units and tier in (None, CHAT_TIER):
            docs += self.group_delivery(cause, [u.name for u in units], now, tier)
        return docs

    def group_delivery(self, cause: Cause, names: list[str], now: datetime, tier: int | None = None) -> list[dict]:
        """The one message to the group chat about ``cause``, naming the units concerned (none: chat is off).

        One for all the units, not one per unit: a liaisons' group would drown (and a webhook allows about 20
        messages a minute)."""
        if "chat" not in self.enabled or not names:
            return []
        unit = Recipient(GROUP_ID, group_name(names))
        subject, body = self.render(cause, "chat", unit.name, "")
        doc = self._doc(
            cause,
            unit,
            "chat",
            delivery_id(cause.event_id, GROUP_ID, "all", "chat"),
            "",
            self.channels["chat"]["webhook_url"],
            subject,
            body,
            now,
        )
        return [doc | ({"tier": tier} if tier else {})]

    def _doc(
        self,
        cause: Cause,
        unit: Recipient,
        channel: str,
        _id: str,
        contact_name: str,
        address: str,
        subject: str,
        body: str,
        now: datetime,
    ) -> dict:
        doc = {
            "_id": _id,
            "cause_event_id": cause.event_id,
            "reason": cause.type,
            "notice_id": cause.notice_id,
            "ask_id": cause.ask_id,
            "unit_id": unit.unit_id,
            "unit_name": unit.name,
            "contact_name": contact_name,
            "channel": channel,
            "address": address,
            "subject": subject,
            "body": body,
            "created_at": now,
            "status": "pending",  # where it stands: moved on by the sending job (repository.settle)
        }
        if channel == "email":
            email = self.channels.get("email") or {}
            doc["sender"] = email.get("sender")
            if email.get("sender_name"):
                doc["sender_name"] = email["sender_name"]
            if email.get("reply_to"):
                doc["reply_to"] = email["reply_to"]
        elif channel == "sms":
            signature = (self.channels.get("sms") or {}).get("signature")
            if signature:
                doc["body"] = f"【{signature}】{body}"
        elif channel == "chat":
            # A robot's card carries one button: the notice, or for a reminder the notice's 报送情况.
            chat = self.channels.get("chat") or {}
            doc["provider"] = provider_of(chat.get("provider"), address)
            url = cause.variables.get("notice_url") or ""
            if url:
                reminder = cause.type.startswith("deadline.")
                doc["link"] = f"{url}#completeness" if reminder else url
                doc["link_label"] = link_label(cause.type)
        return doc


def notice_deliveries(
    event_id: str,
    notice_id: str,
    title: str,
    units: list[UnitRef],
    reason: str,
    now: datetime | None = None,
    messages: Messages | None = None,
) -> list[dict]:
    """Deliveries of a notice event to its recipients, with the default templates unless ``messages`` says."""
    messages = messages or Messages(default_channels(), {})
    variables = {"notice_title": title}
    cause = Cause(event_id, reason if reason in tpl.CAUSES else "notice.issued", notice_id, variables)
    docs = messages.deliveries(cause, [Recipient.of(u) for u in units], now or datetime.now().astimezone())
    for d in docs:
        d["reason"] = reason
    return docs


# ---------------------------------------------------------------- the contacts read model


def contact_fingerprint(name: str, node_id: str, contacts: list[dict]) -> tuple:
    return (name, node_id, tuple(tuple(sorted(c.items())) for c in contacts))


def contact_doc(unit: UnitRef, as_of: datetime) -> dict:
    """A unit's entry in the contacts read model, keyed by the unit's id."""
    return {
        "_id": unit.unit_id,
        "name": unit.name,
        "node_id": unit.node_id,
        "contacts": [c.model_dump() for c in unit.contacts],
        "as_of": as_of,
    }


def notice_doc(notice, kind: str) -> dict:
    """The notices read model: what messages about a notice need, one small document per notice."""
    lead = notice.issuers[0]
    return {
        "_id": notice.notice_id,
        "kind": kind,
        "title": notice.title,
        "doc_number": notice.doc_number,
        "issuer_name": lead.name,
        "original_title": notice.chain[0].title if notice.chain and notice.chain[0].title else notice.title,
        "asks": [{"ask_id": a.ask_id, "title": a.title, "deadline": a.deadline} for a in notice.asks],
        "revision": notice.revision,
    }


# ---------------------------------------------------------------- how sending went


def shown_address(delivery: Mapping[str, Any]) -> str:
    """Where a message went, as users may see it: a webhook's key (its query) stays with the admin."""
    address = delivery.get("address") or ""
    return address.split("?", 1)[0] if delivery.get("channel") == "chat" else address


STATUS_LABELS = {"sent": "已发送", "pending": "待发送", "retrying": "重试中", "failed": "发送失败", "skipped": "未发送"}


def counts_id(notice_id: str, cause: str, channel: str) -> str:
    """The ``_id`` of a ``delivery_counts`` document (the sending's counts, and the links opened beside them)."""
    return f"{notice_id}|{cause}|{channel}"


def tally(deliveries: list[dict]) -> tuple[dict[str, int], str]:
    """How many of these deliveries are in each status, and why the first skipped one was not sent."""
    counts = dict.fromkeys(STATUS_LABELS, 0)
    skipped = ""
    for d in deliveries:
        if d["status"] in counts:
            counts[d["status"]] += 1
        if d["status"] == "skipped" and not skipped:
            skipped = d.get("error") or ""
    return counts, skipped


PROBLEMS_SHOWN = 20  # on the notice page; the delivery log has them all, a page at a time


def delivery_row(d: Mapping[str, Any]) -> dict:
    """A delivery as the log shows it: its fields, where it went (as users may see it) and the labels."""
    out = {k: v for k, v in d.items() if not k.startswith("_")}
    out.update(
        id=d["_id"],
        body=redact(d.get("body") or ""),
        address=shown_address(d),
        status=d.get("status", "pending"),
        status_label=STATUS_LABELS.get(d.get("status", "pending"), d.get("status", "")),
        cause_label=tpl.CAUSE_LABELS.get(d.get("reason", ""), d.get("reason", "")),
        channel_label=tpl.CHANNEL_LABELS.get(d.get("channel", ""), d.get("channel", "")),
        error=d.get("error", ""),
        attempts=d.get("attempts", 0),
        sent_at=d.get("sent_at"),
    )
    return out


def delivery_summary(counted: Iterable[Mapping[str, Any]], problems: Iterable[Mapping[str, Any]]) -> dict:
    """What the issuer's notice page shows: counts per cause and channel, and the first messages that did not go.

    ``counted``: the ``delivery_counts`` of the notice (per cause and channel: ``counts`` per status and
    ``skipped_reason``). Messages not sent for want of a server are counted under their reason, not listed
    one by one (a node without mail has thousands).
    """
    rows: list[dict] = []
    skipped: dict[str, int] = {}
    total = sent = read = 0
    for c in counted:
        n = {s: int((c.get("counts") or {}).get(s, 0)) for s in STATUS_LABELS}
        if not sum(n.values()):
            continue
        rows.append(
            {
                "cause": c["cause"],
                "cause_label": tpl.CAUSE_LABELS.get(c["cause"], c["cause"]),
                "channel": c["channel"],
                "channel_label": tpl.CHANNEL_LABELS.get(c["channel"], c["channel"]),
                **n,
                "read": int(c.get("read") or 0),
            }
        )
        total += sum(n.values())
        sent += n["sent"]
        read += int(c.get("read") or 0)
        if n["skipped"]:
            reason = c.get("skipped_reason") or ""
            skipped[reason] = skipped.get(reason, 0) + n["skipped"]
    shown = [
        {
            "unit_id": d["unit_id"],
            "unit_name": d.get("unit_name") or d["unit_id"],
            "contact_name": d.get("contact_name", ""),
            "channel": d["channel"],
            "channel_label": tpl.CHANNEL_LABELS.get(d["channel"], d["channel"]),
            "cause_label": tpl.CAUSE_LABELS.get(d["reason"], d["reason"]),
            "address": shown_address(d),
            "status": d["status"],
            "status_label": STATUS_LABELS[d["status"]],
            "error": d.get("error", ""),
            "attempts": d.get("attempts", 0),
        }
        for d in problems
    ]
    order = {c: i for i, c in enumerate(tpl.CAUSES)}
    rows.sort(
        key=lambda r: (
            order.get(r["cause"], 99),
            tpl.CHANNELS.index(r["channel"]) if r["channel"] in tpl.CHANNELS else 9,
        )
    )
    return {
        "total": total,
        "sent": sent,
        "read": read,
        "rows": rows,
        "problems": shown,
        "problems_total": sum(r["failed"] + r["retrying"] for r in rows),
        "skipped": [{"reason": k, "count": v} for k, v in skipped.items()],
        "status_labels": STATUS_LABELS,
    }
