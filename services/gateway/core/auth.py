"""Who is asking: FastAPI dependencies for authentication, roles and CSRF.

A request is authenticated either by

- ``Authorization: Bearer cas_…`` — an API token for another system, scoped
  to a unit and roles; exempt from CSRF (a browser never adds it by itself), or
- the session cookie of a logged-in person (pages, and JSON from pages):
  every unsafe request (POST, PUT, PATCH, DELETE) must then carry the CSRF
  token, in the form field ``csrf_token`` or the header ``X-CSRF-Token``.

Use in routes (through the aliases of deps.py)::

    @router.post("/notices")
    async def issue(body: Body, actor: Issuer): ...     # Issuer = Annotated[Actor, Depends(require(Role.issuer))]

    @router.get("/inbox")
    async def inbox(actor: CurrentActor): ...           # any logged-in user

The feature routers are included by app.py with
``login_required`` for every route, so a route that forgets its dependency
still refuses anonymous callers. The role is checked here; the *unit* scope
(a user sees only notices addressed to or issued by its unit) is checked by
the services, which get the actor inside every command and query (and by
scope.py for what the gateway decides itself).
"""

import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.contracts.common import Actor
from shared.contracts.notices import UnitQuery
from shared.errors import DomainError, Forbidden, NotFound, Unavailable
from shared.schemas import Role

from .security import csrf_token, csrf_valid, new_secret
from .sessions import Session
from .tokens import token_actor
from .users import actor_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

ROLE_LABELS = {
    Role.admin: "管理员",
    Role.issuer: "发文",
    Role.reviewer: "审核",
    Role.submitter: "报送",
    Role.signer: "签发人",
}


class LoginRequired(DomainError):
    """No valid session or token: pages redirect to /login, the API answers 401."""

    status = 401
    code = "unauthenticated"


class PasswordChangeRequired(DomainError):
    """The account has a one-time password: only the password page and logout are open."""

    status = 403
    code = "password_change_required"


@dataclass
class Identity:
    actor: Actor
    via: Literal["session", "token"]
    session: Session | None = None
    must_change_password: bool = False
    unit_name: str = ""


# ---------------------------------------------------------------- cookies


def session_cookie(request: Request) -> str:
    # __Host- cookies are only accepted over HTTPS, for this exact host and path /.
    return "__Host-cascade_session" if request.app.state.settings.secure_cookies else "cascade_session"


def prelogin_cookie(request: Request) -> str:
    return "__Host-cascade_prelogin" if request.app.state.settings.secure_cookies else "cascade_prelogin"


def cookie_options(request: Request, max_age: int | None = None) -> dict:
    return {
        "httponly": True,
        "samesite": "lax",  # links in notification e-mails still open logged in; forms carry a CSRF token
        "secure": request.app.state.settings.secure_cookies,
        "path": "/",
        "max_age": max_age,
    }


# ---------------------------------------------------------------- CSRF


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key.get_secret_value()


def csrf_for(request: Request) -> str:
    """The CSRF token for forms on this page: bound to the session, or before login to the pre-login cookie."""
    identity: Identity | None = getattr(request.state, "identity", None)
    if identity is not None and identity.session is not None:
        return csrf_token(_secret(request), identity.session.token)
    binding = getattr(request.state, "prelogin", None) or request.cookies.get(prelogin_cookie(request))
    return csrf_token(_secret(request), "prelogin:" + binding) if binding else ""


def ensure_prelogin(request: Request) -> str:
    """The pre-login binding for the login form; a new one is set as a cookie by ``set_prelogin``."""
    value = request.cookies.get(prelogin_cookie(request)) or new_secret()
    request.state.prelogin = value
    return value


def set_prelogin(request: Request, response) -> None:
    value = getattr(request.state, "prelogin", None)
    if value and request.cookies.get(prelogin_cookie(request)) != value:
        response.set_cookie(prelogin_cookie(request), value, **cookie_options(request, max_age=3600))


async def submitted_csrf(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        # Starlette caches the parsed form, so the route reads the same one.
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request, binding: str) -> None:
    if not csrf_valid(_secret(request), binding, await submitted_csrf(request)):
        raise Forbidden("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试", field=CSRF_FIELD, code="csrf")


async def check_prelogin_csrf(request: Request) -> None:
    binding = request.cookies.get(prelogin_cookie(request))
    if not binding:
        raise Forbidden("页面已过期（CSRF 校验失败），请刷新登录页后重试", field=CSRF_FIELD, code="csrf")
    await check_csrf(request, "prelogin:" + binding)


# ---------------------------------------------------------------- authentication

# Declares the bearer scheme in the OpenAPI document; the header is read below.
BEARER = HTTPBearer(
    auto_error=False, scheme_name="apiToken", description="接口令牌 cas_…，由节点管理员创建，限定单位与角色"
)


async def authenticate(
    request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
) -> Identity:
    """The identity behind the request, or ``LoginRequired``. Cached on the request."""
    cached = getattr(request.state, "identity", None)
    if cached is not None:
        return cached
    state = request.app.state
    now = state.clock.now()
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise LoginRequired("Authorization 须为 “Bearer <接口令牌>”", field="authorization")
        doc = await state.tokens.verify(value.strip(), now)
        if doc is None:
            raise LoginRequired("接口令牌无效、已吊销或已过期", field="authorization", code="invalid_token")
        identity = Identity(actor=token_actor(doc), via="token")
    else:
        raw = request.cookies.get(session_cookie(request))
        session = await state.sessions.get(raw, now) if raw else None
        user = await state.accounts.active_user(session.user_id) if session else None
        if session is None or user is None:
            raise LoginRequired("请先登录")
        identity = Identity(
            actor=actor_of(user),
            via="session",
            session=session,
            must_change_password=bool(user.get("must_change_password")),
        )
        if request.method not in SAFE_METHODS:
            await check_csrf(request, session.token)
        identity.unit_name = await state.unit_names.name(identity.actor.unit_id)
    # The admin role counts only in the node's own unit: the actor the routes, pages and services see holds
    # only the roles that count.
    node_unit = await state.node_unit.get()
    roles = effective_roles(identity.actor, node_unit)
    if roles != set(identity.actor.roles):
        identity.actor = identity.actor.model_copy(update={"roles": [r for r in identity.actor.roles if r in roles]})
    request.state.node_unit = node_unit
    request.state.identity = identity
    request.state.actor = identity.actor
    return identity


async def login_required(identity: Annotated[Identity, Depends(authenticate)]) -> Identity:
    """Any authenticated caller whose account is usable (no one-time password left to change)."""
    if identity.must_change_password:
        raise PasswordChangeRequired("请先修改初始密码", field="password")
    return identity


async def current_actor(identity: Annotated[Identity, Depends(login_required)]) -> Actor:
    return identity.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(*roles: Role):
    """A dependency returning the actor if it holds any of ``roles``; otherwise 403."""
    if not roles:
        raise ValueError("require() needs at least one role")
    wanted = set(roles)

    async def dependency(request: Request, identity: Annotated[Identity, Depends(login_required)]) -> Actor:
        if not wanted & effective_roles(identity.actor, getattr(request.state, "node_unit", None)):
            names = "、".join(ROLE_LABELS[r] for r in roles)
            raise Forbidden(f"没有权限：需要“{names}”角色", code="forbidden_role")
        return identity.actor

    dependency.__name__ = "require_" + "_".join(r.value for r in roles)
    return dependency


def effective_roles(actor: Actor, node_unit: str | None) -> set[Role]:
    """The roles that count: node admin only within the node's own org unit (node_unit.py).

    With no node unit known (no ``org_unit_id`` configured and no first admin recorded) nobody is node admin.
    """
    roles = set(actor.roles)
    if not node_unit or actor.unit_id != node_unit:
        roles.discard(Role.admin)
    return roles


# ---------------------------------------------------------------- unit names for the header


class UnitNames:
    """Unit names for page headers, asked of the directory one unit at a time and kept a minute."""

    TTL_S = 60.0

    def __init__(self, backend) -> None:
        self.backend = backend
        self._cache: dict[str, tuple[float, str]] = {}

    async def name(self, unit_id: str) -> str:
        hit = self._cache.get(unit_id)
        if hit is not None and time.monotonic() - hit[0] < self.TTL_S:
            return hit[1]
        try:
            name = (await self.backend.notices.get_unit(UnitQuery(unit_id=unit_id))).name
        except NotFound:
            name = unit_id
        except Unavailable:
            return hit[1] if hit is not None else unit_id  # the header must not fail with the directory
        self._cache[unit_id] = (time.monotonic(), name)
        return name


def template_context(request: Request) -> dict:
    """What every page may show: who is logged in, and the CSRF token for its forms."""
    identity: Identity | None = getattr(request.state, "identity", None)
    return {
        "me": identity.actor if identity is not None and identity.via == "session" else None,
        "my_unit_name": identity.unit_name if identity is not None else "",
        "role_labels": ROLE_LABELS,
        "csrf_token": csrf_for(request),
        "csrf_field": CSRF_FIELD,
    }
