"""Rules of notices: 文号, recipients, issuers, asks."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notices import domain
from shared.errors import Invalid, Problems
from shared.schemas import Ask, FieldType, FormField, NoticeSnapshot, UnitKind, UnitRef

NOW = datetime(2020, 5, 20, 2, 0, tzinfo=UTC)


def unit(uid: str, node: str = "gd", kind: UnitKind = UnitKind.kexie) -> UnitRef:
    return UnitRef(unit_id=uid, name=f"单位{uid}", kind=kind, node_id=node)


def ask(ask_id: str = "summary", **extra) -> Ask:
    return Ask(
        **{
            "ask_id": ask_id,
            "kind": "summary_report",
            "title": "活动总结",
            "deadline": NOW + timedelta(days=20),
            **extra,
        }
    )


# ---------------------------------------------------------------- 文号


def test_doc_number_from_the_issuer_template_as_in_seed_000():
    assert domain.format_doc_number("粤科协联〔{year}〕{seq}号", prefix="", year=2020, seq=9) == "粤科协联〔2020〕9号"


def test_doc_number_default_template_uses_the_prefix():
    assert domain.format_doc_number(None, prefix="粤科协", year=2021, seq=12) == "粤科协〔2021〕12号"


@pytest.mark.parametrize("template", ["粤科协联〔{year}〕号", "粤科协联〔2020〕{seq}号", "无编号"])
def test_template_must_hold_year_and_sequence(template):
    with pytest.raises(Invalid) as exc:
        domain.check_doc_number_template(template)
    assert exc.value.field == "doc_number_template"


@pytest.mark.parametrize("template", ["{unit}〔{year}〕{seq}号", "{year}{seq}{", "{year}{seq}{0}"])
def test_template_with_unknown_or_broken_placeholders_is_invalid_not_a_crash(template):
    with pytest.raises(Invalid) as exc:
        domain.check_doc_number_template(template)
    assert exc.value.field == "doc_number_template"


def test_template_with_prefix_placeholder_is_fine():
    domain.check_doc_number_template("{prefix}〔{year}〕{seq}号")


# ---------------------------------------------------------------- recipients and issuers


def test_recipients_keep_their_order_and_drop_duplicates():
    known = {u: unit(u) for u in ("a", "b", "c")}
    out = domain.check_recipients(["c", "a", "c", "b", "a"], known)
    assert [u.unit_id for u in out] == ["c", "a", "b"]


def test_unknown_recipient_names_its_position():
    known = {u: unit(u) for u in ("a", "b")}
    with pytest.raises(Invalid) as exc:
        domain.check_recipients(["a", "b", "ghost"], known)
    assert exc.value.field == "recipient_unit_ids.2" and exc.value.code == "unknown_recipient"
    assert "ghost" in exc.value.message


def test_unknown_recipient_field_follows_the_command():
    with pytest.raises(Invalid) as exc:
        domain.check_recipients(["x"], {}, field="forward.recipients")
    assert exc.value.field == "forward.recipients.0"


def test_joint_issue_keeps_the_lead_issuer_first():
    known = {"gd-kx": unit("gd-kx"), "gd-kjt": unit("gd-kjt", kind=UnitKind.keji)}
    assert [u.unit_id for u in domain.check_issuers(["gd-kx", "gd-kjt"], known)] == ["gd-kx", "gd-kjt"]
    with pytest.raises(Invalid) as exc:
        domain.check_issuers(["gd-kx", "nobody"], known)
    assert exc.value.field == "issuer_unit_ids.1" and exc.value.code == "unknown_issuer"


# ---------------------------------------------------------------- asks


def test_good_asks_pass():
    domain.check_asks([ask("plan", kind="plan"), ask("summary")], NOW)
    domain.check_asks([], NOW)


@pytest.mark.parametrize(
    "asks, field, code",
    [
        ([ask("a"), ask("a")], "asks.1.ask_id", "invalid"),
        ([ask("a"), ask("b", deadline=NOW)], "asks.1.deadline", "deadline_in_past"),  # "now" is already too late
        ([ask("a", deadline=NOW - timedelta(seconds=1))], "asks.0.deadline", "deadline_in_past"),
        ([ask("a", min_items=3, max_items=2)], "asks.0.min_items", "invalid"),
        (
            [
                ask(
                    "a",
                    fields=[
                        FormField(key="name", label="姓名", type=FieldType.text),
                        FormField(key="name", label="名称", type=FieldType.text),
                    ],
                )
            ],
            "asks.0.fields.1.key",
            "invalid",
        ),
    ],
)
def test_bad_asks_name_the_field(asks, field, code):
    with pytest.raises(Invalid) as exc:
        domain.check_asks(asks, NOW)
    assert (exc.value.field, exc.value.code) == (field, code)


def test_every_problem_of_every_ask_is_refused_at_once():
    asks = [
        ask("a", deadline=NOW, min_items=3, max_items=2),
        ask("b", fields=[FormField(key="m", label="模块", type=FieldType.multi_choice)]),
    ]
    with pytest.raises(Problems) as exc:
        domain.check_asks(asks, NOW)
    assert [e.field for e in exc.value.all()] == ["asks.0.deadline", "asks.0.min_items", "asks.1.fields.0.options"]


def test_ask_range_from_the_seeds_is_allowed():
    # "1-2 items": min below max, and min 0 for optional material.
    domain.check_asks([ask("media", kind="media", min_items=0, max_items=2)], NOW)


# ---------------------------------------------------------------- copies for other nodes


def notice(recipients: list[UnitRef]) -> NoticeSnapshot:
    return NoticeSnapshot(
        notice_id="n1",
        doc_number="x",
        title="t",
        issuers=[unit("gd-kx")],
        recipients=recipients,
        root_notice_id="n1",
        issued_at=NOW,
    )


def test_recipient_nodes_in_first_seen_order():
    rs = [unit("a", "sz"), unit("b", "gd"), unit("c", "sz"), unit("d", "fs")]
    assert domain.recipient_nodes(rs) == ["sz", "gd", "fs"]


def test_a_node_copy_holds_only_the_recipients_it_hosts():
    n = notice([unit("a", "sz"), unit("b", "gd"), unit("c", "sz")])
    copy = domain.for_node(n, "sz")
    assert [r.unit_id for r in copy.recipients] == ["a", "c"]
    assert copy.notice_id == n.notice_id and len(n.recipients) == 3  # the original is untouched


def test_chain_link_names_the_lead_issuer_and_its_node():
    link = domain.chain_link(notice([unit("a")]))
    assert (link.notice_id, link.issuer_name, link.node_id) == ("n1", "单位gd-kx", "gd")
