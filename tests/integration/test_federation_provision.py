"""``cascade provision`` and ``cascade validate-bundle``: a bundle that a child level can run, and that links."""

import json
from pathlib import Path

import nats
import pytest
import yaml

from cascade import federation, node
from cascade.cli import main
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports
from cascade.processes import free_port, start_nats
from cascade.provision import FILES, provision, validate_bundle
from shared import subjects

from ..harness import eventually


def ports() -> Ports:
    return Ports(
        nats=free_port(), nats_http=free_port(), leafnodes=free_port(), ferretdb=free_port(), gateway=free_port()
    )


@pytest.fixture
def parent_file(tmp_path) -> Path:
    path = tmp_path / "national" / "node.yaml"
    path.parent.mkdir()
    node.dump(
        NodeConfig(
            node_id="national", name="中国科学技术协会", org_unit_id="cast", data_dir=Path("data"), ports=ports()
        ),
        path,
    )
    return path


def test_provision_writes_a_consistent_bundle_and_admits_the_child(parent_file, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert (
        main(
            [
                "provision",
                "--parent",
                str(parent_file),
                "--org",
                "gd-kx",
                "--node-id",
                "province",
                "--name",
                "广东省科学技术协会",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "province" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    for secret in ("node.yaml", "nats.conf", ".env"):
        assert (out / secret).stat().st_mode & 0o077 == 0, f"{secret} readable by others"

    child = node.load(out / "node.yaml")
    parent = node.load(parent_file)
    assert child.node_id == "province" and child.org_unit_id == "gd-kx" and child.name == "广东省科学技术协会"
    assert child.parent.node_id == "national"
    assert child.parent.url == f"nats-leaf://127.0.0.1:{parent.ports.leafnodes}"
    [admitted] = parent.children
    assert admitted.node_id == "province" and federation.password_matches(child.parent.password, admitted.password_hash)
    assert child.parent.password not in parent_file.read_text()

    conf = (out / "nats.conf").read_text()
    assert f"nats-leaf://province:{child.parent.password}@127.0.0.1:{parent.ports.leafnodes}" in conf
    assert 'domain: "province"' in conf and 'store_dir: "/data"' in conf
    env = dict(line.split("=", 1) for line in (out / ".env").read_text().splitlines() if "=" in line and line[0] != "#")
    assert env["CASCADE_NODE_ID"] == "province" and json.loads(env["CASCADE_LINKED_NODES"]) == ["national"]
    assert len(env["CASCADE_SECRET_KEY"]) >= 16 and env["MONGO_ROOT_PASSWORD"]
    compose = yaml.safe_load((out / "docker-compose.yml").read_text())
    assert "./nats.conf:/etc/nats/cascade.conf:ro" in compose["services"]["nats"]["volumes"]
    assert compose["services"]["notices"]["environment"]["CASCADE_LINKED_NODES"] == "${CASCADE_LINKED_NODES:-[]}"
    assert "build" not in compose["services"]["gateway"]

    assert main(["validate-bundle", str(out), "--parent", str(parent_file)]) == 0
    # A bundle is made once: the folder is not overwritten.
    assert (
        main(["provision", "--parent", str(parent_file), "--org", "gd-kx", "--node-id", "province", "--out", str(out)])
        == 1
    )


def test_a_loopback_parent_url_is_flagged_for_the_compose_route_and_a_reachable_one_is_not(
    parent_file, tmp_path, capsys
):
    """The default URL is the parent's host (127.0.0.1): inside a container that is the container itself."""
    local = tmp_path / "local"
    assert main(["provision", "--parent", str(parent_file), "--org", "gd-kx", "--out", str(local)]) == 0
    err = capsys.readouterr().err
    assert "⚠" in err and "127.0.0.1" in err and "--parent-url" in err and "docker compose" in err
    assert main(["validate-bundle", str(local)]) == 0  # consistent, and still usable with `cascade up` here
    assert "⚠" in capsys.readouterr().err

    remote = tmp_path / "remote"
    url = "nats-leaf://cast.example.cn:7422"
    assert (
        main(["provision", "--parent", str(parent_file), "--org", "sz-kx", "--out", str(remote), "--parent-url", url])
        == 0
    )
    assert "⚠" not in capsys.readouterr().err
    child = node.load(remote / "node.yaml")
    assert child.parent.url == url
    assert "@cast.example.cn:7422" in (remote / "nats.conf").read_text()  # the URL the container dials
    assert main(["validate-bundle", str(remote)]) == 0
    assert "⚠" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--org", "GD KX"], "--org"),
        (["--org", "cn", "--node-id", "national"], "不能与上级节点相同"),
    ],
)
def test_provision_refuses_bad_input_and_changes_nothing(parent_file, tmp_path, capsys, args, message):
    before = parent_file.read_text()
    assert main(["provision", "--parent", str(parent_file), "--out", str(tmp_path / "b"), *args]) == 1
    assert message in capsys.readouterr().err
    assert parent_file.read_text() == before and not (tmp_path / "b").exists()


def _bundle(parent_file: Path, tmp_path: Path) -> Path:
    return provision(parent_file, "gd-kx", node_id="province", out=tmp_path / "bundle").path


def _without_streams_service(bundle: Path) -> None:
    compose = yaml.safe_load((bundle / "docker-compose.yml").read_text())
    del compose["services"]["configure-streams"]
    (bundle / "docker-compose.yml").write_text(yaml.safe_dump(compose, allow_unicode=True, sort_keys=False))


@pytest.mark.parametrize(
    "tamper, problem",
    [
        (lambda b: (b / ".env").unlink(), "缺少文件：.env"),
        (
            lambda b: (b / ".env").write_text(
                (b / ".env").read_text().replace("CASCADE_NODE_ID=province", "CASCADE_NODE_ID=other")
            ),
            "CASCADE_NODE_ID",
        ),
        (
            lambda b: (b / "nats.conf").write_text((b / "nats.conf").read_text().replace("@127.0.0.1", "@10.9.9.9")),
            "上级地址或凭据",
        ),
        (lambda b: (b / "nats.conf").write_text((b / "nats.conf").read_text() + "\nbogus {\n"), "nats-server 拒绝"),
        (
            lambda b: (b / "node.yaml").write_text(
                (b / "node.yaml").read_text().replace("node_id: province", "node_id: P!")
            ),
            "node.yaml 无效",
        ),
        (
            lambda b: (b / "docker-compose.yml").write_text(
                (b / "docker-compose.yml").read_text().replace("./nats.conf:", "./deploy/nats.conf:")
            ),
            "挂载",
        ),
        (_without_streams_service, "configure-streams"),
    ],
)
def test_validate_bundle_names_what_is_wrong(parent_file, tmp_path, tamper, problem, capsys):
    bundle = _bundle(parent_file, tmp_path)
    assert validate_bundle(bundle) == []
    tamper(bundle)
    problems = validate_bundle(bundle)
    assert any(problem in p for p in problems), problems
    assert main(["validate-bundle", str(bundle)]) == 1
    assert problem in capsys.readouterr().err


def test_validate_bundle_against_the_parent_catches_rotated_credentials(parent_file, tmp_path):
    bundle = _bundle(parent_file, tmp_path)
    assert validate_bundle(bundle, parent_file) == []
    provision(parent_file, "gd-kx", node_id="province", out=tmp_path / "again")  # credentials rotated
    assert any("凭据" in p for p in validate_bundle(bundle, parent_file))
    other = tmp_path / "other.yaml"
    node.dump(NodeConfig(node_id="elsewhere", name="x"), other)
    assert any("上级节点不符" in p for p in validate_bundle(bundle, other))


async def test_a_provisioned_child_links_to_its_parent_and_events_flow_both_ways(parent_file, tmp_path):
    """Both nats-servers from the configs `cascade up` renders for the parent and the bundle: the link works."""
    bundle = provision(parent_file, "gd-kx", node_id="province", out=tmp_path / "bundle", ports=ports())
    parent, child = node.load(parent_file), node.load(bundle.path / "node.yaml")
    procs = []
    try:
        for cfg in (parent, child):
            cfg.root.mkdir(parents=True, exist_ok=True)
            cfg.path("nats.conf").write_text(nats_config(cfg))
            procs.append(start_nats(cfg.path("nats.conf"), cfg.host, cfg.ports.nats, cfg.path("nats.log")))
        for cfg in (parent, child):
            nc = await nats.connect(cfg.nats_url)
            try:
                await federation.configure(nc.jetstream(), cfg)
                js = nc.jetstream()
                other = child if cfg is parent else parent
                await js.publish(
                    subjects.event("notice.issued", cfg.node_id, other.node_id),
                    b"{}",
                    headers={"Nats-Msg-Id": f"hello-from-{cfg.node_id}"},
                )
            finally:
                await nc.close()

        async def arrived(cfg: NodeConfig, origin: str) -> bool:
            nc = await nats.connect(cfg.nats_url)
            try:
                info = await nc.jetstream().stream_info(subjects.events_stream(cfg.node_id), subjects_filter=">")
                return (info.state.subjects or {}).get(subjects.event("notice.issued", origin, cfg.node_id)) == 1
            finally:
                await nc.close()

        assert await eventually(lambda: arrived(child, "national"), timeout=30)
        assert await eventually(lambda: arrived(parent, "province"), timeout=30)
    finally:
        for p in reversed(procs):
            p.stop()


def test_a_grandchild_provisioned_from_a_bundle_rewrites_that_bundle_and_validate_checks_its_port(
    parent_file, tmp_path, capsys
):
    """The province runs from its bundle; the city is provisioned from the bundle's node.yaml (CLI route)."""
    prov = _bundle(parent_file, tmp_path)
    assert (
        main(
            [
                "provision",
                "--parent",
                str(prov / "node.yaml"),
                "--org",
                "sz-kx",
                "--node-id",
                "city",
                "--out",
                str(tmp_path / "city"),
                "--parent-url",
                "nats-leaf://gd.example.cn:7422",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert f"在 {prov} 中运行 docker compose up -d --force-recreate" in out.out and "⚠" not in out.err
    province = node.load(prov / "node.yaml")
    assert [c.node_id for c in province.children] == ["city"]
    assert (prov / "nats.conf").read_text() == nats_config(province, container=True)
    compose = yaml.safe_load((prov / "docker-compose.yml").read_text())
    assert compose["services"]["nats"]["ports"] == [f"${{CASCADE_LEAFNODE_PUBLISH:-{province.ports.leafnodes}}}:7422"]
    assert validate_bundle(prov, parent_file) == []
    assert validate_bundle(tmp_path / "city", prov / "node.yaml") == []

    del compose["services"]["nats"]["ports"]
    (prov / "docker-compose.yml").write_text(yaml.safe_dump(compose, allow_unicode=True, sort_keys=False))
    assert any("leafnode 端口" in p for p in validate_bundle(prov))
