"""The gateway served over real HTTP on a loopback port, for the browser tests."""

import asyncio
import contextlib

import httpx
import uvicorn

from cascade.processes import free_port
from shared.schemas import Role


@contextlib.asynccontextmanager
async def served_gateway(node):
    """The gateway app behind a real HTTP server on loopback, in this event loop.

    Yields the app, an httpx client holding a node-admin API token, and the base URL.
    """
    from services.gateway.app import create_app

    app = create_app(node.settings("gateway"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        # The node's own unit (recorded as `cascade create-admin` would): its admins are the node admins.
        await app.state.node_unit.claim("gd-kx", by="test")
        _, token = await app.state.tokens.create(
            name="e2e admin", unit_id="gd-kx", roles=[Role.admin], created_by="test", now=app.state.clock.now()
        )
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as admin:
            yield app, admin, base
    finally:
        server.should_exit = True
        await task
