"""Pages of one's own account: login, logout, password change (zh-CN).

Public: /login answers anyone; the others check the session themselves (a
one-time password must still be changed here, which ``login_required`` would
refuse).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from shared.errors import DomainError, Forbidden

from ...core import auth
from ...core.audit import client_ip
from ...core.auth import Identity, authenticate
from ...core.forms import REFUSALS, refused
from ...core.rendering import render, see_other
from ...core.sessions import Session
from ...core.users import LoginRefused, public_user

router = APIRouter(include_in_schema=False)

IdentityDep = Annotated[Identity, Depends(authenticate)]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    return target


# ---------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/") -> Response:
    try:
        await authenticate(request)
        return see_other(safe_next(next))
    except DomainError:
        pass
    auth.ensure_prelogin(request)
    response = render(
        request,
        "login.html",
        next=safe_next(next),
        username="",
        error=None,
        first_run=not await request.app.state.accounts.has_users(),
    )
    auth.set_prelogin(request, response)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    await auth.check_prelogin_csrf(request)
    state = request.app.state
    target = safe_next(next)

    def login_again(message: str, status: int, headers: dict | None = None) -> Response:
        # The login form is no page behind a login: its refusals (401, 429) are its own answers.
        auth.ensure_prelogin(request)
        return render(
            request,
            "login.html",
            status,
            headers=headers,
            next=target,
            username=username[:64],
            error=message,
            first_run=False,
        )

    if not username.strip() or not password:
        return login_again("请输入用户名和密码", 422)
    try:
        user = await state.accounts.login(username, password, ip=client_ip(request))
    except LoginRefused as exc:
        if exc.locked_until:
            retry = max(1, int((exc.locked_until - state.clock.now()).total_seconds()))
            return login_again(exc.message, 429, {"Retry-After": str(retry)})
        return login_again(exc.message, 401)
    now = state.clock.now()
    await state.sessions.sweep(now)
    session = await state.sessions.create(user["_id"], now)
    response = see_other("/account?first=1" if user.get("must_change_password") else target)
    response.set_cookie(
        auth.session_cookie(request),
        session.token,
        **auth.cookie_options(request, max_age=int(state.sessions.max_age.total_seconds())),
    )
    response.delete_cookie(
        auth.prelogin_cookie(request), path="/", secure=state.settings.secure_cookies, httponly=True, samesite="lax"
    )
    return response


@router.post("/logout")
async def logout(request: Request, identity: IdentityDep) -> Response:
    if identity.session is not None:
        await request.app.state.sessions.delete(identity.session.token)
        await request.app.state.audit.append(
            "logout", by=identity.actor, target=identity.actor.user_id, via="session", ip=client_ip(request)
        )
    response = see_other("/login")
    response.delete_cookie(
        auth.session_cookie(request),
        path="/",
        secure=request.app.state.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


# ---------------------------------------------------------------- own account


def _session_only(identity: Identity) -> Session:
    if identity.via != "session" or identity.session is None:
        raise Forbidden("接口令牌没有账户页面", code="session_required")
    return identity.session


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, identity: IdentityDep, first: int = 0) -> Response:
    _session_only(identity)
    user = public_user(await request.app.state.accounts.get(identity.actor.user_id))
    return render(
        request,
        "account.html",
        user=user,
        error=None,
        saved=False,
        first=bool(first) or identity.must_change_password,
        min_length=request.app.state.settings.password_min_length,
    )


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    identity: IdentityDep,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    confirm_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    session = _session_only(identity)
    state = request.app.state
    status, error = 200, None
    try:
        if new_password != confirm_password:
            raise DomainError("两次输入的新密码不一致", field="confirm_password")
        await state.accounts.change_password(identity.actor, current_password, new_password, keep_session=session.token)
    except REFUSALS as exc:
        no = refused(request, exc)
        status, error = no.status, no.error
    if error is None:
        identity.must_change_password = False
    user = public_user(await state.accounts.get(identity.actor.user_id))
    return render(
        request,
        "account.html",
        status,
        user=user,
        error=error,
        saved=error is None,
        first=identity.must_change_password,
        min_length=state.settings.password_min_length,
    )
