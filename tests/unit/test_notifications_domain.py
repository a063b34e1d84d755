"""Who gets told, on which channel; deliveries are deterministic so redelivery adds none."""

from services.notifications import domain
from shared.schemas import Contact, UnitKind, UnitRef


def unit(uid: str, *contacts: Contact) -> UnitRef:
    return UnitRef(unit_id=uid, name=uid, kind=UnitKind.kexie, node_id="gd", contacts=list(contacts))


def test_channels_follow_what_the_contact_gave():
    assert domain.channels_for(Contact(name="a", email="a@x.cn", mobile="138")) == ["email", "sms"]
    assert domain.channels_for(Contact(name="a", mobile="138")) == ["sms"]
    assert domain.channels_for(Contact(name="a", office_phone="020-1", fax="020-2")) == []  # phone/fax: no channel


def test_one_delivery_per_contact_and_channel_with_the_right_address():
    units = [
        unit("sz-kx", Contact(name="王敏", email="szkx@example.cn", mobile="13800000001"),
             Contact(name="副联络员", email="b@example.cn")),
        unit("scut-kx"),  # no contact: nothing to send
    ]
    docs = domain.notice_deliveries("e1", "n1", "关于开展活动的通知", units, "notice.issued")
    assert [(d["contact_name"], d["channel"], d["address"]) for d in docs] == [
        ("王敏", "email", "szkx@example.cn"),
        ("王敏", "sms", "13800000001"),
        ("副联络员", "email", "b@example.cn"),
    ]
    assert all(d["status"] == "pending" and d["notice_id"] == "n1" and d["cause_event_id"] == "e1" for d in docs)
    assert len({d["_id"] for d in docs}) == 3


def test_same_event_gives_the_same_ids_and_another_event_other_ids():
    units = [unit("sz-kx", Contact(name="王敏", email="szkx@example.cn"))]
    first = domain.notice_deliveries("e1", "n1", "t", units, "notice.issued")
    again = domain.notice_deliveries("e1", "n1", "t", units, "notice.issued")
    other = domain.notice_deliveries("e2", "n1", "t", units, "notice.corrected")
    assert [d["_id"] for d in first] == [d["_id"] for d in again]
    assert not {d["_id"] for d in first} & {d["_id"] for d in other}


def test_two_contacts_with_the_same_address_still_get_distinct_deliveries():
    same = Contact(name="甲", email="same@example.cn")
    docs = domain.notice_deliveries("e1", "n1", "t", [unit("u", same, same.model_copy(update={"name": "乙"}))], "r")
    assert len({d["_id"] for d in docs}) == 2
