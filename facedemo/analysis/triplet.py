"""The triplet loss that trains FaceNet, and tools to look inside it.

A triplet is an anchor photo A, a positive P (same person) and a negative N (someone
else). With ``f`` the embedding network and margin ``alpha``:

.. math::

    \\mathcal{L} = \\sum_{i=1}^{m} \\max\\left(
        \\lVert f(A_i) - f(P_i) \\rVert_2^2 - \\lVert f(A_i) - f(N_i) \\rVert_2^2 + \\alpha,\\; 0
    \\right)

**Every distance in this module is a SQUARED L2 distance**, as in the loss: ``pos_dist``
is ``||f(A) - f(P)||**2`` and ``neg_dist`` is ``||f(A) - f(N)||**2``. (The verification
threshold in :mod:`facedemo.analysis.metrics` applies to plain, non-squared L2 distances.)

Categories, decided on the same squared distances (FaceNet, Schroff et al. 2015):

``"easy"``
    ``neg_dist >= pos_dist + alpha``: already beyond the margin, the loss is 0.
``"semi-hard"``
    ``pos_dist < neg_dist < pos_dist + alpha``: the negative is farther than the positive
    but inside the margin; small positive loss. FaceNet trains on these.
``"hard"``
    ``neg_dist <= pos_dist``: the negative is at least as close as the positive.

A triplet is "hard" first, else "easy" when its clipped loss is exactly 0, else
"semi-hard"; so "easy" always means zero loss, even for ``alpha <= 0``.

Only :func:`triplet_loss` and :func:`random_encodings` use TensorFlow, imported when called.
The loss is written out by hand (in TensorFlow, as the course's notebook does) on purpose: it is
the formula above, the thing this module teaches, not a library call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from facedemo.people.matching import distance_matrix

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

__all__ = [
    "CATEGORIES",
    "TripletTerms",
    "MinedTriplets",
    "triplet_loss",
    "triplet_terms",
    "classify_triplet",
    "classify_triplets",
    "mine_triplets",
    "random_encodings",
]

CATEGORIES: tuple[str, str, str] = ("easy", "semi-hard", "hard")
"""Triplet categories, from harmless to harmful; index = the code used internally."""

_EASY, _SEMI_HARD, _HARD = 0, 1, 2
_DEFAULT_MAX_TRIPLETS = 5_000_000


# --------------------------------------------------------------------------- TensorFlow


def _as_float_tensor(x: Any) -> tf.Tensor:
    import tensorflow as tf

    t = tf.convert_to_tensor(x)
    return t if t.dtype.is_floating else tf.cast(t, tf.float32)


def triplet_loss(y_true: Any, y_pred: Sequence[Any], alpha: float = 0.2) -> tf.Tensor:
    """Triplet loss, exactly as in the course notebook.

    .. math::

        \\mathcal{L} = \\sum_i \\max(\\lVert A_i - P_i \\rVert^2 - \\lVert A_i - N_i \\rVert^2 + \\alpha, 0)

    Parameters
    ----------
    y_true : any
        Unused; there only because Keras passes it to every loss.
    y_pred : sequence of 3 array_like, each of shape (m, 128) or (128,)
        ``(anchor, positive, negative)`` encodings. A 1-D part is a single triplet.
        Python lists and integer arrays are converted to float32 tensors.
    alpha : float, default 0.2
        The margin. Positional as in the notebook (``triplet_loss(y_true, y_pred, 5)``).

    Returns
    -------
    tf.Tensor, scalar
        The summed loss (not averaged), >= 0.
    """
    import tensorflow as tf

    anchor, positive, negative = (_as_float_tensor(y_pred[i]) for i in range(3))
    pos_dist = tf.reduce_sum(tf.square(anchor - positive), axis=-1)
    neg_dist = tf.reduce_sum(tf.square(anchor - negative), axis=-1)
    basic_loss = pos_dist - neg_dist + alpha
    loss = tf.reduce_sum(tf.maximum(basic_loss, 0.0))
    return loss


def random_encodings(
    seed: int = 1,
    *,
    n_triplets: int = 3,
    dim: int = 128,
    anchor_mean: float = 6.0,
    anchor_stddev: float = 0.1,
    positive_mean: float = 1.0,
    positive_stddev: float = 1.0,
    negative_mean: float = 3.0,
    negative_stddev: float = 4.0,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The notebook's random ``y_pred`` for checking :func:`triplet_loss`.

    With the defaults, ``triplet_loss(None, random_encodings())`` is 527.2598 (float32).

    Parameters
    ----------
    seed : int, default 1
        Passed to ``tf.random.set_seed`` -- this sets TensorFlow's *global* seed, as the
        notebook does. Each part also uses the notebook's op-level ``seed=1``.
    n_triplets, dim : int, default 3, 128
        Shape of each part.
    anchor_mean, anchor_stddev, positive_mean, positive_stddev, negative_mean, negative_stddev : float
        Normal distribution of each part; defaults are the notebook's.

    Returns
    -------
    tuple of 3 tf.Tensor, each of shape (n_triplets, dim), float32
        ``(anchor, positive, negative)``.
    """
    import tensorflow as tf

    tf.random.set_seed(seed)
    shape = [n_triplets, dim]
    return (
        tf.random.normal(shape, mean=anchor_mean, stddev=anchor_stddev, seed=1),
        tf.random.normal(shape, mean=positive_mean, stddev=positive_stddev, seed=1),
        tf.random.normal(shape, mean=negative_mean, stddev=negative_stddev, seed=1),
    )


# --------------------------------------------------------------------------- categories


def _category_codes(pos_dist: np.ndarray, neg_dist: np.ndarray, basic_loss: np.ndarray) -> np.ndarray:
    codes = np.where(basic_loss <= 0.0, _EASY, _SEMI_HARD).astype(np.int8)
    codes[neg_dist <= pos_dist] = _HARD
    return codes


def _category_names(codes: np.ndarray) -> np.ndarray:
    return np.asarray(CATEGORIES)[codes]


def classify_triplets(pos_dist: ArrayLike, neg_dist: ArrayLike, *, alpha: float = 0.2) -> np.ndarray:
    """Vectorised :func:`classify_triplet`.

    Parameters
    ----------
    pos_dist, neg_dist : array_like, same shape
        SQUARED anchor-positive and anchor-negative distances.
    alpha : float, default 0.2
        The margin.

    Returns
    -------
    ndarray of str, same shape
        ``"easy"``, ``"semi-hard"`` or ``"hard"`` (see the module docstring).
    """
    pos = np.asarray(pos_dist, dtype=np.float64)
    neg = np.asarray(neg_dist, dtype=np.float64)
    if pos.shape != neg.shape:
        raise ValueError(f"pos_dist and neg_dist must have the same shape, got {pos.shape} and {neg.shape}")
    return _category_names(_category_codes(pos, neg, pos - neg + alpha))


def classify_triplet(pos_dist: float, neg_dist: float, *, alpha: float = 0.2) -> str:
    """Is this triplet easy, semi-hard or hard?

    Parameters
    ----------
    pos_dist : float
        SQUARED distance anchor-positive, ``||A - P||**2``.
    neg_dist : float
        SQUARED distance anchor-negative, ``||A - N||**2``.
    alpha : float, default 0.2
        The margin.

    Returns
    -------
    str
        ``"hard"`` if ``neg_dist <= pos_dist``; else ``"easy"`` if
        ``neg_dist >= pos_dist + alpha`` (zero loss); else ``"semi-hard"``.
    """
    return str(classify_triplets(np.float64(pos_dist), np.float64(neg_dist), alpha=alpha))


# --------------------------------------------------------------------------- per-example terms


@dataclass(frozen=True)
class TripletTerms:
    """The triplet loss broken down per triplet (all distances SQUARED L2).

    Attributes
    ----------
    pos_dist : ndarray of shape (m,)
        ``||A - P||**2``.
    neg_dist : ndarray of shape (m,)
        ``||A - N||**2``.
    basic_loss : ndarray of shape (m,)
        ``pos_dist - neg_dist + alpha`` (may be negative).
    clipped : ndarray of shape (m,)
        ``max(basic_loss, 0)``, each triplet's contribution to the loss.
    category : ndarray of str, shape (m,)
        ``"easy"``, ``"semi-hard"`` or ``"hard"``.
    total : float
        ``clipped.sum()``, equal to :func:`triplet_loss` (up to float32 rounding there).
    alpha : float
    """

    pos_dist: np.ndarray
    neg_dist: np.ndarray
    basic_loss: np.ndarray
    clipped: np.ndarray
    category: np.ndarray
    total: float
    alpha: float


def _as_triplet_part(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (d,) or (m, d), got shape {arr.shape}")
    return arr


def triplet_terms(
    anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *, alpha: float = 0.2
) -> TripletTerms:
    """Each triplet's distances, loss and category, in numpy (float64).

    Parameters
    ----------
    anchor, positive, negative : array_like of shape (m, d), or (d,) for one triplet
    alpha : float, default 0.2
        The margin.

    Returns
    -------
    TripletTerms
        Arrays of shape (m,).
    """
    a = _as_triplet_part(anchor, "anchor")
    p = _as_triplet_part(positive, "positive")
    n = _as_triplet_part(negative, "negative")
    if not a.shape == p.shape == n.shape:
        raise ValueError(
            f"anchor, positive and negative must have the same shape, got {a.shape}, {p.shape}, {n.shape}"
        )
    pos_dist = np.sum((a - p) ** 2, axis=-1)
    neg_dist = np.sum((a - n) ** 2, axis=-1)
    return _terms_from_distances(pos_dist, neg_dist, alpha)


def _terms_from_distances(pos_dist: np.ndarray, neg_dist: np.ndarray, alpha: float) -> TripletTerms:
    basic_loss = pos_dist - neg_dist + alpha
    clipped = np.maximum(basic_loss, 0.0)
    return TripletTerms(
        pos_dist=pos_dist,
        neg_dist=neg_dist,
        basic_loss=basic_loss,
        clipped=clipped,
        category=_category_names(_category_codes(pos_dist, neg_dist, basic_loss)),
        total=float(clipped.sum()),
        alpha=float(alpha),
    )


# --------------------------------------------------------------------------- mining


@dataclass(frozen=True)
class MinedTriplets:
    """Triplets ``(a, p, n)`` of a labelled gallery, with their loss terms.

    All arrays have shape (t,); distances are SQUARED L2.

    Attributes
    ----------
    anchor, positive, negative : ndarray of int
        Row indices into the embeddings.
    pos_dist, neg_dist, basic_loss, loss : ndarray of float64
        ``loss = max(basic_loss, 0)``, ``basic_loss = pos_dist - neg_dist + alpha``.
    category : ndarray of str
        ``"easy"``, ``"semi-hard"`` or ``"hard"``.
    alpha : float
    """

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    pos_dist: np.ndarray
    neg_dist: np.ndarray
    basic_loss: np.ndarray
    loss: np.ndarray
    category: np.ndarray
    alpha: float

    def __len__(self) -> int:
        return int(self.anchor.size)

    @property
    def total(self) -> float:
        """Sum of the loss over all triplets."""
        return float(self.loss.sum())

    def counts(self) -> dict[str, int]:
        """Number of triplets per category, every category present (possibly 0)."""
        return {name: int(np.count_nonzero(self.category == name)) for name in CATEGORIES}

    def hardest(self, k: int = 10) -> MinedTriplets:
        """The ``k`` triplets with the largest ``basic_loss`` (hardest first; ties keep order)."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        order = np.argsort(-self.basic_loss, kind="stable")[:k]
        return self.take(order)

    def take(self, rows: ArrayLike) -> MinedTriplets:
        """A subset of the triplets, by row index or boolean mask."""
        rows = np.asarray(rows)
        return MinedTriplets(
            anchor=self.anchor[rows],
            positive=self.positive[rows],
            negative=self.negative[rows],
            pos_dist=self.pos_dist[rows],
            neg_dist=self.neg_dist[rows],
            basic_loss=self.basic_loss[rows],
            loss=self.loss[rows],
            category=self.category[rows],
            alpha=self.alpha,
        )


def _count_triplets(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return int(np.sum(counts * (counts - 1) * (labels.size - counts)))


def _triplet_indices(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``(a, p, n)`` with ``a != p`` of one person and ``n`` of another, grouped by person."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for person in np.unique(labels):
        same = labels == person
        members, others = np.flatnonzero(same), np.flatnonzero(~same)
        if members.size < 2 or others.size == 0:
            continue
        a, p = np.meshgrid(members, members, indexing="ij")
        distinct = a != p
        a, p = a[distinct], p[distinct]
        parts.append((np.repeat(a, others.size), np.repeat(p, others.size), np.tile(others, a.size)))
    if not parts:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, empty
    anchors, positives, negatives = (np.concatenate(column) for column in zip(*parts))
    return anchors, positives, negatives


def mine_triplets(
    embeddings: ArrayLike,
    labels: ArrayLike,
    *,
    alpha: float = 0.2,
    max_triplets: int = _DEFAULT_MAX_TRIPLETS,
) -> MinedTriplets:
    """Every valid triplet of a labelled gallery, with its loss and category.

    A valid triplet is an anchor ``a``, a positive ``p != a`` with the same label and a
    negative ``n`` with a different label; ``(a, p, n)`` and ``(p, a, n)`` are both listed.
    A person with ``c`` photos in a gallery of ``N`` gives ``c (c - 1) (N - c)`` triplets
    (120 photos of 5 people: about 265,000).

    Parameters
    ----------
    embeddings : array_like of shape (N, d)
    labels : array_like of shape (N,)
    alpha : float, default 0.2
        The margin.
    max_triplets : int, default 5,000,000
        Refuse larger galleries (memory grows with the number of triplets).

    Returns
    -------
    MinedTriplets
        Ordered by person (sorted label), then anchor, positive, negative. Empty when
        nobody has two photos or there is only one person.

    Raises
    ------
    ValueError
        Bad shapes, or more than ``max_triplets`` triplets.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(labels)
    if x.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D array of shape (N, d), got shape {x.shape}")
    if y.ndim != 1 or y.size != x.shape[0]:
        raise ValueError(f"labels must have shape ({x.shape[0]},), got shape {y.shape}")
    n_triplets = _count_triplets(y)
    if n_triplets > max_triplets:
        raise ValueError(
            f"this gallery has {n_triplets:,} triplets, more than max_triplets={max_triplets:,}; "
            "use fewer photos or raise max_triplets"
        )
    squared = distance_matrix(x, squared=True)
    a, p, n = _triplet_indices(y)
    terms = _terms_from_distances(squared[a, p], squared[a, n], alpha)
    return MinedTriplets(
        anchor=a,
        positive=p,
        negative=n,
        pos_dist=terms.pos_dist,
        neg_dist=terms.neg_dist,
        basic_loss=terms.basic_loss,
        loss=terms.clipped,
        category=terms.category,
        alpha=float(alpha),
    )
