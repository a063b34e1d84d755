"""Node config files and the nats-server config rendered from them."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from cascade import node
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nodes" / "example.yaml"


def cfg(**extra) -> NodeConfig:
    return NodeConfig(node_id="gd", name="广东省科协", **extra)


def test_example_node_loads_with_its_data_under_var():
    c = node.load(EXAMPLE)
    assert c.node_id == "gd" and c.timezone == "Asia/Shanghai"
    assert c.root == (EXAMPLE.parents[2] / "var" / "example").resolve()
    assert c.nats_url == "nats://127.0.0.1:4222" and c.gateway_url == "http://127.0.0.1:8080"


def test_relative_paths_resolve_against_the_file_not_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "n.yaml"
    path.write_text("node_id: sz\nname: 深圳\ndata_dir: ../data\n", encoding="utf-8")
    monkeypatch.chdir("/")
    c = node.load(path)
    assert c.root == (tmp_path / "data").resolve()
    assert c.path("nats") == (tmp_path / "data" / "nats").resolve()


def test_dump_then_load_round_trips(tmp_path):
    c = cfg(ports=Ports(nats=5000, gateway=9000), data_dir=Path("d"))
    node.dump(c, tmp_path / "n.yaml")
    back = node.load(tmp_path / "n.yaml")
    assert back.model_dump(exclude={"base_dir"}) == c.model_dump(exclude={"base_dir"})
    assert "广东省科协" in (tmp_path / "n.yaml").read_text(encoding="utf-8")  # readable, not escaped


@pytest.mark.parametrize(
    "raw",
    [
        {"node_id": "GD", "name": "x"},  # not a slug
        {"node_id": "gd"},  # name missing
        {"node_id": "gd", "name": "x", "prots": {}},  # typo: unknown keys are refused, not ignored
        {"node_id": "gd", "name": "x", "ports": {"natz": 1}},
    ],
)
def test_bad_config_is_refused(raw):
    with pytest.raises(ValidationError):
        NodeConfig.model_validate(raw)


def test_neighbours_parent_first():
    c = cfg(
        parent={"node_id": "cn", "url": "nats-leaf://127.0.0.1:7422", "user": "gd", "password": "p" * 20},
        children=[{"node_id": "sz", "user": "sz", "password_hash": "$2b$11$" + "x" * 53}],
    )
    assert c.neighbours == ["cn", "sz"]
    assert cfg().neighbours == []


def test_nats_config_has_jetstream_with_the_node_id_as_domain(tmp_path):
    c = cfg(data_dir=tmp_path / "d", ports=Ports(nats=4333, nats_http=8333))
    text = nats_config(c)
    assert 'server_name: "gd"' in text
    assert 'listen: "127.0.0.1:4333"' in text
    assert 'http: "127.0.0.1:8333"' in text
    jetstream = re.search(r"^jetstream \{(.*)\}$", text, re.M)[1]
    assert 'domain: "gd"' in jetstream
    assert f'store_dir: "{tmp_path / "d" / "nats"}"' in jetstream
    # Local services connect without credentials as the APP account's user.
    assert "no_auth_user: app" in text and "jetstream: enabled" in text
    assert text.count("{") == text.count("}")
    assert "leafnodes" not in text  # no links, no leafnode listener


def test_nats_config_quotes_values_so_a_path_cannot_break_out(tmp_path):
    odd = tmp_path / 'we"ird\\dir'
    text = nats_config(cfg(data_dir=odd))
    assert 'we\\"ird\\\\dir' in text
    store = re.search(r'store_dir: ("(?:[^"\\]|\\.)*")', text)[1]
    assert store.endswith('nats"')


def test_node_host_is_used_everywhere():
    c = cfg(host="127.0.0.2")
    assert c.nats_url.startswith("nats://127.0.0.2:")
    assert c.ferretdb_url.startswith("mongodb://127.0.0.2:")
    assert 'listen: "127.0.0.2:' in nats_config(c)
