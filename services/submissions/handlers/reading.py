"""Reading submissions: one with its revisions, 报送 and 审核 a page at a time, the 汇总表 of an ask, and what is
owed for a notice."""

import asyncio

from shared.contracts.common import NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import UnitQuery
from shared.contracts.submissions import (
    ALL_DEPARTMENTS,
    NO_DEPARTMENT,
    Expected,
    ReviewQuery,
    SubmissionDetail,
    SubmissionQuery,
    SubmissionTable,
    SubmissionTableQuery,
    SubmissionView,
)
from shared.errors import Forbidden, Invalid, NotFound
from shared.paging import Page, page_of
from shared.schemas import Role
from shared.scope import act_as

from .deps import Deps, notice_of, reviews, visible
from .upward import sends_up
from .views import view, view_fields


async def get(q: SubmissionQuery, d: Deps) -> SubmissionDetail:
    doc = visible(q.actor, await d.repo.get(q.submission_id), d.node)
    notice = await d.repo.get_notice(doc["notice_id"])
    out = view_fields(doc, await d.repo.revisions_of(doc["_id"], doc.get("revision", 0)))
    out["ask"] = next((a for a in (notice or {}).get("asks", []) if a["ask_id"] == doc["ask_id"]), None)
    out["notice_status"] = (notice or {}).get("status", "issued")
    out["can_review"] = reviews(q.actor, doc, d.node) and doc["status"] == "submitted"
    out["can_commend"] = reviews(q.actor, doc, d.node) and doc["status"] == "accepted"
    out["can_return_down"] = (
        bool(doc.get("parent_submission_id"))
        and doc["unit_node"] == d.node
        and doc["status"] == "returned"
        and doc.get("returned_down") != doc["revision"]
        and q.actor is not None
        and sends_up(q.actor, doc)
    )
    return SubmissionDetail.model_validate(out)


async def mine(q: UnitNoticesQuery, d: Deps) -> Page[SubmissionView]:
    """报送: a page of what a unit owes and has submitted, the still-open first, soonest deadline first."""
    unit_id = q.unit_id or (q.actor.unit_id if q.actor else None)
    if unit_id is None:
        raise Invalid("请指定单位", field="unit_id")
    act_as(q.actor, unit_id)
    docs, more, total = await d.repo.for_unit(unit_id, q.page)
    return page_of([view(doc) for doc in docs], q.page, more, total)


async def review(q: ReviewQuery, d: Deps) -> Page[SubmissionView]:
    """审核: a page of the submissions routed to the actor's unit, those to review first, newest first."""
    if q.actor is not None and Role.reviewer not in q.actor.roles:
        raise Forbidden("需要审核权限", field="actor", code="role")
    unit_id = q.actor.unit_id if q.actor else None
    if unit_id is None:
        raise Invalid("请指定单位", field="actor")
    queues = await _queues(q, unit_id, d)
    docs, more, total = await d.repo.routed_to(unit_id, q.page, notice_id=q.notice_id, status=q.status, queues=queues)
    unstaffed = set(q.unstaffed)
    rows = [view({**doc, "unassigned": bool(doc.get("department")) and doc["department"] in unstaffed}) for doc in docs]
    return page_of(rows, q.page, more, total)


async def _queues(q: ReviewQuery, unit_id: str, d: Deps) -> list[str] | None:
    """Which departments' submissions a 审核 page shows (``domain.queue_of``); None: every department's.

    A department asked for by name must be one of the unit's (the directory says which). By default a
    reviewer of a department sees its own, what came to the unit without a department, and the departments
    nobody reviews for (they fall back to the unit's reviewers); a reviewer without one sees them all.
    """
    if q.department == ALL_DEPARTMENTS:
        return None
    if q.department == NO_DEPARTMENT:
        return [""]
    if q.department is not None:
        try:
            unit = await d.notices.get_unit(UnitQuery(unit_id=unit_id))
        except NotFound:
            unit = None
        if unit is None or q.department not in unit.departments:
            known = "、".join(unit.departments) if unit and unit.departments else "（未登记部门）"
            raise Invalid(
                f"本单位没有部门“{q.department}”，已登记：{known}", field="department", code="unknown_department"
            )
        return [q.department]
    own = q.actor.department if q.actor else None
    if not own:
        return None
    return list(dict.fromkeys([own, "", *q.unstaffed]))


async def table(q: SubmissionTableQuery, d: Deps) -> SubmissionTable:
    """汇总表 of one ask for the unit it is routed to: each unit that owes it, where it stands, its latest items.

    Units that have not submitted are rows too (status 未报送, no items): the
    compiling level sees the gaps beside the answers.
    """
    if q.actor is not None and Role.reviewer not in q.actor.roles:
        raise Forbidden("需要审核权限", field="actor", code="role")
    # The notice and the answers at once: a whole ask is the export's time, the notice a lookup beside it.
    notice, (owed, latest_of) = await asyncio.gather(
        notice_of(q.notice_id, d), d.repo.with_latest(q.notice_id, q.ask_id)
    )
    ask = next((a for a in notice.get("asks", []) if a["ask_id"] == q.ask_id), None)
    if ask is None:
        raise NotFound("报送要求不存在", field="ask_id")
    docs = [doc for doc in owed if reviews(q.actor, doc, d.node)]
    rows = []
    for doc in sorted(docs, key=lambda x: (x["unit_name"], x["unit_id"])):
        latest = latest_of.get(doc["_id"])
        rows.append(
            view_fields(doc)
            | {
                "items": (latest or {}).get("items", []),
                "submitted_at": (latest or {}).get("submitted_at"),
                "submitted_by": (latest or {}).get("submitted_by", ""),
                "contributions": (latest or {}).get("contributions", []),
            }
        )
    return SubmissionTable.model_validate(
        {
            "notice_id": q.notice_id,
            "title": notice.get("title", ""),
            "doc_number": notice.get("doc_number", ""),
            "ask": ask,
            "rows": rows,
        }
    )


async def expected(q: NoticeQuery, d: Deps) -> Expected:
    return Expected(items=[view(doc) for doc in await d.repo.for_notice(q.notice_id)])


async def commended(q: NoticeQuery, d: Deps) -> Expected:
    """评选结果: only the commended submissions of the notice (the notice page shows them by category)."""
    return Expected(items=[view(doc) for doc in await d.repo.commended(q.notice_id)])
