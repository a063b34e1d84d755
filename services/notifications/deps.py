"""What the notifications service's use cases are given (app.py builds it), and the checks they share."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from shared.clock import Clock
from shared.contracts.common import Actor
from shared.errors import Forbidden
from shared.schemas import Role
from shared.settings import NotificationsSettings

from .pacing import Pacer
from .reach_store import ReachStore
from .recounts import Recounts
from .repository import DeliveriesRepository
from .sending import Senders


@dataclass
class Keys:
    """The node's link secret (tokens.py), read from the store at start-up: every replica signs alike."""

    link_secret: bytes = b""


@dataclass
class Deps:
    repo: DeliveriesRepository
    settings: NotificationsSettings
    clock: Clock
    senders: Senders
    queue_work: Callable[[str, BaseModel, str], Awaitable[None]]
    reach: ReachStore
    pacer: Pacer
    recounts: Recounts
    keys: Keys = field(default_factory=Keys)

    @property
    def node(self) -> str:
        return self.settings.node_id


def node_admin(actor: Actor | None) -> Actor:
    """Channels and templates are the node admin's (the gateway checks it too; internal callers have no actor)."""
    if actor is None or Role.admin not in actor.roles:
        raise Forbidden("只有节点管理员可以修改通知渠道和消息模板", code="forbidden_role")
    return actor


def stamp(actor: Actor | None, d: Deps) -> dict:
    return {
        "updated_at": d.clock.now(),
        "updated_by": actor.display_name if actor else "",
        "updated_by_id": actor.user_id if actor else "",
    }
