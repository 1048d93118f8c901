"""Distances to *people* (not single photos) and the thresholds calibrated from them.

Two ways to set a threshold live here. :func:`calibrate`: the best accuracy on one labelled set
(the old default, kept as a teaching point). :func:`fit_far_policy`: the threshold for a target
false-accept rate (:data:`~facedemo.encoding.thresholds.FAR_TARGET`) of a Gaussian tail fitted to
the closest impostor distances, moved down by a bootstrap margin — today's defaults.

Comparing a photo with a person can mean their mean encoding or the nearest of their photos
(:func:`facedemo.people.matching.person_distance`, the database's own); each gives other
genuine/impostor distances, so each gets its own threshold (:mod:`facedemo.encoding.networks`).
Each threshold is :func:`facedemo.analysis.metrics.best_accuracy_threshold` (on scikit-learn's ROC
curve); the photo-to-person loop stays plain numpy, the rule a student reads off the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facedemo.analysis import metrics
from facedemo.encoding.thresholds import (
    FAR_TARGET,
    Calibrated,
    ImpostorTail,
    floor_to,
    normal_quantile,
)
from facedemo.people.matching import PERSON_COMPARISONS, person_distance


@dataclass(frozen=True)
class PersonDistances:
    """Query-to-person distances: ``genuine`` to the query's own person, ``impostor`` to others."""

    genuine: np.ndarray
    impostor: np.ndarray


def person_distances(
    queries: np.ndarray,
    query_labels: list[str] | np.ndarray,
    gallery: np.ndarray,
    gallery_labels: list[str] | np.ndarray,
    *,
    comparison: str = "mean",
    leave_one_out: bool = False,
) -> PersonDistances:
    """Distances from each query to each person of the gallery.

    Parameters
    ----------
    queries : (n, d) unit encodings; gallery : (m, d) unit encodings.
    comparison : ``"mean"`` (to the person's re-normalised mean encoding) or ``"nearest"``.
    leave_one_out : queries *are* the gallery (same order); each query is left out of its own
        person, as if it were a new photo.

    Returns
    -------
    PersonDistances with ``genuine`` (query vs own person, n values) and ``impostor``
    (query vs every other person).
    """
    queries, gallery = np.asarray(queries, np.float32), np.asarray(gallery, np.float32)
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    if comparison not in PERSON_COMPARISONS:
        raise ValueError(f"comparison must be 'mean' or 'nearest', got {comparison!r}")
    genuine, impostor = [], []
    for person in np.unique(gallery_labels):
        members = gallery_labels == person
        for index in range(len(queries)):
            photos = gallery[members]
            if leave_one_out and members[index]:
                photos = gallery[members & (np.arange(len(gallery)) != index)]
                if not len(photos):
                    continue
            value = person_distance(queries[index], photos, comparison)
            (genuine if query_labels[index] == person else impostor).append(value)
    return PersonDistances(genuine=np.array(genuine), impostor=np.array(impostor))


@dataclass(frozen=True)
class Calibration:
    """A threshold for one comparison, with the accuracy it reached and the data's spread."""

    comparison: str
    threshold: float
    accuracy: float
    max_genuine: float
    min_impostor: float
    genuine_count: int
    impostor_count: int


def calibrate(embeddings: np.ndarray, labels: list[str] | np.ndarray) -> dict[str, Calibration]:
    """Best-accuracy thresholds for ``pair``, ``mean`` and ``nearest`` on one labelled set."""
    results = {}
    splits = {
        "pair": metrics.pair_distances(embeddings, labels),
        "mean": person_distances(embeddings, labels, embeddings, labels, comparison="mean", leave_one_out=True),
        "nearest": person_distances(embeddings, labels, embeddings, labels, comparison="nearest", leave_one_out=True),
    }
    for comparison, split in splits.items():
        threshold, accuracy = metrics.best_accuracy_threshold(split.genuine, split.impostor)
        results[comparison] = Calibration(
            comparison, float(threshold), float(accuracy),
            float(split.genuine.max()) if split.genuine.size else float("nan"),
            float(split.impostor.min()) if split.impostor.size else float("nan"),
            len(split.genuine), len(split.impostor),
        )
    return results


# --------------------------------------------------------------------------- thresholds for a FAR

TAIL_SHARE = 0.05
MIN_TAIL_POINTS = 12
BOOTSTRAP_RUNS = 200
CONFIDENCE = 0.95


def fit_tail(impostor: np.ndarray) -> ImpostorTail:
    """Fit :class:`~facedemo.encoding.thresholds.ImpostorTail` (no margin) to impostor distances ``(k,)``.

    The closest distances, sorted, are regressed on the normal quantiles of their plotting
    positions ``(i + ½) / k``: ``d_i ≈ mean + sd · Φ⁻¹((i + ½) / k)`` (least squares).
    """
    values = np.sort(np.asarray(impostor, dtype=np.float64))
    if values.size < MIN_TAIL_POINTS:
        raise ValueError(f"a tail needs at least {MIN_TAIL_POINTS} impostor distances, got {values.size}")
    count = max(MIN_TAIL_POINTS, round(TAIL_SHARE * values.size))
    z = np.array([normal_quantile((i + 0.5) / values.size) for i in range(count)])
    sd, mean = np.polyfit(z, values[:count], 1)
    if not sd > 1e-9:
        raise ValueError("the impostor distances' near end does not rise: cannot fit a tail")
    return ImpostorTail(float(mean), float(sd))


def impostor_checks(embeddings: np.ndarray, labels: np.ndarray, comparison: str) -> PersonDistances:
    """Genuine and impostor attempts of one labelled set for ``comparison``.

    ``pair``: every unordered pair of photos; ``mean`` / ``nearest``: each photo against every
    person, its own photo left out of its person (as :func:`calibrate` does).
    """
    if comparison == "pair":
        split = metrics.pair_distances(embeddings, labels)
        return PersonDistances(split.genuine, split.impostor)
    return person_distances(embeddings, labels, embeddings, labels, comparison=comparison, leave_one_out=True)


@dataclass(frozen=True)
class FarPolicy:
    """A comparison's default threshold, set for :data:`FAR_TARGET` on train and what it gives.

    ``tail`` (with its bootstrap ``margin``) makes the thresholds; ``threshold`` is the one for
    :data:`FAR_TARGET`, rounded down to 0.01; ``train_far``/``train_tar`` are measured on the very attempts it was fitted
    on; ``best_accuracy`` is the threshold that would decide the most train attempts right (shown
    as a teaching point, not used).
    """

    comparison: str
    tail: ImpostorTail
    threshold: float
    train_far: float
    train_tar: float
    best_accuracy: float
    genuine_count: int
    impostor_count: int


def fit_far_policy(
    embeddings: np.ndarray,
    labels: list[str] | np.ndarray,
    comparison: str,
    *,
    far: float = FAR_TARGET,
    runs: int = BOOTSTRAP_RUNS,
    seed: int = 0,
) -> FarPolicy:
    """The threshold for ``far`` on one labelled (train) set, with a margin for its uncertainty.

    The margin: the photos are resampled ``runs`` times (with replacement, within each person;
    seeded), the tail refitted and its ``far`` point found each time; the margin is how far the
    fit on all photos sits above the resamples' 5th percentile. So the default is a point that
    19 of 20 resamples of the train photos would put at or above it: five people's photos pin a
    FAR of 10⁻³ down only roughly, and the error that matters is letting a stranger in.
    """
    embeddings, labels = np.asarray(embeddings, np.float32), np.asarray(labels)
    checks = impostor_checks(embeddings, labels, comparison)
    tail = fit_tail(checks.impostor)
    point = tail.threshold_for(far)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == person) for person in np.unique(labels)]
    points = []
    for _ in range(runs):
        pick = np.concatenate([rng.choice(group, size=group.size, replace=True) for group in groups])
        resampled = impostor_checks(embeddings[pick], labels[pick], comparison)
        points.append(fit_tail(resampled.impostor).threshold_for(far))
    margin = max(0.0, point - float(np.quantile(points, 1.0 - CONFIDENCE)))
    tail = ImpostorTail(tail.mean, tail.sd, margin)
    threshold = floor_to(tail.threshold_for(far))
    rates = metrics.rates_at(threshold, checks.genuine, checks.impostor)
    best, _ = metrics.best_accuracy_threshold(checks.genuine, checks.impostor)
    return FarPolicy(comparison, tail, float(threshold), float(rates.far), float(rates.tar), float(best),
                     len(checks.genuine), len(checks.impostor))


def val_attempts(val: np.ndarray, val_labels: list[str] | np.ndarray, train: np.ndarray,
                 train_labels: list[str] | np.ndarray, comparison: str) -> PersonDistances:
    """Held-out attempts: val photos against train photos (``pair``) or against the train people."""
    if comparison == "pair":
        genuine, impostor = metrics.cross_pairs(metrics.distance_matrix(val, train), val_labels, train_labels)
        return PersonDistances(genuine, impostor)
    return person_distances(val, val_labels, train, train_labels, comparison=comparison)


def validated(policy: FarPolicy, attempts: PersonDistances) -> Calibrated:
    """What ``policy``'s threshold gives on held-out ``attempts``: the registry's record of it."""
    rates = metrics.rates_at(policy.threshold, attempts.genuine, attempts.impostor)
    return Calibrated(policy.tail, round(policy.train_far, 5), round(float(rates.far), 5), round(float(rates.tar), 4),
                      len(attempts.impostor), len(attempts.genuine), round(policy.best_accuracy, 3))


def strangers_let_in(train: np.ndarray, train_labels: list[str] | np.ndarray, queries: np.ndarray,
                     query_labels: list[str] | np.ndarray, *, comparison: str, recipe: str,
                     network: str) -> tuple[int, int]:
    """Leave one person out: how many strangers does 1:K take for someone?

    For each person in turn, everyone else of ``train`` is enrolled in a
    :class:`~facedemo.people.database.FaceDatabase` (its 1:K threshold for that size), and every
    photo of the person in ``queries`` comes to the door. Returns ``(let_in, tried)``.
    """
    from facedemo.people.database import FaceDatabase

    train_labels, query_labels = np.asarray(train_labels), np.asarray(query_labels)
    let_in = tried = 0
    for stranger in np.unique(train_labels):
        office = FaceDatabase(recipe, network=network)
        for vector, label in zip(train, train_labels):
            if label != stranger:
                office.add(str(label), vector)
        for vector in queries[query_labels == stranger]:
            let_in += office.identify(vector, comparison=comparison)[1] is not None
            tried += 1
    return let_in, tried
