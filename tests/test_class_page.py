"""The Class page with AppTest: an instructor's session and students' sessions on one class.

AppTest sessions of one test process share ``st.cache_resource``, so they share the class registry
(``ui.classroom.registry``) as browsers on one server do. Students enrol real gallery photos, uploaded
as bytes, through the real model. Every test starts and ends with an empty registry.
"""

from __future__ import annotations

import pytest

from facedemo.access import PASSCODE_VARIABLE
from facedemo.encoding.networks import default_threshold
from tests.test_app_analysis import open_page
from tests.test_app_pages import blank_png, metric, texts
from tests.test_instructor import PASSCODE, no_passcode, unlock_with

CLASS_PAGE = "app_pages/class_room.py"


@pytest.fixture(autouse=True)
def fresh_registry(gallery_dir, monkeypatch):
    from ui import classroom

    no_passcode(monkeypatch)
    classroom.registry.clear()
    yield
    classroom.registry.clear()


def run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def press(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start_class():
    """A fresh instructor session that starts a class; returns the session and the code."""
    at = open_page(CLASS_PAGE)
    press(at, "class_start")
    code = at.session_state["class_instructor"]["code"]
    assert any(f"Class {code} started." in v for v in texts(at.success))
    return at, code


def student(code: str):
    """A fresh student session, opened from the join URL ``/class?class=CODE``."""
    return open_page(CLASS_PAGE, **{"class": code})


def enrol(at, name: str, files: list[tuple[str, bytes]], *, consent: bool = True):
    """Type ``name``, tick (or not) the consent line, upload ``files`` and press Enrol."""
    at.text_input(key="class_name").input(name)
    if consent:
        at.checkbox(key="class_consent").check()
    at.radio(key="class_photo_from").set_value("upload").run()
    round_ = at.session_state["class_upload_round"] if "class_upload_round" in at.session_state else 0
    uploader = at.file_uploader(key=f"class_upload_{round_}")
    for file_name, data in files:
        uploader.upload(file_name, data, "image/jpeg")
    return press(at, "class_enrol")


def enrolled_count(at) -> str:
    return metric(at, "Students enrolled")


def gallery_bytes(photo, split: str, person: str, index: int) -> tuple[str, bytes]:
    return f"{person}.jpg", photo(split, person, index).read_bytes()


def test_students_enrol_by_upload_and_the_projector_and_its_matrix_grow(photo):
    teacher, code = start_class()
    assert enrolled_count(teacher) == "0 of 200"
    assert teacher.code[0].value == f"http://localhost:8501/class?class={code}"  # AppTest has no browser address

    ada = enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0), gallery_bytes(photo, "train", "madonna", 1)])
    assert any("Enrolled Ada: 2 photos in the class." in v for v in texts(ada.success))
    assert any("You are enrolled as **Ada** with 2 photos." in v for v in texts(ada.success))
    assert ada.session_state["class_upload_round"] == 1  # a new, empty uploader: the photos' bytes are let go

    run(teacher)
    assert enrolled_count(teacher) == "1 of 200"
    assert teacher.button(key=f"class_remove_{ada.session_state['class_entries'][code][0]}")

    bo = enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    assert any("Enrolled Bo: 1 photo in the class." in v for v in texts(bo.success))
    run(teacher)
    assert enrolled_count(teacher) == "2 of 200"
    looks = [v for v in texts(teacher.success) + texts(teacher.error) if "Ada" in v and "Bo" in v]
    assert len(looks) == 1 and "told apart" in looks[0]  # Madonna and Elton John: not alike
    assert metric(teacher, "The gallery's (calibrated)") == f"{default_threshold('aligned', 'pair'):.2f}"
    ours = float(metric(teacher, "This class"))  # one genuine pair (0.75) and two impostor pairs (≈1.45)
    assert 0.75 < ours < 1.45
    assert any(v.startswith("Only 1 same-person pair. From 1 same-person pair (1 student with two photos or more) "
                            "and 2 different-people pairs, it decides 100% of them right.") for v in texts(teacher.warning))

    teacher.switch_page("app_pages/matrix.py").run()
    teacher.radio(key="matrix_set").set_value("class").run()
    assert not teacher.exception
    caption = [c for c in texts(teacher.caption) if c.startswith(f"Class {code}:")]
    assert caption and caption[0].startswith(f"Class {code}: 3 × 3 distances between 3 photos of 2 students")
    assert "3 of 3 pairs decided as the names say" in caption[0]  # Madonna's two photos match, Elton does not
    enrol(student(code), "Cy", [gallery_bytes(photo, "val", "mindy_kaling", 0)])
    run(teacher)
    caption = [c for c in texts(teacher.caption) if c.startswith(f"Class {code}:")]
    assert caption[0].startswith(f"Class {code}: 4 × 4 distances between 4 photos of 3 students")

    teacher.switch_page("app_pages/embedding_map.py").run()
    teacher.radio(key="map_set").set_value("class").run()
    assert not teacher.exception
    caption = [c for c in texts(teacher.caption) if c.startswith(f"Class {code}:")]
    assert caption and caption[0].startswith(f"Class {code}: 4 photos of 3 students, on the two directions")


def test_without_the_consent_tick_nothing_is_kept_and_bad_photos_say_why(photo):
    teacher, code = start_class()
    at = enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0)], consent=False)
    assert "Tick the consent line first: nothing is kept without it." in texts(at.error)
    at = enrol(student(code), "Bo", [("wall.png", blank_png())])
    assert any(v.startswith("wall.png: No face found") for v in texts(at.warning)), texts(at.warning)
    assert not any("Enrolled" in v for v in texts(at.success))
    run(teacher)
    assert enrolled_count(teacher) == "0 of 200"


def test_a_student_cannot_remove_another_but_the_instructor_can(photo):
    teacher, code = start_class()
    ada = enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0)])
    bo = enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    ada_id = ada.session_state["class_entries"][code][0]
    bo_id, bo_token = bo.session_state["class_entries"][code]
    assert not [b for b in bo.button if b.key == f"class_remove_{ada_id}"]  # no such button for a student
    # a tampered session that holds Ada's id with Bo's token is refused, and Ada stays
    bo.session_state["class_entries"] = {code: (ada_id, bo_token)}
    press(bo, "class_remove_me")
    assert any("Only the student who made this entry (or the instructor) can change or remove it" in v
               for v in texts(bo.error))
    run(teacher)
    assert enrolled_count(teacher) == "2 of 200"

    press(teacher, f"class_remove_{bo_id}")
    assert "Removed Bo from the class." in texts(teacher.success)
    assert enrolled_count(teacher) == "1 of 200"
    bo.session_state["class_entries"] = {code: (bo_id, bo_token)}
    run(bo)
    assert bo.text_input(key="class_name")  # Bo is a newcomer again: asked for a name

    press(ada, "class_remove_me")
    assert "Removed Ada: your encodings and crops are gone from the class." in texts(ada.success)
    run(teacher)
    assert enrolled_count(teacher) == "0 of 200"


def test_ending_the_class_empties_it_and_another_class_stays_separate(photo):
    from ui import classroom

    one, code_one = start_class()
    two, code_two = start_class()
    assert code_one != code_two
    ada = enrol(student(code_one), "Ada", [gallery_bytes(photo, "val", "madonna", 0)])
    enrol(student(code_two), "Ada", [gallery_bytes(photo, "val", "ben_afflek", 0)])  # another Ada, another class
    run(one), run(two)
    assert enrolled_count(one) == "1 of 200" and enrolled_count(two) == "1 of 200"
    room_one = classroom.registry().get(code_one)

    press(one, "class_end")
    assert any(f"Class {code_one} ended: every name, encoding and crop it held is forgotten." in v
               for v in texts(one.success))
    assert room_one.ended and room_one._entries == {}
    assert one.button(key="class_start")  # the instructor may start another one
    run(ada)
    assert any(f"There is no class with the code {code_one}" in v for v in texts(ada.error))
    run(two)
    assert enrolled_count(two) == "1 of 200"
    assert [s.name for s in classroom.registry().get(code_two).students()] == ["Ada"]


def test_an_unknown_code_says_so_in_a_sentence():
    at = student("ABCDEF")
    assert any(v.startswith("There is no class with the code ABCDEF: check the code on the projector")
               for v in texts(at.error))
    at = open_page(CLASS_PAGE)
    at.text_input(key="class_code_typed").input("o0o0")
    press(at, "class_join")
    assert any("'o0o0' is not a class code" in v for v in texts(at.error))


def test_with_a_passcode_starting_a_class_needs_it(monkeypatch):
    from ui import classroom

    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)
    at = open_page(CLASS_PAGE)
    assert at.button(key="class_start").disabled
    assert len(classroom.registry()) == 0
    unlock_with(at, "wrong")
    assert at.button(key="class_start").disabled
    unlock_with(at, PASSCODE)
    press(at, "class_start")
    code = at.session_state["class_instructor"]["code"]
    assert len(classroom.registry()) == 1
    assert not at.button(key="class_end").disabled
    monkeypatch.setenv(PASSCODE_VARIABLE, "a new passcode")  # the button shows enabled; its callback checks again
    press(at, "class_end")
    assert "Only the instructor can end the class: enter the instructor passcode first." in texts(at.error)
    assert at.button(key="class_end").disabled
    assert classroom.registry().get(code).code == code  # the class runs on
    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)
    unlock_with(at, PASSCODE)
    press(at, "instructor_lock")
    assert at.button(key="class_end").disabled


def side_by_side_jpeg(*paths) -> bytes:
    """Gallery photos pasted side by side at one height: one photo with several faces."""
    import io

    from PIL import Image

    images = [Image.open(path).convert("RGB") for path in paths]
    height = 400
    images = [image.resize((round(image.width * height / image.height), height)) for image in images]
    canvas = Image.new("RGB", (sum(image.width for image in images), height), "white")
    x = 0
    for image in images:
        canvas.paste(image, (x, 0))
        x += image.width
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def test_a_webcam_photo_with_two_faces_is_refused_then_one_face_enrols_and_a_second_adds(photo, monkeypatch):
    from ui import state

    def cached(*args, **kwargs):  # the app's upload cache would keep the photo and its crop for an hour
        raise AssertionError("a class photo went through the upload cache")

    monkeypatch.setattr(state, "_encode_bytes", cached)
    teacher, code = start_class()
    at = student(code)
    at.text_input(key="class_name").input("Mo")
    at.checkbox(key="class_consent").check().run()
    group = side_by_side_jpeg(photo("val", "madonna", 0), photo("val", "elton_john", 0))
    at.camera_input(key="class_camera_0").upload("webcam.jpg", group, "image/jpeg")
    press(at, "class_enrol")
    assert any(v.startswith("webcam photo: 2 faces found in this photo: take or choose one with only your face")
               for v in texts(at.error)), texts(at.error)
    assert classroom_size(code) == 0

    at.camera_input(key="class_camera_0").upload("webcam.jpg", photo("val", "mindy_kaling", 0).read_bytes(), "image/jpeg")
    press(at, "class_enrol")
    assert any("Enrolled Mo: 1 photo in the class." in v for v in texts(at.success))
    at.camera_input(key="class_camera_1").upload("webcam.jpg", photo("train", "mindy_kaling", 1).read_bytes(), "image/jpeg")
    press(at, "class_enrol")
    assert any("You are enrolled as **Mo** with 2 photos." in v for v in texts(at.success))
    run(teacher)
    assert enrolled_count(teacher) == "1 of 200"


def classroom_size(code: str) -> int:
    from ui import classroom

    return len(classroom.registry().get(code))


def test_after_a_reload_the_instructor_opens_the_class_again_with_the_passcode(photo, monkeypatch):
    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)
    first = unlock_with(open_page(CLASS_PAGE), PASSCODE)
    press(first, "class_start")
    code = first.session_state["class_instructor"]["code"]
    enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0)])

    locked = open_page(CLASS_PAGE)  # a new browser session (the tab was reloaded): locked, holds no class
    assert locked.button(key="class_reopen").disabled and locked.button(key="class_start").disabled
    again = unlock_with(open_page(CLASS_PAGE), PASSCODE)
    again.text_input(key="class_reopen_code").input(code.lower())
    press(again, "class_reopen")
    assert f"You are the instructor of class {code} again in this browser." in texts(again.success)
    assert enrolled_count(again) == "1 of 200"
    press(again, "class_end")
    assert any(f"Class {code} ended" in v for v in texts(again.success))
