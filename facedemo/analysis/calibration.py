"""Distances to *people* (not single photos) and the thresholds calibrated from them.

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
) -> "PersonDistances":
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
