"""Every face of one photo encoded, largest first (a group photo), not only the largest one.

Single-face operations (:meth:`FaceEncoder.encode`, the notebook's functions) use the largest
face; :func:`encode_every_face` gives one entry per detected face instead. A face smaller than
:data:`MIN_FACE_SIDE` pixels on its box's short side is marked ``too_small`` and not encoded: its
encoding would be a guess.

How :data:`MIN_FACE_SIDE` was chosen (``benchmarks/face_size.py``, 2026-12-02, the default
network and recipe, landmark alignment): each of the 25 val faces (short sides 40-163 px, median
78) was shrunk to ``s`` px and named 1:K against the train office (K = 5: each comparison's
default, mean 1.14, nearest 1.06).

=========  ======================================  ======================================
face (px)  mean: named right, worst genuine         nearest: named right, worst genuine
=========  ======================================  ======================================
15         28 %, 1.35                              24 %, 1.27
20         68 %, 1.31                              68 %, 1.19
25         92 %, 1.17                              92 %, 1.07
30         96 %, 1.12 (0.02 below the threshold)   96 %, 1.02 (0.04 below)
35         100 %, 1.00 (0.14 below)                100 %, 0.91 (0.15 below)
40         100 %, 0.96 (0.18 below)                100 %, 0.90 (0.16 below)
160        100 %, 0.83                             100 %, 0.90
=========  ======================================  ======================================

Under 35 px faces drift to "Not in the database" (no wrong name at any size). 40 px keeps a
margin of more than 0.15 below both thresholds and is the gallery's smallest val face, so every
size allowed has been measured on real faces; one train photo (Jerry Seinfeld with Julia
Louis-Dreyfus, three faces) has its largest at 35 px: as a group photo, every face of it is
marked too small. (With the face box crop, before alignment, 40 px was the first size with a
margin of 0.1 for both comparisons.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facedemo.detection.faces import Face
from facedemo.encoding.networks import get_network
from facedemo.encoding.recipes import DEFAULT_RECIPE, get_recipe
from facedemo.io.images import WORK_MAX_SIDE, ImageSource, read_image

MIN_FACE_SIDE = 40


@dataclass(frozen=True)
class FaceEncoding:
    """One face of a photo: where it is, what the network sees, and its encoding.

    ``face`` is None for a recipe without detection (the whole photo is the one entry).
    ``crop`` is ``(160, 160, 3)`` uint8; ``vector`` is the ``(d,)`` unit encoding, None when
    ``too_small``.
    """

    face: Face | None
    crop: np.ndarray
    vector: np.ndarray | None
    too_small: bool = False

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        """``(x, y, width, height)`` in the photo's pixels, or None for the whole photo."""
        return None if self.face is None else self.face.box


@dataclass(frozen=True)
class EveryFace:
    """A photo (``rgb``, ``(h, w, 3)`` uint8, at most 2000 px a side) and its faces, largest first."""

    rgb: np.ndarray
    faces: list[FaceEncoding]
    recipe: str
    network: str


def is_too_small(face: Face, min_side: int = MIN_FACE_SIDE) -> bool:
    """Whether the face's box is under ``min_side`` pixels on its short side."""
    return min(face.box[2], face.box[3]) < min_side


def encode_every_face(encoder, source: ImageSource, recipe: str = DEFAULT_RECIPE, *,
                      min_side: int = MIN_FACE_SIDE, name: str | None = None) -> EveryFace:
    """Encode every face of one photo in one batch, largest first.

    Parameters
    ----------
    encoder : :class:`~facedemo.encoding.encoder.FaceEncoder`.
    source : a path or the photo's bytes.
    recipe : how a face becomes the network's input; a recipe without detection (``course``)
        gives one entry, the whole photo.
    min_side : faces under this many pixels on their short side are ``too_small``, not encoded.

    Raises the project's errors for a bad file, and
    :class:`~facedemo.errors.NoFaceFoundError` when the recipe finds no face.
    """
    name = name or ("the uploaded file" if isinstance(source, (bytes, bytearray, memoryview)) else f"'{Path(source).name}'")
    rgb = read_image(source, name=name, max_side=WORK_MAX_SIDE)
    prepared = encoder.prepare(rgb, recipe, name=name)
    if not prepared.faces:  # the whole photo
        vector = encoder.embed_prepared([prepared])[0]
        return EveryFace(rgb, [FaceEncoding(None, prepared.crop, vector)], recipe, encoder.network)
    cut, scaling = get_recipe(recipe), get_network(encoder.network).scaling_for(recipe)
    crops = [cut.crop(rgb, face) for face in prepared.faces]
    small = [is_too_small(face, min_side) for face in prepared.faces]
    inputs = [scaling(crop) for crop, tiny in zip(crops, small) if not tiny]
    vectors = iter(encoder.embedder.embed(np.stack(inputs)) if inputs else [])
    faces = [FaceEncoding(face, crop, None if tiny else next(vectors), tiny)
             for face, crop, tiny in zip(prepared.faces, crops, small)]
    return EveryFace(rgb, faces, recipe, encoder.network)
