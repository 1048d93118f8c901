"""The naive baseline: compare two photos pixel by pixel, no model.

Each photo is shrunk to ``size x size`` (the whole photo, no face detection), its pixels are
scaled to [0, 1] and flattened into one long vector (160 * 160 * 3 = 76,800 numbers), and two
photos are compared by the L2 distance between those vectors. Lighting, pose, background and
framing change that distance far more than who is in the picture -- which is why the course
learns an embedding instead.

The pixel vectors and their distances are written out by hand on purpose, so a student can read
the whole baseline in a few lines; its AUC comes from :func:`facedemo.analysis.metrics.roc_auc`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

__all__ = ["pixel_auc", "pixel_vector", "pixel_distance", "pixel_distance_matrix"]

DEFAULT_SIZE = 160
"""Side of the square the photos are resized to, the size of the FaceNet input."""


def _check_rgb(rgb: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be an RGB image of shape (height, width, 3), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"{name} must have dtype uint8 (values 0-255), got {arr.dtype}")
    return arr


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    return int(size)


def pixel_vector(rgb: np.ndarray, *, size: int = DEFAULT_SIZE) -> np.ndarray:
    """The whole photo as one vector of pixel values.

    Parameters
    ----------
    rgb : ndarray of shape (H, W, 3), uint8
        The photo.
    size : int, default 160
        The photo is resized (bilinear, aspect ratio not kept) to ``size x size``.

    Returns
    -------
    ndarray of shape (size * size * 3,), float32
        Pixel values in [0, 1], row by row, R G B interleaved.
    """
    arr = _check_rgb(rgb, "rgb")
    size = _check_size(size)
    resized = Image.fromarray(np.ascontiguousarray(arr)).resize((size, size), Image.Resampling.BILINEAR)
    return (np.asarray(resized, dtype=np.float32) / 255.0).ravel()


def pixel_distance(rgb_a: np.ndarray, rgb_b: np.ndarray, *, size: int = DEFAULT_SIZE) -> float:
    """L2 distance between two photos' pixel vectors (see :func:`pixel_vector`).

    Parameters
    ----------
    rgb_a, rgb_b : ndarray of shape (H, W, 3), uint8
        The two photos; their sizes may differ.
    size : int, default 160

    Returns
    -------
    float
        0 for identical photos; at most ``sqrt(size * size * 3)`` (about 277 at 160).
    """
    a = pixel_vector(rgb_a, size=size).astype(np.float64)
    b = pixel_vector(rgb_b, size=size).astype(np.float64)
    return float(np.linalg.norm(a - b))


def pixel_distance_matrix(images: Sequence[np.ndarray], *, size: int = DEFAULT_SIZE) -> np.ndarray:
    """Pixel distances between every pair of photos.

    Parameters
    ----------
    images : sequence of n ndarrays of shape (H_i, W_i, 3), uint8
    size : int, default 160

    Returns
    -------
    ndarray of shape (n, n), float64
        Symmetric, zero diagonal; ``(0, 0)`` for no photos. Entry ``[i, j]`` equals
        ``pixel_distance(images[i], images[j])`` (computed from explicit differences, so
        identical photos are exactly 0 apart).
    """
    size = _check_size(size)
    n = len(images)
    if n == 0:
        return np.zeros((0, 0))
    vectors = np.stack([pixel_vector(img, size=size) for img in images]).astype(np.float64)
    upper = np.zeros((n, n))
    for i in range(n - 1):  # one row at a time keeps memory at (n, size * size * 3)
        upper[i, i + 1:] = np.linalg.norm(vectors[i + 1:] - vectors[i], axis=1)
    return upper + upper.T


def pixel_auc(images: Sequence[np.ndarray], labels: Sequence[str], *, size: int = DEFAULT_SIZE) -> float:
    """ROC AUC of the pixel distance over every pair of a labelled set of photos.

    Parameters
    ----------
    images : sequence of n RGB uint8 arrays (whole photos).
    labels : n person names.

    Returns
    -------
    float, the probability that a random same-person pair is closer than a random
    different-person pair (0.5 = chance).
    """
    from facedemo.analysis import metrics

    distances = pixel_distance_matrix(images, size=size)
    i, j = np.triu_indices(len(images), k=1)
    same = np.asarray(labels)[i] == np.asarray(labels)[j]
    return metrics.roc_auc(distances[i, j][same], distances[i, j][~same])
