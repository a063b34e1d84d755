"""The ``cascade`` command."""

import argparse
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cascade", description="Cascade: 级联通知 — notices down, submissions up")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start a node: nats-server, store, services, gateway")
    up.add_argument("--config", type=Path, default=EXAMPLE_NODE, help="node config file (YAML)")
    up.set_defaults(func=cmd_up)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
