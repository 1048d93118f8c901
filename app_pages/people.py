"""People: the face database of this session. Enrol, remove, download, load.

Starts as the gallery's train photos (the office's employees). Everything lives in
``st.session_state``: nothing the user enrolled is lost on a rerun, and nothing is written to disk.

Widget keys: ``people_person`` (whose photos to show), ``people_remove_person``,
``people_remove_photo_<n>``, ``people_new_name``, ``people_new_photos_<round>`` (uploader; a new
round empties it after an enrolment), ``people_new_gallery``, ``people_enrol``, ``people_reset``,
``people_download``, ``people_load``, ``people_load_button``, ``people_keep``, ``people_forget``;
the table of everyone enrolled is ``people_table``. Keeping and forgetting the server's office are
server-wide: when an instructor passcode is set they need it (``ui/instructor.py``, its own keys).
"""

from __future__ import annotations

import base64

import pandas as pd
import streamlit as st

from facedemo import assets
from facedemo.encoding.networks import NETWORKS
from facedemo.encoding.recipes import RECIPES
from facedemo.errors import FacedemoError
from facedemo.gallery.album import photo_name
from facedemo.io.images import image_to_png
from facedemo.people.database import FaceDatabase, clean_name
from ui import instructor, pages, state, widgets
from ui.messages import attempt

GRID = 4
FLASH = "people_flash"
ROUND = "people_upload_round"
SERVER_WIDE = "keep or forget the server's office"
LOCKED = "Only the instructor can keep or forget the server's office: enter the instructor passcode first."
SIZES = " or ".join(sorted({str(network.embedding_size) for network in NETWORKS.values()}, key=int))
ss = st.session_state


def _flash(kind: str, text: str) -> None:
    ss.setdefault(FLASH, []).append((kind, text))


def _uploader_key() -> str:
    return f"people_new_photos_{ss.get(ROUND, 0)}"


def _pending() -> list[widgets.PickedPhoto]:
    """The photos chosen for a new person: uploads (kept in the browser session) and gallery picks."""
    uploads = ss.get(_uploader_key()) or []
    picked = [widgets.PickedPhoto(upload.getvalue(), upload.name) for upload in uploads]
    for ref in ss.get("people_new_gallery") or []:
        try:
            picked.append(widgets.PickedPhoto(widgets.gallery_path(ref).read_bytes(), photo_name(ref), ref))
        except FacedemoError as error:
            _flash("error", str(error))
    return picked


def _enrol() -> None:
    database = state.database()
    try:
        name = clean_name(ss.get("people_new_name") or "")
    except FacedemoError as error:
        _flash("error", f"Cannot enrol: {error}.")
        return
    photos = _pending()
    if not photos:
        _flash("error", f"Cannot enrol {name}: choose at least one photo (drop files or pick gallery photos).")
        return
    known_before = len(database.people.get(name, []))
    usable, skipped = 0, []
    for photo in photos:
        try:
            encoded = state.encode_bytes(photo.data, database.recipe)
        except FacedemoError as error:
            skipped.append(f"{photo.label}: {error}")
            continue
        except Exception as error:  # noqa: BLE001 - a student must never see a traceback
            skipped.append(f"{photo.label}: could not be used ({type(error).__name__})")
            continue
        database.add(name, encoded.vector, sha256=encoded.sha256, source=photo.ref or photo.label)
        widgets.remember_crop(encoded.sha256, encoded.crop)
        usable += 1
    added = len(database.people.get(name, [])) - known_before  # the same photo twice is kept once
    photos_word = f"photo{'s' * (added != 1)}"
    if added and known_before:
        _flash("success", f"{name} was already enrolled: added {added} {photos_word} to theirs "
                          f"({known_before + added} in all).")
    elif added:
        _flash("success", f"Enrolled {name} with {added} {photos_word}.")
    elif usable:
        _flash("info", f"{name} already has {'this photo' if usable == 1 else 'these photos'}: nothing new to enrol.")
    if added:
        ss.people_new_name = ""
        ss.people_new_gallery = []
        ss[ROUND] = ss.get(ROUND, 0) + 1
        ss.people_person = name
    for reason in skipped:
        _flash("warning", f"Skipped {reason}")
    if not usable:
        _flash("error", f"Nobody enrolled: no usable face in the {len(photos)} photo(s).")


def _remove_person(name: str) -> None:
    try:
        state.database().remove(name)
    except FacedemoError as error:  # e.g. a second click on a stale button
        _flash("error", str(error))
        return
    _flash("success", f"Removed {name} from the database.")


def _remove_photo(name: str, index: int) -> None:
    try:
        state.database().remove_photo(name, index)
    except FacedemoError as error:
        _flash("error", str(error))
        return
    left = len(state.database().people.get(name, []))
    _flash("success", f"Removed photo {index + 1} of {name}." + ("" if left else f" {name} had no photo left and is gone."))


def _reset() -> None:
    ss.pop("database", None)
    kept = state.kept_office() is not None
    _flash("success", "Back to the office kept on this server." if kept else "Back to the office: the gallery's train photos.")


def _keep() -> None:
    if not instructor.unlocked():  # checked here too: a disabled button is only a hint in the browser
        _flash("error", LOCKED)
        return
    database = state.database()
    try:
        database.save(assets.office_path())
    except OSError as error:
        _flash("error", f"Could not save on the server: {error.strerror or error}.")
        return
    _flash("success", f"Kept on this server: every new session, also after a restart, starts with these "
                      f"{len(database)} people.")


def _forget() -> None:
    if not instructor.unlocked():
        _flash("error", LOCKED)
        return
    assets.office_path().unlink(missing_ok=True)
    _flash("success", "The server no longer keeps an office: new sessions start from the gallery's train photos.")


def _load() -> None:
    upload = ss.get("people_load")
    if upload is None:
        _flash("error", "Choose a database file (.npz) first.")
        return
    try:
        loaded = FaceDatabase.from_bytes(upload.getvalue(), name=f"'{upload.name}'")
    except FacedemoError as error:
        _flash("error", f"Cannot load: {error}.")
        return
    if (loaded.network, loaded.recipe) != (state.current_network(), state.recipe()):
        _flash("info", f"The file was made with the model “{NETWORKS[loaded.network].title}” and the recipe "
                       f"“{RECIPES[loaded.recipe].title}”; switched to them.")
    state.use_database(loaded)
    count = sum(len(p) for p in loaded.people.values())
    _flash("success", f"Loaded {upload.name}: {len(loaded)} people, {count} photos.")


def _thumbnail(crop) -> str | None:
    if crop is None:
        return None
    small = crop[::2, ::2]
    return "data:image/png;base64," + base64.b64encode(image_to_png(small)).decode()


# --- the page ----------------------------------------------------------------------------------
st.title(pages.heading(__file__))
st.caption(
    "The door's list of employees. It starts with the gallery's *train* photos; add yourself, remove "
    "someone, then try Verify and Recognise again."
)
st.info(
    "Privacy: uploaded photos stay in this browser session and are **not written to disk**. The database "
    f"file you can download holds **encodings ({SIZES} numbers per photo, by model) and names** — with each photo's sha256 "
    "and file name — **not the photos**. The server keeps nothing after you leave, unless someone presses "
    "**Keep as this server's office** (encodings and names only): download the file to keep your database.",
    icon="🔒",
)
for kind, text in ss.pop(FLASH, []):
    getattr(st, kind)(text)

database = state.database()
photos_total = sum(len(p) for p in database.people.values())
one, two, three, four = st.columns(4)
one.metric("People", len(database))
two.metric("Enrolled photos", photos_total)
three.metric("Model", database.network, help=NETWORKS[database.network].title)
four.metric("Recipe", database.recipe)

overview, detail = st.columns(2, gap="large")
with overview:
    st.subheader("Everyone")
    if database.names:
        widgets.keyed_dataframe(
            pd.DataFrame(
                {
                    "face": [_thumbnail(widgets.person_crop(database, name)) for name in database.names],
                    "name": database.names,
                    "photos": [len(database.people[name]) for name in database.names],
                }
            ),
            hide_index=True,
            width="stretch",
            row_height=64,
            key="people_table",
            column_config={
                "face": st.column_config.ImageColumn("face", width="small"),
                "photos": st.column_config.NumberColumn(width="small"),
            },
        )
    else:
        st.warning("Nobody is enrolled. Add a person below, load a database file, or start again from the office.")
    st.button("↺ Start again from the office", key="people_reset", on_click=_reset,
              help="Forget every change: the database becomes the gallery's train photos again.")

with detail:
    st.subheader("One person's photos")
    if database.names:
        if ss.get("people_person") not in database.names:
            ss.people_person = database.names[0]
        name = st.selectbox("Person", database.names, key="people_person")
        photos = database.people[name]
        st.caption(
            f"{len(photos)} enrolled encoding(s). Verify and Recognise compare a photo with their mean."
        )
        for start in range(0, len(photos), GRID):
            for column, index in zip(st.columns(GRID), range(start, min(start + GRID, len(photos)))):
                with column:
                    crop = widgets.enrolled_crop(name, photos[index], database.recipe)
                    shown_name = widgets.enrolled_photo_name(name, photos[index], index + 1)
                    if crop is not None:
                        st.image(crop, caption=widgets.short(shown_name, 24), width="stretch")
                    else:
                        st.caption(widgets.short(shown_name, 24))
                    st.button(
                        "🗑️", key=f"people_remove_photo_{index}", on_click=_remove_photo, args=(name, index),
                        type="tertiary", help=f"Remove photo {index + 1} ({shown_name})",
                    )
        st.button(f"Remove {name} from the database", key="people_remove_person", on_click=_remove_person,
                  args=(name,), icon="🗑️")

st.divider()
with st.container(border=True):
    st.subheader("➕ Add a person")
    st.text_input(
        "Name", key="people_new_name", placeholder="e.g. Ada Lovelace, Zoë or 🦄 Unicorn",
        help="Any language and emoji are fine; not empty, no '/' or '\\', no control characters.",
    )
    drop, gallery = st.columns(2, gap="large")
    with drop:
        st.file_uploader(
            "Drop one or several photos of them", accept_multiple_files=True, key=_uploader_key(),
            help="One photo is enough (one-shot learning); more photos make the mean encoding steadier.",
        )
    with gallery:
        st.multiselect(
            "…or pick gallery photos", widgets.gallery_refs(), key="people_new_gallery",
            format_func=photo_name, placeholder="e.g. Madonna · val 1",
        )
    pending = _pending()
    if pending:
        st.caption("What will be enrolled (the crops the model sees):")
        for start in range(0, len(pending), GRID):
            for column, photo in zip(st.columns(GRID), pending[start:start + GRID]):
                with column:
                    encoded = attempt(lambda: state.encode_bytes(photo.data, database.recipe), what=f"{photo.label}: ")
                    if encoded is None:
                        continue
                    st.image(encoded.crop, caption=photo.label, width="stretch")
                    if encoded.note:
                        st.caption(encoded.note)
    st.button("Enrol", key="people_enrol", type="primary", on_click=_enrol)

st.divider()
save, load = st.columns(2, gap="large")
with save:
    st.subheader("💾 Download the database")
    st.download_button(
        "Download the database file (.npz)", data=database.to_bytes(), file_name=f"facedemo-people-{database.network}-{database.recipe}.npz",
        mime="application/octet-stream", key="people_download", on_click="ignore", icon="⬇️",
    )
    st.caption("Encodings and names only, no photos. Load it back here later, or with `python -m facedemo`.")
    st.subheader("📌 The server's office")
    may_act = instructor.controls(what=SERVER_WIDE)
    st.button("Keep as this server's office", key="people_keep", on_click=_keep, icon="📌",
              disabled=not may_act,
              help="For the instructor: new sessions, also after the app restarts, start with this database.")
    if assets.office_path().is_file():
        st.button("Forget the server's office", key="people_forget", on_click=_forget, disabled=not may_act)
        elsewhere = state.kept_office_elsewhere()
        if elsewhere:
            network, recipe_name = elsewhere
            st.caption(f"The office kept on this server was made with **{NETWORKS[network].title}** and "
                       f"**{RECIPES[recipe_name].title}**: choose those in the sidebar to use it; nothing in it is lost.")
with load:
    st.subheader("📂 Load a database file")
    st.file_uploader("A database file saved from this page", key="people_load")
    st.button("Replace the database with this file", key="people_load_button", on_click=_load)
st.caption(
    "Changing the model or the recipe in the sidebar puts this database aside and starts from the office for "
    "that model and recipe (encodings of different models or recipes cannot be compared); switching back "
    "brings it back. Download it to keep it beyond this session."
)
