"""Class rooms in the core (no Streamlit, no model): codes, limits, tokens, ending, idle expiry, separation.

Encodings here are seeded random unit vectors and crops are flat grey squares: the room only keeps
and compares them. The app tests (tests/test_class_page.py) enrol real photos through the real model.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from facedemo.classroom import (
    ALPHABET,
    CODE_LENGTH,
    IDLE_SECONDS,
    MAX_PEOPLE,
    MAX_PHOTOS,
    ClassRegistry,
    clean_code,
    look_alikes,
    new_code,
)
from facedemo.classroom import calibrate_class, rooms
from facedemo.errors import (
    ClassFullError,
    ClassRoomError,
    FacedemoError,
    InvalidNameError,
    NotYourEntryError,
    UnknownClassError,
)

RNG = np.random.default_rng(12)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def unit(d: int = 128, rng=RNG) -> np.ndarray:
    v = rng.normal(size=d).astype(np.float32)
    return v / np.linalg.norm(v)


def crop(value: int = 128) -> np.ndarray:
    return np.full((160, 160, 3), value, np.uint8)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def registry(clock):
    return ClassRegistry(clock=clock)


@pytest.fixture
def room(registry):
    room, _ = registry.start("facenet", "aligned")
    return room


# --- codes ------------------------------------------------------------------------------------
def test_codes_use_only_unambiguous_characters_and_are_unique():
    assert not set("0O1IL") & set(ALPHABET)
    codes = [new_code() for _ in range(2000)]
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert len(set(codes)) == len(codes)  # 31**6 codes: 2000 draws collide with odds ~2e-3; seeded by secrets
    taken = {"AAAAAA"}
    assert new_code(taken) != "AAAAAA"


def test_rooms_of_one_registry_never_share_a_code(registry):
    codes = {registry.start("facenet", "aligned")[0].code for _ in range(registry.max_classes)}
    assert len(codes) == registry.max_classes


def test_a_typed_code_is_cleaned_and_a_wrong_one_is_a_sentence():
    assert clean_code(" k7q-mpx ") == "K7QMPX"
    for bad in ("", "K7QMP", "K7QMPXX", "K0QMPX", "../etc", "🙂🙂🙂🙂🙂🙂"):
        with pytest.raises(UnknownClassError, match="is not a class code: a code has 6 letters and digits"):
            clean_code(bad)


def test_an_unknown_code_says_so(registry):
    with pytest.raises(UnknownClassError, match="there is no class with the code ABCDEF: check the code"):
        registry.get("abcdef")


# --- enrolling, tokens ------------------------------------------------------------------------
def test_a_student_enrols_up_to_three_photos_and_the_same_photo_is_kept_once(room):
    first = room.enrol("Ada", unit(), crop(), sha256="a1")
    assert first.added and first.photos == 1 and first.name == "Ada"
    again = room.enrol("ignored", unit(), crop(), sha256="a1", student_id=first.student_id, token=first.token)
    assert not again.added and again.photos == 1
    for k, sha in enumerate(("a2", "a3"), start=2):
        assert room.enrol("", unit(), crop(), sha256=sha, student_id=first.student_id, token=first.token).photos == k
    with pytest.raises(ClassFullError, match=f"Ada already has {MAX_PHOTOS} photos, the most a student can enrol"):
        room.enrol("", unit(), crop(), sha256="a4", student_id=first.student_id, token=first.token)
    (ada,) = room.students()
    assert ada.name == "Ada" and len(ada.photos) == MAX_PHOTOS
    assert not hasattr(ada, "token")


def test_tokens_are_secret_per_student_and_checked(room):
    ada = room.enrol("Ada", unit(), crop(), sha256="a")
    bob = room.enrol("Bob", unit(), crop(), sha256="b")
    assert ada.token != bob.token and len(ada.token) >= 32
    with pytest.raises(NotYourEntryError, match="only the student who made this entry"):
        room.remove(ada.student_id, token=bob.token)
    with pytest.raises(NotYourEntryError):
        room.enrol("", unit(), crop(), sha256="x", student_id=ada.student_id, token=bob.token)
    for wrong in (None, "", ada.token[:-1], ada.token + "x", 12, "é" * 32):
        with pytest.raises(NotYourEntryError):
            room.remove(ada.student_id, token=wrong)
    with pytest.raises(NotYourEntryError):  # an id that is not there tells nothing more
        room.remove("nobody", token=ada.token)
    assert [s.name for s in room.students()] == ["Ada", "Bob"]
    assert room.remove(ada.student_id, token=ada.token) == "Ada"
    assert [s.name for s in room.students()] == ["Bob"]


def test_the_token_check_is_a_constant_time_compare(room, monkeypatch):
    seen = []
    real = rooms.hmac.compare_digest
    monkeypatch.setattr(rooms.hmac, "compare_digest", lambda a, b: seen.append((a, b)) or real(a, b))
    ada = room.enrol("Ada", unit(), crop())
    room.remove(ada.student_id, token=ada.token)
    assert seen and all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in seen)


def test_the_instructor_removes_anyone_and_ends_the_class(registry):
    room, instructor = registry.start("facenet", "aligned")
    ada = room.enrol("Ada", unit(), crop())
    room.enrol("Bob", unit(), crop())
    assert room.remove(ada.student_id, token=instructor) == "Ada"
    with pytest.raises(NotYourEntryError, match="only the instructor who started this class can end it"):
        room.end(token=ada.token)
    registry.end(room.code, token=instructor)
    assert room.ended
    with pytest.raises(UnknownClassError, match=f"there is no class with the code {room.code} any more"):
        room.students()
    with pytest.raises(UnknownClassError):
        registry.get(room.code)
    assert room._entries == {}  # ending drops every encoding and crop at once
    assert len(registry) == 0


def test_take_over_hands_the_instructor_token_again(registry):
    room, instructor = registry.start("facenet", "aligned")
    same, token = registry.take_over(room.code.lower())
    assert same is room and token == instructor
    registry.end(room.code, token=token)
    with pytest.raises(UnknownClassError):
        registry.take_over(room.code)


def test_names_are_checked_and_unique_in_a_class_whatever_the_case(room):
    room.enrol("  Zoë 🙂 ", unit(), crop())
    with pytest.raises(ClassRoomError, match="someone in this class is already called 'zoë 🙂'"):
        room.enrol("zoë 🙂", unit(), crop())
    with pytest.raises(InvalidNameError, match="a name cannot be empty"):
        room.enrol("   ", unit(), crop())
    assert [s.name for s in room.students()] == ["Zoë 🙂"]


def test_bad_encodings_and_crops_are_refused_in_a_sentence(registry):
    room, _ = registry.start("facenet", "aligned")
    with pytest.raises(ClassRoomError, match="this class holds encodings of .* \\(128 numbers\\), not 512 numbers"):
        room.enrol("Ada", unit(512), crop())
    with pytest.raises(ClassRoomError, match="not 128 numbers"):  # NaN: not a usable encoding either
        room.enrol("Ada", np.full(128, np.nan, np.float32), crop())
    with pytest.raises(ClassRoomError, match="face crops of 160×160 pixels, not of shape \\(80, 80, 3\\)"):
        room.enrol("Ada", unit(), np.zeros((80, 80, 3), np.uint8))
    assert len(room) == 0


def test_kept_arrays_are_copies_that_nobody_can_change(room):
    vector, picture = unit(), crop(7)
    room.enrol("Ada", vector, picture)
    vector[:] = 0
    picture[:] = 0
    (photo,) = room.students()[0].photos
    assert np.linalg.norm(photo.vector) == pytest.approx(1.0) and photo.crop[0, 0, 0] == 7
    with pytest.raises(ValueError):
        photo.crop[0, 0, 0] = 1


# --- limits -----------------------------------------------------------------------------------
def test_a_class_holds_at_most_200_people(room):
    for k in range(MAX_PEOPLE):
        room.enrol(f"student {k}", unit(), crop())
    with pytest.raises(ClassFullError, match="this class is full: it holds at most 200 people"):
        room.enrol("one too many", unit(), crop())
    assert len(room) == MAX_PEOPLE
    assert len(room.photos()) == MAX_PEOPLE


def test_a_server_holds_a_bounded_number_of_classes(clock):
    registry = ClassRegistry(max_classes=3, clock=clock)
    started = [registry.start("facenet", "aligned") for _ in range(3)]
    with pytest.raises(ClassFullError, match="this server already runs 3 classes, the most it holds"):
        registry.start("facenet", "aligned")
    registry.end(started[0][0].code, token=started[0][1])
    registry.start("facenet", "aligned")  # an ended class frees its place
    assert len(registry) == 3


def test_the_memory_bound_in_the_docstring_holds():
    per_photo = 160 * 160 * 3 + 512 * 4  # the crop and the largest encoding (CASIA, 512 float32)
    per_room = MAX_PEOPLE * MAX_PHOTOS * per_photo
    assert per_room / 1e6 == pytest.approx(47.3, abs=0.1)
    assert rooms.MAX_CLASSES * per_room / 1e6 == pytest.approx(473, abs=1)
    assert "≈ 47 MB" in rooms.__doc__ and "≈ 473 MB" in rooms.__doc__


# --- idle expiry ------------------------------------------------------------------------------
def test_a_class_ends_after_four_idle_hours_and_a_change_keeps_it_alive(registry, clock):
    room, instructor = registry.start("facenet", "aligned")
    ada = room.enrol("Ada", unit(), crop())
    clock.now += IDLE_SECONDS - 1
    room.enrol("Bob", unit(), crop())  # a change: the four hours start again
    clock.now += IDLE_SECONDS - 1
    room.students()  # looking does not count as a change
    assert registry.get(room.code) is room
    clock.now += 2
    with pytest.raises(UnknownClassError, match="nobody joined or changed anything for 4 hours"):
        room.remove(ada.student_id, token=ada.token)
    assert room._entries == {}
    with pytest.raises(UnknownClassError):
        registry.get(room.code)
    assert len(registry) == 0


def test_an_idle_class_frees_its_place_on_the_server(clock):
    registry = ClassRegistry(max_classes=1, clock=clock)
    registry.start("facenet", "aligned")
    clock.now += IDLE_SECONDS + 1
    room, _ = registry.start("facenet", "aligned")
    assert len(registry) == 1 and registry.get(room.code) is room


# --- separation, views ------------------------------------------------------------------------
def test_two_classes_never_see_each_other(registry):
    one, one_instructor = registry.start("facenet", "aligned")
    two, two_instructor = registry.start("facenet", "aligned")
    ada = one.enrol("Ada", unit(), crop())
    two.enrol("Ada", unit(), crop())  # the same name in another class is another person
    assert [s.name for s in one.students()] == ["Ada"] and len(two) == 1
    with pytest.raises(NotYourEntryError):  # another class's instructor token means nothing here
        one.remove(ada.student_id, token=two_instructor)
    with pytest.raises(NotYourEntryError):
        two.end(token=one_instructor)
    registry.end(one.code, token=one_instructor)
    assert [s.name for s in registry.get(two.code).students()] == ["Ada"]


def test_photos_and_database_views_hold_the_encodings_without_encoding_again(registry):
    room, _ = registry.start("casia", "aligned")
    empty = room.photos()
    assert len(empty) == 0 and empty.vectors.shape == (0, 512)
    ada = room.enrol("Ada", unit(512), crop(), sha256="1")
    room.enrol("", unit(512), crop(), sha256="2", student_id=ada.student_id, token=ada.token)
    bob = room.enrol("Bob", unit(512), crop(), sha256="3")
    photos = room.photos()
    assert photos.ids == [f"{ada.student_id}/1", f"{ada.student_id}/2", f"{bob.student_id}/1"]
    assert photos.names == ["Ada · photo 1", "Ada · photo 2", "Bob · photo 1"]
    assert photos.labels == ["Ada", "Ada", "Bob"] and photos.vectors.shape == (3, 512)
    database = room.database()
    assert database.names == ["Ada", "Bob"] and database.network == "casia" and database.vectors("Ada").shape == (2, 512)


def test_look_alikes_are_the_closest_pairs_of_different_students():
    registry = ClassRegistry()
    room, _ = registry.start("facenet", "aligned")
    e = np.eye(128, dtype=np.float32)
    close = (e[0] + 0.1 * e[1]) / np.linalg.norm(e[0] + 0.1 * e[1])
    ada = room.enrol("Ada", e[0], crop(), sha256="a1")
    room.enrol("", e[2], crop(), sha256="a2", student_id=ada.student_id, token=ada.token)
    room.enrol("Bob", close, crop())
    cy = (e[2] + 0.5 * e[3]) / np.linalg.norm(e[2] + 0.5 * e[3])
    room.enrol("Cy", cy, crop())
    photos = room.photos()  # rows: Ada e0, Ada e2, Bob ~e0, Cy ~e2
    pairs = look_alikes(photos, limit=2)
    assert [(p.name_a, p.name_b) for p in pairs] == [("Ada", "Bob"), ("Ada", "Cy")]
    assert pairs[0].distance == pytest.approx(np.linalg.norm(e[0] - close), abs=1e-6)  # Ada's nearer photo
    assert (pairs[0].row_a, pairs[0].row_b) == (0, 2)
    assert pairs[1].distance == pytest.approx(np.linalg.norm(e[2] - cy), abs=1e-6)  # Ada's other photo
    assert (pairs[1].row_a, pairs[1].row_b) == (1, 3)
    assert len(look_alikes(photos, limit=10)) == 3  # three students: three pairs, never a student with themself
    one = ClassRegistry().start("facenet", "aligned")[0]
    one.enrol("Solo", e[0], crop())
    assert look_alikes(one.photos()) == []
    with pytest.raises(ValueError, match="limit must be at least 1, not 0"):
        look_alikes(photos, limit=0)


def test_many_students_enrolling_at_once_are_all_kept(room):
    """One lock: 8 threads × 20 students, every entry arrives once, with its own token."""
    errors: list[Exception] = []

    def join(t: int) -> None:
        rng = np.random.default_rng(t)
        for k in range(20):
            try:
                room.enrol(f"t{t} s{k}", unit(rng=rng), crop())
            except FacedemoError as error:  # pragma: no cover - would fail the test below
                errors.append(error)

    threads = [threading.Thread(target=join, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    students = room.students()
    assert len(students) == 160 and len({s.id for s in students}) == 160
    assert len({e.token for e in room._entries.values()}) == 160


def test_the_class_threshold_sits_between_its_pairs_and_says_when_it_cannot():
    room = ClassRegistry().start("facenet", "aligned")[0]
    e = np.eye(128, dtype=np.float32)
    assert calibrate_class(room.photos()).threshold is None
    ada = room.enrol("Ada", e[0], crop(), sha256="1")
    room.enrol("Bob", e[1], crop(), sha256="2")
    nobody_twice = calibrate_class(room.photos())
    assert nobody_twice.threshold is None and (nobody_twice.genuine_pairs, nobody_twice.impostor_pairs) == (0, 1)
    near = (e[0] + 0.2 * e[2]) / np.linalg.norm(e[0] + 0.2 * e[2])  # Ada again, 0.198 from her first photo
    room.enrol("", near, crop(), sha256="3", student_id=ada.student_id, token=ada.token)
    found = calibrate_class(room.photos())
    assert (found.genuine_pairs, found.impostor_pairs, found.students_with_two) == (1, 2, 1)
    genuine = float(np.linalg.norm(e[0] - near))
    impostor = min(float(np.linalg.norm(e[1] - near)), float(np.sqrt(2)))
    assert genuine < found.threshold < impostor  # in the gap: every pair decided right
    assert found.accuracy == 1.0 and found.few
