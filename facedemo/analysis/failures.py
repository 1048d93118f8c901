"""Who it fails for: photos held against people, and each person's false rejects and false accepts.

An *attempt* is one photo held against one person's enrolled encodings, as the door compares a
photo with a person (:func:`facedemo.people.matching.person_distance`, by their ``"mean"`` or
``"nearest"`` encoding). It is *genuine* when the photo is that person's, an *impostor* attempt
otherwise. At a threshold ``t`` (the one rule, :func:`facedemo.people.matching.same_person`):

- a genuine attempt with ``distance >= t`` is a **false reject** (the person turned away);
- an impostor attempt with ``distance < t`` is a **false accept** (someone else let in as them).

Two sets of attempts:

- the gallery: each val photo against each person enrolled from train (the page builds those from
  the session's database);
- a set that is its own database, such as a class: :func:`leave_one_out`, each photo against every
  person of the set, its own photo left out of its owner's encodings, so a photo never meets itself.

Degenerate cases, decided on purpose: a person with one photo has no genuine attempt in a
leave-one-out (nothing is left to compare the photo with); a set of one person has no impostor
attempt; an empty set has no attempt at all. :func:`per_person` then reports ``0 of 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from facedemo.encoding.runtime import l2_normalise
from facedemo.errors import FacedemoError
from facedemo.people.matching import as_embeddings, distance_matrix, same_person

__all__ = ["Attempt", "PersonErrors", "hardest", "leave_one_out", "per_person"]


@dataclass(frozen=True)
class Attempt:
    """One photo held against one person.

    Attributes
    ----------
    row : int
        The photo's row in the set it came from (to find its crop).
    photo : str
        The photo's id (e.g. ``"val/madonna/1"``, or a class photo's ``"<student id>/<k>"``).
    owner : str
        Who is in the photo.
    claimed : str
        The person it is held against.
    distance : float
        L2 distance from the photo to ``claimed``'s encodings (``comparison`` of the maker).
    """

    row: int
    photo: str
    owner: str
    claimed: str
    distance: float

    @property
    def genuine(self) -> bool:
        """Whether the photo is the claimed person's own."""
        return self.owner == self.claimed


@dataclass(frozen=True)
class PersonErrors:
    """One person's errors at a threshold: ``false_rejects`` of ``genuine`` own attempts turned away,
    ``false_accepts`` of ``impostor`` attempts of others let in as them."""

    name: str
    false_rejects: int
    genuine: int
    false_accepts: int
    impostor: int


def leave_one_out(
    vectors: ArrayLike, labels: Sequence[str], *, comparison: str = "mean", ids: Sequence[str] | None = None,
) -> list[Attempt]:
    """Every photo of a set against every person of the same set, its own photo left out.

    Parameters
    ----------
    vectors : array_like of shape (n, d)
        Unit encodings, one per photo.
    labels : sequence of str, length n
        Who is in each photo; the people are the distinct labels.
    comparison : {"mean", "nearest"}, keyword-only
        As :func:`facedemo.people.matching.person_distance`: to the person's mean encoding
        (re-normalised), or to the nearest of their photos. For the photo's own person the mean
        or the nearest is over their *other* photos.
    ids : sequence of str, length n, optional
        The photos' ids (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    list of Attempt
        In photo order, then in the people's sorted order: ``n × people`` attempts, less one for
        each photo whose person has no other photo (no genuine attempt is possible for it).
        The distances equal ``person_distance(vectors[i], <claimed's photos, i left out>, comparison)``.

    Raises
    ------
    ValueError
        If ``vectors`` is not 2-D or ``labels`` / ``ids`` do not have one entry per photo.
    FacedemoError
        For a ``comparison`` other than ``"mean"`` or ``"nearest"``.
    """
    if comparison not in ("mean", "nearest"):
        raise FacedemoError(f"a photo is compared with a person by 'mean' or 'nearest', not {comparison!r}")
    labels = [str(label) for label in labels]
    n = len(labels)
    if n == 0:
        return []
    x = as_embeddings(vectors, "vectors").astype(np.float32)
    if x.shape[0] != n:
        raise ValueError(f"vectors has {x.shape[0]} rows for {n} labels: give one label per photo")
    ids = [str(k) for k in range(n)] if ids is None else [str(i) for i in ids]
    if len(ids) != n:
        raise ValueError(f"ids has {len(ids)} entries for {n} photos: give one id per photo")
    people = sorted(set(labels))
    owner = np.array([people.index(label) for label in labels])
    members = [np.flatnonzero(owner == p) for p in range(len(people))]
    if comparison == "mean":
        means = np.stack([l2_normalise(x[rows].mean(axis=0)) for rows in members])
        d = distance_matrix(x, means)
        for i in range(n):  # the owner's mean without this photo
            rows = members[owner[i]]
            others = rows[rows != i]
            d[i, owner[i]] = (distance_matrix(x[i:i + 1], l2_normalise(x[others].mean(axis=0))[None])[0, 0]
                              if others.size else np.nan)
    else:
        pairs = distance_matrix(x)
        np.fill_diagonal(pairs, np.inf)
        d = np.stack([pairs[:, rows].min(axis=1) for rows in members], axis=1)
        d[~np.isfinite(d)] = np.nan  # a person's only photo, against itself left out
    return [Attempt(i, ids[i], labels[i], people[p], float(d[i, p]))
            for i in range(n) for p in range(len(people)) if np.isfinite(d[i, p])]


def per_person(attempts: Sequence[Attempt], threshold: float) -> list[PersonErrors]:
    """Each claimed person's false rejects and false accepts at ``threshold``, in name order.

    A genuine attempt is turned away when ``same_person(distance, threshold)`` is false; an impostor
    attempt is let in when it is true (the project's one rule).
    """
    rows = []
    for name in sorted({a.claimed for a in attempts}):
        own = [a.distance for a in attempts if a.claimed == name and a.genuine]
        others = [a.distance for a in attempts if a.claimed == name and not a.genuine]
        rejected = int(np.count_nonzero(~same_person(np.array(own, dtype=np.float64), threshold))) if own else 0
        accepted = int(np.count_nonzero(same_person(np.array(others, dtype=np.float64), threshold))) if others else 0
        rows.append(PersonErrors(name, rejected, len(own), accepted, len(others)))
    return rows


def hardest(attempts: Sequence[Attempt], name: str) -> tuple[Attempt | None, Attempt | None]:
    """``name``'s hardest genuine attempt (their own photo farthest from them) and hardest impostor
    attempt (the other person's photo nearest to them); None where there is none."""
    own = [a for a in attempts if a.claimed == name and a.genuine]
    others = [a for a in attempts if a.claimed == name and not a.genuine]
    return (max(own, key=lambda a: a.distance) if own else None,
            min(others, key=lambda a: a.distance) if others else None)
