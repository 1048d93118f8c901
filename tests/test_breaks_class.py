"""Who it fails for, in a class: leave-one-out over the students' enrolled photos.

The core (:mod:`facedemo.analysis.failures`) against a brute-force oracle and on degenerate sets,
without the model; then the page *What breaks it?* with AppTest: an instructor's session starts a
class, students' sessions enrol real gallery photos through the real model (as on the Class page,
``tests/test_class_page.py``), and the instructor picks "This class" under *Who it fails for*.
"""

from __future__ import annotations

import numpy as np
import pytest

from facedemo.analysis.failures import Attempt, hardest, leave_one_out, per_person
from facedemo.analysis.units import l2_to_cosine
from facedemo.errors import FacedemoError
from facedemo.people.matching import person_distance, same_person
from tests.test_app_pages import table, texts
from tests.test_class_page import (  # noqa: F401
    enrol,
    fresh_registry,
    gallery_bytes,
    run,
    start_class,
    student,
)
from tests.test_units_every_page import person_threshold, to_cosine

PAGE = "app_pages/breaks.py"


# --- the core ----------------------------------------------------------------------------------
def unit_rows(n: int, d: int = 16, seed: int = 7) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("comparison", ["mean", "nearest"])
def test_leave_one_out_matches_person_distance_with_the_photo_left_out(comparison):
    labels = ["ada", "ada", "ada", "bo", "bo", "cy"]
    x = unit_rows(len(labels))
    tried = leave_one_out(x, labels, comparison=comparison, ids=[f"p{k}" for k in range(6)])
    assert len(tried) == 6 * 3 - 1, "cy's only photo has no genuine attempt"
    for a in tried:
        rows = [k for k, label in enumerate(labels) if label == a.claimed and k != a.row]
        assert a.distance == pytest.approx(person_distance(x[a.row], x[rows], comparison), abs=1e-5)
        assert a.photo == f"p{a.row}" and a.owner == labels[a.row]
    assert not any(a.row == 5 and a.genuine for a in tried)


def test_per_person_counts_false_rejects_and_false_accepts_by_the_one_rule():
    tried = [Attempt(0, "a1", "ada", "ada", 0.5), Attempt(1, "a2", "ada", "ada", 1.2),
             Attempt(2, "b1", "bo", "ada", 0.9), Attempt(2, "b1", "bo", "bo", 1.0), Attempt(0, "a1", "ada", "bo", 1.0)]
    ada, bo = per_person(tried, 1.0)
    assert (ada.name, ada.false_rejects, ada.genuine, ada.false_accepts, ada.impostor) == ("ada", 1, 2, 1, 1)
    assert (bo.false_rejects, bo.genuine, bo.false_accepts, bo.impostor) == (1, 1, 0, 1), "1.0 is not < 1.0"
    own, other = hardest(tried, "ada")
    assert (own.photo, other.photo) == ("a2", "b1")
    assert hardest(tried, "cy") == (None, None)


def test_degenerate_sets_give_no_attempt_of_the_missing_kind():
    assert leave_one_out(np.zeros((0, 4)), []) == []
    alone = leave_one_out(unit_rows(2), ["ada", "ada"])
    assert len(alone) == 2 and all(a.genuine for a in alone), "one person: no impostor attempt"
    singles = leave_one_out(unit_rows(3), ["ada", "bo", "cy"])
    assert len(singles) == 6 and not any(a.genuine for a in singles), "one photo each: no genuine attempt"
    (errors,) = per_person(alone, 2.0)[:1]
    assert (errors.false_accepts, errors.impostor) == (0, 0)
    with pytest.raises(FacedemoError, match="'pair'"):
        leave_one_out(unit_rows(2), ["ada", "bo"], comparison="pair")
    with pytest.raises(ValueError, match="3 labels"):
        leave_one_out(unit_rows(2), ["ada", "bo", "cy"])


# --- the page ----------------------------------------------------------------------------------
def class_of_three(photo):
    """Ada is Madonna (two photos), Bo is Elton John (one), Cy is Jerry Seinfeld (two)."""
    teacher, code = start_class()
    enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0), gallery_bytes(photo, "train", "madonna", 1)])
    enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    enrol(student(code), "Cy", [gallery_bytes(photo, "val", "jerry_seinfeld", 0),
                                gallery_bytes(photo, "train", "jerry_seinfeld", 2)])
    return teacher, code


def on_breaks(teacher):
    teacher.switch_page(PAGE).run()
    assert not teacher.exception, [e.value for e in teacher.exception]
    return teacher


def class_view(teacher):
    teacher.radio(key="breaks_who_set").set_value("class")
    return run(teacher)


def test_who_it_fails_for_in_a_class_counts_each_students_errors_and_shows_the_hardest(photo):
    from ui import classroom

    teacher, code = class_of_three(photo)
    on_breaks(teacher)
    radio = teacher.radio(key="breaks_who_set")
    assert radio.value == "gallery" and radio.options[-1] == f"🧑‍🏫 This class ({code})"
    gallery = table(teacher, "breaks_who")
    class_view(teacher)
    with pytest.raises(KeyError):
        teacher.container(key="breaks_who")  # the gallery's table gives way to the class's

    shown = table(teacher, "breaks_who_class")
    assert list(shown["student"]) == ["Ada", "Bo", "Cy"]
    threshold = person_threshold(teacher)
    photos = classroom.registry().get(code).photos()
    x, labels = photos.vectors, photos.labels
    n = len(labels)

    def left_out(i: int, name: str) -> float:  # the oracle: photo i against a student, itself left out
        return person_distance(x[i], x[[j for j in range(n) if labels[j] == name and j != i]], "mean")

    for row in shown.itertuples(index=False):
        own = [left_out(i, row.student) for i in range(n) if labels[i] == row.student and labels.count(row.student) > 1]
        others = [left_out(i, row.student) for i in range(n) if labels[i] != row.student]
        rejected = sum(not same_person(d, threshold) for d in own)
        accepted = sum(bool(same_person(d, threshold)) for d in others)
        assert row[1] == f"{rejected} of {len(own)}", row
        assert row[2] == f"{accepted} of {len(others)}", row
    assert shown.columns[1] == "false rejects (own photos turned away)"
    assert shown.loc[shown["student"] == "Bo"].iloc[0, 1] == "0 of 0", "one photo: nothing left to compare it with"
    assert any(c.startswith(f"Class {code}: 3 students and 5 photos so far (2 with two photos or more)")
               for c in texts(teacher.caption)), texts(teacher.caption)
    assert any("have to be measured" in v and "not assumed" in v for v in texts(teacher.markdown))

    captions = [c for image in teacher.image for c in image.captions]
    farthest = [c for c in captions if c.startswith("Ada · own, farthest: Ada · photo ")]
    nearest = [c for c in captions if c.startswith("Bo · other, nearest: ")]
    assert len(farthest) == 1 and len(nearest) == 1, captions  # crops from the room's memory
    assert any(c.startswith("Bo · own: one photo only") for c in texts(teacher.caption)), "no crop, a sentence"
    distance = float(farthest[0].split(", ")[-2])
    assert 0.0 < distance < 2.0
    assert farthest[0].endswith("let in" if same_person(distance, threshold) else "turned away")

    to_cosine(teacher)
    assert table(teacher, "breaks_who_class").equals(shown), "the cosine display changes no count"
    captions = [c for image in teacher.image for c in image.captions]
    farthest = next(c for c in captions if c.startswith("Ada · own, farthest: "))
    assert float(farthest.split(", ")[-2].removeprefix("cos ")) == pytest.approx(l2_to_cosine(distance), abs=6e-3)

    teacher.radio(key="breaks_who_set").set_value("gallery")
    run(teacher)
    assert table(teacher, "breaks_who").equals(gallery), "the gallery's people as before"


def test_who_it_fails_for_follows_a_student_who_joins(photo):
    teacher, code = class_of_three(photo)
    class_view(on_breaks(teacher))
    assert len(table(teacher, "breaks_who_class")) == 3
    enrol(student(code), "Di", [gallery_bytes(photo, "val", "mindy_kaling", 0), gallery_bytes(photo, "train", "mindy_kaling", 1)])
    run(teacher)
    assert list(table(teacher, "breaks_who_class")["student"]) == ["Ada", "Bo", "Cy", "Di"]


def test_without_a_class_the_gallery_only_and_a_sentence(gallery_dir):
    from tests.test_app_analysis import open_page

    at = open_page(PAGE)
    with pytest.raises(KeyError):
        at.radio(key="breaks_who_set")
    assert any("In a class (the Class page), its students can be measured here too" in c for c in texts(at.caption))
    assert len(table(at, "breaks_who")) >= 2


def test_a_class_too_small_says_what_it_lacks_in_a_sentence(photo):
    teacher, code = start_class()
    class_view(on_breaks(teacher))
    assert any(v.startswith(f"Nobody has enrolled in class {code} yet") for v in texts(teacher.info)), texts(teacher.info)

    enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0), gallery_bytes(photo, "train", "madonna", 1)])
    run(teacher)
    assert any(v.startswith(f"Class {code} has one student so far (Ada)") for v in texts(teacher.info)), texts(teacher.info)

    enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    run(teacher)
    assert not any("one student" in v for v in texts(teacher.info))
    assert len(table(teacher, "breaks_who_class")) == 2, "Ada's two photos give genuine attempts"


def test_a_class_where_nobody_has_two_photos_says_so(photo):
    teacher, code = start_class()
    enrol(student(code), "Ada", [gallery_bytes(photo, "val", "madonna", 0)])
    enrol(student(code), "Bo", [gallery_bytes(photo, "val", "elton_john", 0)])
    class_view(on_breaks(teacher))
    assert any(v.startswith(f"Nobody in class {code} has enrolled two photos yet (2 students and 2 photos so far)")
               for v in texts(teacher.info)), texts(teacher.info)
    with pytest.raises(KeyError):
        teacher.container(key="breaks_who_class")
