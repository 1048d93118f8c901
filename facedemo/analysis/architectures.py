"""Inside the model: the course's 2019 FaceNet beside the Inception-ResNet-v1 this project runs.

Two networks turn a face into 128 numbers:

- **The notebook's model** (deeplearning.ai, "Face Recognition", 2019): ``faceRecoModel(input_shape=(3,
  96, 96))``, an Inception (GoogLeNet-style) network of 3,743,280 parameters that reads
  *channels-first* batches ``(m, 3, 96, 96)``. The course filled it with weights converted from
  OpenFace and shipped as CSV files inside its own workspace; no package registry publishes them. So
  :func:`notebook_model` builds the architecture with random weights, to count and inspect it, and it
  is never run: random weights give meaningless encodings (and Keras 3 on a CPU may refuse
  channels-first convolutions anyway).
- **The model used here**: the pretrained Keras FaceNet, Inception-ResNet-v1 with 22,808,144 weights,
  reading *channels-last* batches ``(m, 160, 160, 3)`` (see :mod:`facedemo.encoding.facenet_keras`).

:func:`notebook_blocks` and :func:`facenet_blocks` summarise each network block by block (output
shape and parameters); :func:`activation_maps` shows what a few layers of the real model compute for
one face. Nothing is imported from Keras until a function needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from facedemo.encoding.facenet_keras import EMBEDDING_SIZE, WEIGHT_COUNT
from facedemo.encoding.runtime import INPUT_SIZE
from facedemo.errors import FacedemoError
from facedemo.io.images import WORK_MAX_SIDE, ImageSource, read_image

NOTEBOOK_INPUT_SHAPE = (3, 96, 96)  # (n_C, n_H, n_W): channels first
NOTEBOOK_PARAMETERS = 3_743_280
FACENET_PARAMETERS = WEIGHT_COUNT  # 22,808,144
FACENET_INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 3)  # (n_H, n_W, n_C): channels last

# Layers of the real model worth looking at on one face, with what each shows: from 77×77 maps of
# edges near the input down to 3×3 maps just before the 128 numbers.
ACTIVATION_LAYERS = {
    "Conv2d_2b_3x3_Activation": "third convolution of the stem: 64 maps of 77×77 that respond to edges, light and "
                                "dark, still face-shaped",
    "Conv2d_4b_3x3_Activation": "end of the stem: 256 maps of 17×17, each a coarser pattern over regions of the face",
    "Block35_5_Activation": "after the five Block35 (Inception-ResNet-A) blocks, still 17×17",
    "Block17_10_Activation": "after Mixed_6a and the ten Block17 (Inception-ResNet-B) blocks: 896 maps of 8×8",
    "Block8_6_ScaleSum": "after Mixed_7a and the six Block8 (Inception-ResNet-C) blocks: 1,792 maps of 3×3, "
                         "averaged next into 1,792 numbers, then squeezed to 128",
}


@dataclass(frozen=True)
class BlockRow:
    """One block of a network: its name, output shape (batch as ``None``), parameters and layer count."""

    name: str
    output_shape: tuple[int | None, ...]
    parameters: int
    layers: int


# --- the notebook's model (built, counted, never run) ------------------------------------------
# The course's inception blocks keep the layer names of the OpenFace weights ("inception_3a_...");
# the notebook's function names ("inception_block_1a") number them differently.
_NOTEBOOK_BLOCK_NAMES = {
    "3a": "inception_block_1a", "3b": "inception_block_1b", "3c": "inception_block_1c",
    "4a": "inception_block_2a", "4e": "inception_block_2b",
    "5a": "inception_block_3a", "5b": "inception_block_3b",
}
_NOTEBOOK_HEAD = ("average_pooling", "flatten", "dense_layer", "l2_normalisation")
_CHANNELS_FIRST = "channels_first"


class _NotebookBuilder:
    """Lays out the notebook's layers in channels-first order; every layer named after its block."""

    def __init__(self) -> None:
        import keras

        self.layers = keras.layers

    def conv_bn_relu(self, x, filters: int, kernel: int, *, conv: str, bn: str, strides: int = 1,
                     epsilon: float = 1e-5):
        """Conv2D → BatchNorm over the channel axis (axis 1) → ReLU."""
        x = self.layers.Conv2D(filters, kernel, strides=strides, data_format=_CHANNELS_FIRST, name=conv)(x)
        x = self.layers.BatchNormalization(axis=1, epsilon=epsilon, name=bn)(x)
        return self.layers.Activation("relu", name=f"{conv}_relu")(x)

    def pad(self, x, padding, name: str):
        return self.layers.ZeroPadding2D(padding, data_format=_CHANNELS_FIRST, name=name)(x)

    def max_pool(self, x, size: int, strides: int, name: str):
        return self.layers.MaxPooling2D(size, strides=strides, data_format=_CHANNELS_FIRST, name=name)(x)

    def avg_pool(self, x, size: int, strides: int, name: str):
        return self.layers.AveragePooling2D(size, strides=strides, data_format=_CHANNELS_FIRST, name=name)(x)

    def reduce_then_conv(self, x, block: str, branch: str, reduce_to: int, filters: int, kernel: int,
                         *, strides: int = 1):
        """A 1×1 reduction, zero padding of ``kernel // 2``, then a ``kernel``×``kernel`` convolution."""
        prefix = f"inception_{block}_{branch}"
        x = self.conv_bn_relu(x, reduce_to, 1, conv=f"{prefix}_conv1", bn=f"{prefix}_bn1")
        x = self.pad(x, kernel // 2, f"{prefix}_pad")
        return self.conv_bn_relu(x, filters, kernel, conv=f"{prefix}_conv2", bn=f"{prefix}_bn2", strides=strides)

    def one_by_one(self, x, block: str, filters: int):
        prefix = f"inception_{block}_1x1"
        return self.conv_bn_relu(x, filters, 1, conv=f"{prefix}_conv", bn=f"{prefix}_bn")

    def pool_branch(self, x, block: str, pool: str, size: int, strides: int, filters: int | None, padding):
        """Pooling, then (if ``filters``) a 1×1 convolution, then zero padding back to the block's size."""
        prefix = f"inception_{block}_pool"
        pooling = self.max_pool if pool == "max" else self.avg_pool
        x = pooling(x, size, strides, prefix)
        if filters:
            x = self.conv_bn_relu(x, filters, 1, conv=f"{prefix}_conv", bn=f"{prefix}_bn")
        return self.pad(x, padding, f"{prefix}_pad")

    def concat(self, branches: list, block: str):
        return self.layers.Concatenate(axis=1, name=f"inception_{block}_concat")(branches)


def notebook_model():
    """The course's 2019 FaceNet, ``faceRecoModel(input_shape=(3, 96, 96))``, with random weights.

    Built only to be inspected: the pretrained weights are not available from any package registry,
    so it is never run. Every convolution, pooling, padding and batch norm is channels-first (the
    channel axis is axis 1).

    Returns
    -------
    keras.Model mapping ``(m, 3, 96, 96)`` to ``(m, 128)`` unit vectors; 3,743,280 parameters.
    """
    import keras

    b = _NotebookBuilder()
    layers = b.layers
    inputs = keras.Input(shape=NOTEBOOK_INPUT_SHAPE, name="input")
    # stem: 7×7 convolution, max pooling, 1×1 and 3×3 convolutions, max pooling → (192, 12, 12)
    x = b.pad(inputs, 3, "pad1")
    x = b.conv_bn_relu(x, 64, 7, conv="conv1", bn="bn1", strides=2, epsilon=1e-3)
    x = b.pad(x, 1, "pad2")
    x = b.max_pool(x, 3, 2, "max_pool1")
    x = b.conv_bn_relu(x, 64, 1, conv="conv2", bn="bn2")
    x = b.pad(x, 1, "pad3")
    x = b.conv_bn_relu(x, 192, 3, conv="conv3", bn="bn3")
    x = b.pad(x, 1, "pad4")
    x = b.max_pool(x, 3, 2, "max_pool2")
    # inception_block_1a → (256, 12, 12)
    x = b.concat([
        b.reduce_then_conv(x, "3a", "3x3", 96, 128, 3),
        b.reduce_then_conv(x, "3a", "5x5", 16, 32, 5),
        b.pool_branch(x, "3a", "max", 3, 2, 32, ((3, 4), (3, 4))),
        b.one_by_one(x, "3a", 64),
    ], "3a")
    # inception_block_1b → (320, 12, 12)
    x = b.concat([
        b.reduce_then_conv(x, "3b", "3x3", 96, 128, 3),
        b.reduce_then_conv(x, "3b", "5x5", 32, 64, 5),
        b.pool_branch(x, "3b", "avg", 3, 3, 64, 4),
        b.one_by_one(x, "3b", 64),
    ], "3b")
    # inception_block_1c: stride 2 → (640, 6, 6)
    x = b.concat([
        b.reduce_then_conv(x, "3c", "3x3", 128, 256, 3, strides=2),
        b.reduce_then_conv(x, "3c", "5x5", 32, 64, 5, strides=2),
        b.pool_branch(x, "3c", "max", 3, 2, None, ((0, 1), (0, 1))),
    ], "3c")
    # inception_block_2a → (640, 6, 6)
    x = b.concat([
        b.reduce_then_conv(x, "4a", "3x3", 96, 192, 3),
        b.reduce_then_conv(x, "4a", "5x5", 32, 64, 5),
        b.pool_branch(x, "4a", "avg", 3, 3, 128, 2),
        b.one_by_one(x, "4a", 256),
    ], "4a")
    # inception_block_2b: stride 2 → (1024, 3, 3)
    x = b.concat([
        b.reduce_then_conv(x, "4e", "3x3", 160, 256, 3, strides=2),
        b.reduce_then_conv(x, "4e", "5x5", 64, 128, 5, strides=2),
        b.pool_branch(x, "4e", "max", 3, 2, None, ((0, 1), (0, 1))),
    ], "4e")
    # inception_block_3a → (736, 3, 3)
    x = b.concat([
        b.reduce_then_conv(x, "5a", "3x3", 96, 384, 3),
        b.pool_branch(x, "5a", "avg", 3, 3, 96, 1),
        b.one_by_one(x, "5a", 256),
    ], "5a")
    # inception_block_3b → (736, 3, 3)
    x = b.concat([
        b.reduce_then_conv(x, "5b", "3x3", 96, 384, 3),
        b.pool_branch(x, "5b", "max", 3, 2, 96, 1),
        b.one_by_one(x, "5b", 256),
    ], "5b")
    # head: 3×3 average pooling → 736 numbers → Dense(128) → unit length
    x = b.avg_pool(x, 3, 1, "average_pooling")
    x = layers.Flatten(data_format=_CHANNELS_FIRST, name="flatten")(x)
    x = layers.Dense(EMBEDDING_SIZE, name="dense_layer")(x)
    outputs = layers.UnitNormalization(axis=1, name="l2_normalisation")(x)
    return keras.Model(inputs, outputs, name="FaceRecoModel")


def notebook_block_of(layer_name: str) -> str:
    """The notebook block a layer of :func:`notebook_model` belongs to (``"inception_block_2a"``, ...)."""
    if layer_name == "input":
        return "input"
    if layer_name in _NOTEBOOK_HEAD:
        return "head"
    if layer_name.startswith("inception_"):
        return _NOTEBOOK_BLOCK_NAMES[layer_name.split("_")[1]]
    return "stem"


# --- the real model: Inception-ResNet-v1 ------------------------------------------------------
_FACENET_BLOCK = re.compile(r"^(Block35_\d+|Block17_\d+|Block8_\d+|Mixed_6a|Mixed_7a)(?:_|$)")
_FACENET_HEAD = ("AvgPool", "Dropout", "Bottleneck", "Bottleneck_BatchNorm")


def facenet_block_of(layer_name: str) -> str:
    """The block a layer of the Keras FaceNet belongs to: stem, Block35_n, Mixed_6a, ..., Bottleneck."""
    if layer_name in _FACENET_HEAD:
        return "Bottleneck"
    found = _FACENET_BLOCK.match(layer_name)
    if found:
        return found.group(1)
    if layer_name.startswith("input"):
        return "input"
    return "stem"


# --- block summaries ---------------------------------------------------------------------------
def block_rows(model: Any, block_of: Callable[[str], str]) -> list[BlockRow]:
    """Group a Keras model's layers into blocks, in order.

    Parameters
    ----------
    model : a built Keras functional model (its ``layers`` are in topological order).
    block_of : maps a layer name to its block's name.

    Returns
    -------
    One :class:`BlockRow` per block, in the order blocks first appear; each block's output shape is
    that of its last layer. The rows' ``parameters`` sum to ``model.count_params()``.
    """
    rows: dict[str, list] = {}
    for layer in model.layers:
        rows.setdefault(block_of(layer.name), []).append(layer)
    return [
        BlockRow(
            name, tuple(members[-1].output.shape), sum(layer.count_params() for layer in members), len(members)
        )
        for name, members in rows.items()
    ]


def notebook_blocks(model: Any | None = None) -> list[BlockRow]:
    """:func:`block_rows` of the notebook's model (built now when not given): input, stem, 7 inception blocks, head."""
    return block_rows(model if model is not None else notebook_model(), notebook_block_of)


def facenet_blocks(model: Any) -> list[BlockRow]:
    """:func:`block_rows` of the Keras FaceNet: input, stem, Block35 ×5, Mixed_6a, Block17 ×10,
    Mixed_7a, Block8 ×6, Bottleneck (average pooling, dropout, Dense(128), batch norm)."""
    return block_rows(model, facenet_block_of)


def collapse_repeats(rows: Sequence[BlockRow]) -> list[BlockRow]:
    """Merge consecutive repeats of one block type (``Block35_1`` … ``Block35_5`` → ``Block35 ×5``).

    The merged row keeps the last repeat's output shape and sums parameters and layers.
    """
    merged: list[tuple[str, list[BlockRow]]] = []
    for row in rows:
        family = re.sub(r"_\d+$", "", row.name) if re.match(r"^Block\d+_\d+$", row.name) else row.name
        if merged and merged[-1][0] == family and family != row.name:
            merged[-1][1].append(row)
        else:
            merged.append((family, [row]))
    return [
        BlockRow(
            family if len(group) == 1 and group[0].name == family else f"{family} ×{len(group)}",
            group[-1].output_shape, sum(r.parameters for r in group), sum(r.layers for r in group),
        )
        for family, group in merged
    ]


def format_shape(shape: Sequence[int | None]) -> str:
    """A batch shape in the course's notation: ``(None, 160, 160, 3)`` → ``"(m, 160, 160, 3)"``."""
    return "(" + ", ".join("m" if size is None else str(size) for size in shape) + ")"


# --- channels first vs channels last -----------------------------------------------------------
def batch_shapes(m: int, n_h: int, n_w: int, n_c: int = 3) -> dict[str, tuple[int, int, int, int]]:
    """The shape of a batch of ``m`` colour images in each layout.

    ``channels_first`` is ``(m, n_C, n_H, n_W)`` (the 2019 notebook: ``(m, 3, 96, 96)``);
    ``channels_last`` is ``(m, n_H, n_W, n_C)`` (this project: ``(m, 160, 160, 3)``).
    """
    return {"channels_first": (m, n_c, n_h, n_w), "channels_last": (m, n_h, n_w, n_c)}


def to_channels_first(batch: np.ndarray) -> np.ndarray:
    """``(m, n_H, n_W, n_C)`` → ``(m, n_C, n_H, n_W)``: the same numbers, channel axis moved to 1.

    ``out[i, c, y, x] == batch[i, y, x, c]``.
    """
    batch = np.asarray(batch)
    if batch.ndim != 4:
        raise ValueError(f"a batch must have 4 axes (m, n_H, n_W, n_C), got shape {batch.shape}")
    return np.transpose(batch, (0, 3, 1, 2))


def to_channels_last(batch: np.ndarray) -> np.ndarray:
    """``(m, n_C, n_H, n_W)`` → ``(m, n_H, n_W, n_C)``, the inverse of :func:`to_channels_first`."""
    batch = np.asarray(batch)
    if batch.ndim != 4:
        raise ValueError(f"a batch must have 4 axes (m, n_C, n_H, n_W), got shape {batch.shape}")
    return np.transpose(batch, (0, 2, 3, 1))


# --- activation maps of the real model ---------------------------------------------------------
def activation_maps(
    model: Any, model_input: np.ndarray, layer_names: Sequence[str] = tuple(ACTIVATION_LAYERS)
) -> dict[str, np.ndarray]:
    """What chosen layers of the Keras FaceNet output for one face.

    Parameters
    ----------
    model : the Keras FaceNet (``Embedder.model``).
    model_input : ``(160, 160, 3)`` float32, the standardised crop (``Prepared.model_input``).
    layer_names : layers of ``model`` to read (default: the keys of :data:`ACTIVATION_LAYERS`).

    Returns
    -------
    ``{layer name: (n_H, n_W, n_C) float32}`` in the order asked, one face's maps (batch axis dropped).
    """
    import keras

    batch = np.asarray(model_input, dtype=np.float32)
    if batch.shape == FACENET_INPUT_SHAPE:
        batch = batch[None]
    if batch.shape != (1, *FACENET_INPUT_SHAPE):
        raise ValueError(f"model_input must have shape {FACENET_INPUT_SHAPE}, got {np.shape(model_input)}")
    known = {layer.name for layer in model.layers}
    unknown = [name for name in layer_names if name not in known]
    if unknown:
        raise FacedemoError(
            f"the model has no layer named {', '.join(repr(n) for n in unknown)}; "
            f"try one of {', '.join(ACTIVATION_LAYERS)}"
        )
    outputs = [model.get_layer(name).output for name in layer_names]
    probe = keras.Model(model.input, outputs, name="activation_probe")
    values = probe(batch, training=False)
    values = values if isinstance(values, (list, tuple)) else [values]
    return {name: np.asarray(value)[0].astype(np.float32) for name, value in zip(layer_names, values)}


def face_activation_maps(
    encoder: Any, source: ImageSource, recipe: str, layer_names: Sequence[str] = tuple(ACTIVATION_LAYERS)
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One photo's 160×160 crop and its :func:`activation_maps`, prepared as ``encoder.encode`` would.

    Parameters
    ----------
    encoder : a :class:`~facedemo.encoding.encoder.FaceEncoder` (its Keras model loads now if it has not yet).
    source : a photo's path or bytes.
    recipe : a recipe's name, e.g. ``"aligned"``, ``"box"`` or ``"course"`` (:mod:`facedemo.encoding.recipes`).

    Returns
    -------
    ``(crop, maps)``: the ``(160, 160, 3)`` uint8 crop the model saw, and ``{layer: (n_H, n_W, n_C)}``.
    Raises the project's errors for an unreadable photo or one without a face.
    """
    if encoder.embedder.model is None:
        raise FacedemoError(f"the model '{encoder.network}' has no Keras model to look inside; the activation maps "
                            "are those of the course's Keras FaceNet (FaceEncoder.load(network='facenet'))")
    name = "the photo" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)
    prepared = encoder.prepare(read_image(source, name=name, max_side=WORK_MAX_SIDE), recipe, name=name)
    return prepared.crop, activation_maps(encoder.embedder.model, prepared.model_input, layer_names)


def strongest_channels(activation: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` channels with the largest mean activation, strongest first.

    ``activation`` is ``(n_H, n_W, n_C)``; returns at most ``n_C`` indices.
    """
    means = np.asarray(activation, dtype=np.float64).mean(axis=(0, 1))
    return np.argsort(-means, kind="stable")[:count]


def channel_grid(
    activation: np.ndarray, *, count: int = 8, columns: int = 4, cell: int = 64, gap: int = 2
) -> np.ndarray:
    """The ``count`` strongest channels of one layer as a greyscale image grid, for display.

    Each channel is scaled on its own to 0–255 (bright = strong); a constant channel shows black.
    Cells are ``cell``×``cell`` pixels (nearest-neighbour, so a 3×3 map shows as 9 squares),
    ``gap`` white pixels apart.

    Returns
    -------
    ``(rows·cell + (rows-1)·gap, columns·cell + (columns-1)·gap)`` uint8.
    """
    from PIL import Image

    activation = np.asarray(activation, dtype=np.float32)
    if activation.ndim != 3:
        raise ValueError(f"activation must have shape (n_H, n_W, n_C), got {activation.shape}")
    if count < 1 or columns < 1 or cell < 1 or gap < 0:
        raise ValueError(
            f"count, columns and cell must be at least 1 and gap at least 0, got {count}, {columns}, {cell}, {gap}"
        )
    channels = strongest_channels(activation, count)
    columns = max(1, min(columns, len(channels)))
    rows = -(-len(channels) // columns)
    grid = np.full((rows * cell + (rows - 1) * gap, columns * cell + (columns - 1) * gap), 255, np.uint8)
    for number, channel in enumerate(channels):
        plane = activation[:, :, channel]
        low, high = float(plane.min()), float(plane.max())
        scaled = (plane - low) / (high - low) * 255.0 if high > low else np.zeros_like(plane)
        tile = np.asarray(Image.fromarray(scaled.round().astype(np.uint8)).resize((cell, cell), Image.NEAREST))
        top, left = (number // columns) * (cell + gap), (number % columns) * (cell + gap)
        grid[top : top + cell, left : left + cell] = tile
    return grid
