"""The class's own threshold: calibrated on its students' photos, beside the gallery's."""

from __future__ import annotations

import math
from dataclasses import dataclass

from facedemo.analysis import metrics
from facedemo.classroom.rooms import ClassPhotos

FEW_PAIRS = 10
"""Below this many same-person pairs, the class's threshold is a rough guess (the page says so)."""


@dataclass(frozen=True)
class ClassCalibration:
    """What a class's photos say about the threshold.

    Attributes
    ----------
    genuine_pairs, impostor_pairs : int
        Same-student and different-student photo pairs.
    students_with_two : int
        Students with two or more photos (only they give same-person pairs).
    threshold : float or None
        :func:`facedemo.analysis.metrics.best_accuracy_threshold` of those pairs; None without at
        least one pair of each kind.
    accuracy : float or None
        The share of the class's pairs that threshold decides right.
    """

    genuine_pairs: int
    impostor_pairs: int
    students_with_two: int
    threshold: float | None
    accuracy: float | None

    @property
    def few(self) -> bool:
        """Fewer than :data:`FEW_PAIRS` same-person pairs: the threshold is a rough guess."""
        return self.genuine_pairs < FEW_PAIRS


def calibrate_class(photos: ClassPhotos) -> ClassCalibration:
    """The threshold that decides the most of the class's photo pairs right (one photo vs one photo).

    A degenerate class (nobody with two photos, or one student only) gives ``threshold=None``
    and the counts, so the page can say what is missing.
    """
    counts: dict[str, int] = {}
    for label in photos.labels:
        counts[label] = counts.get(label, 0) + 1
    with_two = sum(1 for count in counts.values() if count >= 2)
    if len(photos) < 2:
        return ClassCalibration(0, 0, with_two, None, None)
    pairs = metrics.pair_distances(photos.vectors, photos.labels)
    genuine, impostor = len(pairs.genuine), len(pairs.impostor)
    if not genuine or not impostor:
        return ClassCalibration(genuine, impostor, with_two, None, None)
    threshold, accuracy = metrics.best_accuracy_threshold(pairs.genuine, pairs.impostor)
    if math.isnan(threshold):  # pragma: no cover - both kinds of pairs are there
        return ClassCalibration(genuine, impostor, with_two, None, None)
    return ClassCalibration(genuine, impostor, with_two, float(threshold), float(accuracy))
