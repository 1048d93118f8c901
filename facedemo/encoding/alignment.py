"""Landmark alignment: a face's five MTCNN landmarks moved onto one fixed template, then cut out.

The template (:data:`TEMPLATE`, pixels of the 160×160 crop) puts the eyes level, a fixed distance
apart and at a fixed height. It was measured, not guessed: it is the mean position of the five
landmarks in the gallery's *train* box crops (box + 10 % margin, resized to 160×160), made
left-right symmetric. Those crops are the shape both networks were trained on: faces whose box
is about 1.36 times as tall as wide, squeezed into a square. So the fit happens in that
unsqueezed frame (160 × :data:`FRAME_HEIGHT`) and the frame is then squeezed to 160×160, in one
resampling step:

1. a similarity transform (rotation, one scale, shift; no shear) maps the five landmarks onto the
   template in the 160 × 218 frame, by least squares over all five points
   (scikit-image's :class:`~skimage.transform.SimilarityTransform`, Umeyama's method);
2. the frame is squeezed to 160×160.

Why scikit-image and not OpenCV's ``estimateAffinePartial2D``: with five points and no outliers
the least-squares fit over all of them is the estimate wanted; OpenCV's function is a robust
(RANSAC or LMedS) estimator that may drop points, and OpenCV would be a second large binary for
one function. Pillow does the warp.

Measured on the gallery (val photos against train photos, ``benchmarks/recipes.py``), the
Keras FaceNet's AUC went from 0.9995 (box crop) to 0.9998 and its EER from 1.24 % to 0.65 %; a
pure similarity into a square (no squeeze) did worse than the box crop (EER 1.94 %).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from facedemo.detection.faces import Face
from facedemo.detection.mtcnn_lite import LANDMARKS
from facedemo.encoding.runtime import INPUT_SIZE
from facedemo.errors import FacedemoError

FRAME_ASPECT = 1.36
"""The box crops' mean height / width on the train photos (1.3615): the unsqueezed frame's shape."""
FRAME_HEIGHT = round(INPUT_SIZE * FRAME_ASPECT)
WARP_VERSION = "centres-2"
"""Changes with any change of how the pixels are warped (part of the recipe's cache key)."""

TEMPLATE = np.array(
    [
        [50.25, 65.2],  # left eye (the photo's left: the person's right eye)
        [109.75, 65.2],  # right eye
        [80.0, 92.5],  # nose
        [53.35, 113.4],  # mouth, left corner
        [106.65, 113.4],  # mouth, right corner
    ]
)
"""Where the five landmarks go, in pixels of the 160×160 crop (x, y), in :data:`LANDMARKS` order."""


def template(scale: float = 1.0, size: int = INPUT_SIZE) -> np.ndarray:
    """:data:`TEMPLATE` for a ``size`` crop, shrunk (``scale`` < 1: more margin) or grown about the centre; ``(5, 2)``."""
    centre = INPUT_SIZE / 2
    return ((TEMPLATE - centre) * scale + centre) * (size / INPUT_SIZE)


def landmark_points(face: Face) -> np.ndarray:
    """The face's five landmarks as ``(5, 2)`` float pixels (x, y), in :data:`LANDMARKS` order.

    Raises :class:`~facedemo.errors.FacedemoError` if the detector gave fewer than five.
    """
    missing = [name for name in LANDMARKS if name not in face.landmarks]
    if missing:
        raise FacedemoError(f"the face has no {', '.join(missing)} landmark: it cannot be aligned")
    return np.array([face.landmarks[name] for name in LANDMARKS], dtype=np.float64)


def alignment_matrix(points: np.ndarray, *, scale: float = 1.0, size: int = INPUT_SIZE,
                     aspect: float = FRAME_ASPECT) -> np.ndarray:
    """The ``(3, 3)`` affine map from photo pixels to crop pixels for landmarks ``points`` ``(5, 2)``.

    It is the least-squares similarity onto the template in the unsqueezed frame, then the
    squeeze ``y → y / aspect`` (see the module's text; ``aspect=1``: a plain similarity).
    """
    from skimage.transform import (
        SimilarityTransform,  # light: scikit-image loads lazily
    )

    target = template(scale, size) * [1.0, aspect]
    fitted = SimilarityTransform.from_estimate(np.asarray(points, np.float64), target)
    if not fitted:
        raise FacedemoError("the face's landmarks are degenerate (all in one place): it cannot be aligned")
    squeeze = np.diag([1.0, 1.0 / aspect, 1.0])
    return squeeze @ fitted.params


def align_face(rgb: np.ndarray, face: Face, *, scale: float = 1.0, size: int = INPUT_SIZE,
               aspect: float = FRAME_ASPECT) -> np.ndarray:
    """The face of ``rgb`` aligned on the template: ``(size, size, 3)`` uint8 (bilinear).

    A large face is first shrunk by a whole factor (Pillow's box filter), so that the warp,
    which does not low-pass, never skips pixels. Landmarks and the template are pixel indices
    (a pixel's centre at whole numbers); Pillow works on a plane where pixel ``i`` spans
    ``[i, i + 1)``, so the map is shifted by half a pixel on both sides.
    """
    points = landmark_points(face)
    matrix = alignment_matrix(points, scale=scale, size=size, aspect=aspect)
    image = Image.fromarray(rgb)
    zoom = float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))
    factor = int(1.0 / zoom) if zoom > 0 else 1
    if factor >= 2:
        image = image.reduce(factor)  # reduced pixel j holds photo pixels j·factor … (j + 1)·factor − 1
        matrix = alignment_matrix((points + 0.5) / factor - 0.5, scale=scale, size=size, aspect=aspect)
    to_plane = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    on_plane = to_plane @ matrix @ np.linalg.inv(to_plane)
    inverse = np.linalg.inv(on_plane)  # Pillow asks, for each crop pixel, where it comes from
    warped = image.transform((size, size), Image.AFFINE, tuple(inverse[:2].ravel()), resample=Image.BILINEAR)
    return np.asarray(warped)


def to_crop(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``points`` ``(n, 2)`` of the photo mapped by ``matrix`` into crop pixels: ``(n, 2)``."""
    points = np.asarray(points, np.float64)
    return (np.c_[points, np.ones(len(points))] @ matrix.T)[:, :2]
