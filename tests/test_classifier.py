"""Verification as binary classification (facedemo.analysis.classifier) and its section on the Threshold explorer.

The real tests train the logistic head on the gallery's train pairs (once per module) and compare it
with the calibrated pair threshold on the val pairs; the pure tests use small synthetic encodings for
shapes, a perfectly separable toy and bad input.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from facedemo.analysis import classifier, metrics
from facedemo.encoding.networks import default_threshold
from facedemo.errors import FacedemoError
from tests.test_app_pages import table as table_under

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
SECTION = "Verification as classification"
# Measured on the gallery (box crop; scikit-learn's LogisticRegression, as the Keras head before it):
# classifier 99.74 % accuracy on the 2,325 val × train pairs (3 false accepts, 3 false rejects), AUC 0.99997;
# the best-accuracy threshold 1.18 on the same pairs 99.44 % (5 + 8 errors), AUC 0.99954. The default threshold,
# set for FAR 10⁻³ (aligned: 1.07), gives up accuracy for fewer false accepts: 97.98 %. The bounds below leave
# room for small changes of the encodings and fail when the head stops learning (e.g. class weights or the sign
# of the score lost).
MIN_VAL_ACCURACY = 0.99
MIN_VAL_AUC = 0.999


@pytest.fixture(scope="module")
def timed_comparison(train, val):
    start = time.perf_counter()
    result = classifier.compare_with_threshold(train, val)
    return result, time.perf_counter() - start


@pytest.fixture(scope="module")
def comparison(timed_comparison):
    return timed_comparison[0]


# --- on the real gallery -----------------------------------------------------------------------
def test_the_head_trains_on_every_train_pair(timed_comparison, train):
    result, seconds = timed_comparison
    n = len(train)
    print(f"\ntrained and compared in {seconds:.1f} s")
    assert result.train.n_genuine + result.train.n_impostor == n * (n - 1) // 2 == 4278
    # both classes count equally: n_genuine * genuine_weight == n_impostor * impostor_weight == n / 2
    head = result.head
    assert result.train.n_genuine * head.genuine_weight == pytest.approx(4278 / 2)
    assert result.train.n_impostor * head.impostor_weight == pytest.approx(4278 / 2)
    assert head.weights.shape == (train.vectors.shape[1],)


def test_the_head_matches_or_beats_the_threshold_on_val_pairs(comparison, val, train):
    test, small = comparison.val_train, comparison.val_val
    assert (test.n_genuine, test.n_impostor) == (465, 1860)  # 25 val × 93 train photos
    c, t = test.classifier, test.threshold
    print(f"\nval × train pairs: classifier {c.rule}: accuracy {c.accuracy:.4f}, TAR {c.tar:.4f}, FAR {c.far:.4f}, "
          f"AUC {c.auc:.5f} | threshold {t.rule}: accuracy {t.accuracy:.4f}, TAR {t.tar:.4f}, FAR {t.far:.4f}, "
          f"AUC {t.auc:.5f}")
    print(f"val × val pairs: classifier {small.classifier.accuracy:.4f}, threshold {small.threshold.accuracy:.4f}")
    assert comparison.threshold == default_threshold("aligned", "pair")
    assert comparison.classifier_accuracy == c.accuracy >= MIN_VAL_ACCURACY
    assert c.auc >= MIN_VAL_AUC
    assert c.tar >= 0.98 and c.far <= 0.01
    # the lesson on the page: per-dimension weights do at least as well as one threshold for all dimensions
    assert comparison.classifier_accuracy >= comparison.threshold_accuracy >= 0.97  # FAR-first: 97.98 %
    assert c.balanced_accuracy >= t.balanced_accuracy
    assert c.auc >= t.auc
    assert small.classifier.accuracy >= 0.98


def test_the_threshold_side_agrees_with_the_metrics_module(comparison, val, train):
    distances = metrics.distance_matrix(val.vectors, train.vectors)
    genuine, impostor = metrics.cross_pairs(distances, val.labels, train.labels)
    expected = metrics.rates_at(comparison.threshold, genuine, impostor)
    got = comparison.val_train.threshold
    assert (got.accuracy, got.false_accepts, got.false_rejects) == (
        expected.accuracy, expected.false_accepts, expected.false_rejects)
    assert got.auc == pytest.approx(metrics.roc_auc(genuine, impostor), abs=1e-12)
    moved = comparison.val_train.threshold_rates(0.9)
    assert moved.accuracy == metrics.rates_at(0.9, genuine, impostor).accuracy


def test_the_scores_are_the_formula_and_the_roc_runs_the_right_way(comparison, val, train):
    pairs = classifier.cross_pair_features(val.vectors, val.labels, train.vectors, train.labels)
    w, b = comparison.weights, comparison.bias
    expected = 1 / (1 + np.exp(-(pairs.features.astype(np.float64) @ w + b)))
    np.testing.assert_allclose(comparison.head.predict(pairs), expected, rtol=1e-12)
    test = comparison.val_train
    np.testing.assert_allclose(test.genuine_scores, expected[pairs.same], rtol=1e-12)
    assert test.classifier.tar == np.mean(expected[pairs.same] > 0.5)  # higher ŷ = same person
    roc = test.classifier
    assert (roc.roc_far[0], roc.roc_tar[0], roc.roc_far[-1], roc.roc_tar[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(roc.roc_far) >= 0) and np.all(np.diff(roc.roc_tar) >= 0)
    assert np.all(np.diff(roc.roc_cut) <= 0) and np.all((roc.roc_cut >= 0) & (roc.roc_cut <= 1))
    assert np.trapezoid(roc.roc_tar, roc.roc_far) == pytest.approx(roc.auc, abs=1e-9)


def test_the_same_pairs_give_the_same_head_whatever_the_seed(comparison, train):
    pairs = classifier.pair_features(train.vectors, train.labels)
    again = classifier.train_head(pairs, seed=0)
    np.testing.assert_array_equal(again.weights, comparison.weights)
    assert again.bias == comparison.bias
    other = classifier.train_head(pairs, seed=1)  # L-BFGS draws no random numbers: one convex loss, one minimum
    np.testing.assert_array_equal(other.weights, comparison.weights)
    assert (other.seed, comparison.head.seed) == (1, 0)


def test_the_head_is_the_minimum_of_the_documented_loss(comparison, train):
    # (1/n) Σ s_p BCE(y_p, ŷ_p) + λ Σ w_k²: its gradient vanishes at the fitted head (checks the C = 1 / (2 λ n) mapping)
    pairs = classifier.pair_features(train.vectors, train.labels)
    head, x, y = comparison.head, pairs.features.astype(np.float64), pairs.same.astype(np.float64)
    s = np.where(pairs.same, head.genuine_weight, head.impostor_weight)
    residual = s * (head.predict(pairs) - y) / len(pairs)
    grad_w, grad_b = x.T @ residual + 2 * head.l2 * head.weights, residual.sum()
    assert np.abs(grad_w).max() < 1e-5 and abs(grad_b) < 1e-5
    assert np.abs(x.T @ residual).max() > 100 * np.abs(grad_w).max()  # the penalty's pull is really balanced
    assert 0 < head.iterations < classifier.MAX_ITER


def test_the_largest_weights_say_a_difference_means_different_people(comparison):
    top = comparison.largest_weights(5)
    print("\nlargest weights:", [(k, round(w, 2)) for k, w in top], f"bias {comparison.bias:+.2f}")
    assert len(top) == 5 and len({k for k, _ in top}) == 5
    sizes = [abs(w) for _, w in top]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == np.abs(comparison.weights).max()
    assert all(comparison.weights[k] == w < 0 for k, w in top)
    assert np.mean(comparison.weights < 0) > 0.8  # nearly every dimension: a difference speaks against "same"
    assert comparison.bias > 0  # identical encodings: "same person"
    sentence = comparison.meaning()
    assert f"dimension {top[0][0]}" in sentence and "different people" in sentence
    assert "all 128 dimensions equally" in sentence


# --- pure: synthetic encodings -----------------------------------------------------------------
def test_pair_features_are_the_absolute_differences_of_every_pair():
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    labels = ["a", "a", "b", "b", "c"]
    pairs = classifier.pair_features(x, labels)
    assert pairs.features.shape == (10, 3) and pairs.dimension == 3 and len(pairs) == 10
    assert pairs.pairs[:4].tolist() == [[0, 1], [0, 2], [0, 3], [0, 4]]
    np.testing.assert_array_equal(pairs.features[1], [0.0, 2.0, 0.0])  # |x0 - x2|
    np.testing.assert_array_equal(pairs.features[-1], [1.0, 1.0, 2.0])  # |x3 - x4|
    assert (pairs.n_genuine, pairs.n_impostor) == (2, 8)
    np.testing.assert_allclose(pairs.distances, metrics.distance_matrix(x)[np.triu_indices(5, k=1)], atol=1e-12)


def test_cross_pair_features_take_any_encoding_size():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 512)), rng.normal(size=(4, 512))  # the 512-d network
    pairs = classifier.cross_pair_features(a, ["x", "y", "x"], b, ["x", "z", "y", "x"])
    assert pairs.features.shape == (12, 512) and pairs.features.dtype == np.float32
    np.testing.assert_allclose(pairs.features[1 * 4 + 2], np.abs(a[1] - b[2]), rtol=1e-6)
    assert pairs.same.tolist() == [True, False, False, True, False, False, True, False, True, False, False, True]
    np.testing.assert_allclose(pairs.distances, metrics.distance_matrix(a, b).ravel(), rtol=1e-9)


def _toy(seed: int, per_person: int) -> tuple[np.ndarray, list[str]]:
    """Four people told apart by dimension 0 only; the 7 other dimensions are noise shared by all."""
    rng = np.random.default_rng(seed)
    people, d = 4, 8
    x = rng.normal(0.0, 0.3, (people * per_person, d))
    x[:, 0] = np.repeat(np.arange(people, dtype=float), per_person) + rng.normal(0, 0.01, people * per_person)
    return x, [f"person {p}" for p in range(people) for _ in range(per_person)]


def test_a_perfectly_separable_toy_is_learned_and_its_one_useful_dimension_found():
    result = classifier.compare_with_threshold(_toy(0, 6), _toy(1, 3), threshold=0.5)
    assert result.val_train.classifier.accuracy == 1.0 and result.val_val.classifier.accuracy == 1.0
    assert result.val_train.classifier.auc == 1.0
    (k, w), *_ = result.largest_weights(1)
    assert k == 0 and w < 0
    # the plain L2 distance weighs the 7 noisy dimensions as much as the useful one
    assert result.val_train.threshold.auc < 1.0


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("embeddings, labels, message", [
    (np.zeros(5), list("aabbc"), "shape"),
    (np.full((3, 4), np.nan), list("abc"), "NaN"),
    (np.zeros((3, 4)), list("ab"), "3 encodings but 2 labels"),
    (np.zeros((3, 0)), list("abc"), "shape"),
])
def test_bad_encodings_are_refused_with_a_sentence(embeddings, labels, message):
    with pytest.raises(FacedemoError, match=message):
        classifier.pair_features(embeddings, labels)


def test_sets_of_different_encoding_sizes_are_refused():
    with pytest.raises(FacedemoError, match="different sizes"):
        classifier.cross_pair_features(np.zeros((2, 128)), ["a", "b"], np.zeros((2, 512)), ["a", "b"])
    with pytest.raises(FacedemoError, match="different sizes"):
        classifier.compare_with_threshold(_toy(0, 3), (np.zeros((2, 512)), ["a", "b"]), threshold=1.0)


@pytest.mark.parametrize("labels, missing", [(["a"] * 4, "no impostor"), (list("abcd"), "no genuine")])
def test_training_needs_both_kinds_of_pair(labels, missing):
    pairs = classifier.pair_features(np.random.default_rng(0).normal(size=(4, 8)), labels)
    with pytest.raises(FacedemoError, match=missing):
        classifier.train_head(pairs)


def test_other_bad_calls_are_refused_with_a_sentence():
    toy = _toy(0, 3)
    with pytest.raises(FacedemoError, match="give the distance threshold"):
        classifier.compare_with_threshold(toy, toy)
    with pytest.raises(FacedemoError, match="LabelledEncodings or a pair"):
        classifier.compare_with_threshold("photos", toy, threshold=1.0)
    with pytest.raises(FacedemoError, match="max_iter ≥ 1"):
        classifier.train_head(classifier.pair_features(*toy), max_iter=0)
    with pytest.raises(FacedemoError, match="l2 ≥ 0"):
        classifier.train_head(classifier.pair_features(*toy), l2=-1.0)
    with pytest.raises(FacedemoError, match="did not converge within max_iter=1"):
        classifier.train_head(classifier.pair_features(*toy), max_iter=1)
    head = classifier.LogisticHead(np.zeros(8), 0.0, 1.0, 1.0, 0, 0.0, 0)
    with pytest.raises(FacedemoError, match="8-dimensional"):
        head.predict(np.zeros((3, 128)))


def test_importing_the_module_does_not_load_tensorflow():
    code = ("import sys, facedemo.analysis.classifier; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120)
    assert out.stdout.strip() == "[]"


def test_training_does_not_load_tensorflow_either():
    code = ("import sys\n"
            "from tests.test_classifier import _toy\n"
            "from facedemo.analysis import classifier\n"
            "result = classifier.compare_with_threshold(_toy(0, 6), _toy(1, 3), threshold=0.5)\n"
            "print(result.val_train.classifier.accuracy, sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120)
    assert out.stdout.strip() == "1.0 []"


# --- the section on the Threshold explorer -----------------------------------------------------
def test_the_threshold_explorer_shows_the_classifier_and_does_not_retrain_on_a_threshold_move(gallery_dir,
                                                                                               monkeypatch):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("app_pages/threshold.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert SECTION in [s.value for s in at.subheader]
    metrics_shown = {m.label: m.value for m in at.metric}
    assert float(metrics_shown["Classifier accuracy"].rstrip("%")) >= 100 * MIN_VAL_ACCURACY
    assert float(metrics_shown["Classifier AUC"]) >= MIN_VAL_AUC
    assert "Threshold accuracy" in metrics_shown
    table = table_under(at, "classifier_table")
    assert list(table["rule"]) == ["classifier ŷ > 0.5", f"calibrated threshold {default_threshold('aligned', 'pair'):.2f}"]
    assert any("different people" in m.value for m in at.markdown)

    trainings = []
    monkeypatch.setattr(classifier, "compare_with_threshold", lambda *a, **k: trainings.append(a))
    at.slider(key="threshold").set_value(0.9).run()
    assert not at.exception, [e.value for e in at.exception]
    assert trainings == [], "moving the threshold must not train the head again"
    table = table_under(at, "classifier_table")
    assert list(table["rule"])[-1] == "current threshold 0.90"
    assert table["false accepts"].iloc[-1] == "0 of 1,860"  # 0.90 is strict: no impostor below it
