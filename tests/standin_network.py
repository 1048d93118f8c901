"""A small stand-in network, added the way any third network is: this module plus one registry entry.

It pools a 160×160 face crop to 8×8×3 = 192 numbers and projects them with a fixed, seeded random
matrix to 32: crude, but a real function of the face's pixels, so two photos of one face give one
encoding and unlike faces differ. Its "weights" are one ``.npy`` file made by :func:`set_up` through
the project's one rule for made files (:func:`facedemo.assets.derived_file`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facedemo.assets import derived_file, say
from facedemo.encoding.networks import Network
from facedemo.encoding.runtime import INPUT_SIZE, Embedder
from facedemo.encoding.scaling import FIXED, Scaling

EMBEDDING_SIZE = 32
POOL = 8
SEED = 7


class StandIn:
    """The stand-in's files in ``folder``: ``set_up``, ``load`` and ``files`` as a registry entry wants them."""

    def __init__(self, folder: Path) -> None:
        self.weights = Path(folder) / "standin_projection.npy"

    def set_up(self, progress=say) -> Path:
        def make() -> None:
            matrix = np.random.default_rng(SEED).standard_normal((POOL * POOL * 3, EMBEDDING_SIZE))
            np.save(self.weights, matrix.astype(np.float32))

        return derived_file(self.weights, [], make, progress=progress, note="making the stand-in's weights ...")

    def load(self) -> Embedder:
        matrix = np.load(self.set_up())
        step = INPUT_SIZE // POOL

        def forward(batch: np.ndarray) -> np.ndarray:
            pooled = batch.reshape(len(batch), POOL, step, POOL, step, 3).mean(axis=(2, 4))
            return pooled.reshape(len(batch), -1) @ matrix

        return Embedder(forward, embedding_size=EMBEDDING_SIZE)

    def files(self) -> list[Path]:
        return [self.weights]

    def entry(self, *, name: str = "standin", scaling: Scaling = FIXED) -> Network:
        """The registry entry (what ``facedemo/encoding/networks.py`` would hold for a built-in network)."""
        return Network(
            name=name,
            title="Stand-in (pooled pixels, 32-d)",
            embedding_size=EMBEDDING_SIZE,
            trained_on="nothing: a seeded random projection",
            source="tests/standin_network.py",
            scaling=scaling,
            thresholds={"aligned": {"pair": 0.5, "mean": 0.45, "nearest": 0.4},
                        "course": {"pair": 0.5, "mean": 0.45, "nearest": 0.4}},
            how_found={"aligned": "chosen for the test", "course": "chosen for the test"},
            colour="#2ca02c",
            set_up=self.set_up,
            load=self.load,
            files=self.files,
        )
