"""What the reach routes share: the actor a personal link acts as."""

from shared.contracts.common import Actor
from shared.contracts.notifications import LinkView


def link_actor(link: LinkView) -> Actor:
    """Who signs through a link: its contact, for its unit, with no role. The services' unit scope is what
    binds it (it may see the notices of its unit and sign for it, nothing of another unit); the link routes
    use it for one notice only, and no route behind a login ever gets it."""
    name = link.contact_name or link.unit_name
    return Actor(
        user_id=f"link:{link.delivery_id}",
        display_name=f"{name}（{link.channel_label}链接）",
        unit_id=link.unit_id,
        roles=[],
    )
