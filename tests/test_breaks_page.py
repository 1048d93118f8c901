"""The page *What breaks it?* with AppTest: real gallery photos through the real model, widgets by key."""

from __future__ import annotations

import pytest

from facedemo.analysis.degradations import DEGRADATIONS
from tests.test_app_analysis import open_page
from tests.test_app_pages import metric, move_threshold, table, texts
from tests.test_threshold_view import mentioning, shown

PAGE = "app_pages/breaks.py"


def distance_to_self(at) -> float:
    return float(metric(at, "Distance to self"))


def set_slider(at, name: str, value: float):
    at.slider(key=f"breaks_{name}").set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_shows_the_clean_photo_the_door_open_and_a_sweep_per_chosen_degradation(gallery_dir):
    at = open_page(PAGE, breaks="val/madonna/2")
    assert at.selectbox(key="breaks_person").value == "madonna", "the person follows the gallery photo"
    assert {s.key for s in at.slider} >= {f"breaks_{name}" for name in DEGRADATIONS}
    assert any("welcome in" in v for v in texts(at.success))
    sweeps = [c for c in texts(at.caption) if "door stops opening" in c or "opens all the way" in c]
    assert len(sweeps) == len(at.multiselect(key="breaks_sweeps").value) == 3


def test_a_slider_move_changes_the_distance_and_enough_blur_shuts_the_door(gallery_dir):
    at = open_page(PAGE, breaks="val/madonna/1")
    clean = distance_to_self(at)
    set_slider(at, "blur", 3.0)
    blurred = distance_to_self(at)
    assert blurred > clean + 0.1, (clean, blurred)
    set_slider(at, "blur", 0.0)
    assert distance_to_self(at) == pytest.approx(clean), "back to harmless: the clean photo's distance"
    set_slider(at, "eye_bar", 60.0)
    assert any("lost the face" in v for v in texts(at.warning))
    assert any("door stays shut" in v for v in texts(at.error)) and not at.success


@pytest.mark.parametrize("ref", ["val/madonna/1", "val/ben_afflek/1", "val/jerry_seinfeld/1"])
def test_raising_blur_raises_the_distance_to_self_on_the_page(gallery_dir, ref):
    at = open_page(PAGE, breaks=ref)
    seen = [distance_to_self(at)]
    for sigma in (2.0, 4.0):
        set_slider(at, "blur", sigma)
        seen.append(distance_to_self(at))
    assert all(b > a - 0.05 for a, b in zip(seen, seen[1:])), seen
    assert seen[-1] > seen[0] + 0.15, seen


def test_a_threshold_move_redraws_the_door_the_sweeps_and_who_fails_and_nothing_goes_stale(gallery_dir):
    at = open_page(PAGE, breaks="val/madonna/1")
    at.toggle(key="breaks_use_sidebar").set_value(True).run()
    move_threshold(at, 0.41)
    redrawn = shown(at)
    assert any("door stays shut" in v for v in texts(at.error))
    assert mentioning(redrawn, 0.41)
    at.run()
    assert mentioning(shown(at), 0.41) <= set(redrawn)


def test_the_summary_has_a_row_per_degradation_and_who_fails_a_row_per_person(gallery_dir):
    at = open_page(PAGE)
    at.number_input(key="breaks_summary_per_person").set_value(1)
    at.number_input(key="breaks_summary_steps").set_value(3)
    at.button(key="breaks_summary_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    summary = table(at, "breaks_summary")
    assert list(summary["degradation"]) == [d.title for d in DEGRADATIONS.values()]
    assert summary.loc[summary["degradation"] == "Gaussian blur", "half the genuine attempts fail at"].item() != "0"
    who = table(at, "breaks_who")
    assert len(who) == 5 and all(" of 5" in v for v in who["false rejects (own val photos turned away)"])
    assert any("have to be measured" in v and "not assumed" in v for v in texts(at.markdown))


def test_with_the_course_recipe_the_bar_still_lands_on_the_detected_eyes(gallery_dir):
    """The course's recipe detects no face; the page asks the detector where the eyes are."""
    at = open_page(PAGE, breaks="val/madonna/1", recipe="course")
    clean = distance_to_self(at)
    set_slider(at, "eye_bar", 30.0)
    assert distance_to_self(at) > clean + 0.07, "on the detected eyes +0.09; on a nominal face in the middle +0.04"
    assert not at.warning, "the course's recipe encodes the whole photo: no face to lose"
