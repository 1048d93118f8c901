"""Set-up only: MTCNN's three networks (``mtcnn`` 1.0.0 package, its shipped weights) → TFLite files.

Needs TensorFlow and the ``mtcnn`` package, which stays a dependency for that (it ships the
weights) and as the reference :mod:`facedemo.detection.mtcnn_lite` is tested against. Run by
``python -m facedemo setup``, or on first use when a file is missing. Each file is float32 with
the weights frozen in:

- ``mtcnn_pnet.tflite``: P-Net, fully convolutional, input ``(1, H, W, 3)`` with free ``H``, ``W``;
- ``mtcnn_rnet.tflite``: R-Net, input ``(n, 24, 24, 3)``;
- ``mtcnn_onet.tflite``: O-Net, input ``(n, 48, 48, 3)``.

Inputs are pixels normalised to ``(p - 127.5) / 128``; outputs are told apart by their last
size: 4 box offsets, 2 class probabilities (face second), 10 landmark coordinates (O-Net).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

from facedemo.assets.downloads import Progress, derived_file, say
from facedemo.errors import ModelFileError

STAGES = ("pnet", "rnet", "onet")
INPUT_SHAPES = {"pnet": [1, None, None, 3], "rnet": [None, 24, 24, 3], "onet": [None, 48, 48, 3]}


def stage_path(stage: str, folder: Path) -> Path:
    """Where the TFLite file of ``stage`` (``pnet``, ``rnet`` or ``onet``) lives in ``folder``."""
    return Path(folder) / f"mtcnn_{stage}.tflite"


def stages_ready(folder: Path) -> bool:
    """Whether the three stage files are in ``folder``."""
    return all(stage_path(stage, folder).is_file() for stage in STAGES)


def _stage_model(stage: str):
    """The ``mtcnn`` package's Keras model of ``stage``, with its shipped weights."""
    from mtcnn.stages import StageONet, StagePNet, StageRNet

    return {"pnet": StagePNet, "rnet": StageRNet, "onet": StageONet}[stage]().model


def convert_stage(stage: str, target: Path) -> Path:
    """Write the float32 TFLite file of one stage (under a temporary name first, then renamed)."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    model = _stage_model(stage)
    forward = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec(INPUT_SHAPES[stage], tf.float32)])
    # frozen: the converter would otherwise keep the Keras weights as (uninitialised) variables
    frozen = convert_variables_to_constants_v2(forward.get_concrete_function())
    absl = logging.getLogger("absl")  # a deprecation note per stage about an argument we do not need
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            data = tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()
    finally:
        absl.setLevel(level)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.stem + ".partial.tflite")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def convert_stages(folder: Path, *, progress: Progress = say) -> list[Path]:
    """The three stage files in ``folder``, each made first where missing (a few seconds, once).

    Raises :class:`~facedemo.errors.ModelFileError` when TensorFlow or ``mtcnn`` cannot do it.
    """
    if not stages_ready(folder):
        progress("making the face detector's TFLite files (once, a few seconds) ...")
    for stage in STAGES:
        target = stage_path(stage, folder)
        try:
            derived_file(target, [], lambda: convert_stage(stage, target), progress=progress)
        except (ImportError, OSError, ValueError, RuntimeError) as error:
            raise ModelFileError(
                f"cannot make the face detector's file '{target}' ({error}); "
                "check that 'pip install -r requirements.txt' ran, then run 'python -m facedemo setup'"
            ) from error
    return [stage_path(stage, folder) for stage in STAGES]
