"""facedemo.analysis.confidence: P(same person | distance) and a threshold's errors; the "How sure is it?" part.

Pure maths on synthetic distances (hand cases, a brute-force oracle, invariants, degenerate input),
the cap where impostors live, the Jeffreys intervals and the held-out check, then the real gallery
through the real model (fitted on train as the app does: it must not overclaim at 1.19), then the
Verify and Recognise pages with AppTest.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy.stats import beta

from facedemo.analysis import metrics
from facedemo.analysis.confidence import (
    MIN_PAIRS,
    Confidence,
    check,
    held_out_distances,
    how_sure,
    reference_distances,
    with_prior,
)
from facedemo.analysis.metrics import UndefinedMetricWarning
from facedemo.encoding.networks import default_threshold
from facedemo.encoding.recipes import DEFAULT_RECIPE
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
    mean = lambda j, k: np.dot(values[j:k + 1], weights[j:k + 1]) / weights[j:k + 1].sum()
    return np.array([min(max(mean(j, k) for k in range(i, n)) for j in range(i + 1)) for i in range(n)])


# --------------------------------------------------------------------------- hand cases


def test_hand_case_without_pseudo_pairs():
    # weights 1/2 per genuine, 1/4 per impostor; 0.5 (impostor) and 0.7 (genuine) violate the order
    # and pool: (1/2) / (1/2 + 1/4) = 2/3, the share of "same" at equal odds in that step
    fitted = Confidence.fit([0.2, 0.7], [0.5, 0.9, 1.0, 1.1], pseudo_pairs=0)
    np.testing.assert_allclose(fitted.p_fitted([0.2, 0.5, 0.7, 0.9, 1.1]), [1, 2 / 3, 2 / 3, 0, 0])
    assert fitted.p_fitted(0.35) == pytest.approx(5 / 6)  # linear between the steps
    assert fitted.p_fitted(-1.0) == 1.0 and fitted.p_fitted(5.0) == 0.0  # constant beyond the data
    # below the first impostor (0.5) the estimate is the fit; from it on, at the gallery's mix (2 genuine in 6)
    assert fitted.p_same(0.35) == pytest.approx(5 / 6)
    # step (0.5, 0.7): 1 genuine, 1 impostor: at equal odds 2/3, at the gallery's 1 in 3 exactly the share seen, 1/2
    np.testing.assert_allclose(fitted.p_same([0.5, 0.7, 0.9]), [1 / 2, 1 / 2, 0])
    assert fitted.p_same(0.5) == pytest.approx(with_prior(2 / 3, 1 / 3))


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
    assert fitted.gallery_share == pytest.approx(60 / 260)
    assert np.all(rare < even) and np.all(even <= common)  # 0.1 is below the gallery's share of genuine pairs
    clear = GRID < fitted.impostors_from
    assert clear.any() and np.all(even[clear] < common[clear])
    np.testing.assert_allclose(even[~clear], common[~clear])  # where impostors live, both capped at the gallery's mix
    np.testing.assert_allclose(fitted.p_same(GRID), even)  # the default is equal odds


# --------------------------------------------------------------------------- the cap where impostors live


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("prior", [0.5, 0.9, 0.05])
def test_where_impostors_live_the_estimate_is_the_fit_at_the_gallery_mix_or_less(seed, prior):
    genuine, impostor = random_distances(seed)
    fitted = Confidence.fit(genuine, impostor)
    assert fitted.impostors_from == impostor.min()
    p = fitted.p_same(GRID, prior=prior)
    used = np.asarray(fitted.prior_at(GRID, prior))
    np.testing.assert_array_equal(used, np.where(GRID >= impostor.min(), min(prior, 60 / 260), prior))
    expected = [with_prior(f, q) for f, q in zip(fitted.p_fitted(GRID), used)]
    np.testing.assert_allclose(p, expected, atol=1e-12)
    assert np.all(p <= with_prior(fitted.p_fitted(GRID), prior) + 1e-12)  # the cap only lowers it
    assert np.all(np.diff(p) <= 1e-12)  # still monotone, the step down at the first impostor included


def test_the_stated_estimate_is_at_most_the_share_of_genuine_pairs_in_its_step():
    # a genuine tail among impostors: equal odds would say 2/3 the same where only half the pairs were
    genuine = np.r_[np.linspace(0.3, 0.9, 40), [1.15, 1.2, 1.25, 1.3]]
    impostor = np.r_[[1.12, 1.18, 1.22, 1.28], np.linspace(1.35, 1.7, 120)]
    fitted = Confidence.fit(genuine, impostor, pseudo_pairs=0)
    start, end, g, k = fitted.steps
    assert g.sum() == genuine.size and k.sum() == impostor.size  # every pair in exactly one step
    for a, b, gs, ks in zip(start, end, g, k):
        if ks:
            for d in np.linspace(a, b, 5):
                assert fitted.p_same(d) <= gs / (gs + ks) + 1e-12
    assert fitted.p_fitted(1.2) > 0.6 and fitted.p_same(1.2) <= 0.5


# --------------------------------------------------------------------------- how many pairs stand behind it


def jeffreys(g, k, level=0.95):
    tail = (1 - level) / 2
    return (0.0 if g == 0 else beta.ppf(tail, g + 0.5, k + 0.5)), (1.0 if k == 0 else beta.ppf(1 - tail, g + 0.5, k + 0.5))


def test_support_counts_the_step_and_gives_its_jeffreys_interval():
    genuine = np.r_[np.linspace(0.3, 0.9, 40), [1.15, 1.2, 1.25, 1.3]]
    impostor = np.r_[[1.12, 1.18, 1.22, 1.28], np.linspace(1.35, 1.7, 120)]
    fitted = Confidence.fit(genuine, impostor, pseudo_pairs=0)
    near = fitted.support(1.2)
    assert near.start <= 1.2 <= near.end and (near.genuine, near.impostor) == (4, 4)
    low, high = jeffreys(4, 4)  # at the gallery's mix (the cap), the share seen: no re-weighting
    assert (near.low, near.high) == (pytest.approx(low), pytest.approx(high))
    assert near.low <= fitted.p_same(1.2) <= near.high and not near.enough  # 8 pairs: too few
    assert fitted.verdict(1.2) == "too few"
    clear = fitted.support(0.6)
    assert (clear.genuine, clear.impostor) == (40, 0) and clear.enough and clear.high == 1.0
    even_low = with_prior(with_prior(jeffreys(40, 0)[0], 1 - fitted.gallery_share), 0.5)  # to equal odds
    assert clear.low == pytest.approx(even_low) and clear.low > 0.9
    assert fitted.verdict(0.6) == "same" and fitted.verdict(1.6) == "different"
    far = fitted.support(1.9)  # beyond the data: the outermost step
    assert far.impostor == 120 - np.count_nonzero(impostor[4:] < far.start)


def test_a_wide_gap_between_steps_has_no_pairs_behind_it():
    fitted = Confidence.fit(np.linspace(0.3, 0.6, 30), np.linspace(1.2, 1.5, 30), pseudo_pairs=0)
    gap = fitted.support(0.9)
    assert gap.pairs == 0 and not gap.enough and fitted.verdict(0.9) == "too few"
    assert fitted.verdict(0.45) == "same" and fitted.verdict(1.35) == "different"


@pytest.mark.parametrize("seed", range(3))
def test_the_interval_holds_the_estimate_and_a_verdict_is_always_given(seed):
    fitted = Confidence.fit(*random_distances(seed, n_genuine=200, n_impostor=600))
    for d in np.linspace(0.0, 2.0, 81):
        near = fitted.support(d)
        if near.pairs:
            assert near.low - 1e-9 <= fitted.p_same(d) <= near.high + 1e-9, d
        verdict = fitted.verdict(d)
        assert verdict in ("same", "either", "different", "too few")
        assert verdict == "too few" or near.pairs >= MIN_PAIRS
        if verdict == "same":
            assert fitted.p_same(d) >= 0.9 and near.low >= 0.5
        if verdict == "different":
            assert fitted.p_same(d) <= 0.1 and near.high <= 0.5


# --------------------------------------------------------------------------- the held-out check


def test_check_by_hand():
    fitted = Confidence.fit([0.2, 0.7], [0.5, 0.9, 1.0, 1.1], pseudo_pairs=0)
    # stated: 0.2 → 1, 0.6 → 1/2 (the step, capped), 1.0 → 0; labels 1, 0, 0
    result = check(fitted, [0.2], [0.6, 1.0])
    assert (result.n_genuine, result.n_impostor) == (1, 2)
    assert result.brier == pytest.approx((0 + 0.25 + 0) / 3)
    assert result.brier_constant == pytest.approx(1 / 3 * 2 / 3)
    assert [b.pairs for b in result.bins] == [1, 1, 0, 1]  # [0, 0.1), [0.1, 0.5), [0.5, 0.9), [0.9, 1]
    assert result.bins[-1].observed == 1.0 and result.bins[0].observed == 0.0
    assert result.bins[1].stated == pytest.approx(0.5) and result.bins[2].pairs == 0
    assert [b.pairs for b in check(fitted, [0.2], [0.6, 1.0], edges=(0.0, 0.4, 0.6, 1.0)).bins] == [1, 1, 1]
    with pytest.raises(ValueError, match="edges must increase from 0 to 1"):
        check(fitted, [0.2], [0.6], edges=(0.0, 0.5))
    with pytest.warns(UndefinedMetricWarning):
        empty = Confidence.fit([], [1.0])
    assert np.isnan(check(empty, [0.2], [0.6]).brier)


def test_held_out_distances_compare_as_the_page_does():
    rng = np.random.default_rng(3)
    train = rng.normal(size=(6, 4))
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    val = rng.normal(size=(3, 4))
    val /= np.linalg.norm(val, axis=1, keepdims=True)
    train_labels, val_labels = ["a", "a", "b", "b", "c", "c"], ["a", "b", "z"]
    genuine, impostor = held_out_distances(val, val_labels, train, train_labels, comparison="pair")
    assert (genuine.size, impostor.size) == (4, 14)
    np.testing.assert_allclose(np.sort(genuine), np.sort([np.linalg.norm(val[0] - train[i]) for i in (0, 1)]
                                                         + [np.linalg.norm(val[1] - train[i]) for i in (2, 3)]), rtol=1e-6)
    genuine, impostor = held_out_distances(val, val_labels, train, train_labels, comparison="mean")
    assert (genuine.size, impostor.size) == (2, 7)
    with pytest.raises(ValueError, match="comparison must be"):
        held_out_distances(val, val_labels, train, train_labels, comparison="best")


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
    threshold = default_threshold("aligned", "pair")
    pairs = metrics.pair_distances(train.vectors, train.labels)
    fitted = Confidence.fit(*reference_distances(train.vectors, train.labels, comparison="pair"))
    expected = metrics.rates_at(threshold, pairs.genuine, pairs.impostor)
    report = how_sure(fitted, 0.8, threshold)
    assert report.far == expected.far and report.false_accepts == expected.false_accepts
    assert report.frr == pytest.approx(expected.frr)
    assert report.far < 0.02  # a calibrated threshold lets few train impostors in


def test_a_real_pair_of_one_person_and_of_two_people(gallery, encoder, photo):
    fitted = Confidence.fit(*reference_distances(*gallery, comparison="pair"))
    madonna, again, elton = (encoder.encode(photo(*where)).vector
                             for where in (("val", "madonna", 0), ("train", "madonna", 1), ("train", "elton_john", 0)))
    same, other = np.linalg.norm(madonna - again), np.linalg.norm(madonna - elton)
    assert fitted.p_same(same) > 0.9
    assert fitted.p_same(other) < 0.1


# --------------------------------------------------------------------------- fitted on train, as the app does


@pytest.fixture(scope="module")
def default_split(encoder, gallery_dir, train, val):
    """The gallery's train and val photos in the default recipe (the one the pages use)."""
    if DEFAULT_RECIPE == "aligned":
        return train, val
    from facedemo.gallery.labelled import encode_folder

    return tuple(encode_folder(gallery_dir / split, encoder, DEFAULT_RECIPE) for split in ("train", "val"))


def say(fitted, distance, kind="pair"):
    """The sentence the page shows for ``distance`` (ui.confidence_view's own words)."""
    from ui import confidence_view

    report = how_sure(fitted, distance, default_threshold(DEFAULT_RECIPE, kind))
    return report, confidence_view.estimate_words(report, confidence_view.UNITS[kind])


def test_a_stranger_at_1_19_does_not_read_as_probably_the_same(default_split):
    """Issue 14: a woman not in the gallery at 1.19 from Madonna · train 1 read as "about 77 %", "probably the same"."""
    train, _ = default_split
    genuine, impostor = reference_distances(train.vectors, list(train.labels), comparison="pair")
    fitted = Confidence.fit(genuine, impostor)
    assert impostor.min() < 1.19  # train impostors live at 1.19
    report, words = say(fitted, 1.19)
    assert report.verdict in ("either", "too few", "different"), words
    assert not re.search(r"(probably|likely) the same", words), words
    in_step = fitted.support(1.19)
    assert report.p_same <= max(0.5, in_step.genuine / max(in_step.pairs, 1)) + 1e-9  # no more than the pairs there
    report, words = say(fitted, 0.6)
    assert report.verdict == "same" and "**likely the same person**" in words, words
    report, words = say(fitted, 1.5)
    assert report.verdict == "different" and "**likely different people**" in words, words


@pytest.mark.parametrize("comparison", ["pair", "mean", "nearest"])
def test_fitted_on_train_it_never_says_same_where_train_impostors_live(default_split, comparison):
    train, _ = default_split
    genuine, impostor = reference_distances(train.vectors, list(train.labels), comparison=comparison)
    fitted = Confidence.fit(genuine, impostor)
    start, end, g, k = fitted.steps
    for d in np.linspace(impostor.min(), 2.0, 161):
        p, near = fitted.p_same(d), fitted.support(d)
        i = int(np.clip(np.searchsorted(start, d, side="right") - 1, 0, start.size - 1))
        if start[i] <= d <= end[i] and k[i]:  # inside a step holding impostors: at most the share seen there
            assert p <= (g[i] + 1) / (g[i] + k[i] + 1) + 1e-9, d  # (+ 1: the pseudo genuine pair at 2)
            assert p <= near.high + 1e-9, d
        if fitted.verdict(d) == "same":
            assert near.low >= 0.5, d  # only where the interval itself says so
    assert np.all(np.diff(fitted.p_same(GRID)) <= 1e-12)


@pytest.mark.parametrize("comparison", ["pair", "mean", "nearest"])
def test_checked_on_val_it_beats_a_constant_guess_and_means_what_it_says(default_split, comparison):
    train, val = default_split
    fitted = Confidence.fit(*reference_distances(train.vectors, list(train.labels), comparison=comparison))
    result = check(fitted, *held_out_distances(val.vectors, list(val.labels), train.vectors, list(train.labels),
                                               comparison=comparison))
    assert result.n_genuine > 0 and result.n_impostor > 0
    assert result.brier < result.brier_constant / 5
    sure, doubt = result.bins[-1], result.bins[0]
    assert sure.pairs and sure.observed > 0.9  # where it said over 90 %, over 90 % were
    assert doubt.pairs and doubt.observed < 0.1


# --------------------------------------------------------------------------- the pages

SURE = re.compile(r"At distance \*\*\d\.\d\d\*\* between .+?: \*\*(likely the same person|not sure: it could be "
                  r"either|likely different people|too few pairs to say)\*\*\.")
RATE = r"(none|\d+(\.\d+)? %) \([\d,]+ of (?P<{}>[\d,]+)\)"
ERRORS = re.compile(r"This threshold \(\*\*(?P<threshold>\d\.\d\d)\*\*\) lets in \*\*" + RATE.format("impostors")
                    + r"\*\* of the train impostor ones and turns away \*\*" + RATE.format("genuine") + r"\*\*")
CHECKED = re.compile(r"\*\*Checked on val\*\*, [\d,]+ .+ the curve never saw: Brier score \*\*(\d\.\d{3}|under 0\.001)\*\*")


def how_sure_text(at) -> str:
    found = [m.value for m in at.markdown if SURE.search(m.value)]
    assert any("How sure is it?" in m.value for m in at.markdown), "the part's heading is missing"
    assert len(found) == 1, [m.value for m in at.markdown]
    assert any(CHECKED.search(m.value) for m in at.markdown), "the val check is missing"
    return found[0]


def threshold_text(comparison: str) -> str:
    return f"{default_threshold(DEFAULT_RECIPE, comparison):.2f}"


def test_verify_two_photos_says_how_sure_without_measuring_the_gallery_again(gallery_dir, default_split):
    from facedemo.analysis import confidence as core
    from ui import confidence_view

    train, _ = default_split
    _, train_impostors = reference_distances(train.vectors, list(train.labels), comparison="pair")
    at = open_page("app_pages/verify.py", a="val/madonna/1", b="train/madonna/2")
    confidence_view.gallery_confidence.clear()
    confidence_view.gallery_check.clear()
    calls = []
    original = core.reference_distances
    core.reference_distances = lambda *a, **k: calls.append(k) or original(*a, **k)
    try:
        at.run()
        text = how_sure_text(at)
        assert "the two photos: **likely the same person**" in text and "**over 99.9 %**" in text
        assert "*equal odds assumed*" in text and "95 % interval" in text
        errors = ERRORS.search(text)
        assert errors and errors["threshold"] == threshold_text("pair")
        assert errors["impostors"] == f"{train_impostors.size:,}"  # the train photos' impostor pairs only
        assert any("if only 1 in 10 were genuine" in c.value and "lighting, pose" in c.value for c in at.caption)
        assert calls == [{"comparison": "pair"}]
        at.slider(key="threshold").set_value(0.9).run()
        assert ERRORS.search(how_sure_text(at))["threshold"] == "0.90"
        assert calls == [{"comparison": "pair"}], "a threshold move must not measure the gallery again"
    finally:
        core.reference_distances = original


def test_verify_two_people_is_not_sure(gallery_dir):
    text = how_sure_text(open_page("app_pages/verify.py", a="val/madonna/1", b="train/elton_john/1"))
    assert "**likely different people**" in text and ("under 0.1 %" in text or "about 0." in text)
    assert "at the gallery's own mix, 1 genuine in 5" in text  # where train impostors live, no equal odds


def test_verify_id_card_uses_the_photo_to_person_distances(gallery_dir, default_split):
    train, _ = default_split
    at = open_page("app_pages/verify.py", a="val/elton_john/2", claim="elton_john")
    text = how_sure_text(at)
    assert "the photo and elton_john" in text and "photo-to-person distances" in text
    errors = ERRORS.search(text)
    impostors = len(train.labels) * (len(set(train.labels)) - 1)  # each train photo × the other people
    assert errors and errors["threshold"] == threshold_text("mean") and errors["impostors"] == f"{impostors:,}"
    assert any("a person's mean train encoding the curve never saw" in m.value for m in at.markdown)


def test_recognise_says_how_sure_and_counts_the_tries(gallery_dir):
    at = open_page("app_pages/recognise.py", q="val/mindy_kaling/1")
    text = how_sure_text(at)
    assert "the photo and mindy_kaling: **likely the same person**" in text
    assert re.search(r"\*\*(over|about) 99(\.\d)? %\*\*", text)
    assert ERRORS.search(text)["threshold"] == threshold_text("mean")
    assert any("compared with all **5** people" in m.value and "5 chances instead of one" in m.value
               for m in at.markdown)
