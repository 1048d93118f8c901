"""The second network (FaceNet CASIA-WebFace, 512-d) beside the course's FaceNet: real photos, real models."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from facedemo.analysis import metrics
from facedemo.assets import casia_wheel
from facedemo.encoding.networks import default_threshold, get_network
from facedemo.errors import DatabaseFileError, FacedemoError
from facedemo.people.database import FaceDatabase
from tests.test_cli import run


def test_the_second_model_comes_from_its_checked_wheel():
    assert casia_wheel.graph_is_ready(), "setup extracts graph_final.pb and checks its sha256"
    assert casia_wheel.tflite_path().is_file()
    with pytest.raises(FacedemoError, match="unknown model 'vggface'.*facenet, casia"):
        get_network("vggface")


def test_casia_encodings_are_512_d_unit_vectors_of_fixed_scaled_crops(casia_encoder, photo):
    encoding = casia_encoder.encode(photo("val", "madonna", 0))
    assert (encoding.network, encoding.vector.shape) == ("casia", (512,))
    assert np.linalg.norm(encoding.vector) == pytest.approx(1.0, abs=1e-5)
    crop = encoding.prepared.crop.astype(np.float32)
    np.testing.assert_allclose(encoding.prepared.model_input, (crop - 127.5) / 128.0)
    again = casia_encoder.encode(photo("val", "madonna", 0))
    np.testing.assert_allclose(again.vector, encoding.vector, atol=1e-6)


def test_both_models_see_the_same_face_and_agree_on_an_easy_pair(encoder, casia_encoder, photo):
    a, b, other = photo("val", "madonna", 0), photo("train", "madonna", 2), photo("val", "jerry_seinfeld", 0)
    for model in (encoder, casia_encoder):
        first, second, third = (model.encode(p) for p in (a, b, other))
        threshold = default_threshold("aligned", "pair", model.network)
        same = np.linalg.norm(first.vector - second.vector)
        different = np.linalg.norm(first.vector - third.vector)
        assert same < threshold < different, (model.network, same, different)
    assert encoder.encode(a).prepared.face == casia_encoder.encode(a).prepared.face


def test_casia_gallery_auc_and_rank1(casia_gallery):
    evaluation = metrics.evaluate(casia_gallery.vectors, casia_gallery.labels)
    print(f"casia on the gallery: AUC {evaluation.auc:.4f}, EER {evaluation.eer:.2%}, rank-1 {evaluation.rank1:.2%}")
    assert len(casia_gallery) == 118 and not casia_gallery.failures
    assert evaluation.auc >= 0.995 and evaluation.rank1 == 1.0
    assert 0.01 < evaluation.eer < 0.04


@pytest.mark.parametrize("recipe", ["aligned", "box"])
def test_casia_thresholds_are_those_set_for_the_far_target_on_train(casia_encoder, gallery_dir, recipe):
    from facedemo.gallery.labelled import encode_folder
    from tests.test_gallery import check_registry

    check_registry("casia", recipe, encode_folder(gallery_dir / "train", casia_encoder, recipe),
                   encode_folder(gallery_dir / "val", casia_encoder, recipe))


def test_a_database_records_its_model_and_refuses_another(casia_encoder, encoder, photo):
    database = FaceDatabase(network="casia")
    vector = casia_encoder.encode(photo("train", "madonna", 0)).vector
    database.add("madonna", vector)
    loaded = FaceDatabase.from_bytes(database.to_bytes())
    assert (loaded.network, loaded.embedding_size) == ("casia", 512)
    assert loaded.threshold("mean") == default_threshold("aligned", "mean", "casia")
    facenet_vector = encoder.encode(photo("val", "madonna", 0)).vector
    with pytest.raises(DatabaseFileError, match="512 numbers.*cannot be compared"):
        loaded.verify(facenet_vector, "madonna")
    with pytest.raises(FacedemoError, match="cannot be compared with them"):
        loaded.enrol("madonna", [photo("val", "madonna", 1)], encoder)
    assert len(loaded.people["madonna"]) == 1, "the refused enrolment changed nothing"


def test_a_database_file_from_before_the_second_model_is_the_course_model():
    buffer = io.BytesIO()
    np.savez(buffer, vectors=np.eye(2, 128, dtype=np.float32), names=np.array(["a", "b"]),
             sha256=np.array(["", ""]), sources=np.array(["", ""]),
             meta=np.array(json.dumps({"format": 1, "model": "facenet_keras", "recipe": "aligned", "embedding_size": 128})))
    assert FaceDatabase.from_bytes(buffer.getvalue()).network == "facenet"


def test_cli_chooses_the_model(tmp_path, photo):
    same = run("--json", "verify", "--model", "casia", str(photo("val", "madonna", 0)), str(photo("train", "madonna", 2)))
    answer = json.loads(same.stdout)
    assert (same.returncode, answer["model"], answer["match"]) == (0, "casia", True)
    assert answer["threshold"] == default_threshold("aligned", "pair", "casia")
    encoded = run("encode", "--model", "casia", str(photo("val", "elton_john", 0)))
    assert encoded.returncode == 0 and ": 512-d, face at" in encoded.stdout
    db = tmp_path / "people.npz"
    FaceDatabase().save(db)
    refused = run("who", str(photo("val", "madonna", 0)), "--db", str(db), "--model", "casia")
    assert refused.returncode == 1 and "was made with the model 'facenet', not 'casia'" in refused.stderr


def test_the_notebook_api_takes_the_second_model(casia_encoder, photo, capsys):
    import facedemo

    assert facedemo.img_to_encoding(photo("val", "madonna", 0), casia_encoder, recipe="aligned").shape == (1, 512)
    database = FaceDatabase(network="casia")
    database.enrol("madonna", [photo("train", "madonna", i) for i in range(3)], casia_encoder)
    dist, door_open = facedemo.verify(photo("val", "madonna", 0), "madonna", database, casia_encoder)
    assert door_open and dist < default_threshold("aligned", "mean", "casia")
    assert "It's madonna, welcome in!" in capsys.readouterr().out
