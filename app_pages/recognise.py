"""Recognise (1:K): who is it? One photo against everyone in the database, nearest first.

Widget keys: the photo input ``q`` (see :func:`ui.widgets.picked_photo`), ``recognise_use_sidebar``,
``unsure_band`` (three answers: yes, not sure, no),
``recognise_against`` (the People database or "This class", shown when the session knows a class);
the ranking table is ``recognise_ranking``. A photo with several faces names every face instead
(:mod:`ui.group_view`): each box labelled on the photo, and the table ``recognise_faces``.
Deep link: ``?q=val/madonna/1`` plus the sidebar's ``threshold`` and ``recipe``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facedemo.analysis.units import l2_to_cosine
from facedemo.people.matching import same_person
from ui import classroom, confidence_view, group_view, pages, state, widgets
from ui.messages import attempt

TABLE_ROWS = 10

st.title(pages.heading(__file__))
st.caption(
    "No ID card this time: the photo's encoding is compared with every person in the database and the "
    "nearest one wins — if they are close enough. Otherwise: *Not in the database.*"
)

database, room, problem = classroom.pick_database("Recognise against", "recognise_against")
left, right = st.columns(2, gap="large")
with left:
    picked = widgets.picked_photo("Who is at the door?", "q", default="val/madonna/1")
    encoded = widgets.encode_photo(picked)
    group = encoded is not None and len(encoded.faces) > 1 and bool(database.names)
    if encoded is not None and not group:
        widgets.show_photo(encoded, picked.label)

with right:
    if problem:
        st.warning(problem)
    elif not database.names:
        st.warning("The database is empty: enrol someone on the People page first.")
        st.page_link("app_pages/people.py", label="Go to People", icon="👥")
    else:
        who = f"class {room.code}: **{len(database)} students**" if room else f"**{len(database)} people** in the database"
        st.markdown(f"{who} ({sum(len(p) for p in database.people.values())} photos).")
        rule = widgets.person_threshold(database, "recognise_use_sidebar", one_of_k=True)
        threshold, comparison = rule.threshold, rule.comparison
        odds = widgets.stranger_odds(database, rule)
        if odds:
            st.caption(odds)
        show_band = confidence_view.band_toggle()

if group:
    photo = attempt(lambda: group_view.every_face(picked.data, database.recipe))
    if photo is not None:
        named = group_view.name_faces(photo, database, threshold=threshold, comparison=comparison)
        with right:
            st.markdown(group_view.summary(named))
            st.caption(
                "Each face is compared with everyone in the database on its own, and gets the nearest "
                f"person's name when that distance is below the threshold {widgets.both_units(threshold)}; otherwise "
                f"*Not in the database*. A face under {group_view.MIN_FACE_SIDE} px is too small to "
                "recognise: it is marked, never guessed."
            )
        st.divider()
        st.subheader("Every face in the photo, largest first")
        group_view.show_labelled_photo(photo, named, encoded.sha256, picked.label)
        group_view.show_faces(named, key="recognise_faces")

ranking = None
if encoded is not None and database.names and not group:
    ranking = attempt(lambda: database.ranking(encoded.vector, comparison=comparison))

if ranking:
    best = ranking[0]
    known = same_person(best.distance, threshold)  # what identify decides, without ranking everyone again
    with right:
        unsure = False
        if show_band:
            band = confidence_view.unsure_band(threshold, against="person", comparison=comparison)
            st.caption(confidence_view.band_caption(band))
            unsure = band.answer(best.distance) == "unsure"
        if known:
            widgets.verdict(True, f"It's {best.name}, {widgets.distance_words(best.distance)}", unsure=unsure)
        else:
            widgets.verdict(False, "Not in the database.", unsure=unsure)
            st.caption(f"The nearest is {best.name} at {widgets.shown_distance(best.distance)}, not "
                       f"{'above' if state.distance_unit() == 'cosine' else 'below'} the threshold "
                       f"{widgets.both_units(threshold)}.")
        query, match = st.columns(2)
        with query:
            widgets.show_crop(encoded.crop, "the photo (what the model sees)")
        with match:
            crop = classroom.student_crop(room, best.name) if room else widgets.person_crop(database, best.name)
            if crop is not None:
                widgets.show_crop(crop, f"nearest: {best.name} (enrolled)")
            else:
                st.caption(f"nearest: {best.name} (no enrolled photo to show)")
    confidence_view.how_sure(best.distance, threshold, against="person", comparison=comparison,
                             what=f"the photo and {best.name}", people=len(ranking))

    st.divider()
    st.subheader("Everyone in the database, nearest first")
    table, chart = st.columns(2, gap="large")
    with table:
        widgets.keyed_dataframe(
            pd.DataFrame(
                {
                    "rank": range(1, len(ranking) + 1),
                    "person": [m.name for m in ranking],
                    "distance": [round(m.distance, 3) for m in ranking],
                    **({"cosine similarity": [round(l2_to_cosine(min(m.distance, 2.0)), 3) for m in ranking]}
                       if state.distance_unit() == "cosine" else {}),
                    "match": ["✅ yes" if same_person(m.distance, threshold) else "—" for m in ranking],
                    "photos": [len(database.people[m.name]) for m in ranking],
                }
            ),
            hide_index=True,
            width="stretch",
            key="recognise_ranking",
            column_config={
                "rank": st.column_config.NumberColumn(width="small"),
                "distance": st.column_config.NumberColumn(format="%.3f", width="small"),
                "match": st.column_config.TextColumn(width="small", help="distance below the threshold"),
                "photos": st.column_config.NumberColumn(width="small"),
            },
        )
    with chart:
        shown = ranking[:TABLE_ROWS]
        st.vega_lite_chart(widgets.distance_bars([(m.name, m.distance) for m in shown], threshold), width="stretch")
        if len(ranking) > TABLE_ROWS:
            st.caption(f"The {TABLE_ROWS} nearest of {len(ranking)} people.")
    with st.expander("Why this answer?", expanded=not known):
        st.markdown(widgets.explain_distance(best.distance, threshold, what=f"the photo and {best.name}"))
        if len(ranking) > 1:
            st.markdown(
                f"The runner-up, {ranking[1].name}, is at {widgets.shown_distance(ranking[1].distance)}: the gap to "
                f"the winner is {abs(ranking[1].distance - best.distance):.2f} in L2 distance. A small gap means the "
                "answer is a close call."
            )
