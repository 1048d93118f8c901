"""Embedding map: the gallery's encodings flattened to 2-D (PCA), with each photo's nearest neighbours."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import projection
from facedemo.encoding.networks import NETWORKS
from facedemo.gallery.album import Album, parse_photo_ids, person_title
from facedemo.people.matching import same_person
from ui import charts, classroom, frames, pages, state, widgets
from ui.messages import album_or_stop, attempt

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif"]
CLASS_REFRESH_SECONDS = 3


@st.cache_data(show_spinner=False, max_entries=4)
def gallery_map(recipe: str, network: str, _album: Album) -> tuple[np.ndarray, projection.Projection]:
    """PCA of the gallery's encodings (fitted on the gallery only, so uploads do not move it)."""
    return projection.pca_2d(_album.vectors)


@st.fragment(run_every=CLASS_REFRESH_SECONDS)
def class_map(code: str) -> None:
    """The class's photos on their own map (PCA of the class), redrawn every few seconds; nothing is encoded."""
    room = classroom.room_or_warning(code)
    if room is None:
        return
    photos = room.photos()
    people = len(set(photos.labels))
    if len(photos) < 3 or people < 2:
        st.info(f"Class {code}: {people} student(s) and {len(photos)} photo(s) so far. The map appears with three "
                "photos of at least two students, and grows on its own as students enrol.")
        return
    points, fitted = projection.pca_2d(photos.vectors)
    frame = frames.map_frame(points, photos.ids, photos.names, photos.labels, ["class"] * len(photos),
                             images=[frames.data_uri(crop) for crop in photos.crops])
    st.altair_chart(charts.class_map(frame), key="map_class_chart")
    st.caption(f"Class {code}: {len(photos)} photos of {people} students, on the two directions along which the "
               f"class's own encodings vary most; they keep {float(fitted.explained_variance_ratio.sum()):.0%} of "
               "the variance. A student's photos close together: the model knows them.")


size = NETWORKS[state.current_network()].embedding_size
st.title(pages.heading(__file__))
st.markdown(
    f"Each dot is one photo's {size}-number encoding, flattened onto the two directions along which the gallery's "
    "encodings vary most (PCA). If the encoding works, each person forms a cluster. The flattening loses "
    f"information, so the **nearest neighbours** of the chosen photo are measured in the full {size} dimensions. "
    "Hover a dot to see the face; click one (or pick it below) to see its neighbours."
)

room = classroom.known_room()
if room is not None and classroom.photo_set(room, "map_set") == "class":
    class_map(room.code)
    st.stop()

recipe, threshold = state.recipe(), state.threshold()
album = album_or_stop(recipe)
points, fitted = gallery_map(recipe, state.current_network(), album)
thumbs = state.thumbnails(recipe)

keys, names = list(album.ids), [album.name(photo) for photo in album.ids]
people = [person_title(label) for label in album.labels]
sources = list(album.splits)
vectors, images = [album.vectors], [thumbs[photo] for photo in album.ids]
uploads = st.file_uploader("Place your own photos on the map (optional)", type=UPLOAD_TYPES,
                           accept_multiple_files=True, key="map_uploads")
upload_crops: dict[str, np.ndarray] = {}
for upload in uploads or []:
    encoded = attempt(lambda: state.encode_bytes(upload.getvalue(), recipe), what=f"{upload.name}: ")
    if encoded is None:
        continue
    key = f"upload:{encoded.sha256[:12]}"
    if key in keys:
        continue
    keys.append(key)
    names.append(f"Upload: {upload.name}")
    people.append(charts.UPLOAD_PERSON)
    sources.append("upload")
    vectors.append(encoded.vector[None, :])
    images.append(frames.data_uri(encoded.crop))
    upload_crops[key] = encoded.crop
all_vectors = np.concatenate(vectors)
all_points = np.concatenate([points, fitted.transform(all_vectors[len(album):])]) if len(keys) > len(album) else points
frame = frames.map_frame(all_points, keys, names, people, sources, images=images)

ss = st.session_state
if ss.get("map_point") not in keys:
    linked = parse_photo_ids(st.query_params.get("photos"), album.ids, limit=1)
    ss.map_point = linked[0] if linked else album.ids[0]

k = st.slider("Neighbours to show", 1, 15, 5, key="map_k", bind="query-params")
# The map's last click is in session state before the map is drawn: the chosen photo is known first.
clicked = next((p.get("key") for p in ((ss.get("map_chart") or {}).get("selection", {}) or {}).get("point", []) or []
                if p.get("key") in keys), None)
if clicked and clicked != ss.get("_map_clicked"):
    ss.map_point = clicked
ss._map_clicked = clicked
chosen_key = ss.map_point
chosen = keys.index(chosen_key)
neighbours, distances = projection.nearest_neighbours(all_vectors, all_vectors[chosen], k=k, exclude=chosen)
selection = alt.selection_point(name="point", fields=["key"], on="click", clear=False)
chart = charts.embedding_map(frame, selection=selection, lines=frames.neighbour_lines(all_points, chosen, neighbours),
                             chosen=chosen_key)
st.altair_chart(chart, on_select="rerun", selection_mode="point", key="map_chart")
share = float(fitted.explained_variance_ratio.sum())
uploaded = len(keys) - len(album)
st.caption(f"{len(album)} gallery photos{f' and {uploaded} upload' + ('s' if uploaded > 1 else '') if uploaded else ''}; "
           f"the two axes keep {share:.0%} of the encodings' variance, so the map is only a sketch of the real distances.")

st.subheader(f"Nearest neighbours (in {size} dimensions)")
photo_col, pick_col = st.columns([1, 3])
with pick_col:
    st.selectbox("Photo", keys, key="map_point", format_func=lambda key: names[keys.index(key)],
                 help="Click a dot on the map, or pick the photo here.")
with photo_col:
    st.image(upload_crops[chosen_key] if chosen_key in upload_crops else album.crop(chosen), width=150,
             caption=names[chosen])
if chosen_key in album.ids:
    st.query_params["photos"] = chosen_key
chosen_person = people[chosen]
table = pd.DataFrame({
    "face": [images[n] for n in neighbours],
    "photo": [names[n] for n in neighbours],
    "person": [people[n] for n in neighbours],
    "distance": distances,
    "same person": [people[n] == chosen_person and chosen_person != charts.UPLOAD_PERSON for n in neighbours],
    f"match at {threshold:.2f}": same_person(distances, threshold),
})
widgets.keyed_dataframe(table, hide_index=True, row_height=72, height="content", key="map_neighbours", column_config={
    "face": st.column_config.ImageColumn(width="small"),
    "distance": st.column_config.NumberColumn(format="%.3f"),
})
