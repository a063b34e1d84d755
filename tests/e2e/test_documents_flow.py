"""Documents from the pages, in headless Chromium: every document a clerk prints, files or forwards is downloaded
from the page that offers it and opened with the library an office would open it with.

- 拟稿: 预览公文（PDF） before issuing;
- the notice page: the 公文 (.pdf to print, .docx), each ask's 样表 (.docx, .xlsx);
- the 报送 page: the 样表 filled offline and uploaded, the submission made from it;
- the issuer's notice page: the 汇总表 (.xlsx, .docx), the 汇总报告 (.docx), the submitted files (.zip).
"""

import io
import zipfile
from urllib.parse import unquote

import httpx
from docx import Document
from openpyxl import load_workbook
from playwright.async_api import Page, expect
from pypdf import PdfReader

from shared.clock import FixedClock
from shared.schemas import Role

from ..fixtures import DIRECTORY, SEED000_NOW, directory_order, media_form, plan_form, seed000_notice, unit_json
from ..harness import eventually, running
from .serving import served_gateway
from .test_notice_flow import PASSWORD, log_in


def notice() -> dict:
    """广东省科协 alone asks its subordinates for seed 002's plan (1–2 items) and the 影像资料."""
    body = seed000_notice(["sz-kx", "gd-jxxh"])
    plan, media = dict(body["asks"][0]), dict(body["asks"][0])
    plan |= {
        "ask_id": "plan",
        "kind": "plan",
        "title": "特色亮点活动筹备方案",
        "max_items": 2,
        "fields": [f for f in plan_form() if f["key"] != "stamped"],
    }
    media |= {"ask_id": "media", "kind": "media", "title": "影像资料", "fields": media_form()}
    return {**body, "issuer_unit_ids": ["gd-kx"], "asks": [plan, media]}


async def download(page: Page, selector: str) -> tuple[str, bytes]:
    """Click a download link of the page: the file's suggested name and its bytes."""
    async with page.expect_download() as info:
        await page.click(selector)
    d = await info.value
    path = await d.path()
    return d.suggested_filename, path.read_bytes()


async def test_every_document_downloads_from_its_page(node, tmp_path, browser):
    async with running(node, clock=FixedClock(SEED000_NOW)), served_gateway(node) as (app, admin, base):
        for unit in directory_order(DIRECTORY):
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))).status_code == 200
        for username, unit_id, roles in [
            ("gd-issuer", "gd-kx", ["issuer", "reviewer"]),
            ("sz-clerk", "sz-kx", ["submitter"]),
        ]:
            await app.state.accounts.create(
                None,
                username=username,
                display_name=username,
                unit_id=unit_id,
                roles=roles,
                password=PASSWORD,
                must_change_password=False,
            )

        # ---- 拟稿: the preview of the 公文 before issuing, in a new tab
        issuer = await log_in(browser, base, "gd-issuer")
        await issuer.goto("/notices/new")
        await issuer.fill("input[name=title]", "关于报送特色亮点活动筹备方案的通知")
        async with issuer.context.expect_event(
            "response", lambda r: r.url.endswith("/notices/new/preview.pdf")
        ) as preview:
            await issuer.click("#preview-document")
        response = await preview.value
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        # Chromium shows it in its PDF viewer (the body read here is the viewer's page): the headers say what came.
        disposition = unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1])
        assert disposition.endswith("关于报送特色亮点活动筹备方案的通知.pdf") and "〔" in disposition
        assert int(response.headers["content-length"]) > 10_000

        _, token = await app.state.tokens.create(
            name="gd", unit_id="gd-kx", roles=[Role.issuer], created_by="test", now=app.state.clock.now()
        )
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as gd:
            r = await gd.post("/api/notices", json=notice())
            assert r.status_code == 201, r.text
            nid, number = r.json()["notice_id"], r.json()["doc_number"]

        # ---- the notice page: the 公文 and the 样表
        clerk = await log_in(browser, base, "sz-clerk")

        async def arrived():
            await clerk.goto(f"/notices/{nid}")
            return await clerk.locator("#document-docx").count() > 0

        await eventually(arrived)
        name, data = await download(clerk, "#document-docx")
        assert name.endswith(".docx")
        assert number in [p.text for p in Document(io.BytesIO(data)).paragraphs]
        href = await clerk.get_attribute("#document-pdf", "href")
        assert href is not None
        pdf = await clerk.context.request.get(href)  # opens in a tab to print: the same request
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert number in "".join(p.extract_text() for p in PdfReader(io.BytesIO(await pdf.body())).pages)
        name, data = await download(clerk, "#form-docx-plan")
        assert name.endswith("特色亮点活动筹备方案（样表）.docx")
        assert "单位盖章" in "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        name, data = await download(clerk, "#form-xlsx-plan")
        assert name.endswith(".xlsx") and load_workbook(io.BytesIO(data))["样表"]

        # ---- the 报送 page: the Excel 样表 filled offline and uploaded
        await clerk.goto(f"/notices/{nid}/asks/plan/submit")
        _, blank = await download(clerk, "#form-xlsx")
        wb = load_workbook(io.BytesIO(blank))
        ws = wb["样表"]
        headers = [c.value for c in ws[3]]
        row = {
            "主办单位名称": "深圳市科学技术协会",
            "主题活动名称": "科技为民 奋斗有我",
            "主题活动模块：团结引领": "√",
            "联系人：姓名": "王敏",
            "联系人：手机": "13800000001",
            "工作方案": "5月30日走访慰问一线科技工作者。",
        }
        for header, value in row.items():
            ws.cell(4, headers.index(header) + 1).value = value
        filled = tmp_path / "方案.xlsx"
        wb.save(filled)
        await clerk.set_input_files("#upload-form input[name=file]", str(filled))
        await clerk.click("#upload-form button[type=submit]")
        await expect(clerk.locator("#status")).to_contain_text("已报送")
        await expect(clerk.locator("body")).to_contain_text("科技为民 奋斗有我")

        # ---- a photo for the 影像资料, through the 报送 form
        await clerk.goto(f"/notices/{nid}/asks/media/submit")
        photo = tmp_path / "活动照片.png"
        photo.write_bytes(_png())
        await clerk.set_input_files("form#submit-form input[type=file]", str(photo))
        await clerk.click("form#submit-form button[type=submit]")
        await expect(clerk.locator("#status")).to_contain_text("已报送")

        # ---- the issuer's notice page: the 汇总 as Excel and Word, the report, the files
        await issuer.goto(f"/notices/{nid}")
        name, data = await download(issuer, "#table-xlsx-plan")
        sheet = load_workbook(io.BytesIO(data))["汇总表"]
        assert "深圳市科学技术协会" in [c.value for c in sheet["B"]]
        name, data = await download(issuer, "#table-docx-plan")
        assert "深圳市科学技术协会" in "".join(c.text for c in Document(io.BytesIO(data)).tables[0].rows[1].cells)
        name, data = await download(issuer, "#report-docx-plan")
        assert name.endswith("特色亮点活动筹备方案汇总报告.docx")
        report = [p.text for p in Document(io.BytesIO(data)).paragraphs]
        assert any(t.startswith("应报送2个单位：已报送1个") for t in report)
        assert await issuer.locator("#files-zip-plan").count() == 0  # no file field: nothing to pack
        name, data = await download(issuer, "#files-zip-media")
        assert name.endswith("影像资料报送文件.zip")
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.namelist() == ["深圳市科学技术协会/活动照片.png"]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()
