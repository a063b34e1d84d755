"""办理情况统计: how the units an issuer addressed handled its notices of a year (签收, 报送), as page, JSON and CSV.

For the issuer's own unit (its issuers and reviewers), from the reports
service's status documents of the notices the unit issued as lead.
"""

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from shared.commands import Actor, StatisticsQuery
from shared.schemas import Role

from .auth import require
from .notices_pages import render
from .spreadsheet import csv_text

api = APIRouter(prefix="/api", tags=["statistics"])
pages = APIRouter(include_in_schema=False)

Tracker = Annotated[Actor, Depends(require(Role.issuer, Role.reviewer))]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="calendar year in the node's zone (default: this one)")]

COLUMNS = [("name", "单位"), ("kind", "类别"), ("notices", "收文"), ("acknowledged", "已签收"), ("ack_rate", "签收率"),
           ("avg_ack_hours", "平均签收用时（小时）"), ("owed", "应报送"), ("submitted", "已报送"), ("on_time", "按时"),
           ("late", "逾期"), ("pending", "未报送"), ("accepted", "已采用"), ("returned", "已退回"),
           ("on_time_rate", "按时报送率")]


async def unit_statistics(request: Request, actor: Actor, year: int | None) -> dict[str, Any]:
    if year is None:
        year = datetime.now(ZoneInfo(request.app.state.settings.timezone)).year
    return await request.app.state.backend.call("reports", "unit_statistics",
                                                StatisticsQuery(unit_id=actor.unit_id, year=year))


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def cells(row: dict) -> list[Any]:
    return [percent(row[key]) if key.endswith("_rate") else ("" if row[key] is None else row[key])
            for key, _ in COLUMNS]


@api.get("/statistics", summary="办理情况统计: per unit my unit addressed, 签收 and 报送 on its notices of a year")
async def statistics_json(request: Request, actor: Tracker, year: Year = None) -> dict[str, Any]:
    return await unit_statistics(request, actor, year)


@api.get("/statistics.csv", response_class=Response, summary="办理情况统计 as CSV (UTF-8 with BOM)",
         responses={200: {"content": {"text/csv": {}}}})
async def statistics_csv(request: Request, actor: Tracker, year: Year = None) -> Response:
    stats = await unit_statistics(request, actor, year)
    name = f"办理情况统计-{stats['year']}.csv"
    return Response(
        csv_text([[label for _, label in COLUMNS], *(cells(r) for r in stats["units"])]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"statistics-{stats['year']}.csv\"; "
                                        f"filename*=UTF-8''{quote(name)}"},
    )


@pages.get("/statistics", response_class=HTMLResponse)
async def statistics_page(request: Request, actor: Tracker, year: Year = None) -> HTMLResponse:
    stats = await unit_statistics(request, actor, year)
    return render(request, "statistics.html", stats=stats, columns=COLUMNS,
                  rows=[cells(r) for r in stats["units"]])
