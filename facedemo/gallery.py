"""A labelled photo folder (one sub-folder per person) encoded in one go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facedemo.database import labelled_photos
from facedemo.encoder import Encoding, Failure, FaceEncoder
from facedemo.recipes import DEFAULT_RECIPE


@dataclass
class LabelledEncodings:
    """Encodings of a labelled folder: ``vectors`` (n, 128), and per row its label and path."""

    vectors: np.ndarray
    labels: list[str]
    paths: list[Path]
    encodings: list[Encoding] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def encode_folder(folder: str | Path, encoder: FaceEncoder, recipe: str = DEFAULT_RECIPE, *,
                  on_progress: Callable[[int, int], None] | None = None) -> LabelledEncodings:
    """Encode every photo below ``folder``; photos without a usable face are listed in ``failures``."""
    paths, labels = labelled_photos(folder)
    label_of = {str(path): label for path, label in zip(paths, labels)}
    encodings, failures = encoder.encode_many(paths, recipe, on_progress=on_progress)
    return LabelledEncodings(
        vectors=np.stack([e.vector for e in encodings]) if encodings else np.zeros((0, 128), np.float32),
        labels=[label_of[e.source] for e in encodings],
        paths=[Path(e.source) for e in encodings],
        encodings=encodings,
        failures=failures,
    )
