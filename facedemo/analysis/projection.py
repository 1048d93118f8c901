"""A flat map of the embedding space: PCA to two dimensions, and nearest neighbours.

FaceNet's encodings live in 128 (or 512) dimensions; a screen has two. Principal component analysis
keeps the two directions along which the encodings vary most: photos far apart on the map are
far apart in 128-D, but photos close on the map may not be (the other 126 directions are
flattened). Neighbours are therefore always found with the real 128-D distances.

The PCA is scikit-learn's (:class:`sklearn.decomposition.PCA`, exact SVD), behind a thin wrapper
that keeps a plain, picklable :class:`Projection` and decides the degenerate cases (no photo, one
photo, data of lower rank than asked). Deterministic: each component's sign is fixed so that its
largest entry, in absolute value, is positive (scikit-learn does the same; the wrapper states it
so the map does not depend on that). Neighbours use :func:`facedemo.people.matching.distance_matrix`,
the project's one distance computation, and keep the lower index first on a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA

from facedemo.people.matching import distance_matrix

__all__ = ["Projection", "fit_pca", "pca_2d", "nearest_neighbours"]


def _as_matrix(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n, d), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


@dataclass(frozen=True)
class Projection:
    """A fitted PCA: ``transform(x) = (x - mean) @ components.T``.

    Attributes
    ----------
    mean : ndarray of shape (d,)
        The mean of the fitted rows.
    components : ndarray of shape (k, d)
        Orthonormal rows, by decreasing variance. Rows beyond the data's rank are zero
        (that coordinate is then 0 for every point).
    explained_variance : ndarray of shape (k,)
        Variance of the fitted rows along each component (divided by ``n - 1``; 0 for n < 2).
    explained_variance_ratio : ndarray of shape (k,)
        Share of the total variance kept by each component; 0 when the data does not vary.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, x: ArrayLike) -> np.ndarray:
        """Project rows onto the components.

        Parameters
        ----------
        x : array_like of shape (m, d)

        Returns
        -------
        ndarray of shape (m, k)
        """
        arr = _as_matrix(x, "x")
        if arr.shape[1] != self.mean.shape[0]:
            raise ValueError(f"x must have {self.mean.shape[0]} columns like the fitted data, got shape {arr.shape}")
        return (arr - self.mean) @ self.components.T


def fit_pca(x: ArrayLike, *, n_components: int = 2) -> Projection:
    """Principal components of the rows of ``x``: :class:`sklearn.decomposition.PCA` (full SVD of the centred data).

    Parameters
    ----------
    x : array_like of shape (n, d)
        One embedding per row. ``n = 0`` gives a zero mean and zero components.
    n_components : int, default 2
        ``k``, the number of directions kept; may exceed ``min(n, d)`` (the extra
        components are zero).

    Returns
    -------
    Projection
    """
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
    arr = _as_matrix(x, "x")
    n, d = arr.shape
    k = int(n_components)
    mean = arr.mean(axis=0) if n else np.zeros(d)
    components = np.zeros((k, d))
    variance = np.zeros(k)
    ratio = np.zeros(k)
    total = float(((arr - mean) ** 2).sum() / (n - 1)) if n >= 2 else 0.0
    if total > 0:  # at least two rows that differ; otherwise every coordinate is 0
        pca = PCA(n_components=min(k, n, d), svd_solver="full").fit(arr)
        singular = pca.singular_values_  # the largest first
        tol = singular[0] * max(n, d) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(singular > tol))  # directions beyond the data's rank stay zero
        kept = pca.components_[:rank]
        signs = np.sign(kept[np.arange(rank), np.argmax(np.abs(kept), axis=1)])
        components[:rank] = kept * signs[:, None]
        variance[:rank] = pca.explained_variance_[:rank]
        ratio[:rank] = pca.explained_variance_ratio_[:rank]
    return Projection(mean=mean, components=components, explained_variance=variance, explained_variance_ratio=ratio)


def pca_2d(x: ArrayLike) -> tuple[np.ndarray, Projection]:
    """Fit a two-component PCA on ``x`` and project ``x`` with it.

    Parameters
    ----------
    x : array_like of shape (n, d)

    Returns
    -------
    points : ndarray of shape (n, 2)
        The map coordinates, centred on 0.
    projection : Projection
        Use ``projection.transform`` to place new rows (e.g. uploads) on the same map.
    """
    projection = fit_pca(x, n_components=2)
    return projection.transform(x), projection


def nearest_neighbours(
    vectors: ArrayLike, query: ArrayLike, *, k: int = 5, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``vectors`` closest to ``query`` (L2 distance).

    Parameters
    ----------
    vectors : array_like of shape (n, d)
    query : array_like of shape (d,)
    k : int, default 5
        How many neighbours; fewer are returned when there are fewer rows.
    exclude : int, optional
        A row index to leave out (the query itself, when it is one of the rows).

    Returns
    -------
    indices : ndarray of shape (min(k, available),), int
        Closest first; ties keep the lower index first.
    distances : ndarray of the same shape, float64
        ``||vectors[indices[r]] - query||``, non-decreasing.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    x = _as_matrix(vectors, "vectors")
    q = np.asarray(query, dtype=np.float64)
    if q.shape != (x.shape[1],):
        raise ValueError(f"query must have shape ({x.shape[1]},) like one row of vectors, got shape {q.shape}")
    if exclude is not None and not 0 <= exclude < x.shape[0]:
        raise ValueError(f"exclude must be a row index between 0 and {x.shape[0] - 1}, got {exclude!r}")
    if x.shape[0] == 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    distances = distance_matrix(q[None, :], x)[0]
    candidates = np.arange(x.shape[0])
    if exclude is not None:
        candidates = candidates[candidates != exclude]
    order = candidates[np.argsort(distances[candidates], kind="stable")][:k]
    return order.astype(np.intp), distances[order]
