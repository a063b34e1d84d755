"""The nats-server config of a node, rendered from its node config (cascade/node.py).

Its leafnode lines (the link to the parent, each child's user and permissions)
are federation's concern (cascade/federation.py); this module puts them together
with the node's own listener, JetStream domain and APP account.
"""

from . import federation
from .node import NodeConfig, Ports, quote

# Inside a container (docker-compose.yml) nats-server listens on every interface
# of its own network namespace, on the standard ports, and stores under /data.
CONTAINER_PORTS = Ports()
CONTAINER_STORE = "/data"


def nats_config(cfg: NodeConfig, *, container: bool = False) -> str:
    """The nats-server config of a node: JetStream with domain = node id, one APP account.

    Local clients (the node's own services) use the account's ``app`` user
    without credentials, and only as clients: a leafnode may not log in as
    ``app``. Each child node gets its own leafnode user (cascade/federation.py).
    ``container=True`` renders the file docker-compose.yml mounts.
    """
    host, ports = ("0.0.0.0", CONTAINER_PORTS) if container else (cfg.host, cfg.ports)
    leaf_host = host if container else (cfg.leafnode_host or cfg.host)
    store = CONTAINER_STORE if container else str(cfg.path("nats"))
    lines = [
        f"server_name: {quote(cfg.node_id)}",
        f"listen: {quote(f'{host}:{ports.nats}')}",
        f"http: {quote(f'{host}:{ports.nats_http}')}",
        f"jetstream {{ store_dir: {quote(store)}, domain: {quote(cfg.node_id)} }}",
        "max_payload: 8MB",
        *federation.leafnodes_block(cfg, listen_host=leaf_host, leaf_port=ports.leafnodes),
    ]
    users = [
        "{user: app, password: " + quote("local-" + cfg.node_id) + ', allowed_connection_types: ["STANDARD"]}',
        *federation.child_users(cfg),
    ]
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
