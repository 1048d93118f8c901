"""1:K for every face of a group photo: each face named, or "Not in the database.", or too small.

Each face is ranked against the database (:meth:`FaceDatabase.ranking`) and the nearest person
is its name when :func:`~facedemo.people.matching.same_person` says so, as for one face
(:meth:`FaceDatabase.identify`, the notebook's ``who_is_it``). Faces too small to encode well
(:data:`facedemo.encoding.every_face.MIN_FACE_SIDE`) get no name and no distance, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from facedemo.encoding.every_face import MIN_FACE_SIDE, FaceEncoding
from facedemo.encoding.networks import DEFAULT_COMPARISON
from facedemo.people.database import FaceDatabase
from facedemo.people.matching import same_person

NOT_IN_DATABASE = "Not in the database."


@dataclass(frozen=True)
class NamedFace:
    """One face's answer.

    ``identity`` is the person's name or None; ``nearest`` the nearest person even when not close
    enough (None for a too-small face or an empty database); ``distance`` the distance to
    ``nearest`` (None when too small, ``inf`` for an empty database); ``message`` the sentence.
    """

    face: FaceEncoding
    identity: str | None
    nearest: str | None
    distance: float | None
    message: str

    @property
    def too_small(self) -> bool:
        return self.face.too_small


def too_small_message(face: FaceEncoding, min_side: int = MIN_FACE_SIDE) -> str:
    """The sentence for a face too small to recognise, naming its size and the size needed."""
    side = min(face.box[2:]) if face.box else 0
    return f"Too small to recognise: the face is {side} px on its short side (at least {min_side} px needed)."


def name_face(face: FaceEncoding, database: FaceDatabase, *, threshold: float,
              comparison: str = DEFAULT_COMPARISON) -> NamedFace:
    """One face against ``database``: named when ``distance < threshold`` to the nearest person."""
    if face.too_small or face.vector is None:
        return NamedFace(face, None, None, None, too_small_message(face))
    ranking = database.ranking(face.vector, comparison=comparison)
    if not ranking:
        return NamedFace(face, None, None, float("inf"), NOT_IN_DATABASE)
    best = ranking[0]
    if same_person(best.distance, threshold):
        return NamedFace(face, best.name, best.name, best.distance, f"it's {best.name}, the distance is {best.distance:.2f}")
    return NamedFace(face, None, best.name, best.distance, NOT_IN_DATABASE)


def name_every_face(faces: Sequence[FaceEncoding], database: FaceDatabase, *, threshold: float | None = None,
                    comparison: str = DEFAULT_COMPARISON) -> list[NamedFace]:
    """Every face against ``database`` (1:K each), in the order given (largest first).

    ``threshold`` defaults to the database's 1:K one for ``comparison`` and its size
    (:meth:`~facedemo.people.database.FaceDatabase.identify_threshold`). Two faces may get
    the same name: each is answered on its own, as a door would answer each visitor.
    """
    threshold = database.identify_threshold(comparison) if threshold is None else threshold
    return [name_face(face, database, threshold=threshold, comparison=comparison) for face in faces]
