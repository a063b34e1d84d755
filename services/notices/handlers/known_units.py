"""Units of other levels, known by name from the notices received: names, not ids, across levels.

A child node's directory holds its own units; the parent's units (the issuers of what it receives, the units
its asks route to) are not in it. Each notice carries them as ``UnitRef``s (``issuers``, ``route_units``), so
the node keeps them in ``known_units`` (``_id`` = unit id; a keyed ``$set``, the newest notice's wins): pages
show 江苏省科协, not ``js-kx``, and the node's own organisation may name such a unit as its ``parent_id``.
They are not directory entries: no notice can be addressed to them, nor a user given to them.
"""

from datetime import datetime

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from shared.schemas import NoticeSnapshot
from shared.storage import DUPLICATE_KEY

from .deps import Deps


def _known(d: Deps):
    return d.repo.svc.db["known_units"]


async def remember(notice: NoticeSnapshot, d: Deps) -> None:
    """Keep the units a received notice names above this node (its issuers, where its asks route to)."""
    units = {u.unit_id: u for u in [*notice.route_units, *notice.issuers] if u.node_id != d.node}
    if not units:
        return
    ops = [
        UpdateOne(
            {"_id": u.unit_id, "$or": [{"as_of": {"$lt": notice.issued_at}}, {"as_of": {"$exists": False}}]},
            {"$set": _doc(u.model_dump(mode="python"), notice.notice_id, notice.issued_at)},
            upsert=True,
        )
        for u in units.values()
    ]
    try:
        await _known(d).bulk_write(ops, ordered=False)
    except BulkWriteError as exc:  # a newer entry is there already: the upsert met its _id; nothing to do
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise


def _doc(ref: dict, notice_id: str, at: datetime) -> dict:
    return {
        "name": ref["name"],
        "kind": ref["kind"],
        "node_id": ref["node_id"],
        "contacts": ref.get("contacts", []),
        "from_notice": notice_id,
        "as_of": at,
    }


async def known_unit(unit_id: str, d: Deps) -> dict | None:
    """A unit of another level known from a notice, shaped as a directory entry (``external``), or None."""
    doc = await _known(d).find_one({"_id": unit_id})
    if doc is None:
        return None
    return {
        "_id": doc["_id"],
        "name": doc["name"],
        "kind": doc["kind"],
        "node_id": doc["node_id"],
        "contacts": doc.get("contacts", []),
        "external": True,
    }
