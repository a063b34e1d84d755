"""The gateway's composition root: FastAPI app, NATS backend, its own store, auth, error mapping, security."""

from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.bus import problem_from_validation
from shared.clock import Clock, SystemClock
from shared.errors import DomainError, Invalid
from shared.settings import GatewaySettings
from shared.storage import connect, database, ensure_indexes

from . import (
    account, admin_api, admin_pages, api, audit, dead_letters, directory_pages, notices_api, notices_pages, pages,
    security,
    sessions, statistics, submissions_api, submissions_pages, tokens, users,
)
from . import notifications_api, notifications_pages
from .audit import AuditLog
from .auth import LoginRequired, PasswordChangeRequired, UnitNames, login_required, template_context
from .backend import Backend
from .node_unit import NodeUnit
from .sessions import SessionStore
from .tokens import ApiTokens, TokenStore
from .users import Accounts, Policy
from .web import STATIC_DIR, templates

INDEXES = [*users.INDEXES, *sessions.INDEXES, *tokens.INDEXES, *audit.INDEXES]

# Routers whose every route needs a login (a route adds its role with ``require``).
PROTECTED_ROUTERS = (api.router, notices_api.router, admin_api.router, pages.router, admin_pages.router,
                     notices_pages.router, directory_pages.router, submissions_api.router,
                     submissions_pages.router, notifications_api.router, notifications_pages.router,
                     statistics.api, statistics.pages, dead_letters.api, dead_letters.pages)
# The public ones: /login (account.router serves it and checks the rest itself), /healthz, /static.
HTTP_MESSAGES = {404: "页面不存在", 405: "不支持该请求方法"}
MULTIPART_SLACK = 64 * 1024  # form boundaries and fields around an upload of max_upload_bytes


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def create_app(settings: GatewaySettings, backend: Backend | None = None, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        client = connect(settings)
        db = database(client, settings)
        await ensure_indexes(db, INDEXES)
        s = app.state
        s.audit = AuditLog(db, clock)
        s.sessions = SessionStore(db, idle=timedelta(minutes=settings.session_idle_minutes),
                                  max_age=timedelta(hours=settings.session_max_hours))
        s.tokens = TokenStore(db)
        policy = Policy.of(settings)
        s.node_unit = NodeUnit(db, settings.org_unit_id)
        s.accounts = Accounts(db, clock=clock, audit=s.audit, policy=policy, sessions=s.sessions, node_unit=s.node_unit)
        s.api_tokens = ApiTokens(s.tokens, audit=s.audit, clock=clock, policy=policy, node_unit=s.node_unit)
        await s.backend.start()
        try:
            yield
        finally:
            await s.backend.stop()
            await client.close()

    app = FastAPI(
        title="Cascade", version="0.1.0", lifespan=lifespan, description="级联通知系统 HTTP API",
        docs_url=None, redoc_url=None, openapi_url=None,  # served below, behind a login
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.backend = backend or Backend(settings)
    app.state.unit_names = UnitNames(app.state.backend)
    app.state.templates = templates(settings.timezone, context_processors=[template_context])

    @app.exception_handler(LoginRequired)
    async def login_required_handler(request: Request, exc: LoginRequired):
        if wants_json(request):
            return problem(exc, headers={"WWW-Authenticate": 'Bearer realm="cascade"'})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def password_change_handler(request: Request, exc: PasswordChangeRequired):
        return problem(exc) if wants_json(request) else RedirectResponse("/account?first=1", status_code=303)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if wants_json(request):
            return problem(exc)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"node_id": settings.node_id, "error": exc}, status_code=exc.status
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Unknown paths and methods: JSON for the API, a page for people.
        if wants_json(request):
            return await http_exception_handler(request, exc)
        message = HTTP_MESSAGES.get(exc.status_code, "请求无法处理")
        error = DomainError(message, code=str(exc.status_code))
        return app.state.templates.TemplateResponse(
            request, "error.html", {"node_id": settings.node_id, "error": error}, status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ValidationError)
    async def invalid_value(request: Request, exc: ValidationError):
        # A command built in a route from path or query values it could not hold (``DeleteUnit(unit_id=…)``):
        # bad input, so 422 naming the field, like any other.
        p = problem_from_validation(exc, skip_locs=0)
        return await domain_error(request, Invalid(p.message, field=p.field, code=p.code))

    # Plain ASGI middlewares: BaseHTTPMiddleware would wrap the body stream and hide the 413.
    app.add_middleware(security.SecurityHeaders, secure=settings.secure_cookies)
    app.add_middleware(security.BodyLimit, limit=settings.max_upload_bytes + MULTIPART_SLACK)

    @app.get("/healthz", tags=["ops"], summary="Liveness of the gateway and the node's services")
    async def healthz() -> JSONResponse:
        services = await app.state.backend.health()
        ok = all(v == "ok" for v in services.values())
        return JSONResponse({"status": "ok" if ok else "degraded", "services": services}, status_code=200 if ok else 503)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(login_required)])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(login_required)])
    async def docs():
        response = get_swagger_ui_html(openapi_url="/openapi.json", title="Cascade API")
        response.headers["Content-Security-Policy"] = security.DOCS_CSP
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(account.router)
    for router in PROTECTED_ROUTERS:
        app.include_router(router, dependencies=[Depends(login_required)])
    return app


def problem(exc: DomainError, headers: dict | None = None) -> JSONResponse:
    loc = ["body", *exc.field.split(".")] if exc.field else ["body"]
    return JSONResponse({"detail": [{"loc": loc, "msg": exc.message, "type": exc.code}]}, status_code=exc.status,
                        headers=headers)
