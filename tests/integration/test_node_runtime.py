"""`cascade up` for real: every service its own process, crash one, lose nothing."""

import asyncio
import contextlib
import os

import httpx
import pytest

from cascade.node import NodeConfig, Ports
from cascade.processes import free_port
from cascade.runtime import BACKEND_SERVICES, NodeRuntime

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import eventually, issue, stored_api_token


@pytest.fixture
def runtime(tmp_path, servers):
    cfg = NodeConfig(
        node_id="rt" + os.urandom(3).hex(),
        name="测试节点",
        data_dir=tmp_path / "node",
        ports=Ports(
            nats=free_port(), nats_http=free_port(), leafnodes=free_port(), ferretdb=free_port(), gateway=free_port()
        ),
    )
    rt = NodeRuntime(cfg, mongo_url=os.environ.get("MONGO_URL") or None)
    rt.start()
    yield rt
    rt.stop()


async def test_node_starts_all_processes_and_survives_a_service_crash(runtime):
    base = runtime.cfg.gateway_url
    token = await stored_api_token(runtime.store_url, runtime.cfg.node_id, "gd-kx", "admin", "issuer")
    auth = {"Authorization": f"Bearer {token}"}
    signers: dict[str, httpx.AsyncClient] = {}
    clients = contextlib.AsyncExitStack()

    async def signer(unit_id: str) -> httpx.AsyncClient:
        """A 签发人 of ``unit_id`` on the node's gateway: seed 000 is joint, so each issuer signs it (会签)."""
        if unit_id not in signers:
            raw = await stored_api_token(runtime.store_url, runtime.cfg.node_id, unit_id, "signer")
            client = httpx.AsyncClient(base_url=base, timeout=10, headers={"Authorization": f"Bearer {raw}"})
            signers[unit_id] = await clients.enter_async_context(client)
        return signers[unit_id]

    async with clients, httpx.AsyncClient(base_url=base, timeout=10, headers=auth) as http:
        health = (await http.get("/healthz")).json()
        assert health == {"status": "ok", "services": {s: "ok" for s in BACKEND_SERVICES}}
        for unit in GD_UNITS:
            assert (await http.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200

        # Each consumer service in turn: kill it hard, issue notices while it is
        # down, let the runtime start it again, and check every notice arrived.
        issued = []
        for victim in ("reports", "notifications", "submissions"):
            runtime.services[victim].kill()
            for _ in range(3):
                r = await issue(http, seed000_notice(), signer=signer)
                assert r.status_code == 201, r.text
                issued.append(r.json()["notice_id"])
            assert runtime.supervise_once() == [victim]

        async def all_arrived():
            for nid in issued:
                s = await http.get(f"/api/notices/{nid}/status")
                if s.status_code != 200 or s.json()["total"] != 4:
                    return None
                d = await http.get(f"/api/notices/{nid}/deliveries")
                d = d.json()["items"] if d.status_code == 200 else []  # a service may be restarting
                e = (await http.get(f"/api/notices/{nid}/expected")).json()
                if len(d) != 4 or len(e) != 4:
                    return None
            return True

        await eventually(all_arrived, timeout=60)

        # The UI lists what was issued (for a token too: pages take the same credentials).
        page = await http.get("/")
        assert page.status_code == 200
        assert "发文" in page.text and "全国科技工作者日" in page.text

    # Data survives a restart of the whole node.
    runtime.stop()
    await asyncio.to_thread(runtime.start)
    async with httpx.AsyncClient(base_url=base, timeout=10, headers=auth) as http:
        s = await http.get(f"/api/notices/{issued[0]}/status")
        assert s.status_code == 200 and s.json()["total"] == 4
