"""Adding a network is one module and one registry entry: a stand-in, registered at run time,
encodes real photos, verifies, enrols, keys the gallery cache and runs the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facedemo import cli
from facedemo.encoding.encoder import FaceEncoder
from facedemo.encoding.networks import NETWORKS, default_threshold, register, unregister
from facedemo.encoding.scaling import PER_IMAGE
from facedemo.gallery.labelled import cache_key, encode_folder
from facedemo.io.folders import labelled_photos
from facedemo.people.database import FaceDatabase
from facedemo.people.matching import l2_distance, same_person
from tests.standin_network import EMBEDDING_SIZE, StandIn


@pytest.fixture
def standin(tmp_path, monkeypatch, encoder):
    """The stand-in registered as ``standin`` (removed again afterwards); its cache in a scratch folder."""
    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(tmp_path / "cache"))
    files = StandIn(tmp_path)
    register(files.entry())
    yield files
    unregister("standin")


def test_it_encodes_real_photos_with_the_scaling_its_entry_names(standin, encoder, photo):
    model = FaceEncoder.load(network="standin", detector=encoder.detector)
    first = model.encode(photo("val", "madonna", 0))
    assert (first.network, first.vector.shape) == ("standin", (EMBEDDING_SIZE,))
    assert np.linalg.norm(first.vector) == pytest.approx(1.0, abs=1e-5)
    crop = first.prepared.crop.astype(np.float32)
    np.testing.assert_allclose(first.prepared.model_input, (crop - 127.5) / 128.0)
    assert first.prepared.face.box == encoder.encode(photo("val", "madonna", 0)).prepared.face.box
    np.testing.assert_allclose(model.encode(photo("val", "madonna", 0)).vector, first.vector)
    other = model.encode(photo("val", "elton_john", 0))
    assert l2_distance(first.vector, other.vector) > 0.01


def test_it_verifies_and_enrols_with_its_own_thresholds(standin, encoder, photo):
    model = FaceEncoder.load(network="standin", detector=encoder.detector)
    database = FaceDatabase("aligned", network="standin")
    database.enrol("madonna", [photo("train", "madonna", i) for i in range(3)], model)
    query = model.encode(photo("val", "madonna", 0)).vector
    distance, door_open = database.verify(query, "madonna")
    assert database.threshold("mean") == default_threshold("aligned", "mean", "standin") == 0.45
    assert door_open is same_person(distance, 0.45)
    with pytest.raises(Exception, match="cannot be compared"):
        database.enrol("elton", [photo("train", "elton_john", 0)], encoder)


def test_the_gallery_cache_key_names_its_file_and_its_scaling(standin, encoder, gallery_dir):
    paths, _ = labelled_photos(gallery_dir / "val")
    model = FaceEncoder.load(network="standin", detector=encoder.detector)
    encoded = encode_folder(gallery_dir / "val", model, "aligned")
    assert encoded.vectors.shape == (25, EMBEDDING_SIZE) and encoded.network == "standin"
    key = cache_key(paths, "aligned", "standin")
    register(standin.entry(scaling=PER_IMAGE))
    assert cache_key(paths, "aligned", "standin") != key, "another pixel scaling is another key"
    register(standin.entry())
    assert cache_key(paths, "aligned", "standin") == key
    matrix = np.load(standin.weights)
    np.save(standin.weights, matrix * 2)
    assert cache_key(paths, "aligned", "standin") != key, "other model bytes are another key"


def test_the_cli_offers_it_and_runs_with_it(standin, photo, capsys):
    a, b = str(photo("val", "madonna", 0)), str(photo("val", "elton_john", 0))
    assert cli.main(["--json", "verify", a, a, "--model", "standin"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert (same["model"], same["match"], same["distance"], same["threshold"]) == ("standin", True, 0.0, 0.5)
    assert cli.main(["--json", "encode", a, b, "--model", "standin"]) == 0
    encoded = json.loads(capsys.readouterr().out)
    assert [len(e["encoding"]) for e in encoded["encodings"]] == [EMBEDDING_SIZE, EMBEDDING_SIZE]
    assert "standin" in NETWORKS
    unregister("standin")
    with pytest.raises(SystemExit):
        cli.main(["verify", a, a, "--model", "standin"])
    assert "invalid choice: 'standin'" in capsys.readouterr().err
