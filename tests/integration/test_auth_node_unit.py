"""Who is node admin: only an admin of the node's own unit — configured, or recorded by the first `create-admin`.

Without ``org_unit_id`` an admin role in any hosted unit used to run the whole
node. Now the node's unit is ``org_unit_id`` when configured, else the unit of
the node's first admin as ``cascade create-admin`` recorded it; with neither,
nobody is node admin.
"""

from pymongo import AsyncMongoClient

from cascade.node import NodeConfig, Ports
from cascade.processes import free_port

from ..fixtures import GD_UNITS
from ..harness import create_user, gateway, login, running
from .test_create_admin import PASSWORD, create_admin

HTML = {"Accept": "text/html"}
UNIT = {"unit_id": "zh-kx", "name": "珠海市科学技术协会", "kind": "科协", "parent_id": "gd-kx"}


async def token(http, unit_id: str, *roles: str) -> dict:
    """A token written straight into the store (as a tool would), without recording any node unit."""
    _, raw = await http.app.state.tokens.create(
        name=f"t {unit_id}", unit_id=unit_id, roles=list(roles), created_by="test", now=http.app.state.clock.now()
    )
    return {"Authorization": f"Bearer {raw}"}


async def insert_user(http, username: str, unit_id: str, *roles: str) -> None:
    """An account the admin forms would refuse (admin of a hosted unit), as an old database may hold."""
    _user, _ = await http.app.state.accounts.create(
        None,
        username=username,
        display_name=username,
        unit_id="x-kx",
        roles=["submitter"],
        password=PASSWORD,
        must_change_password=False,
    )
    await http.app.state.accounts.store.update(username, {"unit_id": unit_id, "roles": list(roles)})


async def test_without_org_unit_id_nobody_is_node_admin_until_the_first_admin_names_the_unit(node):
    async with running(node, ["notices"]), gateway(node) as http:
        sz_admin = await token(http, "sz-kx", "admin", "issuer")
        gd_admin = await token(http, "gd-kx", "admin")
        for auth in (sz_admin, gd_admin):
            assert (await http.put("/api/units/zh-kx", json=UNIT, headers=auth)).status_code == 403
            assert (await http.get("/api/admin/users", headers=auth)).status_code == 403
        me = (await http.get("/api/me", headers=sz_admin)).json()
        assert me["roles"] == ["issuer"]  # the admin role does not count, so it is not shown either

        # `cascade create-admin --unit gd-kx` (the same use case, without an acting admin) names the node's unit.
        await http.app.state.accounts.create(
            None,
            username="root",
            display_name="管理员",
            unit_id="gd-kx",
            roles=["admin"],
            password=PASSWORD,
            must_change_password=False,
        )
        assert await http.app.state.node_unit.get() == "gd-kx"
        assert (
            await http.put("/api/units/gd-kx", json={**UNIT, "unit_id": "gd-kx", "parent_id": None}, headers=gd_admin)
        ).status_code == 200
        assert (await http.put("/api/units/zh-kx", json=UNIT, headers=sz_admin)).status_code == 403
        assert (await http.get("/api/me", headers=gd_admin)).json()["roles"] == ["admin"]

        # A second command-line admin of another unit is refused; so is an admin given out in a hosted unit.
        try:
            await http.app.state.accounts.create(
                None,
                username="other",
                display_name="x",
                unit_id="sz-kx",
                roles=["admin"],
                password=PASSWORD,
                must_change_password=False,
            )
            raise AssertionError("a second node unit was accepted")
        except Exception as exc:
            assert "本节点单位（gd-kx）" in str(exc)
        for unit in GD_UNITS:
            await http.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"), headers=gd_admin)
        root = await login(http, "root", PASSWORD)
        r = await root.post(
            "/api/admin/users",
            headers={"X-CSRF-Token": root.csrf},
            json={"username": "wangmin", "display_name": "王敏", "unit_id": "sz-kx", "roles": ["admin"]},
        )
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "admin_outside_node_unit", r.text
        r = await root.post(
            "/api/admin/tokens",
            headers={"X-CSRF-Token": root.csrf},
            json={"name": "OA", "unit_id": "sz-kx", "roles": ["admin"]},
        )
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "admin_outside_node_unit"
        assert "/admin/users" in (await root.get("/", headers=HTML)).text


async def test_an_admin_role_in_a_hosted_unit_shows_no_admin_menu_and_opens_no_admin_page(node):
    async with running(node, ["notices"]), gateway(node, org_unit_id="gd-kx") as http:
        await insert_user(http, "szadmin", "sz-kx", "admin", "submitter")
        browser = await login(http, "szadmin", PASSWORD)
        home = await browser.get("/inbox", headers=HTML)
        assert home.status_code == 200
        assert 'href="/admin/users"' not in home.text and 'href="/admin/channels"' not in home.text
        assert 'id="nav-directory"' not in home.text
        for url in ("/admin/users", "/admin/channels", "/admin/templates", "/directory"):
            assert (await browser.get(url, headers=HTML)).status_code == 403, url
        assert (await browser.get("/api/me")).json()["roles"] == ["submitter"]


async def test_a_configured_org_unit_id_wins_over_a_recorded_one(node):
    async with gateway(node) as http:
        await http.app.state.node_unit.claim("sz-kx")
    async with running(node, ["notices"]), gateway(node, org_unit_id="gd-kx") as http:
        assert await http.app.state.node_unit.get() == "gd-kx"
        top = {**UNIT, "parent_id": None}
        assert (
            await http.put("/api/units/zh-kx", json=top, headers=await token(http, "sz-kx", "admin"))
        ).status_code == 403
        assert (
            await http.put("/api/units/zh-kx", json=top, headers=await token(http, "gd-kx", "admin"))
        ).status_code == 200


async def test_create_admin_on_a_node_without_org_unit_id_records_the_unit(node, tmp_path):
    cfg = NodeConfig(
        node_id=node.node_id,
        name="测试节点",
        data_dir=tmp_path / "node",
        ports=Ports(
            nats=free_port(), nats_http=free_port(), leafnodes=free_port(), ferretdb=free_port(), gateway=free_port()
        ),
    )
    from cascade import node as node_config

    path = tmp_path / "node.yaml"
    node_config.dump(cfg, path)
    url = node.servers.mongo_url
    code, _, err = await create_admin(path, "--username", "root", "--password-stdin", mongo_url=url)
    assert code == 1 and "--unit" in err  # no unit to take: never guess
    code, _out, err = await create_admin(
        path, "--username", "root", "--unit", "gd-kx", "--password-stdin", mongo_url=url
    )
    assert code == 0, err
    code, _, err = await create_admin(path, "--username", "root2", "--unit", "sz-kx", "--password-stdin", mongo_url=url)
    assert code == 1 and "本节点单位（gd-kx）" in err
    code, _, err = await create_admin(path, "--username", "root2", "--unit", "gd-kx", "--password-stdin", mongo_url=url)
    assert code == 0, err
    client = AsyncMongoClient(url)
    try:
        doc = await client[f"{node.node_id}_gateway"]["node"].find_one({"_id": "org_unit"})
        assert doc["unit_id"] == "gd-kx"
    finally:
        await client.close()
    async with running(node, ["notices"]), gateway(node) as http:
        await create_user(http, "clerk", "sz-kx", "submitter")
        root = await login(http, "root", PASSWORD)
        assert (await root.get("/admin/users", headers=HTML)).status_code == 200
        assert (await (await login(http, "clerk")).get("/admin/users", headers=HTML)).status_code == 403
