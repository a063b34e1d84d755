"""The JSON API: everything the pages do, for other systems to drive Cascade.

Every route needs a login (app.py); the role is checked here, the unit scope
by the services, which get the actor in every command and query.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from shared.commands import AcknowledgeNotice, Actor, IssueNotice, UpsertUnit
from shared.errors import Forbidden, Invalid
from shared.schemas import Role

from .audit import command
from .auth import CurrentActor, Identity, login_required, own_unit, require
from .backend import Backend

router = APIRouter(prefix="/api", tags=["api"])


def backend(request: Request) -> Backend:
    return request.app.state.backend


BackendDep = Annotated[Backend, Depends(backend)]
Admin = Annotated[Actor, Depends(require(Role.admin))]
Issuer = Annotated[Actor, Depends(require(Role.issuer))]
Tracker = Annotated[Actor, Depends(require(Role.issuer, Role.reviewer))]
Submitter = Annotated[Actor, Depends(require(Role.submitter))]


@router.get("/me", summary="Who the credentials belong to: user or token, unit, roles")
async def me(identity: Annotated[Identity, Depends(login_required)]) -> dict[str, Any]:
    return {**identity.actor.model_dump(mode="json"), "via": identity.via}


@router.get("/units", summary="List the directory of org units")
async def list_units(b: BackendDep, actor: CurrentActor) -> list[dict[str, Any]]:
    return await b.call("notices", "directory.list")


@router.put("/units/{unit_id}", summary="Create or replace an org unit (node admin)")
async def put_unit(unit_id: str, cmd: UpsertUnit, request: Request, actor: Admin) -> dict[str, Any]:
    if cmd.unit_id != unit_id:
        raise Invalid("路径中的单位编号与请求体不一致", field="unit_id")
    return await command(request, "notices", "directory.upsert", cmd)


@router.post("/notices", status_code=status.HTTP_201_CREATED, summary="Issue a notice in the name of your unit")
async def issue_notice(cmd: IssueNotice, request: Request, actor: Issuer) -> dict[str, Any]:
    return await command(request, "notices", "issue", cmd.model_copy(update={"actor": actor}))


@router.get("/notices", summary="Notices your unit issued on this node (发文), newest first")
async def list_notices(b: BackendDep, actor: CurrentActor) -> list[dict[str, Any]]:
    return await b.call("notices", "list", {"actor": actor.model_dump(mode="json")})


@router.get("/notices/{notice_id}", summary="One notice your unit issued or received")
async def get_notice(notice_id: str, b: BackendDep, actor: CurrentActor) -> dict[str, Any]:
    return await visible_notice(b, notice_id, actor)


async def visible_notice(b: Backend, notice_id: str, actor: Actor) -> dict[str, Any]:
    return await b.call("notices", "get", {"notice_id": notice_id, "actor": actor.model_dump(mode="json")})


async def issued_by_own_unit(b: Backend, notice_id: str, actor: Actor) -> dict[str, Any]:
    """Tracking a notice (who acknowledged, deliveries, what is owed) is for its issuing unit."""
    notice = await visible_notice(b, notice_id, actor)
    if actor.unit_id not in {i["unit_id"] for i in notice["issuers"]}:
        raise Forbidden("只有发文单位可以查看办理情况", field="notice_id", code="not_issuer")
    return notice


@router.get("/notices/{notice_id}/status", summary="Who has and has not acknowledged (read model)")
async def notice_status(notice_id: str, b: BackendDep, actor: Tracker) -> dict[str, Any]:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.call("reports", "notice_status", {"notice_id": notice_id})


@router.get("/notices/{notice_id}/deliveries", summary="Notification deliveries for a notice")
async def notice_deliveries(notice_id: str, b: BackendDep, actor: Tracker) -> list[dict[str, Any]]:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.call("notifications", "deliveries", {"notice_id": notice_id})


@router.get("/notices/{notice_id}/expected", summary="Submissions owed for a notice")
async def notice_expected(notice_id: str, b: BackendDep, actor: Tracker) -> list[dict[str, Any]]:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.call("submissions", "expected", {"notice_id": notice_id})


@router.get("/units/{unit_id}/inbox", summary="Your unit's inbox (收文)")
async def inbox(unit_id: str, b: BackendDep, actor: CurrentActor) -> list[dict[str, Any]]:
    own_unit(actor, unit_id)
    return await b.call("notices", "inbox", {"unit_id": unit_id, "actor": actor.model_dump(mode="json")})


@router.post("/units/{unit_id}/inbox/{notice_id}/acknowledge", summary="签收: acknowledge a notice for your unit")
async def acknowledge(unit_id: str, notice_id: str, request: Request, actor: Submitter) -> dict[str, Any]:
    own_unit(actor, unit_id)
    return await command(request, "notices", "acknowledge",
                         AcknowledgeNotice(notice_id=notice_id, unit_id=unit_id, actor=actor))
