"""Distances between encodings, and the one rule that decides "same person".

The rule, stated once for the whole project: a smaller L2 distance means more alike, and two
encodings are judged the same person when ``distance < threshold`` -- strictly, as the course
notebook's ``dist < 0.7``. A distance equal to the threshold is *not* a match: the door stays shut
and recognition answers "Not in the database.". Every page, the CLI, the notebook-style functions
and the metrics call :func:`same_person`; none compares the numbers itself. The calibrated
thresholds are in the networks' registry (:mod:`facedemo.encoding.networks`).

For unit encodings the L2 distance lies in ``[0, 2]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from facedemo.encoding.runtime import l2_normalise
from facedemo.errors import FacedemoError


def same_person(distance: ArrayLike, threshold: float) -> bool | np.ndarray:
    """``distance < threshold``: a bool for one distance, a bool array for an array of them."""
    result = np.asarray(distance) < threshold
    return bool(result) if result.ndim == 0 else result


_RECOMPUTE_BELOW = 1e-6  # relative to the largest squared norm; see _squared_distances
_RECOMPUTE_CHUNK = 65_536


def as_embeddings(x: ArrayLike, name: str) -> np.ndarray:
    """``x`` as a float64 ``(n, d)`` array, or a ValueError naming ``name`` (not 2-D, NaN or inf)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n, d), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared L2 distances via ``|a|^2 + |b|^2 - 2 a.b``, near-duplicates recomputed exactly.

    Both sets are first shifted by the mean of ``a`` (distances do not change) to keep the
    norms small. The formula cancels badly when two rows are almost equal, so entries below
    ``_RECOMPUTE_BELOW`` times the largest squared norm are recomputed from the differences:
    identical rows come out exactly 0 and every entry keeps about 9 significant digits.
    """
    centre = a.mean(axis=0) if a.shape[0] else 0.0
    a, b = a - centre, b - centre
    norms_a, norms_b = np.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", b, b)
    sq = norms_a[:, None] + norms_b[None, :]
    sq -= 2.0 * (a @ b.T)
    largest = max(norms_a.max(initial=0.0), norms_b.max(initial=0.0))
    rows, cols = np.nonzero(sq < _RECOMPUTE_BELOW * largest)
    for start in range(0, rows.size, _RECOMPUTE_CHUNK):
        r, c = rows[start:start + _RECOMPUTE_CHUNK], cols[start:start + _RECOMPUTE_CHUNK]
        diff = a[r] - b[c]
        sq[r, c] = np.einsum("ij,ij->i", diff, diff)
    np.maximum(sq, 0.0, out=sq)
    return sq


def distance_matrix(a: ArrayLike, b: ArrayLike | None = None, *, squared: bool = False) -> np.ndarray:
    """Pairwise Euclidean (L2) distances between two sets of embeddings.

    Parameters
    ----------
    a : array_like of shape (n, d)
        One embedding per row.
    b : array_like of shape (m, d), optional
        A second set. When omitted, ``a`` is compared with itself.
    squared : bool, default False
        Return squared distances ``||a[i] - b[j]||**2`` (what the triplet loss uses).

    Returns
    -------
    ndarray of shape (n, m), float64
        ``D[i, j] = ||a[i] - b[j]||``. With ``b`` omitted the matrix is (n, n),
        exactly symmetric and its diagonal is exactly 0.

    Raises
    ------
    ValueError
        If an input is not 2-D, contains NaN/inf, or the widths ``d`` differ.

    Notes
    -----
    Computed as ``|a - c|^2 + |b - c|^2 - 2 (a - c).(b - c)`` with ``c`` the mean of ``a``
    (one matrix product, float64). Pairs so close that this formula would lose precision are
    recomputed from their differences, so identical rows are exactly 0 apart; anything still
    negative from rounding is clipped to 0 before the square root.
    """
    a = as_embeddings(a, "a")
    if b is None:
        sq = _squared_distances(a, a)
        sq = (sq + sq.T) / 2.0  # the matrix product is not always exactly symmetric
        np.fill_diagonal(sq, 0.0)
    else:
        b = as_embeddings(b, "b")
        if a.shape[1] != b.shape[1]:
            raise ValueError(
                f"a and b must have the same embedding size d, got a {a.shape} and b {b.shape}"
            )
        sq = _squared_distances(a, b)
    return sq if squared else np.sqrt(sq)


def l2_distance(a: ArrayLike, b: ArrayLike) -> float:
    """The L2 distance between two encodings of the same length (any shape holding one vector each)."""
    a = np.asarray(a, dtype=np.float64).reshape(1, -1)
    b = np.asarray(b, dtype=np.float64).reshape(1, -1)
    return float(distance_matrix(a, b)[0, 0])


def paired_distances(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Row by row: ``||a[k] - b[k]||`` for two ``(n, d)`` arrays, as an ``(n,)`` float64 array.

    Computed from the differences (exact for near-equal rows); for every row against every row,
    see :func:`distance_matrix`.
    """
    a, b = as_embeddings(a, "a"), as_embeddings(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    difference = a - b
    return np.sqrt(np.einsum("ij,ij->i", difference, difference))


PERSON_COMPARISONS = ("mean", "nearest")


def person_distance(query: ArrayLike, photos: ArrayLike, comparison: str) -> float:
    """The distance from one encoding to a *person*, given the person's enrolled encodings.

    Parameters
    ----------
    query : ``(d,)`` unit encoding.
    photos : ``(k, d)`` the person's unit encodings, ``k >= 1``.
    comparison : ``"mean"``: to their mean encoding, re-normalised to unit length; ``"nearest"``:
        to the nearest of them. (``"pair"``, one photo against one photo, is not a way to compare
        with a person; each comparison has its own threshold.)
    """
    query = np.asarray(query, dtype=np.float32).reshape(1, -1)
    photos = np.atleast_2d(np.asarray(photos, dtype=np.float32))
    if comparison == "mean":
        return float(distance_matrix(query, l2_normalise(photos.mean(axis=0))[None])[0, 0])
    if comparison == "nearest":
        return float(distance_matrix(query, photos).min())
    raise FacedemoError(
        f"a photo is compared with a person by 'mean' or 'nearest', not {comparison!r} "
        "('pair' is one photo against one photo)"
    )


@dataclass(frozen=True)
class Verdict:
    """One comparison: the distance, the threshold it was held against, and whether that is a match."""

    distance: float
    threshold: float

    @property
    def same(self) -> bool:
        """``distance < threshold`` (:func:`same_person`)."""
        return same_person(self.distance, self.threshold)


def compare(a: ArrayLike, b: ArrayLike, threshold: float) -> Verdict:
    """1:1 on two encodings: their distance and whether it is below ``threshold``."""
    return Verdict(l2_distance(a, b), float(threshold))
