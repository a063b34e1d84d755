"""Rendering: one Jinja2 environment, autoescaped, strict about undefined names."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from pathlib import Path

from fastapi import Request
from pydantic import BaseModel
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.clock import local_text

from .paging import page_url

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def templates(timezone: str, context_processors: Sequence[Callable[[Request], dict]] = ()) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )
    env.globals["page_url"] = page_url
    env.filters["local"] = lambda value, fmt="%Y-%m-%d %H:%M": local_text(_as_datetime(value), timezone, fmt) if value else ""
    return Jinja2Templates(env=env, context_processors=list(context_processors))


def plain(reply: BaseModel) -> Any:
    """A reply as the templates and form helpers read it: JSON-shaped data (instants as ISO text), as on the wire."""
    return reply.model_dump(mode="json")


def _as_datetime(value: datetime | str) -> datetime:
    # Replies from services arrive as JSON, so instants are ISO strings.
    return datetime.fromisoformat(value) if isinstance(value, str) else value
