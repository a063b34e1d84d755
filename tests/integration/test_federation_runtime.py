"""A running `cascade up` admits a child provisioned while it runs: listener, user, streams, services."""

import asyncio
import json
import os
import time
from pathlib import Path

import httpx
import nats

from cascade import node
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports
from cascade.processes import free_port, start_nats
from cascade.provision import provision
from cascade.runtime import NodeRuntime
from shared import subjects

from ..harness import eventually


def ports() -> Ports:
    taken: set[int] = set()
    while len(taken) < 5:
        taken.add(free_port())
    p = sorted(taken)
    return Ports(nats=p[0], nats_http=p[1], leafnodes=p[2], ferretdb=p[3], gateway=p[4])


def test_a_running_parent_applies_a_new_child_and_the_child_links(tmp_path, servers):
    # Synchronous: the runtime runs its own event loops, and its children must be started from this thread.
    parent_file = tmp_path / "parent" / "node.yaml"
    parent_file.parent.mkdir()
    suffix = os.urandom(2).hex()
    node.dump(
        NodeConfig(node_id=f"rtp{suffix}", name="省级", org_unit_id="gd-kx", data_dir=Path("data"), ports=ports()),
        parent_file,
    )
    rt = NodeRuntime(node.load(parent_file), mongo_url=servers.mongo_url, config_path=parent_file)
    child_nats = None
    try:
        rt.start()
        assert "leafnodes" not in rt.cfg.path("nats.conf").read_text()
        assert rt.reload_if_changed() is False  # nothing changed yet

        time.sleep(0.01)  # a later mtime than the file the runtime started from
        bundle = provision(parent_file, "sz-kx", node_id=f"rtc{suffix}", out=tmp_path / "child", ports=ports())
        assert rt.reload_if_changed() is True
        assert [c.node_id for c in rt.cfg.children] == [bundle.child.node_id]
        assert "no_advertise: true" in rt.cfg.path("nats.conf").read_text()
        env = rt.service_env("notices")
        assert json.loads(env["CASCADE_LINKED_NODES"]) == [bundle.child.node_id]
        assert rt.services["notices"].env == env  # the services were started again with it
        rt.wait_healthy()

        child = node.load(bundle.path / "node.yaml")
        child.root.mkdir(parents=True, exist_ok=True)
        child.path("nats.conf").write_text(nats_config(child))
        child_nats = start_nats(child.path("nats.conf"), child.host, child.ports.nats, child.path("nats.log"))
        from cascade import federation

        async def configure_and_send() -> None:
            nc = await nats.connect(child.nats_url)
            try:
                await federation.configure(nc.jetstream(), child)
                await nc.jetstream().publish(
                    subjects.event("notice.acknowledged", child.node_id, rt.cfg.node_id),
                    b'{"probe": 1}',
                    headers={"Nats-Msg-Id": "probe-1"},
                )
            finally:
                await nc.close()

        asyncio.run(configure_and_send())

        async def arrived() -> bool:
            nc = await nats.connect(rt.cfg.nats_url)
            try:
                info = await nc.jetstream().stream_info(subjects.events_stream(rt.cfg.node_id), subjects_filter=">")
                return (info.state.subjects or {}).get(
                    subjects.event("notice.acknowledged", child.node_id, rt.cfg.node_id)
                ) == 1
            finally:
                await nc.close()

        assert asyncio.run(eventually(arrived, timeout=60))
        leafs = httpx.get(f"http://127.0.0.1:{rt.cfg.ports.nats_http}/leafz").json()["leafs"]
        assert [leaf["name"] for leaf in leafs] == [child.node_id]
    finally:
        if child_nats is not None:
            child_nats.stop()
        rt.stop()
