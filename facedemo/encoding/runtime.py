"""What runs a network: :class:`Embedder` (face crops → unit encodings), the LiteRT runner, ``l2_normalise``.

Every network of the registry (:mod:`facedemo.encoding.networks`) takes ``(n, 160, 160, 3)``
float32 faces (:data:`INPUT_SIZE`) and gives one row per face. An :class:`Embedder` wraps the
network's forward pass: it checks the input's shape, cuts it into batches of :data:`BATCH_SIZE`
and L2-normalises the rows. The forward pass of the real networks is :class:`TFLiteRunner`
(LiteRT's interpreter, XNNPACK, no TensorFlow import); a stand-in may be any function of arrays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from facedemo.errors import ModelFileError
from facedemo.litert import INTERPRETER_THREADS, open_interpreter

INPUT_SIZE = 160
BATCH_SIZE = 32

Forward = Callable[[np.ndarray], np.ndarray]


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Scale each row (the last axis) to unit L2 norm; a zero row stays zero. Same shape, float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder:
    """A network as a function: ``(n, 160, 160, 3)`` float32 crops in, ``(n, d)`` unit encodings out.

    ``forward`` runs one batch of at most :data:`BATCH_SIZE` crops and returns the raw outputs.
    ``model`` is the Keras model behind the network, where there is one (the course's FaceNet:
    looked inside by the *Inside the model* page, never run for encodings). One instance is safe to
    share between threads: the app shares one across sessions.
    """

    def __init__(self, forward: Forward, *, embedding_size: int, model: Any = None) -> None:
        self._forward = forward
        self.embedding_size = embedding_size
        self.model = model

    @property
    def weight_count(self) -> int:
        """The Keras model's number of weights (loads that model if it has not been yet)."""
        return int(self.model.count_params())

    def raw(self, crops: np.ndarray) -> np.ndarray:
        """Run the network on ``(n, 160, 160, 3)`` crops; returns ``(n, d)`` outputs, not normalised."""
        crops = np.asarray(crops, dtype=np.float32)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.ndim != 4 or crops.shape[1:] != (INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(f"crops must have shape (n, {INPUT_SIZE}, {INPUT_SIZE}, 3), got {crops.shape}")
        if len(crops) == 0:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        parts = [self._forward(crops[start : start + BATCH_SIZE]) for start in range(0, len(crops), BATCH_SIZE)]
        return np.concatenate(parts).astype(np.float32)

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Encode crops: ``(n, 160, 160, 3)`` float32 → ``(n, d)`` unit vectors."""
        return l2_normalise(self.raw(crops))


class TFLiteRunner:
    """LiteRT's interpreter (XNNPACK, no TensorFlow import) with two fixed batch sizes: 1 and ``BATCH_SIZE``.

    Resizing one interpreter's input costs ~0.05 s each time, so a full batch goes to an
    interpreter made for ``BATCH_SIZE`` (created on first use) and any other count runs face by
    face on the batch-1 interpreter (per face it is within ~10 % of the batched speed).
    Each interpreter runs one call at a time (a lock each). A model whose batch size is fixed
    at one (``batched=False``) runs every batch face by face.
    """

    def __init__(self, path: Path, *, batched: bool = True) -> None:
        self.path = Path(path)
        self.batched = batched
        self._interpreters: dict[int, tuple[Any, threading.Lock]] = {}
        self._guard = threading.Lock()
        self._interpreter(1)

    def _interpreter(self, batch: int):
        with self._guard:
            if batch not in self._interpreters:
                interpreter = open_interpreter(self.path, threads=INTERPRETER_THREADS)
                index = interpreter.get_input_details()[0]["index"]
                interpreter.resize_tensor_input(index, [batch, INPUT_SIZE, INPUT_SIZE, 3])
                interpreter.allocate_tensors()
                self._interpreters[batch] = (interpreter, threading.Lock())
            return self._interpreters[batch]

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        interpreter, lock = self._interpreter(len(batch))
        with lock:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], batch)
            interpreter.invoke()
            return np.array(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if len(batch) == 1 or (self.batched and len(batch) == BATCH_SIZE):
            return self._invoke(batch)
        return np.concatenate([self._invoke(batch[i : i + 1]) for i in range(len(batch))])


def tflite_embedder(path: str | Path, *, embedding_size: int, batched: bool = True, model: Any = None) -> Embedder:
    """An :class:`Embedder` running the TFLite file ``path``; ``model`` is the Keras model behind it, if any.

    ``batched=False`` for a network whose graph fixes the batch at one face. Raises
    :class:`~facedemo.errors.ModelFileError` when the file cannot be loaded.
    """
    try:
        runner = TFLiteRunner(Path(path), batched=batched)
    except (ValueError, RuntimeError) as error:
        raise ModelFileError(
            f"cannot load the TFLite model '{path}' ({error}); delete it and run 'python -m facedemo setup'"
        ) from error
    return Embedder(runner, embedding_size=embedding_size, model=model)
