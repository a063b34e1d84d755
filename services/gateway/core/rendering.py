"""Rendering: one Jinja2 environment, autoescaped, strict about undefined names; the one ``render()`` of a page,
``see_other()`` after a form, ``plain()`` for what the templates read."""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from shared.clock import local_text
from shared.schemas import UnitKind

from .paging import page_url

GATEWAY_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = GATEWAY_DIR / "templates"
STATIC_DIR = GATEWAY_DIR / "static"

# The zh-CN names of the shared vocabulary (shared/schemas.py) any page may show: an ask's kind, a form
# field's type, the kinds of unit.
ASK_KINDS = {
    "plan": "活动筹备方案",
    "liaison_form": "联络员回执表",
    "summary_report": "总结报告",
    "media": "影像资料",
    "other": "其他",
}
FIELD_TYPES = {
    "text": "文本",
    "choice": "单选",
    "multi_choice": "多选",
    "date": "日期",
    "number": "数字",
    "contact": "联系人",
    "file": "文件",
}
UNIT_KINDS = [k.value for k in UnitKind]


def templates(timezone: str, context_processors: Sequence[Callable[[Request], dict]] = ()) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )
    env.globals.update(page_url=page_url, ask_kinds=ASK_KINDS, field_types=FIELD_TYPES, unit_kinds=UNIT_KINDS)
    env.filters["local"] = lambda value, fmt="%Y-%m-%d %H:%M": (
        local_text(_as_datetime(value), timezone, fmt) if value else ""
    )
    return Jinja2Templates(env=env, context_processors=list(context_processors))


def render(
    request: Request, name: str, status_code: int = 200, *, headers: Mapping[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """A page: the template with the node's id and ``context`` (auth.template_context adds who is logged in)."""
    app = request.app
    return app.state.templates.TemplateResponse(
        request,
        name,
        {"node_id": app.state.settings.node_id, **context},
        status_code=status_code,
        headers=headers,
    )


def see_other(url: str) -> RedirectResponse:
    """After a form that took effect: the browser GETs ``url`` (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def plain(reply: BaseModel) -> Any:
    """A reply as the templates and form helpers read it: JSON-shaped data (instants as ISO text), as on the wire."""
    return reply.model_dump(mode="json")


def _as_datetime(value: datetime | str) -> datetime:
    # Replies from services arrive as JSON, so instants are ISO strings.
    return datetime.fromisoformat(value) if isinstance(value, str) else value
