"""Open a TFLite model file with LiteRT (``ai-edge-litert``), TensorFlow's stand-alone interpreter.

LiteRT runs the same kernels as ``tf.lite.Interpreter`` (XNNPACK for float32) but imports in
~0.1 s and a few tens of MB, where ``import tensorflow`` takes ~4.5 s and ~560 MB: the models
(FaceNet, MTCNN's three stages) are converted with TensorFlow once, at set-up, and run here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facedemo.errors import ModelFileError

INTERPRETER_THREADS = 2  # the 2-core machines this runs on; TFLite's default is 1


def open_interpreter(path: Path, *, threads: int = INTERPRETER_THREADS) -> Any:
    """A LiteRT interpreter for ``path`` (XNNPACK, the default delegate), tensors not yet allocated.

    Raises :class:`~facedemo.errors.ModelFileError` when the file is missing or not a TFLite model.
    """
    from ai_edge_litert.interpreter import Interpreter

    try:
        return Interpreter(model_path=str(path), num_threads=threads)
    except (ValueError, RuntimeError) as error:
        raise ModelFileError(
            f"cannot load the TFLite model '{path}' ({error}); delete it and run "
            "'python -m facedemo setup' to make it again"
        ) from error
