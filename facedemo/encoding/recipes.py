"""The preprocessing recipes: how a photo becomes a network's input. Each recipe owns its step.

- ``aligned`` (default): MTCNN finds the faces; the largest is aligned on its five landmarks (eyes
  level, a fixed distance apart, at a fixed place; :mod:`facedemo.encoding.alignment`) and cut
  out at 160×160.
- ``box``: MTCNN finds the faces; the largest is cut out by its box plus a 10 % margin and
  resized to 160×160 (bilinear). No rotation: a tilted head stays tilted. (Until alignment came,
  this was the default and was called ``aligned``; database files of then are read as ``box``.)
- ``course``: the course notebook's ``img_to_encoding`` exactly: the *whole* photo resized to
  160×160 (nearest neighbour, as ``keras.preprocessing.image.load_img`` does). No face detection.

Either way the crop is then scaled as the chosen network wants (:mod:`facedemo.encoding.scaling`;
the network's registry entry says which). Thresholds depend on the recipe *and* the network: they
sit in the networks' registry (:mod:`facedemo.encoding.networks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from facedemo.detection.faces import (
    Face,
    FaceDetector,
    largest_first_note,
    require_face,
)
from facedemo.encoding import alignment
from facedemo.encoding.runtime import INPUT_SIZE
from facedemo.encoding.scaling import Scaling
from facedemo.errors import FacedemoError

CROP_MARGIN = 0.1


@dataclass
class Prepared:
    """A photo made ready for a network.

    ``model_input`` is ``(160, 160, 3)`` float32 as the network gets it; ``crop`` is the same
    region as uint8 for showing; ``face`` is the face used (None for the course recipe) and
    ``faces`` every face found, largest first; ``note`` a sentence about them, if any.
    """

    model_input: np.ndarray
    crop: np.ndarray
    rgb: np.ndarray
    face: Face | None
    faces: list[Face] = field(default_factory=list)
    note: str | None = None
    crop_landmarks: np.ndarray | None = None
    """The landmarks the recipe used, in crop pixels ``(5, 2)`` (x, y); None when it used none."""


def crop_face(rgb: np.ndarray, face: Face, *, margin: float = CROP_MARGIN, size: int = INPUT_SIZE) -> np.ndarray:
    """Cut the face out with ``margin`` (a fraction of the box) on each side; ``(size, size, 3)`` uint8."""
    height, width = rgb.shape[:2]
    x, y, w, h = face.box
    dx, dy = w * margin, h * margin
    left, top = max(0, int(x - dx)), max(0, int(y - dy))
    right, bottom = min(width, int(x + w + dx)), min(height, int(y + h + dy))
    crop = Image.fromarray(rgb[top:bottom, left:right]).resize((size, size), Image.BILINEAR)
    return np.asarray(crop)


def whole_photo(rgb: np.ndarray, *, size: int = INPUT_SIZE) -> np.ndarray:
    """The notebook's input pixels: the whole photo resized to ``(size, size, 3)`` uint8, nearest neighbour."""
    return np.asarray(Image.fromarray(rgb).resize((size, size), Image.NEAREST))


@dataclass(frozen=True)
class Recipe:
    """A way from an RGB photo to a network's input; subclasses own the step (:meth:`crop`)."""

    name: str
    title: str
    description: str

    @property
    def uses_faces(self) -> bool:
        """Whether the recipe finds faces (and so can fail with "no face found")."""
        return False

    @property
    def version(self) -> str:
        """What, besides the name, decides the recipe's crops (part of every cache key)."""
        return self.name

    def crop(self, rgb: np.ndarray, face: Face | None) -> np.ndarray:
        """The ``(160, 160, 3)`` uint8 region of ``rgb`` the network sees, for ``face`` where the recipe uses one."""
        raise NotImplementedError

    def prepare(self, rgb: np.ndarray, *, detector: FaceDetector, scaling: Scaling, name: str = "the photo") -> Prepared:
        """Turn an RGB photo into a network's input, scaled by ``scaling``.

        Raises :class:`~facedemo.errors.NoFaceFoundError` when the recipe needs a face and finds none.
        """
        crop = self.crop(rgb, None)
        return Prepared(scaling(crop), crop, rgb, None)


@dataclass(frozen=True)
class WholePhoto(Recipe):
    """The notebook's recipe: no detection, the whole photo is the input."""

    def crop(self, rgb: np.ndarray, face: Face | None) -> np.ndarray:
        return whole_photo(rgb)


@dataclass(frozen=True)
class FaceBoxCrop(Recipe):
    """The largest detected face, cut by its box plus ``margin`` on each side."""

    margin: float = CROP_MARGIN

    @property
    def uses_faces(self) -> bool:
        return True

    @property
    def version(self) -> str:
        return f"{self.name}:box-margin-{self.margin}"

    def crop(self, rgb: np.ndarray, face: Face | None) -> np.ndarray:
        if face is None:
            raise FacedemoError(f"the recipe '{self.name}' crops a face: it needs one")
        return crop_face(rgb, face, margin=self.margin)

    def prepare(self, rgb: np.ndarray, *, detector: FaceDetector, scaling: Scaling, name: str = "the photo") -> Prepared:
        faces = detector.detect(rgb)
        face = require_face(faces, name)
        crop = self.crop(rgb, face)
        return Prepared(scaling(crop), crop, rgb, face, faces, largest_first_note(faces), self.crop_landmarks(face))

    def crop_landmarks(self, face: Face) -> np.ndarray | None:
        """Where ``face``'s landmarks land in the crop, ``(5, 2)``; None if the recipe does not use them."""
        return None


@dataclass(frozen=True)
class LandmarkAlignment(FaceBoxCrop):
    """The largest detected face, aligned on its five landmarks (:mod:`facedemo.encoding.alignment`).

    ``scale`` below 1 shrinks the template about the centre: more margin around the face;
    ``aspect`` is the unsqueezed frame's height / width (1: a plain similarity into the square).
    """

    scale: float = 1.0
    aspect: float = alignment.FRAME_ASPECT

    @property
    def version(self) -> str:
        template = ",".join(f"{v:g}" for v in alignment.TEMPLATE.ravel())
        return f"{self.name}:landmarks-{self.scale}-frame-{self.aspect}-template-{template}-{alignment.WARP_VERSION}"

    def crop(self, rgb: np.ndarray, face: Face | None) -> np.ndarray:
        if face is None:
            raise FacedemoError(f"the recipe '{self.name}' aligns a face: it needs one")
        return alignment.align_face(rgb, face, scale=self.scale, aspect=self.aspect)

    def crop_landmarks(self, face: Face) -> np.ndarray | None:
        points = alignment.landmark_points(face)
        matrix = alignment.alignment_matrix(points, scale=self.scale, aspect=self.aspect)
        return alignment.to_crop(points, matrix)


RECIPES: dict[str, Recipe] = {
    "aligned": LandmarkAlignment(
        name="aligned",
        title="Aligned on the landmarks (default)",
        description="MTCNN finds the face and its eyes, nose and mouth; the face is turned so the "
        "eyes are level and scaled so they sit at fixed places, cut out at 160×160 and scaled as "
        "the chosen network was trained.",
    ),
    "box": FaceBoxCrop(
        name="box",
        title="Face box crop",
        description="MTCNN finds the face; its box is cut out with a 10 % margin and resized to "
        "160×160. No turning: a tilted head stays tilted.",
    ),
    "course": WholePhoto(
        name="course",
        title="Whole photo, as in the course notebook",
        description="The notebook's img_to_encoding: the whole photo resized to 160×160, divided "
        "by 255. No face detection, so background, hair and pose dominate the distance.",
    ),
}
DEFAULT_RECIPE = "aligned"


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``, or an error naming the choices."""
    try:
        return RECIPES[name]
    except KeyError:
        raise FacedemoError(f"unknown recipe '{name}'; use one of {', '.join(RECIPES)}") from None
