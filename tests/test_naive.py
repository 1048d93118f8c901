"""facedemo.analysis.naive: the pixel-by-pixel baseline, on synthetic images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facedemo.analysis import naive


def random_image(seed, height=90, width=70):
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def test_pixel_vector_shape_dtype_and_range():
    vector = naive.pixel_vector(random_image(0))
    assert vector.shape == (160 * 160 * 3,)
    assert vector.dtype == np.float32
    assert 0.0 <= vector.min() and vector.max() <= 1.0
    assert naive.pixel_vector(random_image(0), size=8).shape == (8 * 8 * 3,)


def test_uniform_image_keeps_its_value_after_resizing():
    gray = np.full((30, 50, 3), 51, dtype=np.uint8)
    np.testing.assert_allclose(naive.pixel_vector(gray, size=16), 51 / 255, rtol=1e-6)


def test_resizing_is_bilinear_so_edges_blend():
    stripes = np.zeros((8, 8, 3), dtype=np.uint8)
    stripes[:, ::2] = 255  # black and white columns
    values = naive.pixel_vector(stripes, size=5)
    assert np.any((values > 0.05) & (values < 0.95))  # nearest-neighbour would give only 0 and 1
    expected = np.asarray(Image.fromarray(stripes).resize((5, 5), Image.Resampling.BILINEAR)) / 255
    np.testing.assert_allclose(values, expected.ravel(), atol=1e-6)


def test_identical_images_are_at_distance_zero():
    image = random_image(1)
    assert naive.pixel_distance(image, image) == 0.0
    assert naive.pixel_distance(image, image.copy()) == 0.0


def test_distance_is_symmetric_and_positive_for_different_images():
    a, b = random_image(2), random_image(3, height=120, width=160)
    assert naive.pixel_distance(a, b) > 0.0
    assert naive.pixel_distance(a, b) == naive.pixel_distance(b, a)


def test_distance_of_two_flat_images_is_hand_computable():
    black = np.zeros((10, 10, 3), dtype=np.uint8)
    white = np.full((20, 40, 3), 255, dtype=np.uint8)
    # every one of the 4 * 4 * 3 values differs by exactly 1
    assert naive.pixel_distance(black, white, size=4) == pytest.approx(np.sqrt(48))


def test_the_whole_photo_is_resized_so_a_scaled_copy_is_close():
    image = random_image(4, height=40, width=40)
    bigger = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)
    flipped = image[:, ::-1]
    close = naive.pixel_distance(image, bigger, size=40)
    assert close < naive.pixel_distance(image, flipped, size=40)


def test_distance_matrix_is_symmetric_with_zero_diagonal_and_matches_pairs():
    images = [random_image(5), random_image(6, height=60), random_image(5), random_image(7, width=200)]
    matrix = naive.pixel_distance_matrix(images, size=32)
    assert matrix.shape == (4, 4)
    assert np.all(np.diag(matrix) == 0.0)
    assert np.array_equal(matrix, matrix.T)
    for i in range(4):
        for j in range(4):
            assert matrix[i, j] == pytest.approx(naive.pixel_distance(images[i], images[j], size=32), abs=1e-6)
    assert matrix[0, 2] == pytest.approx(0.0, abs=1e-6)  # same pixels, two array objects


def test_distance_matrix_of_no_images_is_empty():
    assert naive.pixel_distance_matrix([]).shape == (0, 0)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((10, 10), dtype=np.uint8), r"shape \(height, width, 3\), got shape \(10, 10\)"),
        (np.zeros((10, 10, 4), dtype=np.uint8), r"got shape \(10, 10, 4\)"),
        (np.zeros((0, 10, 3), dtype=np.uint8), r"got shape \(0, 10, 3\)"),
        (np.zeros((10, 10, 3), dtype=np.float32), r"dtype uint8 .* got float32"),
    ],
)
def test_bad_images_raise_value_error(image, match):
    with pytest.raises(ValueError, match=match):
        naive.pixel_vector(image)


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_bad_size_raises_value_error(size):
    with pytest.raises(ValueError, match="size must be a positive integer"):
        naive.pixel_vector(random_image(0), size=size)
