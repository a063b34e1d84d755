"""Accounts in headless Chromium: the admin creates a user, who logs in with the one-time password, must change
it, and works; the session cookie is out of reach of page scripts; logout ends it; guessing locks the name."""

from playwright.async_api import expect

from ..fixtures import GD_UNITS
from ..harness import running
from .serving import served_gateway

PASSWORD = "correct horse battery"


async def test_admin_creates_a_user_who_changes_the_one_time_password_and_logs_out(node, browser):
    async with running(node, ["notices"]), served_gateway(node) as (app, admin_api, base):
        for unit in GD_UNITS:
            assert (
                await admin_api.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))
            ).status_code == 200
        await app.state.accounts.create(
            None,
            username="root",
            display_name="节点管理员",
            unit_id="gd-kx",
            roles=["admin"],
            password=PASSWORD,
            must_change_password=False,
        )
        # The admin: /admin/users redirects to the login page and back.
        admin = await (await browser.new_context(locale="zh-CN", base_url=base)).new_page()
        await admin.goto("/admin/users")
        await expect(admin).to_have_url(f"{base}/login?next=%2Fadmin%2Fusers")
        await admin.fill("input[name=username]", "root")
        await admin.fill("input[name=password]", PASSWORD)
        await admin.click("button[type=submit]")
        await expect(admin).to_have_url(f"{base}/admin/users")
        assert "cascade_session" not in await admin.evaluate("document.cookie")  # HttpOnly

        await admin.fill("input[name=username]", "wangmin")
        await admin.fill("input[name=display_name]", "王敏")
        await admin.select_option("form[action='/admin/users'] select[name=unit_id]", "sz-kx")  # not the search's
        await admin.check("input[name=roles][value=submitter]")
        await admin.click("form[action='/admin/users'] button[type=submit]")
        one_time = (await admin.locator("#one-time-password").inner_text()).strip()
        await expect(admin.locator("#users")).to_contain_text("深圳市科学技术协会")

        # The new user: forced to change the password first, then in.
        user = await (await browser.new_context(locale="zh-CN", base_url=base)).new_page()
        await user.goto("/login")
        await user.fill("input[name=username]", "wangmin")
        await user.fill("input[name=password]", one_time)
        await user.click("button[type=submit]")
        await expect(user).to_have_url(f"{base}/account?first=1")
        await user.goto("/inbox")
        await expect(user).to_have_url(f"{base}/account?first=1")
        await user.fill("input[name=current_password]", one_time)
        await user.fill("input[name=new_password]", "wang min 2026 secret")
        await user.fill("input[name=confirm_password]", "wang min 2026 secret")
        await user.click("form[action='/account/password'] button[type=submit]")
        await expect(user.locator("p.ok")).to_contain_text("密码已修改")
        await user.goto("/inbox")
        await expect(user.locator("#me-name")).to_have_text("王敏")
        await expect(user.locator("#me-unit")).to_have_text("深圳市科学技术协会")
        await expect(user.locator("a[href='/admin/users']")).to_have_count(0)  # no admin links

        # Logout ends the session; the pages ask for a login again.
        await user.click("header form[action='/logout'] button")
        await expect(user).to_have_url(f"{base}/login")
        await user.goto("/inbox")
        await expect(user).to_have_url(f"{base}/login?next=%2Finbox")

        # Guessing: the fifth wrong password locks the name.
        for attempt in range(5):
            await user.fill("input[name=username]", "wangmin")
            await user.fill("input[name=password]", f"guess number {attempt}")
            await user.click("button[type=submit]")
        await expect(user.locator("p.error")).to_contain_text("已锁定")

        entries = [e["action"] for e in await app.state.audit.query(limit=100)]
        assert {"user.created", "user.password_changed", "logout", "login.failed"} <= set(entries)
