"""The node admin's pages (zh-CN): users, API tokens, the audit log."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from shared.contracts.common import Actor, Empty
from shared.errors import DomainError, Invalid
from shared.paging import PageQuery, page_of
from shared.schemas import Role

from ...core.audit import ACTION_LABELS, details_text, label
from ...core.deps import Admin
from ...core.forms import REFUSALS, refused
from ...core.paging import PageParams
from ...core.rendering import plain, render, see_other
from ...core.tokens import public_token
from ...core.users import public_user
from .common import AuditFilters, check_department, export_audit, hosted_unit, search_text

router = APIRouter(prefix="/admin", include_in_schema=False)

TOKEN_LIFETIMES = {"": "永不过期", "30": "30 天", "90": "90 天", "365": "1 年"}
# The account forms answer every refusal with 422 (a name taken, the last admin kept), as their clients expect.
ACCOUNT_FORM_STATUS = 422


async def units_here(request: Request) -> list[dict]:
    """Units a user or token can belong to: those of the directory hosted on this node."""
    node = request.app.state.settings.node_id
    units = plain(await request.app.state.backend.notices.all_units(Empty()))["items"]
    return [u for u in units if (u.get("node_id") or node) == node]


def names_of(units: list[dict]) -> dict[str, str]:
    return {u["id"]: u["name"] for u in units}


# ---------------------------------------------------------------- users


def list_filters(request: Request) -> dict[str, str]:
    """The search of an admin list (``q``: part of a name; ``unit_id``) as typed, for the form and the links."""
    return {k: search_text(request.query_params.get(k)) for k in ("q", "unit_id")}


def _search(filters: dict[str, str]) -> dict[str, str | None]:
    return {"search": filters["q"] or None, "unit_id": filters["unit_id"] or None}


async def _holders_page(
    request: Request,
    template: str,
    store: Any,
    pq: PageQuery,
    status_code: int,
    listed: str,
    public: Callable[[dict], dict],
    **shown: Any,
) -> HTMLResponse:
    """用户 and 接口令牌 alike: a page of the store's entries (as ``listed``, each shown as ``public`` gives it)
    under the list's filters, with the units to choose."""
    units = await units_here(request)
    filters = list_filters(request)
    found, more, total = await store.page(pq, **_search(filters))
    shown[listed] = [public(x) for x in found]
    return render(
        request,
        template,
        status_code,
        page=page_of([], pq, more, total),
        filters=filters,
        units=units,
        unit_names=names_of(units),
        roles=list(Role),
        **shown,
    )


async def users_page(
    request: Request,
    status_code: int = 200,
    *,
    error: DomainError | None = None,
    form: dict | None = None,
    created: dict | None = None,
    pq: PageQuery = PageQuery(),
) -> HTMLResponse:
    return await _holders_page(
        request,
        "admin/users.html",
        request.app.state.accounts,
        pq,
        status_code,
        "users",
        public_user,
        error=error,
        form=form or {"roles": []},
        created=created,
    )


@router.get("/users", response_class=HTMLResponse)
async def users(request: Request, actor: Admin, page: PageParams) -> HTMLResponse:
    return await users_page(request, pq=page)


@router.post("/users", response_class=HTMLResponse)
async def create_user(
    request: Request,
    actor: Admin,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    unit_id: Annotated[str, Form(max_length=100)] = "",
    roles: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    password: Annotated[str, Form(max_length=1000)] = "",
    department: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    form = {
        "username": username,
        "display_name": display_name,
        "unit_id": unit_id,
        "roles": roles,
        "department": department,
    }
    try:
        checked = check_department(await hosted_unit(request, unit_id), department)
        user, generated = await request.app.state.accounts.create(
            actor,
            username=username,
            display_name=display_name,
            unit_id=unit_id,
            roles=roles,
            password=password or None,
            department=checked,
        )
    except REFUSALS as exc:
        no = refused(request, exc, status=ACCOUNT_FORM_STATUS)
        return await users_page(request, no.status, error=no.error, form=form)
    return await users_page(request, created={"user": public_user(user), "password": generated})


async def user_page(
    request: Request,
    username: str,
    status_code: int = 200,
    *,
    error: DomainError | None = None,
    saved: str | None = None,
    password: str | None = None,
) -> HTMLResponse:
    user = public_user(await request.app.state.accounts.get(username))
    units = await units_here(request)
    return render(
        request,
        "admin/user.html",
        status_code,
        user=user,
        units=units,
        unit_names=names_of(units),
        roles=list(Role),
        error=error,
        saved=saved,
        password=password,
    )


@router.get("/users/{username}", response_class=HTMLResponse)
async def user(request: Request, username: str, actor: Admin, saved: str | None = None) -> HTMLResponse:
    return await user_page(request, username, saved=SAVED_MESSAGES.get(saved or ""))


SAVED_MESSAGES = {"updated": "已保存。", "disabled": "账户已停用，其登录已全部退出。", "enabled": "账户已启用。"}


@router.post("/users/{username}", response_class=HTMLResponse)
async def update_user(
    request: Request,
    username: str,
    actor: Admin,
    display_name: Annotated[str, Form(max_length=200)] = "",
    unit_id: Annotated[str, Form(max_length=100)] = "",
    roles: Annotated[list[str], Form()] = [],  # noqa: B006
    department: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    accounts = request.app.state.accounts
    try:
        await accounts.get(username)
        checked = check_department(await hosted_unit(request, unit_id), department)
        await accounts.update(
            actor, username, display_name=display_name, unit_id=unit_id, roles=roles, department=checked
        )
    except REFUSALS as exc:
        no = refused(request, exc, status=ACCOUNT_FORM_STATUS)
        return await user_page(request, username, no.status, error=no.error)
    return see_other(f"/admin/users/{username}?saved=updated")


@router.post("/users/{username}/disable", response_class=HTMLResponse)
async def disable_user(request: Request, username: str, actor: Admin) -> Response:
    return await _set_disabled(request, username, actor, True)


@router.post("/users/{username}/enable", response_class=HTMLResponse)
async def enable_user(request: Request, username: str, actor: Admin) -> Response:
    return await _set_disabled(request, username, actor, False)


async def _set_disabled(request: Request, username: str, actor: Actor, disabled: bool) -> Response:
    try:
        await request.app.state.accounts.set_disabled(actor, username, disabled)
    except REFUSALS as exc:
        no = refused(request, exc)
        return await user_page(request, username, no.status, error=no.error)
    return see_other(f"/admin/users/{username}?saved={'disabled' if disabled else 'enabled'}")


@router.post("/users/{username}/reset-password", response_class=HTMLResponse)
async def reset_password(request: Request, username: str, actor: Admin) -> HTMLResponse:
    password = await request.app.state.accounts.reset_password(actor, username)
    return await user_page(request, username, password=password)


# ---------------------------------------------------------------- tokens


async def tokens_page(
    request: Request,
    status_code: int = 200,
    *,
    error: DomainError | None = None,
    form: dict | None = None,
    created: dict | None = None,
    pq: PageQuery = PageQuery(),
) -> HTMLResponse:
    return await _holders_page(
        request,
        "admin/tokens.html",
        request.app.state.api_tokens,
        pq,
        status_code,
        "tokens",
        public_token,
        lifetimes=TOKEN_LIFETIMES,
        error=error,
        form=form or {"roles": [], "lifetime": "90"},
        created=created,
    )


@router.get("/tokens", response_class=HTMLResponse)
async def tokens(request: Request, actor: Admin, page: PageParams) -> HTMLResponse:
    return await tokens_page(request, pq=page)


@router.post("/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request,
    actor: Admin,
    name: Annotated[str, Form(max_length=200)] = "",
    unit_id: Annotated[str, Form(max_length=100)] = "",
    roles: Annotated[list[str], Form()] = [],  # noqa: B006
    lifetime: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    form = {"name": name, "unit_id": unit_id, "roles": roles, "lifetime": lifetime}
    try:
        if lifetime not in TOKEN_LIFETIMES:
            raise Invalid("有效期无效", field="lifetime")
        expires_at = request.app.state.clock.now() + timedelta(days=int(lifetime)) if lifetime else None
        await hosted_unit(request, unit_id)
        doc, raw = await request.app.state.api_tokens.create(
            actor, name=name, unit_id=unit_id, roles=roles, expires_at=expires_at
        )
    except REFUSALS as exc:
        no = refused(request, exc, status=ACCOUNT_FORM_STATUS)
        return await tokens_page(request, no.status, error=no.error, form=form)
    return await tokens_page(request, created={"token": public_token(doc), "secret": raw})


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str, actor: Admin) -> Response:
    await request.app.state.api_tokens.revoke(actor, token_id[:40])
    return see_other("/admin/tokens")


# ---------------------------------------------------------------- audit


def _day(value: str | None, field: str):
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise Invalid("日期格式应为 年-月-日", field=field) from exc


def audit_filters(
    user_id: str | None, action: str | None, unit_id: str | None, since: str | None, until: str | None
) -> AuditFilters:
    return AuditFilters(
        user_id=user_id, action=action, unit_id=unit_id, since=_day(since, "since"), until=_day(until, "until")
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    request: Request,
    actor: Admin,
    page: PageParams,
    user_id: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    unit_id: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    raw = {
        "user_id": user_id or "",
        "action": action or "",
        "unit_id": unit_id or "",
        "since": since or "",
        "until": until or "",
    }
    status, error, entries, more = 200, None, [], False
    try:
        filters = audit_filters(user_id, action, unit_id, since, until)
        query = filters.query(request.app.state.settings.timezone)
        entries, more = await request.app.state.audit.page(page, **query)
    except REFUSALS as exc:  # the filter form again, with what was typed and why not
        no = refused(request, exc)
        status, error = no.status, no.error
    params = {k: v for k, v in raw.items() if v}
    rows = [{**e, "label": label(e["action"]), "details_text": details_text(e.get("details") or {})} for e in entries]
    return render(
        request,
        "admin/audit.html",
        status,
        entries=rows,
        filters=raw,
        error=error,
        page=page_of([], page, more, None),
        export="/admin/audit.csv" + ("?" + urlencode(params) if params else ""),
        actions=ACTION_LABELS,
    )


@router.get("/audit.csv")
async def audit_csv(
    request: Request,
    actor: Admin,
    user_id: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    unit_id: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
) -> StreamingResponse:
    return await export_audit(request, actor, audit_filters(user_id, action, unit_id, since, until))
