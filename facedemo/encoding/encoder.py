"""One photo's trip: bytes or path → RGB → face crop (by recipe) → unit encoding (by network).

:class:`FaceEncoder` bundles the face detector and the FaceNet embedder; it is what the CLI, the
app and the notebook-style functions pass around as "the model".
"""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facedemo.detection.faces import FaceDetector
from facedemo.encoding.networks import DEFAULT_NETWORK, get_network
from facedemo.encoding.recipes import DEFAULT_RECIPE, Prepared, get_recipe
from facedemo.encoding.runtime import Embedder
from facedemo.errors import FacedemoError
from facedemo.io.images import WORK_MAX_SIDE, ImageSource, read_image

Progress = Callable[[int, int], None]


@dataclass
class Encoding:
    """A photo's encoding with what produced it: ``vector`` is ``(d,)`` float32, unit norm.

    ``d`` is the network's encoding size (its registry entry's ``embedding_size``).
    """

    vector: np.ndarray
    recipe: str
    sha256: str
    source: str
    prepared: Prepared
    network: str = DEFAULT_NETWORK


@dataclass
class Failure:
    """A photo that could not be encoded, and the sentence saying why."""

    source: str
    reason: str


def content_hash(data: bytes) -> str:
    """sha256 of a file's bytes: the key for caching encodings."""
    return hashlib.sha256(data).hexdigest()


def _bytes_and_label(source: ImageSource) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "the uploaded file"
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except OSError:
        read_image(path)  # raises the project's error with a plain sentence
        raise


class FaceEncoder:
    """Detector + one embedding network; thread-safe, so one instance serves every app session.

    ``network`` names the network (see :mod:`facedemo.encoding.networks`): it decides how a face's pixels
    are scaled and what the encodings mean; encoders of two networks may share one detector.
    """

    def __init__(
        self,
        embedder: Embedder | Callable[[], Embedder],
        detector: FaceDetector | None = None,
        *,
        network: str = DEFAULT_NETWORK,
    ) -> None:
        self._embedder = embedder
        self.detector = detector or FaceDetector()
        self.network = get_network(network).name
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, *, lazy: bool = False, network: str = DEFAULT_NETWORK, detector: FaceDetector | None = None
    ) -> "FaceEncoder":
        """Load the network (and, on first use, MTCNN). Heavy: call once per process and network.

        With ``lazy`` the network loads on the first photo that reaches it, so a command whose
        photos are all unreadable answers at once.
        """
        loader = get_network(network).load
        if lazy:
            return cls(loader, detector, network=network)
        encoder = cls(loader(), detector, network=network)
        _freeze_long_lived()
        return encoder

    @property
    def embedder(self) -> Embedder:
        """The FaceNet embedder (loaded now if it was deferred)."""
        with self._lock:
            if not isinstance(self._embedder, Embedder):  # a loader, deferred until now
                self._embedder = self._embedder()
            return self._embedder

    def prepare(self, rgb: np.ndarray, recipe: str = DEFAULT_RECIPE, *, name: str = "the photo") -> Prepared:
        """Turn an RGB photo into the model's input by ``recipe`` (see :mod:`facedemo.encoding.recipes`).

        Raises :class:`~facedemo.errors.NoFaceFoundError` for a recipe that needs a face (aligned, box) when none is found.
        """
        scaling = get_network(self.network).scaling_for(recipe)
        return get_recipe(recipe).prepare(rgb, detector=self.detector, scaling=scaling, name=name)

    def embed_prepared(self, prepared: Sequence[Prepared]) -> np.ndarray:
        """Encode prepared photos in batches: ``(n, d)`` unit vectors."""
        if not prepared:
            return np.zeros((0, get_network(self.network).embedding_size), dtype=np.float32)
        return self.embedder.embed(np.stack([p.model_input for p in prepared]))

    def encode(self, source: ImageSource, recipe: str = DEFAULT_RECIPE) -> Encoding:
        """Encode one photo (path or bytes); raises the project's errors for bad input."""
        data, label = _bytes_and_label(source)
        name = _display_name(label)
        prepared = self.prepare(read_image(data, name=name, max_side=WORK_MAX_SIDE), recipe, name=name)
        vector = self.embed_prepared([prepared])[0]
        return Encoding(vector, recipe, content_hash(data), label, prepared, self.network)

    def encode_many(
        self,
        sources: Sequence[ImageSource],
        recipe: str = DEFAULT_RECIPE,
        *,
        on_progress: Progress | None = None,
    ) -> tuple[list[Encoding], list[Failure]]:
        """Encode many photos, batching the network; bad photos are reported, not raised.

        Returns the encodings (in input order, failures left out) and the failures.
        """
        ready: list[tuple[bytes, str, Prepared]] = []
        failures: list[Failure] = []
        for index, source in enumerate(sources):
            label = "the uploaded file" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)
            try:
                data, label = _bytes_and_label(source)
                name = _display_name(label)
                ready.append((data, label, self.prepare(read_image(data, name=name, max_side=WORK_MAX_SIDE), recipe, name=name)))
            except FacedemoError as error:
                failures.append(Failure(label, str(error)))
            if on_progress:
                on_progress(index + 1, len(sources))
        vectors = self.embed_prepared([p for _, _, p in ready])
        encodings = [
            Encoding(vector, recipe, content_hash(data), label, prepared, self.network)
            for vector, (data, label, prepared) in zip(vectors, ready)
        ]
        return encodings, failures


def _freeze_long_lived() -> None:
    """Move every object alive now (TensorFlow, Keras, the model) out of the garbage collector's sight.

    Streamlit calls ``keras.backend.clear_session()`` after every rerun of any page once Keras is
    imported (encoding never imports it; the triplet and inside pages do), and
    that runs a full ``gc.collect()``: ~0.2 s over the ~370,000 objects of TensorFlow, Keras, Altair
    and pandas, on every slider move. Here it keeps the loaded models and the imports out of it. Frozen objects are
    skipped: the collection then takes ~2 ms. They live for the whole process anyway. (No
    ``gc.collect()`` first: it would add ~0.15 s to every start, and the few cycles of garbage
    left from importing TensorFlow are a one-time, bounded cost.)
    """
    gc.freeze()


def _display_name(label: str) -> str:
    return label if label.startswith("the ") else f"'{Path(label).name}'"


__all__ = ["Encoding", "Failure", "FaceEncoder", "Prepared", "content_hash"]
