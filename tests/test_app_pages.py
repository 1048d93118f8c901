"""The Verify, Recognise and People pages, driven by widget key with Streamlit's AppTest.

Every test asserts what a user sees (verdicts, tables, messages). The model loads once per test
process (``st.cache_resource``); the gallery's encodings come from the disk cache in ``.cache/``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facedemo.encoding.networks import default_threshold

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")

SAME = "Same person — the door opens"
DIFFERENT = "Different people — the door stays shut"


def open_verify(**query: str):
    """A fresh session on the Verify page, as a bookmark ``/verify?query`` opens it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query)
    at.run()
    at.switch_page("app_pages/verify.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app(gallery_dir):
    """A fresh session of the app on the Verify page."""
    return open_verify()


def page(at, path: str):
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def table(at, key: str):
    """The table a page shows under ``key`` (``ui.widgets.keyed_dataframe``), as a DataFrame."""
    shown = at.container(key=key).dataframe
    assert len(shown) == 1, f"{len(shown)} tables under {key!r}"
    return shown[0].value


def metric(at, label: str) -> str:
    """The value of the metric labelled ``label`` (``st.metric`` takes no key); ``at`` may be a tab or container."""
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, f"{len(values)} metrics {label!r}; seen {[m.label for m in at.metric]}"
    return values[0]


def expander(at, label: str):
    """The expander whose header reads ``label``."""
    found = [e for e in at.expander if e.label == label]
    assert len(found) == 1, f"{len(found)} expanders {label!r}; seen {[e.label for e in at.expander]}"
    return found[0]


def seen(at, text: str) -> bool:
    """Whether ``text`` is part of any alert, markdown or caption on the page."""
    return any(text in value for kind in ("success", "error", "warning", "info", "markdown", "caption")
               for value in texts(getattr(at, kind)))


def move_threshold(at, value: float):
    """Move the sidebar's threshold as a user does. Only the page's threshold views rerun
    (``ui.threshold_view``), so AppTest then holds just what was redrawn; ``at.run()`` draws the
    whole page again, as the browser shows it, before other widgets are used (and here before a
    second move, when the slider is not in AppTest's tree)."""
    if not any(slider.key == "threshold" for slider in at.slider):
        at.run()
    at.slider(key="threshold").set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def enrol_from_gallery(at, name: str, photos: list[str]):
    """On the People page: type ``name``, pick gallery ``photos`` (refs such as ``val/madonna/2``), press Enrol."""
    at.text_input(key="people_new_name").input(name)
    at.multiselect(key="people_new_gallery").set_value(photos).run()
    at.button(key="people_enrol").click().run()
    return at


def jpeg_bytes(path: Path) -> bytes:
    return path.read_bytes()


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 200, 3), 180, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- Verify -----------------------------------------------------------------------------------
def test_verify_two_photos_of_one_person_open_the_door(app):
    app.selectbox(key="a").set_value("val/madonna/1")
    app.selectbox(key="b").set_value("train/madonna/2").run()
    assert any(SAME in v for v in texts(app.success))
    assert not app.error
    assert seen(app, f"below the threshold **{default_threshold('aligned', 'pair'):.2f}**")


def test_verify_two_people_keep_the_door_shut_and_say_why(app):
    app.selectbox(key="a").set_value("val/madonna/1")
    app.selectbox(key="b").set_value("train/elton_john/1").run()
    assert any(DIFFERENT in v for v in texts(app.error))
    assert not app.success
    why = expander(app, "Why did it say no?")
    pair = default_threshold("aligned", "pair")
    assert any(f"the door opens only when it is *below* the threshold **{pair:.2f}**" in m.value for m in why.markdown)


def test_verify_a_tiny_threshold_flips_the_verdict_without_encoding_again(app):
    from ui import state, widgets

    app.selectbox(key="a").set_value("val/jerry_seinfeld/1")
    app.selectbox(key="b").set_value("train/jerry_seinfeld/1").run()
    assert any(SAME in v for v in texts(app.success))

    encoder = state.encoder()
    calls = []
    original = encoder.encode
    encoder.encode = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        move_threshold(app, 0.1)
        assert any(DIFFERENT in v for v in texts(app.error))
        assert seen(app, "threshold **0.10**")
        assert calls == [], "moving the threshold must not encode a photo again"
        app.run()
        # Another test may have encoded this photo already (the cache is the process's): forget it here only.
        new_photo = widgets.gallery_path("train/jerry_seinfeld/7").read_bytes()
        state._encode_bytes.clear(new_photo, app.session_state["recipe"], app.session_state["network"])
        app.selectbox(key="b").set_value("train/jerry_seinfeld/7").run()
        assert len(calls) == 1, "a new photo is encoded once (and the counter does see encodings)"
    finally:
        del encoder.encode
    assert app.query_params["threshold"] == "0.10"


def test_verify_a_photo_against_a_claimed_name(app):
    app.radio(key="verify_with").set_value("name").run()
    app.selectbox(key="a").set_value("val/elton_john/2")
    app.selectbox(key="claim").set_value("elton_john").run()
    assert any("It's elton_john, welcome in!" in v for v in texts(app.success))
    assert seen(app, "the **mean** of the person's enrolled encodings")
    assert seen(app, f"**{default_threshold('aligned', 'mean'):.2f}**")  # calibrated for photo vs mean, not the sidebar's

    app.selectbox(key="claim").set_value("madonna").run()
    assert any("It's not madonna, please go away" in v for v in texts(app.error))


def test_verify_claim_uses_the_sidebar_threshold_when_asked(app):
    app.radio(key="verify_with").set_value("name").run()
    app.selectbox(key="a").set_value("val/elton_john/2")
    app.selectbox(key="claim").set_value("elton_john").run()
    move_threshold(app, 0.2)
    assert any("welcome in" in v for v in texts(app.success))  # the calibrated mean threshold still rules
    app.run()
    app.toggle(key="verify_use_sidebar").set_value(True).run()
    assert any("It's not elton_john, please go away" in v for v in texts(app.error))
    assert seen(app, "Threshold **0.20** from the sidebar.")
    move_threshold(app, 1.3)  # the claim is checked again at the new threshold, nothing else redrawn
    assert any("It's elton_john, welcome in!" in v for v in texts(app.success))
    assert seen(app, "Threshold **1.30** from the sidebar.")


def test_verify_deep_link_restores_the_photos_and_the_threshold(gallery_dir):
    at = open_verify(a="val/ben_afflek/2", b="train/ben_afflek/3", threshold="0.30")
    assert at.selectbox(key="a").value == "val/ben_afflek/2"
    assert at.selectbox(key="b").value == "train/ben_afflek/3"
    assert at.slider(key="threshold").value == pytest.approx(0.30)
    assert any(DIFFERENT in v for v in texts(at.error))


def test_a_gallery_photo_has_one_name_on_verify_and_on_the_distance_matrix(gallery_dir):
    at = open_verify(a="val/madonna/1", b="train/elton_john/2")
    picker = at.selectbox(key="a")
    assert picker.value == "val/madonna/1"  # the value, and so the bookmark, is still the reference
    on_verify = picker.options[picker.index]  # what the picker shows
    assert on_verify == "Madonna · val 1"
    assert on_verify in [caption for image in at.image for caption in image.captions]

    page(at, "app_pages/matrix.py")
    at.multiselect(key="matrix_photos").set_value(["val/madonna/1", "train/elton_john/2"]).run()
    assert not at.exception
    chooser = at.multiselect(key="matrix_photos")
    assert on_verify in [chooser.options[i] for i in chooser.indices]  # the matrix's photo picker
    matrix = table(at, "matrix_table")
    assert list(matrix.columns) == [on_verify, "Elton John · train 2"]  # the matrix's axes
    assert on_verify in [caption for image in at.image for caption in image.captions]  # the chosen pair's crops


def test_verify_deep_link_with_a_claim_opens_the_id_card_mode(gallery_dir):
    at = open_verify(a="val/mindy_kaling/1", claim="mindy_kaling")
    assert at.radio(key="verify_with").value == "name"
    assert any("It's mindy_kaling, welcome in!" in v for v in texts(at.success))


def test_verify_uploaded_photos(app, photo):
    app.radio(key="a_from").set_value("upload")
    app.radio(key="b_from").set_value("upload").run()
    app.file_uploader(key="a_upload").upload("me.jpg", jpeg_bytes(photo("val", "mindy_kaling", 2)), "image/jpeg")
    app.file_uploader(key="b_upload").upload("also me.jpg", jpeg_bytes(photo("train", "mindy_kaling", 4)), "image/jpeg")
    app.run()
    assert any(SAME in v for v in texts(app.success))
    captions = [caption for image in app.image for caption in image.captions]
    assert "me.jpg" in captions and "also me.jpg" in captions


def test_verify_webcam_photo(app, photo):
    app.radio(key="a_from").set_value("webcam").run()
    app.camera_input(key="a_camera").upload("webcam.jpg", jpeg_bytes(photo("val", "madonna", 3)), "image/jpeg")
    app.selectbox(key="b").set_value("train/madonna/5")
    app.run()
    assert any(SAME in v for v in texts(app.success))


# --- Recognise --------------------------------------------------------------------------------
@pytest.mark.parametrize("person", ["ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling"])
def test_recognise_ranks_the_person_first(app, person):
    page(app, "app_pages/recognise.py")
    app.selectbox(key="q").set_value(f"val/{person}/1").run()
    ranking = table(app, "recognise_ranking")
    assert ranking["person"].iloc[0] == person
    assert list(ranking["distance"]) == sorted(ranking["distance"])
    assert any(f"It's {person}, the distance is" in v for v in texts(app.success))


def test_recognise_someone_removed_is_not_in_the_database(app):
    page(app, "app_pages/people.py")
    app.selectbox(key="people_person").set_value("madonna").run()
    app.button(key="people_remove_person").click().run()
    assert any("Removed madonna" in v for v in texts(app.success))
    page(app, "app_pages/recognise.py")
    app.selectbox(key="q").set_value("val/madonna/1").run()
    assert any("Not in the database." in v for v in texts(app.error))
    assert "madonna" not in list(table(app, "recognise_ranking")["person"])


def test_recognise_says_a_strangers_chances_and_follows_the_sidebar_when_asked(app):
    """1:K: K tries for a stranger, at the database's 1:K threshold or at the sidebar's when chosen."""
    page(app, "app_pages/recognise.py")
    database = app.session_state["database"]
    threshold = database.identify_threshold("mean")
    chance = database.stranger_chance(threshold, "mean")
    assert seen(app, f"A stranger at the door gets {len(database)} tries, one per person enrolled. At threshold "
                     f"{threshold:.2f} about **{chance:.2%}** of strangers would be taken for someone")
    app.toggle(key="recognise_use_sidebar").set_value(True).run()
    app.slider(key="threshold").set_value(1.3).run()
    higher = database.stranger_chance(1.3, "mean")
    assert higher > 10 * chance  # a lax threshold: far more strangers get in
    assert seen(app, f"At threshold 1.30 about **{higher:.1%}** of strangers")


# --- People -----------------------------------------------------------------------------------
def test_people_starts_with_the_office_and_says_photos_stay_private(app):
    page(app, "app_pages/people.py")
    assert metric(app, "People") == "5"
    assert list(table(app, "people_table")["name"]) == ["ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling"]
    assert seen(app, "not written to disk")
    assert seen(app, "not the photos")
    captions = [caption for image in app.image for caption in image.captions]
    assert "Ben Afflek · train 1" in captions  # the office's photos under the names the other pages use


def test_people_enrol_from_the_gallery_with_an_emoji_name_then_recognise(app):
    page(app, "app_pages/people.py")
    app.text_input(key="people_new_name").input("🦄 Unicorn")
    app.multiselect(key="people_new_gallery").set_value(["val/madonna/2", "val/madonna/3"]).run()
    captions = [caption for image in app.image for caption in image.captions]
    assert {"Madonna · val 2", "Madonna · val 3"} <= set(captions)  # the crops to be enrolled, shown first
    app.button(key="people_enrol").click().run()
    assert any("Enrolled 🦄 Unicorn with 2 photos." in v for v in texts(app.success))
    assert "🦄 Unicorn" in list(table(app, "people_table")["name"])
    assert metric(app, "People") == "6"
    assert not app.text_input(key="people_new_name").value  # the form is ready for the next person
    enrolled = [caption for image in app.image for caption in image.captions]
    assert {"Madonna · val 2", "Madonna · val 3"} <= set(enrolled)  # the new person's photos, by name

    app.run()  # a rerun keeps what was enrolled
    assert "🦄 Unicorn" in list(table(app, "people_table")["name"])
    page(app, "app_pages/recognise.py")
    app.selectbox(key="q").set_value("val/madonna/4").run()
    assert set(table(app, "recognise_ranking")["person"].iloc[:2]) == {"madonna", "🦄 Unicorn"}


def test_people_needs_a_photo_to_enrol(app):
    page(app, "app_pages/people.py")
    app.text_input(key="people_new_name").input("Ada").run()
    app.button(key="people_enrol").click().run()
    assert any("choose at least one photo" in v for v in texts(app.error))


def test_people_enrol_uploads_and_skip_a_photo_without_a_face(app, photo):
    page(app, "app_pages/people.py")
    app.text_input(key="people_new_name").input("Mindy K.")
    uploader = app.file_uploader(key="people_new_photos_0")
    uploader.upload("one.jpg", jpeg_bytes(photo("val", "mindy_kaling", 1)), "image/jpeg")
    uploader.upload("wall.png", blank_png(), "image/png")
    app.run()
    assert any("no face found" in v for v in texts(app.warning))  # the preview says it before enrolling
    app.button(key="people_enrol").click().run()
    assert any("Enrolled Mindy K. with 1 photo." in v for v in texts(app.success))
    assert any("Skipped wall.png" in v for v in texts(app.warning))
    assert app.file_uploader(key="people_new_photos_1").value == []  # the uploader is emptied


def test_people_remove_one_photo(app):
    page(app, "app_pages/people.py")
    app.selectbox(key="people_person").set_value("elton_john").run()
    assert seen(app, "17 enrolled encoding(s)")
    app.button(key="people_remove_photo_0").click().run()
    assert seen(app, "16 enrolled encoding(s)")
    assert any("Removed photo 1 of elton_john" in v for v in texts(app.success))


def test_people_kept_office_survives_a_restart_until_forgotten(app, monkeypatch):
    """The instructor keeps the office on the server; every new session starts from it."""
    from facedemo import assets
    from tests.test_instructor import no_passcode

    no_passcode(monkeypatch)  # as on a laptop; with a passcode: tests/test_instructor.py

    page(app, "app_pages/people.py")
    app.selectbox(key="people_person").set_value("elton_john").run()
    app.button(key="people_remove_person").click().run()
    app.button(key="people_keep").click().run()
    assert any("Kept on this server" in v for v in texts(app.success))
    assert assets.office_path().is_file()
    try:
        import streamlit as st

        st.cache_data.clear()  # as after a restart: nothing in memory, only the file
        fresh = page(open_verify(), "app_pages/people.py")
        assert "elton_john" not in list(table(fresh, "people_table")["name"])
        assert len(fresh.session_state["database"]) == 4
        fresh.button(key="people_forget").click().run()
        later = page(open_verify(), "app_pages/people.py")
        assert "elton_john" in list(table(later, "people_table")["name"])
    finally:
        assets.office_path().unlink(missing_ok=True)


def test_people_download_and_load_back(app):
    page(app, "app_pages/people.py")
    app.selectbox(key="people_person").set_value("madonna").run()
    app.button(key="people_remove_person").click().run()
    saved = app.session_state["database"].to_bytes()
    app.button(key="people_reset").click().run()
    assert "madonna" in list(table(app, "people_table")["name"])

    app.file_uploader(key="people_load").upload("office.npz", saved, "application/octet-stream").run()
    app.button(key="people_load_button").click().run()
    assert any("Loaded office.npz: 4 people, 74 photos." in v for v in texts(app.success))
    assert "madonna" not in list(table(app, "people_table")["name"])
