"""A labelled photo folder (one sub-folder per person) encoded in one go, with a disk cache.

Encoding the 118 gallery photos takes most of a minute on 2 CPU cores (face detection
dominates), so :func:`encode_folder` keeps the result in ``.cache/`` keyed by the photos' content,
the recipe and the pipeline version: the app and the tests start from it in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facedemo import assets
from facedemo.database import labelled_photos
from facedemo.encoder import Failure, FaceEncoder
from facedemo.faces import CROP_MARGIN, STAGE_THRESHOLDS, Face, crop_face
from facedemo.images import WORK_MAX_SIDE, read_image
from facedemo.networks import DEFAULT_NETWORK, get_network
from facedemo.recipes import DEFAULT_RECIPE

PIPELINE_VERSION = json.dumps({"v": 2, "embedder": "tflite-float32", "margin": CROP_MARGIN, "stages": STAGE_THRESHOLDS}, sort_keys=True)


@dataclass
class LabelledEncodings:
    """Encodings of a labelled folder.

    ``vectors`` is ``(n, d)`` (d = 128 for ``facenet``, 512 for ``casia``); row ``i`` is the photo
    ``paths[i]`` of person ``labels[i]``, whose face was ``boxes[i]`` (``(x, y, w, h)``, or None
    for the course recipe), encoded by ``network``.
    """

    vectors: np.ndarray
    labels: list[str]
    paths: list[Path]
    boxes: list[tuple[int, int, int, int] | None]
    recipe: str
    failures: list[Failure] = field(default_factory=list)
    network: str = DEFAULT_NETWORK

    def __len__(self) -> int:
        return len(self.labels)

    def crop(self, index: int) -> np.ndarray:
        """The 160×160 uint8 region the model saw for row ``index`` (whole photo for course)."""
        rgb = read_image(self.paths[index], max_side=WORK_MAX_SIDE)  # the pixels the boxes refer to
        box = self.boxes[index]
        if box is None:
            from facedemo.faces import course_input

            return np.asarray((course_input(rgb) * 255).round(), dtype=np.uint8)
        return crop_face(rgb, Face(box=tuple(box), confidence=1.0))


def _cache_key(paths: list[Path], recipe: str, network: str) -> str:
    digest = hashlib.sha256(f"{PIPELINE_VERSION}|{recipe}|{network}".encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + assets.sha256_of(path).encode())
    return digest.hexdigest()[:20]


def _load_cache(file: Path, folder: Path) -> LabelledEncodings | None:
    try:
        with np.load(file, allow_pickle=False) as data:
            boxes = [None if b[0] < 0 else tuple(int(v) for v in b) for b in data["boxes"]]
            failures = [Failure(str(s), str(r)) for s, r in zip(data["failed_sources"], data["failed_reasons"])]
            return LabelledEncodings(
                vectors=data["vectors"].astype(np.float32),
                labels=[str(x) for x in data["labels"]],
                paths=[folder / str(p) for p in data["paths"]],
                boxes=boxes, recipe=str(data["recipe"]), failures=failures, network=str(data["network"]),
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
    key = _cache_key(paths, recipe, network)
    cache_file = assets.cache_dir() / f"encodings-{network}-{recipe}-{key}.npz"
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
    )
    if use_cache:
        try:
            _save_cache(cache_file, result, folder)
        except OSError:
            pass  # a read-only checkout still works, only slower
    return result
