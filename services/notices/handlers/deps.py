"""What every notices use case gets, and the two checks of who may see or change a notice.

Scope: commands and queries carry the ``Actor`` the gateway authenticated.
A unit sees only notices addressed to it or issued by it, and acts only as
itself. ``actor=None`` is a trusted internal caller (the node's own tools).
"""

from dataclasses import dataclass, field

from shared.blobs import BlobStore
from shared.clock import Clock
from shared.contracts.common import Actor
from shared.errors import Forbidden, NotFound
from shared.service import Service
from shared.settings import NoticesSettings

from ..drafts_store import DraftsRepository
from ..numbering import Numbering
from ..repository import NoticesRepository


@dataclass
class Deps:
    svc: Service
    repo: NoticesRepository
    settings: NoticesSettings
    clock: Clock
    blobs: BlobStore
    numbering: Numbering = field(default_factory=Numbering)

    @property
    def drafts(self) -> DraftsRepository:
        """Drafts and the requests to sign them (签发, 会签): drafts_store.py."""
        return DraftsRepository(self.svc)

    @property
    def node(self) -> str:
        return self.settings.node_id

    @property
    def tz(self) -> str:
        return self.settings.timezone

    @property
    def reachable_nodes(self) -> set[str]:
        """Where a copy can go: this node and those linked to it (parent and children)."""
        return {self.node, *self.settings.linked_nodes}


async def visible_notice(notice_id: str, actor: Actor | None, d: Deps, *, recipients: bool = True) -> dict:
    """The notice, if the actor's unit issued it or received it; otherwise it does not exist for them.
    ``recipients=False``: without its recipients (a notice to 300 units is read in a fraction of the time)."""
    doc = await (d.repo.get_notice(notice_id) if recipients else d.repo.get_head(notice_id))
    if doc is not None and (
        actor is None
        or actor.unit_id in doc.get("issuer_unit_ids", [])
        or await d.repo.inbox_entry(notice_id, actor.unit_id) is not None
    ):
        return doc
    raise NotFound("通知不存在", field="notice_id")


def require_issuer(doc: dict, actor: Actor | None, what: str) -> None:
    if doc.get("origin") != "local":
        raise Forbidden(f"只有发文单位可以{what}", field="notice_id", code="not_issuer")
    if actor is not None and actor.unit_id not in doc.get("issuer_unit_ids", []):
        raise Forbidden(f"只有发文单位可以{what}", field="notice_id", code="not_issuer")
