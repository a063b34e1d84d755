"""What docker-compose.yml relies on, run on real servers: deploy/nats.conf, cascade.healthcheck,
the one-shot ``cascade configure-streams``, and bundles (a mid level run by compose admitting a child).

There is no Docker engine here: each container's command runs as a process,
with what compose would give it (its environment from the compose file and
``.env``; its mounted nats.conf with the port mappings and volume written in).
"""

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import httpx
import nats
import yaml

from cascade import federation, node
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports
from cascade.processes import REPO_ROOT, Proc, free_port, nats_server_binary, start_nats, start_service, wait_port
from cascade.provision import STREAMS_SERVICE, provision, read_env, validate_bundle
from shared import subjects

from ..harness import eventually, running


async def healthcheck(env: dict[str, str], service: str) -> tuple[int, str]:
    """``python -m cascade.healthcheck <service>`` as the container runs it (without blocking our loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cascade.healthcheck",
        service,
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return await proc.wait(), err.decode()


async def test_compose_nats_config_runs_jetstream_with_the_node_id_as_domain(tmp_path):
    # The compose file mounts a volume at the config's store_dir; here a temp dir stands in.
    conf = (REPO_ROOT / "deploy" / "nats.conf").read_text(encoding="utf-8")
    assert 'store_dir: "/data"' in conf
    local = tmp_path / "nats.conf"
    local.write_text(conf.replace('store_dir: "/data"', f'store_dir: "{tmp_path / "js"}"'), encoding="utf-8")
    port, monitor = free_port(), free_port()
    proc = Proc(
        "nats-server",
        [nats_server_binary(), "-c", str(local), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor)],
        tmp_path / "nats.log",
        env={"CASCADE_NODE_ID": "tcompose"},
    )
    try:
        wait_port("127.0.0.1", port, proc=proc)
        async with httpx.AsyncClient() as http:
            r = await http.get(f"http://127.0.0.1:{monitor}/healthz")
            assert r.status_code == 200, r.text
            jsz = (await http.get(f"http://127.0.0.1:{monitor}/jsz")).json()
        assert jsz["config"]["domain"] == "tcompose"
        # Services connect without credentials (no_auth_user) and reach JetStream by the node's domain.
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        try:
            info = await nc.jetstream(domain="tcompose").account_info()
            assert info.streams == 0
        finally:
            await nc.close()
    finally:
        proc.stop()


async def test_healthcheck_exits_0_for_a_running_service_and_1_for_a_missing_one(node):
    async with running(node, ["reports"]):
        code, err = await healthcheck(node.env("reports"), "reports")
        assert code == 0, err
        code, err = await healthcheck(node.env("notices"), "notices")
        assert code == 1
        assert "notices" in err


async def test_healthcheck_fails_at_once_when_nats_is_down(node):
    """A container whose NATS is away is unhealthy: the check answers 1, it does not hang retrying."""
    from cascade.processes import free_port

    env = {**node.env("reports"), "CASCADE_NATS_URL": f"nats://127.0.0.1:{free_port()}"}
    code, err = await asyncio.wait_for(healthcheck(env, "reports"), timeout=30)
    assert code == 1 and "cannot reach NATS" in err


async def test_healthcheck_of_the_gateway_asks_its_healthz(node, tmp_path):
    env = node.env("gateway")  # one port for the gateway and its healthcheck
    code, err = await healthcheck(env, "gateway")
    assert code == 1 and "no answer" in err
    async with running(node):
        gw = start_service("gateway", env, tmp_path / "gateway.log")
        try:

            async def healthy():
                code, err = await healthcheck(env, "gateway")
                return (code, err) if code == 0 else None

            code, err = await eventually(healthy, timeout=30)
            assert code == 0, err
        finally:
            gw.stop()


# ---------------------------------------------------------------- the one-shot that configures the streams


def clean_env(**env: str) -> dict[str, str]:
    """This process's environment without any CASCADE_ setting, plus ``env``: what a container would have."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}, **env}


async def configure_streams(env: dict[str, str], *args: str) -> tuple[int, str]:
    """``cascade configure-streams`` as the compose one-shot runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cascade.cli",
        "configure-streams",
        *args,
        env=clean_env(**env),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return await proc.wait(), out.decode()


def compose_nats(
    tmp_path: Path, name: str, conf: str, env: dict[str, str] | None = None, leaf_port: int | None = None
) -> tuple[Proc, str]:
    """A container's nats-server: its mounted config with the volume and the published ports mapped to here."""
    port, monitor = free_port(), free_port()
    conf = conf.replace('store_dir: "/data"', f'store_dir: "{tmp_path / name / "js"}"')
    conf = re.sub(r'^listen: "0\.0\.0\.0:4222"', f'listen: "127.0.0.1:{port}"', conf, flags=re.M)
    conf = re.sub(r'^http: "0\.0\.0\.0:8222"', f'http: "127.0.0.1:{monitor}"', conf, flags=re.M)
    if leaf_port is not None:  # the compose file publishes it: host port → the container's 7422
        assert '  listen: "0.0.0.0:7422"' in conf
        conf = conf.replace('  listen: "0.0.0.0:7422"', f'  listen: "127.0.0.1:{leaf_port}"')
    path = tmp_path / name / "nats.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(conf, encoding="utf-8")
    proc = Proc("nats-server", [nats_server_binary(), "-c", str(path)], tmp_path / name / "nats.log", env=env)
    return proc, f"nats://127.0.0.1:{port}"


async def stream_info(nats_url: str, stream: str):
    nc = await nats.connect(nats_url)
    try:
        return await nc.jetstream().stream_info(stream, subjects_filter=">")
    finally:
        await nc.close()


async def test_configure_streams_waits_for_nats_and_sets_up_the_links_from_the_environment(tmp_path):
    """The compose one-shot: started before nats-server listens, it waits, then sets up what `cascade up` does."""
    node_id, links = "tstreams", ["up1", "down1"]
    env = {"CASCADE_NODE_ID": node_id, "CASCADE_LINKED_NODES": json.dumps(links)}
    conf = (REPO_ROOT / "deploy" / "nats.conf").read_text(encoding="utf-8")
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    one_shot = asyncio.create_task(configure_streams({**env, "CASCADE_NATS_URL": url}))
    await asyncio.sleep(1.0)  # nats is not up yet: the one-shot keeps trying
    assert not one_shot.done()
    local = tmp_path / "nats.conf"
    local.write_text(conf.replace('store_dir: "/data"', f'store_dir: "{tmp_path / "js"}"'), encoding="utf-8")
    proc = Proc(
        "nats-server",
        [nats_server_binary(), "-c", str(local), "-a", "127.0.0.1", "-p", str(port), "-m", str(free_port())],
        tmp_path / "nats.log",
        env={"CASCADE_NODE_ID": node_id},
    )
    try:
        code, out = await asyncio.wait_for(one_shot, 90)
        assert code == 0, out
        assert f"EVENTS_{node_id}" in out and "up1, down1" in out

        expected = {s.name: s for s in federation.stream_configs(federation.Topology(node_id, links))}
        assert set(expected) == {f"EVENTS_{node_id}", f"DEADLETTER_{node_id}", f"OUTBOX_{node_id}", f"WORK_{node_id}"}
        events = await stream_info(url, subjects.events_stream(node_id))
        assert [(s.name, s.external.api, s.consumer.name) for s in events.config.sources] == [
            (subjects.outbox_stream(n), subjects.js_api(n), subjects.link_consumer(node_id)) for n in links
        ]
        assert events.config.subjects == expected[f"EVENTS_{node_id}"].subjects
        outbox = await stream_info(url, subjects.outbox_stream(node_id))
        assert outbox.config.subjects == [subjects.from_node_to(node_id, n) for n in links]
        nc = await nats.connect(url)
        try:
            consumers = {c.name: c.config for c in await nc.jetstream().consumers_info(outbox.config.name)}
        finally:
            await nc.close()
        assert {n: (c.deliver_subject, c.filter_subject) for n, c in consumers.items()} == {
            subjects.link_consumer(n): (subjects.link_deliver(node_id, n), subjects.from_node_to(node_id, n))
            for n in links
        }
        await stream_info(url, subjects.deadletter_stream(node_id))

        # Every `docker compose up` runs it again: nothing changes, nothing is lost.
        nc = await nats.connect(url)
        try:
            await nc.jetstream().publish(
                subjects.event("notice.issued", node_id, "down1"), b"{}", headers={"Nats-Msg-Id": "waiting-copy"}
            )
        finally:
            await nc.close()
        code, out = await configure_streams({**env, "CASCADE_NATS_URL": url})
        assert code == 0, out
        assert (await stream_info(url, subjects.outbox_stream(node_id))).state.messages == 1
        assert len((await stream_info(url, subjects.events_stream(node_id))).config.sources) == 2

        # A link dropped from the environment goes (with its consumer); the rest stays.
        code, out = await configure_streams({**env, "CASCADE_LINKED_NODES": '["up1"]', "CASCADE_NATS_URL": url})
        assert code == 0, out
        events = await stream_info(url, subjects.events_stream(node_id))
        assert [s.name for s in events.config.sources] == [subjects.outbox_stream("up1")]
    finally:
        proc.stop()


async def test_configure_streams_refuses_a_missing_node_id_and_an_unreachable_server():
    code, out = await configure_streams({"CASCADE_NATS_URL": "nats://127.0.0.1:1"})
    assert code == 1 and "CASCADE_NODE_ID" in out
    code, out = await configure_streams(
        {"CASCADE_NODE_ID": "x1", "CASCADE_NATS_URL": f"nats://127.0.0.1:{free_port()}"}, "--timeout", "1"
    )
    assert code == 1 and "x1" in out


# ---------------------------------------------------------------- bundles run by compose


def ports() -> Ports:
    return Ports(
        nats=free_port(), nats_http=free_port(), leafnodes=free_port(), ferretdb=free_port(), gateway=free_port()
    )


def published_leaf_port(bundle: Path) -> int:
    """The host port the bundle's compose file publishes for the nats service's leafnode listener."""
    [mapping] = yaml.safe_load((bundle / "docker-compose.yml").read_text())["services"]["nats"]["ports"]
    published = re.fullmatch(r"\$\{CASCADE_LEAFNODE_PUBLISH:-(\d+)\}:(\d+)", mapping)
    assert published, mapping
    host, container = published.groups()
    assert container == "7422"
    return int(host)


async def test_a_compose_mid_level_admits_a_grandchild_and_relays_both_ways(tmp_path):
    """national (`cascade up`) ← province (its bundle under compose) ← city (its bundle under compose).

    The city is provisioned from the province's bundle: the province's nats.conf
    gets the leafnode listener and the city's user, its compose file the port,
    its .env the link; each compose node's streams come from the one-shot."""
    top = tmp_path / "national" / "node.yaml"
    top.parent.mkdir()
    node.dump(
        NodeConfig(node_id="national", name="中国科协", org_unit_id="cast", data_dir=Path("data"), ports=ports()), top
    )
    national = node.load(top)
    prov = provision(
        top,
        "gd-kx",
        node_id="province",
        out=tmp_path / "province",
        ports=ports(),
        parent_url=f"nats-leaf://127.0.0.1:{national.ports.leafnodes}",
    ).path
    assert "leafnodes" in (prov / "nats.conf").read_text() and "7422" not in (prov / "nats.conf").read_text()
    assert "ports" not in yaml.safe_load((prov / "docker-compose.yml").read_text())["services"]["nats"]
    secrets_before = {k: v for k, v in read_env(prov / ".env").items() if k != "CASCADE_LINKED_NODES"}

    province = node.load(prov / "node.yaml")
    city_bundle = provision(
        prov / "node.yaml",
        "sz-kx",
        node_id="city",
        out=tmp_path / "city",
        ports=ports(),
        parent_url=f"nats-leaf://127.0.0.1:{province.ports.leafnodes}",
    )
    city = city_bundle.path
    conf = (prov / "nats.conf").read_text()
    assert '  listen: "0.0.0.0:7422"' in conf and "no_advertise: true" in conf
    assert re.search(r'\{user: "city", password: "\$2b\$[^"]+", allowed_connection_types: \["LEAFNODE"\]', conf)
    assert published_leaf_port(prov) == province.ports.leafnodes  # the port the city's URL names
    env = read_env(prov / ".env")
    assert json.loads(env["CASCADE_LINKED_NODES"]) == ["national", "city"]
    assert {k: v for k, v in env.items() if k != "CASCADE_LINKED_NODES"} == secrets_before  # secrets kept
    assert (prov / "nats.conf").stat().st_mode & 0o077 == 0 and (prov / ".env").stat().st_mode & 0o077 == 0
    assert validate_bundle(prov, top) == []
    assert validate_bundle(city, prov / "node.yaml") == []

    national = node.load(top)  # now with its child
    procs = []
    try:
        # national as `cascade up` runs it; province and city as their compose files run them.
        national.root.mkdir(parents=True, exist_ok=True)
        national.path("nats.conf").write_text(nats_config(national))
        procs.append(
            start_nats(national.path("nats.conf"), national.host, national.ports.nats, national.path("nats.log"))
        )
        prov_nats, prov_url = compose_nats(
            tmp_path, "province-run", (prov / "nats.conf").read_text(), leaf_port=published_leaf_port(prov)
        )
        city_nats, city_url = compose_nats(tmp_path, "city-run", (city / "nats.conf").read_text())
        procs += [prov_nats, city_nats]
        urls = {"national": national.nats_url, "province": prov_url, "city": city_url}

        code, out = await configure_streams({}, "--config", str(top))
        assert code == 0, out
        for name, bundle in (("province", prov), ("city", city)):
            # The one-shot's environment: the compose file's, with .env's values.
            compose = yaml.safe_load((bundle / "docker-compose.yml").read_text())
            assert compose["services"][STREAMS_SERVICE]["command"] == ["cascade", "configure-streams"]
            dot_env = read_env(bundle / ".env")
            code, out = await configure_streams(
                {
                    "CASCADE_NODE_ID": dot_env["CASCADE_NODE_ID"],
                    "CASCADE_LINKED_NODES": dot_env["CASCADE_LINKED_NODES"],
                    "CASCADE_NATS_URL": urls[name],
                }
            )
            assert code == 0, out

        hops = [("national", "province"), ("province", "city"), ("city", "province"), ("province", "national")]
        for origin, dest in hops:
            nc = await nats.connect(urls[origin])
            try:
                await nc.jetstream().publish(
                    subjects.event("notice.issued", origin, dest), b"{}", headers={"Nats-Msg-Id": f"{origin}-to-{dest}"}
                )
            finally:
                await nc.close()

        async def arrived(origin: str, dest: str) -> bool:
            info = await stream_info(urls[dest], subjects.events_stream(dest))
            return (info.state.subjects or {}).get(subjects.event("notice.issued", origin, dest)) == 1

        for origin, dest in hops:
            assert await eventually(lambda o=origin, d=dest: arrived(o, d), timeout=60), f"{origin} → {dest}"
        for name in urls:  # every copy has left its OUTBOX: the neighbour stored it
            assert await eventually(lambda n=name: _outbox_empty(urls[n], n), timeout=30)
    finally:
        for p in reversed(procs):
            p.stop()


async def _outbox_empty(url: str, name: str) -> bool:
    return (await stream_info(url, subjects.outbox_stream(name))).state.messages == 0
