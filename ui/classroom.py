"""Class rooms in the app: one registry per process, each session's part of it in its session state.

- :func:`registry` is the process's one :class:`facedemo.classroom.ClassRegistry` (``st.cache_resource``):
  every session (instructor, students, projector) sees the same rooms. It lives in memory only.
- The instructor's session keeps its class's code and instructor token (``class_instructor``);
  a student's session keeps, per class, its entry's id and token (``class_entries``). Tokens never
  go into the URL, a widget, the page or a log.
- Starting a class, ending it and removing someone else go through the instructor passcode
  (:mod:`ui.instructor`) when one is set, and also need the instructor token of that class.
- A class's photos are encoded *without* the app's upload cache (:func:`encode_for_class`): the
  cache would keep each photo and its crop in memory for an hour, past the end of the class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import streamlit as st

from facedemo.classroom import ClassRegistry, ClassRoom
from facedemo.encoding.encoder import Encoding
from facedemo.encoding.networks import NETWORKS, default_threshold
from facedemo.encoding.recipes import RECIPES
from facedemo.errors import ClassRoomError, FacedemoError
from facedemo.people.database import FaceDatabase
from ui import instructor, state

INSTRUCTOR = "class_instructor"
ENTRIES = "class_entries"
PAGE = "app_pages/class_room.py"
FALLBACK_URL = "http://localhost:8501/class"
FOLLOW_SECONDS = 3.0  # how often a page comparing with the class looks for new students
ROUTE_COOKIE = "facedemo_route"  # set by deploy/nginx.conf in front of several app processes
ROUTE_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,64}")  # what nginx accepts as a route in a URL
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}
ss = st.session_state


@st.cache_resource(show_spinner=False)
def registry() -> ClassRegistry:
    """The one registry of class rooms of this process (shared by every session, thread-safe)."""
    return ClassRegistry()


# --- the instructor's class -------------------------------------------------------------------
def instructor_class() -> tuple[ClassRoom, str] | None:
    """The class this session started and its instructor token, while it runs; else None."""
    held = ss.get(INSTRUCTOR)
    if not held:
        return None
    try:
        room = registry().get(held["code"])
    except FacedemoError:
        ss.pop(INSTRUCTOR, None)
        return None
    if not room.is_instructor(held["token"]):
        ss.pop(INSTRUCTOR, None)
        return None
    return room, held["token"]


def start_class() -> ClassRoom:
    """Start a class with this session's model and recipe; raises when the session may not."""
    if not instructor.unlocked():
        raise ClassRoomError("only the instructor can start a class: enter the instructor passcode first")
    room, token = registry().start(state.current_network(), state.recipe())
    ss[INSTRUCTOR] = {"code": room.code, "token": token}
    return room


def take_over_class(code: str) -> ClassRoom:
    """Become the instructor of a running class again (after a reload lost the token); passcode when set."""
    if not instructor.unlocked():
        raise ClassRoomError("only the instructor can open a class as its instructor: enter the instructor passcode first")
    room, token = registry().take_over(code)
    ss[INSTRUCTOR] = {"code": room.code, "token": token}
    return room


def end_class() -> str:
    """End this session's class (passcode and instructor token); returns its code."""
    held = instructor_class()
    if held is None:
        raise ClassRoomError("this browser session has no running class to end")
    if not instructor.unlocked():
        raise ClassRoomError("only the instructor can end the class: enter the instructor passcode first")
    room, token = held
    registry().end(room.code, token=token)
    ss.pop(INSTRUCTOR, None)
    return room.code


def remove_as_instructor(student_id: str) -> str:
    """Remove any student of this session's class; returns their name."""
    held = instructor_class()
    if held is None:
        raise ClassRoomError("this browser session has no running class")
    if not instructor.unlocked():
        raise ClassRoomError("only the instructor can remove someone else: enter the instructor passcode first")
    room, token = held
    return room.remove(student_id, token=token)


# --- a student's entry ------------------------------------------------------------------------
def entry(code: str) -> tuple[str, str] | None:
    """This session's entry in class ``code``: ``(student id, token)``, or None."""
    return ss.get(ENTRIES, {}).get(code)


def keep_entry(code: str, student_id: str, token: str) -> None:
    ss.setdefault(ENTRIES, {})[code] = (student_id, token)


def forget_entry(code: str) -> None:
    ss.get(ENTRIES, {}).pop(code, None)


def encode_for_class(data: bytes, room: ClassRoom) -> Encoding:
    """Encode a student's photo with the class's model and recipe, kept in no cache.

    Raises the project's errors (no face, bad file, too slow) and :class:`ClassRoomError` for a
    photo with several faces: a class entry is one person's face, never a neighbour's.
    """
    model = state.encoder(room.network)
    encoding = state.within(state.ENCODE_TIMEOUT, lambda: model.encode(data, room.recipe))
    faces = len(encoding.prepared.faces)
    if faces > 1:
        raise ClassRoomError(
            f"{faces} faces found in this photo: take or choose one with only your face, "
            "so that nobody else's face is kept"
        )
    return encoding


# --- which class a page shows -----------------------------------------------------------------
def linked_room() -> ClassRoom | None:
    """The running class of ``?class=CODE`` in the URL, or None."""
    code = st.query_params.get("class")
    if not code:
        return None
    try:
        return registry().get(code)
    except FacedemoError:
        return None


def known_room() -> ClassRoom | None:
    """The class this session knows, for the analysis pages' "This class": the one it started,
    else the one in the URL, else the last one it enrolled in."""
    held = instructor_class()
    if held is not None:
        return held[0]
    room = linked_room()
    if room is not None:
        return room
    for code in reversed(list(ss.get(ENTRIES, {}))):
        try:
            return registry().get(code)
        except FacedemoError:
            continue
    return None


@dataclass(frozen=True)
class ClassThreshold:
    value: float
    sidebar: bool
    """True: the sidebar's threshold (same model and recipe as the class); False: the class's calibrated one."""


def class_threshold(room: ClassRoom) -> ClassThreshold:
    """The threshold for one photo against one photo of this class.

    The sidebar's when this session uses the class's model and recipe; otherwise the one
    calibrated for the class's (the sidebar's number belongs to another model or recipe).
    """
    if (state.current_network(), state.recipe()) == (room.network, room.recipe):
        return ClassThreshold(state.threshold(), True)
    return ClassThreshold(default_threshold(room.recipe, "pair", room.network), False)


def encoded_alike(room: ClassRoom) -> bool:
    """Whether this session's photos are encoded as the class's were (same model, same recipe)."""
    return (state.current_network(), state.recipe()) == (room.network, room.recipe)


def pick_database(label: str, key: str) -> tuple[FaceDatabase, ClassRoom | None, str | None]:
    """The database a photo is compared with: the session's People database, or "This class" when the
    session knows one (a radio keyed ``key``).

    Returns ``(database, room, problem)``: ``room`` is None for the People database; ``problem`` says
    in a sentence why the class cannot be used yet (nobody enrolled, or its photos were encoded by
    another model or recipe than the sidebar's), and then ``database`` is empty. The class's
    database is made from its stored encodings: nothing is encoded again.
    """
    room = known_room()
    if room is None:
        return state.database(), None, None
    choice = st.radio(label, ["people", "class"], key=key, horizontal=True,
                      format_func={"people": "👥 The People database", "class": f"🧑‍🏫 This class ({room.code})"}.get,
                      help="This class: its students, each with the photos they enrolled.")
    if choice == "people":
        return state.database(), None, None
    follow(room)
    empty = FaceDatabase(state.recipe(), network=state.current_network())
    if not encoded_alike(room):
        return empty, room, (
            f"Class {room.code} was encoded by {NETWORKS[room.network].title} with the recipe "
            f"'{RECIPES[room.recipe].title}': choose them in the sidebar to compare a photo with its students "
            "(encodings of different models or recipes cannot be compared).")
    database = room.database()
    if not database.names:
        return empty, room, f"Nobody has enrolled in class {room.code} yet: students join on the Class page."
    return database, room, None


def photo_set(room: ClassRoom, key: str) -> str:
    """The radio ``key``: the gallery's photos or this class's (``"gallery"`` / ``"class"``), for a page that shows either."""
    return st.radio(
        "Photo set", ["gallery", "class"], key=key, horizontal=True,
        format_func={"gallery": "🖼️ Gallery", "class": f"🧑‍🏫 This class ({room.code})"}.get,
        help="This class: every photo its students enrolled, refreshed every few seconds as they join.",
    )


def room_or_warning(code: str) -> ClassRoom | None:
    """The running class ``code``, or None after a warning that says why (ended, unknown)."""
    try:
        return registry().get(code)
    except FacedemoError as error:
        st.warning(f"{error}.")
        return None


def follow(room: ClassRoom, every: float = FOLLOW_SECONDS) -> None:
    """Draw the page again when ``room`` changes (a student joins or leaves, the class ends).

    A fragment checks the room's version every ``every`` seconds and asks for a full rerun only
    when it moved: a page that compares a photo with the class follows it without encoding anything,
    and costs a look at one number while nothing happens.
    """
    seen = room.version

    @st.fragment(run_every=every)
    def watch() -> None:
        if room.ended or room.version != seen:
            st.rerun()

    watch()


def student_crop(room: ClassRoom, name: str) -> np.ndarray | None:
    """The first enrolled crop of the student called ``name`` in ``room``, or None."""
    for student in room.students():
        if student.name == name and student.photos:
            return student.photos[0].crop
    return None


def join_url(code: str) -> tuple[str, str | None]:
    """The address students open, ``…/class?class=CODE``, and a note when it may not work for them.

    Built from the address this browser used (``st.context.url``, then the ``Host`` header);
    when neither is known, ``http://localhost:8501/class`` with a note to use the machine's address.
    Behind nginx with several app processes (``deploy/nginx.conf``) it carries this browser's route
    cookie, so that the students reach the process that holds the class.
    """
    base = st.context.url
    note = None
    if not base:
        host = (st.context.headers or {}).get("Host")
        base = f"http://{host}/class" if host else None
    if not base:
        base = FALLBACK_URL
        note = ("The app could not tell its own address, so this one is a guess: replace `localhost:8501` "
                "with the address students use (see the README, *Deploying for a class*).")
    parts = urlsplit(base)
    if note is None and (parts.hostname or "").lower() in LOCAL_HOSTS:
        note = ("This address works only on this computer: students need its address on the network "
                "(Linux `hostname -I`, macOS `ipconfig getifaddr en0`, Windows `ipconfig`), "
                "e.g. `http://192.168.1.20:8501/class`. Open the app at that address and this page shows it.")
    path = parts.path.rstrip("/")
    if not path.endswith("/class"):
        path = f"{path}/class"
    route = (st.context.cookies or {}).get(ROUTE_COOKIE)  # behind nginx: this process's route
    routed = f"&route={route}" if route and ROUTE_PATTERN.fullmatch(route) else ""
    return f"{parts.scheme or 'http'}://{parts.netloc}{path}?class={code}{routed}", note
