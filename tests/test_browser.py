"""The app in a real Chromium: upload photos on Verify, move the threshold, deep links, every page.

Starts ``streamlit run streamlit_app.py`` on a free port and drives Debian's ``/usr/bin/chromium``
with Playwright. Screenshots of every page go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import pytest

from facedemo.encoding.networks import default_threshold
from facedemo.gallery.album import photo_name
from tests.browser_support import ARTIFACTS, chromium_browser, streamlit_server
from ui.pages import PAGES

SAME = "Same person — the door opens"
DIFFERENT = "Different people — the door stays shut"
FIRST_LOAD = 180_000  # ms: the first page loads FaceNet and MTCNN
LOAD = 60_000


@pytest.fixture(scope="module")
def server(browser):
    with streamlit_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


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


QUIET = """() => {
  const busy = document.querySelector("[data-testid='stStatusWidget'], [data-testid='stSkeleton'],"
    + " [data-testid='stSpinner'], [data-stale='true']");
  const size = (document.querySelector("[data-testid='stMain']") || document.body).innerHTML.length;
  if (busy || size !== window.__quietSize) {
    window.__quietSize = size;
    window.__quietSince = Date.now();
    return false;
  }
  return Date.now() - window.__quietSince > 1000;
}"""


def settled(page) -> None:
    """Wait until the script run is over: nothing running or stale, and the page unchanged for 1 s."""
    page.wait_for_function(QUIET, polling=200)


def open_page(page, server: str, path: str, *, timeout: int = LOAD) -> None:
    page.goto(f"{server}/{path}")
    page.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for(timeout=timeout)
    settled(page)


def snap(page, name: str) -> None:
    """Screenshot the whole page: the app scrolls inside its main area, so grow the window to fit."""
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 6000))})
    settled(page)
    page.screenshot(path=ARTIFACTS / name)
    page.set_viewport_size(size)


def caption(page, text: str):
    """The caption under a photo that reads exactly ``text`` (a picker may show the same words)."""
    return page.locator("[data-testid='stImageCaption']").get_by_text(text, exact=True)


def no_traceback(page) -> None:
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def test_verify_uploads_threshold_and_deep_links(page, server, photo):
    open_page(page, server, "verify", timeout=FIRST_LOAD)
    alert(page, SAME).wait_for(timeout=FIRST_LOAD)  # the default gallery pair: two photos of madonna

    uploads = {"a": ("mindy at the door.jpg", photo("val", "mindy_kaling", 1)),
               "b": ("mindy on file.jpg", photo("train", "mindy_kaling", 3))}
    for key, (name, file) in uploads.items():
        page.locator(f".st-key-{key}_from").get_by_text("Upload").click()
        page.locator(f".st-key-{key}_upload input[type='file']").set_input_files(
            {"name": name, "mimeType": "image/jpeg", "buffer": file.read_bytes()}
        )
        page.get_by_text(name, exact=True).wait_for()  # the photo is shown, with its face box, under its name
    alert(page, SAME).wait_for()
    snap(page, "verify-uploads.png")

    slider = page.locator(".st-key-threshold").get_by_role("slider")
    slider.focus()
    slider.press("Home")  # threshold 0.00: nothing is "below" it
    alert(page, DIFFERENT).wait_for()
    page.get_by_text("Why did it say no?").wait_for()
    snap(page, "verify-threshold-0.png")
    assert "threshold=0.00" in page.url
    for name, _ in uploads.values():  # only the verdict was redrawn (ui/threshold_view.py): the photos stay
        caption(page, name).wait_for(timeout=1000)
    slider.press("End")  # 2.00: every pair is "below" it
    alert(page, SAME).wait_for()
    assert "threshold=2.00" in page.url
    no_traceback(page)

    open_page(page, server, "verify?a=val/madonna/2&b=train/madonna/4&threshold=0.10")
    alert(page, DIFFERENT).wait_for()
    for name in ("Madonna · val 2", "Madonna · train 4"):  # the bookmarked photos are back, under their names
        caption(page, name).wait_for()
    assert "a=val%2Fmadonna%2F2" in page.url and "threshold=0.10" in page.url
    open_page(page, server, "verify?a=val/madonna/2&b=train/madonna/4&threshold=1.18")
    alert(page, SAME).wait_for()
    open_page(page, server, "verify?a=val/elton_john/1&claim=madonna")
    alert(page, "It's not madonna, please go away").wait_for()
    snap(page, "verify-claim.png")
    no_traceback(page)


@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path or "home" for spec in PAGES])
def test_every_page_renders_its_title_without_a_traceback(page, server, spec):
    open_page(page, server, spec.url_path, timeout=FIRST_LOAD)  # the start page at "/"
    if spec.url_path == "recognise":
        alert(page, "It's madonna, the distance is").wait_for()
    if spec.url_path == "people":
        page.locator(".st-key-people_table [data-testid='stDataFrame']").wait_for()
    settled(page)
    title = page.locator("[data-testid='stMainBlockContainer'] h1").first.inner_text()
    assert title.strip() == spec.heading
    snap(page, f"page-{spec.url_path or 'home'}.png")
    no_traceback(page)


def test_a_bookmark_opened_first_on_a_fresh_server(browser):
    with streamlit_server(log_name="streamlit-fresh.log") as fresh:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        tab = context.new_page()
        try:
            tab.goto(f"{fresh}/recognise?q=val/elton_john/1")
            tab.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for(timeout=FIRST_LOAD)
            settled(tab)
            tab.screenshot(path=ARTIFACTS / "bookmark-on-fresh-server.png")
            no_traceback(tab)
            alert(tab, "It's elton_john, the distance is").wait_for(timeout=FIRST_LOAD)
        finally:
            context.close()


def test_the_second_model_from_a_bookmark_and_the_sidebar(page, server):
    open_page(page, server, "verify?model=casia&a=val/madonna/2&b=train/madonna/4", timeout=FIRST_LOAD)
    alert(page, SAME).wait_for(timeout=FIRST_LOAD)
    page.get_by_text("512 numbers").first.wait_for()
    assert "model=casia" in page.url and f"threshold={default_threshold('aligned', 'pair', 'casia'):.2f}" in page.url
    snap(page, "verify-casia.png")
    page.locator(".st-key-network").get_by_text("FaceNet of the course").click()
    page.wait_for_url("**model=facenet**")
    alert(page, SAME).wait_for()
    assert f"threshold={default_threshold('aligned', 'pair', 'facenet'):.2f}" in page.url
    open_page(page, server, "threshold", timeout=FIRST_LOAD)
    page.get_by_text("Two FaceNets side by side").wait_for(timeout=FIRST_LOAD)
    snap(page, "threshold-two-models.png")
    no_traceback(page)


def test_verify_has_its_own_url(page, server):
    open_page(page, server, "verify?b=train/elton_john/1")
    alert(page, DIFFERENT).wait_for()
    assert page.get_by_text("Page not found").count() == 0


def test_five_people_at_once_each_get_their_own_verdict(browser, server):
    """Five browsers open five bookmarks at the same moment; each sees its own photos and verdict."""
    cases = [("val/madonna/1", "train/madonna/2", SAME), ("val/elton_john/1", "train/madonna/1", DIFFERENT),
             ("val/jerry_seinfeld/1", "train/jerry_seinfeld/1", SAME), ("val/mindy_kaling/3", "train/mindy_kaling/5", SAME),
             ("val/ben_afflek/1", "train/elton_john/1", DIFFERENT)]
    contexts = [browser.new_context(viewport={"width": 1366, "height": 900}) for _ in cases]
    try:
        tabs = [context.new_page() for context in contexts]
        for tab, (a, b, _) in zip(tabs, cases):
            tab.set_default_timeout(FIRST_LOAD)
            tab.goto(f"{server}/verify?a={a}&b={b}", wait_until="commit")  # all five runs overlap on the server
        for tab, (a, b, verdict) in zip(tabs, cases):
            alert(tab, verdict).wait_for()
            for ref in (a, b):
                caption(tab, photo_name(ref)).wait_for()
            settled(tab)
            assert alert(tab, DIFFERENT if verdict == SAME else SAME).count() == 0
            no_traceback(tab)
    finally:
        for context in contexts:
            context.close()


def test_uploads_over_the_cap_or_in_another_format_get_a_sentence(page, server):
    open_page(page, server, "verify")
    page.locator(".st-key-a_from").get_by_text("Upload").click()
    page.get_by_text("Drop a photo here (JPEG or PNG, up to 20 MB)").wait_for()
    chooser = page.locator(".st-key-a_upload input[type='file']")
    chooser.set_input_files({"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" + bytes(21 << 20)})
    page.get_by_text("File must be 20.0MB or smaller.").wait_for()  # the browser refuses it before it is sent
    chooser.set_input_files({"name": "IMG_0001.heic", "mimeType": "image/heic",
                             "buffer": b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)})
    alert(page, "is a HEIC image, which is unsupported: please use a JPEG or PNG photo").wait_for()
    snap(page, "verify-heic-upload.png")
    no_traceback(page)


def test_what_breaks_it_on_a_gallery_photo_and_an_upload(page, server, photo):
    """The page in Chromium: the gallery photo's door is open, its sweeps are drawn; an upload of the same
    person, told who it is, gets its own distance to self and a door."""
    open_page(page, server, "breaks", timeout=FIRST_LOAD)
    page.locator("[data-testid='stMetric']", has_text="Distance to self").first.wait_for(timeout=FIRST_LOAD)
    alert(page, "It's Madonna, welcome in!").wait_for()
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()  # a sweep chart per chosen degradation
    settled(page)
    snap(page, "breaks-gallery.png")
    no_traceback(page)

    page.locator(".st-key-breaks_from").get_by_text("Upload").click()
    page.locator(".st-key-breaks_upload input[type='file']").set_input_files(
        {"name": "elton upload.jpg", "mimeType": "image/jpeg", "buffer": photo("val", "elton_john", 2).read_bytes()})
    settled(page)
    page.locator(".st-key-breaks_person").click()
    page.get_by_role("option", name="Elton John").click()
    settled(page)
    page.locator("[data-testid='stMetric']", has_text="Distance to self").first.wait_for()
    alert(page, "It's Elton John, welcome in!").wait_for()
    snap(page, "breaks-upload.png")
    no_traceback(page)
