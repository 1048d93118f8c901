"""A labelled photo folder (one sub-folder per person) encoded in one go, with a disk cache.

Encoding the 118 gallery photos takes most of a minute on 2 CPU cores (face detection
dominates), so :func:`encode_folder` keeps the result in ``.cache/``. The key is everything that
decides an encoding: the photos' names and bytes, the recipe (and its crop settings), the
detector's settings and the sha256 of its three stage files (for a recipe that finds faces), the
network's name, the sha256 of each of its files and its pixel scaling for that recipe. A changed model file or a changed scaling is a new key, never a stale hit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facedemo.assets.downloads import file_fingerprint, sha256_of
from facedemo.assets.locations import cache_dir, models_dir
from facedemo.assets.mtcnn_stages import STAGES, stage_path
from facedemo.detection.faces import MIN_CONFIDENCE, STAGE_THRESHOLDS, Face
from facedemo.detection.mtcnn_lite import LANDMARKS
from facedemo.encoding.encoder import FaceEncoder, Failure
from facedemo.encoding.networks import DEFAULT_NETWORK, get_network
from facedemo.encoding.recipes import DEFAULT_RECIPE, get_recipe
from facedemo.io.folders import labelled_photos
from facedemo.io.images import WORK_MAX_SIDE, read_image

CACHE_FORMAT = 5  # 4: the faces' landmarks are kept too (the aligned recipe crops by them); 5: with a flag each


@dataclass
class LabelledEncodings:
    """Encodings of a labelled folder.

    ``vectors`` is ``(n, d)`` (d: the network's encoding size); row ``i`` is the photo
    ``paths[i]`` of person ``labels[i]``, whose face was ``boxes[i]`` (``(x, y, w, h)``, or None
    for the course recipe) with the five landmarks ``landmarks[i]`` (``(5, 2)`` pixels in
    :data:`~facedemo.detection.mtcnn_lite.LANDMARKS` order, or None), encoded by ``network``.
    """

    vectors: np.ndarray
    labels: list[str]
    paths: list[Path]
    boxes: list[tuple[int, int, int, int] | None]
    recipe: str
    failures: list[Failure] = field(default_factory=list)
    network: str = DEFAULT_NETWORK
    landmarks: list[np.ndarray | None] = field(default_factory=list)

    def face(self, index: int) -> Face | None:
        """Row ``index``'s face as the detector found it (box and landmarks), or None (course recipe)."""
        box = self.boxes[index]
        if box is None:
            return None
        points = self.landmarks[index] if index < len(self.landmarks) else None
        marks = {} if points is None else {name: (int(x), int(y)) for name, (x, y) in zip(LANDMARKS, points)}
        return Face(box=tuple(box), confidence=1.0, landmarks=marks)

    def __len__(self) -> int:
        return len(self.labels)

    def crop(self, index: int) -> np.ndarray:
        """The 160×160 uint8 region the model saw for row ``index`` (whole photo for course)."""
        rgb = read_image(self.paths[index], max_side=WORK_MAX_SIDE)  # the pixels the boxes refer to
        return get_recipe(self.recipe).crop(rgb, self.face(index))


def _points(face: Face | None) -> np.ndarray | None:
    """A face's five landmarks as ``(5, 2)`` int pixels, or None (no face, or fewer than five)."""
    if face is None or any(name not in face.landmarks for name in LANDMARKS):
        return None
    return np.array([face.landmarks[name] for name in LANDMARKS], dtype=np.int64)


def _fingerprint(path: Path) -> str:
    """sha256 of a model file, or ``"missing"`` (its key then never matches a set-up machine's)."""
    return file_fingerprint(path) if Path(path).is_file() else "missing"


def pipeline_key(recipe: str, network: str) -> str:
    """Everything but the photos that decides an encoding, as one JSON string (see the module's text)."""
    entry, steps = get_network(network), get_recipe(recipe)
    detector = {"stages": STAGE_THRESHOLDS, "min_confidence": MIN_CONFIDENCE,
                "files": [_fingerprint(stage_path(stage, models_dir())) for stage in STAGES]} if steps.uses_faces else None
    return json.dumps({
        "format": CACHE_FORMAT,
        "recipe": steps.version,
        "detector": detector,
        "network": entry.name,
        "files": sorted(_fingerprint(path) for path in entry.files()),
        "scaling": entry.scaling_for(recipe).name,
    }, sort_keys=True)


def cache_key(paths: list[Path], recipe: str, network: str) -> str:
    """The disk cache's key for encoding ``paths`` with ``recipe`` by ``network``."""
    digest = hashlib.sha256(pipeline_key(recipe, network).encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + sha256_of(path).encode())
    return digest.hexdigest()[:20]


def _load_cache(file: Path, folder: Path) -> LabelledEncodings | None:
    try:
        with np.load(file, allow_pickle=False) as data:
            boxes = [None if b[0] < 0 else tuple(int(v) for v in b) for b in data["boxes"]]
            landmarks = [p.astype(np.int64) if kept else None for p, kept in zip(data["landmarks"], data["has_landmarks"])]
            failures = [Failure(str(s), str(r)) for s, r in zip(data["failed_sources"], data["failed_reasons"])]
            return LabelledEncodings(
                vectors=data["vectors"].astype(np.float32),
                labels=[str(x) for x in data["labels"]],
                paths=[folder / str(p) for p in data["paths"]],
                boxes=boxes, recipe=str(data["recipe"]), failures=failures, network=str(data["network"]),
                landmarks=landmarks,
            )
    except (OSError, ValueError, KeyError):
        return None


def _save_cache(file: Path, result: LabelledEncodings, folder: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.stem + ".partial.npz")
    np.savez(
        partial,
        vectors=result.vectors,
        labels=np.array(result.labels, dtype=str),
        paths=np.array([p.relative_to(folder).as_posix() for p in result.paths], dtype=str),
        boxes=np.array([b if b is not None else (-1, -1, -1, -1) for b in result.boxes], dtype=np.int64).reshape(-1, 4),
        landmarks=np.array([p if p is not None else np.zeros((5, 2)) for p in result.landmarks],
                           dtype=np.int64).reshape(-1, 5, 2),
        has_landmarks=np.array([p is not None for p in result.landmarks], dtype=bool),  # a landmark may sit at -1
        recipe=np.array(result.recipe),
        network=np.array(result.network),
        failed_sources=np.array([f.source for f in result.failures], dtype=str),
        failed_reasons=np.array([f.reason for f in result.failures], dtype=str),
    )
    partial.replace(file)


def encode_folder(
    folder: str | Path,
    encoder: FaceEncoder,
    recipe: str = DEFAULT_RECIPE,
    *,
    use_cache: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> LabelledEncodings:
    """Encode every photo below ``folder`` (one sub-folder per person).

    Photos without a usable face are listed in ``failures`` and left out of the rows.
    With ``use_cache`` the result is kept in ``.cache/`` and reused while the photos are unchanged
    (one file per recipe and network).
    """
    folder = Path(folder)
    paths, labels = labelled_photos(folder)
    network = encoder.network
    if not all(path.is_file() for path in get_network(network).files()):
        encoder.embedder  # loading makes the network's files where a conversion is missing
    key = cache_key(paths, recipe, network)
    cache_file = cache_dir() / f"encodings-{network}-{recipe}-{key}.npz"
    if use_cache and cache_file.is_file():
        cached = _load_cache(cache_file, folder)
        if cached is not None:
            return cached
    label_of = {str(path): label for path, label in zip(paths, labels)}
    encodings, failures = encoder.encode_many(paths, recipe, on_progress=on_progress)
    size = get_network(network).embedding_size
    result = LabelledEncodings(
        vectors=np.stack([e.vector for e in encodings]) if encodings else np.zeros((0, size), np.float32),
        labels=[label_of[e.source] for e in encodings],
        paths=[Path(e.source) for e in encodings],
        boxes=[e.prepared.face.box if e.prepared.face else None for e in encodings],
        recipe=recipe,
        failures=failures,
        network=network,
        landmarks=[_points(e.prepared.face) for e in encodings],
    )
    if use_cache:
        try:
            _save_cache(cache_file, result, folder)
        except OSError:
            pass  # a read-only checkout still works, only slower
    return result
