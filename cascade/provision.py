"""``cascade provision`` and ``cascade validate-bundle``: what a child level needs to run its own node.

A bundle is a folder with

- ``node.yaml``           the child's node config (cascade/node.py), with its parent link and
                          the only copy of its leafnode password;
- ``nats.conf``           the nats-server config docker-compose.yml mounts (leafnode remote
                          with those credentials, JetStream domain = the child's node id);
- ``.env``                the variables docker-compose.yml requires, secrets generated here;
- ``docker-compose.yml``  the project's compose file, pointed at this folder's nats.conf.

The child runs it either way: ``cascade up --config node.yaml`` (from a
checkout) or ``docker compose up -d`` (from the image). Provisioning also
writes the parent's config: the child's leafnode user (only the password's
bcrypt hash) and its permissions; a running ``cascade up`` of the parent
picks that up by itself (cascade/runtime.py). When the parent's config is
itself a bundle's ``node.yaml`` (a mid level run by docker compose), the
parent's bundle is rewritten too: its ``nats.conf`` gets the leafnode
listener and the new child's user, its compose file publishes the leafnode
port, its ``.env`` lists the new link (``docker compose up -d
--force-recreate`` there applies it).

The parent URL a bundle uses is ``--parent-url``, else the parent's own
``host`` and leafnode port. A loopback address only works with ``cascade
up`` on the parent's machine (a container's 127.0.0.1 is the container):
provisioning says so (``Bundle.warnings``), and so does ``validate-bundle``.
"""

import json
import re
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from shared.ids import is_slug

from . import federation
from .nats_conf import CONTAINER_PORTS, nats_config
from .node import NodeConfig, ParentLink, Ports, dump, load
from .processes import REPO_ROOT, nats_server_binary

FILES = ("node.yaml", "nats.conf", ".env", "docker-compose.yml")
COMPOSE_SOURCE = REPO_ROOT / "docker-compose.yml"
BUNDLE_NATS_CONF = "./nats.conf"
STREAMS_SERVICE = "configure-streams"


class ProvisionError(ValueError):
    pass


@dataclass
class Bundle:
    path: Path
    child: NodeConfig
    parent: NodeConfig
    # Said to whoever provisions (not fatal): e.g. a parent address a container cannot reach.
    warnings: list[str] = field(default_factory=list)
    # Set when the parent's config is a bundle's node.yaml: that bundle was rewritten too.
    parent_bundle: Path | None = None


LOOPBACK_HOSTS = ("localhost", "0.0.0.0", "::", "::1", "[::1]", "[::]")


def is_bundle(config_path: Path) -> bool:
    """Whether a node config is the ``node.yaml`` of a bundle (a node run by its docker-compose.yml, or able to)."""
    config_path = Path(config_path)
    return config_path.name == "node.yaml" and all((config_path.parent / f).is_file() for f in FILES)


def url_warnings(child: NodeConfig) -> list[str]:
    """What is wrong with the parent URL of a bundle for its compose route (empty: nothing known).

    ``127.0.0.1`` inside a container is the container itself: a bundle whose
    parent URL is a loopback address only works with ``cascade up`` on the
    parent's own machine (the demo, tests). Anywhere else it needs the address
    at which the child reaches the parent: ``--parent-url``.
    """
    if child.parent is None:
        return []
    host = child.parent.url.removeprefix("nats-leaf://").rpartition(":")[0]
    if host.startswith("127.") or host in LOOPBACK_HOSTS:
        return [
            f"上级地址 {child.parent.url} 是本机回环地址：只在上级所在的机器上用 `cascade up` 运行时可用；"
            "在容器中（docker compose）以及在其他机器上都连不上上级。"
            "请用 --parent-url nats-leaf://<下级能访问到的上级地址>:<端口> 重新 provision。"
        ]
    return []


def provision(
    parent_path: Path,
    org_unit_id: str,
    *,
    node_id: str | None = None,
    name: str | None = None,
    out: Path | None = None,
    parent_url: str | None = None,
    host: str = "127.0.0.1",
    ports: Ports | None = None,
    data_dir: Path = Path("data"),
) -> Bundle:
    """Write the bundle of a new child of the node configured at ``parent_path``, and admit it there."""
    parent = load(parent_path)
    node_id = node_id or org_unit_id
    for value, what in ((org_unit_id, "--org"), (node_id, "--node-id")):
        if not is_slug(value):
            raise ProvisionError(f"{what} 须为小写字母、数字、- 或 _：{value!r}")
    if node_id == parent.node_id:
        raise ProvisionError(f"子节点编号不能与上级节点相同：{node_id}")
    if parent.parent and parent.parent.node_id == node_id:
        raise ProvisionError(f"{node_id} 是本节点的上级，不能再作为下级")
    out = Path(out or Path.cwd() / f"cascade-{node_id}")
    if out.exists() and any(out.iterdir()):
        raise ProvisionError(f"目录已存在且不为空：{out}")

    updated_parent, link = federation.link_child(parent, node_id, url=parent_url)
    child = NodeConfig(
        node_id=node_id,
        name=name or org_unit_id,
        org_unit_id=org_unit_id,
        timezone=parent.timezone,
        host=host,
        data_dir=data_dir,
        ports=ports or Ports(),
        parent=link,
    )

    out.mkdir(parents=True, exist_ok=True)
    dump(child, out / "node.yaml")
    (out / "nats.conf").write_text(nats_config(child, container=True), encoding="utf-8")
    (out / ".env").write_text(env_file(child), encoding="utf-8")
    (out / "docker-compose.yml").write_text(compose_file(child), encoding="utf-8")
    for secret in ("node.yaml", "nats.conf", ".env"):
        (out / secret).chmod(0o600)

    parent_is_bundle = is_bundle(parent_path)
    dump(updated_parent, parent_path)
    if updated_parent.path("nats.conf").exists():  # the config `cascade up` runs
        updated_parent.path("nats.conf").write_text(nats_config(updated_parent), encoding="utf-8")
    if parent_is_bundle:
        # The parent runs (or may run) from its own bundle: its container nats.conf gets the leafnode
        # listener and the child's user, its compose file the published leafnode port, and .env the links.
        write_bundle_files(updated_parent, parent_path.parent)
    return Bundle(
        path=out,
        child=child.model_copy(update={"base_dir": out.resolve()}),
        parent=updated_parent,
        warnings=url_warnings(child),
        parent_bundle=parent_path.parent if parent_is_bundle else None,
    )


def write_bundle_files(cfg: NodeConfig, folder: Path) -> None:
    """(Re)write a bundle's nats.conf and docker-compose.yml from its node config, and its links in .env."""
    (folder / "nats.conf").write_text(nats_config(cfg, container=True), encoding="utf-8")
    (folder / "docker-compose.yml").write_text(compose_file(cfg), encoding="utf-8")
    env = folder / ".env"
    lines = env.read_text(encoding="utf-8").splitlines()
    linked = f"CASCADE_LINKED_NODES={json.dumps(cfg.neighbours)}"
    lines = [linked if line.startswith("CASCADE_LINKED_NODES=") else line for line in lines]
    if linked not in lines:
        lines.append(linked)
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for secret in ("nats.conf", ".env"):
        (folder / secret).chmod(0o600)


def env_file(child: NodeConfig) -> str:
    lines = [
        f"# Cascade node {child.node_id} ({child.name}): variables docker-compose.yml requires.",
        "# Generated by `cascade provision`; keep this file secret.",
        f"CASCADE_NODE_ID={child.node_id}",
        f"CASCADE_ORG_UNIT_ID={child.org_unit_id or ''}",
        f"CASCADE_TIMEZONE={child.timezone}",
        f"CASCADE_SECRET_KEY={secrets.token_urlsafe(48)}",
        f"MONGO_ROOT_PASSWORD={secrets.token_hex(24)}",
        f"CASCADE_LINKED_NODES={json.dumps(child.neighbours)}",
    ]
    return "\n".join(lines) + "\n"


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def leafnode_publish(cfg: NodeConfig) -> str:
    """The nats service's published leafnode port in a bundle's compose file (all interfaces by default)."""
    return f"${{CASCADE_LEAFNODE_PUBLISH:-{cfg.ports.leafnodes}}}:{CONTAINER_PORTS.leafnodes}"


def compose_file(child: NodeConfig) -> str:
    """The project's docker-compose.yml, for a node of the hierarchy.

    Its nats service mounts the bundle's nats.conf (leafnode remote, and a
    leafnode listener if it has children); the Cascade services learn their
    linked nodes; the image is the one built from the project (no build here).
    """
    compose = yaml.safe_load(COMPOSE_SOURCE.read_text(encoding="utf-8"))
    nats_service = compose["services"]["nats"]
    nats_service["volumes"] = [
        f"{BUNDLE_NATS_CONF}:/etc/nats/cascade.conf:ro" if v.endswith("/etc/nats/cascade.conf:ro") else v
        for v in nats_service["volumes"]
    ]
    if child.children:
        # Children connect here: the host port is the node config's leafnode port, the one their URL names.
        nats_service["ports"] = [leafnode_publish(child)]
    compose.get("x-cascade", {}).pop("build", None)
    for name, service in compose["services"].items():
        if name in ("nats", "mongo"):
            continue
        service.pop("build", None)
        service.setdefault("environment", {})["CASCADE_LINKED_NODES"] = "${CASCADE_LINKED_NODES:-[]}"
    header = (
        f"# Cascade node {child.node_id} ({child.name}), child of {child.parent.node_id if child.parent else '-'}.\n"
        "# Generated by `cascade provision` from the project's docker-compose.yml.\n"
        "# Variables come from .env beside this file:  docker compose up -d\n"
    )
    return header + yaml.safe_dump(compose, allow_unicode=True, sort_keys=False)


# ---------------------------------------------------------------- validation


def validate_bundle(path: Path, parent_path: Path | None = None) -> list[str]:
    """Every problem found in a bundle (empty: it is consistent)."""
    path = Path(path)
    problems = [f"缺少文件：{f}" for f in FILES if not (path / f).is_file()]
    if problems:
        return problems
    try:
        child = load(path / "node.yaml")
    except (ValidationError, yaml.YAMLError) as exc:
        return [f"node.yaml 无效：{exc}"]
    if child.parent is None:
        return ["node.yaml 没有上级节点（parent）"]

    conf = (path / "nats.conf").read_text(encoding="utf-8")
    if conf != nats_config(child, container=True):
        url = re.search(r'url: "nats-leaf://([^:]+):([^@]+)@([^"]+)"', conf)
        if not url:
            problems.append("nats.conf 中没有连接上级的 leafnode remote")
        elif url.groups() != (child.parent.user, child.parent.password, child.parent.url.removeprefix("nats-leaf://")):
            problems.append("nats.conf 中的上级地址或凭据与 node.yaml 不一致")
        if f'domain: "{child.node_id}"' not in conf:
            problems.append(f"nats.conf 的 JetStream domain 不是 {child.node_id}")
        if not problems:
            problems.append("nats.conf 与 node.yaml 生成的配置不一致")
    problems += _nats_syntax(path / "nats.conf")

    env = read_env(path / ".env")
    for key in ("CASCADE_NODE_ID", "CASCADE_SECRET_KEY", "MONGO_ROOT_PASSWORD"):
        if not env.get(key):
            problems.append(f".env 缺少 {key}")
    if env.get("CASCADE_NODE_ID") and env["CASCADE_NODE_ID"] != child.node_id:
        problems.append(f".env 的 CASCADE_NODE_ID（{env['CASCADE_NODE_ID']}）与 node.yaml（{child.node_id}）不一致")
    if len(env.get("CASCADE_SECRET_KEY", "")) < 16:
        problems.append(".env 的 CASCADE_SECRET_KEY 太短（至少 16 个字符）")
    try:
        linked = json.loads(env.get("CASCADE_LINKED_NODES", "null"))
    except ValueError:
        linked = None
    if linked != child.neighbours:
        problems.append(".env 的 CASCADE_LINKED_NODES 与 node.yaml 的上下级不一致")

    try:
        compose = yaml.safe_load((path / "docker-compose.yml").read_text(encoding="utf-8"))
        services = compose["services"]
        volumes = services["nats"]["volumes"]
        if f"{BUNDLE_NATS_CONF}:/etc/nats/cascade.conf:ro" not in volumes:
            problems.append("docker-compose.yml 的 nats 服务没有挂载本目录的 nats.conf")
        streams = services.get(STREAMS_SERVICE) or {}
        if streams.get("command") != ["cascade", "configure-streams"] or "CASCADE_LINKED_NODES" not in (
            streams.get("environment") or {}
        ):
            problems.append(f"docker-compose.yml 没有按上下级配置流的一次性服务 {STREAMS_SERVICE}")
        if child.children and leafnode_publish(child) not in (services["nats"].get("ports") or []):
            problems.append(f"docker-compose.yml 没有发布 leafnode 端口（{leafnode_publish(child)}），下级连不上")
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        problems.append(f"docker-compose.yml 无效：{exc!r}")

    ports = [child.ports.nats, child.ports.nats_http, child.ports.leafnodes, child.ports.ferretdb, child.ports.gateway]
    if len(set(ports)) != len(ports):
        problems.append("node.yaml 中的端口有重复")

    if parent_path is not None:
        problems += _against_parent(child, child.parent, load(parent_path))
    return problems


def bundle_warnings(path: Path) -> list[str]:
    """What may not work although the bundle is consistent (e.g. a parent URL a container cannot reach)."""
    try:
        return url_warnings(load(Path(path) / "node.yaml"))
    except (OSError, ValidationError, yaml.YAMLError):
        return []


def _against_parent(child: NodeConfig, link: ParentLink, parent: NodeConfig) -> list[str]:
    problems = []
    if link.node_id != parent.node_id:
        return [f"上级节点不符：bundle 指向 {link.node_id}，给出的上级配置是 {parent.node_id}"]
    entry = next((c for c in parent.children if c.node_id == child.node_id), None)
    if entry is None:
        return [f"上级 {parent.node_id} 的配置中没有下级 {child.node_id}（请重新 provision）"]
    if entry.user != link.user or not federation.password_matches(link.password, entry.password_hash):
        problems.append(f"凭据与上级 {parent.node_id} 登记的不一致（可能已重新 provision，请使用新的 bundle）")
    if not link.url.endswith(f":{parent.ports.leafnodes}"):
        problems.append(f"上级 leafnode 端口不符：bundle 用 {link.url}，上级监听 {parent.ports.leafnodes}")
    return problems


def _nats_syntax(conf: Path) -> list[str]:
    """nats-server's own check of the file (``-t``), when the binary is at hand."""
    try:
        binary = nats_server_binary()
    except Exception:
        return []
    r = subprocess.run([binary, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30)
    return [] if r.returncode == 0 else [f"nats-server 拒绝 nats.conf：{(r.stderr or r.stdout).strip()[:300]}"]
