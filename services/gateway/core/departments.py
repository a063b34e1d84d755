"""Departments of a unit as the 审核 queues see them: which have a reviewer of their own, which fall back.

A submission routed to a department is reviewed by that department's reviewers (users whose ``department``
it is). A department nobody reviews for falls back to every reviewer of the unit, visibly: the queue marks
it 未指定审核人员，由本单位审核人员处理. Who belongs where is the gateway's (its users), so the gateway tells
the submissions service which departments are unstaffed (``ReviewQuery.unstaffed``).
"""

from dataclasses import dataclass

from fastapi import Request

from shared.contracts.common import Actor
from shared.contracts.notices import UnitQuery
from shared.errors import NotFound

from .backend import Backend

UNASSIGNED_TEXT = "未指定审核人员，由本单位审核人员处理"


@dataclass(frozen=True)
class Staffing:
    departments: list[str]  # the unit's, as the directory lists them
    unstaffed: list[str]  # those no active reviewer belongs to


async def staffing(request: Request, b: Backend, actor: Actor) -> Staffing:
    """The actor's unit's departments, and which of them have no reviewer (one directory lookup, one read of
    the unit's users)."""
    try:
        unit = await b.notices.get_unit(UnitQuery(unit_id=actor.unit_id))
        departments = list(unit.departments)
    except NotFound:
        departments = []
    staffed = await request.app.state.accounts.store.reviewer_departments(actor.unit_id)
    return Staffing(departments=departments, unstaffed=[d for d in departments if d not in staffed])
