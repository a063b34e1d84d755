"""Browser tests: Debian's chromium driven by Playwright.

Never ``playwright install`` (it downloads its own browser and fails on these
machines); ``make test`` runs tests/browser_setup.py first, which installs
chromium and the CJK fonts when missing. A missing browser is a failure here,
not a skip: a skipped browser test would hide a broken UI.
"""

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps calling out, and
# this machine's closed network refuses it many times a second.
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `python tests/browser_setup.py` (make test does)")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()
