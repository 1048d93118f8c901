"""The real FaceNet: architecture, conversion, and the encodings' basic properties."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from facedemo.assets import course_package
from facedemo.assets.keras2_rebuild import rebuild_legacy_model
from facedemo.encoding.facenet_keras import EMBEDDING_SIZE, WEIGHT_COUNT
from facedemo.encoding.runtime import INPUT_SIZE
from facedemo.errors import NoFaceFoundError
from facedemo.io.images import read_image


def test_architecture(encoder):
    model = encoder.embedder.model
    assert model.input_shape == (None, INPUT_SIZE, INPUT_SIZE, 3)
    assert model.output_shape == (None, EMBEDDING_SIZE)
    assert model.count_params() == WEIGHT_COUNT == 22_808_144


def test_converted_model_equals_the_legacy_rebuild(encoder, photo):
    """The native .keras copy gives the same outputs as a fresh rebuild from the h5 file."""
    crop = encoder.prepare(read_image(photo("val", "madonna")), "aligned").model_input[None]
    rebuilt = rebuild_legacy_model(course_package.legacy_model_path())
    expected = rebuilt.predict(crop, verbose=0)
    assert np.allclose(encoder.embedder.raw(crop), expected, atol=1e-4)


def test_encodings_are_unit_128d_and_deterministic(encoder, photo):
    first = encoder.encode(photo("val", "ben_afflek"))
    again = encoder.encode(photo("val", "ben_afflek").read_bytes())
    assert first.vector.shape == (EMBEDDING_SIZE,)
    assert np.linalg.norm(first.vector) == pytest.approx(1.0, abs=1e-5)
    assert np.linalg.norm(first.vector - again.vector) < 1e-5
    assert first.sha256 == again.sha256


def test_batch_equals_one_by_one(encoder, photo):
    paths = [photo("val", person, 1) for person in ("madonna", "elton_john", "mindy_kaling")]
    batched, failures = encoder.encode_many(paths)
    single = np.stack([encoder.encode(p).vector for p in paths])
    assert not failures
    batch = np.stack([e.vector for e in batched])
    assert batch.shape == (3, EMBEDDING_SIZE)
    assert np.abs(batch - single).max() < 1e-5


def test_course_recipe_is_the_notebooks_input(encoder, photo):
    prepared = encoder.prepare(read_image(photo("val", "madonna")), "course")
    assert prepared.model_input.shape == (INPUT_SIZE, INPUT_SIZE, 3)
    assert 0.0 <= prepared.model_input.min() and prepared.model_input.max() <= 1.0
    assert prepared.face is None


def test_aligned_recipe_is_standardised_face_crop(encoder, photo):
    prepared = encoder.prepare(read_image(photo("val", "madonna")), "aligned")
    assert prepared.face is not None and prepared.face.confidence > 0.9
    assert abs(float(prepared.model_input.mean())) < 1e-3
    assert float(prepared.model_input.std()) == pytest.approx(1.0, abs=1e-3)
    assert set(prepared.face.landmarks) == {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"}


def test_no_face_raises_a_plain_error(encoder):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (120, 200, 90)).save(buffer, format="JPEG")
    with pytest.raises(NoFaceFoundError, match="no face found"):
        encoder.encode(buffer.getvalue())
    # the course recipe never looks for a face: it encodes the whole picture
    assert encoder.encode(buffer.getvalue(), "course").vector.shape == (EMBEDDING_SIZE,)


def test_several_faces_use_the_largest_and_say_so(encoder, photo):
    """A gallery photo of Madonna wears a T-shirt with a printed face: the real face is used."""
    folder = photo("val", "madonna").parent
    target = next(p for p in sorted(folder.glob("*.jpg")) if "parisattacks" in p.name)
    prepared = encoder.prepare(read_image(target), "aligned")
    assert len(prepared.faces) >= 2
    assert "largest" in prepared.note
    areas = [f.box[2] * f.box[3] for f in prepared.faces]
    assert prepared.face.box[2] * prepared.face.box[3] == max(areas)
