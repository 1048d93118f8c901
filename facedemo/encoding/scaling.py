"""How a face's pixels are scaled before a network sees them: each way named, so caches can key on it.

A network was trained with one scaling; feeding it another moves every encoding (a wrong scale is
the classic silent preprocessing bug, which ``tests/reference_encodings.json`` catches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scaling:
    """A named map from a ``(160, 160, 3)`` uint8 crop to the float32 array a network takes."""

    name: str
    formula: str
    apply: Callable[[np.ndarray], np.ndarray]

    def __call__(self, crop: np.ndarray) -> np.ndarray:
        return self.apply(crop)


def standardise(crop: np.ndarray) -> np.ndarray:
    """Per-image standardisation: ``(x - mean) / max(std, 1/sqrt(N))`` as float32."""
    pixels = crop.astype(np.float32)
    std = max(float(pixels.std()), 1.0 / np.sqrt(pixels.size))
    return (pixels - pixels.mean()) / std


def _fixed(crop: np.ndarray) -> np.ndarray:
    return (np.asarray(crop, dtype=np.float32) - 127.5) / 128.0


def _unit(crop: np.ndarray) -> np.ndarray:
    return np.around(np.asarray(crop) / 255.0, decimals=12).astype(np.float32)


PER_IMAGE = Scaling("per_image", "(x - mean) / std, per photo", standardise)
FIXED = Scaling("fixed", "(x - 127.5) / 128", _fixed)
NOTEBOOK = Scaling("divide_by_255", "x / 255, rounded to 12 decimals (the course notebook's)", _unit)
