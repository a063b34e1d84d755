"""Server-rendered pages (zh-CN). Every page needs a login (app.py).

The notice pages (发文 at /, 收文, compose, detail) are in notices_pages.py, the directory in directory_pages.py.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, **context) -> HTMLResponse:
    app = request.app
    return app.state.templates.TemplateResponse(
        request, name, {"node_id": app.state.settings.node_id, **context}
    )
