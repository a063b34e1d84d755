"""Who owes what to whom, by when. Pure functions."""

from shared.schemas import Ask, NoticeSnapshot, UnitRef


def must_answer(ask: Ask, unit: UnitRef) -> bool:
    return not ask.unit_kinds or unit.kind in ask.unit_kinds


def route_for(ask: Ask, unit: UnitRef, default_unit_id: str) -> tuple[str, str | None]:
    """The issuer unit and department this unit submits to (seed 000 routes 科技局 elsewhere)."""
    for route in ask.routes:
        if route.unit_kind == unit.kind:
            return route.to_unit_id, route.department
    return default_unit_id, None


def expectation_id(notice_id: str, ask_id: str, unit_id: str) -> str:
    return f"{notice_id}:{ask_id}:{unit_id}"


def expectations(notice: NoticeSnapshot, node: str) -> list[dict]:
    """One document per (ask, recipient hosted on ``node`` that must answer it)."""
    lead = notice.issuers[0].unit_id
    docs = []
    for ask in notice.asks:
        for unit in notice.recipients:
            if unit.node_id != node or not must_answer(ask, unit):
                continue
            to_unit, department = route_for(ask, unit, lead)
            docs.append(
                {
                    "_id": expectation_id(notice.notice_id, ask.ask_id, unit.unit_id),
                    "notice_id": notice.notice_id,
                    "ask_id": ask.ask_id,
                    "ask_kind": ask.kind.value,
                    "unit_id": unit.unit_id,
                    "unit_name": unit.name,
                    "to_unit_id": to_unit,
                    "department": department,
                    "deadline": ask.deadline,
                    "status": "pending",
                }
            )
    return docs
