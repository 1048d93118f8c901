"""The analysis pages (matrix, threshold, triplet, why, map) and a smoke test of every page, with AppTest.

Widgets are found by key and the assertions read what a user sees (titles, captions, metrics,
tables, messages). The model loads once per test process (``st.cache_resource``); the gallery's
encodings come from the disk cache in ``.cache/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from facedemo.encoding.networks import default_threshold
from tests.test_app_pages import metric, move_threshold, table
from ui.pages import PAGES, lessons

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def open_page(path: str, **query: str):
    """A fresh session on ``path`` (after one run of the router, as ``switch_page`` requires)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def percent(text: str) -> float:
    return float(text.rstrip("%"))


def tab(at, label: str):
    """The tab whose header reads ``label``."""
    found = [t for t in at.tabs if t.label == label]
    assert len(found) == 1, f"{len(found)} tabs {label!r}; seen {[t.label for t in at.tabs]}"
    return found[0]


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


# --- every page renders ------------------------------------------------------------------------
@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path or "home" for spec in PAGES])
def test_every_page_renders_its_title_without_an_error(spec, gallery_dir):
    at = open_page(spec.path)
    titles = [t.value for t in at.title]
    assert spec.heading in titles, titles
    assert not [e.value for e in at.error]


def test_the_registry_lists_every_page_script_once():
    scripts = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "app_pages").glob("*.py"))
    assert sorted(spec.path for spec in PAGES) == scripts
    for field in ("title", "url_path", "heading"):
        values = [getattr(spec, field) for spec in PAGES]
        assert len(set(values)) == len(values), f"two pages share a {field}: {values}"
    assert [spec.path for spec in PAGES if spec.is_start] == ["app_pages/home.py"]
    assert all(spec.title and spec.icon and spec.blurb and spec.heading for spec in PAGES)
    assert all(spec.url_path for spec in lessons()), "only the start page lives at /"


def test_the_start_page_links_every_lesson_with_its_blurb(gallery_dir):
    at = open_page("app_pages/home.py")
    assert [link.value for link in at.page_link] == [f"**{spec.title}** — {spec.blurb}" for spec in lessons()]


# --- distance matrix ---------------------------------------------------------------------------
def test_matrix_is_n_by_n_for_the_chosen_photos(gallery_dir):
    at = open_page("app_pages/matrix.py")
    chosen = at.multiselect(key="matrix_photos").value
    assert len(chosen) == 10  # default: two photos of each of five people
    assert "10 × 10 distances" in captions(at)
    assert table(at, "matrix_table").shape == (10, 10)

    at.multiselect(key="matrix_photos").set_value(["train/madonna/1", "train/madonna/2", "val/elton_john/1"])
    rerun(at)
    assert "3 × 3 distances" in captions(at)
    matrix = table(at, "matrix_table")
    assert matrix.shape == (3, 3)
    assert list(matrix.columns) == ["Madonna · train 1", "Madonna · train 2", "Elton John · val 1"]
    assert (matrix.to_numpy().diagonal() == 0).all()
    # the pair picker offers the 3 pairs and shows the first one side by side
    assert len(at.selectbox(key="matrix_pair").options) == 3
    assert float(metric(at, "Distance")) == pytest.approx(matrix.iloc[0, 1], abs=1e-3)


def test_matrix_restores_photos_from_the_url_and_marks_wrong_decisions(gallery_dir):
    at = open_page("app_pages/matrix.py", photos="train/madonna/1,val/elton_john/3,nobody/x/1")
    assert at.multiselect(key="matrix_photos").value == ["train/madonna/1", "val/elton_john/3"]
    assert "2 × 2 distances" in captions(at)
    assert "1 of 1 pairs decided as the names say" in captions(at)
    # a threshold of 2 accepts everyone: the pair of two different people becomes a false accept
    at.slider(key="threshold").set_value(2.0)
    rerun(at)
    assert "**1 wrong**" in captions(at)
    assert any("false accept" in e.value for e in at.error)


# --- threshold explorer ------------------------------------------------------------------------
def test_raising_the_threshold_raises_tar_and_far(gallery_dir):
    at = open_page("app_pages/threshold.py")
    move_threshold(at, 0.9)
    low_tar, low_far = percent(metric(at, "TAR (true accept rate)")), percent(metric(at, "FAR (false accept rate)"))
    low_false_accepts = int(metric(at, "False accepts").replace(",", ""))
    move_threshold(at, 1.3)
    high_tar, high_far = percent(metric(at, "TAR (true accept rate)")), percent(metric(at, "FAR (false accept rate)"))
    assert high_tar > low_tar
    assert high_far > low_far
    assert int(metric(at, "False accepts").replace(",", "")) > low_false_accepts
    rerun(at)  # a threshold move redrew its views only; the whole page, as the browser keeps it
    assert float(metric(at, "AUC")) > 0.98  # aligned recipe on the gallery
    # the multiple-comparison lesson: the pair threshold lets some "nearest" impostor checks in
    people = table(at, "threshold_people_table")
    nearest = people[people["compared with"].str.contains("nearest")].iloc[0]
    assert nearest[f"let in (pair threshold {default_threshold('aligned', 'pair'):.2f})"] > 0
    assert nearest["let in (own threshold)"] == 0


def test_threshold_explorer_on_val_only(gallery_dir):
    at = open_page("app_pages/threshold.py")
    at.radio(key="threshold_set").set_value("val")
    rerun(at)
    assert "25 photos of 5 people" in captions(at)


# --- triplet-loss playground -------------------------------------------------------------------
def test_playground_default_shows_the_notebook_total(gallery_dir):
    at = open_page("app_pages/triplet.py")
    assert metric(at, "Total loss") == "527.2598"
    assert any("527.2598" in s.value for s in at.success)
    terms = table(at, "triplet_terms")
    assert terms.shape[0] == 3
    assert terms["clipped"].sum() == pytest.approx(527.2598, abs=1e-2)

    at.number_input(key="triplet_seed").set_value(2)
    rerun(at)
    assert metric(at, "Total loss") != "527.2598"


def test_playground_chosen_photos_and_toy(gallery_dir):
    at = open_page("app_pages/triplet.py", photos="train/madonna/1,val/madonna/1,train/mindy_kaling/1")
    assert at.selectbox(key="triplet_positive").value == "val/madonna/1"
    assert not at.warning
    at.selectbox(key="triplet_negative").set_value("train/madonna/3")
    rerun(at)
    assert any("not a valid triplet" in w.value for w in at.warning)
    # the toy: putting N on top of A makes the triplet hard and the loss ||A-P||^2 + alpha
    at.slider(key="triplet_toy_nx").set_value(0.0)
    at.slider(key="triplet_toy_ny").set_value(0.0)
    rerun(at)
    toy = tab(at, "2-D toy")
    assert float(metric(toy, "Toy loss")) == pytest.approx(0.6**2 + 0.2**2 + 0.2, abs=1e-3)
    assert any(m.value.startswith("**hard**: the negative is at least as close") for m in toy.markdown)
    mining = tab(at, "Mining the gallery")
    counts = [int(metric(mining, name).replace(",", "")) for name in ("Easy", "Semi-hard", "Hard")]
    assert sum(counts) > 100_000 and counts[0] > counts[1]


# --- why learn an encoding ---------------------------------------------------------------------
def test_why_shows_both_distances_for_a_linked_pair(gallery_dir):
    at = open_page("app_pages/why.py", photos="train/madonna/1,train/elton_john/1")
    assert metric(at, "Truth") == "different people"
    assert float(metric(at, "Pixel distance")) > 10
    assert float(metric(at, "FaceNet distance")) > 1.0
    examples = table(at, "why_examples")
    assert examples["same person"].any() and (~examples["same person"]).any()
    enrolment = table(at, "why_enrolment").set_index("compared")
    assert enrolment.loc["photo vs the person's mean encoding", "AUC"] >= enrolment.loc["one photo vs one photo", "AUC"]


# --- embedding map -----------------------------------------------------------------------------
def test_map_lists_the_nearest_neighbours_of_the_chosen_photo(gallery_dir):
    at = open_page("app_pages/embedding_map.py", photos="val/madonna/2")
    assert at.selectbox(key="map_point").value == "val/madonna/2"
    neighbours = table(at, "map_neighbours")
    assert len(neighbours) == 5
    assert neighbours["person"].iloc[0] == "Madonna"
    assert neighbours["distance"].is_monotonic_increasing
    at.slider(key="map_k").set_value(9)
    rerun(at)
    assert len(table(at, "map_neighbours")) == 9


def test_the_explorer_says_how_each_default_was_set_and_what_1_to_k_does(gallery_dir):
    from facedemo.encoding.networks import get_network
    from facedemo.encoding.thresholds import one_of_k_threshold

    at = open_page("app_pages/threshold.py")
    policy = table(at, "threshold_policy_table")
    network = get_network("facenet")
    assert list(policy["default"]) == [f"{network.threshold('aligned', c):.2f}" for c in ("pair", "mean", "nearest")]
    assert all(policy["set by"].str.startswith("FAR 0.001 on train, margin "))
    record = network.calibrated("aligned", "pair")
    assert policy["val FAR"].iloc[0] == f"{record.val_far:.2%} of {record.val_impostors:,}"
    k = table(at, "threshold_one_of_k_table")
    tail, default = network.calibrated("aligned", "mean").tail, network.threshold("aligned", "mean")
    assert list(k["1:K threshold"]) == [f"{one_of_k_threshold(default, tail, n):.2f}" for n in k["people enrolled (K)"]]
    assert float(k["1:K threshold"].iloc[-1]) < default  # a hundred people: lowered
