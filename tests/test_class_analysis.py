"""The analysis pages on a class's own faces, with AppTest: the threshold explorer, Recognise and Verify.

An instructor's session starts a class and two student sessions enrol real gallery photos (uploaded
as bytes, through the real model), as on the Class page (``tests/test_class_page.py``). Ada is
Madonna (two photos: one genuine pair), Bo is Elton John (one photo).
"""

from __future__ import annotations

from facedemo.encoding.networks import default_threshold
from tests.test_app_pages import metric, move_threshold, texts
from tests.test_class_page import enrol, fresh_registry, gallery_bytes, run, start_class, student  # noqa: F401
from tests.test_threshold_view import mentioning, shown


def a_class_of_two(photo):
    teacher, code = start_class()
    enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0), gallery_bytes(photo, "train", "madonna", 1)])
    enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    return teacher, code


def then(widget):
    """Run the page after a widget's change; returns the session."""
    at = widget.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def class_caption(at, code: str) -> str:
    found = [c for c in texts(at.caption) if c.startswith(f"Class {code}:")]
    assert len(found) == 1, texts(at.caption)
    return found[0]


def test_the_threshold_explorer_takes_the_class_pairs_says_how_few_and_redraws_them_at_a_move(photo):
    teacher, code = a_class_of_two(photo)
    teacher.switch_page("app_pages/threshold.py").run()
    assert teacher.radio(key="threshold_set").options[-1] == f"🧑‍🏫 This class ({code})"
    then(teacher.radio(key="threshold_set").set_value("class"))

    assert class_caption(teacher, code).startswith(
        f"Class {code}: 3 photos of 2 students (1 with two photos or more): 1 genuine pair and 2 impostor pairs")
    assert any(v.startswith("Only 1 genuine pair (fewer than 10): the TAR is a rough figure")
               for v in texts(teacher.warning)), texts(teacher.warning)
    assert metric(teacher, "The gallery's (calibrated)") == f"{default_threshold('aligned', 'pair'):.2f}"
    assert 0.75 < float(metric(teacher, "This class's own threshold")) < 1.45  # one pair at 0.75, two at ≈1.45
    assert metric(teacher, "TAR (true accept rate)") == "100.0%"  # 0.75 < the pair threshold: Madonna's two photos match
    assert metric(teacher, "FAR (false accept rate)") == "0.00%"
    assert "Why cropping to the face matters" not in texts(teacher.subheader)  # the gallery's lessons wait

    move_threshold(teacher, 0.5)  # the class part is a threshold view: redrawn alone, at the new threshold
    redrawn = shown(teacher)
    assert "This class at threshold 0.50" in redrawn
    assert metric(teacher, "TAR (true accept rate)") == "0.0%"
    assert not teacher.main.radio, "only the class part was redrawn"
    run(teacher)  # the whole page at 0.50: everything naming 0.50 was in the redrawn part
    assert mentioning(shown(teacher), 0.5) <= set(redrawn)

    enrol(student(code), "Cy", [gallery_bytes(photo, "val", "mindy_kaling", 0)])
    run(teacher)
    assert class_caption(teacher, code).startswith(f"Class {code}: 4 photos of 3 students (1 with two photos or more): "
                                                   "1 genuine pair and 5 impostor pairs")

    from ui import classroom

    classroom.registry().end(code, token=teacher.session_state["class_instructor"]["token"])
    run(teacher)  # the class is gone: the explorer falls back to the gallery's pairs
    assert teacher.radio(key="threshold_set").options == ["train + val (every gallery photo)",
                                                          "train (the train photos)", "val (the val photos)"]
    assert any(v.startswith("At threshold") for v in texts(teacher.subheader))


def test_the_explorer_says_what_the_class_lacks_before_it_has_both_kinds_of_pairs(photo):
    teacher, code = start_class()
    enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    teacher.switch_page("app_pages/threshold.py").run()
    then(teacher.radio(key="threshold_set").set_value("class"))
    assert any(v.startswith("TAR and FAR need both kinds of pairs") and "0 genuine pairs and 0 impostor pairs" in v
               for v in texts(teacher.info)), texts(teacher.info)


def test_recognise_against_the_class_names_an_enrolled_students_other_photo(photo):
    teacher, code = a_class_of_two(photo)
    teacher.switch_page("app_pages/recognise.py").run()
    assert any("It's madonna" in v for v in texts(teacher.success))  # the People database, as today
    then(teacher.radio(key="recognise_against").set_value("class"))
    teacher.selectbox(key="q").set_value("train/madonna/1")  # not one Ada enrolled (val 1 and train 2)
    run(teacher)
    assert any(f"class {code}: **2 students** (3 photos)" in v for v in texts(teacher.markdown))
    assert any(v.startswith("### It's Ada, the distance is") for v in texts(teacher.success)), texts(teacher.success)

    teacher.selectbox(key="q").set_value("val/ben_afflek/1")
    run(teacher)
    assert any("Not in the database." in v for v in texts(teacher.error))


def test_verify_checks_the_photo_at_the_door_against_a_student_of_the_class(photo):
    teacher, code = a_class_of_two(photo)
    teacher.switch_page("app_pages/verify.py").run()
    teacher.radio(key="verify_with").set_value("name").run()
    then(teacher.radio(key="verify_names").set_value("class"))
    teacher.selectbox(key="a").set_value("train/madonna/1")
    teacher.selectbox(key="class_claim").set_value("Ada")
    run(teacher)
    assert any("It's Ada, welcome in!" in v for v in texts(teacher.success)), texts(teacher.success)
    then(teacher.selectbox(key="class_claim").set_value("Bo"))
    assert any("It's not Bo, please go away" in v for v in texts(teacher.error))
    assert "claim" not in teacher.query_params  # a student's name stays out of the URL


def test_a_group_photo_is_named_against_the_class(photo):
    from PIL import Image

    from tests.test_app_pages import table
    from tests.test_group_photo import GROUP, compose

    teacher, code = a_class_of_two(photo)  # Ada is Madonna, Bo is Elton John; Jerry Seinfeld is not in the class
    group = compose([Image.open(photo("train", person, 2)) for person in GROUP])
    teacher.switch_page("app_pages/recognise.py").run()
    teacher.radio(key="recognise_against").set_value("class")
    teacher.radio(key="q_from").set_value("upload").run()
    then(teacher.file_uploader(key="q_upload").upload("group.jpg", group, "image/jpeg"))
    faces = table(teacher, "recognise_faces")
    assert list(faces.sort_values("left")["name"]) == ["Ada", "Bo", "Not in the database"]


def test_a_class_of_another_recipe_is_refused_in_a_sentence(photo):
    teacher, code = a_class_of_two(photo)  # encoded with the aligned recipe
    teacher.switch_page("app_pages/recognise.py").run()
    teacher.radio(key="recipe").set_value("course").run()
    then(teacher.radio(key="recognise_against").set_value("class"))
    assert any(v.startswith(f"Class {code} was encoded by") and "choose them in the sidebar" in v
               for v in texts(teacher.warning)), texts(teacher.warning)
    assert not teacher.success and not teacher.error  # no verdict on encodings that cannot be compared
