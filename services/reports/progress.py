"""下级进度, shaped: a 转发's figures and rows from the read models, its reports, and what a reader sees. Pure.

The forwarding level's side: ``figures`` and ``unit_rows`` turn the 转发's header and unit documents (the same
ones 签收情况 and 报送情况 read) into a report; ``report_events`` cuts it into parts. The upstream side keeps
the newest report per 转发 (rollup.py) and reads it through ``figures_view`` and ``unit_view``, which say what
is 逾期 as of the moment it is read: a deadline passes without any event.
"""

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from shared.events import ProgressReported
from shared.progress import AnswerState, AskProgress, ForwardFigures, ProgressFigures, UnitProgress
from shared.schemas import UnitRef

from .domain import owes, recipients_of, unit_state

# Recipients' rows per event: a 转发 to thousands of units is reported in parts that fit a NATS message.
UNITS_PER_PART = 200


def utc(at: datetime) -> datetime:
    """Datetimes read back from a store that drops the zone (the in-memory one of the fast tests) are UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def aware(at: datetime | None) -> datetime | None:
    return None if at is None else utc(at)


def report_event_id(forward_notice_id: str, sequence: int, part: int) -> str:
    """The same report (and its copies passed on up the levels) always has the same id: JetStream drops repeats."""
    return hashlib.sha256(f"progress:{forward_notice_id}:{sequence}:{part}".encode()).hexdigest()[:32]


# ---------------------------------------------------------------- the forwarding level: its report


def _answer(entry: dict) -> AnswerState:
    state = unit_state(entry)
    return AnswerState(status=state["status"], late=bool(state.get("late")) and state["status"] != "pending")


def figures(header: dict, units: list[dict]) -> ProgressFigures:
    """签收 and, per ask, 报送/采用/退回/迟报/未报 over the 转发's recipients (the same rules as 报送情况)."""
    recipients = recipients_of(units)
    asks = []
    for ask_id, ask in sorted((header.get("asks") or {}).items(), key=lambda kv: (kv[1]["deadline"], kv[0])):
        answers = [_answer((u.get("subs") or {}).get(ask_id, {})) for u in recipients if owes(ask, u)]
        asks.append(
            AskProgress(
                ask_id=ask_id,
                title=ask.get("title", ""),
                deadline=utc(ask["deadline"]),
                owed=len(answers),
                submitted=sum(1 for a in answers if a.status != "pending"),
                accepted=sum(1 for a in answers if a.status == "accepted"),
                returned=sum(1 for a in answers if a.status == "returned"),
                late=sum(1 for a in answers if a.late),
                pending=sum(1 for a in answers if a.status == "pending"),
            )
        )
    return ProgressFigures(
        recipients=len(recipients), acknowledged=sum(1 for u in recipients if u.get("ack")), asks=asks
    )


def forward_figures(doc: dict) -> ForwardFigures:
    """A stored report (rollup.py's ``progress``), as the row of its forwarding unit carries it one level up."""
    return ForwardFigures(
        forward_notice_id=doc["_id"],
        doc_number=doc.get("doc_number", ""),
        sequence=doc["sequence"],
        as_of=utc(doc["as_of"]),
        withdrawn=doc.get("withdrawn", False),
        figures=ProgressFigures.model_validate(doc["figures"]),
    )


def forwards_by_unit(children: Iterable[dict]) -> dict[str, ForwardFigures]:
    """Each forwarding unit (the lead and the co-forwarders of a joint 转发) → its 转发's latest figures."""
    out: dict[str, ForwardFigures] = {}
    for doc in sorted(children, key=lambda d: d["_id"]):
        nested = forward_figures(doc)
        for unit_id in [doc["unit_id"], *(c["unit_id"] for c in doc.get("co_forwarders", []))]:
            out.setdefault(unit_id, nested)
    return out


def unit_rows(header: dict, units: list[dict], forwards: dict[str, ForwardFigures]) -> list[UnitProgress]:
    """One row per recipient, by name: its 签收, its answer per ask it owes, its own 转发's figures."""
    asks = header.get("asks") or {}
    rows = []
    for u in recipients_of(units):
        subs = u.get("subs") or {}
        rows.append(
            UnitProgress(
                unit_id=u["unit_id"],
                name=u.get("name") or u["unit_id"],
                kind=u.get("kind") or "",
                node_id=u.get("node_id") or "",
                acknowledged_at=aware((u.get("ack") or {}).get("at")),
                answers={a: _answer(subs.get(a, {})) for a, ask in asks.items() if owes(ask, u)},
                forward=forwards.get(u["unit_id"]),
            )
        )
    rows.sort(key=lambda r: (r.name, r.unit_id))
    return rows


def report_events(
    out: dict, header: dict, figures_: ProgressFigures, rows: list[UnitProgress], *, node: str, now: datetime
) -> list[ProgressReported]:
    """The report of one 转发 (``out``: its record in ``progress_out``, with the sequence just taken), in parts."""
    slices = [rows[i : i + UNITS_PER_PART] for i in range(0, len(rows), UNITS_PER_PART)] or [[]]
    sequence = out["sequence"]
    return [
        ProgressReported(
            event_id=report_event_id(out["_id"], sequence, part),
            occurred_at=now,
            origin_node=node,
            root_notice_id=header.get("root_notice_id") or out["chain"][0],
            forward_notice_id=out["_id"],
            notice_id=out["notice_id"],
            chain=out["chain"],
            issuer_node=out["issuer_node"],
            node_id=node,
            doc_number=header.get("doc_number") or out.get("doc_number", ""),
            unit_id=out["unit_id"],
            unit_name=out["unit_name"],
            co_forwarders=[UnitRef.model_validate(c) for c in out.get("co_forwarders", [])],
            sequence=sequence,
            as_of=now,
            withdrawn=bool(header.get("withdrawn")),
            figures=figures_,
            part=part,
            parts=len(slices),
            units=chunk,
        )
        for part, chunk in enumerate(slices, start=1)
    ]


def relayed(event: ProgressReported, node: str) -> ProgressReported:
    """A report passed on up by this level: the same body and id, from this node (its links stamp the origin)."""
    return event.model_copy(update={"origin_node": node})


# ---------------------------------------------------------------- the upstream side: what a reader sees


def overdue(ask: dict, now: datetime) -> int:
    """逾期: sent late, or not sent and the deadline has passed."""
    deadline = aware(ask["deadline"])
    return ask.get("late", 0) + (ask.get("pending", 0) if deadline is not None and deadline < now else 0)


def figures_view(figures_: dict, now: datetime) -> dict:
    """The figures with 逾期 per ask and the sums over the asks (报送 x/y, 采用, 逾期)."""
    asks = [{**a, "overdue": overdue(a, now)} for a in figures_.get("asks", [])]
    return {
        "recipients": figures_.get("recipients", 0),
        "acknowledged": figures_.get("acknowledged", 0),
        "asks": asks,
        **{k: sum(a[k] for a in asks) for k in ("owed", "submitted", "accepted", "returned", "overdue")},
    }


def forward_view(doc: dict, now: datetime) -> dict:
    """A stored report's summary: which 转发, by whom, its figures as of when."""
    co = doc.get("co_forwarders", [])
    return {
        "forward_notice_id": doc["_id"],
        "notice_id": doc["notice_id"],
        "doc_number": doc.get("doc_number", ""),
        "unit_id": doc["unit_id"],
        "unit_name": doc["unit_name"],
        "unit_names": [doc["unit_name"], *(c["name"] for c in co)],
        "node_id": doc.get("node_id", ""),
        "sequence": doc["sequence"],
        "as_of": aware(doc["as_of"]),
        "received_at": aware(doc.get("received_at")),
        "withdrawn": doc.get("withdrawn", False),
        "figures": figures_view(doc["figures"], now),
    }


def unit_view(row: dict, deadlines: dict[str, datetime], now: datetime) -> dict:
    """A recipient's row as read: each answer 逾期 or not, and its own 转发's figures as of now."""
    answers = {}
    for ask_id, answer in (row.get("answers") or {}).items():
        deadline = aware(deadlines.get(ask_id))
        late = answer.get("late", False)
        missed = answer.get("status", "pending") == "pending" and deadline is not None and deadline < now
        answers[ask_id] = {**answer, "overdue": late or missed}
    forward = row.get("forward")
    return {
        **{k: row.get(k) for k in ("unit_id", "name", "kind", "node_id")},
        "acknowledged_at": aware(row.get("acknowledged_at")),
        "answers": answers,
        "owed": len(answers),
        "submitted": sum(1 for a in answers.values() if a.get("status", "pending") != "pending"),
        "accepted": sum(1 for a in answers.values() if a.get("status") == "accepted"),
        "overdue": sum(1 for a in answers.values() if a["overdue"]),
        "forward": None
        if forward is None
        else {
            **{k: forward.get(k) for k in ("forward_notice_id", "doc_number", "sequence", "withdrawn")},
            "as_of": aware(forward.get("as_of")),
            "figures": figures_view(forward["figures"], now),
        },
    }
