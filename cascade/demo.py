"""``cascade demo``: national → province → city on this machine, each a node of its own.

Each level runs what ``cascade up`` runs (its own nats-server with its own
JetStream domain, its own FerretDB, its own services and UI port); the
province and the city are made with ``cascade provision`` from their parent's
config, so the demo runs the same links a real deployment does. It loads the
three directories, issues a notice at the top, forwards it (转发) at the
province and waits until it is in the city's inbox. ``--check`` also signs
for it (签收) at the city and at the province, waits until each receipt is
back at the issuer's node, submits the city's summary (报送), accepts and
compiles it at the province (采用, 汇总) and waits for the report at the top,
stops everything and exits non-zero if anything did not arrive. Without ``--check`` the nodes keep running until Ctrl-C.
"""

import asyncio
import secrets
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from services.gateway.setup import create_api_token, create_user

from . import node as node_config
from .node import NodeConfig, Ports
from .processes import free_port, port_open
from .provision import provision
from .runtime import NodeRuntime


@dataclass(frozen=True)
class Level:
    key: str  # node id
    unit_id: str  # its organisation in the directory
    name: str
    gateway_port: int  # preferred ports, so the URLs stay the same from one run to the next
    port_base: int


LEVELS = (
    Level("national", "cast", "中国科学技术协会", 8101, 18110),
    Level("province", "gd-kx", "广东省科学技术协会", 8102, 18120),
    Level("city", "sz-kx", "深圳市科学技术协会", 8103, 18130),
)
WAIT_S = 90.0
PASSWORD_FILE = "demo-users.txt"


def _ports(level: Level) -> Ports:
    """The preferred ports, or free ones for any that is taken (another demo, another engineer)."""
    wanted = [level.port_base, level.port_base + 1, level.port_base + 2, level.port_base + 3, level.gateway_port]
    got = [p if not port_open("127.0.0.1", p) else free_port() for p in wanted]
    return Ports(nats=got[0], nats_http=got[1], leafnodes=got[2], ferretdb=got[3], gateway=got[4])


def make_configs(root: Path) -> dict[str, Path]:
    """national's config, then province and city provisioned from their parents (fresh each run)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    top, prov, city = LEVELS
    paths = {top.key: root / top.key / "node.yaml"}
    paths[top.key].parent.mkdir()
    node_config.dump(
        NodeConfig(node_id=top.key, name=top.name, org_unit_id=top.unit_id, data_dir=Path("data"), ports=_ports(top)),
        paths[top.key],
    )
    for parent, child in ((top, prov), (prov, city)):
        bundle = provision(
            paths[parent.key],
            child.unit_id,
            node_id=child.key,
            name=child.name,
            out=root / child.key,
            ports=_ports(child),
        )
        paths[child.key] = bundle.path / "node.yaml"
    return paths


def directories() -> dict[str, list[dict]]:
    """Each level's directory: itself, and the unit below it with the node that hosts it."""
    top, prov, city = LEVELS

    def unit(level: Level, *, parent: Level | None = None, own_node: bool = False, template: str | None = None) -> dict:
        d = {
            "unit_id": level.unit_id,
            "name": level.name,
            "kind": "科协",
            "node_id": level.key,
            "runs_own_node": own_node,
        }
        if template:
            d["doc_number_template"] = template
        return d

    return {
        top.key: [unit(top, template="科协发组字〔{year}〕{seq}号"), unit(prov, own_node=True)],
        prov.key: [unit(prov, template="粤科协联〔{year}〕{seq}号"), unit(city, own_node=True)],
        city.key: [unit(city)],
    }


async def _tokens(cfgs: dict[str, NodeConfig]) -> dict[str, str]:
    """An API token per level for its own organisation, with every role the flow needs."""
    return {
        lv.key: await create_api_token(
            cfgs[lv.key].ferretdb_url,
            lv.key,
            lv.unit_id,
            "admin",
            "issuer",
            "reviewer",
            "submitter",
            name="cascade demo",
        )
        for lv in LEVELS
    }


async def _users(cfgs: dict[str, NodeConfig]) -> dict[str, tuple[str, str]]:
    """A login per level for a person to look around: (username, password)."""
    out = {}
    for lv in LEVELS:
        password = secrets.token_urlsafe(12)
        await create_user(
            cfgs[lv.key].ferretdb_url,
            lv.key,
            admin_unit=lv.unit_id,
            username="demo",
            display_name=f"{lv.name}演示用户",
            unit_id=lv.unit_id,
            roles=["admin", "issuer", "submitter", "reviewer"],
            password=password,
        )
        out[lv.key] = ("demo", password)
    return out


async def _eventually(what: str, check: Callable[[], Awaitable[object]], timeout: float = WAIT_S) -> object:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await check()
        except httpx.HTTPError:
            value = None
        if value:
            print(f"  ✓ {what}", flush=True)
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.25)


async def flow(cfgs: dict[str, NodeConfig], tokens: dict[str, str], *, check: bool) -> dict[str, str]:
    """Directories, issue at the top, forward at the province, into the city's inbox (and receipts back up)."""
    top, prov, city = LEVELS
    clients = {
        lv.key: httpx.AsyncClient(
            base_url=cfgs[lv.key].gateway_url, timeout=30, headers={"Authorization": f"Bearer {tokens[lv.key]}"}
        )
        for lv in LEVELS
    }
    try:
        for key, units in directories().items():
            for u in units:
                r = await clients[key].put(f"/api/units/{u['unit_id']}", json=u)
                r.raise_for_status()
        print("  ✓ 三级通讯录已载入", flush=True)

        deadline = (datetime.now().astimezone() + timedelta(days=30)).replace(microsecond=0)
        r = await clients[top.key].post(
            "/api/notices",
            json={
                "title": "关于开展2021年“全国科技工作者日”活动的通知",
                "issuer_unit_ids": [top.unit_id],
                "recipient_unit_ids": [prov.unit_id],
                "body": "请各省级科协组织开展系列活动，并于活动结束后报送活动总结。",
                "asks": [
                    {
                        "ask_id": "summary",
                        "kind": "summary_report",
                        "title": "活动总结",
                        "deadline": deadline.isoformat(),
                    }
                ],
            },
        )
        r.raise_for_status()
        top_id, top_number = r.json()["notice_id"], r.json()["doc_number"]
        print(f"  ✓ 国家级发文 {top_number}", flush=True)

        async def in_inbox(level: Level, notice_id: str):
            r = await clients[level.key].get("/api/inbox")
            return r.status_code == 200 and any(e["notice_id"] == notice_id for e in r.json()["items"])

        await _eventually(f"{prov.name}收文中已有该通知", lambda: in_inbox(prov, top_id))
        r = await clients[prov.key].post(
            f"/api/notices/{top_id}/forward",
            json={
                "unit_id": prov.unit_id,
                "recipient_unit_ids": [city.unit_id],
                "cover_note": "请各地级以上市科协认真组织实施，并提前报送活动总结。",
                "deadlines": {"summary": (deadline - timedelta(days=7)).isoformat()},
            },
        )
        r.raise_for_status()
        mid_id, mid_number = r.json()["notice_id"], r.json()["doc_number"]
        print(f"  ✓ 省级转发 {mid_number}", flush=True)
        await _eventually(f"{city.name}收文中已有转发的通知", lambda: in_inbox(city, mid_id))

        if check:

            async def acknowledged(level: Level, notice_id: str, unit: Level):
                r = await clients[level.key].get(f"/api/notices/{notice_id}/tracking")
                return r.status_code == 200 and any(
                    row["unit_id"] == unit.unit_id and row["acknowledged_at"] for row in r.json()["page"]["items"]
                )

            (await clients[city.key].post(f"/api/inbox/{mid_id}/acknowledge")).raise_for_status()
            await _eventually(f"{city.name}的签收已回到{prov.name}", lambda: acknowledged(prov, mid_id, city))
            (await clients[prov.key].post(f"/api/inbox/{top_id}/acknowledge")).raise_for_status()
            await _eventually(f"{prov.name}的签收已回到{top.name}", lambda: acknowledged(top, top_id, prov))
            await submissions_up(clients, top_id, mid_id)
        return {"top": top_id, "forwarded": mid_id}
    finally:
        for c in clients.values():
            await c.aclose()


async def submissions_up(clients: dict[str, httpx.AsyncClient], top_id: str, mid_id: str) -> None:
    """报送 at the city, 采用 and 汇总 at the province, the compiled report at the top."""
    top, prov, city = LEVELS

    async def owed():
        r = await clients[city.key].get("/api/submissions")
        return r.status_code == 200 and any(s["notice_id"] == mid_id for s in r.json()["items"])

    await _eventually(f"{city.name}的报送要求已排定", owed)
    r = await clients[city.key].post(
        f"/api/notices/{mid_id}/asks/summary/submission",
        json={"items": [{"text": f"{city.name}活动总结：共开展活动12场。"}]},
    )
    r.raise_for_status()
    sid = r.json()["id"]

    async def state(level: Level, submission_id: str, status: str):
        r = await clients[level.key].get(f"/api/submissions/{submission_id}")
        return r.status_code == 200 and r.json()["status"] == status

    await _eventually(f"{city.name}的报送已到{prov.name}", lambda: state(prov, sid, "submitted"))
    (await clients[prov.key].post(f"/api/submissions/{sid}/accept", json={"revision": 1})).raise_for_status()
    await _eventually(f"{prov.name}的采用已回到{city.name}", lambda: state(city, sid, "accepted"))
    r = await clients[prov.key].post(
        f"/api/notices/{mid_id}/asks/summary/compile",
        json={"submission_ids": [sid], "items": [{"text": f"{prov.name}汇总：全省共开展活动36场。"}]},
    )
    r.raise_for_status()
    await _eventually(f"{prov.name}的汇总报告已到{top.name}", lambda: state(top, r.json()["id"], "submitted"))


def run_demo(root: Path, *, check: bool = False) -> int:
    root = root.resolve()
    print(f"Cascade 演示：三级节点（{' → '.join(lv.name for lv in LEVELS)}），数据在 {root}", flush=True)
    paths = make_configs(root)
    cfgs = {key: node_config.load(path) for key, path in paths.items()}
    runtimes = {key: NodeRuntime(cfg, config_path=paths[key]) for key, cfg in cfgs.items()}
    try:
        # One after the other, in this thread: a child process dies with the thread
        # that started it (PR_SET_PDEATHSIG), so not from a pool of worker threads.
        for rt in runtimes.values():
            rt.start()
        print("  ✓ 三个节点已启动（各自的 nats-server、FerretDB、服务和界面）", flush=True)
        tokens = asyncio.run(_tokens(cfgs))
        users = asyncio.run(_users(cfgs))
        asyncio.run(flow(cfgs, tokens, check=check))
    except Exception as exc:
        print(f"  ✗ 演示未完成：{type(exc).__name__}: {exc}", file=sys.stderr)
        for key, cfg in cfgs.items():
            print(f"    {key} 日志：{cfg.path('logs')}", file=sys.stderr)
        for rt in runtimes.values():
            rt.stop()
        return 1
    if check:
        for rt in runtimes.values():
            rt.stop()
        print("演示检查通过：通知逐级下达，签收逐级回传。")
        return 0

    lines = [
        f"  {lv.name}（节点 {lv.key}）：{cfgs[lv.key].gateway_url}/   用户 {users[lv.key][0]} 密码 {users[lv.key][1]}"
        for lv in LEVELS
    ]
    (root / PASSWORD_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / PASSWORD_FILE).chmod(0o600)
    print(
        "\n三级节点已就绪，通知已在市级收文中：\n"
        + "\n".join(lines)
        + f"\n  （登录信息也写在 {root / PASSWORD_FILE}）\n\n  按 Ctrl-C 停止。\n",
        flush=True,
    )
    try:
        while True:
            for rt in runtimes.values():
                rt.supervise_once()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for rt in runtimes.values():
            rt.stop()
    print("已停止。")
    return 0
