"""Test harness: real servers on free loopback ports, services in-process or as processes.

Session scope: one nats-server (JetStream) and one FerretDB for the whole run
(or a real MongoDB when MONGO_URL is set). Each test gets its own node id, so
its databases (``<node>_<service>``) and streams (``EVENTS_<node>``…) are its
own; they are dropped afterwards.
"""

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from fastapi import FastAPI
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from cascade.processes import Proc, free_port, nats_server_binary, start_ferretdb, start_service, wait_port
from shared import subjects
from shared.bus import request
from shared.clock import Clock
from shared.errors import Unavailable
from shared.settings import SETTINGS_BY_SERVICE, GatewaySettings, ServiceSettings

BACKEND = ("notices", "submissions", "notifications", "reports")


@dataclass
class Servers:
    nats_url: str
    mongo_url: str
    workdir: Path
    procs: list[Proc] = field(default_factory=list)

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()


def start_servers(workdir: Path, mongo_url: str | None) -> Servers:
    host = "127.0.0.1"
    nats_port = free_port()
    nats_proc = Proc(
        "nats-server",
        [nats_server_binary(), "-js", "-a", host, "-p", str(nats_port), "-sd", str(workdir / "nats")],
        workdir / "nats-server.log",
    )
    wait_port(host, nats_port, proc=nats_proc)
    procs = [nats_proc]
    if mongo_url is None:
        mongo_port = free_port()
        procs.append(start_ferretdb(host, mongo_port, workdir / "ferretdb", workdir / "ferretdb.log"))
        mongo_url = f"mongodb://{host}:{mongo_port}/"
    return Servers(nats_url=f"nats://{host}:{nats_port}", mongo_url=mongo_url, workdir=workdir, procs=procs)


def new_node_id() -> str:
    return "t" + secrets.token_hex(4)


@dataclass
class TestNode:
    """One node's worth of names on the shared servers."""

    servers: Servers
    node_id: str = field(default_factory=new_node_id)

    def env(self, service: str) -> dict[str, str]:
        env = {
            "CASCADE_NODE_ID": self.node_id,
            "CASCADE_NATS_URL": self.servers.nats_url,
            "CASCADE_MONGO_URL": self.servers.mongo_url,
            "MONGO_URL": self.servers.mongo_url,
            "CASCADE_DATA_DIR": str(self.servers.workdir / self.node_id / "files"),
            "CASCADE_LOG_LEVEL": "WARNING",
        }
        if service == "gateway":
            env["CASCADE_SECRET_KEY"] = "test-secret-key-" + self.node_id
            env["CASCADE_PORT"] = str(free_port())
        return env

    def settings(self, service: str, **overrides) -> ServiceSettings:
        cls = SETTINGS_BY_SERVICE[service]
        values = {
            "node_id": self.node_id,
            "nats_url": self.servers.nats_url,
            "mongo_url": self.servers.mongo_url,
            "data_dir": self.servers.workdir / self.node_id / "files",
            "log_level": "WARNING",
        }
        if service == "gateway":
            values["secret_key"] = "test-secret-key-" + self.node_id
        return cls(**{**values, **overrides})

    async def cleanup(self) -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.servers.mongo_url)
        try:
            for service in (*BACKEND, "gateway"):
                await client.drop_database(f"{self.node_id}_{service}")
        finally:
            await client.close()
        nc = await nats.connect(self.servers.nats_url)
        try:
            js = nc.jetstream()
            for name in (
                subjects.events_stream(self.node_id),
                subjects.deadletter_stream(self.node_id),
                subjects.outbox_stream(self.node_id),
                subjects.work_stream(self.node_id),
            ):
                with contextlib.suppress(Exception):
                    await js.delete_stream(name)
        finally:
            await nc.close()


def create_service_app(service: str, settings: ServiceSettings, clock: Clock | None = None, **given):
    """The service's app as its process builds it; ``given``: a broker and database of the caller's (fast tier)."""
    module = __import__(f"services.{service}.app", fromlist=["create_app"])
    return module.create_app(settings, clock=clock, **given)


@contextlib.asynccontextmanager
async def running(
    node: TestNode,
    services: Iterable[str] = BACKEND,
    clock: Clock | None = None,
    overrides: dict[str, dict] | None = None,
) -> AsyncIterator[dict]:
    """Run services in this process (same code as the real processes, no subprocess start-up cost).

    ``overrides`` changes settings per service, e.g. ``{"notices": {"max_attachment_bytes": 1000}}``.
    """
    overrides = overrides or {}
    apps = {s: create_service_app(s, node.settings(s, **overrides.get(s, {})), clock) for s in services}
    started = []
    try:
        for app in apps.values():
            await app.start()
            started.append(app)
        yield apps
    finally:
        for app in reversed(started):
            await app.stop()


@contextlib.asynccontextmanager
async def gateway(node: TestNode, clock: Clock | None = None, **overrides) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app in-process behind an httpx client (anonymous), with its lifespan run.

    ``as_role`` and ``login`` give more clients of the same app, authenticated.
    """
    from services.gateway.app import create_app

    settings = node.settings("gateway", **overrides)
    assert isinstance(settings, GatewaySettings)  # SETTINGS_BY_SERVICE["gateway"]
    app: FastAPI = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=GATEWAY_BASE) as client:
            client.app = app  # type: ignore[attr-defined]
            client.others = []  # type: ignore[attr-defined]
            try:
                yield client
            finally:
                for other in client.others:  # type: ignore[attr-defined]
                    await other.aclose()


GATEWAY_BASE = "http://127.0.0.1"


def _sibling(http: httpx.AsyncClient, **kwargs) -> httpx.AsyncClient:
    """Another client of the same in-process gateway, closed with it."""
    root: httpx.AsyncClient = getattr(http, "root", http)
    client = httpx.AsyncClient(transport=root._transport, base_url=GATEWAY_BASE, **kwargs)
    client.app, client.root = root.app, root  # type: ignore[attr-defined]  # set on the test client by gateway()
    root.others.append(client)  # type: ignore[attr-defined]  # set on the test client by gateway()
    return client


async def api_token(http: httpx.AsyncClient, unit_id: str, *roles: str, name: str | None = None) -> str:
    """An API token of the in-process gateway, as an admin would create it."""
    from shared.schemas import Role

    app = http.app  # type: ignore[attr-defined]
    _, raw = await app.state.tokens.create(
        name=name or f"测试 {unit_id} {'/'.join(roles)}",
        unit_id=unit_id,
        roles=[Role(r) for r in roles],
        created_by="test",
        now=app.state.clock.now(),
    )
    if (
        "admin" in roles
    ):  # like `cascade create-admin` on a node without org_unit_id: the first admin's unit is the node's
        await app.state.node_unit.claim(unit_id, by="test")
    return raw


async def as_role(http: httpx.AsyncClient, unit_id: str, *roles: str) -> httpx.AsyncClient:
    """A client calling the gateway with an API token for ``unit_id`` holding ``roles``."""
    token = await api_token(http, unit_id, *roles)
    return _sibling(http, headers={"Authorization": f"Bearer {token}"})


Signer = Callable[[str], Awaitable[httpx.AsyncClient]]


def _cosign_required(r: httpx.Response) -> bool:
    return r.status_code == 409 and r.json()["detail"][0]["type"] == "cosign_required"


async def issue(
    client: httpx.AsyncClient, body: dict, *, signer: Signer | None = None, **kwargs: Any
) -> httpx.Response:
    """POST /api/notices as ``client`` (an issuer of the lead unit); a joint notice, which may not be issued at once
    (409 ``cosign_required``), goes the way it must: ``issue_jointly``. Answers as POST /api/notices would: 201 with
    the notice's id, 文号 and recipients, or the refusal (a mistake of the notice is refused before its 会签 is
    asked for). ``kwargs`` go with each of ``client``'s requests (a session's CSRF header)."""
    r = await client.post("/api/notices", json=body, **kwargs)
    if not _cosign_required(r):
        return r
    return await issue_jointly(client, body, signer=signer, **kwargs)


async def issue_jointly(
    client: httpx.AsyncClient, body: dict, *, signer: Signer | None = None, timeout: float = 20.0, **kwargs: Any
) -> httpx.Response:
    """A joint notice (``body`` as for POST /api/notices) issued through the draft flow, as issue 12 wants it:
    ``client`` (an issuer of the lead unit) drafts it (POST /api/drafts) and sends it for 签发 (submit), then a
    签发人 of each issuing unit approves it, the lead first: ``signer(unit_id)`` gives that unit's client (on the
    gateway of the node hosting the unit, for a co-issuer of another node); default: an API token of the same
    in-process gateway. The last signature issues it (waited for, up to ``timeout``, when it crosses a link).

    Answers as POST /api/notices would: 201 with ``notice_id`` (the draft's id), ``doc_number`` and
    ``recipients``. ``kwargs`` go with each of ``client``'s requests (a session's CSRF header)."""
    issuers = list(body["issuer_unit_ids"])
    return await _signed_draft(client, {"notice": body}, issuers, signer=signer, timeout=timeout, **kwargs)


async def forward(
    client: httpx.AsyncClient, notice_id: str, body: dict, *, signer: Signer | None = None, **kwargs: Any
) -> httpx.Response:
    """POST /api/notices/{notice_id}/forward as ``client`` (an issuer of the forwarding unit); a joint 转发, which may
    not be made at once (409 ``cosign_required``: its co-forwarders must 会签), goes through a draft:
    ``forward_jointly``. Answers as the POST would: 201 with the 转发's id, 文号, recipients and warnings, or the
    refusal (a mistake of the 转发 is refused before its 会签 is asked for)."""
    r = await client.post(f"/api/notices/{notice_id}/forward", json=body, **kwargs)
    if not _cosign_required(r):
        return r
    return await forward_jointly(client, notice_id, body, signer=signer, **kwargs)


async def forward_jointly(
    client: httpx.AsyncClient,
    notice_id: str,
    body: dict,
    *,
    signer: Signer | None = None,
    timeout: float = 20.0,
    **kwargs: Any,
) -> httpx.Response:
    """A joint 转发 (``body`` as for POST /api/notices/{notice_id}/forward, naming ``co_issuer_unit_ids``) made
    through the draft flow: drafted (POST /api/drafts, ``forward``) and sent for 签发 by ``client``, signed by the
    forwarding unit's 签发人 and 会签 by each co-forwarder's (``signer`` as for ``issue_jointly``). Answers as the
    POST would: 201 with ``notice_id`` (the draft's id), ``doc_number``, ``recipients`` and ``warnings``."""
    issuers = [body["unit_id"], *body.get("co_issuer_unit_ids", [])]
    content = {"forward": {**body, "notice_id": notice_id}}
    return await _signed_draft(client, content, issuers, signer=signer, timeout=timeout, **kwargs)


async def _signed_draft(
    client: httpx.AsyncClient,
    content: dict,
    issuers: list[str],
    *,
    signer: Signer | None,
    timeout: float,
    **kwargs: Any,
) -> httpx.Response:
    """拟稿 → 送签发 → each issuer's 签发/会签 (the lead first) → issued; answered as the direct POST would be."""
    draft = await client.post("/api/drafts", json=content, **kwargs)
    assert draft.status_code == 201, draft.text
    draft_id = draft.json()["id"]
    submitted = await client.post(f"/api/drafts/{draft_id}/submit", **kwargs)
    assert submitted.status_code == 200, submitted.text
    for unit_id in issuers:
        signing = await (signer(unit_id) if signer else as_role(client, unit_id, "signer"))

        async def asked(signing: httpx.AsyncClient = signing) -> httpx.Response | None:
            r = await signing.get(f"/api/drafts/{draft_id}")  # a request across a link arrives when it does
            return r if r.status_code == 200 else None

        await eventually(asked, timeout=timeout)
        signed = await signing.post(f"/api/drafts/{draft_id}/approve", json={})
        assert signed.status_code == 200, signed.text

    async def settled() -> dict | None:
        view = (await client.get(f"/api/drafts/{draft_id}")).json()
        return view if view["status"] in ("issued", "returned") else None

    issued = await eventually(settled, timeout=timeout)
    assert issued["status"] == "issued", issued["returned"]
    notice = await client.get(f"/api/notices/{issued['notice_id']}")
    return httpx.Response(
        201,
        json={
            "notice_id": issued["notice_id"],
            "doc_number": issued["doc_number"],
            "recipients": issued["preview"]["recipient_count"],
            "warnings": notice.json().get("warnings", []) if notice.status_code == 200 else [],
        },
        request=draft.request,
    )


async def create_user(
    http: httpx.AsyncClient,
    username: str,
    unit_id: str,
    *roles: str,
    password: str = "correct horse battery",
    display_name: str | None = None,
    must_change_password: bool = False,
) -> dict:
    app = http.app  # type: ignore[attr-defined]
    user, _ = await app.state.accounts.create(
        None,
        username=username,
        display_name=display_name or username,
        unit_id=unit_id,
        roles=list(roles),
        password=password,
        must_change_password=must_change_password,
    )
    return user


async def stored_api_token(mongo_url: str, node_id: str, unit_id: str, *roles: str) -> str:
    """An API token written straight into a node's gateway database (for gateways in other processes)."""
    from services.gateway.setup import create_api_token

    return await create_api_token(mongo_url, node_id, unit_id, *roles, name=f"测试 {unit_id}")


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def login(http: httpx.AsyncClient, username: str, password: str = "correct horse battery") -> httpx.AsyncClient:
    """A browser-like client logged in with a session cookie; ``client.csrf`` is its CSRF token."""
    client = _sibling(http)
    form = await client.get("/login")
    r = await client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303, r.text
    page = await client.get("/account")
    client.csrf = csrf_of(page.text)  # type: ignore[attr-defined]
    return client


class ServiceProcesses:
    """Services of a node as real processes, for crash-and-restart tests."""

    def __init__(self, node: TestNode) -> None:
        self.node = node
        self.procs: dict[str, Proc] = {}

    def start(self, *services: str) -> None:
        for s in services:
            log = self.node.servers.workdir / self.node.node_id / "logs" / f"{s}.log"
            if s in self.procs:
                self.procs[s].start()
            else:
                self.procs[s] = start_service(s, self.node.env(s), log)

    def kill(self, service: str) -> None:
        self.procs[service].kill()

    def stop_all(self) -> None:
        for p in self.procs.values():
            p.stop()

    async def wait_healthy(self, *services: str, timeout: float = 30.0) -> None:
        broker = NatsBroker(self.node.servers.nats_url)
        await broker.connect()
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            for s in services or tuple(self.procs):
                while True:
                    if not self.procs[s].alive:
                        raise RuntimeError(f"{s} exited:\n{self.procs[s].tail()}")
                    try:
                        await request(broker, subjects.rpc(self.node.node_id, s, "health"), {}, timeout=1.0)
                        break
                    except Unavailable:
                        if asyncio.get_running_loop().time() > deadline:
                            raise
                        await asyncio.sleep(0.2)
        finally:
            await broker.stop()


async def eventually(check, timeout: float = 20.0, interval: float = 0.05):
    """Poll an async ``check`` until it returns a truthy value; return that value."""
    deadline = asyncio.get_running_loop().time() + timeout
    last_exc: Exception | None = None
    value = None
    while True:
        try:
            value = await check()
            if value:
                return value
        except AssertionError as exc:
            last_exc = exc
        if asyncio.get_running_loop().time() > deadline:
            if last_exc:
                raise last_exc
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)
