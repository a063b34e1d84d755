"""Unknown pages and methods: an error page for people, JSON for programs."""

from ..fixtures import load_directory
from ..harness import create_user, gateway, login, running

HTML = {"accept": "text/html,application/xhtml+xml"}


async def test_unknown_page_is_a_page_and_unknown_api_path_is_json(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await load_directory(http)
        await create_user(http, "gd-clerk", "gd-kx", "submitter")
        browser = await login(http, "gd-clerk")

        page = await browser.get("/no-such-page", headers=HTML)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "页面不存在" in page.text

        wrong_method = await browser.delete("/inbox", headers=HTML)
        assert wrong_method.status_code == 405
        assert "不支持该请求方法" in wrong_method.text

        api = await browser.get("/api/no-such-thing", headers=HTML)
        assert api.status_code == 404
        assert api.json() == {"detail": "Not Found"}

        anonymous = await http.get("/no-such-page", headers=HTML)
        assert anonymous.status_code == 404 and "页面不存在" in anonymous.text
