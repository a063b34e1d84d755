"""Units of other levels, known by name from the notices received: names, not ids, across levels.

A child node's directory holds its own units; the parent's units (the issuers of what it receives, the units
its asks route to) are not in it. Each notice carries them as ``UnitRef``s (``issuers``, ``route_units``), so
the node keeps them in ``known_units`` (``_id`` = unit id; a keyed ``$set``, the newest notice's wins): pages
show 江苏省科协, not ``js-kx``, and the node's own organisation may name such a unit as its ``parent_id``.
They are not directory entries: no notice can be addressed to them, nor a user given to them.
"""

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from shared.schemas import NoticeSnapshot

from .deps import Deps


def _known(d: Deps):
    return d.repo.svc.db["known_units"]


async def remember(notice: NoticeSnapshot, d: Deps) -> None:
    """Keep the units a received notice names above this node (its issuers, where its asks route to)."""
    units = {u.unit_id: u for u in [*notice.route_units, *notice.issuers] if u.node_id != d.node}
    if not units:
        return
    known = _known(d)
    for u in units.values():
        older = {"_id": u.unit_id, "$or": [{"as_of": {"$lt": notice.issued_at}}, {"as_of": {"$exists": False}}]}
        update = {"$set": _doc(u.model_dump(mode="python"), notice.notice_id, notice.issued_at)}
        # One update per unit, not a bulk_write: the default store (FerretDB) answers an upsert that meets an
        # existing _id without "nModified", which PyMongo's bulk_write turns into a KeyError instead of a
        # BulkWriteError (so a redelivered or older notice failed for ever); update_one raises DuplicateKeyError.
        try:
            await known.update_one(older, update, upsert=True)
        except DuplicateKeyError:
            # The entry is there: newer than this notice (nothing to do), or made meanwhile by another
            # notice's handler (then ours may still be the newer one).
            await known.update_one(older, update)


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
