"""Every face of a group photo named: the core, the CLI ``who --json`` and the Recognise page.

The group photo is composed from real gallery photos of three people (val photos side by side);
two of them are enrolled from their train photos, the third is not.
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from facedemo.encoding.every_face import MIN_FACE_SIDE, encode_every_face
from facedemo.people.database import FaceDatabase
from facedemo.people.group import NOT_IN_DATABASE, name_every_face
from tests.test_app_pages import app, page, table, texts  # noqa: F401 - app is a fixture
from tests.test_cli import run

GROUP = ("madonna", "elton_john", "jerry_seinfeld")  # left to right
ENROLLED = GROUP[:2]
HEIGHT = 400


def compose(photos: list[Image.Image], *, small: Image.Image | None = None) -> bytes:
    """The photos side by side at one height as JPEG bytes; ``small`` pasted in the bottom right corner."""
    photos = [p.convert("RGB").resize((round(p.width * HEIGHT / p.height), HEIGHT)) for p in photos]
    canvas = Image.new("RGB", (sum(p.width for p in photos), HEIGHT), "white")
    x = 0
    for picture in photos:
        canvas.paste(picture, (x, 0))
        x += picture.width
    if small is not None:
        canvas.paste(small.convert("RGB"), (canvas.width - small.width - 5, HEIGHT - small.height - 5))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def group_photo(photo) -> bytes:
    return compose([Image.open(photo("val", person, 0)) for person in GROUP])


@pytest.fixture(scope="module")
def two_people(encoder, photo) -> FaceDatabase:
    """madonna and elton_john, three train photos each."""
    database = FaceDatabase("aligned")
    for person in ENROLLED:
        database.enrol(person, [photo("train", person, i) for i in range(3)], encoder)
    return database


def left_to_right(named):
    return sorted(named, key=lambda n: n.face.box[0])


def test_every_face_is_encoded_largest_first(encoder, group_photo):
    photo = encode_every_face(encoder, group_photo)
    assert len(photo.faces) == 3
    areas = [face.box[2] * face.box[3] for face in photo.faces]
    assert areas == sorted(areas, reverse=True)
    assert all(face.vector is not None and face.vector.shape == (128,) and not face.too_small for face in photo.faces)
    assert all(face.crop.shape == (160, 160, 3) for face in photo.faces)
    # the largest face is the one a single-face encoding uses
    single = encoder.encode(group_photo)
    assert single.prepared.face.box == photo.faces[0].box
    assert abs(float(single.vector @ photo.faces[0].vector) - 1.0) < 1e-5


def test_the_two_enrolled_are_named_and_the_third_is_not_in_the_database(encoder, group_photo, two_people):
    named = left_to_right(name_every_face(encode_every_face(encoder, group_photo).faces, two_people))
    assert [n.identity for n in named] == ["madonna", "elton_john", None]
    threshold = two_people.threshold()
    for n in named[:2]:
        assert n.distance < threshold and n.message.startswith(f"it's {n.identity}, the distance is")
    assert named[2].message == NOT_IN_DATABASE and named[2].distance >= threshold


def test_a_face_too_small_is_marked_never_guessed(encoder, group_photo, photo, two_people):
    tiny = Image.open(photo("val", "madonna", 0))  # enrolled: big, she is named
    tiny = tiny.resize((round(tiny.width * 100 / tiny.height), 100))
    composed = compose([Image.open(photo("val", person, 0)) for person in GROUP], small=tiny)
    named = name_every_face(encode_every_face(encoder, composed).faces, two_people)
    assert len(named) == 4
    small = named[-1]  # the smallest comes last
    assert small.too_small and min(small.face.box[2:]) < MIN_FACE_SIDE
    assert small.face.vector is None and small.identity is None and small.distance is None
    assert small.message.startswith("Too small to recognise")
    assert [n.identity for n in left_to_right(named[:3])] == ["madonna", "elton_john", None]


def test_the_course_recipe_answers_for_the_whole_photo(encoder, group_photo):
    photo = encode_every_face(encoder, group_photo, "course")
    assert len(photo.faces) == 1 and photo.faces[0].box is None and photo.faces[0].vector is not None


def test_cli_who_json_names_every_face(tmp_path, group_photo, two_people):
    db, image = two_people.save(tmp_path / "two.npz"), tmp_path / "group.jpg"
    image.write_bytes(group_photo)
    result = run("who", str(image), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    faces = json.loads(result.stdout)["faces"]
    assert len(faces) == 3
    assert [f["box"][2] * f["box"][3] for f in faces] == sorted((f["box"][2] * f["box"][3] for f in faces), reverse=True)
    by_position = sorted(faces, key=lambda f: f["box"][0])
    assert [f["identity"] for f in by_position] == ["madonna", "elton_john", None]
    assert by_position[2]["message"] == "Not in the database." and by_position[2]["nearest"] in ENROLLED
    assert all(isinstance(f["distance"], float) and f["too_small"] is False for f in faces)

    text = run("who", str(image), "--db", str(db))
    lines = text.stdout.splitlines()
    assert len(lines) == 4 and sum(line.startswith("Not in the database.") for line in lines) == 1
    k_line = f"threshold {FaceDatabase.load(db).identify_threshold():.2f} (mean) against K = 2 people; about "
    assert lines[-1].startswith(k_line) and lines[-1].endswith("of strangers would be taken for someone")
    answer = json.loads(result.stdout)
    assert (answer["k"], answer["threshold"], answer["threshold_from"]) == (2, FaceDatabase.load(db).identify_threshold(),
                                                                           "the database's size")
    assert 0 < answer["stranger_chance"] < 0.01
    assert any(line.startswith("it's madonna, the distance is") for line in lines)


def test_recognise_page_names_every_face(app, group_photo, two_people, photo):
    page(app, "app_pages/people.py")
    app.file_uploader(key="people_load").upload("two.npz", two_people.to_bytes(), "application/octet-stream").run()
    app.button(key="people_load_button").click().run()
    page(app, "app_pages/recognise.py")
    app.radio(key="q_from").set_value("upload").run()
    app.file_uploader(key="q_upload").upload("group.jpg", group_photo, "image/jpeg").run()
    assert not app.exception, [e.value for e in app.exception]
    faces = table(app, "recognise_faces")
    assert list(faces.sort_values("left")["name"]) == ["madonna", "elton_john", "Not in the database"]
    assert "**3 faces** in the photo: 2 named, 1 not in the database." in texts(app.markdown)
    captions = [caption for image in app.image for caption in image.captions]
    for words in ("madonna · 0.", "elton_john · 0.", "Not in the database · 1."):
        assert sum(words in caption for caption in captions) == 1, (words, captions)
    assert "Everyone in the database, nearest first" not in texts(app.subheader)  # no single-face lesson here

    tiny = Image.open(photo("val", "madonna", 0))
    tiny = tiny.resize((round(tiny.width * 100 / tiny.height), 100))
    with_tiny = compose([Image.open(photo("val", person, 0)) for person in GROUP], small=tiny)
    app.file_uploader(key="q_upload").upload("group and a tiny face.jpg", with_tiny, "image/jpeg").run()
    faces = table(app, "recognise_faces")
    assert list(faces["name"])[-1] == "too small" and faces["distance"].isna().iloc[-1]
    assert any("1 too small to recognise" in text for text in texts(app.markdown))


def test_the_distance_matrix_adds_each_face_of_a_group_photo_as_its_own_entry(app, group_photo, photo):
    page(app, "app_pages/matrix.py")
    app.multiselect(key="matrix_photos").set_value(["train/madonna/1"]).run()
    app.file_uploader(key="matrix_uploads").upload("group.jpg", group_photo, "image/jpeg").run()
    assert not app.exception, [e.value for e in app.exception]
    assert seen_caption(app, "4 × 4 distances between 4 photos")  # one gallery photo and three faces

    tiny = Image.open(photo("val", "madonna", 0))
    tiny = tiny.resize((round(tiny.width * 100 / tiny.height), 100))
    with_tiny = compose([Image.open(photo("val", person, 0)) for person in GROUP], small=tiny)
    app.file_uploader(key="matrix_uploads").upload("with a tiny face.jpg", with_tiny, "image/jpeg").run()
    assert seen_caption(app, "4 × 4 distances between 4 photos"), "the tiny face is left out, not guessed"
    assert seen_caption(app, "Upload: with a tiny face.jpg · face 4")


def seen_caption(at, words: str) -> bool:
    return any(words in caption for caption in texts(at.caption))


def test_a_webcam_shot_of_three_people_names_every_face(app, group_photo, two_people):
    """The webcam gives Recognise the same bytes an upload does: three faces, two named, one not in the database."""
    page(app, "app_pages/people.py")
    app.file_uploader(key="people_load").upload("two.npz", two_people.to_bytes(), "application/octet-stream").run()
    app.button(key="people_load_button").click().run()
    page(app, "app_pages/recognise.py")
    app.radio(key="q_from").set_value("webcam").run()
    app.camera_input(key="q_camera").upload("webcam.jpg", group_photo, "image/jpeg").run()
    assert not app.exception, [e.value for e in app.exception]
    faces = table(app, "recognise_faces")
    assert list(faces.sort_values("left")["name"]) == ["madonna", "elton_john", "Not in the database"]
