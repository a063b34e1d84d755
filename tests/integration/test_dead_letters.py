"""消息异常: the node admin sees the messages its consumers could not take, and why, and dismisses them (audited)."""

import nats

from shared import subjects

from ..harness import as_role, create_user, eventually, gateway, login, running

BAD = b'{"type": "notice.issued", "version": 1, "title": "<script>alert(1)</script>"}'


async def test_the_admin_reads_why_a_message_failed_and_dismisses_it(node):
    async with running(node, ["reports"]), gateway(node, org_unit_id="gd-kx") as http:
        admin = await as_role(http, "gd-kx", "admin")
        assert (await admin.get("/api/admin/dead-letters")).json()["items"] == []
        nc = await nats.connect(node.servers.nats_url)
        try:
            subject = subjects.event("notice.issued", node.node_id)
            await nc.jetstream().publish(subject, b"this is not json")
            await nc.jetstream().publish(subject, BAD)
        finally:
            await nc.close()

        async def two():
            rows = (await admin.get("/api/admin/dead-letters")).json()["items"]
            return rows if len(rows) == 2 else None

        newest, oldest = await eventually(two)
        assert newest["seq"] > oldest["seq"] and oldest["preview"] == "this is not json"
        assert newest["consumer"] == subjects.durable(node.node_id, "reports", "status_issued")
        assert newest["subject"] == subject and "validation error" in newest["error"].lower()
        assert newest["at"] and newest["size"] == len(BAD)

        # The page shows them, escaped; dismissing one there (with the CSRF token) removes it and is audited.
        await create_user(http, "ops", "gd-kx", "admin")
        browser = await login(http, "ops")
        page = await browser.get("/admin/dead-letters")
        assert page.status_code == 200 and 'id="dead-letters"' in page.text
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
        assert (await browser.post(f"/admin/dead-letters/{oldest['seq']}/dismiss")).status_code == 403  # no CSRF
        r = await browser.post(f"/admin/dead-letters/{oldest['seq']}/dismiss", data={"csrf_token": browser.csrf})
        assert r.status_code == 303
        assert [row["seq"] for row in (await admin.get("/api/admin/dead-letters")).json()["items"]] == [newest["seq"]]
        [entry] = await http.app.state.audit.query(action="dead_letter.dismissed")
        assert entry["target"] == str(oldest["seq"]) and entry["user_id"]

        # Through the API too; a second time there is nothing to dismiss.
        assert (await admin.delete(f"/api/admin/dead-letters/{newest['seq']}")).status_code == 204
        r = await admin.delete(f"/api/admin/dead-letters/{newest['seq']}")
        assert r.status_code == 404 and r.json()["detail"][0]["loc"][-1] == "seq"
        assert "没有异常消息" in (await browser.get("/admin/dead-letters")).text

        # Only the node admin; the numbers are checked.
        for role in ("issuer", "reviewer", "submitter"):
            client = await as_role(http, "gd-kx", role)
            assert (await client.get("/api/admin/dead-letters")).status_code == 403
            assert (await client.delete("/api/admin/dead-letters/1")).status_code == 403
        assert (await admin.get("/api/admin/dead-letters", params={"per_page": 0})).status_code == 422
        assert (await admin.delete("/api/admin/dead-letters/0")).status_code == 422
