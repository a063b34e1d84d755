"""The JSON API: everything the pages do, for other systems to drive Cascade."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from shared.commands import AcknowledgeNotice, IssueNotice, UpsertUnit
from shared.errors import Invalid

from .backend import Backend

router = APIRouter(prefix="/api", tags=["api"])


def backend(request: Request) -> Backend:
    return request.app.state.backend


BackendDep = Annotated[Backend, Depends(backend)]


@router.get("/units", summary="List the directory of org units")
async def list_units(b: BackendDep) -> list[dict[str, Any]]:
    return await b.call("notices", "directory.list")


@router.put("/units/{unit_id}", summary="Create or replace an org unit")
async def put_unit(unit_id: str, cmd: UpsertUnit, b: BackendDep) -> dict[str, Any]:
    if cmd.unit_id != unit_id:
        raise Invalid("路径中的单位编号与请求体不一致", field="unit_id")
    return await b.call("notices", "directory.upsert", cmd)


@router.post("/notices", status_code=status.HTTP_201_CREATED, summary="Issue a notice")
async def issue_notice(cmd: IssueNotice, b: BackendDep) -> dict[str, Any]:
    return await b.call("notices", "issue", cmd)


@router.get("/notices", summary="Notices issued on this node (发文), newest first")
async def list_notices(b: BackendDep) -> list[dict[str, Any]]:
    return await b.call("notices", "list")


@router.get("/notices/{notice_id}", summary="One notice")
async def get_notice(notice_id: str, b: BackendDep) -> dict[str, Any]:
    return await b.call("notices", "get", {"notice_id": notice_id})


@router.get("/notices/{notice_id}/status", summary="Who has and has not acknowledged (read model)")
async def notice_status(notice_id: str, b: BackendDep) -> dict[str, Any]:
    return await b.call("reports", "notice_status", {"notice_id": notice_id})


@router.get("/notices/{notice_id}/deliveries", summary="Notification deliveries for a notice")
async def notice_deliveries(notice_id: str, b: BackendDep) -> list[dict[str, Any]]:
    return await b.call("notifications", "deliveries", {"notice_id": notice_id})


@router.get("/notices/{notice_id}/expected", summary="Submissions owed for a notice")
async def notice_expected(notice_id: str, b: BackendDep) -> list[dict[str, Any]]:
    return await b.call("submissions", "expected", {"notice_id": notice_id})


@router.get("/units/{unit_id}/inbox", summary="A unit's inbox (收文)")
async def inbox(unit_id: str, b: BackendDep) -> list[dict[str, Any]]:
    return await b.call("notices", "inbox", {"unit_id": unit_id})


@router.post("/units/{unit_id}/inbox/{notice_id}/acknowledge", summary="签收: acknowledge a notice")
async def acknowledge(unit_id: str, notice_id: str, b: BackendDep) -> dict[str, Any]:
    return await b.call("notices", "acknowledge", AcknowledgeNotice(notice_id=notice_id, unit_id=unit_id))
