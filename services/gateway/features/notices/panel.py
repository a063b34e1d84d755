"""What the notice page shows of submissions: the viewer's own per ask, completeness for its issuer, 评选结果."""

from typing import Any

from shared.contracts.common import Actor, NoticeQuery
from shared.contracts.reports import CompletenessQuery, RollupQuery
from shared.contracts.submissions import SubmissionQuery
from shared.errors import NotFound, Unavailable
from shared.ids import submission_id
from shared.paging import PageQuery
from shared.schemas import Commendation, Role

from ...core.backend import Backend
from ...core.rendering import plain

ROLLUP_ROWS = 20  # 下级进度 rows on the notice page


def commendations(expected: list[dict]) -> dict[str, list[dict]]:
    """评选结果: the commended submissions of a notice by category, in the categories' order, units by name."""
    out: dict[str, list[dict]] = {c.value: [] for c in Commendation}
    for row in sorted(expected, key=lambda r: (r["unit_name"], r["ask_id"])):
        if row.get("commendation"):
            out[row["commendation"]["category"]].append(row)
    return {category: rows for category, rows in out.items() if rows}


async def notice_panel(
    b: Backend, notice: dict, actor: Actor, viewer: dict, page: PageQuery | None = None
) -> dict[str, Any]:
    """What the notice page shows of submissions: the viewer's own per ask, and, for its issuer, completeness (its
    counts, and ``page`` of each ask's units, the page the 签收 table shows)."""
    mine: dict[str, dict] = {}
    if viewer.get("inbox"):
        for ask in notice["asks"]:
            sid = submission_id(notice["id"], ask["ask_id"], actor.unit_id)
            try:
                mine[ask["ask_id"]] = plain(await b.submissions.get(SubmissionQuery(submission_id=sid, actor=actor)))
            except NotFound:  # this unit's kind need not answer this ask
                pass
    completeness: dict[str, dict] = {}
    rollup: dict[str, Any] | None = None
    if viewer.get("is_issuer") and {Role.issuer, Role.reviewer} & set(actor.roles):
        try:
            pq = page or PageQuery()
            view = plain(await b.reports.completeness(CompletenessQuery(notice_id=notice["id"], page=pq)))
            completeness = {a["ask_id"]: a for a in view["asks"]}
            for a in completeness.values():  # each ask's table pages with the 签收 table (_pager.html)
                a["pager"] = {"page": pq.page, "per_page": pq.per_page, "has_more": a["more"], "total": a["owed"]}
        except NotFound:  # the read model is not there yet
            pass
        # 下级进度: the first forwarding units; the rest on /notices/{id}/rollup (features/rollup).
        try:
            rollup = plain(
                await b.reports.rollup(RollupQuery(notice_id=notice["id"], page=PageQuery(per_page=ROLLUP_ROWS)))
            )
        except Unavailable:  # the page still shows the notice; only this table waits for the service
            rollup = None
    commended: dict[str, list[dict]] = {}
    if any(a.get("accepted") for a in completeness.values()):  # only accepted submissions are commended
        try:
            commended = commendations(
                plain(await b.submissions.commended(NoticeQuery(notice_id=notice["id"])))["items"]
            )
        except Unavailable:  # the page still shows the notice; the 评选结果 wait for the service
            pass
    return {
        "my_submissions": mine,
        "completeness": completeness,
        "rollup": rollup,
        "commended": commended,
        "can_submit": Role.submitter in actor.roles,
        "can_review": Role.reviewer in actor.roles,
        "is_forward": bool(notice.get("parent_notice_id")),
    }
