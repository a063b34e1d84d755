"""Subjects: who sees what is decided by these strings, so the rules are checked here."""

import pytest

from shared import subjects


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, ``>`` the rest (one or more tokens)."""
    p, s = pattern.split("."), subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)


def test_local_fact_and_addressed_copy():
    assert subjects.event("notice.issued", "gd") == "evt.notice.gd.gd.issued"
    assert subjects.event("notice.issued", "gd", None) == subjects.event("notice.issued", "gd", "gd")
    assert subjects.event("notice.issued", "gd", "sz") == "evt.notice.gd.sz.issued"


@pytest.mark.parametrize("bad", ["notice", "notice.", ".issued", "notice.issued.v2", ""])
def test_event_type_must_be_aggregate_dot_event(bad):
    with pytest.raises(ValueError, match="aggregate"):
        subjects.event(bad, "gd")


def test_consumers_on_a_node_see_local_facts_and_copies_addressed_to_it_only():
    inc = subjects.incoming("notice.issued", "sz")
    assert matches(inc, subjects.event("notice.issued", "sz"))  # local fact
    assert matches(inc, subjects.event("notice.issued", "gd", "sz"))  # copy from the parent
    assert not matches(inc, subjects.event("notice.issued", "gd"))  # the parent's own fact
    assert not matches(inc, subjects.event("notice.issued", "gd", "fs"))  # a sibling's copy
    assert not matches(inc, subjects.event("notice.acknowledged", "sz"))  # another event type


def test_events_stream_holds_local_facts_and_outbox_holds_copies_never_both():
    events = subjects.events_stream_subjects("gd")
    outbox = subjects.outbox_stream_subjects("gd", ["cn", "sz"])
    local = subjects.event("notice.issued", "gd")
    for copy in (subjects.event("notice.issued", "gd", "sz"), subjects.event("notice.acknowledged", "gd", "cn")):
        assert any(matches(p, copy) for p in outbox)
        assert not any(matches(p, copy) for p in events)
    assert any(matches(p, local) for p in events)
    assert not any(matches(p, local) for p in outbox)
    # Facts of another node are never captured here (they arrive by sourcing).
    assert not any(matches(p, subjects.event("notice.issued", "sz", "gd")) for p in events + outbox)


def test_stream_subjects_start_with_a_literal_token():
    # A stream subject starting with a wildcard overlaps the JetStream API ($JS.…).
    for subject in (
        *subjects.events_stream_subjects("gd"),
        *subjects.outbox_stream_subjects("gd", ["sz"]),
        *subjects.deadletter_stream_subjects("gd"),
    ):
        assert subject.split(".")[0] not in ("*", ">")


def test_dead_letters_of_every_consumer_land_in_the_node_deadletter_stream():
    dlq = subjects.dead_letter("gd", "reports", "gd_reports_status_issued")
    assert any(matches(p, dlq) for p in subjects.deadletter_stream_subjects("gd"))
    assert not any(matches(p, dlq) for p in subjects.deadletter_stream_subjects("sz"))


def test_names_carry_the_node_so_nodes_can_share_a_server():
    assert subjects.events_stream("gd") != subjects.events_stream("sz")
    assert subjects.durable("gd", "reports", "status_issued") == "gd_reports_status_issued"
    assert subjects.rpc("gd", "notices", "issue") == "rpc.gd.notices.issue"
    assert subjects.rpc("gd", "notices", "directory.list").split(".")[:3] == ["rpc", "gd", "notices"]


def test_services_list_names_every_process():
    from cascade.runtime import BACKEND_SERVICES

    assert set(subjects.SERVICES) == {*BACKEND_SERVICES, "gateway"}
