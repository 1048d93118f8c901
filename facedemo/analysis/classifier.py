"""Face verification as binary classification: a logistic head on the pair's differences.

Instead of one rule for every dimension (``distance < threshold``), learn a weight per dimension:

.. math:: \\hat y = \\sigma\\left(\\sum_{k=1}^{d} w_k \\, |f(x_i)_k - f(x_j)_k| + b\\right)

``ŷ`` is the probability that photos ``i`` and ``j`` show the same person; a pair is judged the
same person when ``ŷ > 0.5`` (the logit ``w·|Δ| + b > 0``). Here ``d`` is the encoding size of
the network (128 for FaceNet); nothing below assumes a particular ``d``.

How to read the weights: a strongly negative ``w_k`` means a difference in dimension ``k``
speaks for *different people*. The plain L2 distance weighs every dimension the same; the head
can learn that some dimensions matter more than others. (With every ``w_k`` equal to ``-c`` the
head is an L1-distance threshold, ``Σ_k |Δ_k| < b / c``.)

Training (:func:`train_head`) is scikit-learn's :class:`~sklearn.linear_model.LogisticRegression`
(a well-kept, tested implementation; L-BFGS) fitted on every pair of the gallery's ``train``
photos (93 photos give 4,278 pairs, 839 of them genuine). It minimises the class-weighted mean
binary cross-entropy plus an L2 penalty,

.. math:: \\frac{1}{n} \\sum_p s_p \\, \\mathrm{BCE}(y_p, \\hat y_p) + \\lambda \\sum_k w_k^2

Genuine pairs are few, so each class is weighted to count equally (``class_weight="balanced"``,
``s_p = n / (2 n_class)``: genuine pairs ×2.55, impostor pairs ×0.62 on the gallery). The small
penalty ``λ`` keeps correlated dimensions from trading large positive and negative weights, so
the weights stay readable. With ``λ > 0`` the loss is strictly convex, so it has one minimum and
the solver finds it: the same pairs always give the same head, whatever the seed. Well under a
second on 2 CPU cores, and neither TensorFlow nor Keras is imported: the Threshold explorer page
stays light. Scoring a trained head is numpy only.

Evaluation (:func:`compare_with_threshold`) uses the ``val`` photos, which training never saw:
each val photo against each train photo (25 × 93 = 2,325 pairs: the headline, and the more
telling set, since 5 val photos per person give only 50 genuine val↔val pairs) and val against
val (300 pairs). The plain rule on the same pairs is the calibrated pair threshold of the
recipe (:func:`facedemo.encoding.recipes.default_threshold`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from facedemo.analysis import metrics
from facedemo.encoding.networks import default_threshold
from facedemo.errors import FacedemoError
from facedemo.gallery.labelled import LabelledEncodings
from facedemo.people.matching import paired_distances

__all__ = [
    "PairFeatures",
    "LogisticHead",
    "RuleOutcome",
    "PairComparison",
    "ClassifierComparison",
    "pair_features",
    "cross_pair_features",
    "train_head",
    "compare_with_threshold",
]

CUT = 0.5  # the classifier says "same person" when ŷ > CUT
DEFAULT_SEED = 0
L2_PENALTY = 1e-3
MAX_ITER = 1000  # L-BFGS iterations allowed; the gallery's head needs far fewer
TOLERANCE = 1e-6  # stop when every gradient entry is this small

Labelled = LabelledEncodings | tuple[ArrayLike, Sequence]


# --------------------------------------------------------------------------- pair features


@dataclass(frozen=True)
class PairFeatures:
    """Pairs of photos as the head sees them.

    Attributes
    ----------
    features : ndarray of shape (p, d), float32
        ``|f_i - f_j|`` per dimension.
    same : ndarray of shape (p,), bool
        True for a genuine pair (same person).
    distances : ndarray of shape (p,), float64
        The plain L2 distance ``||f_i - f_j||`` of the same pairs, for the threshold rule.
    pairs : ndarray of shape (p, 2), int
        Row ``r`` holds ``(i, j)``: a row of the first set and a row of the second (or the same) set.
    """

    features: np.ndarray
    same: np.ndarray
    distances: np.ndarray
    pairs: np.ndarray

    def __len__(self) -> int:
        return len(self.same)

    @property
    def dimension(self) -> int:
        """``d``, the encoding size."""
        return self.features.shape[1]

    @property
    def n_genuine(self) -> int:
        return int(np.count_nonzero(self.same))

    @property
    def n_impostor(self) -> int:
        return len(self) - self.n_genuine


def _as_encodings(embeddings: ArrayLike, labels: Sequence, name: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] == 0:
        raise FacedemoError(f"the {name} encodings must be a table of shape (photos, d), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise FacedemoError(f"the {name} encodings contain NaN or infinite values")
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise FacedemoError(f"the {name} set has {x.shape[0]} encodings but {y.size} labels; give one label per photo")
    return x, y


def _features(a: np.ndarray, b: np.ndarray, i: np.ndarray, j: np.ndarray, same: np.ndarray) -> PairFeatures:
    diff = np.abs(a[i] - b[j])
    return PairFeatures(
        features=diff.astype(np.float32),
        same=same,
        distances=paired_distances(a[i], b[j]),
        pairs=np.stack([i, j], axis=1),
    )


def pair_features(embeddings: ArrayLike, labels: Sequence) -> PairFeatures:
    """Every unordered pair ``i < j`` of one set of photos.

    Parameters
    ----------
    embeddings : array_like of shape (n, d)
    labels : sequence of length n
        The person of each photo.

    Returns
    -------
    PairFeatures
        ``n (n - 1) / 2`` pairs in row-major ``(i, j)`` order (as :func:`facedemo.analysis.metrics.pair_distances`).
    """
    x, y = _as_encodings(embeddings, labels, "pair")
    i, j = np.triu_indices(x.shape[0], k=1)
    return _features(x, x, i, j, y[i] == y[j])


def cross_pair_features(
    embeddings_a: ArrayLike, labels_a: Sequence, embeddings_b: ArrayLike, labels_b: Sequence
) -> PairFeatures:
    """Every pair ``(i, j)`` of a photo of set ``a`` with a photo of set ``b``.

    Parameters
    ----------
    embeddings_a : array_like of shape (n, d)
    labels_a : sequence of length n
    embeddings_b : array_like of shape (m, d)
    labels_b : sequence of length m

    Returns
    -------
    PairFeatures
        ``n * m`` pairs, row ``i * m + j`` is ``(a[i], b[j])``.
    """
    a, ya = _as_encodings(embeddings_a, labels_a, "first")
    b, yb = _as_encodings(embeddings_b, labels_b, "second")
    if a.shape[1] != b.shape[1]:
        raise FacedemoError(
            f"the two sets have encodings of different sizes ({a.shape[1]} and {b.shape[1]}); "
            "encode both with the same network"
        )
    i, j = (grid.ravel() for grid in np.meshgrid(np.arange(a.shape[0]), np.arange(b.shape[0]), indexing="ij"))
    return _features(a, b, i, j, ya[i] == yb[j])


# --------------------------------------------------------------------------- the head


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^-z), without overflow


@dataclass(frozen=True)
class LogisticHead:
    """A trained ``ŷ = σ(Σ_k w_k |Δ_k| + b)``; scoring is numpy only.

    Attributes
    ----------
    weights : ndarray of shape (d,), float64
        ``w_k``; negative: a difference in dimension ``k`` speaks for different people.
    bias : float
        ``b``, the log-odds of "same person" for two identical encodings.
    genuine_weight, impostor_weight : float
        How much each genuine / impostor training pair counted (``n / (2 n_class)``).
    seed, l2 : training settings, kept to reproduce it (see :func:`train_head`).
    iterations : int
        L-BFGS iterations the fit took.
    """

    weights: np.ndarray
    bias: float
    genuine_weight: float
    impostor_weight: float
    seed: int
    l2: float
    iterations: int

    @property
    def dimension(self) -> int:
        return self.weights.shape[0]

    def _checked(self, pairs: PairFeatures | ArrayLike) -> np.ndarray:
        x = pairs.features if isinstance(pairs, PairFeatures) else np.asarray(pairs, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.dimension:
            raise FacedemoError(
                f"this head was trained on {self.dimension}-dimensional encodings; got pair features of shape "
                f"{x.shape} (encode the photos with the same network)"
            )
        return x

    def logits(self, pairs: PairFeatures | ArrayLike) -> np.ndarray:
        """``Σ_k w_k |Δ_k| + b`` per pair, shape (p,): > 0 means "same person"."""
        return self._checked(pairs).astype(np.float64) @ self.weights + self.bias

    def predict(self, pairs: PairFeatures | ArrayLike) -> np.ndarray:
        """``ŷ`` per pair, shape (p,): the probability that the pair shows the same person."""
        return _sigmoid(self.logits(pairs))

    def largest_weights(self, n: int = 10) -> list[tuple[int, float]]:
        """The ``n`` weights of largest magnitude as ``(dimension index, weight)``, largest first."""
        order = np.argsort(-np.abs(self.weights), kind="stable")[: max(int(n), 0)]
        return [(int(k), float(self.weights[k])) for k in order]

    def meaning(self, n: int = 3) -> str:
        """What the largest weights say, in one or two sentences a student can read."""
        top = self.largest_weights(n)
        if not top:
            return "The head has no weights."
        listed = ", ".join(f"w_{k} = {w:+.2f}" for k, w in top)
        k, w = top[0]
        median = float(np.median(np.abs(self.weights)))
        ratio = abs(w) / median if median > 0 else math.inf
        direction = ("speaks for *different people*" if w < 0 else "speaks, oddly, for the *same* person")
        text = (
            f"Largest weights: {listed}. A difference in dimension {k} {direction}: each 0.1 of |Δ_{k}| "
            f"moves the log-odds of \"same person\" by {0.1 * w:+.2f}. The plain L2 distance weighs all "
            f"{self.dimension} dimensions equally; the head learned to weigh dimension {k} "
            f"{ratio:.1f}× the median dimension."
        )
        positive = self.weights[self.weights > 0]
        if positive.size:
            text += (f" {positive.size} of {self.dimension} weights are positive (the largest {positive.max():+.2f}): "
                     "there a difference speaks a little for the same person, the head balancing dimensions that "
                     "vary together rather than a fact about faces.")
        return text


def _require_both_kinds(pairs: PairFeatures, what: str) -> None:
    if pairs.n_genuine == 0 or pairs.n_impostor == 0:
        missing = "genuine (same-person)" if pairs.n_genuine == 0 else "impostor (different-people)"
        raise FacedemoError(
            f"the {what} pairs have no {missing} pairs ({len(pairs)} pairs in all); a classifier needs both: "
            "use at least two people and at least two photos of someone"
        )


def train_head(
    train: PairFeatures,
    *,
    seed: int = DEFAULT_SEED,
    l2: float = L2_PENALTY,
    max_iter: int = MAX_ITER,
) -> LogisticHead:
    """Fit ``ŷ = σ(w·|Δ| + b)``: scikit-learn's ``LogisticRegression``, class-weighted, L2-penalised.

    Parameters
    ----------
    train : PairFeatures
        Needs genuine and impostor pairs. Each class is weighted ``n / (2 n_class)``
        (``class_weight="balanced"``) so both count equally, however few genuine pairs there are.
    seed : int
        Passed on as ``random_state`` and recorded. The L-BFGS solver draws no random numbers and
        the loss has a single minimum, so every seed gives the same head.
    l2 : float
        ``λ`` of the module's formula: ``λ · Σ_k w_k²`` added to the mean weighted loss (the bias is
        not penalised). scikit-learn's ``C`` is ``1 / (2 λ n)``; 0 means no penalty.
    max_iter : int
        L-BFGS iterations allowed. Stopping at the limit before the gradient is below
        ``TOLERANCE`` raises a :class:`FacedemoError` rather than returning a half-trained head.

    Returns
    -------
    LogisticHead
    """
    _require_both_kinds(train, "training")
    if not l2 >= 0 or isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise FacedemoError(f"training needs l2 ≥ 0 and max_iter ≥ 1 (a whole number); got l2={l2}, max_iter={max_iter}")
    n = len(train)
    model = LogisticRegression(C=1.0 / (2.0 * l2 * n) if l2 > 0 else math.inf, class_weight="balanced",
                               tol=TOLERANCE, max_iter=int(max_iter), random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(train.features.astype(np.float64), train.same)
        except ConvergenceWarning:
            raise FacedemoError(
                f"the logistic head did not converge within max_iter={max_iter} iterations; allow more, or a larger l2"
            ) from None
    impostor_weight, genuine_weight = compute_class_weight("balanced", classes=np.array([False, True]), y=train.same)
    return LogisticHead(
        weights=model.coef_[0].astype(np.float64), bias=float(model.intercept_[0]),
        genuine_weight=float(genuine_weight), impostor_weight=float(impostor_weight), seed=seed, l2=l2,
        iterations=int(model.n_iter_[0]),
    )


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class RuleOutcome:
    """One "same person?" rule on one set of pairs.

    Attributes
    ----------
    rule : str
        ``"ŷ > 0.5"`` or ``"distance < 1.18"``.
    accuracy, tar, far : float
        Share of all pairs decided right; of genuine pairs accepted; of impostor pairs accepted.
        With far more impostor than genuine pairs, ``accuracy`` favours a rule that rejects nearly
        everything; :attr:`balanced_accuracy` does not.
    false_accepts, false_rejects : int
    auc : float
        Area under the ROC curve (whatever the cut).
    roc_far, roc_tar : ndarray of shape (t,)
        The ROC curve, non-decreasing from (0, 0) to (1, 1).
    roc_cut : ndarray of shape (t,)
        The cut of each ROC point: for the classifier pairs with ``ŷ > cut`` are accepted
        (decreasing), for the threshold pairs with ``distance < cut`` (increasing).
    """

    rule: str
    accuracy: float
    tar: float
    far: float
    false_accepts: int
    false_rejects: int
    auc: float
    roc_far: np.ndarray
    roc_tar: np.ndarray
    roc_cut: np.ndarray

    @property
    def balanced_accuracy(self) -> float:
        """``(TAR + 1 - FAR) / 2``: genuine and impostor pairs count equally, as in training."""
        return (self.tar + 1.0 - self.far) / 2.0


def _outcome(rule: str, rates: metrics.Rates, genuine: np.ndarray, impostor: np.ndarray) -> RuleOutcome:
    """``genuine``/``impostor`` are distance-like (smaller = same); ``rates`` at the rule's cut."""
    far, tar, cuts = metrics.roc_curve(genuine, impostor)
    return RuleOutcome(rule, rates.accuracy, rates.tar, rates.far, rates.false_accepts, rates.false_rejects,
                       metrics.roc_auc(genuine, impostor), far, tar, cuts)


@dataclass(frozen=True)
class PairComparison:
    """The classifier and the distance threshold on the same set of pairs.

    Attributes
    ----------
    pairs : str
        Which pairs, e.g. ``"val × train (25 × 93 photos)"``.
    n_genuine, n_impostor : int
    classifier, threshold : RuleOutcome
        ``ŷ > 0.5`` and ``distance < threshold``.
    genuine_distances, impostor_distances : ndarray, float64
        The L2 distances, to place another threshold without retraining (:meth:`threshold_rates`).
    genuine_scores, impostor_scores : ndarray, float64
        The classifier's ``ŷ``.
    """

    pairs: str
    n_genuine: int
    n_impostor: int
    classifier: RuleOutcome
    threshold: RuleOutcome
    genuine_distances: np.ndarray
    impostor_distances: np.ndarray
    genuine_scores: np.ndarray
    impostor_scores: np.ndarray

    def threshold_rates(self, threshold: float) -> metrics.Rates:
        """TAR, FAR and accuracy of ``distance < threshold`` on these pairs."""
        return metrics.rates_at(threshold, self.genuine_distances, self.impostor_distances)


def _compare(head: LogisticHead, pairs: PairFeatures, threshold: float, name: str) -> PairComparison:
    """Both rules on ``pairs``; without genuine (or impostor) pairs the rates are nan, as in :mod:`facedemo.analysis.metrics`."""
    logits = head.logits(pairs)
    # the metrics module accepts "distance < t"; -logit is such a distance (ŷ > CUT ⇔ -logit < -logit(CUT)),
    # and unlike 1 - ŷ it does not round confident pairs to ties
    g_score, i_score = -logits[pairs.same], -logits[~pairs.same]
    cut = -math.log(CUT / (1.0 - CUT))
    classifier = _outcome(f"ŷ > {CUT:g}", metrics.rates_at(cut, g_score, i_score), g_score, i_score)
    classifier = replace(classifier, roc_cut=_sigmoid(-classifier.roc_cut))
    g_dist, i_dist = pairs.distances[pairs.same], pairs.distances[~pairs.same]
    plain = _outcome(f"distance < {threshold:.2f}", metrics.rates_at(threshold, g_dist, i_dist), g_dist, i_dist)
    return PairComparison(name, pairs.n_genuine, pairs.n_impostor, classifier, plain, g_dist, i_dist,
                          _sigmoid(logits[pairs.same]), _sigmoid(logits[~pairs.same]))


@dataclass(frozen=True)
class ClassifierComparison:
    """The logistic head trained on ``train`` pairs against the plain threshold, on ``val`` pairs.

    ``val_train`` (each val photo against each train photo) is the headline: the properties below
    read from it. ``val_val`` (val photos among themselves) is smaller and easier.

    Attributes
    ----------
    head : LogisticHead
    threshold : float
        The distance threshold compared with (the recipe's calibrated pair threshold by default).
    train : PairComparison
        Both rules on the training pairs themselves (not a test: the head saw them, and the
        threshold was calibrated on them).
    val_train, val_val : PairComparison
    """

    head: LogisticHead
    threshold: float
    train: PairComparison
    val_train: PairComparison
    val_val: PairComparison

    @property
    def weights(self) -> np.ndarray:
        """``w``, shape (d,)."""
        return self.head.weights

    @property
    def bias(self) -> float:
        return self.head.bias

    @property
    def classifier_accuracy(self) -> float:
        """Accuracy of ``ŷ > 0.5`` on the val × train pairs."""
        return self.val_train.classifier.accuracy

    @property
    def threshold_accuracy(self) -> float:
        """Accuracy of ``distance < threshold`` on the same val × train pairs."""
        return self.val_train.threshold.accuracy

    def largest_weights(self, n: int = 10) -> list[tuple[int, float]]:
        """The ``n`` weights of largest magnitude as ``(dimension index, weight)``; see :meth:`LogisticHead.meaning`."""
        return self.head.largest_weights(n)

    def meaning(self, n: int = 3) -> str:
        return self.head.meaning(n)


def _encodings_of(data: Labelled, name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, str] | None]:
    """Encodings, labels and, for LabelledEncodings, their ``(recipe, network)``."""
    if isinstance(data, LabelledEncodings):
        x, y = _as_encodings(data.vectors, data.labels, name)
        return x, y, (data.recipe, data.network)
    try:
        embeddings, labels = data
    except (TypeError, ValueError):
        raise FacedemoError(
            f"the {name} set must be LabelledEncodings or a pair (embeddings, labels), got {type(data).__name__}"
        ) from None
    x, y = _as_encodings(embeddings, labels, name)
    return x, y, None


def compare_with_threshold(
    train: Labelled,
    val: Labelled,
    *,
    threshold: float | None = None,
    seed: int = DEFAULT_SEED,
    **training: float,
) -> ClassifierComparison:
    """Train the head on every pair of ``train``; compare it with ``distance < threshold`` on ``val``.

    Parameters
    ----------
    train, val : LabelledEncodings or (embeddings of shape (n, d), labels of length n)
        The same ``d`` (and recipe) for both.
    threshold : float, optional
        The plain rule's distance threshold. Default: the calibrated pair threshold of the
        encodings' recipe and model (``default_threshold(recipe, "pair", network)``); required for
        plain arrays.
    seed : int
        See :func:`train_head`; ``training`` passes its other settings (``l2``, ``max_iter``).

    Returns
    -------
    ClassifierComparison
    """
    x_train, y_train, made = _encodings_of(train, "train")
    x_val, y_val, val_made = _encodings_of(val, "val")
    if x_train.shape[1] != x_val.shape[1]:
        raise FacedemoError(
            f"train and val encodings have different sizes ({x_train.shape[1]} and {x_val.shape[1]}); "
            "encode both with the same network"
        )
    if made and val_made and made != val_made:
        raise FacedemoError(
            f"train uses the recipe and model {made} but val uses {val_made}; use the same for both"
        )
    if threshold is None:
        if made is None:
            raise FacedemoError("give the distance threshold to compare with (plain arrays carry no recipe)")
        threshold = default_threshold(made[0], "pair", made[1])
    if not math.isfinite(float(threshold)):
        raise FacedemoError(f"the threshold must be a number, got {threshold!r}")
    train_pairs = pair_features(x_train, y_train)
    head = train_head(train_pairs, seed=seed, **training)
    n_val, n_train = x_val.shape[0], x_train.shape[0]
    return ClassifierComparison(
        head=head,
        threshold=float(threshold),
        train=_compare(head, train_pairs, threshold, f"train × train ({n_train} photos)"),
        val_train=_compare(head, cross_pair_features(x_val, y_val, x_train, y_train), threshold,
                           f"val × train ({n_val} × {n_train} photos)"),
        val_val=_compare(head, pair_features(x_val, y_val), threshold, f"val × val ({n_val} photos)"),
    )
