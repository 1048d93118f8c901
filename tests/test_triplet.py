"""facedemo.analysis.triplet: the notebook's exact values, per-example terms, categories, mining."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

from facedemo.analysis import triplet

# --------------------------------------------------------------------------- the notebook


def test_random_encodings_give_the_notebook_value():
    loss = triplet.triplet_loss(None, triplet.random_encodings())
    assert loss.shape == ()
    assert float(loss) == pytest.approx(527.2598, abs=1e-3)


def test_random_encodings_are_repeatable_and_follow_the_seed():
    first = [t.numpy() for t in triplet.random_encodings()]
    again = [t.numpy() for t in triplet.random_encodings()]
    other = [t.numpy() for t in triplet.random_encodings(seed=2)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    assert first[0].shape == (3, 128)
    assert first[0].mean() == pytest.approx(6.0, abs=0.05)
    assert first[2].std() == pytest.approx(4.0, rel=0.15)


@pytest.mark.parametrize(
    ("y_pred", "alpha", "expected"),
    [
        (([1.0, 1.0], [1.0, 1.0], [1.0, 1.0]), 5, 5.0),
        (([1.0, 1.0], [1.0, 1.0], [0.0, 0.0]), 3, 1.0),
        (([1.0, 1.0], [0.0, 0.0], [1.0, 1.0]), 0, 2.0),
        (([0.0, 0.0], [0.0, 0.0], [0.0, 0.0]), -2, 0.0),
        (([[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]), 3, 2.0),
    ],
)
def test_notebook_hand_cases(y_pred, alpha, expected):
    assert float(triplet.triplet_loss(None, y_pred, alpha)) == pytest.approx(expected)


def test_triplet_loss_accepts_integer_lists_and_a_stacked_tensor():
    assert float(triplet.triplet_loss(None, ([1, 1], [1, 1], [0, 0]), 3)) == pytest.approx(1.0)
    stacked = np.stack([np.ones((2, 4)), np.zeros((2, 4)), np.ones((2, 4))])  # shape (3, m, d)
    assert float(triplet.triplet_loss(None, stacked, 0.0)) == pytest.approx(8.0)


# --------------------------------------------------------------------------- per-example terms


def test_terms_total_equals_triplet_loss_on_the_notebook_encodings():
    anchor, positive, negative = (t.numpy() for t in triplet.random_encodings())
    terms = triplet.triplet_terms(anchor, positive, negative, alpha=0.2)
    assert terms.total == pytest.approx(527.2598, abs=1e-3)
    assert terms.total == pytest.approx(float(triplet.triplet_loss(None, (anchor, positive, negative))), rel=1e-5)
    assert terms.pos_dist.shape == terms.neg_dist.shape == terms.clipped.shape == (3,)


def test_terms_are_squared_distances_and_clipped_losses():
    terms = triplet.triplet_terms([[0.0, 0.0], [0.0, 0.0]], [[3.0, 4.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 3.0]], alpha=1.0)
    np.testing.assert_allclose(terms.pos_dist, [25.0, 1.0])  # squared, not 5.0
    np.testing.assert_allclose(terms.neg_dist, [1.0, 9.0])
    np.testing.assert_allclose(terms.basic_loss, [25.0, -7.0])
    np.testing.assert_allclose(terms.clipped, [25.0, 0.0])
    assert list(terms.category) == ["hard", "easy"]
    assert terms.total == 25.0


@pytest.mark.parametrize("seed", [0, 1])
def test_terms_total_equals_triplet_loss_on_random_batches(seed):
    rng = np.random.default_rng(seed)
    a, p, n = (rng.normal(size=(16, 8)).astype(np.float32) for _ in range(3))
    expected = float(triplet.triplet_loss(None, (a, p, n), 0.5))
    assert triplet.triplet_terms(a, p, n, alpha=0.5).total == pytest.approx(expected, rel=1e-5)


def test_terms_one_dimensional_input_is_one_triplet_and_bad_shapes_raise():
    assert triplet.triplet_terms([1.0, 1.0], [0.0, 0.0], [1.0, 1.0], alpha=0.0).total == 2.0
    with pytest.raises(ValueError, match="same shape"):
        triplet.triplet_terms(np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"got shape \(1, 2, 3\)"):
        triplet.triplet_terms(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.ones((1, 2, 3)))


# --------------------------------------------------------------------------- categories


@pytest.mark.parametrize(
    ("pos_dist", "neg_dist", "alpha", "expected"),
    [
        (1.0, 0.5, 0.2, "hard"),  # negative closer than positive
        (1.0, 1.0, 0.2, "hard"),  # tie: still hard
        (1.0, 1.1, 0.2, "semi-hard"),  # inside the margin
        (1.0, 1.5, 0.5, "easy"),  # exactly on the margin: loss 0
        (1.0, 2.0, 0.2, "easy"),
        (0.0, 0.0, 0.0, "hard"),
    ],
)
def test_classify_triplet(pos_dist, neg_dist, alpha, expected):
    assert triplet.classify_triplet(pos_dist, neg_dist, alpha=alpha) == expected


def test_classify_vectorised_matches_scalar_and_easy_means_zero_loss():
    rng = np.random.default_rng(3)
    pos, neg = rng.uniform(0, 2, 500), rng.uniform(0, 2, 500)
    categories = triplet.classify_triplets(pos, neg, alpha=0.3)
    assert list(categories) == [triplet.classify_triplet(p, n, alpha=0.3) for p, n in zip(pos, neg)]
    loss = np.maximum(pos - neg + 0.3, 0.0)
    np.testing.assert_array_equal(categories == "easy", loss == 0.0)
    np.testing.assert_array_equal(categories == "hard", neg <= pos)
    assert set(categories) == set(triplet.CATEGORIES)


# --------------------------------------------------------------------------- mining


def brute_force_triplets(x, labels, alpha):
    rows = []
    for a, p, n in itertools.product(range(len(x)), repeat=3):
        if a != p and labels[a] == labels[p] and labels[n] != labels[a]:
            pos = float(np.sum((x[a] - x[p]) ** 2))
            neg = float(np.sum((x[a] - x[n]) ** 2))
            loss = max(pos - neg + alpha, 0.0)
            category = "hard" if neg <= pos else "easy" if loss == 0.0 else "semi-hard"
            rows.append(((a, p, n), pos, neg, loss, category))
    return rows


def small_gallery(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])  # person 3 has a single photo: only a negative
    x = rng.normal(size=(labels.size, 4)) * 0.6 + labels[:, None] * 0.3
    return x, labels


@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_mine_triplets_matches_brute_force(alpha):
    x, labels = small_gallery()
    mined = triplet.mine_triplets(x, labels, alpha=alpha)
    expected = brute_force_triplets(x, labels, alpha)
    assert len(mined) == len(expected)
    assert set(zip(mined.anchor, mined.positive, mined.negative)) == {row[0] for row in expected}
    by_triplet = {row[0]: row for row in expected}
    for a, p, n, pos, neg, category in zip(
        mined.anchor, mined.positive, mined.negative, mined.pos_dist, mined.neg_dist, mined.category
    ):
        _, want_pos, want_neg, _, want_category = by_triplet[(a, p, n)]
        assert (pos, neg) == pytest.approx((want_pos, want_neg), abs=1e-9)
        assert category == want_category
    brute_counts = {name: sum(row[4] == name for row in expected) for name in triplet.CATEGORIES}
    assert mined.counts() == brute_counts
    assert mined.total == pytest.approx(sum(row[3] for row in expected), rel=1e-9)
    assert min(brute_counts.values()) > 0  # the data exercises every category


def test_mine_triplets_size_and_speed_for_a_gallery_of_120():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 128))
    labels = np.repeat(["ana", "bo", "cy", "di", "ed"], 24)
    mined = triplet.mine_triplets(x, labels)
    assert len(mined) == 5 * 24 * 23 * 96
    assert sum(mined.counts().values()) == len(mined)
    np.testing.assert_allclose(mined.loss, np.maximum(mined.basic_loss, 0.0))


def test_hardest_returns_the_largest_losses_first():
    x, labels = small_gallery(seed=1)
    mined = triplet.mine_triplets(x, labels)
    top = mined.hardest(5)
    assert len(top) == 5
    assert np.all(np.diff(top.basic_loss) <= 0)
    assert top.basic_loss[0] == mined.basic_loss.max()
    assert top.basic_loss[-1] >= np.sort(mined.basic_loss)[-5]
    assert len(mined.hardest(10_000)) == len(mined)


@pytest.mark.parametrize("labels", [["a", "b", "c"], ["a", "a", "a"], []])
def test_mine_triplets_without_valid_triplets_is_empty(labels):
    x = np.ones((len(labels), 3))
    mined = triplet.mine_triplets(x, labels)
    assert len(mined) == 0
    assert mined.counts() == {"easy": 0, "semi-hard": 0, "hard": 0}
    assert mined.total == 0.0
    assert len(mined.hardest(3)) == 0


def test_mine_triplets_refuses_huge_galleries_and_bad_shapes():
    x, labels = small_gallery()
    with pytest.raises(ValueError, match="more than max_triplets=10"):
        triplet.mine_triplets(x, labels, max_triplets=10)
    with pytest.raises(ValueError, match=r"labels must have shape \(10,\)"):
        triplet.mine_triplets(x, labels[:-1])
    with pytest.raises(ValueError, match="2-D"):
        triplet.mine_triplets(x[0], labels)


def test_importing_the_package_modules_does_not_import_tensorflow():
    code = (
        "import sys; import facedemo.analysis.triplet, facedemo.analysis.metrics, facedemo.analysis.naive; "
        "print('tensorflow' in sys.modules, 'streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
