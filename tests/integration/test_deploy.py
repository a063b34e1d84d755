"""What docker-compose.yml relies on, run on real servers: deploy/nats.conf and shared.healthcheck."""

import asyncio
import os
import sys

import httpx
import nats

from shared.processes import REPO_ROOT, Proc, free_port, nats_server_binary, start_service, wait_port

from ..harness import eventually, running


async def healthcheck(env: dict[str, str], service: str) -> tuple[int, str]:
    """``python -m shared.healthcheck <service>`` as the container runs it (without blocking our loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.healthcheck", service,
        env={**os.environ, **env}, cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return proc.returncode, err.decode()


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
