"""`cascade create-admin`: the first admin of a node, never with a default password."""

import asyncio
import os
import sys
from typing import Any

from pymongo import AsyncMongoClient

from cascade import node as node_config
from cascade.node import NodeConfig, Ports
from cascade.processes import REPO_ROOT, free_port, port_open, start_ferretdb

from ..harness import gateway, login

PASSWORD = "an admin secret 2026"


async def create_admin(
    config, *args: str, stdin: str | None = PASSWORD + "\n", mongo_url: str | None = None, env_extra: dict | None = None
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_") and k != "MONGO_URL"}
    if mongo_url:
        env["MONGO_URL"] = mongo_url
    env.update(env_extra or {})
    config_args = ["--config", str(config)] if config else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cascade.cli",
        "create-admin",
        *config_args,
        *args,
        env=env,
        cwd=REPO_ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(stdin.encode() if stdin is not None else b"")
    return proc.returncode, out.decode(), err.decode()


def write_config(tmp_path, node_id: str, **extra) -> tuple:
    cfg = NodeConfig(
        node_id=node_id,
        name="测试节点",
        org_unit_id="gd-kx",
        data_dir=tmp_path / "node",
        ports=Ports(
            nats=free_port(), nats_http=free_port(), leafnodes=free_port(), ferretdb=free_port(), gateway=free_port()
        ),
        **extra,
    )
    path = tmp_path / "node.yaml"
    node_config.dump(cfg, path)
    return node_config.load(path), path


async def users_of(mongo_url: str, node_id: str) -> list[dict]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        return [u async for u in client[f"{node_id}_gateway"]["users"].find({})]
    finally:
        await client.close()


async def test_create_admin_with_the_store_running_then_log_in(node, tmp_path):
    _, path = write_config(tmp_path, node.node_id)
    code, out, err = await create_admin(
        path, "--username", "Root", "--display-name", "系统管理员", "--password-stdin", mongo_url=node.servers.mongo_url
    )
    assert code == 0, err
    assert "已创建管理员 root" in out and "gd-kx" in out
    [user] = await users_of(node.servers.mongo_url, node.node_id)
    assert user["_id"] == "root" and user["roles"] == ["admin"] and user["unit_id"] == "gd-kx"
    assert user["password_hash"].startswith("$argon2id$") and PASSWORD not in str(user)
    async with gateway(node) as http:
        admin = await login(http, "root", PASSWORD)
        assert "系统管理员" in (await admin.get("/account")).text
        entries = await http.app.state.audit.query(action="user.created")
        assert entries[0]["target"] == "root" and entries[0]["via"] == "cli"


async def test_create_admin_refuses_bad_input_and_stores_nothing(node, tmp_path):
    _, path = write_config(tmp_path, node.node_id)
    url = node.servers.mongo_url
    cases = [
        (("--username", "root", "--password-stdin"), "short\n", "至少需要"),
        (("--username", "root", "--password-stdin"), "\n", "至少需要"),
        (("--username", "bad name!", "--password-stdin"), PASSWORD + "\n", "用户名"),
        (("--username", "root", "--unit", "Not A Slug", "--password-stdin"), PASSWORD + "\n", "单位"),
        (("--username", "root"), PASSWORD + "\n", "--password-stdin"),  # not a terminal: never guess
        (("--username", "root", "--unit", "sz-kx", "--password-stdin"), PASSWORD + "\n", "本节点单位（gd-kx）"),
    ]
    for args, stdin, message in cases:
        code, _, err = await create_admin(path, *args, stdin=stdin, mongo_url=url)
        assert code == 1 and message in err, (args, err)
    assert await users_of(url, node.node_id) == []
    code, _, err = await create_admin(path, "--username", "root", "--password-stdin", mongo_url=url)
    assert code == 0, err
    code, _, err = await create_admin(path, "--username", "root", "--password-stdin", mongo_url=url)
    assert code == 1 and "已存在" in err
    assert len(await users_of(url, node.node_id)) == 1


async def test_create_admin_starts_the_node_store_when_the_node_is_down(tmp_path):
    cfg, path = write_config(tmp_path, "cliadm" + os.urandom(2).hex())
    assert not port_open(cfg.host, cfg.ports.ferretdb)
    code, _out, err = await create_admin(path, "--username", "root", "--password-stdin")
    assert code == 0, err
    assert not port_open(cfg.host, cfg.ports.ferretdb)  # stopped again
    # The user is in the node's own store, where `cascade up` will find it.
    proc = start_ferretdb(cfg.host, cfg.ports.ferretdb, cfg.path("ferretdb"), tmp_path / "check.log")
    try:
        [user] = await users_of(cfg.ferretdb_url, cfg.node_id)
        assert user["_id"] == "root" and user["roles"] == ["admin"]
        # With the node's store running (as under `cascade up`), it is used and left running.
        code, _, err = await create_admin(path, "--username", "root2", "--password-stdin")
        assert code == 0, err
        assert port_open(cfg.host, cfg.ports.ferretdb)
        assert {u["_id"] for u in await users_of(cfg.ferretdb_url, cfg.node_id)} == {"root", "root2"}
    finally:
        proc.stop()


async def test_create_admin_in_a_container_takes_the_node_from_the_environment(node):
    url = node.servers.mongo_url
    env = {"CASCADE_NODE_ID": node.node_id, "CASCADE_ORG_UNIT_ID": "gd-kx"}
    code, _, err = await create_admin(
        None, "--username", "root", "--unit", "sz-kx", "--password-stdin", mongo_url=url, env_extra=env
    )
    assert code == 1 and "本节点单位（gd-kx）" in err
    code, _, err = await create_admin(None, "--username", "root", "--password-stdin", env_extra=env)
    assert code == 1 and "MONGO_URL" in err
    code, _out, err = await create_admin(None, "--username", "root", "--password-stdin", mongo_url=url, env_extra=env)
    assert code == 0, err
    [user] = await users_of(url, node.node_id)
    assert user["unit_id"] == "gd-kx" and user["roles"] == ["admin"]
