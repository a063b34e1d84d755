"""What every service's contract shares: who asks (``Actor``), the reply envelope, and the common queries."""

from typing import Any

from pydantic import Field
from pydantic_core import to_json

from ..errors import Problem, from_problem
from ..paging import PageQuery
from ..schemas import Role, Slug, Wire


class Reply[T](Wire):
    """The envelope of every answer on the bus. ``Reply[X]`` reads one whose data is an ``X`` straight from the
    reply's JSON (each action's client does: contracts/base.py); bare ``Reply`` leaves the data as parsed."""

    ok: bool
    data: T | None = None
    error: Problem | None = None

    def result(self) -> T:
        """The data, or the service's error raised as the ``DomainError`` it was."""
        if not self.ok:
            raise from_problem(self.error or Problem(status=500, code="internal", message="unknown error"))
        return self.data  # type: ignore[return-value]  # an action whose reply may be None declares it


def reply_bytes(data: Any) -> bytes:
    """An ok reply's JSON, the data serialised once, by its models' own serialisers (a 汇总表 is ~1 MB: turned
    into dicts first, then into JSON, it cost the answering service as much again as reading it)."""
    return b'{"ok":true,"data":' + to_json(data) + b"}"


class Actor(Wire):
    """Who asks: the gateway has authenticated them; services record it and check unit scope."""

    user_id: str
    display_name: str
    unit_id: Slug
    roles: list[Role] = []
    department: str | None = Field(
        default=None,
        max_length=200,
        description="the department of its unit the user belongs to (审核 shows that department's queue first)",
    )


class Empty(Wire):
    """A request that carries nothing but who asks."""

    actor: Actor | None = None


class NoticeQuery(Wire):
    """One notice, as the actor may see it (every service answers some question about a notice)."""

    notice_id: str
    recipients: int | None = Field(
        default=None,
        ge=0,
        description="the notice itself: how many of its recipients to list, in order (none given: every one; "
        "``recipient_count`` says how many there are)",
    )
    actor: Actor | None = None


class UnitNoticesQuery(Wire):
    """A page of a unit's 收文, 发文 or 报送; without ``unit_id``, the actor's unit (or every unit for internal
    callers)."""

    unit_id: Slug | None = None
    year: int | None = Field(default=None, ge=2000, le=2100, description="only notices issued in this year")
    page: PageQuery = PageQuery()
    actor: Actor | None = None
