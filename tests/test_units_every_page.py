"""Cosine display on every page that shows distances (AppTest, real gallery photos, real model).

The sidebar's ``distance_unit`` switches the display between L2 distances and cosine similarities;
for unit encodings cos θ = 1 − d²/2 (:func:`facedemo.analysis.units.l2_to_cosine`). Each test reads
a page in L2, switches to cosine and checks that the numbers shown are the L2 ones converted, that
the page says "cosine" with "higher = more alike", and that no decision changed. Thresholds are read
from the networks' registry, never written here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from facedemo.analysis.units import l2_to_cosine
from facedemo.encoding.networks import (
    DEFAULT_NETWORK,
    NOTEBOOK_THRESHOLD,
    default_threshold,
    get_network,
)
from tests.test_app_analysis import open_page
from tests.test_app_pages import metric, table, texts
from tests.test_class_page import fresh_registry, run  # noqa: F401 - autouse: every test starts with no class
from tests.test_units_band_pages import door

COSINE = "cosine similarity (higher = more alike)"
MATRIX_PHOTOS = "train/madonna/1,train/madonna/2,val/elton_john/1"


def cos(distance: float) -> float:
    return float(l2_to_cosine(distance))


def network_of(at) -> str:
    try:
        return at.session_state["network"]
    except KeyError:  # AppTest's session state has no .get()
        return DEFAULT_NETWORK


def pair_threshold(at) -> float:
    """The sidebar's threshold as a fresh session starts it: the calibrated one-photo-vs-one-photo threshold."""
    return default_threshold(at.session_state["recipe"], "pair", network_of(at))


def person_threshold(at, comparison: str = "mean") -> float:
    """The threshold calibrated for a photo against a person (the pages' default for that comparison)."""
    return get_network(network_of(at)).threshold(at.session_state["recipe"], comparison)


def to_cosine(at):
    at.radio(key="distance_unit").set_value("cosine").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["units"] == "cosine"
    return at


def _walk(node, out: list) -> list:
    for child in getattr(node, "children", {}).values():
        out.append(child)
        _walk(child, out)
    return out


def charts(at) -> list[dict]:
    """Every Vega-Lite spec on the page's main area, as dicts (AppTest has no chart element of its own)."""
    return [json.loads(e.proto.spec) for e in _walk(at.main, []) if getattr(e, "type", "") == "vega_lite_chart"]


def shown_number(text: str) -> float:
    """``"cos 0.693"`` or ``"0.784"`` → the number."""
    return float(text.removeprefix("cos "))


# --- distance matrix ---------------------------------------------------------------------------
def test_the_matrix_writes_cosine_similarities_and_decides_every_cell_as_in_l2(gallery_dir):
    at = open_page("app_pages/matrix.py", photos=MATRIX_PHOTOS)
    threshold = pair_threshold(at)
    l2 = table(at, "matrix_table").to_numpy()
    l2_caption = next(c for c in texts(at.caption) if "between 3 photos" in c)
    assert f"3 × 3 distances between 3 photos · threshold {threshold:.2f} · " in l2_caption
    l2_distance = float(metric(at, "Distance"))
    l2_decision = next(m for m in texts(at.markdown) if m.startswith("**"))
    l2_cells = [layer for layer in charts(at) if "title" not in layer]
    assert l2_cells, "in L2 the matrix has no title"

    to_cosine(at)
    shown = table(at, "matrix_table").to_numpy()
    np.testing.assert_allclose(shown, l2_to_cosine(np.clip(l2, 0, 2)), atol=3e-3)
    assert np.allclose(np.diag(shown), 1.0), "a photo with itself: cosine 1"
    caption = next(c for c in texts(at.caption) if "between 3 photos" in c)
    assert f"3 × 3 cosine similarities between 3 photos · threshold cos {cos(threshold):.2f} · " in caption
    assert caption.split(" · ")[-1] == l2_caption.split(" · ")[-1], "the same pairs decided right"
    similarity = metric(at, "Cosine similarity")
    assert similarity.startswith("cos ") and shown_number(similarity) == pytest.approx(cos(l2_distance), abs=2e-3)
    decision = next(m for m in texts(at.markdown) if m.startswith("**"))
    assert decision.split(":")[0] == l2_decision.split(":")[0], (decision, l2_decision)  # **match** / **no match**
    assert (" > " in decision) == (" < " in l2_decision), "d < t is cos d > cos t"
    assert any("**cosine similarity**" in m and "higher = more alike" in m for m in texts(at.markdown))

    heatmap = next(spec for spec in charts(at) if spec.get("title") == f"Numbers: {COSINE}")
    cells = next(layer for layer in heatmap["layer"] if layer["mark"].get("type") == "text")
    assert cells["encoding"]["text"]["field"] == "text"
    hover = [t.get("title") for t in cells["encoding"]["tooltip"]]
    assert "cosine similarity" in hover and "L2 distance" in hover

    at.radio(key="distance_unit").set_value("l2").run()
    assert next(c for c in texts(at.caption) if "between 3 photos" in c) == l2_caption, "L2 as before"
    assert float(metric(at, "Distance")) == l2_distance


# --- threshold explorer ------------------------------------------------------------------------
def test_the_explorer_histogram_roc_and_classifier_speak_cosine_with_the_same_rates(gallery_dir):
    at = open_page("app_pages/threshold.py")
    threshold = pair_threshold(at)
    rates = {label: metric(at, label) for label in ("TAR (true accept rate)", "FAR (false accept rate)",
                                                    "False rejects", "False accepts")}
    hist = next(spec for spec in charts(at) if spec.get("title") == "Distances of genuine and impostor pairs")
    assert hist["layer"][0]["encoding"]["x"]["title"] == "L2 distance between the two photos"
    rules = {r["name"]: r["threshold"] for r in hist["layer"][1]["data"]["values"]}
    assert rules[f"current {threshold:.2f}"] == pytest.approx(threshold) and f"notebook {NOTEBOOK_THRESHOLD}" in rules
    classifier_l2 = table(at, "classifier_table")
    eer = float(metric(at, "Threshold at the EER"))

    to_cosine(at)
    assert {label: metric(at, label) for label in rates} == rates, "the same pairs accepted"
    assert metric(at, "Threshold at the EER") == f"cos {cos(eer):.2f}" or \
        shown_number(metric(at, "Threshold at the EER")) == pytest.approx(cos(eer), abs=1e-2)
    hist = next(spec for spec in charts(at) if spec.get("title") == "Cosine similarities of genuine and impostor pairs")
    assert hist["layer"][0]["encoding"]["x"]["title"] == f"{COSINE} of the two photos"
    rules = {r["name"]: r["threshold"] for r in hist["layer"][1]["data"]["values"]}
    assert rules[f"current cos {cos(threshold):.2f}"] == pytest.approx(cos(threshold)), rules
    assert rules[f"notebook cos {cos(NOTEBOOK_THRESHOLD):.2f}"] == pytest.approx(cos(NOTEBOOK_THRESHOLD))
    bins = hist["layer"][0]["data"]
    assert "name" in bins or max(b["end"] for b in bins["values"]) == pytest.approx(1.0)

    roc = next(spec for spec in charts(at) if spec["layer"][0]["encoding"].get("y", {}).get("field") == "tar"
               and "color" not in spec["layer"][0]["encoding"])  # the explorer's ROC (the classifier's has two)
    hover = [t.get("title") for t in roc["layer"][0]["encoding"]["tooltip"]]
    assert "threshold (cosine similarity)" in hover and "threshold (L2 distance)" in hover
    points = roc["layer"][1]["data"]["values"]
    current = next(p for p in points if p["name"] == f"current cos {cos(threshold):.2f}")
    assert current["cosine"] == pytest.approx(cos(current["threshold"]))

    strips = next(spec for spec in charts(at)
                  if spec["layer"][0]["encoding"]["x"].get("title", "").startswith("cosine similarity from a val photo"))
    assert "higher = more alike" in strips["layer"][0]["encoding"]["x"]["title"]
    pair = default_threshold(at.session_state["recipe"], "pair", network_of(at))
    rules = {r["name"]: r["threshold"] for r in strips["layer"][1]["data"]["values"]}
    assert rules[f"calibrated pair cos {cos(pair):.2f}"] == pytest.approx(cos(pair))

    classifier = table(at, "classifier_table")
    assert list(classifier["accuracy"]) == list(classifier_l2["accuracy"]), "the head and the thresholds decide alike"
    assert any(rule.startswith("calibrated threshold cos ") for rule in classifier["rule"])
    assert any("**cos " in m for m in texts(at.markdown) if "against the calibrated threshold" in m)


# --- What breaks it? ---------------------------------------------------------------------------
def test_what_breaks_it_shows_cosine_live_in_the_sweeps_and_who_fails_and_keeps_every_door(gallery_dir):
    at = open_page("app_pages/breaks.py", breaks="val/madonna/1")
    threshold = person_threshold(at)
    own, other = float(metric(at, "Distance to self")), float(metric(at, "Distance to the nearest other person"))
    l2_door = door(at)
    l2_sweeps = [c for c in texts(at.caption) if "door stops opening" in c or "opens all the way" in c]
    assert all(f"threshold {threshold:.2f}:" in c for c in l2_sweeps), l2_sweeps
    who = table(at, "breaks_who")
    blur = next(spec for spec in charts(at) if spec.get("title") == "Gaussian blur")
    assert blur["layer"][0]["encoding"]["y"]["title"] == "L2 distance"

    to_cosine(at)
    assert metric(at, "Cosine similarity to self") == f"cos {cos(own):.3f}" or \
        shown_number(metric(at, "Cosine similarity to self")) == pytest.approx(cos(own), abs=2e-3)
    assert shown_number(metric(at, "Cosine similarity to the nearest other person")) == pytest.approx(cos(other), abs=2e-3)
    assert door(at) == l2_door == "open"
    assert any(f"Threshold **cos {cos(threshold):.2f}**" in c and "higher = more alike" in c.lower()
               for c in texts(at.caption))
    sweeps = [c for c in texts(at.caption) if "door stops opening" in c or "opens all the way" in c]
    assert [c.replace(f"threshold cos {cos(threshold):.2f}:", f"threshold {threshold:.2f}:") for c in sweeps] == l2_sweeps, \
        "where the door stops opening does not move"
    blur = next(spec for spec in charts(at) if spec.get("title") == "Gaussian blur")
    y = blur["layer"][0]["encoding"]["y"]
    assert " ".join(y["title"]) == COSINE and y["scale"]["domain"] == [-1, 1]  # on two lines
    rule = blur["layer"][1]["data"]["values"][0]
    assert rule["at"] == pytest.approx(cos(threshold)) and rule["text"] == f"threshold cos {cos(threshold):.2f}"
    selves = [row["cosine"] for row in blur["layer"][0]["data"]["values"] if row["which"] == "to self"]
    assert selves[0] == pytest.approx(cos(own), abs=5e-3), "the harmless end: the clean photo (one batch)"
    assert table(at, "breaks_who").equals(who), "the same false rejects and false accepts"
    hardest = [c for image in at.image for c in image.captions if " · own, farthest: " in c]
    assert hardest and all(", cos " in c for c in hardest), hardest


def test_what_breaks_it_summary_caption_in_cosine_and_the_same_table(gallery_dir):
    at = open_page("app_pages/breaks.py", breaks="val/madonna/1")
    threshold = person_threshold(at)
    at.number_input(key="breaks_summary_per_person").set_value(1)
    at.number_input(key="breaks_summary_steps").set_value(3)
    at.button(key="breaks_summary_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    summary = table(at, "breaks_summary")
    to_cosine(at)
    assert table(at, "breaks_summary").equals(summary), "where half the attempts fail does not move"
    assert any(f"threshold **cos {cos(threshold):.2f}**" in c and "cosine similarity to self is not above" in c
               for c in texts(at.caption))


# --- group photo (Recognise) -------------------------------------------------------------------
def test_a_group_photo_labels_and_table_in_cosine_name_the_same_faces(gallery_dir, photo):
    from tests.test_group_photo import GROUP, compose

    at = open_page("app_pages/recognise.py")
    at.radio(key="q_from").set_value("upload").run()
    group = compose([Image.open(photo("val", person, 0)) for person in GROUP])
    at.file_uploader(key="q_upload").upload("group.jpg", group, "image/jpeg").run()
    assert not at.exception, [e.value for e in at.exception]
    faces = table(at, "recognise_faces")
    assert "distance" in faces.columns and "cosine similarity" not in faces.columns
    l2_captions = sorted(c for image in at.image for c in image.captions if " · " in c)

    to_cosine(at)
    shown = table(at, "recognise_faces")
    assert list(shown["name"]) == list(faces["name"]), "the same faces named"
    assert "distance" not in shown.columns
    np.testing.assert_allclose(shown["cosine similarity"].astype(float),
                               l2_to_cosine(faces["distance"].astype(float).clip(0, 2)), atol=2e-3)
    captions = sorted(c for image in at.image for c in image.captions if " · " in c)
    assert len(captions) == len(l2_captions) and all(" · cos " in c for c in captions), captions
    for before, after in zip(l2_captions, captions):
        assert before.split(" · ")[0] == after.split(" · ")[0]
        assert shown_number(after.split(" · ")[1]) == pytest.approx(cos(float(before.split(" · ")[1])), abs=6e-3)


# --- People ------------------------------------------------------------------------------------
def test_the_people_page_shows_no_distance_and_the_same_table_in_cosine(gallery_dir):
    at = open_page("app_pages/people.py")
    everyone = table(at, "people_table")
    to_cosine(at)
    assert table(at, "people_table")[["name", "photos"]].equals(everyone[["name", "photos"]])


# --- a class's matrix --------------------------------------------------------------------------
def test_a_class_matrix_in_cosine_decides_the_class_pairs_as_in_l2(photo):
    # imported here, not at the top: tests/test_breaks_class.py imports this module
    from tests.test_breaks_class import class_of_three

    teacher, code = class_of_three(photo)
    teacher.switch_page("app_pages/matrix.py").run()
    teacher.radio(key="matrix_set").set_value("class")
    run(teacher)
    threshold = pair_threshold(teacher)
    l2 = next(c for c in texts(teacher.caption) if c.startswith(f"Class {code}: "))
    assert f"5 × 5 distances between 5 photos of 3 students · threshold {threshold:.2f}" in l2
    to_cosine(teacher)
    shown = next(c for c in texts(teacher.caption) if c.startswith(f"Class {code}: "))
    assert f"5 × 5 cosine similarities between 5 photos of 3 students · threshold cos {cos(threshold):.2f}" in shown
    assert shown.split(" · ")[-1] == l2.split(" · ")[-1], "the same pairs decided as the names say"
    heatmap = next(spec for spec in charts(teacher) if spec.get("title") == f"Numbers: {COSINE}")
    assert heatmap["layer"][1]["encoding"]["text"]["field"] == "text"
