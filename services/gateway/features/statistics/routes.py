"""办理情况统计: how the units an issuer addressed handled its notices of a year (签收, 报送), as page, JSON and CSV.

For the issuer's own unit (its issuers and reviewers), from the reports
service's statistics rows: one per recipient unit, kept up to date as events
arrive. The page and the JSON are one page of rows at a time (by unit name);
the CSV is every row, read page by page while it streams.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from shared.contracts.common import Actor
from shared.contracts.reports import StatisticsQuery
from shared.paging import MAX_PER_PAGE, Page, PageQuery

from ...core.deps import Tracker
from ...core.paging import PageParams
from ...core.rendering import plain, render
from ...core.spreadsheet import BOM, csv_text

api = APIRouter(prefix="/api", tags=["statistics"])
pages = APIRouter(include_in_schema=False)

Year = Annotated[
    int | None, Query(ge=2000, le=2100, description="calendar year in the node's zone (default: this one)")
]
# Declared only so the API documents them: PageParams reads and checks them, with a 422 naming the field in
# Chinese (a typed parameter here would answer FastAPI's own message first).
PageNumber = Annotated[str | None, Query(description="page, from 1")]
PerPage = Annotated[str | None, Query(description=f"rows per page, 1 to {MAX_PER_PAGE} (default 50)")]

COLUMNS = [
    ("name", "单位"),
    ("kind", "类别"),
    ("notices", "收文"),
    ("acknowledged", "已签收"),
    ("ack_rate", "签收率"),
    ("avg_ack_hours", "平均签收用时（小时）"),
    ("owed", "应报送"),
    ("submitted", "已报送"),
    ("on_time", "按时"),
    ("late", "逾期"),
    ("pending", "未报送"),
    ("accepted", "已采用"),
    ("returned", "已退回"),
    ("on_time_rate", "按时报送率"),
]


async def unit_statistics(request: Request, actor: Actor, year: int | None, pq: PageQuery) -> dict[str, Any]:
    """One page of the actor's unit's rows of the year, and the year's notice count."""
    if year is None:
        year = datetime.now(ZoneInfo(request.app.state.settings.timezone)).year
    stats = await request.app.state.backend.reports.unit_statistics(
        StatisticsQuery(unit_id=actor.unit_id, year=year, page=pq)
    )
    # The JSON API keeps one flat object: the page's rows as ``units`` beside the page's position.
    page = plain(stats.units)
    return {"unit_id": stats.unit_id, "year": stats.year, "notices": stats.notices, "units": page.pop("items"), **page}


def page_of(stats: dict[str, Any]) -> Page[dict]:
    return Page[dict](
        items=stats["units"],
        page=stats["page"],
        per_page=stats["per_page"],
        has_more=stats["has_more"],
        total=stats.get("total"),
    )


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def cells(row: dict) -> list[Any]:
    return [
        percent(row[key]) if key.endswith("_rate") else ("" if row[key] is None else row[key]) for key, _ in COLUMNS
    ]


@api.get(
    "/statistics",
    summary="办理情况统计: per unit my unit addressed, 签收 and 报送 on its notices of a year; "
    "one page of units by name (``units``), ``total`` units, ``notices`` that year",
)
async def statistics_json(
    request: Request,
    actor: Tracker,
    pq: PageParams,
    year: Year = None,
    page: PageNumber = None,
    per_page: PerPage = None,
) -> dict[str, Any]:
    return await unit_statistics(request, actor, year, pq)


@api.get(
    "/statistics.csv",
    response_class=StreamingResponse,
    summary="办理情况统计 as CSV (UTF-8 with BOM): every unit",
    responses={200: {"content": {"text/csv": {}}}},
)
async def statistics_csv(request: Request, actor: Tracker, year: Year = None) -> StreamingResponse:
    # The first page is read before answering, so a bad year or a missing service is an error status, not a
    # broken download; the rest follows page by page while the file streams.
    first = await unit_statistics(request, actor, year, PageQuery(per_page=MAX_PER_PAGE))

    async def lines() -> AsyncIterator[str]:
        stats = first
        yield BOM + csv_text([[label for _, label in COLUMNS]]).removeprefix(BOM)
        while True:
            if stats["units"]:
                yield csv_text(cells(r) for r in stats["units"]).removeprefix(BOM)
            if not stats["has_more"]:
                return
            stats = await unit_statistics(
                request, actor, first["year"], PageQuery(page=stats["page"] + 1, per_page=MAX_PER_PAGE)
            )

    name = f"办理情况统计-{first['year']}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="statistics-{first["year"]}.csv"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )


@pages.get("/statistics", response_class=HTMLResponse)
async def statistics_page(request: Request, actor: Tracker, pq: PageParams, year: Year = None) -> HTMLResponse:
    stats = await unit_statistics(request, actor, year, pq)
    return render(
        request,
        "statistics.html",
        stats=stats,
        columns=COLUMNS,
        page=page_of(stats),
        rows=[cells(r) for r in stats["units"]],
    )
