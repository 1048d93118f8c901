"""Verify (1:1): is this the person they claim to be? The notebook's door, with two photos or an ID card.

Widget keys: ``verify_with`` (two photos | photo + claimed name), the photo inputs ``a`` and ``b``
(see :func:`ui.widgets.picked_photo`), ``claim`` (claimed name), ``verify_use_sidebar``, ``unsure_band``
(three answers: yes, not sure, no); when the session
knows a class, ``verify_names`` (the People database or "This class") and ``class_claim`` (a student's name).
Deep links: ``?a=val/madonna/1&b=train/madonna/1`` or ``?a=val/madonna/1&claim=madonna``, plus the
sidebar's ``threshold``, ``model`` and ``recipe``.
"""

from __future__ import annotations

import streamlit as st

from facedemo.encoding.networks import NETWORKS
from facedemo.people.database import FaceDatabase
from facedemo.people.matching import compare
from ui import classroom, confidence_view, pages, state, widgets
from ui.messages import attempt
from ui.state import UploadEncoding
from ui.threshold_view import threshold_view

MODES = {"photos": "👤👤 Two photos", "name": "👤🪪 A photo and a claimed name (ID card)"}

ss = st.session_state
if "verify_with" not in ss and "claim" in st.query_params:
    ss.verify_with = "name"

st.title(pages.heading(__file__))
st.caption(
    "Face verification answers one question: are these the same person? FaceNet turns each face into "
    f"{NETWORKS[state.current_network()].embedding_size} numbers (an *encoding*); the door opens when the L2 distance between two encodings is "
    "**below the threshold**."
)
mode = st.radio(
    "Compare", list(MODES), key="verify_with", format_func=MODES.get, horizontal=True,
    persist_state="session", label_visibility="collapsed",
)

left, right = st.columns(2, gap="large")
with left:
    picked_a = widgets.picked_photo("Photo at the door", "a", default="val/madonna/1")
    encoded_a = widgets.encode_photo(picked_a, what="Photo at the door: ")
    if encoded_a is not None:
        widgets.show_photo_and_crop(encoded_a, picked_a.label)

with right:
    if mode == "photos":
        picked_b = widgets.picked_photo("Photo to compare with", "b", default="train/madonna/1")
        encoded_b = widgets.encode_photo(picked_b, what="Photo to compare with: ")
        if encoded_b is not None:
            widgets.show_photo_and_crop(encoded_b, picked_b.label)
    else:
        database, room, problem = classroom.pick_database("Names from", "verify_names")
        claim_key = "class_claim" if room else "claim"  # a student's name is not put in the URL
        if problem:
            st.warning(problem)
        elif not database.names:
            st.warning("The database is empty: enrol someone on the People page first.")
            st.page_link("app_pages/people.py", label="Go to People", icon="👥")
        else:
            wanted = ss.get(claim_key) or (None if room else st.query_params.get("claim"))
            if wanted not in database.names:
                if wanted:  # a bookmark, or a choice whose person has been removed since
                    st.warning(f"'{wanted}' is not in the database; choose one of the {len(database)} people enrolled.")
                guess = widgets.gallery_person(picked_a.ref) if picked_a and picked_a.ref else None
                ss[claim_key] = guess if guess in database.names else database.names[0]
            claim = st.selectbox(
                "Who do they claim to be? (the name on the ID card)", database.names, key=claim_key,
                index=None, required=True, **({} if room else {"bind": "query-params"}),
            )
            if room:
                card = classroom.student_crop(room, claim) if claim else None
            else:
                card = widgets.person_crop(database, claim) if claim else None
            if card is not None:
                picture, _ = st.columns(2)
                with picture:
                    widgets.show_crop(card, f"ID card: {claim} ({len(database.people[claim])} photos enrolled)")
            rule = widgets.person_threshold(database, "verify_use_sidebar")

st.divider()
show_band = confidence_view.band_toggle()


def _unsure(distance: float, threshold: float, show_band: bool, **against) -> bool:
    """Whether ``distance`` is in the "unsure" band (always False with the band off); its caption when on."""
    if not show_band:
        return False
    band = confidence_view.unsure_band(threshold, **against)
    st.caption(confidence_view.band_caption(band))
    return band.answer(distance) == "unsure"


@threshold_view
def two_photos_door(encoded_a: UploadEncoding, encoded_b: UploadEncoding, show_band: bool) -> None:
    """The verdict on two photos at the sidebar's threshold (redrawn alone when it moves)."""
    verdict = compare(encoded_a.vector, encoded_b.vector, state.threshold())
    distance, threshold, door_open = verdict.distance, verdict.threshold, verdict.same
    unsure = _unsure(distance, threshold, show_band, against="photo")
    widgets.verdict(door_open, "Same person — the door opens" if door_open else "Different people — the door stays shut",
                    unsure=unsure)
    st.vega_lite_chart(widgets.distance_bars([("photo A ↔ photo B", distance)], threshold), width="stretch")
    st.caption(
        f"Threshold **{widgets.shown_distance(threshold)}** ({widgets.other_unit(threshold)}) from the sidebar: one "
        "photo against one photo. Calibrated "
        f"default for this recipe and model: {widgets.shown_distance(state.calibrated('pair'))}; the course notebook "
        f"used {widgets.shown_distance(0.70)}."
    )
    with st.expander("Why did it say no?" if not door_open else "Why did it say yes?", expanded=not door_open):
        st.markdown(widgets.explain_distance(distance, threshold, what="the two photos"))
    confidence_view.how_sure(distance, threshold, against="photo")


@threshold_view
def claimed_name_door(encoded_a: UploadEncoding, database: FaceDatabase, claim: str, rule: widgets.PersonRule,
                      show_band: bool) -> None:
    """The verdict on a photo and a claimed name (redrawn alone when the sidebar's threshold moves)."""
    threshold = rule.threshold
    result = attempt(lambda: database.verify(encoded_a.vector, claim, threshold=threshold, comparison=rule.comparison))
    if result is None:
        return
    distance, door_open = result
    unsure = _unsure(distance, threshold, show_band, against="person", comparison=rule.comparison)
    widgets.verdict(door_open, f"It's {claim}, welcome in!" if door_open else f"It's not {claim}, please go away",
                    unsure=unsure)
    st.vega_lite_chart(widgets.distance_bars([(f"photo ↔ {claim}", distance)], threshold), width="stretch")
    if rule.use_sidebar:
        st.caption(f"Threshold **{widgets.shown_distance(threshold)}** from the sidebar. "
                   f"({widgets.other_unit(threshold)})")
    with st.expander("Why did it say no?" if not door_open else "Why did it say yes?", expanded=not door_open):
        st.markdown(widgets.explain_distance(distance, threshold, what=f"the photo and {claim}'s encodings"))
    confidence_view.how_sure(distance, threshold, against="person", comparison=rule.comparison,
                             what=f"the photo and {claim}")


if mode == "photos":
    if encoded_a is not None and encoded_b is not None:
        two_photos_door(encoded_a, encoded_b, show_band)
elif encoded_a is not None and database.names and claim:
    claimed_name_door(encoded_a, database, claim, rule, show_band)
