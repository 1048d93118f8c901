"""Cosine similarity and L2 distance of unit encodings: d² = 2 − 2·cos θ, on exact values and real encodings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facedemo.analysis.units import LIBRARY_THRESHOLDS, cosine_to_l2, l2_to_cosine
from facedemo.people.matching import distance_matrix, same_person


@pytest.mark.parametrize("distance, cosine", [(0.0, 1.0), (math.sqrt(2), 0.0), (2.0, -1.0), (1.0, 0.5)])
def test_exact_values_both_ways(distance, cosine):
    assert l2_to_cosine(distance) == pytest.approx(cosine, abs=1e-12)
    assert cosine_to_l2(cosine) == pytest.approx(distance, abs=1e-12)


def test_the_two_maps_are_inverse_and_decreasing():
    d = np.linspace(0.0, 2.0, 101)
    c = l2_to_cosine(d)
    assert np.all(np.diff(c) < 0)
    np.testing.assert_allclose(cosine_to_l2(c), d, atol=1e-7)


def test_out_of_range_values_are_refused_and_rounding_is_forgiven():
    with pytest.raises(ValueError, match=r"\[0, 2\].*2\.5"):
        l2_to_cosine(2.5)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        cosine_to_l2(-1.2)
    with pytest.raises(ValueError, match="NaN"):
        l2_to_cosine(float("nan"))
    assert l2_to_cosine(2.0 + 1e-9) == -1.0  # float32 encodings land a hair above 2


def test_the_identity_holds_on_real_encodings_and_decides_the_same(train):
    vectors = train.vectors.astype(np.float64)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)  # the model's encodings are unit length
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # exactly, in float64: √ near d=0 magnifies rounding
    distances = distance_matrix(vectors)
    cosines = vectors @ vectors.T
    np.testing.assert_allclose(l2_to_cosine(distances), cosines, atol=1e-6)
    np.testing.assert_allclose(cosine_to_l2(np.clip(cosines, -1, 1)), distances, atol=1e-5)
    threshold = 1.18
    np.testing.assert_array_equal(same_person(distances, threshold), cosines > l2_to_cosine(threshold))


def test_library_thresholds_convert_where_comparable_and_say_so_where_not():
    by_name = {(t.library, t.model, t.metric.split()[0]): t for t in LIBRARY_THRESHOLDS}
    facenet_l2 = by_name["deepface", "Facenet (128-d)", "euclidean_l2"]
    assert facenet_l2.value == 0.80 and facenet_l2.l2 == 0.80 and facenet_l2.cosine == pytest.approx(0.68)
    facenet_cos = by_name["deepface", "Facenet (128-d)", "cosine"]
    assert facenet_cos.cosine == pytest.approx(1 - 0.40) and facenet_cos.l2 == pytest.approx(math.sqrt(0.8))
    dlib = by_name["face_recognition", "dlib ResNet (128-d)", "tolerance"]
    assert dlib.value == 0.6 and dlib.l2 is None and dlib.cosine is None and "not comparable" in dlib.note
    assert all(t.source for t in LIBRARY_THRESHOLDS)
