"""Storage of drafts (拟稿) and of the requests to sign them (签发, 会签). Every state change is one conditional
update whose filter names the state it moves from, so two 签发人, or two replicas, cannot both move it.

Collections (database ``<node>_notices``):
- ``drafts``    drafts of this node's units, ``_id`` = draft id (the id of the notice it issues);
                ``status``: draft → submitted → issuing → issued, or submitted → returned → submitted…;
                ``round`` counts its submissions; ``signatures`` keyed by unit id (the lead's 签发 and each
                co-issuer's 会签) for the current round; ``_outbox`` the events each change emitted
- ``signoffs``  a request to one unit's 签发人 hosted here, for one round of a draft kept here or on a linked
                node, ``_id`` = ``draft:round:unit``; ``status``: pending → signed | refused | cancelled
"""

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from shared import outbox
from shared.paging import PageQuery, Segment, read_page
from shared.service import Service
from shared.storage import Index, insert_if_absent

INDEXES = [
    Index("drafts", [("unit_id", ASCENDING), ("updated_at", DESCENDING)]),
    Index("drafts", [("unit_id", ASCENDING), ("status", ASCENDING), ("updated_at", DESCENDING)]),
    Index("drafts", [("status", ASCENDING)]),
    Index("signoffs", [("unit_id", ASCENDING), ("status", ASCENDING), ("requested_at", DESCENDING)]),
    Index("signoffs", [("unit_id", ASCENDING), ("decided", ASCENDING), ("decided_at", DESCENDING)]),
    Index("signoffs", [("draft_id", ASCENDING), ("unit_id", ASCENDING)]),
]

EDITABLE = ["draft", "returned"]  # a draft its drafter may change (not with its 签发人, not issued)


def signoff_id(draft_id: str, round_: int, unit_id: str) -> str:
    return f"{draft_id}:{round_}:{unit_id}"


class DraftsRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service

    @property
    def drafts(self):
        return self.svc.db["drafts"]

    @property
    def signoffs(self):
        return self.svc.db["signoffs"]

    # ------------------------------------------------------------ drafts

    async def insert(self, doc: dict) -> None:
        await self.drafts.insert_one(doc)

    async def get(self, draft_id: str) -> dict | None:
        return await self.drafts.find_one({"_id": draft_id}, {outbox.FIELD: 0})

    async def move(self, draft_id: str, when: dict, update: dict, events: list[dict] | None = None) -> dict | None:
        """One conditional update of a draft: applied only if it still is as ``when`` says; the events go into its
        outbox in the same write. Returns the draft as it is afterwards, or None if it was not as ``when`` says."""
        change = dict(update)
        if events:
            change["$push"] = {**change.get("$push", {}), outbox.FIELD: {"$each": events}}
        result = await self.drafts.update_one({"_id": draft_id, **when}, change)
        if result.matched_count != 1:
            return None
        return await self.get(draft_id)

    async def page_of_unit(
        self, unit_id: str, pq: PageQuery, status: str | None = None
    ) -> tuple[list[dict], bool, int | None]:
        query = {"unit_id": unit_id, **({"status": status} if status else {})}
        return await read_page(
            self.drafts, [Segment(query, [("updated_at", DESCENDING)])], pq, projection={outbox.FIELD: 0}
        )

    async def issuing(self) -> list[dict]:
        """Drafts whose issue was claimed but not finished (a crash in between): finished at start-up."""
        return [d async for d in self.drafts.find({"status": "issuing"}, {outbox.FIELD: 0})]

    async def flush(self, draft_id: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, self.drafts, draft_id, events)

    # ------------------------------------------------------------ requests to sign (签发, 会签)

    async def add_signoff(self, doc: dict) -> bool:
        """Keep a request (deterministic ``_id``: a redelivered one inserts nothing)."""
        return await insert_if_absent(self.signoffs, doc)

    async def signoff_of(self, draft_id: str, unit_id: str) -> dict | None:
        """The unit's latest request for this draft (its current round)."""
        found = [
            d
            async for d in self.signoffs.find({"draft_id": draft_id, "unit_id": unit_id}, {outbox.FIELD: 0})
            .sort("round", DESCENDING)
            .limit(1)
        ]
        return found[0] if found else None

    async def decide(self, signoff: str, fields: dict, events: list[dict]) -> bool:
        """Sign or refuse a pending request, with the event telling the draft's node: once."""
        result = await self.signoffs.update_one(
            {"_id": signoff, "status": "pending"},
            {"$set": {**fields, "decided": True}, "$push": {outbox.FIELD: {"$each": events}}},
        )
        return result.modified_count == 1

    async def close(self, draft_id: str, round_: int, unit_ids: list[str], outcome: dict) -> None:
        """A round ended: its requests still pending are withdrawn; each shows how the draft ended."""
        ids = [signoff_id(draft_id, round_, u) for u in unit_ids]
        if outcome.get("outcome") == "returned":
            await self.signoffs.update_many(
                {"_id": {"$in": ids}, "status": "pending"}, {"$set": {"status": "cancelled"}}
            )
        await self.signoffs.update_many({"_id": {"$in": ids}}, {"$set": {"closed": outcome}})

    async def page_of_signer(
        self, unit_id: str, pq: PageQuery, *, decided: bool
    ) -> tuple[list[dict], bool, int | None]:
        """待签发 (pending, counted: the work outstanding), or what the unit's 签发人 decided, newest first."""
        if decided:
            segment = Segment({"unit_id": unit_id, "decided": True}, [("decided_at", DESCENDING)])
        else:
            segment = Segment({"unit_id": unit_id, "status": "pending"}, [("requested_at", DESCENDING)], count=True)
        return await read_page(self.signoffs, [segment], pq, projection={outbox.FIELD: 0, "preview.body": 0})

    async def flush_signoff(self, signoff: str, events: list[dict]) -> None:
        await outbox.flush(self.svc, self.signoffs, signoff, events)

    async def flush_pending(self) -> int:
        return await outbox.flush_pending(self.svc, self.drafts) + await outbox.flush_pending(self.svc, self.signoffs)


def when_editable(unit_id: str, version: int | None) -> dict:
    """The filter of an edit or a submission: the unit's draft, not with its 签发人, at the version read."""
    return {"unit_id": unit_id, "status": {"$in": EDITABLE}, **({"version": version} if version else {})}


def step(action: str, by: str, unit_name: str, at: datetime, comment: str = "", round_: int = 0) -> dict:
    return {"action": action, "by": by, "unit_name": unit_name, "at": at, "comment": comment, "round": round_}
