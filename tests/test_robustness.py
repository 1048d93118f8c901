"""Limits, nothing lost, privacy, many users at once, fuzzing.

- a huge photo is decoded at reduced scale (memory measured in a fresh process);
- a save killed at random moments leaves the old database or the new one, never garbage;
- an enrolled database comes back after a restart (the file the user downloads);
- uploads are not written to disk, and the saved database holds no pixels;
- one model shared by 8 threads gives the encodings it gives one by one; sessions are apart;
- the app gives up waiting on a photo after a time limit, with a sentence;
- random and mutated bytes give an image or the project's error, never anything else.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from facedemo.errors import FacedemoError
from facedemo.io.images import WORK_MAX_SIDE, read_image
from facedemo.people.database import FaceDatabase
from tests.bad_inputs import huge_jpeg, office
from tests.test_app_pages import SAME, app, enrol_from_gallery, open_verify, page, table, texts  # noqa: F401 - app is a fixture

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def python(code: str, *args: str, **options) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, text=True, **options)


# --- limits: a 48-megapixel photo --------------------------------------------------------------
PEAK = """
import re, sys
from facedemo.io.images import read_image
rgb = read_image(sys.argv[1], max_side=int(sys.argv[2]) or None)
peak = re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read())  # not ru_maxrss: it survives exec
print(rgb.shape[0], rgb.shape[1], int(peak.group(1)) // 1024)
"""


def test_huge_photo_is_decoded_small(tmp_path, photo):
    path = tmp_path / "huge.jpg"
    path.write_bytes(huge_jpeg(photo))
    measured = {}
    for max_side in (WORK_MAX_SIDE, 0):
        out, _ = python(PEAK, str(path), str(max_side), stdout=subprocess.PIPE).communicate(timeout=60)
        height, width, megabytes = map(int, out.split())
        measured[max_side] = (width, height, megabytes)
    print(f"8000×6000 JPEG, peak memory of the reading process: {measured}")  # (width, height, MB) by max_side
    assert measured[WORK_MAX_SIDE][:2] == (2000, 1500) and measured[0][:2] == (8000, 6000)
    assert measured[WORK_MAX_SIDE][2] < 150 < 300 < measured[0][2]  # full size: 144 MB of RGB and Pillow's copy


# --- nothing lost: kill the saving process at random moments -----------------------------------
SAVER = """
import pickle, sys
with open(sys.argv[2], "rb") as stream:
    old, new = pickle.load(stream)
old.save(sys.argv[1])
print("saving", flush=True)
while True:
    new.save(sys.argv[1])
    old.save(sys.argv[1])
"""


def contents(database: FaceDatabase) -> tuple[tuple[str, ...], bytes]:
    return tuple(database.names), np.concatenate([database.vectors(name) for name in database.names]).tobytes()


def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_database(tmp_path):
    import pickle

    path, both = tmp_path / "office.npz", tmp_path / "both.pickle"
    old, new = office(20, 150, seed=1), office(20, 150, seed=2)  # 3,000 encodings each: 1.8 MB files
    both.write_bytes(pickle.dumps((old, new)))
    expected = {contents(old): "old", contents(new): "new"}
    rng = np.random.default_rng(20240501)
    seen = []
    for _ in range(20):
        saver = python(SAVER, str(path), str(both), stdout=subprocess.PIPE)
        assert saver.stdout.readline().strip() == "saving"
        time.sleep(rng.uniform(0.0, 0.15))
        saver.send_signal(signal.SIGKILL)
        saver.wait(timeout=10)
        saver.stdout.close()
        seen.append(expected[contents(FaceDatabase.load(path))])  # KeyError: garbage; DatabaseFileError: damaged
    interrupted = len(list(tmp_path.glob(".office.npz.*.tmp")))  # temporary files of saves cut short
    print(f"20 kills: {seen.count('old')} old, {seen.count('new')} new, {interrupted} saves cut mid-write")
    assert len(seen) == 20


def test_an_enrolled_database_comes_back_after_a_restart(app, photo, tmp_path):
    import streamlit

    page(app, "app_pages/people.py")
    app.text_input(key="people_new_name").input("🦄 Unicorn")
    app.file_uploader(key="people_new_photos_0").upload("me.jpg", photo("val", "mindy_kaling", 2).read_bytes(), "image/jpeg")
    app.run()
    app.button(key="people_enrol").click().run()
    download = tmp_path / "facedemo-people-aligned.npz"
    download.write_bytes(app.session_state["database"].to_bytes())  # what the download button serves

    streamlit.cache_data.clear()  # a restarted server remembers no upload and no encoding
    fresh = open_verify()
    page(fresh, "app_pages/people.py")
    assert "🦄 Unicorn" not in list(table(fresh, "people_table")["name"])
    fresh.file_uploader(key="people_load").upload(download.name, download.read_bytes(), "application/octet-stream").run()
    fresh.button(key="people_load_button").click().run()
    assert any("6 people" in text for text in texts(fresh.success))
    page(fresh, "app_pages/recognise.py")
    fresh.selectbox(key="q").set_value("val/mindy_kaling/3").run()
    assert set(table(fresh, "recognise_ranking")["person"].iloc[:2]) == {"mindy_kaling", "🦄 Unicorn"}


# --- privacy ---------------------------------------------------------------------------------------
def files_changed_since(start: float) -> list[Path]:
    import tempfile

    found = []
    for top in (ROOT, Path(tempfile.gettempdir()), Path.home() / ".streamlit"):
        for folder, names, files in os.walk(top):
            names[:] = [n for n in names if n not in (".venv", ".git", "node_modules")]
            for name in files:
                path = Path(folder) / name
                try:
                    if path.stat().st_mtime >= start and path.stat().st_size < 50_000_000:
                        found.append(path)
                except OSError:
                    continue
    return found


def test_uploads_are_never_written_to_disk(app, photo):
    token = f"facedemo-privacy-{uuid.uuid4().hex}"
    buffer = io.BytesIO()
    Image.open(photo("val", "ben_afflek", 1)).save(buffer, format="JPEG", comment=token.encode())
    upload = buffer.getvalue()
    from facedemo.encoding.encoder import content_hash

    start = time.time() - 1
    app.radio(key="a_from").set_value("upload").run()
    app.file_uploader(key="a_upload").upload("secret.jpg", upload, "image/jpeg").run()
    page(app, "app_pages/people.py")
    app.text_input(key="people_new_name").input("Ben A.")
    app.file_uploader(key="people_new_photos_0").upload("secret.jpg", upload, "image/jpeg")
    app.run()
    app.button(key="people_enrol").click().run()
    assert any("Enrolled Ben A. with 1 photo." in text for text in texts(app.success))

    saved = app.session_state["database"].to_bytes()
    assert token.encode() not in saved and len(saved) < 200_000  # encodings and names, no pixels
    for path in files_changed_since(start):
        with open(path, "rb") as stream:
            data = stream.read()
        assert token.encode() not in data, f"the upload was written to {path}"
        assert content_hash(upload) not in path.name


def test_the_people_page_says_what_is_kept(app):
    page(app, "app_pages/people.py")
    [privacy] = [text for text in texts(app.info) if text.startswith("Privacy")]
    for words in ("not written to disk", "encodings (128 or 512 numbers per photo, by model) and names", "not the photos",
                  "The server keeps nothing after you leave"):
        assert words in privacy


# --- many users at once ------------------------------------------------------------------------------
def test_one_model_shared_by_8_threads_gives_the_same_encodings(encoder, photo):
    people = ["ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling"]
    paths = [photo("val", person, index) for index in (1, 2) for person in people][:8]
    alone = np.stack([encoder.encode(path).vector for path in paths])
    start = threading.Barrier(len(paths))

    def at_once(path: Path) -> np.ndarray:
        start.wait()
        return encoder.encode(path).vector

    for _ in range(2):
        with ThreadPoolExecutor(len(paths)) as pool:
            together = np.stack(list(pool.map(at_once, paths)))
        assert float(np.abs(together - alone).max()) < 1e-5


def test_sessions_do_not_see_each_other(app, photo):
    other = open_verify()
    app.radio(key="a_from").set_value("upload").run()
    app.file_uploader(key="a_upload").upload("mine.jpg", photo("val", "madonna", 2).read_bytes(), "image/jpeg").run()
    page(app, "app_pages/people.py")
    enrol_from_gallery(app, "Only in session A", ["val/madonna/2"])
    assert "Only in session A" in list(table(app, "people_table")["name"])

    other.radio(key="a_from").set_value("upload").run()
    assert other.file_uploader(key="a_upload").value is None
    page(other, "app_pages/people.py")
    assert "Only in session A" not in list(table(other, "people_table")["name"])
    assert other.session_state["database"] is not app.session_state["database"]


# --- a time limit per photo in the app ----------------------------------------------------------------
def test_the_app_gives_up_on_a_photo_that_takes_too_long(app, photo, monkeypatch):
    from ui import state

    model = state.encoder()
    original = model.encode
    monkeypatch.setattr(state, "ENCODE_TIMEOUT", 1.0)
    monkeypatch.setattr(model, "encode", lambda *a, **k: time.sleep(3) or original(*a, **k))
    buffer = io.BytesIO()
    Image.open(photo("val", "elton_john", 3)).save(buffer, format="PNG")  # bytes no cache has seen
    app.radio(key="a_from").set_value("upload").run()
    app.file_uploader(key="a_upload").upload("slow.png", buffer.getvalue(), "image/png").run()
    assert any("took longer than 1 s to process" in text and "please try again" in text for text in texts(app.error))
    assert not app.exception and not app.success


def test_within_returns_raises_or_gives_up():
    from facedemo.errors import TooSlowError
    from ui.state import within

    assert within(5, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within(5, lambda: 1 / 0)
    with pytest.raises(TooSlowError, match="longer than 0 s"):
        within(0.05, lambda: time.sleep(1))


# --- fuzzing the image reader ---------------------------------------------------------------------------
def checked_read(data: bytes, max_side: int | None) -> None:
    try:
        rgb = read_image(data, max_side=max_side)
    except FacedemoError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and min(rgb.shape[:2]) >= 1


@pytest.fixture(scope="module")
def seeds(photo) -> list[bytes]:
    """Real photos as JPEG (as stored, and progressive with EXIF) and as PNG and GIF."""
    original = photo("val", "madonna", 0)
    image = Image.open(original)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = [original.read_bytes()]
    for fmt, options in (("JPEG", {"progressive": True, "exif": exif}), ("PNG", {}), ("GIF", {})):
        buffer = io.BytesIO()
        image.resize((96, 96)).save(buffer, format=fmt, **options)
        out.append(buffer.getvalue())
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=4096), max_side=st.sampled_from([None, WORK_MAX_SIDE]))
def test_fuzz_random_bytes(data, max_side):
    checked_read(data, max_side)


@st.composite
def mutations(draw, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "byte", "cut", "insert", "delete"]))
        if action == "flip":
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "byte":
            data[where] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, draw(st.integers(0, 255))]))
        elif action == "cut":
            del data[where:]
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[where:where + draw(st.integers(1, 64))]
        if not data:
            break
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), max_side=st.sampled_from([None, WORK_MAX_SIDE]))
def test_fuzz_mutated_real_photos(seeds, data, max_side):
    checked_read(data.draw(mutations(seeds)), max_side)
