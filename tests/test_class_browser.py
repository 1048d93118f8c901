"""A class in a real Chromium: one instructor's browser and two students' browsers (separate contexts).

The instructor starts a class; each student opens the join URL, types a name, ticks the consent line
and uploads gallery photos; the instructor's page shows them within a few seconds without a reload
(its ``st.fragment(run_every=...)``). Screenshots go to ``test-artifacts/``: ``class-projector.png``,
``class-projector-full.png``, ``class-student.png``, ``class-matrix.png``, ``class-map.png``.
"""

from __future__ import annotations

import pytest

from tests.browser_support import ARTIFACTS, chromium_browser, streamlit_server
from tests.test_browser import FIRST_LOAD, LOAD, caption, no_traceback, open_page, settled, snap

REFRESH = 10_000  # ms: the projector's fragment redraws every 3 s


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def server(browser, monkeypatch_module):
    with streamlit_server(log_name="streamlit-class.log") as base:
        yield base


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FACEDEMO_INSTRUCTOR_PASSCODE", raising=False)  # a laptop: anyone may start a class
        yield patch


def tab_of(browser, *, width: int = 1366, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(LOAD)
    return context, tab


def enrol(tab, server: str, code: str, name: str, files: list[tuple[str, bytes]]) -> None:
    open_page(tab, server, f"class?class={code}")
    field = tab.locator(".st-key-class_name input")
    field.fill(name)
    field.press("Enter")
    settled(tab)
    tab.locator(".st-key-class_consent label").click()
    tab.locator(".st-key-class_photo_from").get_by_text("Upload").click()
    settled(tab)
    tab.locator(".st-key-class_upload_0 input[type='file']").set_input_files(
        [{"name": file_name, "mimeType": "image/jpeg", "buffer": data} for file_name, data in files]
    )
    for file_name, _ in files:
        tab.get_by_text(file_name, exact=True).wait_for()
    tab.locator(".st-key-class_enrol button").click()
    tab.locator("[data-testid='stAlert']", has_text=f"Enrolled {name}").wait_for(timeout=FIRST_LOAD)
    settled(tab)
    no_traceback(tab)


def test_two_students_enrol_by_upload_and_the_projector_shows_them(browser, server, photo):
    contexts = []
    try:
        context, teacher = tab_of(browser, width=1600, height=1000)
        contexts.append(context)
        open_page(teacher, server, "class", timeout=FIRST_LOAD)
        teacher.locator(".st-key-class_start button").click()
        code_box = teacher.locator(".class-code")
        code_box.wait_for()
        code = code_box.inner_text().strip()
        assert len(code) == 6
        teacher.get_by_text(f"{server}/class?class={code}").first.wait_for()
        teacher.get_by_text("0 of 200").wait_for()

        for name, files in (("Ada", [("ada 1.jpg", photo("val", "madonna", 0).read_bytes()),
                                     ("ada 2.jpg", photo("train", "madonna", 1).read_bytes())]),
                            ("Bo", [("bo.jpg", photo("val", "elton_john", 0).read_bytes())])):
            context, pupil = tab_of(browser, width=800, height=1000)
            contexts.append(context)
            enrol(pupil, server, code, name, files)
        pupil.get_by_text("You are enrolled as").wait_for()
        snap(pupil, "class-student.png")

        # the projector was not reloaded: its fragment shows both within a few seconds
        caption(teacher, "Ada · 2 photos").wait_for(timeout=REFRESH)
        caption(teacher, "Bo · 1 photo").wait_for(timeout=REFRESH)
        teacher.get_by_text("2 of 200").wait_for(timeout=REFRESH)
        teacher.locator("[data-testid='stAlert']", has_text="Ada and Bo are told apart").wait_for(timeout=REFRESH)
        no_traceback(teacher)
        teacher.screenshot(path=ARTIFACTS / "class-projector.png", full_page=True)
        snap(teacher, "class-projector-full.png")

        teacher.locator("[data-testid='stPageLink']", has_text="The class's distance matrix").click()
        teacher.locator(".st-key-matrix_set").get_by_text("This class").click()
        teacher.get_by_text(f"Class {code}: 3 × 3 distances between 3 photos of 2 students").wait_for()
        no_traceback(teacher)
        snap(teacher, "class-matrix.png")

        teacher.locator("[data-testid='stSidebarNav']").get_by_text("Embedding map").click()
        teacher.locator(".st-key-map_set").get_by_text("This class").click()
        teacher.get_by_text(f"Class {code}: 3 photos of 2 students").wait_for()
        no_traceback(teacher)
        snap(teacher, "class-map.png")

        # Recognise against the class follows it: a third student joins, the page shows them unreloaded
        teacher.locator("[data-testid='stSidebarNav']").get_by_text("Recognise").click()
        teacher.locator(".st-key-recognise_against").get_by_text("This class").click()
        teacher.get_by_text(f"class {code}: 2 students").wait_for()
        context, pupil = tab_of(browser, width=800, height=1000)
        contexts.append(context)
        enrol(pupil, server, code, "Cy", [("cy.jpg", photo("val", "mindy_kaling", 0).read_bytes())])
        teacher.get_by_text(f"class {code}: 3 students").wait_for(timeout=REFRESH)
        no_traceback(teacher)
    finally:
        for context in contexts:
            context.close()
