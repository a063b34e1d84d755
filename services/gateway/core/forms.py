"""Plain HTML forms: the one rule for a refused form, its problems in zh-CN, and the values every form reads.

Repeated parts of a form are named with indexes, ``asks-0-fields-1-label``;
``nested`` turns them back into lists of dicts. Dates come from
``<input type="date">`` and mean the end of that day in the node's zone
("于6月20日前报送").
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from shared.clock import end_of_day
from shared.errors import DomainError
from shared.messages import described, field_label

# What a page handler catches around the command its form sends (and the values it builds for it).
REFUSALS = (ValidationError, DomainError)


@dataclass(frozen=True)
class Refused:
    """A refused form: the status to answer with and every problem, each with its field, label and message."""

    status: int
    problems: list[dict]

    @property
    def message(self) -> str:
        """The first problem as one line, for a page that shows one: a service's message is a sentence of its
        own; a validation message (不能为空) is said of its field (原因：不能为空)."""
        first = self.problems[0]
        return (
            f"{first['label']}：{first['message']}" if first.get("validation") and first["label"] else first["message"]
        )

    @property
    def error(self) -> DomainError:
        """The first problem as the ``error`` the admin and account templates show: they name its field."""
        first = self.problems[0]
        return DomainError(first["message"], field=first["field"] or None)


def refused(request: Request, exc: Exception, *, status: int | None = None) -> Refused:
    """THE rule for a page that re-shows its form when what was posted is refused (the one place it is written).

    - 401 and 403 propagate: the login redirect, or the error page. Nobody is shown again a form they may not
      use, whatever else was wrong with it.
    - A 404 about the page's own subject propagates: one naming a path parameter of the page (``notice_id``,
      ``ask_id``, ``submission_id``, the ``unit_id`` of the unit deleted, the ``username`` edited…; path
      parameters are named as the commands name their fields). There is no form for what is not there.
    - Every other refusal — a ``ValidationError`` of the command built from the form, any other
      ``DomainError`` of the gateway or a service — re-shows the form with what was typed and all the
      problems, answering the refusal's status (422 for a ``ValidationError``); ``status`` answers every
      refusal with one status instead (the node admin's account forms: 422, as their clients expect).

    A form that lives on another page (撤回, 催办 on the notice page) re-shows that page: a redirect to it
    with ``Refused.message`` in ``?error=``. The login form is no page behind a login: its refusals (401,
    429) are its own answers.

        try:
            await send(request, b.notices.issue, IssueNotice(...))
        except REFUSALS as exc:
            no = refused(request, exc)
            return await compose_page(request, values, no.problems, status_code=no.status)
    """
    if isinstance(exc, DomainError):
        if exc.status in (401, 403) or (exc.status == 404 and exc.field in request.path_params):
            raise exc
        return Refused(status or exc.status, problems(exc))
    if isinstance(exc, ValidationError):
        return Refused(status or 422, problems(exc))
    raise exc


# ---------------------------------------------------------------- values


def nested(form: FormData, multi: Collection[str] = ()) -> dict:
    """``a-0-b`` keys → ``{"a": [{"b": …}]}``; keys named in ``multi`` keep every value."""
    root: dict = {}
    for key in form:
        parts = key.split("-")
        values = form.getlist(key)
        value = values if parts[-1] in multi else values[-1]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


_INDEX = re.compile(r"^\d+$")
_SPLIT = re.compile(r"[,，、;；\n]+")


def _lists(node):
    if isinstance(node, dict):
        if node and all(_INDEX.match(k) for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def given(value: object) -> str:
    """A form value as typed (not stripped); a file or a missing value is ``""``."""
    return value if isinstance(value, str) else ""


def words(value) -> list[str]:
    return [w.strip() for w in _SPLIT.split(text(value)) if w.strip()]


def deadline(value, tz: str) -> str:
    """A date input → the end of that day in the node's zone; anything else is passed on to fail validation."""
    raw = text(value)
    try:
        return end_of_day(date.fromisoformat(raw), tz).isoformat()
    except ValueError:
        try:
            return datetime.fromisoformat(raw).isoformat()
        except ValueError:
            return raw


def number(value):
    raw = text(value)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw  # refused by validation, naming the field


def contacts_of(rows: list[dict] | None) -> list[dict]:
    """Contact blocks (a notice's 联系人, a unit's): a block without a name is a blank row of the form."""
    keys = ("name", "department", "office_phone", "mobile", "email", "address")
    return [{k: text(r.get(k)) or None for k in keys} for r in rows or [] if text(r.get("name"))]


# ---------------------------------------------------------------- problems in zh-CN


def problems(exc: Exception) -> list[dict]:
    """Errors to show above a form, every one of them: each with its field (as the API names it), its label
    and a zh-CN message (shared/messages.py: the one translation of validation errors)."""
    if isinstance(exc, ValidationError):
        return [
            {"field": field, "label": field_label(field), "message": message, "validation": True}
            for field, message, _ in described(exc.errors(include_url=False))
        ]
    if isinstance(exc, DomainError):
        out: list[dict[str, Any]] = []
        for err in exc.all():
            label = field_label(err.field)
            problem: dict[str, Any] = {"field": err.field, "label": label, "message": err.message}
            if label and err.message.startswith(f"{label}："):  # a service's validation message names its field
                problem |= {"message": err.message.removeprefix(f"{label}："), "validation": True}
            out.append(problem)
        return out
    raise exc
