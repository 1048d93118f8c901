"""Class rooms: a class's own faces, in the server's memory only, keyed by a short join code.

An instructor starts a class (:meth:`ClassRegistry.start`) and gets a room with a join code such as
``"K7QMPX"`` and an instructor token. Students join with the code: each enrols a name (or nickname)
with 1 to :data:`MAX_PHOTOS` photos, and gets a secret token for their own entry. The analysis pages
read the room's encodings (:meth:`ClassRoom.photos`, :meth:`ClassRoom.database`); they never encode
again.

Who may do what
---------------
- A student changes or removes only their own entry: every change needs the entry's token
  (:func:`secrets.token_urlsafe`), compared in constant time (:func:`hmac.compare_digest`).
- The instructor token (given to whoever started the class, and again by :meth:`ClassRegistry.take_over`
  to an instructor whose browser lost it) removes anyone and ends the class. Whether a session may
  start a class or take one over is the app's instructor passcode (``ui/instructor.py``).
- Rooms never see each other: every call goes through one room, found by its code.

Limits and memory
-----------------
A room holds at most :data:`MAX_PEOPLE` students with at most :data:`MAX_PHOTOS` photos each; a
server holds at most :data:`MAX_CLASSES` rooms. A photo keeps only its encoding (d float32: 512 B
for FaceNet's 128 numbers, 2 KB for CASIA's 512) and its 160×160×3 uint8 crop (76,800 B), never
the photo. So one full room holds at most 200 × 3 × (76,800 + 2,048) B ≈ 47 MB, and a full
server at most 10 × 47 MB ≈ 473 MB (plus names and tokens, a few kB).

How long
--------
A room ends when the instructor ends it (:meth:`ClassRoom.end`), or after :data:`IDLE_SECONDS`
(4 hours) without a change (a start, an enrolment, a removal; looking does not count). Ending
drops every entry at once; an ended room answers every call with :class:`UnknownClassError`, the
same sentence as a code that never existed, and its code is not remembered.

Nothing here writes to disk or to a log, and nothing prints a token.

Thread safety: one lock per registry, shared by its rooms, guards every read and change.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from facedemo.encoding.networks import NETWORKS, get_network
from facedemo.encoding.recipes import get_recipe
from facedemo.errors import ClassFullError, ClassRoomError, NotYourEntryError, UnknownClassError
from facedemo.people.database import FaceDatabase, clean_name

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits of a join code: no 0/O, 1/I/L, so a code read off a projector is typed right."""
CODE_LENGTH = 6
"""31⁶ ≈ 887 million codes: guessing a running class's code is hopeless."""
MAX_PEOPLE = 200
MAX_PHOTOS = 3
MAX_CLASSES = 10
"""Rooms per server; with :data:`MAX_PEOPLE` and :data:`MAX_PHOTOS` it bounds the memory (≈ 473 MB)."""
IDLE_SECONDS = 4 * 3600.0
CROP_SHAPE = (160, 160, 3)
_CODE_PATTERN = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")


def new_code(taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A fresh join code from :data:`ALPHABET` (:mod:`secrets`), not one of ``taken``."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


def clean_code(text: str) -> str:
    """A typed join code as it is stored: spaces and dashes dropped, upper case.

    Raises
    ------
    UnknownClassError
        When the text cannot be a code, naming it and what a code looks like.
    """
    code = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(text))).upper()
    if not _CODE_PATTERN.fullmatch(code):
        raise UnknownClassError(
            f"'{str(text)[:20]}' is not a class code: a code has {CODE_LENGTH} letters and digits, such as 'K7QMPX'"
        )
    return code


def _same_token(expected: str, given: object) -> bool:
    """Constant-time comparison of two tokens (anything but text never matches)."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


@dataclass(frozen=True)
class ClassPhoto:
    """One enrolled photo: its unit encoding ``(d,)`` float32, its ``(160, 160, 3)`` uint8 crop, its bytes' sha256."""

    vector: np.ndarray
    crop: np.ndarray
    sha256: str


@dataclass(frozen=True)
class Student:
    """What anyone may see of an entry: its public id, the name and the photos (no token)."""

    id: str
    name: str
    photos: tuple[ClassPhoto, ...]


@dataclass(frozen=True)
class Enrolment:
    """What an enrolment gave the student: their entry's id and its secret token, and how many photos it has."""

    student_id: str
    token: str
    name: str
    photos: int
    added: bool
    """False when the photo was one the entry already had (kept once)."""


@dataclass(frozen=True)
class ClassPhotos:
    """Every photo of a room as rows, for the analysis pages (like :class:`facedemo.gallery.album.Album`).

    Attributes
    ----------
    ids : list of str, length n
        ``"<student id>/<k>"``, k from 1: stable while the entry stays.
    names : list of str, length n
        What to show: ``"Alex · photo 1"``.
    labels : list of str, length n
        The student's name: two rows of one student are the same person.
    vectors : ndarray of shape (n, d), float32
        Unit encodings (``(0, d)`` for an empty room).
    crops : list of ndarray, each (160, 160, 3) uint8
    """

    ids: list[str]
    names: list[str]
    labels: list[str]
    vectors: np.ndarray
    crops: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def crop(self, row: int) -> np.ndarray:
        return self.crops[row]


class _Entry:
    __slots__ = ("id", "name", "token", "photos")

    def __init__(self, student_id: str, name: str, token: str) -> None:
        self.id, self.name, self.token = student_id, name, token
        self.photos: list[ClassPhoto] = []


class ClassRoom:
    """One class: its students' encodings and crops, made by one network with one recipe.

    Made by :meth:`ClassRegistry.start`; every method takes the registry's lock and raises
    :class:`UnknownClassError` once the room has ended (by the instructor, or idle for
    :data:`IDLE_SECONDS`).
    """

    def __init__(self, code: str, network: str, recipe: str, instructor_token: str, *,
                 lock: threading.RLock, clock: Callable[[], float]) -> None:
        self.code = code
        self.network = get_network(network).name
        self.recipe = get_recipe(recipe).name
        self._instructor_token = instructor_token
        self._lock = lock
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._ended = False
        self.started = self.last_change = clock()
        self.version = 0
        """Goes up by one at every change: a page can tell the room has changed."""

    # --- state ---------------------------------------------------------------------------------
    def _gone(self) -> UnknownClassError:
        return UnknownClassError(
            f"there is no class with the code {self.code} any more: the instructor ended it, or nobody "
            f"joined or changed anything for {IDLE_SECONDS / 3600:.0f} hours, and everything it held is forgotten"
        )

    def _expired(self, now: float) -> bool:
        return now - self.last_change > IDLE_SECONDS

    def _open(self) -> None:
        """Raise when ended; end it first when idle too long (call with the lock held)."""
        if not self._ended and self._expired(self._clock()):
            self._drop()
        if self._ended:
            raise self._gone()

    def _drop(self) -> None:
        self._entries.clear()
        self._ended = True
        self.version += 1

    def _changed(self) -> None:
        self.last_change = self._clock()
        self.version += 1

    @property
    def ended(self) -> bool:
        with self._lock:
            if not self._ended and self._expired(self._clock()):
                self._drop()
            return self._ended

    def is_instructor(self, token: object) -> bool:
        """Whether ``token`` is this room's instructor token."""
        return _same_token(self._instructor_token, token)

    def _entry(self, student_id: str, token: object) -> _Entry:
        entry = self._entries.get(student_id)
        if entry is None or not (_same_token(entry.token, token) or self.is_instructor(token)):
            raise NotYourEntryError("only the student who made this entry (or the instructor) can change or remove it")
        return entry

    # --- reading -------------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            self._open()
            return len(self._entries)

    def students(self) -> tuple[Student, ...]:
        """Every entry, in the order they joined (no tokens)."""
        with self._lock:
            self._open()
            return tuple(Student(e.id, e.name, tuple(e.photos)) for e in self._entries.values())

    def student(self, student_id: str) -> Student | None:
        """One entry by id, or None when it is not (or no longer) there."""
        with self._lock:
            self._open()
            entry = self._entries.get(student_id)
            return None if entry is None else Student(entry.id, entry.name, tuple(entry.photos))

    def photos(self) -> ClassPhotos:
        """Every photo of every student as rows (see :class:`ClassPhotos`); no encoding is made."""
        students = self.students()
        rows = [(s, k, p) for s in students for k, p in enumerate(s.photos, start=1)]
        size = NETWORKS[self.network].embedding_size
        vectors = (np.stack([p.vector for _, _, p in rows]) if rows else np.zeros((0, size), np.float32))
        return ClassPhotos(
            ids=[f"{s.id}/{k}" for s, k, _ in rows],
            names=[f"{s.name} · photo {k}" for s, k, _ in rows],
            labels=[s.name for s, _, _ in rows],
            vectors=vectors,
            crops=[p.crop for _, _, p in rows],
        )

    def database(self) -> FaceDatabase:
        """The room as a :class:`FaceDatabase` (one person per student), for verify and identify."""
        database = FaceDatabase(self.recipe, network=self.network)
        for student in self.students():
            for photo in student.photos:
                database.add(student.name, photo.vector, sha256=photo.sha256, source="class photo")
        return database

    # --- changing ------------------------------------------------------------------------------
    def _checked_photo(self, vector: np.ndarray, crop: np.ndarray, sha256: str) -> ClassPhoto:
        size = NETWORKS[self.network].embedding_size
        vector = np.array(vector, dtype=np.float32).reshape(-1)
        if vector.shape != (size,) or not np.all(np.isfinite(vector)):
            raise ClassRoomError(
                f"this class holds encodings of {NETWORKS[self.network].title} ({size} numbers), "
                f"not {vector.size} numbers: encodings of different models cannot be compared"
            )
        crop = np.array(crop, dtype=np.uint8)
        if crop.shape != CROP_SHAPE:
            raise ClassRoomError(f"a class keeps face crops of 160×160 pixels, not of shape {crop.shape}")
        vector.flags.writeable = False
        crop.flags.writeable = False
        return ClassPhoto(vector, crop, str(sha256))

    def enrol(self, name: str, vector: np.ndarray, crop: np.ndarray, *, sha256: str = "",
              student_id: str | None = None, token: str | None = None) -> Enrolment:
        """Add one photo: a new entry named ``name``, or (with ``student_id`` and its ``token``) to one's own.

        Parameters
        ----------
        name : str
            A name or a nickname (checked as :func:`facedemo.people.database.clean_name`); unique in
            the room, whatever the case. Ignored when adding to an existing entry.
        vector : ndarray of shape (d,)
            The photo's unit encoding by the room's network with the room's recipe.
        crop : ndarray of shape (160, 160, 3), uint8
            What the model saw; kept to show the student and the projector.
        sha256 : str
            The photo's content hash: the same photo twice in one entry is kept once.
        student_id, token : str, optional
            The entry to add to and its token (from an earlier :class:`Enrolment`).

        Returns
        -------
        Enrolment
            Keep its ``token``: it is the only way to change or remove the entry.

        Raises
        ------
        ClassFullError
            The room has :data:`MAX_PEOPLE` entries, or the entry :data:`MAX_PHOTOS` photos.
        NotYourEntryError
            ``token`` is not the entry's.
        InvalidNameError, ClassRoomError, UnknownClassError
        """
        photo = self._checked_photo(vector, crop, sha256)
        with self._lock:
            self._open()
            if student_id is not None:
                entry = self._entry(student_id, token)
            else:
                name = clean_name(name)
                if any(e.name.casefold() == name.casefold() for e in self._entries.values()):
                    raise ClassRoomError(
                        f"someone in this class is already called '{name}': add an initial or choose a nickname"
                    )
                if len(self._entries) >= MAX_PEOPLE:
                    raise ClassFullError(f"this class is full: it holds at most {MAX_PEOPLE} people")
                entry = _Entry(secrets.token_hex(6), name, secrets.token_urlsafe(24))
                while entry.id in self._entries:  # 48 random bits: practically never
                    entry.id = secrets.token_hex(6)
            added = not (photo.sha256 and any(p.sha256 == photo.sha256 for p in entry.photos))
            if added:
                if len(entry.photos) >= MAX_PHOTOS:
                    raise ClassFullError(f"{entry.name} already has {MAX_PHOTOS} photos, the most a student can "
                                         "enrol: remove yourself and enrol again to change them")
                entry.photos.append(photo)
            self._entries[entry.id] = entry
            self._changed()
            return Enrolment(entry.id, entry.token, entry.name, len(entry.photos), added)

    def remove(self, student_id: str, *, token: object) -> str:
        """Remove an entry with its own token or the instructor token; returns the name that went.

        Raises :class:`NotYourEntryError` for any other token (and for an id that is not there,
        so a wrong guess tells nothing).
        """
        with self._lock:
            self._open()
            entry = self._entry(student_id, token)
            del self._entries[entry.id]
            self._changed()
            return entry.name

    def end(self, *, token: object) -> None:
        """End the class with the instructor token: every entry is dropped at once."""
        with self._lock:
            self._open()
            if not self.is_instructor(token):
                raise NotYourEntryError("only the instructor who started this class can end it")
            self._drop()


class ClassRegistry:
    """Every running class of one server, by join code (the app keeps one per process).

    Parameters
    ----------
    max_classes : int
        Rooms at most (default :data:`MAX_CLASSES`); ended and idle rooms do not count.
    clock : callable
        Seconds, monotonic; tests inject their own.
    """

    def __init__(self, *, max_classes: int = MAX_CLASSES, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_classes = max_classes
        self._clock = clock
        self._lock = threading.RLock()
        self._rooms: dict[str, ClassRoom] = {}

    def _sweep(self) -> None:
        for code, room in list(self._rooms.items()):
            if room.ended:
                del self._rooms[code]

    def __len__(self) -> int:
        with self._lock:
            self._sweep()
            return len(self._rooms)

    def start(self, network: str, recipe: str) -> tuple[ClassRoom, str]:
        """Start a class whose photos ``network`` encodes with ``recipe``; returns the room and the instructor token.

        Raises :class:`ClassFullError` when :attr:`max_classes` rooms are running.
        """
        with self._lock:
            self._sweep()
            if len(self._rooms) >= self.max_classes:
                raise ClassFullError(
                    f"this server already runs {self.max_classes} classes, the most it holds: "
                    "end one of them first (or wait until one has been idle for 4 hours)"
                )
            token = secrets.token_urlsafe(24)
            room = ClassRoom(new_code(set(self._rooms)), network, recipe, token, lock=self._lock, clock=self._clock)
            self._rooms[room.code] = room
            return room, token

    def get(self, code: str) -> ClassRoom:
        """The running room with this code (typed codes are cleaned: :func:`clean_code`).

        Raises :class:`UnknownClassError` in a sentence for an unknown, ended or idle code.
        """
        code = clean_code(code)
        with self._lock:
            self._sweep()
            room = self._rooms.get(code)
            if room is None:
                raise UnknownClassError(
                    f"there is no class with the code {code}: check the code on the projector; "
                    f"a class ends when the instructor ends it or after {IDLE_SECONDS / 3600:.0f} idle hours"
                )
            return room

    def take_over(self, code: str) -> tuple[ClassRoom, str]:
        """The room ``code`` and its instructor token, for an instructor whose browser lost it (a reload).

        This hands out the power to remove anyone and end the class: the caller must first have
        checked that the asking session is the instructor's (the app's passcode gate).
        """
        with self._lock:
            room = self.get(code)
            room._open()
            return room, room._instructor_token

    def end(self, code: str, *, token: object) -> None:
        """End the room ``code`` with its instructor token, and forget it."""
        with self._lock:
            room = self.get(code)
            room.end(token=token)
            self._sweep()
