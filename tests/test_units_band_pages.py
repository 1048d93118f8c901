"""Cosine display and the "unsure" band on the pages (AppTest, real gallery photos, real model): they change no decision.

The door sits in a container keyed ``door_open`` or ``door_shut`` (``ui.widgets.verdict``); the
display unit is the sidebar's ``distance_unit``, the band the pages' ``unsure_band`` toggle.
"""

from __future__ import annotations

import pytest

from tests.test_app_analysis import open_page
from tests.test_app_pages import (
    DIFFERENT,
    SAME,
    expander,
    open_verify,
    page,
    seen,
    table,
    texts,
)

SETTINGS = [("l2", False), ("cosine", False), ("l2", True), ("cosine", True)]


def door(at) -> str:
    """Which door the page shows: ``"open"`` or ``"shut"`` (exactly one of them)."""
    shown = []
    for state in ("open", "shut"):
        try:
            at.container(key=f"door_{state}")
        except KeyError:
            continue
        shown.append(state)
    assert len(shown) == 1, shown
    return shown[0]


def with_settings(at, unit: str, band: bool):
    at.radio(key="distance_unit").set_value(unit)
    at.toggle(key="unsure_band").set_value(band).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("a, b, expected, words", [
    ("val/madonna/1", "train/madonna/1", "open", SAME),
    ("val/madonna/1", "train/elton_john/1", "shut", DIFFERENT),
])
def test_cosine_display_and_band_change_no_verify_decision(gallery_dir, a, b, expected, words):
    at = open_verify(a=a, b=b)
    for unit, band in SETTINGS:
        with_settings(at, unit, band)
        assert door(at) == expected, (unit, band)
        assert any(words in v for v in texts(at.success) + texts(at.error)), (unit, band)
        assert not any("Not sure" in v for v in texts(at.warning)), "these pairs are far from the threshold"
    assert at.query_params["units"] == "cosine"


def test_a_pair_near_the_threshold_is_not_sure_with_the_band_and_keeps_its_door(gallery_dir, default_gallery):
    a, b = pair_in_every_band(*default_gallery)  # a val × train pair next to the threshold, in the band
    at = open_verify(a=a, b=b)
    with_settings(at, "l2", False)
    before = door(at)
    words = SAME if before == "open" else DIFFERENT
    assert any(words in v for v in texts(at.success) + texts(at.error))
    assert not any("Not sure" in v for v in texts(at.warning)), "two answers while the band is off"
    with_settings(at, "l2", True)
    assert any("Not sure: ask for another photo" in v for v in texts(at.warning))
    assert not at.success and not at.error
    assert door(at) == before
    assert seen(at, f"The threshold alone says: *{words}*")
    assert seen(at, "*Not sure* from ")


def test_a_claim_keeps_the_notebook_words_and_its_door_in_cosine_with_the_band(gallery_dir):
    at = open_verify(a="val/madonna/1", claim="madonna")
    with_settings(at, "cosine", True)
    assert any("It's madonna, welcome in!" in v for v in texts(at.success))
    at.selectbox(key="claim").set_value("elton_john").run()
    assert any("It's not elton_john, please go away" in v for v in texts(at.error))
    assert door(at) == "shut"


def test_cosine_units_in_the_explanation_with_the_threshold_in_both(gallery_dir):
    from facedemo.analysis.units import l2_to_cosine
    from facedemo.encoding.networks import default_threshold
    from facedemo.encoding.recipes import DEFAULT_RECIPE

    threshold = default_threshold(DEFAULT_RECIPE, "pair")  # the sidebar's default, from the registry
    l2, cos = f"{threshold:.2f}", f"{l2_to_cosine(threshold):.2f}"
    at = open_verify(a="val/madonna/1", b="train/elton_john/1", units="cosine")
    assert at.radio(key="distance_unit").value == "cosine", "the bookmark's unit"
    why = expander(at, "Why did it say no?")
    text = " ".join(m.value for m in why.markdown)
    assert "cosine similarity between the two photos is **cos " in text
    assert f"*above* the threshold **cos {cos} (L2 distance {l2})**" in text
    assert seen(at, "At cosine similarity **") and seen(at, f"This threshold (**cos {cos}**)")
    with_settings(at, "l2", False)
    text = " ".join(m.value for m in expander(at, "Why did it say no?").markdown)
    assert f"*below* the threshold **{l2}** (cosine similarity {cos})" in text


def test_recognise_answers_the_same_in_every_setting(gallery_dir):
    at = open_verify()
    page(at, "app_pages/recognise.py")
    at.selectbox(key="q").set_value("val/madonna/1").run()
    first = list(table(at, "recognise_ranking")["person"])
    for unit, band in SETTINGS:
        with_settings(at, unit, band)
        assert door(at) == "open", (unit, band)
        assert list(table(at, "recognise_ranking")["person"]) == first
        words = "the cosine similarity is" if unit == "cosine" else "the distance is"
        assert any(f"It's madonna, {words}" in v for v in texts(at.success)), (unit, band)
    assert "cosine similarity" in table(at, "recognise_ranking").columns


def test_the_explorer_shows_other_libraries_thresholds_and_the_band_counts(gallery_dir):
    at = open_page("app_pages/threshold.py")
    units = table(at, "threshold_units")
    facenet = units[(units["library"] == "deepface") & (units["model"] == "Facenet (128-d)")
                    & units["its metric"].str.startswith("euclidean_l2")].iloc[0]
    assert facenet["its default"] == 0.80 and facenet["as cosine similarity"] == pytest.approx(0.68)
    dlib = units[units["library"] == "face_recognition"].iloc[0]
    assert dlib["its default"] == 0.6 and "not comparable" in dlib["note"]
    assert dlib["as L2 distance"] is None or dlib["as L2 distance"] != dlib["as L2 distance"]  # None or NaN
    genuine = [m.value for m in at.metric if m.label == "Genuine pairs in the band"]
    impostor = [m.value for m in at.metric if m.label == "Impostor pairs in the band"]
    assert len(genuine) == len(impostor) == 1
    in_band, total = (int(x.replace(",", "")) for x in genuine[0].split(" of "))
    assert 0 < in_band < total
    in_band, total = (int(x.replace(",", "")) for x in impostor[0].split(" of "))
    assert 0 < in_band < total


def test_recognise_near_the_threshold_is_not_sure_with_the_band_and_keeps_its_answer(gallery_dir, default_gallery):
    """val/madonna/1 against madonna's mean: with the sidebar just below that distance it is just out, and in the band."""
    import math

    from facedemo.gallery.album import Album
    from facedemo.people.matching import person_distance
    from tests.test_app_pages import move_threshold

    album = Album.from_parts(dict(zip(("train", "val"), default_gallery)))
    enrolled = [i for i, (s, label) in enumerate(zip(album.splits, album.labels)) if s == "train" and label == "madonna"]
    distance = person_distance(album.vectors[album.index("val/madonna/1")], album.vectors[enrolled], "mean")
    threshold = math.floor((distance - 0.002) * 100) / 100  # the slider's step is 0.01
    at = open_verify()
    page(at, "app_pages/recognise.py")
    at.selectbox(key="q").set_value("val/madonna/1")
    at.toggle(key="recognise_use_sidebar").set_value(True).run()
    move_threshold(at, threshold).run()
    with_settings(at, "l2", False)
    assert door(at) == "shut" and any("Not in the database." in v for v in texts(at.error)), (distance, threshold)
    with_settings(at, "cosine", True)
    assert door(at) == "shut" and not at.error
    assert any("Not sure: ask for another photo" in v for v in texts(at.warning))
    assert seen(at, "The threshold alone says: *Not in the database.*")


# --------------------------------------------------------------------------- where the band comes from


@pytest.fixture(scope="module")
def default_gallery(encoder, gallery_dir, train, val):
    """The gallery's train and val photos in the default recipe (the one the pages use)."""
    from facedemo.encoding.recipes import DEFAULT_RECIPE

    if DEFAULT_RECIPE == "aligned":
        return train, val
    from facedemo.gallery.labelled import encode_folder

    return tuple(encode_folder(gallery_dir / split, encoder, DEFAULT_RECIPE) for split in ("train", "val"))


def explorer_counts(at) -> tuple[int, int]:
    """The explorer's genuine and impostor pairs in the band (its two metrics, "x of n")."""
    counts = []
    for label in ("Genuine pairs in the band", "Impostor pairs in the band"):
        found = [m.value for m in at.metric if m.label == label]
        assert len(found) == 1, (label, [m.label for m in at.metric])
        counts.append(int(found[0].split(" of ")[0].replace(",", "")))
    return counts[0], counts[1]


def test_the_band_source_is_chosen_beside_the_toggle_and_the_explorer_follows_it(gallery_dir, default_gallery):
    import numpy as np

    from facedemo.analysis import metrics
    from facedemo.analysis.confidence import Confidence, band_for, reference_distances
    from facedemo.encoding.networks import default_threshold
    from facedemo.encoding.recipes import DEFAULT_RECIPE

    train, val = default_gallery
    fitted = Confidence.fit(*reference_distances(train.vectors, list(train.labels), comparison="pair"))
    every = metrics.pair_distances(np.concatenate([train.vectors, val.vectors]), list(train.labels) + list(val.labels))
    threshold = default_threshold(DEFAULT_RECIPE, "pair")
    expected = {source: (band_for(fitted, threshold, source).count(every.genuine),
                         band_for(fitted, threshold, source).count(every.impostor)) for source in ("far", "curve")}
    assert expected["far"] != expected["curve"]

    at = open_verify(a="val/madonna/1", b="train/madonna/1")
    with pytest.raises(KeyError):
        at.radio(key="unsure_band_source")  # two answers: nothing to choose
    with_settings(at, "l2", True)
    assert at.radio(key="unsure_band_source").value == "far"  # the default
    assert seen(at, "1 in 10,000 and 1 in 100 of the gallery's") and seen(at, "*none* was let in")
    assert door(at) == "open"
    page(at, "app_pages/threshold.py")
    assert explorer_counts(at) == expected["far"]

    page(at, "app_pages/verify.py")
    at.radio(key="unsure_band_source").set_value("curve").run()
    assert not at.exception, [e.value for e in at.exception]
    assert seen(at, "P(same person) falls from 90 % to 10 %") and door(at) == "open"
    page(at, "app_pages/threshold.py")
    assert explorer_counts(at) == expected["curve"]
    assert at.radio(key="unsure_band_source").value == "curve" and seen(at, "P(same person) falls from 90 % to 10 %")
    at.radio(key="unsure_band_source").set_value("far").run()  # switched on the explorer itself
    assert not at.exception, [e.value for e in at.exception]
    assert explorer_counts(at) == expected["far"] and seen(at, "1 in 10,000 and 1 in 100 of the gallery's")


def pair_in_every_band(train, val) -> tuple[str, str]:
    """A val × train photo pair whose distance lies in the band of every source, nearest the pair threshold.

    Chosen by the core, so the test follows the default recipe and thresholds as they change.
    """
    import numpy as np

    from facedemo.analysis import metrics
    from facedemo.analysis.confidence import (
        BAND_SOURCES,
        Confidence,
        band_for,
        reference_distances,
    )
    from facedemo.encoding.networks import default_threshold
    from facedemo.encoding.recipes import DEFAULT_RECIPE
    from facedemo.gallery.album import Album

    album = Album.from_parts({"train": train, "val": val})
    threshold = default_threshold(DEFAULT_RECIPE, "pair")
    fitted = Confidence.fit(*reference_distances(train.vectors, list(train.labels), comparison="pair"))
    bands = [band_for(fitted, threshold, source) for source in BAND_SOURCES]
    rows = {split: [i for i, s in enumerate(album.splits) if s == split] for split in ("val", "train")}
    d = metrics.distance_matrix(album.vectors[rows["val"]], album.vectors[rows["train"]])
    inside = np.logical_and.reduce([(b.low <= d) & (d < b.high) for b in bands])
    inside &= np.abs(d - threshold) > 0.005  # clear of rounding at the threshold itself
    assert inside.any(), "no gallery pair in every band"
    i, j = np.unravel_index(np.argmin(np.where(inside, np.abs(d - threshold), np.inf)), d.shape)
    return album.ids[rows["val"][i]], album.ids[rows["train"][j]]


@pytest.mark.parametrize("source", ["far", "curve"])
def test_a_pair_near_the_threshold_is_not_sure_from_either_source_and_keeps_its_door(gallery_dir, default_gallery,
                                                                                   source):
    a, b = pair_in_every_band(*default_gallery)
    at = open_verify(a=a, b=b)
    with_settings(at, "l2", False)
    before = door(at)
    words = SAME if before == "open" else DIFFERENT
    assert any(words in v for v in texts(at.success) + texts(at.error))
    with_settings(at, "l2", True)
    at.radio(key="unsure_band_source").set_value(source).run()
    assert any("Not sure: ask for another photo" in v for v in texts(at.warning)), (source, a, b)
    assert not at.success and not at.error
    assert door(at) == before and seen(at, f"The threshold alone says: *{words}*")
