"""The node runtime behind ``cascade up``: start a node's processes, watch them, stop them.

Order matters: nats-server and the store first, then the streams, then the
services (each its own process), then the gateway; stopping goes in reverse.
A service that dies is started again, and because every consumer is a
durable JetStream consumer, it resumes where it stopped.
"""

import asyncio
import json
import logging
import secrets
import signal
import time
from pathlib import Path

import httpx

from . import federation
from .nats_conf import nats_config
from .node import NodeConfig, load
from .processes import Proc, start_ferretdb, start_nats, start_service, wait_port

log = logging.getLogger("cascade.runtime")

BACKEND_SERVICES = ("notices", "submissions", "notifications", "reports")
HEALTH_TIMEOUT_S = 90.0
RESTART_DELAY_S = 1.0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _leafnode_shape(conf: str) -> tuple[bool, str]:
    """Whether the config listens for leafnodes, and its remote: what SIGHUP cannot change."""
    remote = next((line for line in conf.splitlines() if "remotes:" in line), "")
    return ("  listen:" in conf and "no_advertise" in conf, remote)


class NodeRuntime:
    def __init__(self, cfg: NodeConfig, *, mongo_url: str | None = None, config_path: Path | None = None) -> None:
        self.cfg = cfg
        # When given, a change to the file (`cascade provision` admitting a child) is applied while running.
        self.config_path = config_path
        self._config_mtime = config_path.stat().st_mtime if config_path else None
        self.mongo_url = mongo_url
        self.infra: dict[str, Proc] = {}
        self.services: dict[str, Proc] = {}
        self._stopping = False

    # ------------------------------------------------------------ paths & env

    @property
    def logs(self) -> Path:
        return self.cfg.path("logs")

    @property
    def store_url(self) -> str:
        return self.mongo_url or self.cfg.ferretdb_url

    def secret_key(self) -> str:
        """Generated once per node and kept in its data dir: never a default."""
        path = self.cfg.path("secret.key")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def service_env(self, service: str) -> dict[str, str]:
        env = {
            "CASCADE_NODE_ID": self.cfg.node_id,
            "CASCADE_NATS_URL": self.cfg.nats_url,
            "CASCADE_MONGO_URL": self.store_url,
            "CASCADE_DATA_DIR": str(self.cfg.path("files")),
            "CASCADE_TIMEZONE": self.cfg.timezone,
            "CASCADE_LOG_LEVEL": self.cfg.log_level,
            "CASCADE_LINKED_NODES": json.dumps(self.cfg.neighbours),
        }
        if self.mongo_url:
            env["MONGO_URL"] = self.mongo_url
        if service == "gateway":
            env.update(
                CASCADE_HOST=self.cfg.host,
                CASCADE_PORT=str(self.cfg.ports.gateway),
                CASCADE_SECRET_KEY=self.secret_key(),
            )
            if self.cfg.org_unit_id:
                env["CASCADE_ORG_UNIT_ID"] = self.cfg.org_unit_id
        return env

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._stopping = False
        self.cfg.root.mkdir(parents=True, exist_ok=True)
        conf = self.cfg.path("nats.conf")
        conf.write_text(nats_config(self.cfg), encoding="utf-8")
        self.infra["nats"] = start_nats(conf, self.cfg.host, self.cfg.ports.nats, self.logs / "nats-server.log")
        if not self.mongo_url:
            self.infra["ferretdb"] = start_ferretdb(
                self.cfg.host, self.cfg.ports.ferretdb, self.cfg.path("ferretdb"), self.logs / "ferretdb.log"
            )
        asyncio.run(self.configure_streams())
        for service in (*BACKEND_SERVICES, "gateway"):
            self.services[service] = start_service(service, self.service_env(service), self.logs / f"{service}.log")
        self.wait_healthy()

    async def configure_streams(self) -> None:
        # The same call the one-shot `cascade configure-streams` service makes under docker compose.
        await federation.configure_at(self.cfg.nats_url, self.cfg)

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.services.items():
                if not proc.alive:
                    raise RuntimeError(f"{name} exited during start-up:\n{proc.tail()}")
            try:
                r = httpx.get(f"{self.cfg.gateway_url}/healthz", timeout=2.0)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.25)
        raise TimeoutError(f"node {self.cfg.node_id} not healthy after {timeout}s: {last}")

    def supervise_once(self) -> list[str]:
        """Start again any service that died; returns their names."""
        restarted = []
        for name, proc in self.services.items():
            if not self._stopping and not proc.alive:
                log.warning("%s exited with %s; starting it again", name, proc.popen.returncode)
                time.sleep(RESTART_DELAY_S)
                proc.start()
                restarted.append(name)
        return restarted

    def reload_if_changed(self) -> bool:
        """Apply a changed config file: links and their users, streams, the services' linked nodes.

        nats-server reloads users and permissions on SIGHUP; a new leafnode
        listener or remote needs a restart (children reconnect by themselves).
        The services restart so they see the new list of linked nodes.
        """
        if self.config_path is None or self.config_path.stat().st_mtime == self._config_mtime:
            return False
        self._config_mtime = self.config_path.stat().st_mtime
        new = load(self.config_path)
        if new.model_dump(exclude={"children", "parent"}) != self.cfg.model_dump(exclude={"children", "parent"}):
            log.warning("%s changed beyond its links; restart the node to apply it", self.config_path)
            return False
        old_conf = nats_config(self.cfg)
        self.cfg = new
        new_conf = nats_config(new)
        if new_conf == old_conf:
            return False
        self.cfg.path("nats.conf").write_text(new_conf, encoding="utf-8")
        nats_proc = self.infra["nats"]
        if _leafnode_shape(old_conf) == _leafnode_shape(new_conf):
            nats_proc.popen.send_signal(signal.SIGHUP)
        else:
            nats_proc.restart()
            wait_port(self.cfg.host, self.cfg.ports.nats, proc=nats_proc)
        asyncio.run(self.configure_streams())
        for name in (*BACKEND_SERVICES, "gateway"):
            proc = self.services[name]
            proc.env = self.service_env(name)
            proc.restart()
        log.warning("%s: links now %s", self.cfg.node_id, ", ".join(self.cfg.neighbours) or "none")
        return True

    def run_forever(self) -> None:
        # SIGTERM (docker stop, systemd, `kill`) stops the node as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                self.supervise_once()
                self.reload_if_changed()
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping = True
        for name in ("gateway", *reversed(BACKEND_SERVICES)):
            if name in self.services:
                self.services[name].stop()
        for name in ("ferretdb", "nats"):
            if name in self.infra:
                self.infra[name].stop()
        self.services.clear()
        self.infra.clear()
