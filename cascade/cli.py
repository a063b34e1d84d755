"""The ``cascade`` command."""

import argparse
import getpass
import logging
import sys
from pathlib import Path

from shared.settings import RuntimeSettings

from . import node as node_config
from .processes import REPO_ROOT

EXAMPLE_NODE = REPO_ROOT / "deploy" / "nodes" / "example.yaml"


def cmd_up(args: argparse.Namespace) -> int:
    from .runtime import NodeRuntime

    cfg = node_config.load(args.config)
    runtime = NodeRuntime(cfg, mongo_url=RuntimeSettings().mongo_url, config_path=args.config)
    print(f"Cascade: 正在启动节点 {cfg.node_id}（{cfg.name}）…", flush=True)
    try:
        runtime.start()
    except Exception as exc:
        runtime.stop()
        print(f"启动失败：{exc}", file=sys.stderr)
        print(f"日志目录：{runtime.logs}", file=sys.stderr)
        return 1
    store = "MongoDB (MONGO_URL)" if runtime.mongo_url else f"FerretDB/SQLite in {cfg.path('ferretdb')}"
    print(
        f"\n  节点 {cfg.node_id} 已就绪\n"
        f"  界面 UI:     {cfg.gateway_url}/\n"
        f"  接口 API:    {cfg.gateway_url}/docs\n"
        f"  NATS:        {cfg.nats_url}\n"
        f"  存储 store:  {store}\n"
        f"  数据 data:   {cfg.root}\n"
        f"  日志 logs:   {runtime.logs}\n\n"
        "  按 Ctrl-C 停止。\n",
        flush=True,
    )
    runtime.run_forever()
    print("已停止。")
    return 0


def read_new_password(from_stdin: bool) -> str:
    """The new admin's password: one line of stdin, or typed twice at a terminal. Never a default."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("标准输入不是终端：请用 --password-stdin 从标准输入传入密码")
    first = getpass.getpass("新管理员的密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise ValueError("两次输入的密码不一致")
    return first


def cmd_create_admin(args: argparse.Namespace) -> int:
    """Create a node admin in the gateway's database (the first one, or another).

    Works whether or not the node is running: with ``cascade up`` running (or
    MONGO_URL set) it uses that store; otherwise it starts the node's FerretDB
    on its configured port just long enough to write the user. Without
    ``--config``, a container's environment names the node (CASCADE_NODE_ID,
    CASCADE_ORG_UNIT_ID, MONGO_URL), else the example node is meant.
    """
    from .admin_setup import create_admin

    env = RuntimeSettings()
    if args.config is None and env.node_id:
        if not env.mongo_url:
            print("CASCADE_NODE_ID 已设置但没有 MONGO_URL：请指定 --config 节点配置文件或 MONGO_URL", file=sys.stderr)
            return 1
        cfg = node_config.NodeConfig(node_id=env.node_id, name=env.node_id, org_unit_id=env.org_unit_id or None)
    else:
        cfg = node_config.load(args.config or EXAMPLE_NODE)
    unit = args.unit or cfg.org_unit_id
    if not unit:
        print("请用 --unit 指定管理员所属单位（节点配置中没有 org_unit_id）", file=sys.stderr)
        return 1
    try:
        password = read_new_password(args.password_stdin)
        create_admin(
            cfg,
            env.mongo_url,
            username=args.username,
            unit_id=unit,
            display_name=args.display_name or args.username,
            password=password,
        )
    except Exception as exc:  # a refused value or an unreachable store: say what, exit non-zero
        message = getattr(exc, "message", None) or str(exc)
        field = getattr(exc, "field", None)
        print(f"未创建管理员：{message}" + (f"（{field}）" if field else ""), file=sys.stderr)
        return 1
    print(f"已创建管理员 {args.username.strip().lower()}（单位 {unit}）。登录：{cfg.gateway_url}/login")
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    """Write the bundle a child level needs to run its own node, and admit it in the parent's config."""
    from .node import Ports
    from .provision import ProvisionError, provision

    ports = None
    if args.port_base:
        b = args.port_base
        ports = Ports(nats=b, nats_http=b + 1, leafnodes=b + 2, ferretdb=b + 3, gateway=b + 4)
    try:
        bundle = provision(
            args.parent,
            args.org,
            node_id=args.node_id,
            name=args.name,
            out=args.out,
            parent_url=args.parent_url,
            ports=ports,
        )
    except (ProvisionError, FileNotFoundError, ValueError) as exc:
        print(f"未生成：{exc}", file=sys.stderr)
        return 1
    child = bundle.child
    assert child.parent is not None  # provision() makes the child with its link to the parent
    for warning in bundle.warnings:
        print(f"⚠ {warning}", file=sys.stderr)
    print(
        f"已为下级节点 {child.node_id}（{child.name}）生成部署包：{bundle.path}\n"
        f"  上级 {bundle.parent.node_id} 的配置已更新（{args.parent}）：新增 leafnode 用户 {child.parent.user}。\n"
        + (
            f"  上级的部署包也已更新（nats.conf、docker-compose.yml、.env）：在 {bundle.parent_bundle} 中运行 "
            "docker compose up -d --force-recreate 以生效；若上级用 cascade up 运行，会自动应用。\n"
            if bundle.parent_bundle
            else "  上级节点若正在运行（cascade up），会自动应用；否则下次启动时生效。\n"
        )
        + f"  在下级机器上：cascade up --config {bundle.path / 'node.yaml'}\n"
        f"  或：cd {bundle.path} && docker compose up -d\n"
        "  部署包含有密码，请通过安全渠道传递。"
    )
    return 0


def cmd_validate_bundle(args: argparse.Namespace) -> int:
    from .provision import bundle_warnings, validate_bundle

    problems = validate_bundle(args.bundle, args.parent)
    for p in problems:
        print(f"✗ {p}", file=sys.stderr)
    for w in bundle_warnings(args.bundle):
        print(f"⚠ {w}", file=sys.stderr)
    if not problems:
        print(f"✓ 部署包 {args.bundle} 完整一致" + (f"，与上级配置 {args.parent} 相符" if args.parent else ""))
    return 1 if problems else 0


def cmd_configure_streams(args: argparse.Namespace) -> int:
    """Set up the node's streams and link consumers (EVENTS sourcing its neighbours, OUTBOX, DEADLETTER).

    ``cascade up`` does it itself; under docker compose a one-shot service
    runs this before the Cascade containers start. With ``--config`` the node
    and its links come from the node config; without it from the environment
    (``CASCADE_NODE_ID``, ``CASCADE_NATS_URL``, ``CASCADE_LINKED_NODES``).
    """
    import asyncio

    from pydantic import ValidationError

    from shared.settings import StreamsSettings

    from .federation import Links, Topology, configure_at

    cfg: Links
    try:
        if args.config is not None:
            cfg = node_config.load(args.config)
            url = args.nats_url or cfg.nats_url
        else:
            env = StreamsSettings(**({"nats_url": args.nats_url} if args.nats_url else {}))
            cfg, url = Topology(env.node_id, list(env.linked_nodes)), env.nats_url
    except ValidationError as exc:
        wrong = ", ".join(f"CASCADE_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        print(f"未配置：{wrong}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"未配置：{exc}", file=sys.stderr)
        return 1
    try:
        streams = asyncio.run(configure_at(url, cfg, timeout=args.timeout))
    except Exception as exc:  # unreachable, or JetStream refused a stream: say which, exit non-zero
        print(f"节点 {cfg.node_id} 的流未配置：{exc}", file=sys.stderr)
        return 1
    print(f"节点 {cfg.node_id} 的流已配置（{url}）：{', '.join(streams)}；上下级：{', '.join(cfg.neighbours) or '无'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.dir, check=args.check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cascade", description="Cascade: 级联通知 — notices down, submissions up")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start a node: nats-server, store, services, gateway")
    up.add_argument("--config", type=Path, default=EXAMPLE_NODE, help="node config file (YAML)")
    up.set_defaults(func=cmd_up)

    admin = sub.add_parser("create-admin", help="create a node admin user (the first one, or another)")
    admin.add_argument(
        "--config",
        type=Path,
        help="node config file (YAML); default: the node named by "
        "CASCADE_NODE_ID (in a container), else the example node",
    )
    admin.add_argument("--username", required=True, help="login name: lower-case letters, digits, . _ @ -")
    admin.add_argument("--unit", help="the admin's org unit (default: the node's org_unit_id)")
    admin.add_argument("--display-name", help="name shown in the UI (default: the username)")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from stdin (one line)")
    admin.set_defaults(func=cmd_create_admin)

    prov = sub.add_parser("provision", help="make the bundle a child level needs to run its own node")
    prov.add_argument("--parent", type=Path, required=True, help="the parent node's config file (YAML); updated")
    prov.add_argument("--org", required=True, help="the child's organisation (unit id in the parent's directory)")
    prov.add_argument("--node-id", help="the child's node id (default: the org id)")
    prov.add_argument("--name", help="display name of the child's organisation")
    prov.add_argument("--out", type=Path, help="bundle folder (default: ./cascade-<node-id>)")
    prov.add_argument(
        "--parent-url",
        help="nats-leaf://host:port the child reaches the parent at "
        "(default: the parent's host and leafnode port; a loopback default only works with "
        "`cascade up` on the parent's machine, not in a container: give it for docker compose)",
    )
    prov.add_argument("--port-base", type=int, help="child's ports: nats, monitoring, leafnodes, store, UI from here")
    prov.set_defaults(func=cmd_provision)

    check = sub.add_parser("validate-bundle", help="check a bundle made by `cascade provision`")
    check.add_argument("bundle", type=Path)
    check.add_argument("--parent", type=Path, help="also check it against the parent's config")
    check.set_defaults(func=cmd_validate_bundle)

    streams = sub.add_parser(
        "configure-streams",
        help="set up the node's streams and links in its nats-server, "
        "then exit (docker compose runs it before the services)",
    )
    streams.add_argument(
        "--config",
        type=Path,
        help="node config file (YAML); default: the environment "
        "(CASCADE_NODE_ID, CASCADE_NATS_URL, CASCADE_LINKED_NODES)",
    )
    streams.add_argument("--nats-url", help="the node's nats-server (default: from the config or CASCADE_NATS_URL)")
    streams.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for nats-server and JetStream")
    streams.set_defaults(func=cmd_configure_streams)

    demo = sub.add_parser("demo", help="national → province → city on this machine, each its own node")
    demo.add_argument(
        "--check", action="store_true", help="run the flow headless and exit non-zero if anything is missing"
    )
    demo.add_argument(
        "--dir", type=Path, default=REPO_ROOT / "var" / "demo", help="where the three nodes keep their data"
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the health checks' requests are not news
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
