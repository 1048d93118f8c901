"""Who looks alike: the closest pairs of *different* students of a class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facedemo.classroom.rooms import ClassPhotos
from facedemo.people.matching import distance_matrix


@dataclass(frozen=True)
class LookAlike:
    """Two students and the closest distance between any photo of one and any photo of the other.

    ``row_a`` and ``row_b`` are the rows of those two photos in the :class:`ClassPhotos` they came from.
    """

    name_a: str
    name_b: str
    distance: float
    row_a: int
    row_b: int


def look_alikes(photos: ClassPhotos, *, limit: int = 5) -> list[LookAlike]:
    """The ``limit`` closest pairs of different students, closest first.

    The distance of two students is the smallest L2 distance between a photo of one and a photo
    of the other, so a student with three photos is judged by their most alike one. Fewer than
    two students give an empty list.

    Parameters
    ----------
    photos : ClassPhotos
        Rows with ``labels`` (the student's name) and ``vectors`` ``(n, d)``.
    limit : int
        Pairs at most (≥ 1).

    Returns
    -------
    list of LookAlike
        Sorted by distance, then by the two names (ties are stable).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if len(set(photos.labels)) < 2:
        return []
    distances = np.asarray(distance_matrix(photos.vectors), dtype=np.float64)
    best: dict[tuple[str, str], LookAlike] = {}
    n = len(photos.labels)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = photos.labels[i], photos.labels[j]
            if a == b:
                continue
            if a > b:  # each pair once, its names in order
                a, b, i_a, i_b = b, a, j, i
            else:
                i_a, i_b = i, j
            d = float(distances[i, j])
            if (a, b) not in best or d < best[(a, b)].distance:
                best[(a, b)] = LookAlike(a, b, d, i_a, i_b)
    return sorted(best.values(), key=lambda pair: (pair.distance, pair.name_a, pair.name_b))[:limit]
