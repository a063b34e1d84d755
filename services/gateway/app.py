"""The gateway's composition root: FastAPI app, NATS backend, error mapping, security headers."""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from shared.errors import DomainError
from shared.settings import GatewaySettings

from . import api, pages
from .backend import Backend
from .web import STATIC_DIR, templates

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
}


def create_app(settings: GatewaySettings, backend: Backend | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await app.state.backend.start()
        yield
        await app.state.backend.stop()

    app = FastAPI(title="Cascade", version="0.1.0", lifespan=lifespan, description="级联通知系统 HTTP API")
    app.state.settings = settings
    app.state.backend = backend or Backend(settings)
    app.state.templates = templates(settings.timezone)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            loc = ["body", *exc.field.split(".")] if exc.field else ["body"]
            return JSONResponse(
                {"detail": [{"loc": loc, "msg": exc.message, "type": exc.code}]}, status_code=exc.status
            )
        return app.state.templates.TemplateResponse(
            request, "error.html", {"node_id": settings.node_id, "error": exc}, status_code=exc.status
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    @app.get("/healthz", tags=["ops"], summary="Liveness of the gateway and the node's services")
    async def healthz() -> JSONResponse:
        services = await app.state.backend.health()
        ok = all(v == "ok" for v in services.values())
        return JSONResponse({"status": "ok" if ok else "degraded", "services": services}, status_code=200 if ok else 503)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app

