"""A node's configuration file and what follows from it (paths, URLs, the nats-server config).

A node is one level of the hierarchy running its own nats-server (its own
JetStream domain = node id), its own store and its own services. The file is
YAML; relative paths in it are relative to the file.
"""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .ids import is_slug


class Ports(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nats: int = 4222
    nats_http: int = 8222
    leafnodes: int = 7422
    ferretdb: int = 27017
    gateway: int = 8080


class ParentLink(BaseModel):
    """How this node reaches its parent: a leafnode remote with its own credentials."""

    model_config = ConfigDict(extra="forbid")
    node_id: str
    url: str = Field(description="nats-leaf://host:port of the parent's leafnode listener")
    user: str
    password: str


class ChildLink(BaseModel):
    """A child node allowed to connect here as a leafnode, with its own credentials."""

    model_config = ConfigDict(extra="forbid")
    node_id: str
    user: str
    password: str


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: str
    name: str = Field(description="display name of the node's organisation")
    org_unit_id: str | None = Field(default=None, description="the directory entry of this node's own organisation")
    timezone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    data_dir: Path = Path("data")
    ports: Ports = Ports()
    parent: ParentLink | None = None
    children: list[ChildLink] = []
    log_level: str = "INFO"

    # Set by load(): where the file lives, so relative paths resolve against it.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, v: str) -> str:
        if not is_slug(v):
            raise ValueError("node_id must be a lowercase slug: a-z, 0-9, - and _")
        return v

    # ------------------------------------------------------------ derived

    @property
    def root(self) -> Path:
        return (self.base_dir / self.data_dir).resolve()

    @property
    def nats_url(self) -> str:
        return f"nats://{self.host}:{self.ports.nats}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.ports.gateway}"

    @property
    def ferretdb_url(self) -> str:
        return f"mongodb://{self.host}:{self.ports.ferretdb}/"

    @property
    def neighbours(self) -> list[str]:
        return ([self.parent.node_id] if self.parent else []) + [c.node_id for c in self.children]

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)


def load(path: Path) -> NodeConfig:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    cfg = NodeConfig.model_validate(raw)
    return cfg.model_copy(update={"base_dir": Path(path).resolve().parent})


def dump(cfg: NodeConfig, path: Path) -> None:
    data = cfg.model_dump(mode="json", exclude={"base_dir"}, exclude_defaults=False)
    Path(path).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _q(value: str) -> str:
    """Quote a value for the nats-server config format."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nats_config(cfg: NodeConfig) -> str:
    """The nats-server config of a node: JetStream with domain = node id, one APP account.

    Local clients (the node's own services, on loopback) use the account's
    ``app`` user without credentials; each child node gets its own leafnode
    user. See shared/federation.py for the permissions of those users.
    """
    from .federation import leafnode_blocks  # federation extends the config; kept in its own module

    store = cfg.path("nats")
    leaf_listen, leaf_remotes, child_users = leafnode_blocks(cfg)
    lines = [
        f"server_name: {_q(cfg.node_id)}",
        f"listen: {_q(f'{cfg.host}:{cfg.ports.nats}')}",
        f"http: {_q(f'{cfg.host}:{cfg.ports.nats_http}')}",
        f"jetstream {{ store_dir: {_q(str(store))}, domain: {_q(cfg.node_id)} }}",
        "max_payload: 8MB",
    ]
    if leaf_listen or leaf_remotes:
        lines.append("leafnodes {")
        lines.extend("  " + line for line in leaf_listen + leaf_remotes)
        lines.append("}")
    users = ["{user: app, password: " + _q("local-" + cfg.node_id) + "}", *child_users]
    lines += [
        "accounts {",
        "  APP { jetstream: enabled",
        "        users: [",
        *("          " + u + "," for u in users),
        "        ] }",
        "}",
        "no_auth_user: app",
    ]
    return "\n".join(lines) + "\n"
