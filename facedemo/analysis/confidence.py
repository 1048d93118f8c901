"""How sure is it? From a distance to an estimated probability of "same person", honestly.

A distance is not a probability. What the gallery *can* say is how often pairs at about that
distance were the same person: fit that frequency on the gallery's genuine and impostor distances
and read it off at the new distance. Two things stay visible in the answer:

prior
    How often an attempt is genuine before the distance is seen. The estimate assumes **equal
    odds** by default (as many genuine as impostor attempts, whatever the gallery's own mix); any
    other prior follows from Bayes' rule, see :meth:`Confidence.p_same`.
the photos
    The estimate describes the gallery's photos (their lighting, pose, age, and who is in it).
    New photos taken differently, or people who look alike, behave differently.

How the curve is fitted
-----------------------
Label each gallery distance 1 (genuine) or 0 (impostor), weight each genuine distance ``1 / g``
and each impostor one ``1 / k`` (so both kinds weigh the same in total: equal odds), and fit the
best **non-increasing** step function by weighted least squares (isotonic regression:
scikit-learn's :class:`~sklearn.isotonic.IsotonicRegression`, which pools adjacent violators).
Each step's value is then

.. math:: \\hat p = \\frac{g_s / g}{g_s / g + k_s / k}

with ``g_s``, ``k_s`` the genuine and impostor distances in the step: the share of "same person"
among pairs that far apart, at equal odds. It is monotone by construction: a larger distance never
means a more likely match. One pseudo pair is added (an impostor at the smallest distance, a
genuine pair at the largest), so a finite gallery never claims certainty: the estimate stays
strictly between 0 and 1. Between steps it is interpolated linearly.

Where impostors live, the gallery's own mix
-------------------------------------------
Equal odds is an assumption about who comes to the door. Where no gallery impostor was ever seen
(below :attr:`Confidence.impostors_from`, the smallest impostor distance) it barely matters: every
pair there was the same person. Where impostors *do* live it matters a lot: on the train pairs of
the face box crop about half the pairs near 1.19 were genuine, but equal odds counts each genuine
pair four times (1 genuine pair in 5 in the gallery) and turned that half into "about 80 % the same". So from the smallest
impostor distance on, the prior is capped at the gallery's own share of genuine pairs
(:attr:`Confidence.gallery_share`): the stated probability there is at most the share of genuine
pairs the gallery actually had at that distance. This is Bayes' rule with a smaller prior, so the
curve stays monotone (the prior only steps *down* as the distance grows) and no fitting is added.
A door faces more strangers than the gallery's one in five, so the cap still errs towards *yes*;
it never errs towards a *yes* the gallery's pairs did not show.

How many pairs stand behind it
------------------------------
Next to the estimate, :meth:`Confidence.support` counts the train pairs of the fit's step that
holds the distance (the pairs the isotonic fit pooled into that value) and gives a 95 % **Jeffreys
interval** on their share of genuine pairs (the Beta(g + ½, k + ½) posterior's central 95 %, 0 or 1
at the edges: Brown, Cai & DasGupta 2001; it behaves well for the small and lopsided counts found
here, where the normal approximation does not), carried to the prior in force by the same Bayes
rule. With fewer than
:data:`MIN_PAIRS` pairs there the answer is "too few pairs to say" (:meth:`Confidence.verdict`).
The step's value *is* that share (at equal odds), so the interval holds the stated estimate (the
pseudo pairs aside, which only touch the first and the last step).
A narrow step in the overlap rests on few pairs: that is where the page says "too few pairs to say".

Fit on train, check on val
--------------------------
The app fits on the gallery's train photos only and checks the curve on pairs it never saw (val
photos against train photos, :func:`held_out_distances`): :func:`check` returns the Brier score and
a reliability table (what was stated against what was seen, by range of stated probability).

Which distances to fit: what the page compares (see :func:`reference_distances`): photo against
photo for two photos, photo against a person (``mean`` or ``nearest``) for the ID card and for
recognition. Degenerate inputs follow :mod:`facedemo.analysis.metrics`: without genuine or without impostor
distances the estimate is nan, with an :class:`~facedemo.analysis.metrics.UndefinedMetricWarning`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta
from sklearn.isotonic import IsotonicRegression

from facedemo.analysis import calibration, metrics
from facedemo.analysis.metrics import UndefinedMetricWarning
from facedemo.people.matching import same_person

__all__ = [
    "BAND_SOURCES",
    "DEFAULT_BAND_SOURCE",
    "DOUBT",
    "DOUBT_FAR",
    "EQUAL_ODDS",
    "LEVEL",
    "MIN_PAIRS",
    "SURE",
    "SURE_FAR",
    "VERDICTS",
    "Check",
    "Confidence",
    "HowSure",
    "ReliabilityBin",
    "Support",
    "UnsureBand",
    "band_for",
    "check",
    "held_out_distances",
    "how_sure",
    "reference_distances",
    "unsure_band",
    "unsure_band_for_far",
    "with_prior",
]

EQUAL_ODDS = 0.5
# The "unsure" band's edges: where P(same person) at equal odds falls to 90 % and to 10 %.
SURE, DOUBT = 0.9, 0.1
# ... or where the train impostors let in reach 1 in 10,000 and 1 in 100 (:func:`unsure_band_for_far`).
SURE_FAR, DOUBT_FAR = 1e-4, 1e-2
# Where the band comes from (:func:`band_for`); the default and why: :func:`unsure_band_for_far`.
BAND_SOURCES = ("far", "curve")
DEFAULT_BAND_SOURCE = "far"
# How many pairs must stand behind the estimate at a distance before it says anything.
MIN_PAIRS = 10
# Between two steps the curve is interpolated; across a wider gap than this no pair stands behind it.
MAX_GAP = 0.05
# The interval's coverage (Jeffreys, central).
LEVEL = 0.95
# What the estimate says in words (:meth:`Confidence.verdict`).
VERDICTS = ("same", "either", "different", "too few")
# Largest L2 distance between unit vectors: where the pseudo genuine pair sits (or beyond the data).
_FARTHEST = 2.0


def _as_prior(prior: float) -> float:
    value = float(prior)
    if not 0.0 < value < 1.0:
        raise ValueError(
            f"prior must be a probability strictly between 0 and 1 (0.5 = equal odds), got {prior!r}"
        )
    return value


def with_prior(p_equal_odds: ArrayLike, prior: float = EQUAL_ODDS) -> np.ndarray:
    """Turn probabilities estimated at equal odds into probabilities under another prior.

    Bayes' rule on the odds: the equal-odds estimate ``p`` is a likelihood ratio
    ``LR = p / (1 - p)``, and

    .. math:: p' = \\frac{LR \\cdot o}{1 + LR \\cdot o}, \\quad o = \\frac{prior}{1 - prior}

    Parameters
    ----------
    p_equal_odds : array_like of shape (n,) or scalar
        Probabilities of "same person" at equal odds, in [0, 1].
    prior : float, default 0.5
        Share of genuine attempts before the distance is seen, strictly between 0 and 1.

    Returns
    -------
    ndarray of the input's shape
        Still in [0, 1]; a monotone (increasing) map, so it keeps any ordering.
    """
    prior = _as_prior(prior)
    p = np.asarray(p_equal_odds, dtype=np.float64)
    return p * prior / (p * prior + (1.0 - p) * (1.0 - prior))


@dataclass(frozen=True)
class Support:
    """The fitted pairs near one distance and a Jeffreys interval on P(same person) there (:meth:`Confidence.support`).

    Attributes
    ----------
    distance : float
    start, end : float
        The distances the pairs counted span (one step of the fit, or two where it is interpolated).
    genuine, impostor : int
        How many of them were the same person, and how many were not.
    low, high : float
        The central ``level`` Jeffreys interval on P(same person) under ``prior``; nan without pairs.
    prior : float
        The prior in force at ``distance`` (:meth:`Confidence.prior_at`).
    level : float
    enough : bool
        At least :data:`MIN_PAIRS` pairs: otherwise "too few pairs to say".
    """

    distance: float
    start: float
    end: float
    genuine: int
    impostor: int
    low: float
    high: float
    prior: float
    level: float
    enough: bool

    @property
    def pairs(self) -> int:
        return self.genuine + self.impostor


@dataclass(frozen=True)
class Confidence:
    """The gallery's genuine and impostor distances and P(same person | distance) fitted on them.

    Build it with :meth:`fit`.

    Attributes
    ----------
    genuine : ndarray of shape (g,)
        Same-person distances the estimate rests on.
    impostor : ndarray of shape (k,)
        Different-person distances.
    knots : ndarray of shape (t,), increasing
        Distinct distances (the pseudo pair's included) where the fit is known; empty when undefined.
    p_knots : ndarray of shape (t,), non-increasing
        P(same person) at each knot, at equal odds.
    """

    genuine: np.ndarray
    impostor: np.ndarray
    knots: np.ndarray
    p_knots: np.ndarray

    @classmethod
    def fit(cls, genuine: ArrayLike, impostor: ArrayLike, *, pseudo_pairs: float = 1.0) -> Confidence:
        """Fit P(same person | distance) at equal odds (module docstring: how).

        Parameters
        ----------
        genuine : array_like of shape (g,)
            Same-person distances.
        impostor : array_like of shape (k,)
            Different-person distances.
        pseudo_pairs : float, default 1
            Weight, in pairs of its kind, of one impostor placed at the smallest distance and one
            genuine pair at the largest (2, or beyond the data). 0 lets the estimate reach exactly
            0 and 1 where the gallery has only one kind of pair.

        Returns
        -------
        Confidence
            Without genuine or without impostor distances (for example one photo per person, or
            one person only) the estimate is undefined: ``knots`` is empty, :meth:`p_same` returns
            nan and an :class:`~facedemo.analysis.metrics.UndefinedMetricWarning` is emitted.

        Raises
        ------
        ValueError
            If an input is not 1-D or contains NaN, or ``pseudo_pairs`` is negative.
        """
        g = metrics._as_distances(genuine, "genuine")
        imp = metrics._as_distances(impostor, "impostor")
        if not pseudo_pairs >= 0:
            raise ValueError(f"pseudo_pairs must be 0 or more, got {pseudo_pairs!r}")
        missing = [name for name, arr in (("genuine", g), ("impostor", imp)) if arr.size == 0]
        if missing:
            warnings.warn(
                f"P(same person) is undefined with no {' and no '.join(missing)} distances; returning nan",
                UndefinedMetricWarning, stacklevel=2,
            )
            return cls(g, imp, np.empty(0), np.empty(0))
        low = min(0.0, float(g.min()), float(imp.min()))
        high = max(_FARTHEST, float(g.max()), float(imp.max()))
        distances = np.concatenate([g, imp, [low, high]])
        is_genuine = np.concatenate([np.ones(g.size), np.zeros(imp.size), [0.0, 1.0]])
        weights = np.concatenate([
            np.full(g.size, 1.0 / (g.size + pseudo_pairs)), np.full(imp.size, 1.0 / (imp.size + pseudo_pairs)),
            [pseudo_pairs / (imp.size + pseudo_pairs), pseudo_pairs / (g.size + pseudo_pairs)],
        ])
        used = weights > 0  # a pseudo pair of weight 0 adds no knot
        distances, is_genuine, weights = distances[used], is_genuine[used], weights[used]
        # pools equal distances (their weighted share of genuine), then the weighted antitonic least squares
        fit = IsotonicRegression(increasing=False).fit(distances, is_genuine, sample_weight=weights)
        knots = np.unique(distances)
        return cls(g, imp, knots, fit.predict(knots))

    @property
    def n_genuine(self) -> int:
        return int(self.genuine.size)

    @property
    def n_impostor(self) -> int:
        return int(self.impostor.size)

    @property
    def defined(self) -> bool:
        """False when there were no genuine or no impostor distances to fit."""
        return self.knots.size > 0

    @property
    def impostors_from(self) -> float:
        """The smallest impostor distance: from here on the prior is capped (module docstring). nan when undefined."""
        return float(self.impostor.min()) if self.defined else float("nan")

    @property
    def gallery_share(self) -> float:
        """The share of genuine pairs among the fitted ones, ``g / (g + k)``: the gallery's own mix. nan when undefined."""
        return self.n_genuine / (self.n_genuine + self.n_impostor) if self.defined else float("nan")

    def prior_at(self, distance: ArrayLike, prior: float = EQUAL_ODDS) -> float | np.ndarray:
        """The prior the estimate uses at ``distance``: ``prior`` below :attr:`impostors_from`, from there on at
        most :attr:`gallery_share`.

        Parameters
        ----------
        distance : float or array_like of shape (n,)
        prior : float, default 0.5

        Returns
        -------
        float, or ndarray of shape (n,)
            Non-increasing in ``distance``. ``prior`` everywhere when the estimate is undefined.
        """
        prior = _as_prior(prior)
        d = np.asarray(distance, dtype=np.float64)
        if not self.defined:
            out = np.full(d.shape, prior)
        else:
            out = np.where(d >= self.impostors_from, min(prior, self.gallery_share), prior)
        return float(out) if out.ndim == 0 else out

    def p_fitted(self, distance: ArrayLike) -> float | np.ndarray:
        """The isotonic fit itself at ``distance``, at equal odds and *before* the cap (:meth:`p_same` caps it).

        Returns
        -------
        float, or ndarray of the input's shape
            Non-increasing, interpolated linearly between knots; nan when undefined.
        """
        d = np.asarray(distance, dtype=np.float64)
        if np.any(np.isnan(d)):
            raise ValueError("distance contains NaN")
        p = np.interp(d, self.knots, self.p_knots) if self.defined else np.full(d.shape, np.nan)
        return float(p) if p.ndim == 0 else p

    def p_same(self, distance: ArrayLike, *, prior: float = EQUAL_ODDS) -> float | np.ndarray:
        """Estimated probability that a pair at ``distance`` is the same person.

        The equal-odds fit carried to :meth:`prior_at` by Bayes' rule (:func:`with_prior`): ``prior``
        below the smallest impostor distance, at most the gallery's own share of genuine pairs from
        there on, so it never calls a distance where impostors live more likely the same person than
        the gallery's pairs there were.

        Parameters
        ----------
        distance : float or array_like of shape (n,)
        prior : float, default 0.5 (equal odds)
            Share of genuine attempts, strictly between 0 and 1 (see :func:`with_prior`). For an
            ID-card check it is the share of honest claims; for 1:K recognition of someone from
            a database of ``K`` people, about ``1 / K`` per person.

        Returns
        -------
        float, or ndarray of shape (n,)
            Non-increasing in ``distance``; constant beyond the gallery's extreme distances;
            nan when the estimate is undefined.
        """
        prior = _as_prior(prior)
        d = np.asarray(distance, dtype=np.float64)
        if np.any(np.isnan(d)):
            raise ValueError("distance contains NaN")
        if not self.defined:
            p = np.full(d.shape, np.nan)
        else:
            p_even = np.asarray(self.p_fitted(d))
            q = np.asarray(self.prior_at(d, prior))  # with_prior's rule, one prior per distance
            p = p_even * q / (p_even * q + (1.0 - p_even) * (1.0 - q))
        return float(p) if p.ndim == 0 else p

    def distance_at(self, p: float) -> float:
        """The smallest distance at which P(same person) (equal odds, capped) has fallen to ``p``.

        The estimate is non-increasing, so this reads it backwards (bisection between the knots, and
        the step down at :attr:`impostors_from`): below the returned distance the estimate is above
        ``p``. When the curve never falls to ``p`` the largest knot is returned; when it starts at or
        below ``p``, the smallest.

        Parameters
        ----------
        p : float
            A probability strictly between 0 and 1.

        Returns
        -------
        float
            nan when the estimate is undefined (:attr:`defined`).
        """
        p = _as_prior(p)
        if not self.defined:
            return float("nan")
        candidates = np.union1d(self.knots, [self.impostors_from])
        values = self.p_same(candidates)
        below = np.nonzero(values <= p)[0]
        if below.size == 0:
            return float(self.knots[-1])
        i = int(below[0])
        if i == 0:
            return float(candidates[0])
        lo, hi = float(candidates[i - 1]), float(candidates[i])  # p_same(lo) > p >= p_same(hi)
        for _ in range(60):
            mid = (lo + hi) / 2.0
            if mid in (lo, hi):
                break
            if self.p_same(mid) <= p:
                hi = mid
            else:
                lo = mid
        return hi

    @cached_property
    def steps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The fit's steps (runs of knots with one value): ``(start, end, genuine, impostor)``, arrays of shape (s,).

        ``start``/``end`` are the first and last knot of each step, ``genuine``/``impostor`` how many
        fitted distances lie in ``[start, end]`` (the pseudo pairs not counted). Each step's value is
        the share of genuine pairs in it, at equal odds: the isotonic fit pools exactly these pairs.
        Empty when undefined.
        """
        if not self.defined:
            empty = np.empty(0)
            return empty, empty, empty.astype(int), empty.astype(int)
        new_step = np.concatenate([[True], np.abs(np.diff(self.p_knots)) > 1e-12])
        first = np.nonzero(new_step)[0]
        last = np.concatenate([first[1:] - 1, [self.knots.size - 1]])
        start, end = self.knots[first], self.knots[last]
        g, imp = np.sort(self.genuine), np.sort(self.impostor)
        count = lambda x: np.searchsorted(x, end, side="right") - np.searchsorted(x, start, side="left")
        return start, end, count(g), count(imp)

    def support(self, distance: float, *, prior: float = EQUAL_ODDS, level: float = LEVEL) -> Support:
        """The fitted pairs behind the estimate at ``distance`` and a Jeffreys interval on P(same person) there.

        The pairs are those of the fit's step holding ``distance`` (:attr:`steps`; between two steps,
        where the curve is interpolated, both steps: their counts added, their intervals joined, or
        none when the gap between them is wider than :data:`MAX_GAP`; beyond the data, the outermost
        step). The step's estimate is its share of genuine pairs, so the
        interval holds the stated estimate.

        Parameters
        ----------
        distance : float
        prior : float, default 0.5
            As in :meth:`p_same` (capped the same way, :meth:`prior_at`).
        level : float, default 0.95
            Coverage of the central interval.

        Returns
        -------
        Support
            ``low``/``high`` are nan when the estimate is undefined.
        """
        d = float(distance)
        if math.isnan(d):
            raise ValueError(f"distance must be a number, got {distance!r}")
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
        used = float(self.prior_at(d, prior))
        if not self.defined:
            return Support(d, d, d, 0, 0, float("nan"), float("nan"), used, float(level), False)
        start, end, genuine, impostor = self.steps
        i = int(np.clip(np.searchsorted(start, d, side="right") - 1, 0, start.size - 1))
        held = [i] if d <= end[i] or i == start.size - 1 else [i, i + 1]
        tail = (1.0 - level) / 2.0
        lows, highs = [], []
        for j in held:
            g, k = int(genuine[j]), int(impostor[j])
            raw_low = 0.0 if g == 0 else float(beta.ppf(tail, g + 0.5, k + 0.5))
            raw_high = 1.0 if k == 0 else float(beta.ppf(1.0 - tail, g + 0.5, k + 0.5))
            # the counts come at the gallery's mix; Bayes' rule carries them to the prior in force
            lows.append(float(with_prior(with_prior(raw_low, 1.0 - self.gallery_share), used)))
            highs.append(float(with_prior(with_prior(raw_high, 1.0 - self.gallery_share), used)))
        g, k = int(genuine[held].sum()), int(impostor[held].sum())
        if len(held) == 2 and start[i + 1] - end[i] > MAX_GAP:  # interpolated across a gap no pair lies in
            g = k = 0
        return Support(distance=d, start=float(start[held[0]]), end=float(end[held[-1]]), genuine=g, impostor=k,
                       low=min(lows), high=max(highs), prior=used, level=float(level), enough=g + k >= MIN_PAIRS)

    def verdict(self, distance: float, *, prior: float = EQUAL_ODDS) -> str:
        """The estimate in one word, one of :data:`VERDICTS`.

        ``"too few"`` when fewer than :data:`MIN_PAIRS` fitted pairs stand behind it
        (:meth:`support`; or the estimate is undefined); ``"same"`` when P(same person) is at least :data:`SURE`
        *and* the interval's lower bound is at least one half; ``"different"`` when it is at most
        :data:`DOUBT` and the upper bound at most one half; ``"either"`` otherwise.
        """
        near = self.support(distance, prior=prior)
        p = self.p_same(distance, prior=prior)
        if not near.enough or np.isnan(p):
            return "too few"
        if p >= SURE and near.low >= 0.5:
            return "same"
        if p <= DOUBT and near.high <= 0.5:
            return "different"
        return "either"

    def rates(self, threshold: float) -> metrics.Rates:
        """False accepts and false rejects of ``distance < threshold`` on these distances.

        :func:`facedemo.analysis.metrics.rates_at` on :attr:`genuine` and :attr:`impostor`: ``far`` is the
        share of impostor distances let in, ``frr`` the share of genuine ones turned away (nan,
        with a warning, where a kind is missing). The prior plays no part.
        """
        return metrics.rates_at(threshold, self.genuine, self.impostor)


def reference_distances(
    embeddings: ArrayLike, labels: ArrayLike, *, comparison: str = "pair"
) -> tuple[np.ndarray, np.ndarray]:
    """The genuine and impostor distances that match what a page compares.

    Parameters
    ----------
    embeddings : array_like of shape (n, d)
        Unit encodings of a labelled set (the gallery's photos).
    labels : array_like of shape (n,)
    comparison : {"pair", "mean", "nearest"}
        ``pair``: every unordered pair of photos (photo against photo). ``mean`` / ``nearest``:
        each photo against each person, by the person's mean encoding or nearest photo, the photo
        itself left out of its own person (:func:`facedemo.analysis.calibration.person_distances`), as a
        new photo at the door meets the people enrolled.

    Returns
    -------
    genuine : ndarray of shape (g,)
    impostor : ndarray of shape (k,)
        For ``pair`` ``g + k = n (n - 1) / 2``; for ``mean`` / ``nearest`` one genuine distance
        per photo whose person has another photo and ``n (people - 1)`` impostor distances.
    """
    if comparison == "pair":
        pairs = metrics.pair_distances(embeddings, labels)
        return pairs.genuine, pairs.impostor
    if comparison not in ("mean", "nearest"):
        raise ValueError(f"comparison must be 'pair', 'mean' or 'nearest', got {comparison!r}")
    split = calibration.person_distances(
        embeddings, labels, embeddings, labels, comparison=comparison, leave_one_out=True
    )
    return split.genuine, split.impostor


def held_out_distances(
    queries: ArrayLike, query_labels: ArrayLike, gallery: ArrayLike, gallery_labels: ArrayLike, *,
    comparison: str = "pair",
) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances of new photos (``queries``) against a fitted set (``gallery``), none shared.

    The check's distances (:func:`check`): the val photos against the train photos the curve was
    fitted on, compared as the page compares.

    Parameters
    ----------
    queries : array_like of shape (n, d)
    query_labels : array_like of shape (n,)
    gallery : array_like of shape (m, d)
    gallery_labels : array_like of shape (m,)
    comparison : {"pair", "mean", "nearest"}
        ``pair``: every (query, gallery photo) pair, ``n * m`` distances
        (:func:`facedemo.analysis.metrics.cross_pairs`). ``mean`` / ``nearest``: each query
        against each gallery person (:func:`facedemo.analysis.calibration.person_distances`).

    Returns
    -------
    genuine : ndarray of shape (g,)
    impostor : ndarray of shape (k,)
    """
    if comparison == "pair":
        return metrics.cross_pairs(metrics.distance_matrix(queries, gallery), list(query_labels), list(gallery_labels))
    if comparison not in ("mean", "nearest"):
        raise ValueError(f"comparison must be 'pair', 'mean' or 'nearest', got {comparison!r}")
    split = calibration.person_distances(queries, query_labels, gallery, gallery_labels, comparison=comparison)
    return split.genuine, split.impostor


@dataclass(frozen=True)
class ReliabilityBin:
    """Held-out pairs whose stated P(same person) fell in ``[low, high)``: what was said against what was seen.

    Attributes
    ----------
    low, high : float
        The range of stated probabilities (the last bin includes 1).
    pairs, genuine : int
        How many held-out pairs fell in it, and how many of those were the same person.
    stated : float
        Their mean stated probability; nan when empty.
    observed : float
        ``genuine / pairs``; nan when empty.
    """

    low: float
    high: float
    pairs: int
    genuine: int
    stated: float
    observed: float


@dataclass(frozen=True)
class Check:
    """The fitted curve on held-out pairs (:func:`check`).

    Attributes
    ----------
    n_genuine, n_impostor : int
        Held-out pairs of each kind.
    brier : float
        Mean of ``(p_same(d) - same)²`` over the held-out pairs: 0 is perfect.
    brier_constant : float
        The same score for always stating the held-out share of genuine pairs (``s (1 - s)``): a
        curve that knows anything scores below it.
    bins : tuple of ReliabilityBin
        By range of stated probability, from low to high.
    """

    n_genuine: int
    n_impostor: int
    brier: float
    brier_constant: float
    bins: tuple[ReliabilityBin, ...]


def check(confidence: Confidence, genuine: ArrayLike, impostor: ArrayLike, *,
          edges: ArrayLike = (0.0, DOUBT, 0.5, SURE, 1.0)) -> Check:
    """Score the fitted curve on pairs it was not fitted on: Brier score and reliability by stated probability.

    The stated probability is :meth:`Confidence.p_same` at its default (equal odds, capped where
    impostors live), what the page says. The Brier score is

    .. math:: B = \\frac{1}{n} \\sum_i (\\hat p(d_i) - y_i)^2, \\quad y_i = 1 \\text{ for a genuine pair}

    Parameters
    ----------
    confidence : Confidence
        Fitted on other pairs (the train photos').
    genuine, impostor : array_like of shape (g,), (k,)
        Held-out distances (:func:`held_out_distances`).
    edges : array_like of shape (b + 1,), increasing from 0 to 1
        Bins of stated probability for the reliability table.

    Returns
    -------
    Check
        All figures nan (bins empty) when the curve is undefined or there are no held-out pairs.
    """
    g = metrics._as_distances(genuine, "genuine")
    imp = metrics._as_distances(impostor, "impostor")
    cuts = np.asarray(edges, dtype=np.float64)
    if cuts.ndim != 1 or cuts.size < 2 or cuts[0] != 0.0 or cuts[-1] != 1.0 or np.any(np.diff(cuts) <= 0):
        raise ValueError(f"edges must increase from 0 to 1, got {edges!r}")
    d = np.concatenate([g, imp])
    y = np.concatenate([np.ones(g.size), np.zeros(imp.size)])
    if not confidence.defined or d.size == 0:
        return Check(int(g.size), int(imp.size), float("nan"), float("nan"), ())
    p = np.asarray(confidence.p_same(d), dtype=np.float64)
    share = float(y.mean())
    which = np.clip(np.searchsorted(cuts, p, side="right") - 1, 0, cuts.size - 2)
    bins = []
    for b in range(cuts.size - 1):
        inside = which == b
        n = int(np.count_nonzero(inside))
        bins.append(ReliabilityBin(float(cuts[b]), float(cuts[b + 1]), n, int(y[inside].sum()),
                                   float(p[inside].mean()) if n else float("nan"),
                                   float(y[inside].mean()) if n else float("nan")))
    return Check(int(g.size), int(imp.size), float(np.mean((p - y) ** 2)), share * (1.0 - share), tuple(bins))


@dataclass(frozen=True)
class HowSure:
    """One distance and one threshold, read against the gallery (see :func:`how_sure`).

    Attributes
    ----------
    distance, threshold : float
    p_same : float
        Estimated P(same person | distance) under ``prior``; nan when undefined.
    prior : float
        Share of genuine attempts assumed (0.5: equal odds).
    far, frr : float
        Shares of the gallery's impostor distances below the threshold (let in) and of its
        genuine distances not below it (turned away); nan where a kind is missing.
    false_accepts, false_rejects : int
    n_genuine, n_impostor : int
        How many gallery distances of each kind the figures rest on.
    verdict : str
        One of :data:`VERDICTS` (:meth:`Confidence.verdict`).
    support : Support or None
        The pairs near ``distance`` and the interval on ``p_same``; None when undefined.
    """

    distance: float
    threshold: float
    p_same: float
    prior: float
    far: float
    frr: float
    false_accepts: int
    false_rejects: int
    n_genuine: int
    n_impostor: int
    verdict: str = "too few"
    support: Support | None = None


def how_sure(confidence: Confidence, distance: float, threshold: float, *, prior: float = EQUAL_ODDS) -> HowSure:
    """P(same person) at ``distance`` and the error rates of ``threshold``, in one record.

    Parameters
    ----------
    confidence : Confidence
        Fitted on the distances that match the comparison (:func:`reference_distances`).
    distance : float
        The distance just measured.
    threshold : float
        The threshold in use (accept when ``distance < threshold``).
    prior : float, default 0.5 (equal odds)

    Returns
    -------
    HowSure
    """
    if distance is None or math.isnan(float(distance)):
        raise ValueError(f"distance must be a number, got {distance!r}")
    with warnings.catch_warnings():  # the fit already warned once about missing distances
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        rates = confidence.rates(threshold)
    return HowSure(
        distance=float(distance),
        threshold=float(threshold),
        p_same=confidence.p_same(float(distance), prior=prior),
        prior=_as_prior(prior),
        far=float(rates.far),
        frr=float(rates.frr),
        false_accepts=rates.false_accepts,
        false_rejects=rates.false_rejects,
        n_genuine=confidence.n_genuine,
        n_impostor=confidence.n_impostor,
        verdict=confidence.verdict(float(distance), prior=prior),
        support=confidence.support(float(distance), prior=prior) if confidence.defined else None,
    )


@dataclass(frozen=True)
class UnsureBand:
    """Two thresholds around the decision: below ``low`` "yes", from ``high`` on "no", between them "not sure".

    ``low <= threshold <= high`` always (see :func:`unsure_band`), so outside the band the answer is
    the threshold's own (:func:`facedemo.people.matching.same_person`): the band changes no "yes"
    into "no" or back, it only holds some answers back as "not sure".

    Attributes
    ----------
    low, high : float
        L2 distances, ``low <= high``.
    threshold : float
        The decision's threshold the band is around.
    source : {"curve", "far"}
        Where the edges come from: the "how sure" curve (:func:`unsure_band`) or false-accept
        targets on the impostor pairs (:func:`unsure_band_for_far`).
    at_edge : bool
        ``source == "far"`` only: the strict target asks for fewer false accepts than one
        impostor pair, so ``low`` is just below the smallest impostor distance (no impostor
        accepted), the most the pairs can show.
    n_impostor : int
        The impostor pairs the edges rest on.
    """

    low: float
    high: float
    threshold: float
    source: str = "curve"
    at_edge: bool = False
    n_impostor: int = 0

    def answer(self, distance: float) -> str:
        """``"yes"`` when ``distance < low``, ``"no"`` when ``distance >= high``, else ``"unsure"``."""
        if same_person(distance, self.low):
            return "yes"
        return "unsure" if same_person(distance, self.high) else "no"

    def count(self, distances: ArrayLike) -> int:
        """How many of ``distances`` (array_like of shape (n,)) fall in the band, ``low <= d < high``."""
        d = np.asarray(distances, dtype=np.float64)
        return int(np.count_nonzero(~same_person(d, self.low) & same_person(d, self.high)))


def unsure_band(confidence: Confidence, threshold: float, *, sure: float = SURE, doubt: float = DOUBT) -> UnsureBand:
    """The band where the gallery's "how sure" curve is between ``sure`` and ``doubt``, around ``threshold``.

    ``low`` is where P(same person) (equal odds) falls to ``sure`` (90 %), ``high`` where it falls
    to ``doubt`` (10 %) (:meth:`Confidence.distance_at`). A threshold outside that range widens the
    band to reach it: ``low = min(d_sure, threshold)``, ``high = max(d_doubt, threshold)``, so the
    band never contradicts the decision.

    Parameters
    ----------
    confidence : Confidence
        Fitted on the distances that match the comparison (:func:`reference_distances`).
    threshold : float
        The decision's threshold (accept when ``distance < threshold``).
    sure, doubt : float
        Probabilities with ``0 < doubt < sure < 1``.

    Returns
    -------
    UnsureBand
        With an undefined estimate the band is empty (``low == high == threshold``): two answers.

    Raises
    ------
    ValueError
        If ``doubt >= sure``, either is not strictly between 0 and 1, or ``threshold`` is NaN.
    """
    sure, doubt = _as_prior(sure), _as_prior(doubt)
    if not doubt < sure:
        raise ValueError(f"doubt must be below sure (e.g. 0.1 and 0.9), got doubt={doubt!r}, sure={sure!r}")
    threshold = float(threshold)
    if math.isnan(threshold):
        raise ValueError("threshold is NaN")
    if not confidence.defined:
        return UnsureBand(threshold, threshold, threshold)
    return UnsureBand(min(confidence.distance_at(sure), threshold), max(confidence.distance_at(doubt), threshold),
                      threshold, n_impostor=confidence.n_impostor)


def unsure_band_for_far(confidence: Confidence, threshold: float, *, sure_far: float = SURE_FAR,
                        doubt_far: float = DOUBT_FAR) -> UnsureBand:
    """The band between the thresholds that let in ``sure_far`` and ``doubt_far`` of the impostor pairs, around ``threshold``.

    ``low`` is the threshold of :func:`facedemo.analysis.metrics.tar_at_far` at ``sure_far``
    (10⁻⁴: below it the fitted impostor pairs are let in at most once in 10,000), ``high`` the one
    at ``doubt_far`` (10⁻²: once in 100). As in :func:`unsure_band`, a threshold outside them
    widens the band to reach it, so the band never contradicts the decision.

    This is the default source (:data:`DEFAULT_BAND_SOURCE`): a door's risk is how many strangers
    it lets in, and these edges count exactly that on the impostor pairs, with no prior and without
    the genuine tail the "how sure" curve learns from (hard photos of enrolled people pull that
    curve's 10 % point up, into where strangers live). It is also the rule FaceNet's paper reports
    (VAL at a given FAR).

    With ``k`` impostor pairs the smallest FAR that can be measured is ``1 / k``: when
    ``sure_far * k < 1`` (10⁻⁴ with fewer than 10,000 pairs) the lower edge is where *no*
    impostor pair is let in, just below the smallest impostor distance, and the band says so
    (``at_edge``): the data cannot show 10⁻⁴, only "none of these".

    Parameters
    ----------
    confidence : Confidence
        Its ``genuine`` and ``impostor`` distances (the train pairs of the comparison in use).
    threshold : float
        The decision's threshold (accept when ``distance < threshold``).
    sure_far, doubt_far : float
        False-accept targets with ``0 < sure_far < doubt_far < 1``.

    Returns
    -------
    UnsureBand
        ``source == "far"``. Without genuine or impostor distances the band is empty (two answers).

    Raises
    ------
    ValueError
        If the targets are out of order or not strictly between 0 and 1, or ``threshold`` is NaN.
    """
    if not 0.0 < sure_far < doubt_far < 1.0:
        raise ValueError(
            f"FAR targets must satisfy 0 < sure_far < doubt_far < 1 (e.g. 1e-4 and 1e-2), got "
            f"sure_far={sure_far!r}, doubt_far={doubt_far!r}"
        )
    threshold = float(threshold)
    if math.isnan(threshold):
        raise ValueError("threshold is NaN")
    if not confidence.defined:
        return UnsureBand(threshold, threshold, threshold, source="far")
    _, strict = metrics.tar_at_far(confidence.genuine, confidence.impostor, sure_far)
    _, lax = metrics.tar_at_far(confidence.genuine, confidence.impostor, doubt_far)
    return UnsureBand(min(strict, threshold), max(lax, threshold), threshold, source="far",
                      at_edge=sure_far * confidence.n_impostor < 1.0, n_impostor=confidence.n_impostor)


def band_for(confidence: Confidence, threshold: float, source: str = DEFAULT_BAND_SOURCE) -> UnsureBand:
    """The "unsure" band from ``source``: ``"far"`` (:func:`unsure_band_for_far`) or ``"curve"`` (:func:`unsure_band`).

    Raises
    ------
    ValueError
        Naming ``source`` when it is neither.
    """
    if source == "far":
        return unsure_band_for_far(confidence, threshold)
    if source == "curve":
        return unsure_band(confidence, threshold)
    raise ValueError(f"source must be one of {', '.join(repr(b) for b in BAND_SOURCES)}, got {source!r}")
