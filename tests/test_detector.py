"""The TensorFlow-free MTCNN port (facedemo.detection.mtcnn_lite) against the ``mtcnn`` package it ports.

The package stays a dependency: it ships the weights and is the reference here. Its image ops
(TensorFlow's area resize and crop-and-resize) are the oracles for the port's numpy ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facedemo import assets
from facedemo.detection.faces import MIN_CONFIDENCE, STAGE_THRESHOLDS, FaceDetector
from facedemo.detection.mtcnn_lite import MTCNNLite, area_resize, crop_and_resize, nms, pyramid_scales, stage_path
from facedemo.errors import ModelFileError
from facedemo.io.images import downscale, read_image

ROOT = Path(__file__).resolve().parent.parent
LANDMARK_TOLERANCE_PX = 2
MIN_IOU = 0.95


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    width = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    height = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="module")
def package_mtcnn():
    """The ``mtcnn`` 1.0.0 package itself (TensorFlow, eager Keras)."""
    from mtcnn import MTCNN

    return MTCNN(device="CPU:0")


@pytest.fixture(scope="module")
def test_photos(gallery_dir) -> list[Path]:
    """The val split (25 photos, 3 with several faces) and the train photos with several faces."""
    several = ["httpmediacacheecpinimgcomxffeffbcefjpg", "JerrySeinfeldjpgpxJerrySeinfeldjpg",
               "jerryseinfeldjulialouisdreyfus", "MadonnaatthepremiereofIAmBecauseWeAre"]
    train = [p for p in sorted((gallery_dir / "train").rglob("*.jpg")) if any(s in p.name for s in several)]
    return sorted((gallery_dir / "val").rglob("*.jpg")) + train


def test_port_finds_the_packages_faces(package_mtcnn, test_photos):
    """Same faces at ≥ MIN_CONFIDENCE, boxes with IoU ≥ 0.95, landmarks within 2 px, as the package."""
    detector = FaceDetector()
    ious, multi = [], 0
    for path in test_photos:
        rgb = read_image(path)
        small, scale = downscale(rgb, detector.max_side)
        expected = package_mtcnn.detect_faces(small, **STAGE_THRESHOLDS)
        expected = [f for f in expected if f["confidence"] >= MIN_CONFIDENCE]
        found = detector.detect(rgb)
        assert len(found) == len(expected), path.name
        multi += len(found) > 1
        for face in expected:
            box = tuple(int(round(v / scale)) for v in face["box"])
            match = max(found, key=lambda f: iou(f.box, box))
            ious.append(iou(match.box, box))
            assert ious[-1] >= MIN_IOU, path.name
            assert abs(match.confidence - face["confidence"]) < 1e-3, path.name
            for name, (x, y) in face["keypoints"].items():
                px, py = match.landmarks[name]
                assert abs(px - round(x / scale)) <= LANDMARK_TOLERANCE_PX, (path.name, name)
                assert abs(py - round(y / scale)) <= LANDMARK_TOLERANCE_PX, (path.name, name)
    assert multi >= 5 and len(ious) > len(test_photos)


def test_encoding_never_imports_tensorflow(gallery_dir, photo):
    """A fresh process loads the encoder and encodes a photo (both recipes) without TF, Keras or mtcnn."""
    script = (
        "import json, sys\n"
        "from facedemo.encoding.encoder import FaceEncoder\n"
        "encoder = FaceEncoder.load()\n"
        f"aligned = encoder.encode({str(photo('val', 'madonna'))!r})\n"
        f"course = encoder.encode({str(photo('val', 'madonna'))!r}, recipe='course')\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'mtcnn', 'tf_keras'})\n"
        "print(json.dumps({'heavy': heavy, 'face': aligned.prepared.face is not None, 'dims': len(course.vector)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"heavy": [], "face": True, "dims": 128}


def test_missing_stage_file_names_setup(tmp_path):
    for stage in ("pnet", "rnet"):
        stage_path(stage, tmp_path).write_bytes(stage_path(stage, assets.models_dir()).read_bytes())
    with pytest.raises(ModelFileError, match="mtcnn_onet.tflite.*python -m facedemo setup"):
        MTCNNLite(tmp_path)


def test_damaged_stage_file_is_a_model_file_error(tmp_path):
    for stage in ("pnet", "rnet", "onet"):
        stage_path(stage, tmp_path).write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="mtcnn_pnet.tflite"):
        MTCNNLite(tmp_path)


def test_no_face_in_a_flat_image():
    detections = MTCNNLite(assets.models_dir()).detect(np.full((120, 160, 3), 128, dtype=np.uint8))
    assert detections.boxes.shape == (0, 4) and detections.landmarks.shape == (0, 5, 2)


# ------------------------------------------------------------------------ the numpy image ops


def test_area_resize_averages_whole_blocks():
    planes = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    assert np.array_equal(area_resize(planes, 2, 2)[0], [[2.5, 4.5], [10.5, 12.5]])


def test_area_resize_weighs_cut_pixels_by_their_covered_part():
    # 3 → 2: the middle pixel is split in halves between the two outputs
    planes = np.asarray([[[0.0, 3.0, 6.0]]], dtype=np.float32)
    assert np.allclose(area_resize(planes, 1, 2)[0, 0], [(0 + 1.5) / 1.5, (1.5 + 6) / 1.5])


def test_numpy_image_ops_match_tensorflow():
    """The oracle: ``tf.image.resize(method='area')`` and ``tf.image.crop_and_resize``."""
    import tensorflow as tf

    rng = np.random.default_rng(7)
    image = ((rng.integers(0, 256, (93, 131, 3)) - 127.5) / 128).astype(np.float32)
    planes = image.transpose(2, 0, 1)
    for scale in pyramid_scales(131, 93):
        size = (np.asarray(image.shape[:2]) * scale).astype(int)
        expected = tf.image.resize(image[None], size, method="area").numpy()[0]
        assert np.abs(area_resize(planes, *map(int, size)).transpose(1, 2, 0) - expected).max() < 1e-5
    corners = rng.uniform(-20, 100, (40, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(5, 60, (40, 1))], axis=1)  # some past the border
    normalised = boxes[:, [1, 0, 3, 2]] / np.asarray([93, 131, 93, 131])
    for size in (24, 48):
        expected = tf.image.crop_and_resize(image[None], normalised, np.zeros(40, dtype=int), (size, size)).numpy()
        assert np.abs(crop_and_resize(planes, boxes, size) - expected).max() < 1e-5


def test_pyramid_is_the_packages():
    # min side 300: round(-(log(25) / log(0.709) + 1)) = 8 scales from 12/20 down by 0.709
    assert np.allclose(pyramid_scales(400, 300), 0.6 * 0.709 ** np.arange(8))


def test_nms_drops_a_box_overlapping_any_better_one():
    rows = np.asarray(
        [[0, 0, 10, 10, 0.9], [2, 0, 12, 10, 0.8], [5, 0, 15, 10, 0.7], [50, 50, 60, 60, 0.6]], dtype=float
    )
    # IoU: 2nd with 1st 0.67 (dropped); 3rd with 1st 0.33 but with the dropped 2nd 0.54:
    # the package drops it too (a greedy NMS would keep it)
    assert nms(rows, 0.5).tolist() == [0, 3]
    assert nms(rows[:0], 0.5).tolist() == []
