"""Who gets told what, on which channel. Pure functions."""

from shared.schemas import Contact, UnitRef

# Channels in order of preference when a contact has several ways to be reached.
CHANNELS = ("email", "sms")


def channels_for(contact: Contact) -> list[str]:
    out = []
    if contact.email:
        out.append("email")
    if contact.mobile:
        out.append("sms")
    return out


def delivery_id(cause_event_id: str, unit_id: str, contact_index: int, channel: str) -> str:
    """Deterministic, so a redelivered event maps onto the same deliveries."""
    return f"{cause_event_id}:{unit_id}:{contact_index}:{channel}"


def notice_deliveries(event_id: str, notice_id: str, title: str, units: list[UnitRef], reason: str) -> list[dict]:
    docs = []
    for unit in units:
        for i, contact in enumerate(unit.contacts):
            for channel in channels_for(contact):
                docs.append(
                    {
                        "_id": delivery_id(event_id, unit.unit_id, i, channel),
                        "cause_event_id": event_id,
                        "reason": reason,
                        "notice_id": notice_id,
                        "unit_id": unit.unit_id,
                        "contact_name": contact.name,
                        "channel": channel,
                        "address": contact.email if channel == "email" else contact.mobile,
                        "subject": title,
                        "status": "pending",
                    }
                )
    return docs
