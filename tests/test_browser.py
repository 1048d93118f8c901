"""The app in a real Chromium: upload photos on Verify, move the threshold, deep links, every page.

Starts ``streamlit run streamlit_app.py`` on a free port and drives Debian's ``/usr/bin/chromium``
with Playwright. Screenshots of every page go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import pytest

from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium, streamlit_server

SAME = "Same person — the door opens"
DIFFERENT = "Different people — the door stays shut"
FIRST_LOAD = 180_000  # ms: the first page loads FaceNet and MTCNN
LOAD = 60_000
PAGES = {
    "verify": "Verify (1:1)",
    "recognise": "Recognise (1:K)",
    "people": "People",
    "matrix": "",
    "threshold": "",
    "triplet": "",
    "why": "",
    "map": "",
}


@pytest.fixture(scope="module")
def server():
    require_chromium()
    with streamlit_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(LOAD)
    try:
        yield tab
    finally:
        context.close()


def alert(page, text: str):
    """The verdict box holding ``text`` (not the page's explanations mentioning the same words)."""
    return page.locator("[data-testid='stAlert']", has_text=text)


def settled(page) -> None:
    """Wait until the script run is over: no skeletons, no running status, no spinner."""
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton'], [data-testid='stStatusWidget'],"
        " [data-testid='stSpinner']\")"
    )


def open_page(page, server: str, path: str, *, timeout: int = LOAD) -> None:
    page.goto(f"{server}/{path}")
    page.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for(timeout=timeout)
    settled(page)


def no_traceback(page) -> None:
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def test_verify_uploads_threshold_and_deep_links(page, server, photo):
    open_page(page, server, "", timeout=FIRST_LOAD)  # the router's default page: Verify
    alert(page, SAME).wait_for(timeout=FIRST_LOAD)  # the default gallery pair: two photos of madonna

    for key, file in (("a", photo("val", "mindy_kaling", 1)), ("b", photo("train", "mindy_kaling", 3))):
        page.locator(f".st-key-{key}_from").get_by_text("Upload").click()
        page.locator(f".st-key-{key}_upload input[type='file']").set_input_files(str(file))
        page.get_by_text(file.name).first.wait_for()
    page.locator("[data-testid='stImageCaption']", has_text=photo("train", "mindy_kaling", 3).name).wait_for()
    alert(page, SAME).wait_for()
    settled(page)
    page.screenshot(path=ARTIFACTS / "verify-uploads.png", full_page=True)

    slider = page.locator(".st-key-threshold [role='slider']")
    slider.focus()
    slider.press("Home")  # threshold 0.00: nothing is "below" it
    alert(page, DIFFERENT).wait_for()
    assert page.get_by_text("Why did it say no?").is_visible()
    settled(page)
    page.screenshot(path=ARTIFACTS / "verify-threshold-0.png", full_page=True)
    assert "threshold=0.00" in page.url
    no_traceback(page)

    open_page(page, server, "verify?a=val/madonna/1&b=train/madonna/2&threshold=0.10")
    alert(page, DIFFERENT).wait_for()
    assert page.locator(".st-key-a").inner_text().find("val/madonna/1") >= 0
    open_page(page, server, "verify?a=val/madonna/1&b=train/madonna/2&threshold=1.18")
    alert(page, SAME).wait_for()
    open_page(page, server, "verify?a=val/elton_john/1&claim=madonna")
    alert(page, "It's not madonna, please go away").wait_for()
    settled(page)
    page.screenshot(path=ARTIFACTS / "verify-claim.png", full_page=True)
    no_traceback(page)


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_a_traceback(page, server, path):
    open_page(page, server, path, timeout=FIRST_LOAD)
    if path == "recognise":
        alert(page, "It's madonna, the distance is").wait_for()
    if path == "people":
        page.locator("[data-testid='stDataFrame']").first.wait_for()
    settled(page)
    title = page.locator("[data-testid='stMainBlockContainer'] h1").first.inner_text()
    assert PAGES[path] in title
    page.screenshot(path=ARTIFACTS / f"page-{path}.png", full_page=True)
    no_traceback(page)
