"""How well do embeddings tell people apart? Distances, ROC, EER, TAR@FAR, rank-1.

The curve, its area and the nearest neighbours come from scikit-learn, well-kept and tested
implementations: :func:`sklearn.metrics.roc_curve` (every threshold at once),
:func:`sklearn.metrics.roc_auc_score` and :class:`sklearn.neighbors.NearestNeighbors`. This
module adds the project's side: distances instead of scores (scikit-learn reads "higher = more
likely genuine", so it is given ``-distance``), the strict ``distance < threshold`` rule, EER,
TAR@FAR and best accuracy read off that one curve (scikit-learn has no function for these three),
and the degenerate cases below. Vectorised: 1,000 embeddings (half a million pairs) evaluate in
well under a second; the cost grows with the number of pairs, ``n * (n - 1) / 2``, and
:func:`distance_matrix` holds ``n * m * 8`` bytes.

Vocabulary
----------
genuine pair
    Two photos of the same person. Its distance should be small.
impostor pair
    Two photos of different people. Its distance should be large.
threshold rule
    A pair is **accepted** ("same person", the door opens) when
    ``distance < threshold`` (:func:`facedemo.people.matching.same_person`) -- strictly less, exactly like the course notebook's
    ``if dist < 0.7``. Every function in this module uses that one rule.
    A lower threshold is stricter: fewer impostors get in (lower FAR) but more
    genuine people are turned away (lower TAR).
TAR (true accept rate)
    Fraction of genuine pairs accepted. ``FRR = 1 - TAR`` is the false reject rate.
FAR (false accept rate)
    Fraction of impostor pairs accepted.

Degenerate inputs are decided on purpose, in the style of scikit-learn: a rate whose
denominator is empty (no genuine pairs, e.g. one photo per person; or no impostor pairs,
e.g. a single person) is ``nan`` and an :class:`UndefinedMetricWarning` is emitted.
Malformed inputs (wrong number of dimensions, mismatched lengths, NaN) raise a
``ValueError`` that names the bad value.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from facedemo.people.matching import as_embeddings, distance_matrix, same_person

__all__ = [
    "UndefinedMetricWarning",
    "PairDistances",
    "Rates",
    "ThresholdSweep",
    "Evaluation",
    "distance_matrix",
    "pair_distances",
    "split_pairs",
    "cross_pairs",
    "rates_at",
    "threshold_sweep",
    "roc_curve",
    "roc_auc",
    "equal_error_rate",
    "tar_at_far",
    "best_accuracy_threshold",
    "rank1_accuracy",
    "evaluate",
]

def _sklearn_metrics() -> Any:
    """``sklearn.metrics``, imported on first use.

    Importing scikit-learn and SciPy takes ~0.7 s and ~90 MB: every app page imports this module
    for its vocabulary, and only the pages that compute a curve should pay for it.
    """
    from sklearn import metrics

    return metrics


class UndefinedMetricWarning(UserWarning):
    """A metric cannot be computed from this data (for example: no genuine pairs); it is nan."""


# --------------------------------------------------------------------------- validation


def _as_labels(labels: ArrayLike, n: int) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(
            f"labels has {arr.shape[0]} entries but there are {n} embeddings"
        )
    return arr


def _as_distances(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of distances, got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} contains infinite values; distances must be finite numbers")
    return arr


def _warn_undefined(message: str, *, stacklevel: int = 3) -> None:
    warnings.warn(message, UndefinedMetricWarning, stacklevel=stacklevel)


def _require_both_sides(genuine: np.ndarray, impostor: np.ndarray, metric: str) -> bool:
    """Warn and return False when genuine or impostor distances are missing."""
    missing = [name for name, arr in (("genuine", genuine), ("impostor", impostor)) if arr.size == 0]
    if missing:
        _warn_undefined(
            f"{metric} is undefined with no {' and no '.join(missing)} pairs; returning nan",
            stacklevel=4,
        )
        return False
    return True


def _safe_rate(count: np.ndarray | int, total: int) -> np.ndarray | float:
    if total == 0:
        return np.full(np.shape(count), np.nan) if np.ndim(count) else math.nan
    return np.asarray(count, dtype=np.float64) / total if np.ndim(count) else count / total


# --------------------------------------------------------------------------- distances
# distance_matrix: the project's one distance computation, in facedemo.people.matching


@dataclass(frozen=True)
class PairDistances:
    """Distances of all unordered pairs ``i < j``, split by whether the labels match.

    Attributes
    ----------
    genuine : ndarray of shape (g,)
        Distances of same-person pairs.
    impostor : ndarray of shape (k,)
        Distances of different-person pairs.
    genuine_pairs : ndarray of shape (g, 2), int
        Row ``r`` holds the indices ``(i, j)``, ``i < j``, of ``genuine[r]``.
    impostor_pairs : ndarray of shape (k, 2), int
        Row ``r`` holds the indices ``(i, j)``, ``i < j``, of ``impostor[r]``.
    """

    genuine: np.ndarray
    impostor: np.ndarray
    genuine_pairs: np.ndarray
    impostor_pairs: np.ndarray


def pair_distances(embeddings: ArrayLike, labels: ArrayLike) -> PairDistances:
    """Split the distances of all unordered pairs into genuine and impostor.

    Parameters
    ----------
    embeddings : array_like of shape (n, d)
    labels : array_like of shape (n,)
        Person of each embedding (names or integers).

    Returns
    -------
    PairDistances
        ``n * (n - 1) / 2`` pairs in total, in row-major ``(i, j)`` order.
        Either part may be empty (one photo per person, or one person only).
    """
    x = as_embeddings(embeddings, "embeddings")
    y = _as_labels(labels, x.shape[0])
    dist = distance_matrix(x)
    i, j = np.triu_indices(x.shape[0], k=1)
    same = y[i] == y[j]
    pairs = np.stack([i, j], axis=1)
    return PairDistances(
        genuine=dist[i[same], j[same]],
        impostor=dist[i[~same], j[~same]],
        genuine_pairs=pairs[same],
        impostor_pairs=pairs[~same],
    )


def split_pairs(distances: ArrayLike, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances of the unordered pairs ``i < j`` of a precomputed ``(n, n)`` matrix.

    For distances computed some other way (the pixel baseline's); :func:`pair_distances` computes
    the encodings' own. Returns ``(genuine, impostor)``, 1-D, in row-major ``(i, j)`` order.
    """
    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(labels)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] != y.size:
        raise ValueError(f"distances must be ({y.size}, {y.size}) for {y.size} labels, got {d.shape}")
    i, j = np.triu_indices(y.size, k=1)
    same = y[i] == y[j]
    return d[i[same], j[same]], d[i[~same], j[~same]]


def cross_pairs(
    distances: ArrayLike, row_labels: Sequence[str], col_labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances of every (row, column) pair of an ``(n, m)`` matrix between two sets.

    Returns ``(genuine, impostor)``, 1-D, in row-major order (e.g. val photos × train photos).
    """
    d = np.asarray(distances, dtype=np.float64)
    rows, cols = np.asarray(row_labels), np.asarray(col_labels)
    if d.shape != (rows.size, cols.size):
        raise ValueError(f"distances must be ({rows.size}, {cols.size}) for these labels, got {d.shape}")
    same = rows[:, None] == cols[None, :]
    return d[same], d[~same]


# --------------------------------------------------------------------------- one threshold


@dataclass(frozen=True)
class Rates:
    """Outcome of one threshold (a pair is accepted when ``distance < threshold``).

    Attributes
    ----------
    threshold : float
    true_accepts, false_rejects : int
        Genuine pairs accepted / rejected.
    false_accepts, true_rejects : int
        Impostor pairs accepted / rejected.
    tar : float
        ``true_accepts / genuine``; nan without genuine pairs.
    far : float
        ``false_accepts / impostor``; nan without impostor pairs.
    accuracy : float
        ``(true_accepts + true_rejects) / all pairs``; nan without pairs.
    """

    threshold: float
    true_accepts: int
    false_rejects: int
    false_accepts: int
    true_rejects: int
    tar: float
    far: float
    accuracy: float

    @property
    def frr(self) -> float:
        """False reject rate, ``1 - tar``."""
        return 1.0 - self.tar


def rates_at(threshold: float, genuine: ArrayLike, impostor: ArrayLike) -> Rates:
    """TAR, FAR, accuracy and confusion counts at one threshold.

    Parameters
    ----------
    threshold : float
        A pair is accepted when ``distance < threshold``.
    genuine : array_like of shape (g,)
        Same-person distances.
    impostor : array_like of shape (k,)
        Different-person distances.

    Returns
    -------
    Rates
    """
    if threshold is None or math.isnan(float(threshold)):
        raise ValueError(f"threshold must be a number, got {threshold!r}")
    g = _as_distances(genuine, "genuine")
    imp = _as_distances(impostor, "impostor")
    if g.size == 0 or imp.size == 0:
        _require_both_sides(g, imp, "TAR/FAR")
    ta = int(np.count_nonzero(same_person(g, threshold)))
    fa = int(np.count_nonzero(same_person(imp, threshold)))
    total = g.size + imp.size
    return Rates(
        threshold=float(threshold),
        true_accepts=ta,
        false_rejects=g.size - ta,
        false_accepts=fa,
        true_rejects=imp.size - fa,
        tar=_safe_rate(ta, g.size),
        far=_safe_rate(fa, imp.size),
        accuracy=_safe_rate(ta + imp.size - fa, total),
    )


# --------------------------------------------------------------------------- all thresholds


@dataclass(frozen=True)
class ThresholdSweep:
    """Every distinct outcome of the threshold rule, by increasing threshold.

    All arrays have shape (t,) where ``t`` is the number of distinct distances + 1.
    Row 0 accepts nothing; the last row accepts every pair.

    Attributes
    ----------
    thresholds : ndarray, float64, increasing
        Row 0 is the smallest distance (nothing is strictly below it); the inner rows
        are midpoints between adjacent distinct distances (the middle of each gap, so
        the threshold generalises to new photos); the last row is the next float above
        the largest distance.
    true_accepts, false_accepts : ndarray, int
        Genuine / impostor pairs with ``distance < threshold``.
    tar, far : ndarray, float64, non-decreasing
        nan when the genuine / impostor set is empty.
    accuracy : ndarray, float64
        ``(true_accepts + true_rejects) / all pairs``.
    n_genuine, n_impostor : int
        Sizes of the two sets.
    """

    thresholds: np.ndarray
    true_accepts: np.ndarray
    false_accepts: np.ndarray
    tar: np.ndarray
    far: np.ndarray
    accuracy: np.ndarray
    n_genuine: int
    n_impostor: int

    @property
    def frr(self) -> np.ndarray:
        """False reject rates, ``1 - tar``."""
        return 1.0 - self.tar


def _candidate_thresholds(values: np.ndarray) -> np.ndarray:
    """One threshold per distinct outcome of ``distance < threshold`` for sorted unique ``values``."""
    inner = values[:-1] + (values[1:] - values[:-1]) / 2.0
    return np.concatenate([values[:1], inner, [np.nextafter(values[-1], np.inf)]])


def _as_scores(genuine: np.ndarray, impostor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's view of the pairs: ``y_true`` (1 = genuine) and ``y_score = -distance`` (higher = more alike)."""
    y_true = np.concatenate([np.ones(genuine.size, dtype=np.int8), np.zeros(impostor.size, dtype=np.int8)])
    return y_true, -np.concatenate([genuine, impostor])


def _counts(rate: np.ndarray, total: int) -> np.ndarray:
    """Back from a rate ``count / total`` to the integer count (exact: ``total`` is far below 2**53)."""
    return np.rint(rate * total).astype(np.intp) if total else np.zeros(rate.size, dtype=np.intp)


def _sweep(genuine: np.ndarray, impostor: np.ndarray) -> ThresholdSweep:
    """:func:`threshold_sweep` on validated 1-D arrays, without warnings.

    :func:`sklearn.metrics.roc_curve` on ``-distance`` with every point kept
    (``drop_intermediate=False``): its point ``r`` accepts ``-distance >= -v_r``, i.e.
    ``distance <= v_r`` for the ``r``-th smallest distinct distance ``v_r`` (point 0 accepts
    nothing). Under the strict rule ``distance < t`` that is any ``t`` in ``(v_r, v_{r+1}]``;
    :func:`_candidate_thresholds` picks the middle of the gap. The counts come from the
    distinct values themselves (not from the midpoints), so rounding of a midpoint between two
    adjacent floats cannot change an outcome.
    """
    n_g, n_i = genuine.size, impostor.size
    if n_g + n_i == 0:
        empty = np.empty(0)
        no_counts = np.empty(0, dtype=np.intp)
        return ThresholdSweep(empty, no_counts, no_counts, empty, empty, empty, 0, 0)
    y_true, y_score = _as_scores(genuine, impostor)
    with warnings.catch_warnings():  # one kind only: nan rates, warned about in this module's words
        from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefinedMetricWarning

        warnings.simplefilter("ignore", SklearnUndefinedMetricWarning)
        far, tar, score_cuts = _sklearn_metrics().roc_curve(y_true, y_score, pos_label=1, drop_intermediate=False)
    ta, fa = _counts(tar, n_g), _counts(far, n_i)
    return ThresholdSweep(
        thresholds=_candidate_thresholds(-score_cuts[1:]),  # score_cuts[0] is +inf: accept nothing
        true_accepts=ta,
        false_accepts=fa,
        tar=tar,
        far=far,
        accuracy=_safe_rate(ta + n_i - fa, n_g + n_i),
        n_genuine=n_g,
        n_impostor=n_i,
    )


def _validated_pair(genuine: ArrayLike, impostor: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return _as_distances(genuine, "genuine"), _as_distances(impostor, "impostor")


def threshold_sweep(genuine: ArrayLike, impostor: ArrayLike) -> ThresholdSweep:
    """TAR, FAR and accuracy for every distinct threshold (one :func:`sklearn.metrics.roc_curve`, O(n log n)).

    Parameters
    ----------
    genuine : array_like of shape (g,)
    impostor : array_like of shape (k,)

    Returns
    -------
    ThresholdSweep
        Empty arrays when there are no distances at all. Without genuine (or impostor)
        pairs ``tar`` (or ``far``) is nan and an :class:`UndefinedMetricWarning` is emitted.
    """
    g, imp = _validated_pair(genuine, impostor)
    _require_both_sides(g, imp, "TAR/FAR")
    return _sweep(g, imp)


def roc_curve(
    genuine: ArrayLike, impostor: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve: FAR against TAR as the threshold grows.

    Parameters
    ----------
    genuine : array_like of shape (g,)
    impostor : array_like of shape (k,)

    Returns
    -------
    far : ndarray of shape (t,)
        Non-decreasing, from 0 to 1.
    tar : ndarray of shape (t,)
        Non-decreasing, from 0 to 1. The curve starts at (0, 0) and ends at (1, 1).
    thresholds : ndarray of shape (t,)
        Increasing; ``(far[i], tar[i])`` is the outcome of ``distance < thresholds[i]``.

    Notes
    -----
    Without genuine (or impostor) pairs the corresponding axis is nan and an
    :class:`UndefinedMetricWarning` is emitted. A tie between a genuine and an impostor
    distance moves both rates at once (a diagonal segment), so the trapezoidal area under
    this curve equals :func:`roc_auc`. Computed by :func:`sklearn.metrics.roc_curve` on
    ``-distance`` (see :func:`threshold_sweep` for how its points map to strict thresholds).
    """
    g, imp = _validated_pair(genuine, impostor)
    _require_both_sides(g, imp, "ROC curve")
    sweep = _sweep(g, imp)
    return sweep.far, sweep.tar, sweep.thresholds


def _auc_from_sweep(sweep: ThresholdSweep) -> float:
    """The trapezoidal area under the sweep's ROC (:func:`sklearn.metrics.auc`); a tie's diagonal counts half."""
    return float(_sklearn_metrics().auc(sweep.far, sweep.tar))


def roc_auc(genuine: ArrayLike, impostor: ArrayLike) -> float:
    """Area under the ROC curve.

    The probability that a random genuine distance is smaller than a random impostor
    distance, ties counting half:

    .. math:: AUC = \\frac{1}{g k} \\sum_{i, j} [x_i < y_j] + \\tfrac12 [x_i = y_j]

    This is the Mann-Whitney U statistic, and the trapezoidal area under :func:`roc_curve`
    (a tie's diagonal segment gives the 1/2). Computed by
    :func:`sklearn.metrics.roc_auc_score` on ``-distance``, O(n log n). 1.0 separates
    perfectly, 0.5 is chance.

    Parameters
    ----------
    genuine : array_like of shape (g,)
    impostor : array_like of shape (k,)

    Returns
    -------
    float
        nan, with an :class:`UndefinedMetricWarning`, if either set is empty.
    """
    g, imp = _validated_pair(genuine, impostor)
    if not _require_both_sides(g, imp, "ROC AUC"):
        return math.nan
    return float(_sklearn_metrics().roc_auc_score(*_as_scores(g, imp)))


def _eer_from_sweep(sweep: ThresholdSweep) -> tuple[float, float]:
    gap = sweep.far - sweep.frr  # non-decreasing, from -1 (accept nothing) to +1 (accept all)
    k = int(np.argmax(gap >= 0.0))
    if gap[k] == 0.0:
        return float(sweep.far[k]), float(sweep.thresholds[k])
    w = -gap[k - 1] / (gap[k] - gap[k - 1])
    eer = sweep.far[k - 1] + w * (sweep.far[k] - sweep.far[k - 1])
    threshold = sweep.thresholds[k - 1] + w * (sweep.thresholds[k] - sweep.thresholds[k - 1])
    return float(eer), float(threshold)


def equal_error_rate(genuine: ArrayLike, impostor: ArrayLike) -> tuple[float, float]:
    """Equal error rate: where the false accept rate equals the false reject rate.

    FAR rises and FRR falls as the threshold grows; they cross once. When the crossing
    falls between two thresholds of :func:`threshold_sweep`, rates and threshold are
    interpolated linearly (the usual convention for EER).

    Parameters
    ----------
    genuine : array_like of shape (g,)
    impostor : array_like of shape (k,)

    Returns
    -------
    eer : float
        In [0, 1]; lower is better. nan (with a warning) if either set is empty.
    threshold : float
        The threshold at the crossing.
    """
    g, imp = _validated_pair(genuine, impostor)
    if not _require_both_sides(g, imp, "EER"):
        return math.nan, math.nan
    return _eer_from_sweep(_sweep(g, imp))


def _tar_at_far_from_sweep(sweep: ThresholdSweep, far: float) -> tuple[float, float]:
    allowed_false_accepts = math.floor(far * sweep.n_impostor + 1e-9)
    k = int(np.count_nonzero(sweep.false_accepts <= allowed_false_accepts)) - 1
    return float(sweep.tar[k]), float(sweep.thresholds[k])


def tar_at_far(genuine: ArrayLike, impostor: ArrayLike, far: float) -> tuple[float, float]:
    """Best true accept rate while keeping the false accept rate at or below ``far``.

    Parameters
    ----------
    genuine : array_like of shape (g,)
    impostor : array_like of shape (k,)
    far : float
        Allowed false accept rate in [0, 1], e.g. 0.01 or 0.001. With ``k`` impostor
        pairs the reachable FAR values are multiples of ``1 / k``: with fewer than
        ``1 / far`` impostor pairs this means "no impostor accepted at all".

    Returns
    -------
    tar : float
        nan (with a warning) if either set is empty.
    threshold : float
        The largest sweep threshold whose FAR is within the budget.
    """
    if not 0.0 <= float(far) <= 1.0:
        raise ValueError(f"far must be between 0 and 1, got {far!r}")
    g, imp = _validated_pair(genuine, impostor)
    if not _require_both_sides(g, imp, f"TAR@FAR={far:g}"):
        return math.nan, math.nan
    return _tar_at_far_from_sweep(_sweep(g, imp), far)


def _best_accuracy_from_sweep(sweep: ThresholdSweep) -> tuple[float, float]:
    k = int(np.argmax(sweep.accuracy))
    return float(sweep.thresholds[k]), float(sweep.accuracy[k])


def best_accuracy_threshold(genuine: ArrayLike, impostor: ArrayLike) -> tuple[float, float]:
    """Threshold that classifies the most pairs correctly.

    Parameters
    ----------
    genuine : array_like of shape (g,)
    impostor : array_like of shape (k,)

    Returns
    -------
    threshold : float
        A midpoint between adjacent sorted distances (see :class:`ThresholdSweep`), so it
        sits in the middle of the gap rather than on a photo's distance. On ties the
        smallest (strictest) threshold wins.
    accuracy : float
        ``(true accepts + true rejects) / all pairs`` at that threshold.
        Both are nan (with a warning) when there are no pairs at all.

    Notes
    -----
    Accuracy counts pairs, and there are usually far more impostor pairs than genuine
    ones, so this threshold leans towards rejecting. With only one kind of pair it is
    still defined (it then accepts everything or nothing).
    """
    g, imp = _validated_pair(genuine, impostor)
    if g.size + imp.size == 0:
        _warn_undefined("best accuracy is undefined without any pairs; returning nan")
        return math.nan, math.nan
    return _best_accuracy_from_sweep(_sweep(g, imp))


# --------------------------------------------------------------------------- identification


def _rank1_hits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For each sample whose person has another photo: is its nearest other photo the same person?"""
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    queries = np.flatnonzero(counts[inverse] >= 2)
    if queries.size == 0:
        return np.empty(0, dtype=bool)
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=1, algorithm="brute", metric="euclidean").fit(x)
    # no query points given: each fitted photo's neighbours, the photo itself left out
    nearest = index.kneighbors(return_distance=False)[queries, 0]
    return y[nearest] == y[queries]


def rank1_accuracy(embeddings: ArrayLike, labels: ArrayLike) -> float:
    """Leave-one-out nearest-neighbour identification accuracy.

    Each photo in turn is the query; every *other* photo is the gallery. The query is
    correct when its nearest gallery photo (L2 distance) shows the same person. The search
    is :class:`sklearn.neighbors.NearestNeighbors` (brute force, the photo itself left out);
    when two gallery photos are exactly equally near, it picks one of them (not necessarily
    the lower index).

    Parameters
    ----------
    embeddings : array_like of shape (n, d)
    labels : array_like of shape (n,)

    Returns
    -------
    float
        Fraction correct over the photos whose person has at least one other photo
        (the others cannot be identified and are skipped). nan with an
        :class:`UndefinedMetricWarning` when no photo qualifies.
    """
    x = as_embeddings(embeddings, "embeddings")
    y = _as_labels(labels, x.shape[0])
    hits = _rank1_hits(x, y)
    if hits.size == 0:
        _warn_undefined("rank-1 accuracy is undefined: nobody has two photos; returning nan")
        return math.nan
    return float(hits.mean())


# --------------------------------------------------------------------------- bundle


@dataclass(frozen=True)
class Evaluation:
    """Every headline number for one set of embeddings (see :func:`evaluate`).

    Rates are fractions in [0, 1]; any of them may be nan for degenerate data.

    Attributes
    ----------
    n_images, n_people : int
    n_genuine_pairs, n_impostor_pairs : int
        Unordered pairs ``i < j``.
    auc : float
        :func:`roc_auc`.
    eer, eer_threshold : float
        :func:`equal_error_rate`.
    tar_at_far_1e2, tar_at_far_1e3 : float
        :func:`tar_at_far` at FAR 1 % and 0.1 %.
    best_threshold, best_accuracy : float
        :func:`best_accuracy_threshold`.
    rank1 : float
        :func:`rank1_accuracy`.
    n_rank1_queries : int
        Photos whose person has another photo (the ones rank-1 is averaged over).
    """

    n_images: int
    n_people: int
    n_genuine_pairs: int
    n_impostor_pairs: int
    auc: float
    eer: float
    eer_threshold: float
    tar_at_far_1e2: float
    tar_at_far_1e3: float
    best_threshold: float
    best_accuracy: float
    rank1: float
    n_rank1_queries: int

    def as_dict(self) -> dict[str, Any]:
        """Plain Python values for JSON; nan becomes ``None`` (JSON has no NaN)."""
        return {
            key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in asdict(self).items()
        }


def evaluate(embeddings: ArrayLike, labels: ArrayLike) -> Evaluation:
    """Compute every metric of this module for one labelled set of embeddings.

    Parameters
    ----------
    embeddings : array_like of shape (n, d)
    labels : array_like of shape (n,)

    Returns
    -------
    Evaluation
        TAR@FAR is reported at FAR 1e-2 and 1e-3. Undefined metrics are nan and a
        single :class:`UndefinedMetricWarning` lists them.
    """
    x = as_embeddings(embeddings, "embeddings")
    y = _as_labels(labels, x.shape[0])
    pairs = pair_distances(x, y)
    g, imp = pairs.genuine, pairs.impostor
    sweep = _sweep(g, imp)
    both = g.size > 0 and imp.size > 0
    nan2 = (math.nan, math.nan)
    eer, eer_threshold = _eer_from_sweep(sweep) if both else nan2
    best_threshold, best_accuracy = _best_accuracy_from_sweep(sweep) if sweep.thresholds.size else nan2
    hits = _rank1_hits(x, y)
    result = Evaluation(
        n_images=int(x.shape[0]),
        n_people=int(np.unique(y).size),
        n_genuine_pairs=int(g.size),
        n_impostor_pairs=int(imp.size),
        auc=_auc_from_sweep(sweep) if both else math.nan,
        eer=eer,
        eer_threshold=eer_threshold,
        tar_at_far_1e2=_tar_at_far_from_sweep(sweep, 1e-2)[0] if both else math.nan,
        tar_at_far_1e3=_tar_at_far_from_sweep(sweep, 1e-3)[0] if both else math.nan,
        best_threshold=best_threshold,
        best_accuracy=best_accuracy,
        rank1=float(hits.mean()) if hits.size else math.nan,
        n_rank1_queries=int(hits.size),
    )
    _warn_if_undefined(result)
    return result


def _warn_if_undefined(result: Evaluation) -> None:
    undefined = [
        name for name, value in asdict(result).items() if isinstance(value, float) and math.isnan(value)
    ]
    if undefined:
        warnings.warn(
            f"with {result.n_genuine_pairs} genuine and {result.n_impostor_pairs} impostor pairs, "
            f"these metrics are undefined (nan): {', '.join(undefined)}",
            UndefinedMetricWarning,
            stacklevel=3,
        )
