"""Page parameters of every list route, and the links between pages (shared/paging.py has the why)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request

from shared.errors import Invalid
from shared.paging import MAX_PAGE, MAX_PER_PAGE, PageQuery


def _number(request: Request, name: str, default: int, upper: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= upper:
        raise Invalid(
            f"{'页码' if name == 'page' else '每页条数'}须为 1 到 {upper} 之间的整数", field=name, code="bad_page"
        )
    return value


def page_query(request: Request) -> PageQuery:
    """``?page=`` (from 1) and ``?per_page=`` (default 50, at most 200); anything else is a 422 naming the field."""
    return PageQuery(
        page=_number(request, "page", 1, MAX_PAGE),
        per_page=_number(request, "per_page", PageQuery().per_page, MAX_PER_PAGE),
    )


PageParams = Annotated[PageQuery, Depends(page_query)]


def year_filter(request: Request) -> int | None:
    """``?year=``: only what was issued in that year (the node's zone); empty means every year."""
    raw = request.query_params.get("year")
    if raw in (None, ""):
        return None
    if not (raw.isdigit() and 2000 <= int(raw) <= 2100):
        raise Invalid("年份须为 2000 到 2100 之间的整数", field="year", code="bad_year")
    return int(raw)


YearFilter = Annotated[int | None, Depends(year_filter)]


def page_url(request: Request, page: int) -> str:
    """The same list (path and filters) at another page."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    return request.url.path + (f"?{urlencode(params)}" if params else "")
