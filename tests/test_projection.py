"""facedemo.analysis.projection: PCA against a numpy SVD oracle, shapes, degenerate cases, nearest neighbours.

At the end, the photo ids of facedemo.gallery.album and the frames of ui.frames that the map and the analysis pages draw from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facedemo.analysis import metrics, projection
from facedemo.gallery import album
from ui import frames as tables


def _oracle(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Components, projected points and variance ratios straight from numpy's SVD."""
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    return vt[:k], centred @ vt[:k].T, (s[:k] ** 2) / np.sum(s**2)


@pytest.mark.parametrize(("n", "d"), [(40, 128), (200, 5), (7, 30)])
def test_pca_matches_the_svd_oracle_up_to_sign(n, d):
    rng = np.random.default_rng(n * d)
    x = rng.normal(size=(n, d)) * np.linspace(3.0, 0.1, d)  # distinct variances: a unique answer
    points, fitted = projection.pca_2d(x)
    components, expected, ratio = _oracle(x, 2)
    signs = np.sign(np.sum(fitted.components * components, axis=1))
    assert np.all(np.abs(signs) == 1)
    np.testing.assert_allclose(fitted.components, components * signs[:, None], atol=1e-10)
    np.testing.assert_allclose(points, expected * signs, atol=1e-9)
    np.testing.assert_allclose(fitted.explained_variance_ratio, ratio, rtol=1e-10)
    np.testing.assert_allclose(fitted.explained_variance, points.var(axis=0, ddof=1), rtol=1e-10)


def test_a_large_gallery_is_still_the_exact_svd():
    # 2,000 x 128: where scikit-learn's svd_solver="auto" would pick an approximate solver; the wrapper asks for the exact one
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2000, 128)) * np.linspace(2.0, 0.5, 128)
    points, fitted = projection.pca_2d(x)
    components, expected, ratio = _oracle(x, 2)
    signs = np.sign(np.sum(fitted.components * components, axis=1))
    np.testing.assert_allclose(fitted.components, components * signs[:, None], atol=1e-10)
    np.testing.assert_allclose(points, expected * signs, atol=1e-9)
    np.testing.assert_allclose(fitted.explained_variance_ratio, ratio, rtol=1e-10)


def test_shapes_and_invariants():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 16))
    points, fitted = projection.pca_2d(x)
    assert points.shape == (30, 2)
    assert fitted.mean.shape == (16,) and fitted.components.shape == (2, 16)
    np.testing.assert_allclose(points.mean(axis=0), 0.0, atol=1e-12)  # centred
    np.testing.assert_allclose(fitted.components @ fitted.components.T, np.eye(2), atol=1e-12)  # orthonormal
    assert fitted.explained_variance[0] >= fitted.explained_variance[1] >= 0
    assert 0 < fitted.explained_variance_ratio.sum() <= 1
    # each component's largest entry is positive, so the map does not flip between runs
    assert np.all(fitted.components[np.arange(2), np.argmax(np.abs(fitted.components), axis=1)] > 0)
    # shifting every encoding by the same vector does not move the map
    shifted, _ = projection.pca_2d(x + 5.0)
    np.testing.assert_allclose(shifted, points, atol=1e-9)
    # new rows land on the same map: transforming the fitted rows gives the fitted points
    np.testing.assert_allclose(fitted.transform(x[:3]), points[:3], atol=1e-12)


def test_data_on_a_plane_is_mapped_without_distortion():
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.normal(size=(128, 2)))  # an orthonormal plane in 128-D
    flat = rng.normal(size=(50, 2)) * [4.0, 1.0]
    x = flat @ basis.T + rng.normal(size=128)
    points, fitted = projection.pca_2d(x)
    assert fitted.explained_variance_ratio.sum() == pytest.approx(1.0)
    original = np.linalg.norm(x[:, None] - x[None], axis=-1)
    mapped = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.testing.assert_allclose(mapped, original, atol=1e-9)


def test_degenerate_inputs_are_decided_on_purpose():
    empty, fitted = projection.pca_2d(np.zeros((0, 4)))
    assert empty.shape == (0, 2) and fitted.components.shape == (2, 4)
    one, fitted = projection.pca_2d(np.ones((1, 4)))
    np.testing.assert_array_equal(one, [[0.0, 0.0]])
    assert np.all(fitted.explained_variance_ratio == 0)
    line = np.outer(np.arange(5.0), [1.0, 2.0, 2.0])  # rank 1: the second coordinate is 0
    points, fitted = projection.pca_2d(line)
    np.testing.assert_allclose(points[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(points[:, 0]), np.abs(np.arange(5.0) - 2.0) * 3.0)
    np.testing.assert_array_equal(fitted.components[1], 0.0)
    assert projection.fit_pca(np.eye(3), n_components=5).components.shape == (5, 3)


@pytest.mark.parametrize("bad", [np.zeros(4), np.zeros((2, 2, 2)), np.array([[0.0, np.nan], [1.0, 2.0]])])
def test_pca_rejects_malformed_input(bad):
    with pytest.raises(ValueError, match="x"):
        projection.pca_2d(bad)


def test_transform_and_n_components_are_validated():
    _, fitted = projection.pca_2d(np.random.default_rng(2).normal(size=(5, 3)))
    with pytest.raises(ValueError, match="3 columns"):
        fitted.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="n_components"):
        projection.fit_pca(np.zeros((3, 3)), n_components=0)


def test_nearest_neighbours_by_hand():
    vectors = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0], [0.0, 2.0], [-1.0, 0.0]])
    indices, distances = projection.nearest_neighbours(vectors, vectors[0], k=3, exclude=0)
    np.testing.assert_array_equal(indices, [2, 4, 3])  # a tie at 1.0: the lower index first
    np.testing.assert_allclose(distances, [1.0, 1.0, 2.0])
    indices, distances = projection.nearest_neighbours(vectors, [3.0, 4.0], k=1)
    np.testing.assert_array_equal(indices, [1])
    assert distances[0] == 0.0
    indices, _ = projection.nearest_neighbours(vectors, vectors[0], k=10, exclude=0)
    assert sorted(indices) == [1, 2, 3, 4]  # fewer rows than k: every other row
    indices, distances = projection.nearest_neighbours(np.zeros((0, 2)), [0.0, 0.0], k=3)
    assert indices.shape == distances.shape == (0,)


def test_nearest_neighbours_match_a_brute_force_oracle():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(60, 128))
    for query_row in (0, 17, 59):
        indices, distances = projection.nearest_neighbours(vectors, vectors[query_row], k=7, exclude=query_row)
        brute = sorted((float(np.linalg.norm(v - vectors[query_row])), row)
                       for row, v in enumerate(vectors) if row != query_row)[:7]
        np.testing.assert_array_equal(indices, [row for _, row in brute])
        np.testing.assert_allclose(distances, [dist for dist, _ in brute], rtol=1e-9)
        assert np.all(np.diff(distances) >= 0)


@pytest.mark.parametrize(("query", "options", "message"), [
    (np.zeros(3), {}, "query"),
    (np.zeros(2), {"k": -1}, "k must"),
    (np.zeros(2), {"exclude": 9}, "exclude"),
])
def test_nearest_neighbours_validate_their_arguments(query, options, message):
    with pytest.raises(ValueError, match=message):
        projection.nearest_neighbours(np.zeros((4, 2)), query, **options)


# --- album ids and ui.frames: what the charts are drawn from ---------------------------------------------
def test_photo_ids_count_from_one_in_folder_order_including_skipped_photos():
    assert album.photo_ids(["a", "a", "b"], "train") == ["train/a/1", "train/a/2", "train/b/1"]
    paths = ["x/train/a/2.jpg", "x/train/a/3.jpg", "x/train/b/1.jpg"]
    ids = album.photo_ids(["a", "a", "b"], "train", paths, skipped=["x/train/a/1.jpg"])
    assert ids == ["train/a/2", "train/a/3", "train/b/1"]  # a/1.jpg had no face: numbers still match the folder
    known = ["train/a/2", "train/a/3", "train/b/1"]
    assert album.parse_photo_ids(" train/b/1,nobody,train/a/2,train/b/1", known) == ["train/b/1", "train/a/2"]
    assert album.parse_photo_ids(None, known) == []
    assert album.parse_photo_ids(",".join(known), known, limit=2) == known[:2]


def test_matrix_frame_decides_each_cell_with_the_threshold_and_checks_the_names():
    d = np.array([[0.0, 0.5, 0.9], [0.5, 0.0, 1.5], [0.9, 1.5, 0.0]])
    frame = tables.matrix_frame(d, ["A1", "A2", "B1"], ["a", "a", "b"], 1.0).set_index(["row", "col"])
    assert len(frame) == 9
    assert frame.loc[("A1", "A2"), "decision"] == "match" and not frame.loc[("A1", "A2"), "wrong"]
    assert frame.loc[("A1", "B1"), "wrong"] and "false accept" in frame.loc[("A1", "B1"), "verdict"]
    assert frame.loc[("A2", "B1"), "decision"] == "no match" and not frame.loc[("A2", "B1"), "wrong"]
    assert frame.loc[("B1", "B1"), "truth"] == "same photo"
    assert frame.loc[("A1", "B1"), "pair"] == frame.loc[("B1", "A1"), "pair"] == "0-2"
    strict = tables.matrix_frame(d, ["A1", "A2", "B1"], ["a", "a", None], 0.5).set_index(["row", "col"])
    assert strict.loc[("A1", "A2"), "verdict"].startswith("WRONG")  # 0.5 is not < 0.5: a false reject
    assert strict.loc[("A1", "B1"), "truth"] == "unknown" and not strict.loc[("A1", "B1"), "wrong"]


def test_roc_frame_keeps_only_corners_and_the_same_curve():
    rng = np.random.default_rng(4)
    genuine, impostor = rng.normal(0.8, 0.2, 300).round(2), rng.normal(1.4, 0.15, 900).round(2)
    far, tar, thresholds = metrics.roc_curve(genuine, impostor)
    thin = tables.roc_frame(far, tar, thresholds)
    assert len(thin) < len(far)
    assert (thin["far"].iloc[0], thin["tar"].iloc[0], thin["far"].iloc[-1], thin["tar"].iloc[-1]) == (0, 0, 1, 1)
    assert np.trapezoid(thin["tar"], thin["far"]) == pytest.approx(metrics.roc_auc(genuine, impostor), abs=1e-12)
    assert thin["threshold"].is_monotonic_increasing


def test_pairs_from_a_precomputed_matrix_match_metrics_pair_distances():
    rng = np.random.default_rng(5)
    x, labels = rng.normal(size=(12, 4)), list("aaabbbbccdde")
    oracle = metrics.pair_distances(x, labels)
    genuine, impostor = metrics.split_pairs(metrics.distance_matrix(x), labels)
    np.testing.assert_allclose(genuine, oracle.genuine)
    np.testing.assert_allclose(impostor, oracle.impostor)
    genuine, impostor = metrics.cross_pairs(metrics.distance_matrix(x[:5], x[5:]), labels[:5], labels[5:])
    assert genuine.size == 4 and impostor.size == 5 * 7 - 4  # the 2 b of one set against the 2 b of the other
    assert genuine.size + impostor.size == 35


def test_histograms_toy_shapes_and_examples():
    hist = tables.histogram_frame({"genuine": [0.1, 0.2, 0.9], "impostor": [1.0] * 4}, bins=5, value_range=(0, 1))
    assert hist.groupby("kind")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert hist.groupby("kind")["count"].sum().tolist() == [3, 4]
    dots, circles = tables.toy_triplet_frames((0, 0), (0.6, 0.8), (2, 0), alpha=0.44)
    radii = circles.groupby("circle").apply(lambda c: np.hypot(c.x, c.y).mean(), include_groups=False)
    assert radii[tables.HARD_CIRCLE] == pytest.approx(1.0) and radii[tables.EASY_CIRCLE] == pytest.approx(1.2)
    assert list(dots["x"]) == [0, 0.6, 2]
    assert tables.example_pairs(["a", "a", "b", "b"]) == [(0, 1), (0, 2), (2, 3), (2, 0)]


def test_an_album_subset_keeps_the_recipe_and_the_model():
    from facedemo.gallery.album import Album
    from facedemo.gallery.labelled import LabelledEncodings

    def part(people: list[str]) -> LabelledEncodings:
        vectors = np.eye(4, dtype=np.float32)[: len(people)]
        return LabelledEncodings(vectors, people, [Path(f"{p}/{i}.jpg") for i, p in enumerate(people)],
                                 [None] * len(people), recipe="course", network="casia")

    album = Album.from_parts({"train": part(["ann", "bo"]), "val": part(["ann"])})
    val = album.subset("val")
    assert (val.ids, val.encodings.recipe, val.encodings.network) == (["val/ann/1"], "course", "casia")
