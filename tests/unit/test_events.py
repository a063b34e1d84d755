"""Events: the envelope, parsing by type, versions, and what is refused."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.bus import publish_event
from shared.contracts.common import Reply, reply_bytes
from shared.contracts.notices import Issued, Notices
from shared.errors import Conflict, Problem
from shared.events import (
    ALL_EVENTS,
    EVENT_TYPES,
    DeadlineApproaching,
    NoticeAcknowledged,
    NoticeIssued,
    PlanSubmitted,
    parse_event,
)
from shared.schemas import NoticeSnapshot, UnitKind, UnitRef

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def unit(uid: str, node: str = "gd") -> UnitRef:
    return UnitRef(unit_id=uid, name=uid.upper(), kind=UnitKind.kexie, node_id=node)


def issued() -> NoticeIssued:
    notice = NoticeSnapshot(
        notice_id="n1",
        doc_number="粤科协联〔2020〕9号",
        title="关于开展活动的通知",
        issuers=[unit("gd-kx")],
        recipients=[unit("sz-kx", "sz")],
        root_notice_id="n1",
        issued_at=NOW,
    )
    return NoticeIssued(occurred_at=NOW, origin_node="gd", root_notice_id="n1", notice=notice)


def ack(**extra) -> dict:
    return {
        "type": "notice.acknowledged",
        "version": 1,
        "occurred_at": NOW.isoformat(),
        "origin_node": "sz",
        "notice_id": "n1",
        "issuer_node": "gd",
        "unit_id": "sz-kx",
        "unit_name": "深圳市科协",
        "acknowledged_by": "王敏",
        "acknowledged_at": NOW.isoformat(),
        **extra,
    }


def test_every_event_type_is_registered_once_with_a_version():
    assert len(EVENT_TYPES) == len(ALL_EVENTS)
    for type_name, cls in EVENT_TYPES.items():
        assert cls.model_fields["version"].default >= 1
        assert "." in type_name


def test_envelope_defaults_to_a_fresh_sortable_event_id():
    a, b = issued(), issued()
    assert a.event_id != b.event_id
    assert len(a.event_id) == 26  # ULID


def test_round_trip_through_json_picks_the_class_by_type():
    e = issued()
    back = parse_event(e.model_dump_json())
    assert type(back) is NoticeIssued and back == e
    assert type(parse_event(ack())) is NoticeAcknowledged
    assert type(parse_event(json.dumps(ack()).encode())) is NoticeAcknowledged


def test_subject_follows_origin_and_destination():
    e = issued()
    assert e.subject() == "evt.notice.gd.gd.issued"
    assert e.subject("sz") == "evt.notice.gd.sz.issued"


@pytest.mark.parametrize(
    "raw, where",
    [
        (ack(type="notice.exploded"), "type"),  # unknown discriminator
        (ack(version=2), "version"),  # a version this code does not know
        (ack(surprise=1), "surprise"),  # extra fields are refused, not dropped
        (ack(occurred_at="2026-06-01T08:00:00"), "occurred_at"),  # naive instant
        (ack(origin_node="Bad Node"), "origin_node"),  # not a slug: would break subjects
        ({k: v for k, v in ack().items() if k != "unit_id"}, "unit_id"),  # missing
        (ack(event_id="short"), "event_id"),
    ],
)
def test_bad_events_are_refused_naming_the_field(raw, where):
    with pytest.raises(ValidationError) as exc:
        parse_event(raw)
    assert where in str(exc.value)


def test_missing_type_and_garbage_are_refused():
    with pytest.raises(ValidationError):
        parse_event({k: v for k, v in ack().items() if k != "type"})
    with pytest.raises(ValidationError):
        parse_event(b"this is not json")
    with pytest.raises(ValidationError):
        parse_event(b"[1, 2]")


def test_events_are_immutable():
    e = issued()
    with pytest.raises(ValidationError):
        e.origin_node = "sz"  # type: ignore[misc]


def test_plan_submitted_needs_a_positive_revision_and_known_kind():
    base = {
        "occurred_at": NOW,
        "origin_node": "sz",
        "submission_id": "s1",
        "notice_id": "n1",
        "ask_id": "summary",
        "kind": "summary_report",
        "unit_id": "sz-kx",
        "unit_name": "深圳市科协",
        "to_unit_id": "gd-kx",
        "unit_node": "sz",
        "issuer_node": "gd",
        "revision": 1,
        "items": [{"title": "x"}],
        "submitted_by": "王敏",
        "submitted_at": NOW,
    }
    assert PlanSubmitted(**base).revision == 1
    with pytest.raises(ValidationError, match="revision"):
        PlanSubmitted(**{**base, "revision": 0})
    with pytest.raises(ValidationError, match="kind"):
        PlanSubmitted(**{**base, "kind": "poem"})


def test_manual_chase_defaults_to_automatic():
    e = DeadlineApproaching(
        occurred_at=NOW, origin_node="gd", notice_id="n1", ask_id="summary", deadline=NOW, pending_unit_ids=["sz-kx"]
    )
    assert e.manual is False
    assert parse_event(e.model_dump(mode="json")) == e


class RecordingBroker:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, str, str, dict]] = []

    async def publish(self, body, subject, *, headers, stream, timeout):
        raw = body if isinstance(body, bytes) else body.model_dump_json().encode()
        self.sent.append((json.loads(raw), subject, stream, headers))


@pytest.mark.parametrize("dest", [None, "sz"])
async def test_an_event_as_an_outbox_entry_holds_it_is_published_as_its_model_is(dest):
    """The outbox publishes the JSON-ready dict it stored (no model made again): same subject, stream,
    deduplication id, content type and body as publishing the model."""
    e = issued()
    as_model, as_stored = RecordingBroker(), RecordingBroker()
    await publish_event(as_model, e, dest)  # type: ignore[arg-type]
    await publish_event(as_stored, e.model_dump(mode="json"), dest)  # type: ignore[arg-type]
    assert as_model.sent == as_stored.sent
    body, subject, stream, headers = as_stored.sent[0]
    assert subject == e.subject(dest) and stream == ("EVENTS_gd" if dest is None else "OUTBOX_gd")
    assert headers["Nats-Msg-Id"] == (e.event_id if dest is None else f"{e.event_id}:sz")
    assert parse_event(body) == e


def test_a_typed_reply_is_read_from_its_bytes_and_an_error_reply_raises_its_domain_error():
    data = Issued(notice_id="n1", doc_number="渭科协发〔2026〕1号", recipients=3)
    assert Notices.issue.parse_reply(reply_bytes(data)) == data
    refused = Reply(
        ok=False, error=Problem(status=409, code="duplicate_doc_number", field="doc_number", message="文号已存在")
    )
    with pytest.raises(Conflict) as caught:
        Notices.issue.parse_reply(refused.model_dump_json().encode())
    assert (caught.value.field, caught.value.code, str(caught.value)) == (
        "doc_number",
        "duplicate_doc_number",
        "文号已存在",
    )
    with pytest.raises(ValidationError):  # a reply that is not what the action answers
        Notices.issue.parse_reply(reply_bytes({"notice_id": "n1"}))
