"""MTCNN face detection with numpy and LiteRT: no TensorFlow, Keras or ``mtcnn`` import.

A port of the detection pipeline of the ``mtcnn`` 1.0.0 package (MIT, Iván de Paz Centeno), whose
three networks :mod:`facedemo.assets.mtcnn_stages` turns into TFLite files once, at set-up. Same steps,
same constants, same arithmetic (the package's TensorFlow image ops redone in numpy):

1. image pyramid: scales ``0.6 · 0.709^k`` (``12 / MIN_FACE_SIZE`` first), each an area-averaged
   resize of the photo normalised to ``(pixel - 127.5) / 128``;
2. P-Net, fully convolutional, on every scale: a 12×12 window every 2 pixels whose face score is
   above ``threshold_pnet`` becomes a box (moved by the regression output), NMS per scale (IoU 0.5),
   then over all scales (IoU 0.7), squared;
3. R-Net on 24×24 bilinear patches of those boxes: new scores, boxes refined, kept above
   ``threshold_rnet``, NMS (IoU 0.7), squared;
4. O-Net on 48×48 patches: scores, refined boxes and five landmarks, kept above
   ``threshold_onet``, NMS by intersection over the smaller box (0.7); boxes clipped to the photo.

The package's NMS is its own: a box is dropped when *any* higher-scored box overlaps it by more
than the threshold, even one that was itself dropped. Kept as it is, so the port finds the same
faces as the package (``tests/test_detector.py`` compares the two on the gallery). Measured on the
118 gallery photos: the same 128 faces, boxes and landmarks equal to the pixel, confidences within
5e-5; 0.039 s per photo (median, 2 cores) against 0.079 s for the package run as ``tf.function``
graphs in the same conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facedemo.assets.mtcnn_stages import STAGES, stage_path
from facedemo.errors import ModelFileError
from facedemo.litert import open_interpreter

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
MIN_FACE_SIZE = 20
PYRAMID_FACTOR = 0.709
CELL_SIZE = 12  # P-Net's window, and the smallest side a pyramid level may have
CELL_STRIDE = 2
NMS_PER_SCALE = 0.5
NMS_ALL_SCALES = 0.7
NMS_RNET = 0.7
NMS_ONET = 0.7  # by intersection over the smaller box
PATCH_SIZES = {"rnet": 24, "onet": 48}
# At most this many patches per R-/O-Net call: bounds their tensors (~14 MB each at these sizes).
PATCH_BATCH = {"rnet": 256, "onet": 32}


@dataclass(frozen=True)
class Detections:
    """Faces found by :class:`MTCNNLite`, in the pixels of the photo it was given.

    ``boxes`` is ``(n, 4)`` float ``x1, y1, x2, y2`` (clipped to the photo), ``scores`` ``(n,)``
    O-Net's face probability, ``landmarks`` ``(n, 5, 2)`` float ``(x, y)`` of left eye, right eye,
    nose, mouth left, mouth right (not clipped).
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)))


class _Network:
    """One stage's TFLite model: an interpreter per slot, re-sized only when its input shape changes.

    P-Net uses a slot per pyramid level, so a photo of the size of the last one finds every
    level's interpreter ready (re-sizing costs about a millisecond a level), and each slot's
    tensors stay the size of its level: an interpreter's tensors never shrink, so interpreters
    shared between levels would each end up as large as level 0 (~50 MB for a 1024×768 photo;
    all levels' slots together hold ~100 MB then). Outputs are named by their last size:
    4 box offsets, 2 class probabilities, 10 landmarks.
    """

    OUTPUTS = {4: "box", 2: "score", 10: "landmarks"}

    def __init__(self, path: Path) -> None:
        self.path = path
        self._slots: dict[int, _Slot] = {0: self._open()}  # opened now: a bad file fails at load

    def _open(self) -> "_Slot":
        interpreter = open_interpreter(self.path)
        sizes = [int(d["shape_signature"][-1]) for d in interpreter.get_output_details()]
        if not set(sizes) <= set(self.OUTPUTS):
            raise ModelFileError(f"'{self.path}' is not one of MTCNN's networks (outputs of sizes {sizes})")
        outputs = {self.OUTPUTS[size]: d["index"] for size, d in zip(sizes, interpreter.get_output_details())}
        return _Slot(interpreter, interpreter.get_input_details()[0]["index"], outputs)

    def __call__(self, batch: np.ndarray, *, slot: int = 0) -> dict[str, np.ndarray]:
        """Run on ``(n, h, w, 3)`` float32 in interpreter ``slot``; returns the named outputs (copies)."""
        if slot not in self._slots:
            self._slots[slot] = self._open()
        entry = self._slots[slot]
        if entry.shape != batch.shape:
            entry.interpreter.resize_tensor_input(entry.input, list(batch.shape), strict=True)
            entry.interpreter.allocate_tensors()
            entry.shape = batch.shape
        entry.interpreter.set_tensor(entry.input, np.ascontiguousarray(batch, dtype=np.float32))
        entry.interpreter.invoke()
        return {name: entry.interpreter.get_tensor(index).copy() for name, index in entry.outputs.items()}


@dataclass
class _Slot:
    """An interpreter, its input tensor index, output indices by name, and the input shape it has."""

    interpreter: Any
    input: int
    outputs: dict[str, int]
    shape: tuple[int, ...] | None = None


class MTCNNLite:
    """The three MTCNN stages on LiteRT. Not thread-safe: one :meth:`detect` at a time.

    Parameters
    ----------
    folder : the folder holding ``mtcnn_pnet.tflite``, ``mtcnn_rnet.tflite``, ``mtcnn_onet.tflite``.

    Raises :class:`~facedemo.errors.ModelFileError` when one is missing or unreadable.
    """

    def __init__(self, folder: Path) -> None:
        missing = [stage_path(s, folder).name for s in STAGES if not stage_path(s, folder).is_file()]
        if missing:
            raise ModelFileError(
                f"the face detector's model files {', '.join(missing)} are missing in '{folder}'; "
                "run 'python -m facedemo setup' to make them"
            )
        self.pnet, self.rnet, self.onet = (_Network(stage_path(stage, folder)) for stage in STAGES)

    def detect(self, rgb: np.ndarray, *, threshold_pnet: float = 0.6, threshold_rnet: float = 0.7,
               threshold_onet: float = 0.8) -> Detections:
        """Faces in ``rgb`` (``(h, w, 3)`` uint8), most confident first (the package's order).

        The thresholds are each stage's minimum face probability (defaults: the package's).
        """
        planes = np.ascontiguousarray(np.transpose(rgb, (2, 0, 1)), dtype=np.float32)  # (3, h, w)
        planes -= 127.5
        planes /= 128.0
        boxes = self._propose(planes, threshold_pnet)
        if len(boxes):
            boxes = self._refine(planes, boxes, threshold_rnet)
        if not len(boxes):
            return Detections.empty()
        return self._output(planes, boxes, threshold_onet)

    def _propose(self, planes: np.ndarray, threshold: float) -> np.ndarray:
        """P-Net over the pyramid: ``(n, 5)`` squared boxes ``x1, y1, x2, y2, score``."""
        height, width = planes.shape[1:]
        per_scale = []
        for number, scale in enumerate(pyramid_scales(width, height)):
            size = (np.asarray([height, width]) * scale).astype(int)
            if size.min() < CELL_SIZE:  # never for the package's pyramid; a guard
                continue
            level = area_resize(planes, int(size[0]), int(size[1]))
            out = self.pnet(level.transpose(1, 2, 0)[None], slot=number)
            boxes = window_boxes(out["box"][0], out["score"][0, :, :, 1], threshold)
            boxes[:, :4] /= scale
            per_scale.append(boxes[nms(boxes, NMS_PER_SCALE)])
        if not per_scale:
            return np.zeros((0, 5))
        boxes = sort_by_score(np.concatenate(per_scale))
        return to_square(boxes[nms(boxes, NMS_ALL_SCALES)])

    def _refine(self, planes: np.ndarray, boxes: np.ndarray, threshold: float) -> np.ndarray:
        """R-Net: new scores and boxes; ``(m, 5)`` squared, above ``threshold``, after NMS."""
        out = self._patches_through(self.rnet, planes, boxes, "rnet")
        boxes = apply_offsets(boxes, out["box"], out["score"][:, 1])
        boxes = sort_by_score(boxes[boxes[:, 4] > threshold])
        return to_square(boxes[nms(boxes, NMS_RNET)])

    def _output(self, planes: np.ndarray, boxes: np.ndarray, threshold: float) -> Detections:
        """O-Net: final boxes, scores and landmarks."""
        out = self._patches_through(self.onet, planes, boxes, "onet")
        width = boxes[:, 2:3] - boxes[:, 0:1] + 1
        height = boxes[:, 3:4] - boxes[:, 1:2] + 1
        xs = width * out["landmarks"][:, 0:5] + boxes[:, 0:1] - 1
        ys = height * out["landmarks"][:, 5:10] + boxes[:, 1:2] - 1
        rows = np.concatenate([apply_offsets(boxes, out["box"], out["score"][:, 1]), xs, ys], axis=1)
        rows = sort_by_score(rows[rows[:, 4] > threshold])
        rows = rows[nms(rows, NMS_ONET, by="min")]
        img_h, img_w = planes.shape[1:]
        boxes = np.stack([np.clip(rows[:, 0], 0, img_w - 1), np.clip(rows[:, 1], 0, img_h - 1),
                          np.clip(rows[:, 2], 0, img_w - 1), np.clip(rows[:, 3], 0, img_h - 1)], axis=1)
        landmarks = np.stack([rows[:, 5:10], rows[:, 10:15]], axis=-1)
        return Detections(boxes, rows[:, 4].copy(), landmarks)

    @staticmethod
    def _patches_through(network: _Network, planes: np.ndarray, boxes: np.ndarray, stage: str) -> dict[str, np.ndarray]:
        """Crop every box to the stage's patch size and run ``network`` on the patches."""
        patches = crop_and_resize(planes, boxes[:, :4], PATCH_SIZES[stage])
        step = PATCH_BATCH[stage]
        parts = [network(patches[start : start + step]) for start in range(0, len(patches), step)]
        return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


# ------------------------------------------------------------------------------- the steps


def pyramid_scales(width: int, height: int, *, min_face_size: int = MIN_FACE_SIZE,
                   factor: float = PYRAMID_FACTOR) -> np.ndarray:
    """The package's pyramid scales: ``(12 / min_face_size) · factor^k``.

    ``k`` runs up to ``round(-(log(min_side / 12) / log(factor) + 1))`` (exclusive), the package's
    count; the smallest level's short side is then 12 to 17 pixels.
    """
    count = round(-((np.log(min(width, height) / CELL_SIZE) / np.log(factor)) + 1))
    return (CELL_SIZE / min_face_size) * factor ** np.arange(max(count, 0))


def _area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.float32]:
    """Input cells and weights of each output cell for an area resize ``n_in → n_out``.

    Output cell ``i`` covers ``[i·s, (i+1)·s)`` with ``s = n_in / n_out`` (float32, as
    TensorFlow's ``ResizeArea``); each input cell weighs its overlap with that span.
    Returns ``cells`` and ``weights`` of shape ``(n_out, taps)`` and ``s``.
    """
    step = np.float32(n_in / np.float32(n_out))
    low = np.arange(n_out, dtype=np.float32) * step
    high = np.arange(1, n_out + 1, dtype=np.float32) * step
    start = np.floor(low).astype(np.int64)
    end = np.ceil(high).astype(np.int64)
    cells = start[:, None] + np.arange(int((end - start).max()))
    overlap = np.minimum(cells + 1, high[:, None]) - np.maximum(cells, low[:, None])
    weights = np.where(cells < end[:, None], overlap, 0).astype(np.float32)
    return np.minimum(cells, n_in - 1), weights, step


def area_resize(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Shrink ``(c, h, w)`` float32 planes to ``(c, height, width)`` by area averaging.

    TensorFlow's ``tf.image.resize(..., method="area")``: each output pixel is the mean of the
    input pixels under it, a pixel cut by the border weighing its covered fraction. Rows first,
    then columns, one weighted ``np.take`` per tap; channel planes keep numpy's inner loops long.
    """
    rows, row_weights, row_step = _area_taps(planes.shape[1], height)
    cols, col_weights, col_step = _area_taps(planes.shape[2], width)
    tall = np.take(planes, rows[:, 0], axis=1)
    tall *= row_weights[None, :, 0, None]
    for tap in range(1, rows.shape[1]):
        tall += row_weights[None, :, tap, None] * np.take(planes, rows[:, tap], axis=1)
    out = np.take(tall, cols[:, 0], axis=2)
    out *= col_weights[None, None, :, 0]
    for tap in range(1, cols.shape[1]):
        out += col_weights[None, None, :, tap] * np.take(tall, cols[:, tap], axis=2)
    out *= np.float32(1.0 / (row_step * col_step))
    return out


def window_boxes(offsets: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """P-Net's output map → boxes of the level: ``(n, 5)`` ``x1, y1, x2, y2, score``, best first.

    ``offsets`` is ``(H, W, 4)``, ``scores`` ``(H, W)``. Cell ``(y, x)`` above ``threshold`` is the
    window ``[2x + 1, 2x + 12] × [2y + 1, 2y + 12]`` (the package's corners) moved by its offsets
    times 11 (the package's width).
    """
    ys, xs = np.nonzero(scores > threshold)
    reg = offsets[ys, xs].astype(np.float64)
    left, top = xs * CELL_STRIDE + 1, ys * CELL_STRIDE + 1
    right, bottom = xs * CELL_STRIDE + CELL_SIZE, ys * CELL_STRIDE + CELL_SIZE
    span_x, span_y = right - left, bottom - top
    boxes = np.stack([left + reg[:, 0] * span_x, top + reg[:, 1] * span_y,
                      right + reg[:, 2] * span_x, bottom + reg[:, 3] * span_y,
                      scores[ys, xs].astype(np.float64)], axis=1)
    return sort_by_score(boxes)


def sort_by_score(rows: np.ndarray, column: int = 4) -> np.ndarray:
    """Rows by descending ``column`` (the package's order: ``argsort`` reversed)."""
    return rows[np.argsort(rows[:, column])[::-1]]


def nms(rows: np.ndarray, threshold: float, *, by: str = "union") -> np.ndarray:
    """Indices of ``rows`` (sorted best first; ``x1, y1, x2, y2`` in columns 0-3) that are kept.

    Row ``j`` is dropped when some row before it overlaps it by more than ``threshold``:
    intersection over union (``by="union"``) or over the smaller area (``by="min"``).
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    area = (x2 - x1) * (y2 - y1)
    inter = (np.maximum(0, np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None]))
             * np.maximum(0, np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None])))
    if by == "union":
        overlap = inter / (area[:, None] + area[None] - inter)
    else:
        overlap = inter / np.minimum(area[:, None], area[None])
    earlier = np.triu(np.ones((len(rows), len(rows)), dtype=bool), k=1)
    return np.nonzero(~((overlap > threshold) & earlier).any(axis=0))[0]


def to_square(rows: np.ndarray) -> np.ndarray:
    """Each box grown to a square on its longer side, about the same centre."""
    rows = rows.copy()
    width, height = rows[:, 2] - rows[:, 0], rows[:, 3] - rows[:, 1]
    side = np.maximum(width, height)
    rows[:, 0] += width * 0.5 - side * 0.5
    rows[:, 1] += height * 0.5 - side * 0.5
    rows[:, 2] = rows[:, 0] + side
    rows[:, 3] = rows[:, 1] + side
    return rows


def apply_offsets(rows: np.ndarray, offsets: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Boxes moved by a stage's offsets (times the box's size + 1), with the stage's scores."""
    out = rows[:, :5].copy()
    width, height = out[:, 2] - out[:, 0] + 1, out[:, 3] - out[:, 1] + 1
    out[:, :4] += offsets.astype(np.float64) * np.stack([width, height, width, height], axis=1)
    out[:, 4] = scores
    return out


def crop_and_resize(planes: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Bilinear ``size``×``size`` patches of ``(3, h, w)`` float32 planes: ``(n, size, size, 3)``.

    TensorFlow's ``tf.image.crop_and_resize`` as the package calls it: the box ``x1, y1, x2, y2``
    divided by the image's width and height, sample ``k`` at ``y1/h · (h - 1) + k · (y2 - y1)/h ·
    (h - 1) / (size - 1)`` (likewise in x), float32, 0 outside the image.
    """
    img_h, img_w = planes.shape[1:]
    scaled = (boxes / np.asarray([img_w, img_h, img_w, img_h])).astype(np.float32)
    steps = np.arange(size, dtype=np.float32)

    def samples(low, high, extent):
        step = (high - low) * np.float32(extent - 1) / np.float32(size - 1)
        at = low[:, None] * np.float32(extent - 1) + steps[None] * step[:, None]
        inside = (at >= 0) & (at <= extent - 1)
        floor = np.floor(at)
        first = np.clip(floor, 0, extent - 1).astype(np.int64)
        second = np.clip(np.ceil(at), 0, extent - 1).astype(np.int64)
        return first, second, (at - floor).astype(np.float32), inside

    top, bottom, y_lerp, y_in = samples(scaled[:, 1], scaled[:, 3], img_h)
    left, right, x_lerp, x_in = samples(scaled[:, 0], scaled[:, 2], img_w)
    flat = planes.reshape(planes.shape[0], -1)
    top, bottom = top[:, :, None] * img_w, bottom[:, :, None] * img_w
    left, right = left[:, None, :], right[:, None, :]
    x_lerp = x_lerp[:, None, :]
    upper = np.take(flat, top + left, axis=1)
    upper += (np.take(flat, top + right, axis=1) - upper) * x_lerp
    lower = np.take(flat, bottom + left, axis=1)
    lower += (np.take(flat, bottom + right, axis=1) - lower) * x_lerp
    upper += (lower - upper) * y_lerp[:, :, None]
    upper *= y_in[:, :, None] & x_in[:, None, :]
    return np.ascontiguousarray(upper.transpose(1, 2, 3, 0))
