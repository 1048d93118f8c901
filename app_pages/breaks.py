"""What breaks it? One photo made worse on purpose, live: blur, light, noise, JPEG, resolution, tilt, occlusion.

Widget keys: the photo input ``breaks`` (see :func:`ui.widgets.picked_photo`), ``breaks_person`` (who the
photo shows), ``breaks_use_sidebar``, one slider per degradation ``breaks_<name>`` (names in
:data:`facedemo.analysis.degradations.DEGRADATIONS`), ``breaks_sweeps`` (which sweep charts),
``breaks_summary_per_person``, ``breaks_summary_steps``, the button ``breaks_summary_go``, and
``breaks_who_set`` (who it fails for: the gallery or this class, shown when the session knows a class).
The tables: ``breaks_summary``, ``breaks_who`` (the gallery's people), ``breaks_who_class`` (a class's students).
Deep link: ``?breaks=val/madonna/2``, plus the sidebar's ``threshold``, ``model`` and ``recipe``.
"""

from __future__ import annotations

import streamlit as st

from facedemo.analysis import failures
from facedemo.analysis.degradations import DEGRADATIONS
from facedemo.encoding.networks import default_threshold
from facedemo.gallery.album import person_title, photo_name
from facedemo.people.matching import same_person
from ui import breaks_view, classroom, confidence_view, pages, state, widgets
from ui.breaks_view import Live
from ui.threshold_view import threshold_view

ss = st.session_state
UNKNOWN = "(not enrolled)"
MAX_HARDEST_STUDENTS = 12  # a class's hardest photos: two crops per student, for the students with most errors

st.title(pages.heading(__file__))
st.caption(
    "The door works on good photos. Make the photo worse, one knob at a time or several together, and watch the "
    "distance to the person's own enrolled encodings climb toward the threshold, and the detector give up."
)

database = state.database()
people = breaks_view.people_of(database)
recipe = state.recipe()

picker, who = st.columns(2, gap="large")
with picker:
    picked = widgets.picked_photo("Photo", "breaks", default="val/madonna/1")
with who:
    choices = [UNKNOWN, *database.names]
    if picked is not None and picked.ref and ss.get("_breaks_ref") != picked.ref:
        ss["_breaks_ref"] = picked.ref  # a new gallery photo: the person follows it
        owner = widgets.gallery_person(picked.ref)
        ss.breaks_person = owner if owner in database.names else UNKNOWN
    if ss.get("breaks_person") not in choices:
        ss.breaks_person = UNKNOWN
    person_choice = st.selectbox("Who is in the photo?", choices, key="breaks_person",
                                 format_func=lambda n: n if n == UNKNOWN else person_title(n),
                                 help="The enrolled person whose encodings are 'self'; everyone else is an impostor.")
    person = None if person_choice == UNKNOWN else person_choice
    rule = widgets.person_threshold(database, "breaks_use_sidebar")
encoded = widgets.encode_photo(picked, what="The photo: ")

st.divider()
knobs, result = st.columns([2, 3], gap="large")
with knobs:
    st.markdown("##### Make it worse")
    values = {}
    for name, entry in DEGRADATIONS.items():
        whole = float(entry.step).is_integer()
        values[name] = st.slider(f"{entry.title} ({entry.unit})", float(entry.low), float(entry.high),
                                 float(entry.harmless), step=float(entry.step), key=f"breaks_{name}",
                                 format="%.0f" if whole else "%.1f")
    settings = breaks_view.settings_of(values)
    st.caption("Several knobs apply together, in this order: occlusion, tilt, blur, resolution, light, noise, JPEG.")

if encoded is None:
    st.stop()
if not people:
    st.warning("The database is empty: enrol someone on the People page first.")
    st.page_link("app_pages/people.py", label="Go to People", icon="👥")
    st.stop()

shown = breaks_view.live(encoded, settings, recipe)
with result:
    photo_cell, crop_cell = st.columns([3, 1], gap="small")
    with photo_cell:
        if shown.face is not None:
            st.image(widgets.draw_faces(shown.rgb, shown.faces, max_side=480),
                     caption="the degraded photo and its detection", width="stretch")
        else:
            st.image(shown.rgb, caption="the degraded photo", width="stretch")
    with crop_cell:
        if shown.crop is not None:
            widgets.show_crop(shown.crop)
        else:
            st.warning("The detector lost the face at this setting: there is nothing to encode, so nobody gets in.")


@threshold_view
def live_door(shown: Live, person: str | None, comparison: str, rule: widgets.PersonRule) -> None:
    """The distances of the degraded photo against the threshold, the door and "how sure" (redrawn at a move)."""
    threshold = rule.threshold
    if shown.vector is None:
        widgets.verdict(False, "No face found — the door stays shut")
        return
    own, nearest, other = breaks_view.distances(shown.vector, person, people, comparison)
    rows = ([(f"to {person_title(person)} (self)", own)] if own is not None else [])
    if nearest is not None:
        rows.append((f"to {person_title(nearest)} (nearest other)", other))
    own_shown, other_shown = st.columns(2)
    measure = "Cosine similarity" if widgets.shows_cosine() else "Distance"
    own_shown.metric(f"{measure} to self", "—" if own is None else widgets.shown_precise(own))
    other_shown.metric(f"{measure} to the nearest other person", "—" if other is None else widgets.shown_precise(other),
                       help=f"{person_title(nearest)}" if nearest else None)
    st.vega_lite_chart(widgets.distance_bars(rows, threshold), width="stretch")
    st.caption(f"Threshold **{widgets.shown_distance(threshold)}**, photo against a person's {comparison} encoding."
               + (" Higher = more alike: the door opens above the threshold." if widgets.shows_cosine() else ""))
    if own is None:
        st.info("Pick who is in the photo to see the distance to self and the door.")
        return
    door_open = same_person(own, threshold)
    widgets.verdict(door_open, f"It's {person_title(person)}, welcome in!" if door_open
                    else f"Not recognised as {person_title(person)} — the door stays shut")
    confidence_view.how_sure(own, threshold, against="person", comparison=comparison,
                             what=f"the photo and {person_title(person)}")


with result:
    live_door(shown, person, rule.comparison, rule)

# --- sweeps ---------------------------------------------------------------------------------------
st.divider()
st.subheader("Sweeps: the same photo, one knob from harmless to worst")
picked_sweeps = st.multiselect(
    "Degradations to sweep", list(DEGRADATIONS), default=["blur", "dark", "eye_bar"], key="breaks_sweeps",
    format_func=lambda name: DEGRADATIONS[name].title,
    help=f"Each sweep encodes the photo at {breaks_view.SWEEP_STEPS} settings in one batch, once.",
)
sweeps = [breaks_view.photo_sweep(encoded, name, person, people, rule.comparison, recipe) for name in picked_sweeps]


@threshold_view
def sweep_charts(sweeps: list, rule: widgets.PersonRule) -> None:
    """One chart per swept degradation, with where the door stops opening at the current threshold."""
    threshold = rule.threshold
    columns = st.columns(2)
    for number, result in enumerate(sweeps):
        entry = DEGRADATIONS[result.degradation]
        with columns[number % 2]:
            st.vega_lite_chart(breaks_view.sweep_chart(result, threshold), width="stretch")
            closes, lost = result.door_closes(threshold), result.face_lost()
            said = [f"door stops opening at **{closes:g}**" if closes is not None
                    else "the door opens all the way to the worst setting" if person else "no self to compare with",
                    f"detector lost the face at **{lost:g}**" if lost is not None else "the detector kept the face"]
            st.caption(f"{entry.title} ({entry.unit}), threshold {widgets.shown_distance(threshold)}: "
                       + "; ".join(said) + ".")


if sweeps:
    sweep_charts(sweeps, rule)

# --- the summary ----------------------------------------------------------------------------------
st.divider()
st.subheader("Over the gallery's val photos")
val_people = sorted(set(state.gallery("val", recipe).labels) & set(database.names))
a, b = st.columns(2)
with a:
    per_person_count = st.number_input("Val photos per person", 1, 20, 5, key="breaks_summary_per_person")
with b:
    steps = st.number_input("Settings per degradation", 3, 12, 6, key="breaks_summary_steps")
if st.button("Measure every degradation on the val photos", key="breaks_summary_go"):
    ss["_breaks_summary_on"] = True
measured = None
if ss.get("_breaks_summary_on"):
    measured = breaks_view.summary(people, rule.comparison, recipe, per_person=int(per_person_count), steps=int(steps))
else:
    st.caption(f"Runs every degradation on up to {int(per_person_count)} val photos of each of the {len(val_people)} "
               "enrolled people who have val photos (a minute or two, once; then cached).")


@threshold_view
def summary_view(measured, rule: widgets.PersonRule) -> None:
    threshold = rule.threshold
    st.caption(f"{len(measured.photos)} val photos, threshold **{widgets.shown_distance(threshold)}**. A genuine "
               "attempt fails when the detector loses the face or the "
               + ("cosine similarity to self is not above" if widgets.shows_cosine() else "distance to self is not below")
               + " the threshold; the severity shown is the first of the measured settings at which half of them fail.")
    table = breaks_view.summary_table(measured, threshold)
    widgets.keyed_dataframe(table, key="breaks_summary", hide_index=True, height=36 * (len(table) + 1) + 3)


if measured is not None:
    summary_view(measured, rule)

# --- who it fails for -----------------------------------------------------------------------------
st.divider()
st.subheader("Who it fails for")
st.markdown(
    "Errors are not spread evenly: they differ between people and between conditions (light, pose, camera, "
    "age of the photo), so they have to be measured on the people and photos at hand, not assumed."
)
room = classroom.known_room()
who_set = "gallery"
if room is not None:
    who_set = st.radio("People", ["gallery", "class"], key="breaks_who_set", horizontal=True,
                       format_func={"gallery": "🖼️ The gallery", "class": f"🧑‍🏫 This class ({room.code})"}.get,
                       help="This class: each student's enrolled photos, each left out in turn and held against "
                            "every student; redrawn as students join.")
else:
    st.caption("In a class (the Class page), its students can be measured here too, once the class is started or joined.")


def _hardest_grid(tried: list, names: list[str], threshold: float, crop_of, person=person_title,
                  photo_of=photo_name) -> None:
    """Each person's hardest own photo and nearest other's photo, as crops (or names) with their distances."""
    for start in range(0, len(names), 2):
        cells = st.columns(4, gap="medium")
        for offset, name in enumerate(names[start:start + 2]):
            own, other = breaks_view.hardest(tried, name)
            for cell, hard, what in ((cells[2 * offset], own, "own, farthest"), (cells[2 * offset + 1], other, "other, nearest")):
                if hard is None:
                    if what.startswith("own"):
                        cell.caption(f"{person(name)} · own: one photo only, none to hold against the others of theirs")
                    continue
                with cell:
                    verdict = "let in" if same_person(hard.distance, threshold) else "turned away"
                    text = (f"{person(name)} · {what}: {photo_of(hard.photo)}, {widgets.shown_distance(hard.distance)}, "
                            f"{verdict}")
                    crop = crop_of(hard.row)
                    if crop is not None:
                        widgets.show_crop(crop, text)
                    else:
                        st.caption(text)


@threshold_view
def who_fails(tried: list, rule: widgets.PersonRule) -> None:
    threshold = rule.threshold
    st.caption(f"Every val photo against every enrolled person at threshold **{widgets.shown_distance(threshold)}** "
               f"({len(tried)} attempts).")
    widgets.keyed_dataframe(breaks_view.per_person(tried, threshold), key="breaks_who", hide_index=True)
    network = state.current_network()
    st.markdown("**The hardest photos**: each person's own val photo farthest from them, and the other person's "
                "photo nearest to them.")
    _hardest_grid(tried, sorted({a.claimed for a in tried}), threshold,
                  lambda row: breaks_view.val_crop(row, recipe, network))


@threshold_view
def class_fails(code: str, rule: widgets.PersonRule) -> None:
    """The class's students as the people: leave-one-out over their enrolled photos.

    Reads the room's encodings and the crops it keeps in memory; encodes nothing, caches no photo.
    Redrawn at a threshold move, and with the page when a student joins or leaves
    (:func:`ui.classroom.follow`): not on a clock, which would send every crop again every few seconds.
    """
    room = classroom.room_or_warning(code)
    if room is None:
        return
    photos = room.photos()
    counts = {name: photos.labels.count(name) for name in dict.fromkeys(photos.labels)}
    with_two = sum(k >= 2 for k in counts.values())
    so_far = f"{len(counts)} student{'s' * (len(counts) != 1)} and {len(photos)} photo{'s' * (len(photos) != 1)} so far"
    if not counts:
        st.info(f"Nobody has enrolled in class {code} yet: students join on the Class page, and who it fails for "
                "appears with two students, one of them with two photos.")
        return
    if len(counts) == 1:
        st.info(f"Class {code} has one student so far ({next(iter(counts))}): nobody else can be let in as them, "
                "so who it fails for waits for a second student.")
        return
    if not with_two:
        st.info(f"Nobody in class {code} has enrolled two photos yet ({so_far}): each photo is held against its own "
                "student with that photo left out, so a student needs a second photo before the door can turn them "
                "away. Enrol two or three photos on the Class page.")
        return
    alike = classroom.encoded_alike(room)
    threshold = rule.threshold if alike else default_threshold(room.recipe, rule.comparison, room.network)
    tried = breaks_view.class_attempts(photos, rule.comparison)
    st.caption(
        f"Class {code}: {so_far} ({with_two} with two photos or more). Each photo against every student at threshold "
        f"**{widgets.shown_distance(threshold)}**"
        + ("" if alike else " (calibrated for the class's model and recipe: the sidebar uses others)")
        + f", its own photo left out of its student's {rule.comparison} encoding ({len(tried)} attempts). "
        "Redrawn as students join or leave."
    )
    widgets.keyed_dataframe(breaks_view.per_person(tried, threshold, photos="photos", person=str, who="student"),
                            key="breaks_who_class", hide_index=True)
    st.markdown("**The hardest photos**: each student's own photo farthest from them (the others of theirs enrolled), "
                "and another student's photo nearest to them.")
    errors = {e.name: e.false_rejects + e.false_accepts for e in failures.per_person(tried, threshold)}
    shown = sorted(counts, key=lambda name: (-errors.get(name, 0), name))[:MAX_HARDEST_STUDENTS]
    if len(counts) > len(shown):
        st.caption(f"The {len(shown)} students with the most errors at this threshold, of {len(counts)}.")
    crops = photos.crops  # kept in the room's memory only; shown, never cached or saved
    names = {photo_id: name for photo_id, name in zip(photos.ids, photos.names)}
    _hardest_grid(tried, shown, threshold, lambda row: crops[row] if row < len(crops) else None,
                  person=str, photo_of=names.get)


if who_set == "class" and room is not None:
    classroom.follow(room)
    class_fails(room.code, rule)
else:
    tried = breaks_view.attempts(database, rule.comparison, recipe)
    if tried:
        who_fails(tried, rule)
