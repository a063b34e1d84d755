"""JSON API of the directory of org units: list, read, create or replace, remove, import and export.

Reading is for any logged-in caller; changing it is the node admin's. The directory pages do the same.
"""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.contracts.notices import DeleteUnit, ExportUnits, Unit, UnitDeleted, UnitQuery, UnitsQuery, UpsertUnit
from shared.errors import Invalid
from shared.paging import Page
from shared.schemas import UnitKind

from ...core.commands import send
from ...core.deps import Admin, BackendDep, CurrentActor
from ...core.paging import PageParams
from .importing import run_import

router = APIRouter(prefix="/api", tags=["directory"])

EXPORT_MEDIA = {"csv": "text/csv; charset=utf-8", "yaml": "application/yaml; charset=utf-8"}


@router.get("/units", summary="A page of the directory of org units, by name (filters: kind, parent_id)")
async def list_units(
    b: BackendDep, actor: CurrentActor, page: PageParams, kind: UnitKind | None = None, parent_id: str | None = None
) -> Page[Unit]:
    return await b.notices.units_page(UnitsQuery(kind=kind, parent_id=parent_id or None, page=page, actor=actor))


@router.get(
    "/units/export",
    summary="Export the directory as CSV or YAML",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/yaml": {}}}},
)
async def export_units(b: BackendDep, actor: Admin, format: Literal["csv", "yaml"] = "csv") -> Response:
    data = await b.notices.export_units(ExportUnits(format=format, actor=actor))
    return Response(
        data.content,
        media_type=EXPORT_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="units.{format}"'},
    )


@router.post(
    "/units/import",
    summary="Import org units from CSV or YAML (request body: the file's text); all rows or none",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/yaml": {"schema": {"type": "string"}}},
        }
    },
    responses={422: {"description": "bad rows, each with its line number and field"}},
)
async def import_units(request: Request, actor: Admin, format: Literal["csv", "yaml"] = "csv"):
    raw = await request.body()
    return await run_import(request, actor, format, raw)


@router.get("/units/{unit_id}", summary="One org unit")
async def get_unit(unit_id: str, b: BackendDep, actor: CurrentActor) -> Unit:
    return await b.notices.get_unit(UnitQuery(unit_id=unit_id, actor=actor))


@router.put("/units/{unit_id}", summary="Create or replace an org unit")
async def put_unit(unit_id: str, cmd: UpsertUnit, request: Request, b: BackendDep, actor: Admin) -> Unit:
    if cmd.unit_id != unit_id:
        raise Invalid("路径中的单位编号与请求体不一致", field="unit_id")
    return await send(request, b.notices.upsert_unit, cmd)


@router.delete("/units/{unit_id}", summary="Remove an org unit that has no subordinate units")
async def delete_unit(unit_id: str, request: Request, b: BackendDep, actor: Admin) -> UnitDeleted:
    return await send(request, b.notices.delete_unit, DeleteUnit(unit_id=unit_id, actor=actor))
