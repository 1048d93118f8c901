"""The face database without the model: names, distances, files (synthetic unit vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from facedemo.errors import DatabaseFileError, InvalidNameError, UnknownPersonError
from facedemo.io.folders import people_in_folder
from facedemo.people.database import FaceDatabase, clean_name


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def database() -> FaceDatabase:
    db = FaceDatabase("aligned")
    db.add("alice", unit(1), sha256="a1", source="alice1.jpg")
    db.add("alice", unit(2), sha256="a2", source="alice2.jpg")
    db.add("bob", unit(3), sha256="b1", source="bob.jpg")
    return db


@pytest.mark.parametrize("name", ["", "   ", "a/b", "..", ".", "x\\y", "tab\there", "new\nline", "x" * 81])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidNameError):
        clean_name(name)


@pytest.mark.parametrize("name, cleaned", [("  Ada  ", "Ada"), ("😀 Smiley", "😀 Smiley"), ("Zoë", "Zoë"),
                                           ("👩‍🔬", "👩‍🔬"), ("O'Brien-Smith", "O'Brien-Smith")])
def test_good_names_are_kept(name, cleaned):
    assert clean_name(name) == cleaned


def test_distances_mean_and_nearest(database):
    query = unit(1)
    assert database.distance(query, "alice", comparison="nearest") == pytest.approx(0.0, abs=1e-6)
    mean = (unit(1) + unit(2)) / np.linalg.norm(unit(1) + unit(2))
    assert database.distance(query, "alice") == pytest.approx(float(np.linalg.norm(mean - query)), abs=1e-6)
    assert [m.name for m in database.ranking(query)] == ["alice", "bob"]


def test_verify_and_identify_follow_the_threshold(database):
    dist, door_open = database.verify(unit(3), "bob", threshold=0.5)
    assert dist == pytest.approx(0.0, abs=1e-6) and door_open
    assert database.verify(unit(3), "alice", threshold=0.5)[1] is False
    assert database.identify(unit(3), threshold=0.5)[1] == "bob"
    assert database.identify(unit(9), threshold=0.5)[1] is None


def test_unknown_name_and_empty_database(database):
    with pytest.raises(UnknownPersonError, match="'carol' is not in the database"):
        database.verify(unit(1), "carol")
    assert FaceDatabase().identify(unit(1)) == (float("inf"), None)


def test_same_photo_twice_is_kept_once(database):
    database.add("alice", unit(1), sha256="a1")
    assert len(database.vectors("alice")) == 2


def test_remove_person_and_photo(database):
    database.remove_photo("alice", 0)
    assert len(database.vectors("alice")) == 1
    database.remove_photo("bob", 0)
    assert "bob" not in database
    database.remove("alice")
    assert len(database) == 0


def test_save_and_load_round_trip(database, tmp_path):
    path = database.save(tmp_path / "office.npz")
    loaded = FaceDatabase.load(path)
    assert loaded.names == ["alice", "bob"] and loaded.recipe == "aligned"
    assert np.array_equal(loaded.vectors("alice"), database.vectors("alice"))
    assert [p.sha256 for p in loaded.people["alice"]] == ["a1", "a2"]
    assert not list(tmp_path.glob("*.tmp"))


def test_saved_file_holds_no_pixels(database):
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(database.to_bytes())).namelist()
    assert sorted(names) == ["meta.npy", "names.npy", "sha256.npy", "sources.npy", "vectors.npy"]


@pytest.mark.parametrize("data", [b"", b"not a database", b"PK\x03\x04broken zip"])
def test_corrupt_files_are_refused(data):
    with pytest.raises(DatabaseFileError, match="not a facedemo database"):
        FaceDatabase.from_bytes(data)


def test_failed_save_keeps_the_old_file(database, tmp_path, monkeypatch):
    path = database.save(tmp_path / "office.npz")
    before = path.read_bytes()
    database.add("carol", unit(7))
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        database.save(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".office.npz.*"))


def test_people_in_folder_layouts(tmp_path):
    for relative in ["train/ann/1.jpg", "train/ann/2.jpg", "val/ann/3.jpg", "loose/bo_1.png", "loose/bo_2.png", "loose/cy.jpg"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"")
    nested = people_in_folder(tmp_path / "train")
    assert {k: len(v) for k, v in nested.items()} == {"ann": 2}
    assert {k: len(v) for k, v in people_in_folder(tmp_path).items()}["ann"] == 3
    assert {k: len(v) for k, v in people_in_folder(tmp_path / "loose").items()} == {"bo": 2, "cy": 1}
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatabaseFileError, match="no photos"):
        people_in_folder(tmp_path / "empty")


def test_save_cleans_up_what_a_killed_save_left(database, tmp_path):
    import os
    import time

    stale = tmp_path / ".office.npz.abc123.tmp"
    fresh = tmp_path / ".office.npz.def456.tmp"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"another process saving now")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    database.save(tmp_path / "office.npz")
    assert not stale.exists() and fresh.exists()
