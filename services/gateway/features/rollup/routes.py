"""下级进度: for each recipient that forwarded a notice, that level's own progress, and one level further.

For the notice's issuing unit (its issuers and reviewers). Each level reports its 转发's progress upward and
passes on the reports of the levels below it (services/reports/rollup.py), so the issuer's own reports
service answers every level: the 转发 made of the notice (a page, by forwarding unit), and any 转发 below,
opened from the notice with its recipients a page at a time.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from shared.contracts.reports import ForwardProgress, ForwardProgressQuery, Rollup, RollupQuery
from shared.paging import MAX_PER_PAGE, Page

from ...core.deps import BackendDep, Tracker
from ...core.paging import PageParams
from ...core.rendering import plain, render
from ...core.scope import issued_by_own_unit

api = APIRouter(prefix="/api", tags=["rollup"])
pages = APIRouter(include_in_schema=False)

NoticeId = Annotated[str, Path(max_length=80, description="a notice my unit issued (or forwarded)")]
ForwardId = Annotated[str, Path(max_length=80, description="a 转发 made of it, at any level below")]
STATUS = {"pending": "未报送", "submitted": "已报送", "returned": "已退回", "accepted": "已采用"}


@api.get(
    "/notices/{notice_id}/rollup",
    summary="下级进度: for each 转发 made of my unit's notice, that level's 签收 x/y, 报送 x/y per ask, 采用, 逾期 "
    "(a page, by forwarding unit; ``as_of``: when that level took its figures)",
)
async def rollup_json(notice_id: NoticeId, b: BackendDep, actor: Tracker, pq: PageParams) -> Rollup:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.reports.rollup(RollupQuery(notice_id=notice_id, page=pq))


@api.get(
    "/notices/{notice_id}/rollup/{forward_notice_id}",
    summary="下级进度 one level further: a 转发 made below my unit's notice, its figures, the levels in between, "
    f"and a page of its recipients (签收, 报送 per ask, its own 转发 if any); ``per_page`` up to {MAX_PER_PAGE}",
)
async def forward_json(
    notice_id: NoticeId, forward_notice_id: ForwardId, b: BackendDep, actor: Tracker, pq: PageParams
) -> ForwardProgress:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.reports.forward_progress(
        ForwardProgressQuery(notice_id=notice_id, forward_notice_id=forward_notice_id, page=pq)
    )


@pages.get("/notices/{notice_id}/rollup", response_class=HTMLResponse)
async def rollup_page(
    request: Request, notice_id: NoticeId, b: BackendDep, actor: Tracker, pq: PageParams
) -> HTMLResponse:
    notice = await issued_by_own_unit(b, notice_id, actor)
    rollup = plain(await b.reports.rollup(RollupQuery(notice_id=notice_id, page=pq)))
    return render(
        request, "rollup.html", notice=notice, rollup=rollup, page=Page[dict].model_validate(rollup["forwards"])
    )


@pages.get("/notices/{notice_id}/rollup/{forward_notice_id}", response_class=HTMLResponse)
async def forward_page(
    request: Request, notice_id: NoticeId, forward_notice_id: ForwardId, b: BackendDep, actor: Tracker, pq: PageParams
) -> HTMLResponse:
    notice = await issued_by_own_unit(b, notice_id, actor)
    opened = plain(
        await b.reports.forward_progress(
            ForwardProgressQuery(notice_id=notice_id, forward_notice_id=forward_notice_id, page=pq)
        )
    )
    return render(
        request,
        "rollup_forward.html",
        notice=notice,
        opened=opened,
        level=opened["forward"],
        asks=opened["forward"]["figures"]["asks"],
        page=Page[dict].model_validate(opened["units"]),
        statuses=STATUS,
    )
