"""Class: the class is the data set. The instructor starts a class; students join with a code and enrol a selfie.

Three views, chosen by what the session holds:
- the instructor's (this session started a running class): on the projector, large, the join code, a QR
  code of the join URL and the URL; then, refreshing on their own, everyone enrolled with their crops
  and "Who looks alike"; remove and end buttons;
- a student's (``?class=CODE`` in the URL): a name, a consent line, 1-3 photos (webcam or upload),
  their own crops and "Remove me";
- neither: type a code to join, or (the instructor) start a class.

Widget keys: ``class_start``, ``class_end``, ``class_remove_<student id>`` (instructor);
``class_reopen_code``, ``class_reopen`` (the instructor opens a running class again after a reload);
``class_code_typed``, ``class_join`` (join by code); ``class_name``, ``class_consent``,
``class_photo_from``, ``class_camera_<round>``, ``class_upload_<round>``, ``class_enrol``,
``class_remove_me`` (student). The passcode's own keys are in ``ui/instructor.py``.
"""

from __future__ import annotations

import io

import segno
import streamlit as st

from facedemo.classroom import IDLE_SECONDS, MAX_PEOPLE, MAX_PHOTOS, ClassRoom, calibrate_class, look_alikes
from facedemo.encoding.networks import NETWORKS, default_threshold
from facedemo.encoding.recipes import RECIPES
from facedemo.errors import FacedemoError, NoFaceFoundError
from facedemo.people.matching import same_person
from ui import classroom, instructor, pages, widgets

REFRESH_SECONDS = 3
GRID = 6
LOOK_ALIKES = 5
FLASH = "class_flash"
ROUND = "class_upload_round"
SERVER_WIDE = "start and end classes and remove students from them"
HOURS = f"{IDLE_SECONDS / 3600:.0f}"
CONSENT = (f"I agree that my name or nickname, the **encoding** of my photo (128 or 512 numbers) and a "
           f"**small 160×160 crop of my face** are kept **in this server's memory only** — never on disk, "
           f"never in a log — and shown to this class, until I remove myself, the instructor ends the class, "
           f"or nobody changes anything for {HOURS} hours. The photo itself is not kept.")
ss = st.session_state


def _flash(kind: str, text: str) -> None:
    ss.setdefault(FLASH, []).append((kind, text))


def _show_flashes() -> None:
    for kind, text in ss.pop(FLASH, []):
        getattr(st, kind)(text)


def _photos(count: int) -> str:
    return f"{count} photo{'s' * (count != 1)}"


def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# --- instructor actions ---------------------------------------------------------------------------
def _start() -> None:
    try:
        room = classroom.start_class()
    except FacedemoError as error:
        _flash("error", _sentence(error))
        return
    _flash("success", f"Class {room.code} started. Students open the address below, or scan the QR code.")


def _take_over() -> None:
    try:
        room = classroom.take_over_class(ss.get("class_reopen_code") or "")
    except FacedemoError as error:
        _flash("error", _sentence(error))
        return
    _flash("success", f"You are the instructor of class {room.code} again in this browser.")


def _end() -> None:
    try:
        code = classroom.end_class()
    except FacedemoError as error:
        _flash("error", _sentence(error))
        return
    _flash("success", f"Class {code} ended: every name, encoding and crop it held is forgotten.")


def _remove_student(student_id: str) -> None:
    try:
        name = classroom.remove_as_instructor(student_id)
    except FacedemoError as error:
        _flash("error", _sentence(error))
        return
    _flash("success", f"Removed {name} from the class.")


# --- student actions ------------------------------------------------------------------------------
def _photo_keys() -> tuple[str, str]:
    round_ = ss.get(ROUND, 0)
    return f"class_camera_{round_}", f"class_upload_{round_}"


def _chosen_photos() -> list[widgets.PickedPhoto]:
    camera, upload = _photo_keys()
    if ss.get("class_photo_from", "webcam") == "webcam":
        shot = ss.get(camera)
        return [widgets.PickedPhoto(shot.getvalue(), "webcam photo")] if shot is not None else []
    return [widgets.PickedPhoto(f.getvalue(), f.name) for f in ss.get(upload) or []]


def _enrol(code: str) -> None:
    try:
        room = classroom.registry().get(code)
    except FacedemoError as error:
        _flash("error", _sentence(error))
        return
    if not ss.get("class_consent"):
        _flash("error", "Tick the consent line first: nothing is kept without it.")
        return
    photos = _chosen_photos()
    if not photos:
        _flash("error", "Take a photo with the webcam or choose 1 to 3 photos first.")
        return
    mine = classroom.entry(code)
    name = ss.get("class_name") or ""
    added = 0
    for photo in photos[:MAX_PHOTOS]:
        try:
            encoding = classroom.encode_for_class(photo.data, room)
        except NoFaceFoundError as error:
            _flash("warning", f"{widgets.short(photo.label)}: {_sentence(error)}")
            continue
        except FacedemoError as error:  # a bad file, several faces, too slow
            _flash("error", f"{widgets.short(photo.label)}: {_sentence(error)}")
            continue
        except Exception as error:  # noqa: BLE001 - a student must never see a traceback
            _flash("error", f"{widgets.short(photo.label)}: could not be used ({type(error).__name__}).")
            continue
        try:
            enrolment = room.enrol(name, encoding.vector, encoding.prepared.crop, sha256=encoding.sha256,
                                   student_id=mine[0] if mine else None, token=mine[1] if mine else None)
        except FacedemoError as error:  # the name, a full class, an ended class: the next photo fares no better
            _flash("error", f"Cannot enrol: {_sentence(error)}")
            break
        classroom.keep_entry(code, enrolment.student_id, enrolment.token)
        mine = (enrolment.student_id, enrolment.token)
        added += enrolment.added
    if len(photos) > MAX_PHOTOS:
        _flash("info", f"Only the first {MAX_PHOTOS} photos were used: a student enrols {MAX_PHOTOS} at most.")
    if added:
        _flash("success", f"Enrolled {enrolment.name}: {_photos(enrolment.photos)} in the class. "
                          "The projector shows you within a few seconds.")
        ss[ROUND] = ss.get(ROUND, 0) + 1  # empties the uploader and the camera: their bytes go with them


def _remove_me(code: str) -> None:
    mine = classroom.entry(code)
    if mine is None:
        return
    try:
        name = classroom.registry().get(code).remove(mine[0], token=mine[1])
    except FacedemoError as error:
        _flash("error", _sentence(error))
        classroom.forget_entry(code)
        return
    classroom.forget_entry(code)
    _flash("success", f"Removed {name}: your encodings and crops are gone from the class.")


def _join() -> None:
    try:
        room = classroom.registry().get(ss.get("class_code_typed") or "")
    except FacedemoError as error:
        _flash("error", _sentence(error))
        return
    st.query_params["class"] = room.code


# --- shared parts ---------------------------------------------------------------------------------
def _crop_grid(room: ClassRoom, *, removable: bool) -> None:
    students = room.students()
    if not students:
        st.info("Nobody has enrolled yet. This list refreshes on its own every few seconds.")
        return
    columns = st.columns(GRID)
    for k, student in enumerate(students):
        with columns[k % GRID]:
            st.image(student.photos[0].crop, caption=f"{student.name} · {_photos(len(student.photos))}", width="stretch")
            if removable:
                st.button("Remove", key=f"class_remove_{student.id}", on_click=_remove_student,
                          args=(student.id,), type="tertiary", icon="✖️")


def _who_looks_alike(room: ClassRoom) -> None:
    st.subheader("Who looks alike")
    photos = room.photos()
    pairs = look_alikes(photos, limit=LOOK_ALIKES)
    if not pairs:
        st.caption("With two students enrolled, the closest pairs of different students appear here.")
        return
    rule = classroom.class_threshold(room)
    st.caption(
        ("The closest pair" if len(pairs) == 1 else f"The {len(pairs)} closest pairs")
        + " of different students (their most alike photos), against the threshold "
        f"**{rule.value:.2f}** ({'the sidebar' if rule.sidebar else 'calibrated for the class model and recipe'}). "
        + "Below the threshold, the door would take one for the other."
    )
    for pair in pairs:
        a, b, words = st.columns([1, 1, 3], vertical_alignment="center")
        a.image(photos.crop(pair.row_a), caption=pair.name_a, width=110)
        b.image(photos.crop(pair.row_b), caption=pair.name_b, width=110)
        if same_person(pair.distance, rule.value):
            words.error(f"**{pair.distance:.2f}** < {rule.value:.2f}: the model takes {pair.name_a} and "
                        f"{pair.name_b} for the same person.")
        else:
            words.success(f"**{pair.distance:.2f}** ≥ {rule.value:.2f}: {pair.name_a} and {pair.name_b} are told "
                          f"apart, by {pair.distance - rule.value:.2f}.")


@st.fragment(run_every=REFRESH_SECONDS)
def _projector_live(code: str, removable: bool) -> None:
    """What grows as students join: redrawn every few seconds from the room, never encoding anything."""
    try:
        room = classroom.registry().get(code)
    except FacedemoError as error:
        st.warning(_sentence(error))
        return
    st.metric("Students enrolled", f"{len(room)} of {MAX_PEOPLE}")
    _crop_grid(room, removable=removable)
    _who_looks_alike(room)
    _class_threshold(room)


def _class_threshold(room: ClassRoom) -> None:
    st.subheader("The class's own threshold")
    found = calibrate_class(room.photos())
    gallery = default_threshold(room.recipe, "pair", room.network)
    if found.threshold is None:
        st.caption(f"It needs students with two or more photos and at least two students: so far "
                   f"{found.genuine_pairs} same-person and {found.impostor_pairs} different-people pairs, "
                   f"{found.students_with_two} student(s) with two photos or more. The gallery's: **{gallery:.2f}**.")
        return
    ours, theirs = st.columns(2)
    ours.metric("This class", f"{found.threshold:.2f}",
                help=f"Decides {found.accuracy:.0%} of the class's photo pairs right.")
    theirs.metric("The gallery's (calibrated)", f"{gallery:.2f}")
    genuine = f"{found.genuine_pairs} same-person pair{'s' * (found.genuine_pairs != 1)}"
    text = (f"From {genuine} ({found.students_with_two} student{'s' * (found.students_with_two != 1)} with two "
            f"photos or more) and {found.impostor_pairs} different-people pairs, it decides {found.accuracy:.0%} "
            "of them right.")
    if found.few:
        st.warning(f"Only {genuine}. {text} With so few pairs the number is a rough guess; more students with "
                   "two photos make it firmer.")
    else:
        st.caption(text)


def _qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()


# --- the views ------------------------------------------------------------------------------------
def instructor_view(room: ClassRoom, allowed: bool) -> None:
    url, note = classroom.join_url(room.code)
    code_col, qr_col = st.columns([3, 2], vertical_alignment="center")
    with code_col:
        st.markdown("Join the class with the code")
        st.html(f"<div class='class-code' style='font-size:7rem;font-weight:800;letter-spacing:0.25em;"
                f"font-family:monospace;line-height:1.1'>{room.code}</div>")
        st.markdown("or open")
        st.code(url, language=None)
        if note:
            st.caption(note)
        st.caption(f"Model: {NETWORKS[room.network].title} · recipe: {RECIPES[room.recipe].title}. "
                   f"Up to {MAX_PEOPLE} students, {MAX_PHOTOS} photos each.")
    with qr_col:
        st.image(_qr_png(url), caption="Scan to join", width=340)
    _projector_live(room.code, allowed)
    st.divider()
    st.button("End the class", key="class_end", on_click=_end, disabled=not allowed, icon="🛑",
              help="Forgets every name, encoding and crop of this class at once.")
    st.page_link("app_pages/matrix.py", label="The class's distance matrix", icon="🟥")


def student_view(room: ClassRoom) -> None:
    mine = classroom.entry(room.code)
    me = room.student(mine[0]) if mine else None
    if mine and me is None:  # removed by the instructor
        classroom.forget_entry(room.code)
        mine = None
    st.subheader(f"Class {room.code}")
    if me is not None:
        st.success(f"You are enrolled as **{me.name}** with {_photos(len(me.photos))}.")
        columns = st.columns(GRID)
        for k, photo in enumerate(me.photos):
            columns[k].image(photo.crop, caption=f"photo {k + 1}: what the model sees", width="stretch")
        st.button("Remove me from the class", key="class_remove_me", on_click=_remove_me, args=(room.code,),
                  icon="🗑️", help="Your encodings and crops are dropped at once.")
        if len(me.photos) >= MAX_PHOTOS:
            return
        st.markdown(f"Add another photo ({len(me.photos)} of {MAX_PHOTOS}): it helps the model know you.")
    else:
        st.text_input("Your name or a nickname", key="class_name", max_chars=40,
                      help="Shown to the class on the projector. A nickname is fine.")
    st.checkbox(CONSENT, key="class_consent")
    camera, upload = _photo_keys()
    choice = st.radio("Your photo", ["webcam", "upload"], key="class_photo_from", horizontal=True,
                      format_func={"webcam": "📷 Webcam", "upload": "⬆️ Upload 1–3 photos"}.get)
    if choice == "webcam":
        st.camera_input("Take a photo of your face (only yours)", key=camera)
    else:
        st.file_uploader(f"1 to {MAX_PHOTOS} photos of your face (JPEG or PNG)", key=upload,
                         accept_multiple_files=True, type=["jpg", "jpeg", "png", "webp"],
                         help="Each photo is encoded once; only its encoding and a small crop are kept.")
    st.button("Enrol me" if me is None else "Add the photo", key="class_enrol", on_click=_enrol,
              args=(room.code,), type="primary", icon="✅")


def start_view(allowed: bool) -> None:
    st.subheader("Join a class")
    with st.form("class_join_form", border=False):
        st.text_input("Class code (on the projector)", key="class_code_typed", max_chars=12)
        st.form_submit_button("Join", key="class_join", on_click=_join)
    st.subheader("For the instructor: start a class")
    st.markdown(
        "The class's photos are encoded with this session's model and recipe (sidebar). Students join with a "
        "code, enrol a selfie each, and the projector shows who is who, who looks alike, and their distance matrix."
    )
    st.button("Start a class", key="class_start", on_click=_start, disabled=not allowed, type="primary", icon="🧑‍🏫")
    with st.expander("Reloaded the projector's tab? Open your running class again"):
        st.text_input("Its code", key="class_reopen_code", max_chars=12, disabled=not allowed)
        st.button("Open as its instructor", key="class_reopen", on_click=_take_over, disabled=not allowed,
                  help="A reload starts a new browser session, which no longer holds the class. With the "
                       "passcode, this session becomes its instructor again.")


st.title(pages.heading(__file__))
st.caption(
    "The class as the data set: each student enrols a selfie, and the model is tried on the room's own faces. "
    f"Everything lives in the server's memory only, and goes when the class ends (or after {HOURS} idle hours)."
)
_show_flashes()

held = classroom.instructor_class()
linked = st.query_params.get("class")
if held is not None:
    allowed = instructor.controls(what=SERVER_WIDE)
    instructor_view(held[0], allowed)
elif linked:
    try:
        student_view(classroom.registry().get(linked))
    except FacedemoError as error:
        st.error(_sentence(error))
        st.button("Type another code", key="class_other_code", on_click=lambda: st.query_params.pop("class", None))
else:
    start_view(instructor.controls(what=SERVER_WIDE))
