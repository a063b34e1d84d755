"""The ``cascade`` command."""

import argparse
import getpass
import logging
import sys
from pathlib import Path

from . import node as node_config
from .processes import REPO_ROOT
from .settings import RuntimeSettings

EXAMPLE_NODE = REPO_ROOT / "deploy" / "nodes" / "example.yaml"


def cmd_up(args: argparse.Namespace) -> int:
    from .runtime import NodeRuntime

    cfg = node_config.load(args.config)
    runtime = NodeRuntime(cfg, mongo_url=RuntimeSettings().mongo_url)
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
        create_admin(cfg, env.mongo_url, username=args.username, unit_id=unit,
                     display_name=args.display_name or args.username, password=password)
    except Exception as exc:  # a refused value or an unreachable store: say what, exit non-zero
        message = getattr(exc, "message", None) or str(exc)
        field = getattr(exc, "field", None)
        print(f"未创建管理员：{message}" + (f"（{field}）" if field else ""), file=sys.stderr)
        return 1
    print(f"已创建管理员 {args.username.strip().lower()}（单位 {unit}）。登录：{cfg.gateway_url}/login")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cascade", description="Cascade: 级联通知 — notices down, submissions up")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start a node: nats-server, store, services, gateway")
    up.add_argument("--config", type=Path, default=EXAMPLE_NODE, help="node config file (YAML)")
    up.set_defaults(func=cmd_up)

    admin = sub.add_parser("create-admin", help="create a node admin user (the first one, or another)")
    admin.add_argument("--config", type=Path, help="node config file (YAML); default: the node named by "
                       "CASCADE_NODE_ID (in a container), else the example node")
    admin.add_argument("--username", required=True, help="login name: lower-case letters, digits, . _ @ -")
    admin.add_argument("--unit", help="the admin's org unit (default: the node's org_unit_id)")
    admin.add_argument("--display-name", help="name shown in the UI (default: the username)")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from stdin (one line)")
    admin.set_defaults(func=cmd_create_admin)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
