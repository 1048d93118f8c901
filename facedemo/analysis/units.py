"""L2 distance and cosine similarity of unit encodings, and other libraries' thresholds in facedemo's units.

For unit vectors ``a`` and ``b`` at angle ``θ``,

.. math:: d^2 = \\lVert a - b \\rVert^2 = 2 - 2 \\cos\\theta

so the L2 distance ``d`` (in ``[0, 2]``, smaller = more alike) and the cosine similarity
``cos θ`` (in ``[-1, 1]``, larger = more alike) say the same thing: ``d = 0`` ↔ ``cos = 1``
(identical), ``d = √2`` ↔ ``cos = 0`` (orthogonal), ``d = 2`` ↔ ``cos = -1`` (opposite). The map is
decreasing, so "``d < t``" is "``cos > cosine(t)``": a display in either unit decides the same.
facedemo's one rule stays on L2 (:func:`facedemo.people.matching.same_person`).

Some libraries speak of *cosine distance*, ``1 - cos θ``, instead of the similarity
(deepface's ``"cosine"`` metric): :data:`LIBRARY_THRESHOLDS` converts each figure to both units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MAX_L2", "LibraryThreshold", "LIBRARY_THRESHOLDS", "l2_to_cosine", "cosine_to_l2"]

MAX_L2 = 2.0
_SLACK = 1e-6  # float32 encodings: a distance may come out a hair above 2, a similarity a hair beyond ±1


def _as_array(x: ArrayLike, name: str, low: float, high: float) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN")
    if np.any(arr < low - _SLACK) or np.any(arr > high + _SLACK):
        bad = arr[(arr < low - _SLACK) | (arr > high + _SLACK)].ravel()[0]
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}] for unit encodings, got {bad!r}")
    return np.clip(arr, low, high)


def _out(arr: np.ndarray) -> float | np.ndarray:
    return float(arr) if arr.ndim == 0 else arr


def l2_to_cosine(distance: ArrayLike) -> float | np.ndarray:
    """Cosine similarity ``1 - d² / 2`` of unit encodings ``d`` apart.

    Parameters
    ----------
    distance : float or array_like of shape (n,)
        L2 distances between unit encodings, in ``[0, 2]``.

    Returns
    -------
    float, or ndarray of the input's shape
        In ``[-1, 1]``; decreasing in ``distance``.

    Raises
    ------
    ValueError
        If a distance is NaN or outside ``[0, 2]`` (beyond float rounding).
    """
    d = _as_array(distance, "distance", 0.0, MAX_L2)
    return _out(1.0 - d * d / 2.0)


def cosine_to_l2(cosine: ArrayLike) -> float | np.ndarray:
    """L2 distance ``√(2 - 2 cos θ)`` of unit encodings with cosine similarity ``cos θ``.

    Parameters
    ----------
    cosine : float or array_like of shape (n,)
        Cosine similarities, in ``[-1, 1]``.

    Returns
    -------
    float, or ndarray of the input's shape
        In ``[0, 2]``; decreasing in ``cosine``. The inverse of :func:`l2_to_cosine`.

    Raises
    ------
    ValueError
        If a similarity is NaN or outside ``[-1, 1]`` (beyond float rounding).
    """
    c = _as_array(cosine, "cosine", -1.0, 1.0)
    return _out(np.sqrt(np.maximum(2.0 - 2.0 * c, 0.0)))


@dataclass(frozen=True)
class LibraryThreshold:
    """Another library's default threshold, as its source states it, and in facedemo's units.

    Attributes
    ----------
    library, model : str
        Who sets it, for which network.
    metric : str
        The library's own name for what the figure measures.
    value : float
        The figure as the source gives it.
    source : str
        Where it is written (repository and file).
    l2 : float or None
        The same threshold as an L2 distance between unit encodings; None when the library's
        space is not unit encodings, so no conversion means anything.
    note : str
        What a reader should know before comparing it with facedemo's thresholds.
    """

    library: str
    model: str
    metric: str
    value: float
    source: str
    l2: float | None
    note: str

    @property
    def cosine(self) -> float | None:
        """The threshold as a cosine similarity (None when not comparable)."""
        return None if self.l2 is None else l2_to_cosine(self.l2)


_DEEPFACE = "serengil/deepface, deepface/modules/verification.py (find_threshold)"
_FACE_RECOGNITION = "ageitgey/face_recognition, face_recognition/api.py (compare_faces)"
_SAME_KIND = ("a FaceNet of deepface's own; same units as facedemo's (unit encodings), "
              "but another model's encodings, so not the same cut on these photos")

LIBRARY_THRESHOLDS: tuple[LibraryThreshold, ...] = (
    LibraryThreshold("deepface", "Facenet (128-d)", "euclidean_l2 (L2 of normalised encodings)", 0.80,
                     _DEEPFACE, 0.80, _SAME_KIND),
    LibraryThreshold("deepface", "Facenet (128-d)", "cosine distance (1 − cosine similarity)", 0.40,
                     _DEEPFACE, float(cosine_to_l2(1.0 - 0.40)),
                     "deepface's cosine and L2 defaults for one model are tuned apart: they are not the same cut"),
    LibraryThreshold("deepface", "Facenet512 (512-d)", "euclidean_l2 (L2 of normalised encodings)", 1.04,
                     _DEEPFACE, 1.04, _SAME_KIND),
    LibraryThreshold("deepface", "Facenet512 (512-d)", "cosine distance (1 − cosine similarity)", 0.30,
                     _DEEPFACE, float(cosine_to_l2(1.0 - 0.30)), _SAME_KIND),
    LibraryThreshold("face_recognition", "dlib ResNet (128-d)", "tolerance (L2 of dlib's encodings)", 0.6,
                     _FACE_RECOGNITION, None,
                     "dlib's own 128-d space, not unit encodings: not comparable with facedemo's distances"),
)
