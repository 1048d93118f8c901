"""An RGB photo → every face in it (box, confidence, five landmarks), largest first.

:class:`FaceDetector` runs the numpy MTCNN (:mod:`facedemo.detection.mtcnn_lite`) on LiteRT; what a
recipe then does with a face (cut it out, align it) is the recipe's (:mod:`facedemo.encoding.recipes`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facedemo.detection.mtcnn_lite import LANDMARKS, MTCNNLite
from facedemo.errors import NoFaceFoundError
from facedemo.io.images import downscale

DETECT_MAX_SIDE = 1024
MIN_CONFIDENCE = 0.8
# MTCNN's three stage thresholds, a little below the package defaults (0.6, 0.7, 0.8): with these
# all 118 gallery photos have a face (with the defaults two frontal faces are missed).
STAGE_THRESHOLDS = {"threshold_pnet": 0.5, "threshold_rnet": 0.6, "threshold_onet": 0.7}


@dataclass(frozen=True)
class Face:
    """One detected face; coordinates are pixels of the original photo.

    ``box`` is ``(x, y, width, height)``; ``landmarks`` maps ``left_eye``, ``right_eye``, ``nose``,
    ``mouth_left``, ``mouth_right`` to ``(x, y)``.
    """

    box: tuple[int, int, int, int]
    confidence: float
    landmarks: dict[str, tuple[int, int]] = field(default_factory=dict)


class FaceDetector:
    """MTCNN, loaded on first use, thread-safe (one detection at a time).

    Runs :mod:`facedemo.detection.mtcnn_lite`: the ``mtcnn`` 1.0.0 package's pipeline and shipped weights
    on LiteRT, without importing TensorFlow. On the 118 gallery photos it finds the very faces the
    package finds (same boxes and landmarks to the pixel; ``tests/test_detector.py``).
    """

    def __init__(self, *, min_confidence: float = MIN_CONFIDENCE, max_side: int = DETECT_MAX_SIDE):
        self.min_confidence = min_confidence
        self.max_side = max_side
        self._mtcnn: MTCNNLite | None = None
        self._lock = threading.Lock()

    def _detector(self) -> MTCNNLite:
        if self._mtcnn is None:
            self._mtcnn = load_detector()
        return self._mtcnn

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Every face in ``rgb`` (``(h, w, 3)`` uint8), largest first.

        The largest face is the one single-face operations use: the subject of a portrait or a
        webcam shot is the nearest face, while the most *confident* one can be a face printed
        on a T-shirt (one gallery photo shows exactly that).

        Large photos are shrunk to :data:`DETECT_MAX_SIDE` for detection; boxes are given in the
        original photo's pixels.
        """
        small, scale = downscale(rgb, self.max_side)
        with self._lock:
            found = self._detector().detect(small, **STAGE_THRESHOLDS)
        faces = [
            _to_face(box, float(score), points, scale)
            for box, score, points in zip(found.boxes, found.scores, found.landmarks)
            if score >= self.min_confidence
        ]
        return sorted(faces, key=lambda face: face.box[2] * face.box[3], reverse=True)


def load_detector(folder: Path | None = None) -> MTCNNLite:
    """MTCNN's three stages from ``folder`` (default: the models folder).

    Their TFLite files are made there first when missing (a few seconds; that once, TensorFlow
    is imported), by the rule every converted file follows (:func:`facedemo.assets.derived_file`).
    """
    from facedemo.assets.locations import models_dir
    from facedemo.assets.mtcnn_stages import convert_stages

    folder = Path(folder) if folder else models_dir()
    convert_stages(folder)
    return MTCNNLite(folder)


def _to_face(box: np.ndarray, confidence: float, points: np.ndarray, scale: float) -> Face:
    """Whole pixels of the detection image first (as the ``mtcnn`` package reports them), then the photo's."""
    x1, y1, x2, y2 = box
    x, y, w, h = (int(round(v / scale)) for v in np.round([x1, y1, x2 - x1, y2 - y1]).astype(int))
    pixels = np.round(points).astype(int)
    landmarks = {
        name: (int(round(px / scale)), int(round(py / scale))) for name, (px, py) in zip(LANDMARKS, pixels)
    }
    return Face(box=(max(x, 0), max(y, 0), w, h), confidence=confidence, landmarks=landmarks)


def largest_first_note(faces: list[Face]) -> str | None:
    """A sentence for photos with several faces, or None (``faces`` largest first)."""
    if len(faces) > 1:
        return f"{len(faces)} faces found in the photo; using the largest one"
    return None


def require_face(faces: list[Face], name: str = "the photo") -> Face:
    """The face to use (the largest), or :class:`NoFaceFoundError`."""
    if not faces:
        raise NoFaceFoundError(f"no face found in {name}; please use a photo where a face is clearly visible")
    return faces[0]
