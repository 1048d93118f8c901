"""facedemo.analysis.confidence: P(same person | distance) and a threshold's errors; the "How sure is it?" part.

Pure maths on synthetic distances (hand cases, a brute-force oracle, invariants, degenerate input),
then the real gallery through the real model, then the Verify and Recognise pages with AppTest.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from facedemo.analysis import metrics
from facedemo.analysis.confidence import Confidence, how_sure, reference_distances, with_prior
from facedemo.analysis.metrics import UndefinedMetricWarning
from tests.test_app_analysis import open_page

GRID = np.linspace(0.0, 2.0, 401)


def random_distances(seed=0, n_genuine=60, n_impostor=200, decimals=None):
    rng = np.random.default_rng(seed)
    genuine, impostor = rng.normal(0.8, 0.25, n_genuine), rng.normal(1.3, 0.25, n_impostor)
    if decimals is not None:  # ties within and across the two kinds
        genuine, impostor = genuine.round(decimals), impostor.round(decimals)
    return genuine, impostor


def non_increasing_oracle(values, weights):
    """Weighted antitonic least squares by its min-max formula: f_i = min_{j<=i} max_{k>=i} mean(j..k)."""
    n = len(values)
    mean = lambda j, k: np.dot(values[j:k + 1], weights[j:k + 1]) / weights[j:k + 1].sum()  # noqa: E731
    return np.array([min(max(mean(j, k) for k in range(i, n)) for j in range(i + 1)) for i in range(n)])


# --------------------------------------------------------------------------- hand cases


def test_hand_case_without_pseudo_pairs():
    # weights 1/2 per genuine, 1/4 per impostor; 0.5 (impostor) and 0.7 (genuine) violate the order
    # and pool: (1/2) / (1/2 + 1/4) = 2/3, the share of "same" at equal odds in that step
    fitted = Confidence.fit([0.2, 0.7], [0.5, 0.9, 1.0, 1.1], pseudo_pairs=0)
    np.testing.assert_allclose(fitted.p_same([0.2, 0.5, 0.7, 0.9, 1.1]), [1, 2 / 3, 2 / 3, 0, 0])
    assert fitted.p_same(0.35) == pytest.approx(5 / 6)  # linear between the steps
    assert fitted.p_same(-1.0) == 1.0 and fitted.p_same(5.0) == 0.0  # constant beyond the data


def test_pseudo_pairs_keep_a_tiny_gallery_from_certainty():
    # impostor pseudo pair at 0 and genuine pseudo pair at 2, each weighing one pair of its kind
    fitted = Confidence.fit([0.2, 0.4], [0.6, 0.8])
    assert fitted.p_same(0.3) == pytest.approx(2 / 3)
    assert fitted.p_same(1.0) == pytest.approx(1 / 3)
    separated = Confidence.fit([0.2, 0.4], [0.6, 0.8], pseudo_pairs=0)
    assert separated.p_same(0.3) == 1.0 and separated.p_same(1.0) == 0.0


def test_equal_distances_of_both_kinds_are_a_coin_toss():
    fitted = Confidence.fit([0.5, 0.5], [0.5], pseudo_pairs=0)
    assert fitted.p_same(0.5) == pytest.approx(0.5)  # equal odds: counts of each kind do not matter


def test_with_prior_is_bayes_on_the_odds():
    assert with_prior(0.5, 0.1) == pytest.approx(0.1)  # a distance that says nothing leaves the prior
    assert with_prior(0.9, 0.1) == pytest.approx(0.5)  # likelihood ratio 9 against odds 1:9
    assert with_prior(0.9, 0.5) == pytest.approx(0.9)
    np.testing.assert_array_equal(with_prior([0.0, 1.0], 0.3), [0.0, 1.0])


# --------------------------------------------------------------------------- invariants and oracle


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("decimals", [None, 1])
@pytest.mark.parametrize("prior", [0.5, 0.05, 0.9])
def test_monotone_and_strictly_between_0_and_1(seed, decimals, prior):
    fitted = Confidence.fit(*random_distances(seed, decimals=decimals))
    p = fitted.p_same(GRID, prior=prior)
    assert p.shape == GRID.shape
    assert np.all(np.diff(p) <= 1e-12), "a larger distance must never be more likely the same person"
    assert np.all((p > 0) & (p < 1))
    assert np.all(np.diff(fitted.knots) > 0) and np.all(np.diff(fitted.p_knots) <= 1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_fit_matches_the_brute_force_antitonic_regression(seed):
    genuine, impostor = random_distances(seed, n_genuine=9, n_impostor=14)
    fitted = Confidence.fit(genuine, impostor, pseudo_pairs=0)
    order = np.argsort(np.concatenate([genuine, impostor]))
    labels = np.concatenate([np.ones(9), np.zeros(14)])[order]
    weights = np.concatenate([np.full(9, 1 / 9), np.full(14, 1 / 14)])[order]
    np.testing.assert_allclose(fitted.p_knots, non_increasing_oracle(labels, weights), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_tied_distances_are_pooled_then_fitted_like_the_oracle(seed):
    # scikit-learn pools equal distances (their weighted share of genuine) before fitting; check it by hand,
    # pseudo pairs included (an impostor at 0 and a genuine pair at 2, each weighing one pair of its kind)
    genuine, impostor = random_distances(seed, n_genuine=12, n_impostor=30, decimals=1)
    fitted = Confidence.fit(genuine, impostor)
    distances = np.concatenate([genuine, impostor, [0.0, 2.0]])
    labels = np.concatenate([np.ones(12), np.zeros(30), [0.0, 1.0]])
    weights = np.concatenate([np.full(12, 1 / 13), np.full(30, 1 / 31), [1 / 31, 1 / 13]])
    knots = np.unique(distances)
    pooled_weight = np.array([weights[distances == k].sum() for k in knots])
    pooled_share = np.array([np.dot(labels, weights * (distances == k)) for k in knots]) / pooled_weight
    assert knots.size < distances.size  # there are ties to pool
    np.testing.assert_array_equal(fitted.knots, knots)
    np.testing.assert_allclose(fitted.p_knots, non_increasing_oracle(pooled_share, pooled_weight), atol=1e-12)


def test_another_prior_moves_every_estimate_the_same_way():
    fitted = Confidence.fit(*random_distances(1))
    even, rare, common = (fitted.p_same(GRID, prior=q) for q in (0.5, 0.1, 0.9))
    assert np.all(rare < even) and np.all(even < common)
    np.testing.assert_allclose(fitted.p_same(GRID), even)  # the default is equal odds


def test_rates_are_the_metrics_rates():
    genuine, impostor = random_distances(2)
    fitted = Confidence.fit(genuine, impostor)
    expected = metrics.rates_at(1.05, genuine, impostor)
    assert fitted.rates(1.05) == expected
    report = how_sure(fitted, 0.9, 1.05)
    assert (report.far, report.frr) == (expected.far, pytest.approx(expected.frr))
    assert (report.false_accepts, report.false_rejects) == (expected.false_accepts, expected.false_rejects)
    assert (report.n_genuine, report.n_impostor, report.prior) == (60, 200, 0.5)
    assert report.p_same == pytest.approx(fitted.p_same(0.9))


# --------------------------------------------------------------------------- degenerate and bad input


@pytest.mark.parametrize(("genuine", "impostor", "missing"), [
    ([], [0.9, 1.2], "no genuine"), ([0.3, 0.5], [], "no impostor"), ([], [], "no genuine and no impostor"),
])
def test_one_kind_missing_warns_and_gives_nan(genuine, impostor, missing):
    with pytest.warns(UndefinedMetricWarning, match=missing):
        fitted = Confidence.fit(genuine, impostor)
    assert not fitted.defined
    assert np.isnan(fitted.p_same(0.5))
    assert np.isnan(fitted.p_same([0.1, 0.9])).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the report does not warn a second time
        report = how_sure(fitted, 0.5, 1.0)
    assert np.isnan(report.p_same)


@pytest.mark.parametrize("prior", [0.0, 1.0, 1.5, -0.2, float("nan")])
def test_a_prior_that_is_not_a_probability_is_refused(prior):
    fitted = Confidence.fit(*random_distances(0))
    with pytest.raises(ValueError, match="prior must be a probability strictly between 0 and 1"):
        fitted.p_same(0.8, prior=prior)


def test_malformed_input_is_refused_with_its_name():
    with pytest.raises(ValueError, match="genuine must be a 1-D array"):
        Confidence.fit([[0.1, 0.2]], [0.9])
    with pytest.raises(ValueError, match="impostor contains NaN"):
        Confidence.fit([0.1], [0.9, float("nan")])
    with pytest.raises(ValueError, match="pseudo_pairs must be 0 or more"):
        Confidence.fit([0.1], [0.9], pseudo_pairs=-1)
    fitted = Confidence.fit([0.1], [0.9])
    with pytest.raises(ValueError, match="distance contains NaN"):
        fitted.p_same([0.5, float("nan")])
    with pytest.raises(ValueError, match="distance must be a number"):
        how_sure(fitted, float("nan"), 1.0)
    with pytest.raises(ValueError, match="comparison must be 'pair', 'mean' or 'nearest'"):
        reference_distances(np.eye(3), ["a", "b", "a"], comparison="best")


# --------------------------------------------------------------------------- the real gallery


@pytest.fixture(scope="module")
def gallery(train, val):
    """Every gallery photo (train + val), as the app fits the estimate."""
    return np.concatenate([train.vectors, val.vectors]), list(train.labels) + list(val.labels)


@pytest.mark.parametrize("comparison", ["pair", "mean", "nearest"])
def test_real_gallery_is_sure_at_genuine_distances_and_not_at_impostor_ones(gallery, comparison):
    genuine, impostor = reference_distances(*gallery, comparison=comparison)
    fitted = Confidence.fit(genuine, impostor)
    assert fitted.p_same(0.8) > 0.99  # a typical genuine distance
    assert fitted.p_same(1.4) < 0.02  # a typical impostor distance
    assert fitted.p_same(float(np.median(genuine))) > 0.99
    assert fitted.p_same(float(np.median(impostor))) < 0.02
    assert np.all(np.diff(fitted.p_same(GRID)) <= 1e-12)
    assert fitted.p_same(0.8, prior=0.1) < fitted.p_same(0.8)


def test_real_gallery_sizes_match_what_is_compared(gallery):
    vectors, labels = gallery
    n, people = len(labels), len(set(labels))
    pair_g, pair_i = reference_distances(vectors, labels, comparison="pair")
    assert pair_g.size + pair_i.size == n * (n - 1) // 2
    mean_g, mean_i = reference_distances(vectors, labels, comparison="mean")
    assert (mean_g.size, mean_i.size) == (n, n * (people - 1))


def test_real_far_at_the_pair_threshold_matches_metrics(train):
    pairs = metrics.pair_distances(train.vectors, train.labels)
    fitted = Confidence.fit(*reference_distances(train.vectors, train.labels, comparison="pair"))
    expected = metrics.rates_at(1.18, pairs.genuine, pairs.impostor)
    report = how_sure(fitted, 0.8, 1.18)
    assert report.far == expected.far and report.false_accepts == expected.false_accepts
    assert report.frr == pytest.approx(expected.frr)
    assert 0 < report.far < 0.02 and report.frr < 0.1  # the calibration's train accuracy was 98.4 %


def test_a_real_pair_of_one_person_and_of_two_people(gallery, encoder, photo):
    fitted = Confidence.fit(*reference_distances(*gallery, comparison="pair"))
    madonna, again, elton = (encoder.encode(photo(*where)).vector
                             for where in (("val", "madonna", 0), ("train", "madonna", 1), ("train", "elton_john", 0)))
    same, other = np.linalg.norm(madonna - again), np.linalg.norm(madonna - elton)
    assert fitted.p_same(same) > 0.9 > 0.1 > fitted.p_same(other)


# --------------------------------------------------------------------------- the pages

SURE = re.compile(r"At distance \*\*\d\.\d\d\*\* between .+?, \*\*(about|over|under) \d+(\.\d)? %\*\* of the gallery's")
RATE = r"(none|\d+(\.\d+)? %) \([\d,]+ of (?P<{}>[\d,]+)\)"
ERRORS = re.compile(r"This threshold \(\*\*(?P<threshold>\d\.\d\d)\*\*\) lets in \*\*" + RATE.format("impostors")
                    + r"\*\* of the impostor ones and turns away \*\*" + RATE.format("genuine") + r"\*\*")


def how_sure_text(at) -> str:
    found = [m.value for m in at.markdown if SURE.search(m.value)]
    assert any("How sure is it?" in m.value for m in at.markdown), "the part's heading is missing"
    assert len(found) == 1, [m.value for m in at.markdown]
    return found[0]


def test_verify_two_photos_says_how_sure_without_measuring_the_gallery_again(gallery_dir):
    from facedemo.analysis import confidence as core
    from ui import confidence_view

    at = open_page("app_pages/verify.py", a="val/madonna/1", b="train/madonna/2")
    confidence_view.gallery_confidence.clear()
    calls = []
    original = core.reference_distances
    core.reference_distances = lambda *a, **k: calls.append(k) or original(*a, **k)
    try:
        at.run()
        text = how_sure_text(at)
        assert "the two photos" in text and "over 99.9 %" in text
        assert "*equal odds assumed*" in text
        errors = ERRORS.search(text)
        assert errors and errors["threshold"] == "1.18" and errors["impostors"] == "5,549"  # all 118 photos' impostor pairs
        assert any("if only 1 in 10 were genuine" in c.value and "lighting, pose" in c.value for c in at.caption)
        assert calls == [{"comparison": "pair"}]
        at.slider(key="threshold").set_value(0.9).run()
        assert ERRORS.search(how_sure_text(at))["threshold"] == "0.90"
        assert calls == [{"comparison": "pair"}], "a threshold move must not measure the gallery again"
    finally:
        core.reference_distances = original


def test_verify_two_people_is_not_sure(gallery_dir):
    at = open_page("app_pages/verify.py", a="val/madonna/1", b="train/elton_john/1")
    assert "under 0.1 %" in how_sure_text(at) or "about 0." in how_sure_text(at)


def test_verify_id_card_uses_the_photo_to_person_distances(gallery_dir):
    at = open_page("app_pages/verify.py", a="val/elton_john/2", claim="elton_john")
    text = how_sure_text(at)
    assert "the photo and elton_john" in text and "photo-to-person distances" in text
    errors = ERRORS.search(text)
    assert errors and errors["threshold"] == "1.17" and errors["impostors"] == "472"  # 118 photos × 4 other people
    assert "lets in **none (0 of 472)**" in text  # said as counted, not as a certainty


def test_recognise_says_how_sure_and_counts_the_tries(gallery_dir):
    at = open_page("app_pages/recognise.py", q="val/mindy_kaling/1")
    text = how_sure_text(at)
    assert "the photo and mindy_kaling" in text and re.search(r"\*\*(over|about) 99(\.\d)? %\*\*", text)
    assert ERRORS.search(text)["threshold"] == "1.17"
    assert any("compared with all **5** people" in m.value and "5 chances instead of one" in m.value
               for m in at.markdown)
