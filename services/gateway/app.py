"""The gateway's composition root: FastAPI app, NATS backend, its own store, auth, error mapping, security, and
the feature routers — the only module that knows every feature (features/*; what they share is core/*)."""

from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.bus import problem_from_validation
from shared.clock import Clock, SystemClock
from shared.errors import DomainError, Invalid, from_problem
from shared.messages import request_errors
from shared.settings import GatewaySettings
from shared.storage import connect, database, ensure_indexes

from .core import audit, security, sessions, tokens, users
from .core.audit import AuditLog
from .core.auth import LoginRequired, PasswordChangeRequired, UnitNames, login_required, template_context
from .core.backend import Backend
from .core.node_unit import NodeUnit
from .core.rendering import STATIC_DIR, render, templates
from .core.sessions import SessionStore
from .core.tokens import ApiTokens, TokenStore
from .core.users import Accounts, Policy
from .features.account import api as account_api
from .features.account import pages as account_pages
from .features.admin import api as admin_api
from .features.admin import dead_letters
from .features.admin import pages as admin_pages
from .features.directory import api as directory_api
from .features.directory import pages as directory_pages
from .features.documents import api as documents_api
from .features.documents import pages as documents_pages
from .features.drafts import api as drafts_api
from .features.drafts import pages as drafts_pages
from .features.imports import api as imports_api
from .features.imports import pages as imports_pages
from .features.imports.reviews import ImportReviews
from .features.notices import api as notices_api
from .features.notices import pages as notices_pages
from .features.notifications import api as notifications_api
from .features.notifications import pages as notifications_pages
from .features.reach import api as reach_api
from .features.reach import links as reach_links
from .features.reach import pages as reach_pages
from .features.rollup import routes as rollup
from .features.statistics import routes as statistics
from .features.submissions import api as submissions_api
from .features.submissions import pages as submissions_pages

INDEXES = [*users.INDEXES, *sessions.INDEXES, *tokens.INDEXES, *audit.INDEXES]

# The routers of the features, each route with a login (a route adds its role: core/deps.py), JSON then pages.
PROTECTED_ROUTERS = (
    account_api.router,
    notices_api.router,
    drafts_api.router,
    imports_api.router,
    directory_api.router,
    submissions_api.router,
    documents_api.router,  # after submissions: its table.csv is matched before table.{fmt}
    statistics.api,
    rollup.api,
    notifications_api.router,
    notifications_api.deliveries,
    reach_api.router,
    admin_api.router,
    dead_letters.api,
    notices_pages.router,
    drafts_pages.router,
    imports_pages.router,
    directory_pages.router,
    submissions_pages.router,
    documents_pages.router,
    statistics.pages,
    rollup.pages,
    notifications_pages.router,
    reach_pages.router,
    admin_pages.router,
    dead_letters.pages,
)
# The public ones: /login (account_pages.router serves it and checks the rest itself), /healthz, /static, and
# the personal link page /r/<token> (authenticated by the link itself: features/reach/links.py).
PUBLIC_ROUTERS = (account_pages.router, reach_links.router)
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
        s.sessions = SessionStore(
            db,
            idle=timedelta(minutes=settings.session_idle_minutes),
            max_age=timedelta(hours=settings.session_max_hours),
        )
        s.tokens = TokenStore(db)
        policy = Policy.of(settings)
        s.node_unit = NodeUnit(db, settings.org_unit_id)
        s.accounts = Accounts(db, clock=clock, audit=s.audit, policy=policy, sessions=s.sessions, node_unit=s.node_unit)
        s.api_tokens = ApiTokens(s.tokens, audit=s.audit, clock=clock, policy=policy, node_unit=s.node_unit)
        s.imports = ImportReviews(db, clock)  # what a person has checked of an imported draft (导入公文)
        await s.backend.start()
        try:
            yield
        finally:
            await s.backend.stop()
            await client.close()

    app = FastAPI(
        title="Cascade",
        version="0.1.0",
        lifespan=lifespan,
        description="级联通知系统 HTTP API",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind a login
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
        return render(request, "error.html", exc.status, error=exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Unknown paths and methods: JSON for the API, a page for people.
        if wants_json(request):
            return await http_exception_handler(request, exc)
        message = HTTP_MESSAGES.get(exc.status_code, "请求无法处理")
        error = DomainError(message, code=str(exc.status_code))
        return render(request, "error.html", exc.status_code, headers=getattr(exc, "headers", None), error=error)

    @app.exception_handler(ValidationError)
    async def invalid_value(request: Request, exc: ValidationError):
        # A command built in a route from path or query values it could not hold (``DeleteUnit(unit_id=…)``):
        # bad input, so 422 naming the field, like any other.
        return await domain_error(request, from_problem(problem_from_validation(exc, skip_locs=0)))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # FastAPI's own validation of a request's body, query or path: every error, in zh-CN, naming its field.
        detail = request_errors(exc.errors())
        if wants_json(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return render(request, "error.html", 422, error=Invalid("；".join(d["msg"] for d in detail)))

    # Plain ASGI middlewares: BaseHTTPMiddleware would wrap the body stream and hide the 413.
    app.add_middleware(security.SecurityHeaders, secure=settings.secure_cookies)
    app.add_middleware(security.BodyLimit, limit=settings.max_upload_bytes + MULTIPART_SLACK)

    @app.get("/healthz", tags=["ops"], summary="Liveness of the gateway and the node's services")
    async def healthz() -> JSONResponse:
        services = await app.state.backend.health()
        ok = all(v == "ok" for v in services.values())
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "services": services}, status_code=200 if ok else 503
        )

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(login_required)])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(login_required)])
    async def docs():
        response = get_swagger_ui_html(openapi_url="/openapi.json", title="Cascade API")
        response.headers["Content-Security-Policy"] = security.DOCS_CSP
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    for router in PROTECTED_ROUTERS:
        app.include_router(router, dependencies=[Depends(login_required)])
    return app


def problem(exc: DomainError, headers: dict | None = None) -> JSONResponse:
    """The API's refusal: one ``detail`` entry per problem (``Problems``: every mistake of the request)."""
    detail = [
        {"loc": ["body", *err.field.split(".")] if err.field else ["body"], "msg": err.message, "type": err.code}
        for err in exc.all()
    ]
    return JSONResponse({"detail": detail}, status_code=exc.status, headers=headers)
