"""The notifications database's collections for reaching people where they are (links, digests, escalation).

- ``links``        one per delivery that carries a personal link, ``_id`` = its token (tokens.py): the delivery,
                   notice, cause, channel, unit and contact it is for, ``expires_at``; ``opened`` (and
                   ``opened_at``) once followed; ``revoked_at`` / ``revoked_by`` once the admin withdrew it
- ``unit_prefs``   how a unit hosted here is told (``digest``), ``_id`` = unit id
- ``held``         a delivery held for its unit's daily digest, ``_id`` = the delivery's, with the digest ``day``
                   (``YYYY-MM-DD`` in the node's zone), the line it gets, and ``digest_id`` once a digest took it
- ``escalations``  a cause's next round on the next channel, ``_id`` = ``<cause event>~<tier>``; ``state``
                   waiting → done
- ``receipts``     the units hosted here that signed a notice, ``_id`` = ``<notice>:<unit>`` (notice.acknowledged)
- ``group_parts``  a notice event published in parts (a notice to thousands): the names of the units each part
                   brought, ``_id`` = ``<notice>~<type>~r<revision>``, ``seen.<part>``; the group chat hears once,
                   when every part is in
- ``rate_windows``, ``rate_days``: the providers' limits (limits.py)

Writes are inserts with deterministic ``_id``s and conditional updates by ``_id``, so events and jobs met twice,
and replicas side by side, change nothing twice. The deliveries' read marks and the kept count of links opened
are here too: the link's side of the delivery log.
"""

from collections.abc import Iterable
from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.bus import RetryLater
from shared.service import Service
from shared.storage import Index, insert_if_absent, insert_many_idempotent

from . import domain

INDEXES = [
    Index("links", [("notice_id", ASCENDING), ("cause", ASCENDING), ("channel", ASCENDING), ("opened", ASCENDING)]),
    Index("links", [("notice_id", ASCENDING), ("unit_id", ASCENDING)]),
    Index("held", [("day", ASCENDING)]),
    Index("escalations", [("state", ASCENDING)]),
]
SECRET_ID = "link_secret"


class ReachStore:
    def __init__(self, service: Service) -> None:
        self.svc = service

    def col(self, name: str):
        return self.svc.db[name]

    # ------------------------------------------------------------ the link secret

    async def link_secret(self, fresh: str) -> str:
        """The node's secret: ``fresh`` if none was stored yet (the first replica to start stores its own)."""
        await insert_if_absent(self.col("settings"), {"_id": SECRET_ID, "secret": fresh})
        doc = await self.col("settings").find_one({"_id": SECRET_ID})
        return doc["secret"] if doc else fresh

    # ------------------------------------------------------------ links

    async def save_links(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.col("links"), docs)

    async def link(self, token: str) -> dict | None:
        return await self.col("links").find_one({"_id": token})

    async def mark_opened(self, token: str, now: datetime) -> bool:
        """The first opening of a link only (the filter says so): True if this was it."""
        done = await self.col("links").update_one(
            {"_id": token, "opened": False}, {"$set": {"opened": True, "opened_at": now}}
        )
        return done.modified_count > 0

    async def mark_read(self, delivery_id: str, at: datetime) -> None:
        """``$min``: a later opening (another link of the same delivery cannot be, but a replay can) keeps the first."""
        await self.col("deliveries").update_one({"_id": delivery_id}, {"$min": {"read_at": at}})

    async def keep_read_count(self, notice_id: str, cause: str, channel: str) -> bool:
        """The summary's count of links opened: ``$max`` of a recount after the (idempotent) mark, so two
        openings at once, in either order, leave the larger; the document is the sending counts' (recount keeps
        the field). False: that document is not made yet (its first recount is still to come)."""
        n = await self.col("links").count_documents(
            {"notice_id": notice_id, "cause": cause, "channel": channel, "opened": True}
        )
        done = await self.col("delivery_counts").update_one(
            {"_id": domain.counts_id(notice_id, cause, channel)}, {"$max": {"read": n}}
        )
        return done.matched_count > 0

    async def links_of(self, notice_id: str, unit_id: str) -> list[dict]:
        return [x async for x in self.col("links").find({"notice_id": notice_id, "unit_id": unit_id})]

    async def revoke(self, tokens: Iterable[str], now: datetime, by: str) -> int:
        tokens = list(tokens)
        if not tokens:
            return 0
        done = await self.col("links").update_many(
            {"_id": {"$in": tokens}, "revoked": {"$ne": True}},
            {"$set": {"revoked": True, "revoked_at": now, "revoked_by": by}},
        )
        return done.modified_count

    # ------------------------------------------------------------ units' preferences

    async def prefs(self, unit_id: str) -> dict | None:
        return await self.col("unit_prefs").find_one({"_id": unit_id})

    async def save_prefs(self, doc: dict) -> None:
        await self.col("unit_prefs").replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def digest_units(self, unit_ids: list[str]) -> set[str]:
        if not unit_ids:
            return set()
        found = self.col("unit_prefs").find({"_id": {"$in": unit_ids}}, {"digest": 1})
        return {x["_id"] async for x in found if x.get("digest")}

    # ------------------------------------------------------------ the daily digest

    async def hold(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.col("held"), docs)

    async def held(self, day: str) -> list[dict]:
        """The deliveries held for ``day``'s digests that no digest has taken yet."""
        return [x async for x in self.col("held").find({"day": day}).sort("_id", ASCENDING) if not x.get("digest_id")]

    async def take_held(self, ids: list[str], digest_id: str) -> None:
        await self.col("held").update_many({"_id": {"$in": ids}}, {"$set": {"digest_id": digest_id}})

    async def members(self, digest_ids: list[str]) -> dict[str, list[dict]]:
        """The deliveries each digest carries (id, notice, cause, channel each)."""
        found = self.col("deliveries").find({"_id": {"$in": digest_ids}}, {"members": 1})
        return {x["_id"]: list(x.get("members") or []) async for x in found}

    # ------------------------------------------------------------ escalation

    async def schedule(self, doc: dict) -> bool:
        return await insert_if_absent(self.col("escalations"), doc)

    async def waiting(self) -> list[dict]:
        return [x async for x in self.col("escalations").find({"state": "waiting"})]

    async def finish(self, _id: str, now: datetime) -> None:
        await self.col("escalations").update_one(
            {"_id": _id, "state": "waiting"}, {"$set": {"state": "done", "at": now}}
        )

    async def cancel_escalations(self, notice_id: str, now: datetime) -> None:
        """The few waiting rounds are read whole (``state`` is indexed); those of the notice end."""
        for doc in await self.waiting():
            if doc.get("notice_id") == notice_id:
                await self.finish(doc["_id"], now)

    async def opened_units(self, notice_id: str, cause: str, base_event_id: str) -> set[str]:
        """Units with a contact who opened a link of the cause event ``base_event_id`` (any of its rounds)."""
        out: set[str] = set()
        for channel in ("email", "sms"):
            found = self.col("links").find(
                {"notice_id": notice_id, "cause": cause, "channel": channel, "opened": True},
                {"unit_id": 1, "delivery_id": 1},
            )
            out |= {x["unit_id"] async for x in found if x["delivery_id"].startswith(base_event_id)}
        return out

    async def group_part(self, key: str, part: int, parts: int, names: list[str]) -> list[str] | None:
        """Keep the unit names of one part of a notice event in ``parts``; once every part is in (this one the last,
        or met again after), all their names in part order, else None. Each update is atomic and returns the
        document as it left it, so of parts handled at once only the one that completed it sees it whole."""
        for _ in range(2):
            try:
                doc = await self.col("group_parts").find_one_and_update(
                    {"_id": key},
                    {"$set": {f"seen.{part}": names, "parts": parts}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                break
            except DuplicateKeyError:  # two parts made the document at once: update the one made
                continue
        else:
            raise RetryLater(f"could not record part {part} of {key}")
        seen = doc.get("seen") or {}
        if len(seen) < parts:
            return None
        return [name for p in sorted(seen, key=int) for name in seen[p]]

    async def record_receipt(self, notice_id: str, unit_id: str, at: datetime) -> None:
        await insert_if_absent(self.col("receipts"), {"_id": f"{notice_id}:{unit_id}", "at": at})

    async def signed(self, notice_id: str, unit_ids: list[str]) -> set[str]:
        ids = [f"{notice_id}:{u}" for u in unit_ids]
        return {x["_id"].rsplit(":", 1)[1] async for x in self.col("receipts").find({"_id": {"$in": ids}}, {"_id": 1})}
