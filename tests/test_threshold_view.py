"""A threshold move redraws only what depends on the threshold (``ui.threshold_view``), and nothing goes stale.

Real gallery photos through the real model, with AppTest. After a move, AppTest holds just what was
redrawn: the page's threshold views. Each test compares that with a full run at the same threshold.
"""

from __future__ import annotations

import pytest

from tests.test_app_analysis import open_page
from tests.test_app_pages import DIFFERENT, SAME, move_threshold, open_verify, texts

KINDS = ("success", "error", "warning", "info", "markdown", "caption", "subheader")


def shown(at) -> list[str]:
    """Every sentence and figure on the page's main area: alerts, text, captions, headings, metrics."""
    words = [value for kind in KINDS for value in texts(getattr(at.main, kind))]
    return words + [f"{m.label}: {m.value}" for m in at.main.metric]


def mentioning(values: list[str], threshold: float) -> set[str]:
    return {value for value in values if f"{threshold:.2f}" in value}


@pytest.mark.parametrize("where, open_it", [
    ("verify", lambda: open_verify(a="val/madonna/1", b="train/madonna/1")),
    ("threshold", lambda: open_page("app_pages/threshold.py")),
])
def test_a_threshold_move_redraws_every_part_that_shows_it_and_nothing_else(gallery_dir, where, open_it):
    at = open_it()
    widgets_before = len(at.main.selectbox) + len(at.main.radio)
    assert widgets_before > 0

    move_threshold(at, 0.93)
    redrawn = shown(at)
    assert len(at.main.selectbox) + len(at.main.radio) == 0, "the photo pickers and radios were not redrawn"
    assert mentioning(redrawn, 0.93), "the redrawn part shows the new threshold"
    assert at.query_params["threshold"] == "0.93", "the bookmark follows the slider"

    at.run()  # the whole page at 0.93: everything that names 0.93 was in the redrawn part
    assert not at.exception
    assert mentioning(shown(at), 0.93) <= set(redrawn)
    assert len(at.main.selectbox) + len(at.main.radio) == widgets_before


def test_verify_flips_the_verdict_both_ways_with_the_threshold_alone(gallery_dir):
    at = open_verify(a="val/madonna/1", b="train/madonna/1")
    assert any(SAME in v for v in texts(at.success))
    move_threshold(at, 0.2)
    assert any(DIFFERENT in v for v in texts(at.error)) and not at.success
    move_threshold(at, 1.5)
    assert any(SAME in v for v in texts(at.success)) and not at.error


def test_a_page_without_threshold_views_reruns_whole(gallery_dir):
    """The distance matrix has none; a stale view of the Verify page visited before is never replayed."""
    at = open_verify(a="val/madonna/1", b="train/elton_john/2")
    at.switch_page("app_pages/matrix.py").run()
    move_threshold(at, 0.5)
    assert at.multiselect(key="matrix_photos").value, "the whole matrix page ran again"
    assert not any("door" in v for v in texts(at.error) + texts(at.success))


def test_after_a_page_that_stopped_early_a_move_reruns_that_page_not_a_view_of_the_one_before(gallery_dir):
    """The matrix with one photo stops early (``st.stop``): its run never finished, so a move reruns it whole."""
    at = open_verify(a="val/madonna/1", b="train/madonna/1")
    at.query_params["photos"] = "train/madonna/1"  # a bookmark of the matrix with one photo
    at.switch_page("app_pages/matrix.py").run()
    assert any("Pick at least two photos" in v for v in texts(at.info))
    move_threshold(at, 0.4)
    assert any("Pick at least two photos" in v for v in texts(at.info)), "the matrix page ran again"
    assert not any("door" in v for v in texts(at.error) + texts(at.success)), "no view of Verify was replayed"
