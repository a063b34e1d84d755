"""JSON API of the node admin: users, API tokens, the audit log. The admin pages do the same things."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.errors import NotFound
from shared.paging import page_of
from shared.schemas import Role, Slug

from ...core.audit import label
from ...core.deps import Admin
from ...core.paging import PageParams
from ...core.tokens import NAME_MAX, public_token
from ...core.users import DISPLAY_NAME_MAX, USERNAME_PATTERN, public_user
from .common import AuditFilters, check_department, export_audit, hosted_unit, search_text

router = APIRouter(prefix="/api/admin", tags=["admin"])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewUser(Body):
    username: str = Field(pattern=USERNAME_PATTERN, description="login name, lower-case")
    display_name: str = Field(min_length=1, max_length=DISPLAY_NAME_MAX)
    unit_id: Slug = Field(description="a unit of the directory hosted on this node")
    roles: list[Role] = Field(min_length=1)
    password: str | None = Field(default=None, max_length=256, description="empty: a one-time password is generated")
    department: str | None = Field(default=None, max_length=200, description="one of the unit's departments")


class UserChange(Body):
    display_name: str = Field(min_length=1, max_length=DISPLAY_NAME_MAX)
    unit_id: Slug
    roles: list[Role] = Field(min_length=1)
    department: str | None = Field(default=None, max_length=200, description="one of the unit's departments")


class NewToken(Body):
    name: str = Field(min_length=1, max_length=NAME_MAX, description="which system uses it")
    unit_id: Slug
    roles: list[Role] = Field(min_length=1)
    expires_at: AwareDatetime | None = None


def _entry(e: dict) -> dict:
    return {k: v for k, v in e.items() if k != "_id"} | {"id": e["_id"], "label": label(e["action"])}


# ---------------------------------------------------------------- users


Search = Annotated[str | None, Query(max_length=100, description="part of the name (a username: its start)")]
OfUnit = Annotated[str | None, Query(max_length=100, description="only those of this unit")]


def _filters(q: str | None, unit_id: str | None) -> dict[str, str | None]:
    return {"search": search_text(q) or None, "unit_id": (unit_id or "").strip() or None}


@router.get(
    "/users",
    summary="A page of the node's users by username (`page`, `per_page`), searched by name or "
    "of one unit; `total` counts them",
)
async def list_users(
    request: Request, actor: Admin, page: PageParams, q: Search = None, unit_id: OfUnit = None
) -> dict[str, Any]:
    users, more, total = await request.app.state.accounts.page(page, **_filters(q, unit_id))
    return page_of([public_user(u) for u in users], page, more, total).model_dump(mode="json")


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user; the answer holds the one-time password when none was given",
)
async def create_user(body: NewUser, request: Request, actor: Admin) -> dict[str, Any]:
    department = check_department(await hosted_unit(request, body.unit_id), body.department)
    user, generated = await request.app.state.accounts.create(
        actor,
        username=body.username,
        display_name=body.display_name,
        unit_id=body.unit_id,
        roles=[r.value for r in body.roles],
        password=body.password,
        department=department,
    )
    return {"user": public_user(user), "one_time_password": generated}


@router.get("/users/{username}", summary="One user")
async def get_user(username: str, request: Request, actor: Admin) -> dict[str, Any]:
    return public_user(await request.app.state.accounts.get(username))


@router.put("/users/{username}", summary="Change a user's name, unit, department and roles")
async def update_user(username: str, body: UserChange, request: Request, actor: Admin) -> dict[str, Any]:
    await request.app.state.accounts.get(username)  # 404 before asking the directory
    department = check_department(await hosted_unit(request, body.unit_id), body.department)
    user = await request.app.state.accounts.update(
        actor,
        username,
        display_name=body.display_name,
        unit_id=body.unit_id,
        roles=[r.value for r in body.roles],
        department=department,
    )
    return public_user(user)


@router.post("/users/{username}/disable", summary="Disable a user: their sessions end at once")
async def disable_user(username: str, request: Request, actor: Admin) -> dict[str, Any]:
    return public_user(await request.app.state.accounts.set_disabled(actor, username, True))


@router.post("/users/{username}/enable", summary="Enable a disabled user")
async def enable_user(username: str, request: Request, actor: Admin) -> dict[str, Any]:
    return public_user(await request.app.state.accounts.set_disabled(actor, username, False))


@router.post(
    "/users/{username}/reset-password",
    summary="Give a user a new one-time password (shown once); they must change it at login",
)
async def reset_password(username: str, request: Request, actor: Admin) -> dict[str, Any]:
    return {"username": username, "one_time_password": await request.app.state.accounts.reset_password(actor, username)}


# ---------------------------------------------------------------- tokens


@router.get(
    "/tokens",
    summary="A page of the API tokens, newest first (never their secrets), searched by name or "
    "of one unit; `total` counts them",
)
async def list_tokens(
    request: Request, actor: Admin, page: PageParams, q: Search = None, unit_id: OfUnit = None
) -> dict[str, Any]:
    tokens, more, total = await request.app.state.api_tokens.page(page, **_filters(q, unit_id))
    return page_of([public_token(t) for t in tokens], page, more, total).model_dump(mode="json")


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token for a unit and roles; the token is in this answer only",
)
async def create_token(body: NewToken, request: Request, actor: Admin) -> dict[str, Any]:
    await hosted_unit(request, body.unit_id)
    doc, raw = await request.app.state.api_tokens.create(
        actor, name=body.name, unit_id=body.unit_id, roles=[r.value for r in body.roles], expires_at=body.expires_at
    )
    return {**public_token(doc), "token": raw}


@router.post("/tokens/{token_id}/revoke", summary="Revoke an API token: it stops working at once")
async def revoke_token(token_id: str, request: Request, actor: Admin) -> dict[str, Any]:
    if len(token_id) > 40:
        raise NotFound("令牌不存在", field="token_id")
    return public_token(await request.app.state.api_tokens.revoke(actor, token_id))


# ---------------------------------------------------------------- audit


@router.get(
    "/audit",
    summary="A page of the audit log, newest first (`page`, `per_page`), filtered; `has_more` says "
    "whether older entries follow (the log is not counted: it only grows)",
)
async def audit_log(
    request: Request, actor: Admin, filters: Annotated[AuditFilters, Query()], page: PageParams
) -> dict[str, Any]:
    entries, more = await request.app.state.audit.page(page, **filters.query(request.app.state.settings.timezone))
    return page_of([_entry(e) for e in entries], page, more, None).model_dump(mode="json")


@router.get(
    "/audit.csv",
    summary="The audit log as CSV (UTF-8 with BOM), same filters",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def audit_csv(request: Request, actor: Admin, filters: Annotated[AuditFilters, Query()]) -> StreamingResponse:
    return await export_audit(request, actor, filters)
