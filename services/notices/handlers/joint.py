"""A notice is forwarded once to each recipient: joint forwarders see the 转发 as done and make no second one.

When a 转发 names co-forwarders (科协 + 科技局), each of them received the same notice; without a check
the co-forwarder could forward it again and a county unit would owe the same ask twice. So every 转发
*claims* its recipients on the notice it forwards, one small document per (notice, recipient), ``_id``
``<notice>:<recipient>``, before it is stored: the insert is the atomic test (a unique ``_id``), so two
forwards racing for a recipient cannot both win, on any replica. A claim names the forward; the loser is
refused naming the recipient (field ``recipient_unit_ids.<i>``).

A claim whose forward was never stored (the forward was refused after claiming, or the process died in
between) is released by the forward itself when refused, or taken over once it is older than
``STALE_CLAIM``. A 撤回 of a 转发 releases its claims, so the notice can be forwarded to them again.
"""

from datetime import datetime, timedelta

from pymongo.errors import BulkWriteError

from shared.errors import Invalid
from shared.schemas import UnitRef
from shared.storage import DUPLICATE_KEY

from .deps import Deps

STALE_CLAIM = timedelta(minutes=10)


def claim_id(notice_id: str, unit_id: str) -> str:
    return f"{notice_id}:{unit_id}"


def _claims(d: Deps):
    return d.repo.svc.db["forward_claims"]


async def claim_recipients(
    notice_id: str,
    forward_id: str,
    recipients: list[UnitRef],
    requested: list[str],
    forwarders: list[UnitRef],
    now: datetime,
    d: Deps,
) -> None:
    """Claim each recipient of a new 转发 of ``notice_id``, or refuse (releasing what was claimed)."""
    docs = [
        {
            "_id": claim_id(notice_id, r.unit_id),
            "notice_id": notice_id,
            "unit_id": r.unit_id,
            "forward_id": forward_id,
            "forwarders": [f.name for f in forwarders],
            "at": now,
        }
        for r in recipients
    ]
    if not docs:
        return
    taken: list[str] = []
    try:
        await _claims(d).insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            await release(notice_id, forward_id, [r.unit_id for r in recipients], d)
            raise
        taken = [docs[e["index"]]["unit_id"] for e in errors]
    for unit_id in taken:
        if not await _take_over_stale(notice_id, unit_id, forward_id, now, d):
            await release(notice_id, forward_id, [r.unit_id for r in recipients], d)
            raise await _refusal(notice_id, unit_id, recipients, requested, d)


async def _take_over_stale(notice_id: str, unit_id: str, forward_id: str, now: datetime, d: Deps) -> bool:
    """A claim of a forward that was never stored, old enough not to be one still being stored: ours now."""
    claim = await _claims(d).find_one({"_id": claim_id(notice_id, unit_id)})
    if claim is None or claim["forward_id"] == forward_id:
        return claim is None or claim["forward_id"] == forward_id
    if await d.repo.get_notice(claim["forward_id"]) is not None or claim["at"] > now - STALE_CLAIM:
        return False
    result = await _claims(d).update_one(
        {"_id": claim["_id"], "forward_id": claim["forward_id"]}, {"$set": {"forward_id": forward_id, "at": now}}
    )
    return result.modified_count == 1


async def _refusal(notice_id: str, unit_id: str, recipients: list[UnitRef], requested: list[str], d: Deps) -> Invalid:
    claim = await _claims(d).find_one({"_id": claim_id(notice_id, unit_id)}) or {}
    earlier = await d.repo.get_notice(claim.get("forward_id", "")) if claim else None
    name = next((r.name for r in recipients if r.unit_id == unit_id), unit_id)
    by = "、".join(claim.get("forwarders") or [])
    if earlier is not None:
        how = f"已由{by}{'联合' if len(claim.get('forwarders') or []) > 1 else ''}转发（{earlier['doc_number']}）"
    else:
        how = f"正由{by}转发"
    index = requested.index(unit_id) if unit_id in requested else 0
    return Invalid(f"本通知{how}给{name}，不能重复转发", field=f"recipient_unit_ids.{index}", code="already_forwarded")


async def release(notice_id: str, forward_id: str, unit_ids: list[str], d: Deps) -> None:
    """Take back the claims of a forward that was refused or withdrawn (only its own: by ``forward_id``)."""
    ids = [claim_id(notice_id, u) for u in unit_ids]
    if ids:
        await _claims(d).delete_many({"_id": {"$in": ids}, "forward_id": forward_id})
