"""The bad-input matrix (``bad_inputs.py``) through the core, the command line and the app.

For every kind: the core encodes it or raises the project's error with a one-sentence message;
``python -m facedemo`` says it on one ``error:`` line with exit code 1 (or succeeds); the Verify
page shows the sentence (or the verdict) and never a traceback; nothing saved before is damaged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facedemo.errors import DatabaseFileError, InvalidNameError, NoFaceFoundError, UnknownPersonError
from facedemo.people.database import FaceDatabase
from tests.bad_inputs import DATABASES, KINDS, NAMES, build_all, office
from tests.test_app_pages import SAME, app, enrol_from_gallery, metric, open_verify, page, table, texts  # noqa: F401 - app is a fixture
from tests.test_cli import run

AT_THE_DOOR = "Photo at the door: "
REACHES_DETECTION = [kind for kind, spec in KINDS.items() if not spec.before_model]


@pytest.fixture(scope="module")
def files(tmp_path_factory, photo) -> dict[str, Path]:
    return build_all(photo, tmp_path_factory.mktemp("kinds"))


@pytest.fixture(scope="module")
def upright(encoder, photo) -> np.ndarray:
    """The encoding of the photo every readable kind is made from."""
    return encoder.encode(photo("val", "madonna", 0)).vector


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# --- photos: the core ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_core(kind, files, encoder, upright):
    spec = KINDS[kind]
    if spec.error:
        with pytest.raises(spec.error) as caught:
            encoder.encode(files[kind])
        message = str(caught.value)
        assert all(words in message for words in spec.words), message
        assert "\n" not in message
        return
    encoding = encoder.encode(files[kind])
    # the same face was found and encoded (the EXIF-rotated one only if it was turned upright first)
    assert float(np.linalg.norm(encoding.vector - upright)) < 0.5
    assert encoding.prepared.note == spec.note
    assert max(encoding.prepared.rgb.shape[:2]) <= 2000  # the 8000×6000 photo is worked on at 2000×1500


# --- photos: the command line -------------------------------------------------------------------
@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind not in REACHES_DETECTION])
def test_cli_refuses_before_loading_a_model(kind, files):
    result = run("encode", str(files[kind]))
    errors = error_lines(result.stderr)
    assert result.returncode == 1 and not result.stdout
    assert len(errors) == 1 and all(words in errors[0] for words in KINDS[kind].words), errors


@pytest.fixture(scope="module")
def cli_batch(files):
    """One ``encode --json`` over every kind that reaches face detection (one model load)."""
    result = run("--json", "encode", *(str(files[kind]) for kind in REACHES_DETECTION))
    return result, json.loads(result.stdout)


@pytest.mark.parametrize("kind", REACHES_DETECTION)
def test_cli_encodes_or_says_there_is_no_face(kind, files, cli_batch):
    result, answer = cli_batch
    spec, path = KINDS[kind], str(files[kind])
    assert result.returncode == 1  # the batch holds the photo without a face
    if spec.error:
        assert spec.error is NoFaceFoundError
        [reason] = [failure["reason"] for failure in answer["failed"] if failure["image"] == path]
        assert all(words in reason for words in spec.words)
        assert error_lines(result.stderr) == [f"error: {reason}"]
    else:
        [encoded] = [entry for entry in answer["encodings"] if entry["image"] == path]
        assert len(encoded["encoding"]) == 128 and encoded["note"] == spec.note


# --- photos: the app ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def door(gallery_dir):
    """One session on Verify, photo A from an upload, photo B the default train/madonna/1."""
    at = open_verify()
    at.radio(key="a_from").set_value("upload").run()
    return at


@pytest.mark.parametrize("kind", list(KINDS))
def test_app(kind, files, door):
    spec = KINDS[kind]
    door.file_uploader(key="a_upload").clear().upload(spec.file_name, files[kind].read_bytes(), "application/octet-stream")
    door.run()
    assert not door.exception, [e.value for e in door.exception]
    if spec.error:
        alerts = texts(door.warning if spec.error is NoFaceFoundError else door.error)
        assert any(text.startswith(AT_THE_DOOR) and all(w in text for w in spec.words) for text in alerts), alerts
        assert not door.success  # no verdict from a photo that could not be used
    else:
        assert any(SAME in text for text in texts(door.success)), texts(door.error)
        assert not spec.note or any(spec.note in text for text in texts(door.info))


# --- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(NAMES))
def test_name_core(kind):
    spec, database = NAMES[kind], office()
    database.add("madonna", np.eye(128, dtype=np.float32)[0])
    before = {name: len(photos) for name, photos in database.people.items()}
    if spec.words:
        with pytest.raises(InvalidNameError, match=spec.words.replace("(", r"\(").replace(")", r"\)")):
            database.add(spec.text, np.eye(128, dtype=np.float32)[1])
        assert {name: len(photos) for name, photos in database.people.items()} == before
    else:
        assert database.add(spec.text, np.eye(128, dtype=np.float32)[1]) == spec.text
        assert len(database.people[spec.text]) == before.get(spec.text, 0) + 1


@pytest.fixture
def saved_office(tmp_path) -> tuple[Path, bytes]:
    path = office().save(tmp_path / "office.npz")
    return path, path.read_bytes()


def person_folder(root: Path, name: str, photo_file: Path) -> Path:
    (root / name).mkdir(parents=True)
    (root / name / photo_file.name).write_bytes(photo_file.read_bytes())
    return root


@pytest.mark.parametrize("kind", [kind for kind, spec in NAMES.items() if spec.words and spec.folder])
def test_name_cli_bad_folder_name_is_refused_before_encoding(kind, tmp_path, saved_office, photo):
    path, before = saved_office
    folder = person_folder(tmp_path / "people", NAMES[kind].text, photo("val", "madonna", 1))
    result = run("enrol", str(folder), "--db", str(path))
    errors = error_lines(result.stderr)
    assert result.returncode == 1 and len(errors) == 1
    assert "cannot be a person's name" in errors[0] and NAMES[kind].words in errors[0]
    assert path.read_bytes() == before


def test_name_cli_emoji_and_duplicate_names_are_enrolled(tmp_path, photo, encoder):
    path = tmp_path / "office.npz"
    database = FaceDatabase("aligned")
    database.enrol("madonna", [photo("train", "madonna", 0)], encoder)
    database.save(path)
    folder = person_folder(tmp_path / "second", "🦄 Unicorn", photo("val", "mindy_kaling", 0))
    person_folder(folder, "madonna", photo("val", "madonna", 1))
    result = run("enrol", str(folder), "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert "🦄 Unicorn: 1 photo(s) enrolled" in result.stdout
    assert "madonna: 1 photo(s) enrolled (madonna was already in the database; 2 photos now)" in result.stdout
    assert FaceDatabase.load(path).names == ["madonna", "🦄 Unicorn"]


@pytest.mark.parametrize("kind", list(NAMES))
def test_name_app(kind, app):
    spec = NAMES[kind]
    page(app, "app_pages/people.py")
    people, photos = metric(app, "People"), metric(app, "Enrolled photos")
    madonna = len(app.session_state["database"].people["madonna"])
    enrol_from_gallery(app, spec.text, ["val/madonna/2"])
    assert not app.exception
    if spec.words:
        assert any(spec.words in text for text in texts(app.error)), texts(app.error)
        assert (metric(app, "People"), metric(app, "Enrolled photos")) == (people, photos)  # nothing changed
    elif spec.text == "madonna":
        expected = f"madonna was already enrolled: added 1 photo to theirs ({madonna + 1} in all)."
        assert any(expected in text for text in texts(app.success)), texts(app.success)
        assert metric(app, "People") == people
    else:
        assert any(f"Enrolled {spec.text} with 1 photo." in text for text in texts(app.success))
        assert spec.text in list(table(app, "people_table")["name"])


# --- database files, empty database, unknown claimed name ---------------------------------------------
@pytest.mark.parametrize("kind", list(DATABASES))
def test_database_file_core(kind):
    build, words = DATABASES[kind]
    with pytest.raises(DatabaseFileError, match=words.replace("(", r"\(")):
        FaceDatabase.from_bytes(build(), name="'office.npz'")


@pytest.mark.parametrize("kind", list(DATABASES))
def test_database_file_cli_refuses_and_leaves_the_file_alone(kind, tmp_path, photo):
    build, words = DATABASES[kind]
    path = tmp_path / "office.npz"
    path.write_bytes(build())
    folder = person_folder(tmp_path / "people", "ada", photo("val", "madonna", 1))
    for command in (["who", str(photo("val", "madonna", 1))], ["enrol", str(folder)]):
        result = run(*command, "--db", str(path))
        errors = error_lines(result.stderr)
        assert result.returncode == 1 and len(errors) == 1 and words in errors[0], (command, result.stderr)
    assert path.read_bytes() == build()  # enrol did not "repair" the file by overwriting it


@pytest.mark.parametrize("kind", list(DATABASES))
def test_database_file_app_refuses_and_keeps_the_session_database(kind, app):
    build, words = DATABASES[kind]
    page(app, "app_pages/people.py")
    before = (metric(app, "People"), metric(app, "Enrolled photos"))
    app.file_uploader(key="people_load").upload("office.npz", build(), "application/octet-stream").run()
    app.button(key="people_load_button").click().run()
    assert not app.exception
    assert any(text.startswith("Cannot load: 'office.npz'") and words in text for text in texts(app.error)), texts(app.error)
    assert (metric(app, "People"), metric(app, "Enrolled photos")) == before


def test_empty_database_everywhere(tmp_path, photo, app):
    empty = FaceDatabase("aligned")
    assert empty.identify(np.eye(128, dtype=np.float32)[0]) == (float("inf"), None)
    with pytest.raises(UnknownPersonError, match="enrolled: nobody yet"):
        empty.verify(np.eye(128, dtype=np.float32)[0], "madonna")

    path = empty.save(tmp_path / "empty.npz")
    for command, words in ((["who", str(photo("val", "madonna", 1))], "is empty; enrol people first"),
                           (["verify", str(photo("val", "madonna", 1)), "--as", "madonna"],
                            "'madonna' is not in the database (enrolled: nobody yet)")):
        result = run(*command, "--db", str(path))
        errors = error_lines(result.stderr)
        assert result.returncode == 1 and len(errors) == 1 and words in errors[0], result.stderr

    page(app, "app_pages/people.py")
    app.file_uploader(key="people_load").upload("empty.npz", path.read_bytes(), "application/octet-stream").run()
    app.button(key="people_load_button").click().run()
    assert any("Loaded empty.npz: 0 people, 0 photos." in text for text in texts(app.success))
    for where in ("app_pages/recognise.py", "app_pages/verify.py"):
        page(app, where)
        if where.endswith("verify.py"):
            app.radio(key="verify_with").set_value("name").run()
        assert any("The database is empty: enrol someone on the People page first." in t for t in texts(app.warning))
        assert not app.exception and not app.success


def test_claimed_name_not_in_the_database(tmp_path, photo, gallery_dir):
    with pytest.raises(UnknownPersonError, match="'nobody' is not in the database"):
        office().verify(np.eye(128, dtype=np.float32)[0], "nobody")
    path = office().save(tmp_path / "office.npz")
    result = run("verify", str(photo("val", "madonna", 1)), "--as", "nobody", "--db", str(path))
    errors = error_lines(result.stderr)
    assert result.returncode == 1 and errors == [
        "error: 'nobody' is not in the database (enrolled: person0, person1, person2)"]

    at = open_verify(a="val/madonna/1", claim="nobody")
    assert any("'nobody' is not in the database; choose one of the 5 people enrolled." in t for t in texts(at.warning))
    assert at.radio(key="verify_with").value == "name" and not at.exception
