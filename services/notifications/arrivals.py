"""A submission arriving to review (报送, 汇总, an item sent up by itself): tell the department it is routed to.

Kept apart from handlers.py (the other causes) so each module stays readable; it uses the same delivery
machinery. The people of a department are the reviewing unit's contacts whose ``department`` it is (the
directory's contacts travel with the notice as its issuers and route targets). A department without any
falls back to every contact of the unit, and the message says so (未指定审核人员，由本单位审核人员处理).
"""

from shared.events import PlanSubmitted, ReportCompiled

from . import domain
from .handlers import Deps, _deliver, _known_units, _messages, _notice_variables

CAUSE = "submission.arrived"


def department_contacts(unit: domain.Recipient, department: str | None) -> tuple[domain.Recipient, bool]:
    """The unit with only the department's contacts; all of them (and True) when the department has none."""
    if not department:
        return unit, False
    mine = [c for c in unit.contacts if (c.get("department") or "") == department]
    if not mine:
        return unit, True
    return domain.Recipient(unit.unit_id, unit.name, mine), False


async def on_arrived(event: PlanSubmitted | ReportCompiled, d: Deps) -> int:
    """Only where the submission is reviewed (its issuer's node), for the unit hosted here it is routed to."""
    if event.issuer_node != d.node:
        return 0
    units = await _known_units([event.to_unit_id], d)
    if not units:
        return 0
    recipient, unassigned = department_contacts(units[0], event.department)
    messages, chan = await _messages(CAUSE, d)
    variables, notice = await _notice_variables(event.notice_id, event, chan, d)
    source = event.contributions[0].unit_name if isinstance(event, ReportCompiled) and event.upward != "compile" else ""
    variables.update(
        ask_title=domain.ask_title(notice, event.ask_id),
        submitter_name=source or event.unit_name,
        revision=event.revision,
        department=event.department or "",
        unassigned=unassigned,
    )
    cause = domain.Cause(event.event_id, CAUSE, event.notice_id, variables, ask_id=event.ask_id)
    return await _deliver(cause, [recipient], d, messages)
