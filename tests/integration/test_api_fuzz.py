"""A schemathesis run over the whole JSON API, from the gateway's own OpenAPI document: no 5xx, ever.

The gateway runs as its own process on a loopback port (as `cascade up` runs
it), the backend services in-process, and schemathesis calls every operation
with an API token holding every role of the node's own unit, for a bounded
time. ``CASCADE_FUZZ_SECONDS`` and ``CASCADE_FUZZ_SEED`` change the budget and
the seed (fixed by default, so a failure reproduces).
"""

import asyncio
import os
import re
import sys

import httpx

from cascade.processes import start_service, wait_port
from services.gateway.setup import create_api_token

from ..fixtures import GD_UNITS
from ..harness import eventually, running

FUZZ_SECONDS = os.environ.get("CASCADE_FUZZ_SECONDS", "30")  # keeps the suite under 10 minutes
FUZZ_SEED = os.environ.get("CASCADE_FUZZ_SEED", "20260506")


async def test_the_json_api_never_answers_5xx_to_generated_requests(node, tmp_path):
    async with running(node):
        token = await create_api_token(
            node.servers.mongo_url,
            node.node_id,
            "gd-kx",
            "admin",
            "issuer",
            "reviewer",
            "submitter",
            name="schemathesis",
        )
        env = node.env("gateway") | {"CASCADE_ORG_UNIT_ID": "gd-kx"}
        port = int(env["CASCADE_PORT"])
        log = tmp_path / "gateway.log"
        gw = start_service("gateway", env, log)
        try:
            await asyncio.to_thread(wait_port, "127.0.0.1", port, 30.0, gw)
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
                await eventually(lambda: _healthy(http))
                for unit in GD_UNITS:  # something real to find, besides the 404s
                    assert (
                        await http.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))
                    ).status_code == 200
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{base}/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "--checks",
                "not_a_server_error",
                # Stateful links could revoke the run's own token; every operation is still called.
                "--phases",
                "examples,coverage,fuzzing",
                "--max-time",
                FUZZ_SECONDS,
                "--seed",
                FUZZ_SEED,
                "--workers",
                "2",
                "--generation-database",
                "none",
                "--request-timeout",
                "30",
                "--no-color",
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out = (await proc.communicate())[0].decode(errors="replace")
        finally:
            gw.stop()
        server_log = log.read_text(errors="replace")
        assert proc.returncode == 0, out[-6000:] + "\n--- gateway log ---\n" + server_log[-4000:]
        tested = re.search(r"Tested: (\d+)", out)
        assert tested and int(tested.group(1)) >= 30, out[-3000:]  # the whole API, not a handful
        assert "Exception in ASGI application" not in server_log, server_log[-4000:]


async def _healthy(http: httpx.AsyncClient) -> bool:
    return (await http.get("/healthz")).status_code == 200
