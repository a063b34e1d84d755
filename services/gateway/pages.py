"""Server-rendered pages (zh-CN)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, **context) -> HTMLResponse:
    app = request.app
    return app.state.templates.TemplateResponse(
        request, name, {"node_id": app.state.settings.node_id, **context}
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    notices = await request.app.state.backend.call("notices", "list")
    return render(request, "home.html", notices=notices)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_page(request: Request, notice_id: str) -> HTMLResponse:
    b = request.app.state.backend
    notice = await b.call("notices", "get", {"notice_id": notice_id})
    status = await b.call("reports", "notice_status", {"notice_id": notice_id})
    return render(request, "notice.html", notice=notice, status=status)
