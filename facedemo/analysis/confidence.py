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

Which distances to fit: what the page compares (see :func:`reference_distances`): photo against
photo for two photos, photo against a person (``mean`` or ``nearest``) for the ID card and for
recognition. Degenerate inputs follow :mod:`facedemo.analysis.metrics`: without genuine or without impostor
distances the estimate is nan, with an :class:`~facedemo.analysis.metrics.UndefinedMetricWarning`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.isotonic import IsotonicRegression

from facedemo.analysis import calibration, metrics
from facedemo.analysis.metrics import UndefinedMetricWarning
from facedemo.people.matching import same_person

__all__ = ["EQUAL_ODDS", "SURE", "DOUBT", "Confidence", "HowSure", "UnsureBand", "with_prior", "reference_distances",
           "how_sure", "unsure_band"]

EQUAL_ODDS = 0.5
# The "unsure" band's edges: where P(same person) at equal odds falls to 90 % and to 10 %.
SURE, DOUBT = 0.9, 0.1
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
    def fit(cls, genuine: ArrayLike, impostor: ArrayLike, *, pseudo_pairs: float = 1.0) -> "Confidence":
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

    def p_same(self, distance: ArrayLike, *, prior: float = EQUAL_ODDS) -> float | np.ndarray:
        """Estimated probability that a pair at ``distance`` is the same person.

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
            p = with_prior(np.interp(d, self.knots, self.p_knots), prior)
        return float(p) if p.ndim == 0 else p

    def distance_at(self, p: float) -> float:
        """The smallest distance at which P(same person) (equal odds) has fallen to ``p``.

        The fitted curve is non-increasing and linear between knots, so this reads it backwards:
        below the returned distance the estimate is above ``p``. When the curve never falls to
        ``p`` the largest knot is returned; when it starts at or below ``p``, the smallest.

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
        below = np.nonzero(self.p_knots <= p)[0]
        if below.size == 0:
            return float(self.knots[-1])
        i = int(below[0])
        if i == 0:
            return float(self.knots[0])
        d0, d1, p0, p1 = self.knots[i - 1], self.knots[i], self.p_knots[i - 1], self.p_knots[i]
        return float(d0 + (p0 - p) / (p0 - p1) * (d1 - d0))  # p0 > p >= p1

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
    """

    low: float
    high: float
    threshold: float

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
                      threshold)
