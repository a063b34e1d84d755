"""What every submissions use case gets, and who may see or review a submission.

Scope: the actor's unit submits only for itself, and sees a submission if it
is its own or if it is routed to it and the actor reviews.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from shared.blobs import BlobStore
from shared.bus import BusCaller
from shared.clock import Clock
from shared.contracts.common import Actor
from shared.contracts.notices import Notices
from shared.errors import NotFound
from shared.schemas import Role
from shared.service import Service
from shared.settings import SubmissionsSettings

from ..repository import SubmissionsRepository, revision_id


@dataclass
class Deps:
    svc: Service
    repo: SubmissionsRepository
    settings: SubmissionsSettings
    clock: Clock
    blobs: BlobStore

    @property
    def node(self) -> str:
        return self.settings.node_id

    def copy_to(self, node: str | None) -> list[str]:
        """The other node an event must also reach, if it is one this node is linked to."""
        return [node] if node and node != self.node and node in self.settings.linked_nodes else []

    @property
    def notices(self) -> Notices:
        """The notices service of this node, which keeps the files (attachments are uploaded there)."""
        return Notices(BusCaller(self.svc.broker, self.node))


def reviews(actor: Actor | None, doc: dict, node: str) -> bool:
    """The actor reviews this submission: it is routed to the actor's unit, here, and the actor holds the role."""
    if actor is None:
        return True
    return doc["to_unit_id"] == actor.unit_id and Role.reviewer in actor.roles and doc.get("issuer_node") == node


def visible(actor: Actor | None, doc: dict | None, node: str) -> dict:
    if doc is None or not (actor is None or doc["unit_id"] == actor.unit_id or reviews(actor, doc, node)):
        raise NotFound("报送不存在", field="submission_id")
    return doc


async def notice_of(notice_id: str, d: Deps) -> dict:
    doc = await d.repo.get_notice(notice_id)
    if doc is None:
        raise NotFound("通知不存在", field="notice_id")
    return doc


def revision_doc(
    submission_id: str,
    revision: int,
    items: list[dict],
    *,
    at,
    by: str,
    event_id: str,
    late: bool,
    contributions: Sequence[dict] = (),
    note: str = "",
    source_notice_id: str | None = None,
) -> dict:
    return {
        "_id": revision_id(submission_id, revision),
        "submission_id": submission_id,
        "revision": revision,
        "items": items,
        "submitted_at": at,
        "submitted_by": by,
        "event_id": event_id,
        "late": late,
        "contributions": list(contributions),
        "note": note,
        "source_notice_id": source_notice_id,
    }
