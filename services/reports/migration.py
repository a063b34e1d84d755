"""Start-up migration of a node upgraded in place: status documents of the old shape become small documents.

Before, one ``notice_status`` document per notice held every recipient
(``recipients.<unit>``), receipt (``acks.<unit>``) and submission part
(``subs.<ask>.<unit>.<part>``). Each such document is split into its header
(the same ``_id``, the maps removed) and one ``notice_units`` document per
unit, then the statistics rows are computed. Every write is the same keyed,
revision-guarded write the event handlers make, so running it twice, or
while another replica handles events, changes nothing more. Done once: the
``migrations`` collection records it, and the query for old documents finds
none afterwards anyway (``shared.storage.migrate_once``).
"""

import logging

from pymongo.errors import OperationFailure

from shared.clock import local_year
from shared.storage import migrate_once

from . import domain
from .repository import OLD_ROW_PARTS, ReportsRepository

SPLIT_STATUS = "2026-12-split-notice-status"
ANSWERS_DERIVED = "2026-12-notice-answers"
# Rows kept as the sum of parts, the parts one document per notice (they were one document per row before).
ROW_PARTS_BUILT = "2026-12-statistics-part-documents"
# Rows that keep their sums, parts what their row holds of them (repository.sum_rows adds differences since).
ROW_SUMS_KEPT = "2026-12-statistics-row-sums"
OLD_MAPS = ("recipients", "acks", "subs")
OLD_INDEX = "issuer_unit_id_1_issued_at_1"  # the old statistics query's; nothing reads by it now
OLD_MARKS_INDEX = "dirty_1"  # rows marked to be summed again, before rows kept their sums

log = logging.getLogger("cascade.reports.migration")


async def split_notice_status(repo: ReportsRepository, tz: str) -> bool:
    """Split every old-shape status document, once per database; then derive the answers of notices stored
    before 报送情况 was read from them. Returns whether the split ran."""
    done = await migrate_once(repo.db, SPLIT_STATUS, lambda: split_all(repo, tz))
    await migrate_once(repo.db, ANSWERS_DERIVED, lambda: derive_all(repo))
    await migrate_once(repo.db, ROW_PARTS_BUILT, lambda: rows_from_parts(repo))
    await migrate_once(repo.db, ROW_SUMS_KEPT, lambda: rows_with_sums(repo))
    return done


async def rows_with_sums(repo: ReportsRepository) -> None:
    """Rows summed from all their parts at every mark (before they kept their sums): rebuilt once with their sums,
    the marks and their index dropped (nothing reads them; each row write kept the index up to date)."""
    await rows_from_parts(repo)
    await repo.rows.update_many({"dirty": {"$exists": True}}, {"$unset": {"dirty": "", "dirty_v": ""}})
    try:
        await repo.rows.drop_index(OLD_MARKS_INDEX)
    except OperationFailure:  # a node that never marked rows
        pass


async def rows_from_parts(repo: ReportsRepository) -> None:
    """Statistics rows computed before they were kept as the sum of their parts, or whose parts were kept in one
    document per row: parts (one per notice) and rows built once; the old parts documents dropped."""
    rows = {d["row"] async for d in repo.units.find({}, {"row": 1}) if d.get("row")}
    await repo.refresh_rows(rows)
    await repo.db.drop_collection(OLD_ROW_PARTS)
    if rows:
        log.warning("rebuilt %d statistics rows from their parts", len(rows))


async def derive_all(repo: ReportsRepository) -> None:
    """Answers for every notice whose unit documents were written before answers were kept (idempotent)."""
    count = 0
    async for header in repo.headers.find({}, {"asks": 1}):
        if header.get("asks"):
            await repo.derive_answers(header["_id"], list(header["asks"]))
            count += 1
    if count:
        log.warning("derived the answers of %d notices for 报送情况", count)


async def split_all(repo: ReportsRepository, tz: str) -> None:
    done, rows = 0, set()
    # $exists is matched in Go (a scan of the headers): once, at the first start of this version.
    async for old in repo.headers.find({"$or": [{m: {"$exists": True}} for m in OLD_MAPS]}):
        rows |= await split_one(repo, old, tz)
        done += 1
    await repo.refresh_rows(rows)
    try:
        await repo.headers.drop_index(OLD_INDEX)
    except OperationFailure:  # never made on this node
        pass
    if done:
        log.warning("split %d notice status documents into per-unit documents", done)


async def split_one(repo: ReportsRepository, old: dict, tz: str) -> set[str]:
    """One old document: its units' documents first, the header last (so a run cut short finds it again)."""
    notice_id = old["_id"]
    revision = old.get("revision", 1)
    issuer, issued_at = old.get("issuer_unit_id"), old.get("issued_at")
    year = local_year(issued_at, tz) if issued_at else None
    asks = old.get("asks", {})
    docs = []
    for unit_id, r in (old.get("recipients") or {}).items():
        entry = {"name": r["name"], "kind": r["kind"], "node_id": r["node_id"]}
        doc = {
            "_id": domain.unit_doc_id(notice_id, unit_id),
            "notice_id": notice_id,
            "unit_id": unit_id,
            **entry,
            "recipient": True,
            "notice_rev": revision,
            "owes": [ask_id for ask_id, ask in asks.items() if domain.owes(ask, entry)],
        }
        if issuer and year is not None:
            doc.update(issuer_unit_id=issuer, year=year, issued_at=issued_at, row=domain.row_id(issuer, year, unit_id))
        docs.append(doc)
    await repo.fan_out(docs, list(asks))
    for unit_id, ack in (old.get("acks") or {}).items():
        await repo.merge_unit(notice_id, unit_id, {"ack": ack})
    for ask_id, units in (old.get("subs") or {}).items():
        for unit_id, parts in units.items():
            for part, value in (parts or {}).items():
                fields = {k: v for k, v in value.items() if k != "revision"}
                await repo.merge_part(notice_id, ask_id, unit_id, part, value.get("revision", 1), fields)
    withdrawn = old.get("status") == "withdrawn"
    if withdrawn:
        await repo.mark_withdrawn(notice_id, list(old.get("recipients") or {}))

    # ``revision`` marks a header whose notice has arrived: not one made only by receipts that came first.
    header: dict = {"revision": revision} if "doc_number" in old else {}
    if year is not None:
        header["year"] = year
    if old.get("recipients"):
        header["recipient_parts"] = {"1": len(old["recipients"])}
    if withdrawn:
        header.update(
            withdrawn=True,
            withdraw_reason=old.get("change_reason"),
            withdrawn_at=old.get("withdrawn_at"),
            status="corrected" if revision > 1 else "issued",
        )
    update: dict = {"$unset": {m: "" for m in OLD_MAPS}}
    if header:
        update["$set"] = header
    await repo.headers.update_one({"_id": notice_id}, update)
    return {d["row"] for d in docs if d.get("row")}
