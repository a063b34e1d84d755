"""Links between node configs: credentials, leafnode permissions, streams and consumers (no I/O)."""

import re

import nats.js.api as js_api
import pytest
from pydantic import ValidationError

from cascade import federation
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports
from shared import subjects


def three_levels() -> dict[str, NodeConfig]:
    nat = NodeConfig(node_id="cn", name="中国科协", ports=Ports(leafnodes=7001))
    prov = NodeConfig(node_id="gd", name="广东省科协", ports=Ports(leafnodes=7002))
    city = NodeConfig(node_id="sz", name="深圳市科协")
    nat, up = federation.link_child(nat, "gd")
    prov = prov.model_copy(update={"parent": up})
    prov, up = federation.link_child(prov, "sz", url="nats-leaf://gd.example.cn:7422")
    city = city.model_copy(update={"parent": up})
    return {"nat": nat, "prov": prov, "city": city}


def test_each_child_gets_its_own_password_and_the_parent_keeps_only_its_hash():
    n = three_levels()
    link = n["prov"].parent
    assert link.node_id == "cn" and link.url == "nats-leaf://127.0.0.1:7001" and link.user == "gd"
    child = n["nat"].children[0]
    assert child.password_hash != link.password and child.password_hash.startswith("$2")
    assert federation.password_matches(link.password, child.password_hash)
    assert not federation.password_matches(n["city"].parent.password, child.password_hash)
    assert link.password not in nats_config(n["nat"])
    # Linking again rotates the credentials; still one user per child.
    again, new_link = federation.link_child(n["nat"], "gd")
    assert len(again.children) == 1 and new_link.password != link.password


def test_leaf_permissions_admit_only_the_subjects_of_that_one_link():
    perms = federation.leaf_permissions("gd", "sz")
    assert perms["publish"] == [
        "link.sz.gd",
        "$JS.FC.OUTBOX_gd.link_sz.*",
        "$JS.gd.API.CONSUMER.RESET.OUTBOX_gd.link_sz",
        "$JSC.R.*",
    ]
    assert perms["subscribe"] == [
        "link.gd.sz",
        "$JS.FC.OUTBOX_sz.link_gd.*",
        "$JS.sz.API.CONSUMER.RESET.OUTBOX_sz.link_gd",
        "$JSC.R.*",
    ]
    every = " ".join(perms["publish"] + perms["subscribe"])
    assert ">" not in every and "rpc." not in every and "evt." not in every


def test_a_middle_node_listens_for_its_children_and_connects_to_its_parent():
    text = nats_config(three_levels()["prov"])
    block = re.search(r"^leafnodes \{\n(.*?)^\}", text, re.M | re.S)[1]
    assert 'listen: "127.0.0.1:7002"' in block and "no_advertise: true" in block
    assert "reconnect: 1s" in block
    url = re.search(r'url: "([^"]+)"', block)[1]
    assert re.fullmatch(r"nats-leaf://gd:[A-Za-z0-9_-]{40,}@127\.0\.0\.1:7001", url)
    # The child's user: leafnode only, with the link's permissions; the local user: clients only.
    assert re.search(
        r'\{user: "sz", password: "\$2b\$[^"]+", allowed_connection_types: \["LEAFNODE"\], '
        r'permissions: \{ publish: \{ allow: \["link\.sz\.gd"',
        text,
    )
    assert 'allowed_connection_types: ["STANDARD"]' in text
    assert text.count("{") == text.count("}")


def test_the_leafnode_listener_can_face_children_elsewhere_while_the_rest_stays_on_loopback():
    prov = three_levels()["prov"].model_copy(update={"leafnode_host": "0.0.0.0"})
    text = nats_config(prov)
    assert 'listen: "0.0.0.0:7002"' in text and 'listen: "127.0.0.1:4222"' in text
    assert 'http: "127.0.0.1:8222"' in text
    _, link = federation.link_child(prov.model_copy(update={"leafnode_host": "10.1.2.3"}), "ft")
    assert link.url == "nats-leaf://10.1.2.3:7002"
    # The container config listens on every interface anyway.
    assert 'listen: "0.0.0.0:7422"' in nats_config(prov, container=True)


def test_container_config_listens_on_all_interfaces_on_standard_ports():
    text = nats_config(three_levels()["prov"], container=True)
    assert 'listen: "0.0.0.0:4222"' in text and 'listen: "0.0.0.0:7422"' in text
    assert 'store_dir: "/data"' in text


def test_outbox_is_a_work_queue_with_one_non_overlapping_link_consumer_per_neighbour():
    prov = three_levels()["prov"]
    outbox = federation.outbox_config(prov)
    assert outbox.retention == js_api.RetentionPolicy.WORK_QUEUE
    assert outbox.subjects == ["evt.*.gd.cn.*", "evt.*.gd.sz.*"]
    consumers = [federation.link_consumer_config("gd", n) for n in prov.neighbours]
    assert [c.filter_subject for c in consumers] == outbox.subjects  # one subject each: no overlap
    for c in consumers:
        assert c.ack_policy == js_api.AckPolicy.FLOW_CONTROL and c.flow_control and c.max_deliver == -1
        assert c.ack_wait is None and c.idle_heartbeat
    assert consumers[1].deliver_subject == "link.gd.sz" and consumers[1].durable_name == "link_sz"


def test_events_sources_each_neighbour_through_the_consumer_kept_for_it_and_stamps_the_origin():
    prov = three_levels()["prov"]
    events = next(s for s in federation.stream_configs(prov) if s.name == "EVENTS_gd")
    assert events.subjects == ["evt.*.gd.gd.*"]
    by_name = {s.name: s for s in events.sources}
    city = by_name["OUTBOX_sz"]
    assert city.external.api == "$JS.sz.API"
    assert (city.consumer.name, city.consumer.deliver_subject) == ("link_gd", "link.sz.gd")
    assert city.filter_subject is None  # durable sourcing: the filter lives on the consumer
    assert [(t.src, t.dest) for t in city.subject_transforms] == [
        ("evt.*.*.gd.*", "evt.{{wildcard(1)}}.sz.gd.{{wildcard(3)}}")
    ]


def test_a_node_without_links_has_no_outbox_and_plain_events():
    alone = NodeConfig(node_id="solo", name="x")
    streams = federation.stream_configs(alone)
    assert [s.name for s in streams] == ["EVENTS_solo", "DEADLETTER_solo", "WORK_solo"]
    assert not streams[0].sources
    assert "leafnodes" not in nats_config(alone)


@pytest.mark.parametrize(
    "bad",
    [
        {
            "parent": {"node_id": "cn", "url": "nats://127.0.0.1:7422", "user": "gd", "password": "p" * 20}
        },  # not nats-leaf
        {"parent": {"node_id": "cn", "url": "nats-leaf://h:7422", "user": "gd", "password": "short"}},
        {"parent": {"node_id": "cn", "url": "nats-leaf://h:7422", "user": "gd", "password": 'p"; }' * 5}},  # breaks out
        {"children": [{"node_id": "sz", "user": "sz", "password_hash": "plaintext"}]},  # must be a bcrypt hash
        {"children": [{"node_id": "gd", "user": "gd", "password_hash": "$2b$11$" + "x" * 53}]},  # itself
        {"children": [{"node_id": "sz", "user": "app", "password_hash": "$2b$11$" + "x" * 53}]},  # the local user
        {
            "children": [
                {"node_id": "sz", "user": "sz", "password_hash": "$2b$11$" + "x" * 53},
                {"node_id": "sz", "user": "sz2", "password_hash": "$2b$11$" + "x" * 53},
            ]
        },  # twice
    ],
)
def test_bad_links_are_refused(bad):
    with pytest.raises(ValidationError):
        NodeConfig.model_validate({"node_id": "gd", "name": "x", **bad})


def test_subjects_of_links():
    assert subjects.origin_of("evt.notice.sz.gd.acknowledged") == "sz"
    assert subjects.origin_of("rpc.gd.notices.issue") is None
    assert subjects.origin_of("evt.notice.sz.gd") is None
