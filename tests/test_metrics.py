"""facedemo.analysis.metrics: hand-computed cases, brute-force oracles, invariants, degenerate inputs."""

from __future__ import annotations

import itertools
import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

from facedemo.analysis import metrics
from facedemo.analysis.metrics import UndefinedMetricWarning

GENUINE = [0.1, 0.4]
IMPOSTOR = [0.3, 0.9]


# --------------------------------------------------------------------------- oracles


def auc_oracle(genuine, impostor):
    score = 0.0
    for g in genuine:
        for i in impostor:
            score += 1.0 if g < i else 0.5 if g == i else 0.0
    return score / (len(genuine) * len(impostor))


def rates_oracle(threshold, genuine, impostor):
    tar = sum(g < threshold for g in genuine) / len(genuine)
    far = sum(i < threshold for i in impostor) / len(impostor)
    return tar, far


def rank1_oracle(x, labels):
    hits = []
    for i in range(len(x)):
        if sum(label == labels[i] for label in labels) < 2:
            continue
        best_j, best_d = None, math.inf
        for j in range(len(x)):
            d = float(np.sqrt(np.sum((x[i] - x[j]) ** 2)))
            if j != i and d < best_d:
                best_j, best_d = j, d
        hits.append(labels[best_j] == labels[i])
    return sum(hits) / len(hits)


def labelled_embeddings(n=40, n_people=6, d=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_people, d))
    labels = rng.integers(0, n_people, size=n)
    x = centres[labels] + 0.8 * rng.normal(size=(n, d))
    return x, labels


def random_distances(seed=0, n_genuine=60, n_impostor=200, decimals=None):
    rng = np.random.default_rng(seed)
    genuine = rng.normal(0.8, 0.25, n_genuine)
    impostor = rng.normal(1.3, 0.25, n_impostor)
    if decimals is not None:  # force ties, within and across the two sets
        genuine, impostor = genuine.round(decimals), impostor.round(decimals)
    return genuine, impostor


# --------------------------------------------------------------------------- distances


def test_distance_matrix_matches_double_loop():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 5)), rng.normal(size=(4, 5))
    expected = np.array([[np.linalg.norm(a[i] - b[j]) for j in range(4)] for i in range(7)])
    np.testing.assert_allclose(metrics.distance_matrix(a, b), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(metrics.distance_matrix(a, b, squared=True), expected**2, rtol=1e-10)


def test_distance_matrix_self_is_symmetric_with_zero_diagonal():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 128))
    x = np.vstack([x, x[:3]])  # duplicated rows: distance exactly 0 wherever clipping matters
    d = metrics.distance_matrix(x)
    assert d.shape == (53, 53)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)
    assert np.all(d >= 0.0)
    assert d[0, 50] == d[1, 51] == d[2, 52] == 0.0  # duplicated photos: exactly 0, not 1e-7
    expected = np.array([[np.linalg.norm(x[i] - x[j]) for j in range(53)] for i in range(53)])
    np.testing.assert_allclose(d, expected, rtol=1e-9, atol=1e-12)


def test_distance_matrix_is_precise_far_from_the_origin_and_for_identical_rows():
    rng = np.random.default_rng(2)
    x = 1000.0 + rng.normal(size=(6, 3)) * 1e-3  # tiny spread, huge offset
    expected = np.array([[np.linalg.norm(x[i] - x[j]) for j in range(6)] for i in range(6)])
    np.testing.assert_allclose(metrics.distance_matrix(x), expected, rtol=1e-6)
    np.testing.assert_allclose(metrics.distance_matrix(x, x), expected, rtol=1e-6)
    assert np.all(metrics.distance_matrix(np.ones((300, 8)), np.ones((5, 8))) == 0.0)


def test_pair_distances_split_matches_loop():
    x, labels = labelled_embeddings(n=15)
    pairs = metrics.pair_distances(x, labels)
    genuine, impostor = [], []
    for i, j in itertools.combinations(range(15), 2):
        (genuine if labels[i] == labels[j] else impostor).append(np.linalg.norm(x[i] - x[j]))
    np.testing.assert_allclose(pairs.genuine, genuine, atol=1e-9)
    np.testing.assert_allclose(pairs.impostor, impostor, atol=1e-9)
    assert pairs.genuine.size + pairs.impostor.size == 15 * 14 // 2
    assert np.all(pairs.genuine_pairs[:, 0] < pairs.genuine_pairs[:, 1])
    assert np.all(labels[pairs.genuine_pairs[:, 0]] == labels[pairs.genuine_pairs[:, 1]])
    assert np.all(labels[pairs.impostor_pairs[:, 0]] != labels[pairs.impostor_pairs[:, 1]])


def test_pair_distances_accepts_string_labels():
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    pairs = metrics.pair_distances(x, ["ana", "bo", "ana"])
    np.testing.assert_allclose(pairs.genuine, [1.0])
    np.testing.assert_allclose(pairs.impostor, [5.0, np.sqrt(18.0)])


# --------------------------------------------------------------------------- hand-computed


def test_auc_hand_computed():
    # pairs (g, i): (0.1,0.3) yes, (0.1,0.9) yes, (0.4,0.3) no, (0.4,0.9) yes -> 3/4
    assert metrics.roc_auc(GENUINE, IMPOSTOR) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("genuine", "impostor", "expected"),
    [
        ([0.1, 0.2], [0.8, 0.9], 1.0),
        ([0.8, 0.9], [0.1, 0.2], 0.0),
        ([0.5], [0.5], 0.5),
        ([0.5, 0.5], [0.5, 0.7], 0.75),
    ],
)
def test_auc_extremes_and_ties(genuine, impostor, expected):
    assert metrics.roc_auc(genuine, impostor) == pytest.approx(expected)


def test_rates_at_uses_strict_less_than():
    at_distance = metrics.rates_at(0.4, GENUINE, IMPOSTOR)  # 0.4 itself is rejected
    assert (at_distance.true_accepts, at_distance.false_rejects) == (1, 1)
    assert (at_distance.false_accepts, at_distance.true_rejects) == (1, 1)
    above = metrics.rates_at(0.41, GENUINE, IMPOSTOR)
    assert above.tar == 1.0 and above.far == 0.5 and above.accuracy == 0.75
    assert above.frr == 0.0


def test_threshold_sweep_hand_computed():
    sweep = metrics.threshold_sweep(GENUINE, IMPOSTOR)
    np.testing.assert_allclose(sweep.thresholds[:-1], [0.1, 0.2, 0.35, 0.65])
    assert sweep.thresholds[-1] > 0.9
    np.testing.assert_array_equal(sweep.tar, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(sweep.far, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(sweep.accuracy, [0.5, 0.75, 0.5, 0.75, 0.5])


def test_eer_best_accuracy_and_tar_at_far_hand_computed():
    assert metrics.equal_error_rate(GENUINE, IMPOSTOR) == pytest.approx((0.5, 0.35))
    # accuracy 0.75 at 0.2 and at 0.65: the stricter one wins
    assert metrics.best_accuracy_threshold(GENUINE, IMPOSTOR) == pytest.approx((0.2, 0.75))
    assert metrics.tar_at_far(GENUINE, IMPOSTOR, 0.01) == pytest.approx((0.5, 0.2))
    assert metrics.tar_at_far(GENUINE, IMPOSTOR, 0.5) == pytest.approx((1.0, 0.65))


def test_perfect_separation_puts_threshold_mid_gap():
    genuine, impostor = [0.1, 0.2], [0.8, 0.9]
    assert metrics.equal_error_rate(genuine, impostor) == pytest.approx((0.0, 0.5))
    assert metrics.best_accuracy_threshold(genuine, impostor) == pytest.approx((0.5, 1.0))
    assert metrics.tar_at_far(genuine, impostor, 0.001) == pytest.approx((1.0, 0.5))


def test_eer_interpolates_between_steps():
    # thresholds 0.225 -> FAR 1/3, FRR 1/2; 0.275 -> FAR 2/3, FRR 1/2: they cross halfway
    genuine, impostor = [0.1, 0.3], [0.2, 0.25, 0.6]
    eer, threshold = metrics.equal_error_rate(genuine, impostor)
    assert (eer, threshold) == pytest.approx((0.5, 0.25))
    sweep = metrics.threshold_sweep(genuine, impostor)
    gap = sweep.far - sweep.frr
    k = int(np.argmax(gap >= 0))
    assert gap[k - 1] < 0 < gap[k]
    assert min(sweep.far[k - 1], sweep.frr[k]) <= eer <= max(sweep.far[k], sweep.frr[k - 1])
    assert sweep.thresholds[k - 1] < threshold < sweep.thresholds[k]


# --------------------------------------------------------------------------- oracles on random data


@pytest.mark.parametrize("decimals", [None, 1, 2])
def test_auc_matches_brute_force(decimals):
    genuine, impostor = random_distances(seed=3, decimals=decimals)
    assert metrics.roc_auc(genuine, impostor) == pytest.approx(auc_oracle(genuine, impostor), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
)
def test_auc_matches_brute_force_on_heavy_ties(genuine, impostor):
    genuine, impostor = np.array(genuine) / 4.0, np.array(impostor) / 4.0
    assert metrics.roc_auc(genuine, impostor) == pytest.approx(auc_oracle(genuine, impostor), abs=1e-12)


@pytest.mark.parametrize("decimals", [None, 1])
def test_sweep_matches_rates_at_every_threshold(decimals):
    genuine, impostor = random_distances(seed=4, n_genuine=25, n_impostor=40, decimals=decimals)
    sweep = metrics.threshold_sweep(genuine, impostor)
    assert sweep.thresholds.size == np.unique(np.concatenate([genuine, impostor])).size + 1
    for t, tar, far in zip(sweep.thresholds, sweep.tar, sweep.far):
        assert (tar, far) == pytest.approx(rates_oracle(t, genuine, impostor))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=0, max_size=15),
    st.lists(st.integers(0, 5), min_size=0, max_size=15),
)
def test_sweep_counts_are_brute_force_strict_counts_on_heavy_ties(genuine, impostor):
    # scikit-learn's curve accepts score >= cut; with -distance and the midpoints this must be exactly distance < t
    genuine, impostor = np.array(genuine) / 8.0, np.array(impostor) / 8.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        sweep = metrics.threshold_sweep(genuine, impostor)
    distinct = np.unique(np.concatenate([genuine, impostor]))
    assert sweep.thresholds.size == (distinct.size + 1 if distinct.size else 0)
    for t, ta, fa in zip(sweep.thresholds, sweep.true_accepts, sweep.false_accepts):
        assert (ta, fa) == (sum(g < t for g in genuine), sum(i < t for i in impostor))
    if distinct.size:  # each threshold sits strictly inside its gap: nudging it does not change an outcome
        assert sweep.thresholds[0] == distinct[0] and sweep.thresholds[-1] > distinct[-1]
        assert np.all((sweep.thresholds[1:-1] > distinct[:-1]) & (sweep.thresholds[1:-1] < distinct[1:]))


@pytest.mark.parametrize("decimals", [None, 2])
def test_curve_and_area_are_scikit_learns_on_minus_distance(decimals):
    genuine, impostor = random_distances(seed=11, decimals=decimals)
    y_true = np.r_[np.ones(genuine.size), np.zeros(impostor.size)]
    y_score = -np.r_[genuine, impostor]
    expected_far, expected_tar, _ = sk_metrics.roc_curve(y_true, y_score, drop_intermediate=False)
    far, tar, thresholds = metrics.roc_curve(genuine, impostor)
    np.testing.assert_array_equal(far, expected_far)
    np.testing.assert_array_equal(tar, expected_tar)
    assert metrics.roc_auc(genuine, impostor) == sk_metrics.roc_auc_score(y_true, y_score)
    # the same points as the library, read with the project's strict rule at the returned thresholds
    for t, f, r in zip(thresholds, far, tar):
        assert (r, f) == pytest.approx(rates_oracle(t, genuine, impostor))


def test_best_accuracy_matches_brute_force():
    genuine, impostor = random_distances(seed=5, decimals=2)
    candidates = np.append(np.unique(np.concatenate([genuine, impostor])), np.inf)
    best = max(
        (np.sum(genuine < t) + np.sum(impostor >= t)) / (genuine.size + impostor.size) for t in candidates
    )
    threshold, accuracy = metrics.best_accuracy_threshold(genuine, impostor)
    assert accuracy == pytest.approx(best)
    assert metrics.rates_at(threshold, genuine, impostor).accuracy == pytest.approx(best)


@pytest.mark.parametrize("far", [0.0, 0.01, 0.05, 0.2])
def test_tar_at_far_matches_brute_force(far):
    genuine, impostor = random_distances(seed=6)
    candidates = np.append(np.unique(np.concatenate([genuine, impostor])), np.inf)
    best = max(
        tar for tar, f in (rates_oracle(t, genuine, impostor) for t in candidates) if f <= far + 1e-12
    )
    tar, threshold = metrics.tar_at_far(genuine, impostor, far)
    assert tar == pytest.approx(best)
    assert metrics.rates_at(threshold, genuine, impostor).far <= far + 1e-12


def test_eer_is_where_far_meets_frr():
    genuine, impostor = random_distances(seed=7, n_genuine=400, n_impostor=400)
    eer, threshold = metrics.equal_error_rate(genuine, impostor)
    rates = metrics.rates_at(threshold, genuine, impostor)
    assert abs(rates.far - eer) <= 2 / 400
    assert abs(rates.frr - eer) <= 2 / 400
    assert 0.0 < eer < 0.5


def test_rank1_matches_brute_force_and_skips_singletons():
    x, labels = labelled_embeddings(n=30, n_people=8, seed=2)
    labels = labels.copy()
    labels[0] = 99  # a person with a single photo: skipped as a query, still in the gallery
    assert metrics.rank1_accuracy(x, labels) == pytest.approx(rank1_oracle(x, labels))


def test_rank1_on_exact_ties_picks_one_of_the_nearest():
    # integer points: many photos exactly equally near; each query is right or wrong by one of them
    rng = np.random.default_rng(12)
    x, labels = rng.integers(0, 4, size=(80, 2)).astype(float), rng.integers(0, 3, size=80)
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = d == d.min(axis=1, keepdims=True)
    same = labels[:, None] == labels[None, :]
    all_right = np.mean([np.all(same[q][nearest[q]]) for q in range(80)])
    any_right = np.mean([np.any(same[q][nearest[q]]) for q in range(80)])
    assert all_right < any_right  # the ties do decide something here
    assert all_right <= metrics.rank1_accuracy(x, labels) <= any_right
    assert metrics.rank1_accuracy(np.vstack([x[:1], x[:1], x[1:2] + 9]), [0, 0, 1]) == 1.0  # a duplicate is nearest


def test_rank1_hand_computed():
    x = np.array([[0.0], [0.1], [0.6], [1.2], [5.0]])
    # 0->1 ok, 1->0 ok, 2->1 wrong (0.5 < 0.6), 3->2 ok, 4 is alone -> skipped
    labels = ["a", "a", "b", "b", "c"]
    assert metrics.rank1_accuracy(x, labels) == pytest.approx(3 / 4)


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_curve_is_monotone_from_origin_to_one_and_area_is_auc(seed):
    genuine, impostor = random_distances(seed=seed, decimals=1 if seed == 2 else None)
    far, tar, thresholds = metrics.roc_curve(genuine, impostor)
    assert far.shape == tar.shape == thresholds.shape
    assert (far[0], tar[0]) == (0.0, 0.0)
    assert (far[-1], tar[-1]) == (1.0, 1.0)
    assert np.all(np.diff(far) >= 0) and np.all(np.diff(tar) >= 0)
    assert np.all(np.diff(thresholds) > 0)
    area = np.sum(np.diff(far) * (tar[1:] + tar[:-1]) / 2.0)
    assert area == pytest.approx(metrics.roc_auc(genuine, impostor), abs=1e-12)


def test_lower_threshold_never_raises_far_or_tar():
    genuine, impostor = random_distances(seed=8)
    thresholds = np.linspace(0.0, 2.5, 60)
    rates = [metrics.rates_at(t, genuine, impostor) for t in thresholds]
    assert all(a.far <= b.far and a.tar <= b.tar for a, b in zip(rates, rates[1:]))
    assert all(
        r.true_accepts + r.false_rejects == genuine.size and r.false_accepts + r.true_rejects == impostor.size
        for r in rates
    )


def test_evaluate_bundles_the_individual_metrics():
    x, labels = labelled_embeddings(n=60, n_people=5, seed=9)
    result = metrics.evaluate(x, labels)
    pairs = metrics.pair_distances(x, labels)
    assert result.n_images == 60
    assert result.n_people == np.unique(labels).size
    assert result.n_genuine_pairs + result.n_impostor_pairs == 60 * 59 // 2
    assert result.auc == pytest.approx(metrics.roc_auc(pairs.genuine, pairs.impostor))
    assert (result.eer, result.eer_threshold) == pytest.approx(
        metrics.equal_error_rate(pairs.genuine, pairs.impostor)
    )
    assert result.tar_at_far_1e2 == pytest.approx(metrics.tar_at_far(pairs.genuine, pairs.impostor, 0.01)[0])
    assert result.tar_at_far_1e3 == pytest.approx(metrics.tar_at_far(pairs.genuine, pairs.impostor, 0.001)[0])
    assert (result.best_threshold, result.best_accuracy) == pytest.approx(
        metrics.best_accuracy_threshold(pairs.genuine, pairs.impostor)
    )
    assert result.rank1 == pytest.approx(metrics.rank1_accuracy(x, labels))
    assert 0.5 < result.auc <= 1.0
    json.dumps(result.as_dict(), allow_nan=False)


# --------------------------------------------------------------------------- degenerate inputs


@pytest.mark.parametrize(
    ("genuine", "impostor", "missing"),
    [([], [0.3, 0.9], "genuine"), ([0.1], [], "impostor"), ([], [], "genuine and no impostor")],
)
def test_one_sided_data_warns_and_returns_nan(genuine, impostor, missing):
    with pytest.warns(UndefinedMetricWarning, match=missing):
        assert math.isnan(metrics.roc_auc(genuine, impostor))
    with pytest.warns(UndefinedMetricWarning):
        assert all(math.isnan(v) for v in metrics.equal_error_rate(genuine, impostor))
    with pytest.warns(UndefinedMetricWarning):
        assert all(math.isnan(v) for v in metrics.tar_at_far(genuine, impostor, 0.01))


def test_roc_curve_without_genuine_pairs_has_nan_tar():
    with pytest.warns(UndefinedMetricWarning):
        far, tar, _ = metrics.roc_curve([], [0.3, 0.9])
    assert np.all(np.isnan(tar))
    np.testing.assert_array_equal(far, [0.0, 0.5, 1.0])


def test_best_accuracy_defined_with_one_kind_of_pair_only():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.best_accuracy_threshold([], [0.3, 0.9]) == pytest.approx((0.3, 1.0))
    with pytest.warns(UndefinedMetricWarning):
        assert all(math.isnan(v) for v in metrics.best_accuracy_threshold([], []))


def test_rank1_without_repeated_people_warns_and_returns_nan():
    with pytest.warns(UndefinedMetricWarning, match="rank-1"):
        assert math.isnan(metrics.rank1_accuracy(np.eye(3), ["a", "b", "c"]))


def test_evaluate_one_photo_per_person_warns_once_and_serialises_nan_as_none():
    with pytest.warns(UndefinedMetricWarning) as record:
        result = metrics.evaluate(np.eye(4), ["a", "b", "c", "d"])
    assert len(record) == 1
    assert "auc" in str(record[0].message) and "rank1" in str(record[0].message)
    assert result.n_genuine_pairs == 0 and result.n_impostor_pairs == 6
    data = result.as_dict()
    assert data["auc"] is None and data["rank1"] is None and data["best_accuracy"] == 1.0
    json.dumps(data, allow_nan=False)


def test_evaluate_single_photo():
    with pytest.warns(UndefinedMetricWarning):
        result = metrics.evaluate(np.ones((1, 128)), ["solo"])
    assert (result.n_images, result.n_people, result.n_genuine_pairs, result.n_impostor_pairs) == (1, 1, 0, 0)
    assert math.isnan(result.best_accuracy)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: metrics.distance_matrix(np.ones(5)), r"a must be a 2-D array .* got shape \(5,\)"),
        (lambda: metrics.distance_matrix(np.ones((2, 3)), np.ones((2, 4))), r"same embedding size"),
        (lambda: metrics.distance_matrix(np.ones((2, 2, 2))), r"got shape \(2, 2, 2\)"),
        (lambda: metrics.distance_matrix([[0.0, np.nan]]), r"NaN"),
        (lambda: metrics.pair_distances(np.ones((3, 2)), [0, 1]), r"labels has 2 entries but there are 3"),
        (lambda: metrics.rank1_accuracy(np.ones((3, 2)), [[0, 1, 2]]), r"labels must be 1-D"),
        (lambda: metrics.roc_auc([[0.1]], [0.2]), r"genuine must be a 1-D array"),
        (lambda: metrics.roc_auc([0.1], [np.nan]), r"impostor contains NaN"),
        (lambda: metrics.roc_curve([np.inf], [0.2]), r"genuine contains infinite values"),
        (lambda: metrics.tar_at_far([0.1], [0.2], 1.5), r"far must be between 0 and 1, got 1.5"),
        (lambda: metrics.rates_at(float("nan"), [0.1], [0.2]), r"threshold must be a number"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, match):
    with pytest.raises(ValueError, match=match):
        call()
