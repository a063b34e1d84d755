"""Unit scope: what every service checks of the actor a command carries.

The gateway authenticates the actor and checks its role; the owning service
checks that it acts for its own unit. ``actor=None`` is a trusted internal
caller (the node's own tools).
"""

from .contracts.common import Actor
from .errors import Forbidden


def actor_name(actor: Actor | None) -> str:
    return actor.display_name if actor else ""


def act_as(actor: Actor | None, unit_id: str, field: str = "unit_id") -> None:
    """A user acts only for its own unit."""
    if actor is not None and actor.unit_id != unit_id:
        raise Forbidden("只能处理本单位的事务", field=field, code="other_unit")
