"""Distance matrix: every pair of the chosen photos, the threshold's decision, and where it is wrong."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import streamlit as st

from facedemo.analysis import metrics
from facedemo.encoding.every_face import MIN_FACE_SIDE
from facedemo.encoding.networks import NETWORKS
from facedemo.gallery.album import parse_photo_ids
from ui import charts, classroom, frames, group_view, pages, state, widgets
from ui.messages import album_or_stop, attempt

MAX_PHOTOS = 16
MAX_CLASS_PHOTOS = 40
CLASS_REFRESH_SECONDS = 3
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif"]


@st.cache_data(show_spinner=False, max_entries=64)
def pair_images(recipe: str, keys: tuple[str, ...], _crop_of: list[Callable[[], np.ndarray]]) -> dict[str, str]:
    """Side-by-side thumbnails of every pair ``"i-j"`` (i <= j) for the hover, keyed by recipe and photos.

    ``_crop_of[k]()`` makes the face crop of photo ``k``; only called when the pictures are not cached yet.
    """
    crops = [make() for make in _crop_of]
    return {
        f"{i}-{j}": frames.data_uri(frames.side_by_side(crops[i], crops[j], size=64), size=136)
        for i in range(len(crops)) for j in range(i, len(crops))
    }


@st.fragment(run_every=CLASS_REFRESH_SECONDS)
def class_matrix(code: str) -> None:
    """The class's photos as a matrix, redrawn every few seconds from the room's encodings (never encoding)."""
    room = classroom.room_or_warning(code)
    if room is None:
        return
    photos = room.photos()
    people = len(set(photos.labels))
    n = min(len(photos), MAX_CLASS_PHOTOS)
    if n < 2:
        st.info(f"Class {code}: {people} student(s) and {len(photos)} photo(s) so far. The matrix appears with "
                "two photos, and grows on its own as students enrol.")
        return
    rule = classroom.class_threshold(room)
    names, labels, keys = photos.names[:n], photos.labels[:n], photos.ids[:n]
    distances = metrics.distance_matrix(photos.vectors[:n])
    frame = in_session_unit(frames.matrix_frame(distances, names, labels, rule.value, keys=keys))
    frame["chosen"] = False
    pairs = frame[frame["i"] < frame["j"]]
    wrong = int(pairs["wrong"].sum())
    st.caption(
        f"Class {code}: {n} × {n} {_values()} between {n} photos of {people} students · threshold "
        f"{widgets.shown_distance(rule.value)}"
        f"{'' if rule.sidebar else ' (calibrated for the class model and recipe)'} · "
        f"{len(pairs) - wrong} of {len(pairs)} pairs decided as the names say"
        + (f", **{wrong} wrong** (red frames)" if wrong else "")
        + (f" · the first {n} of {len(photos)} photos" if len(photos) > n else "")
        + ". The faces are on the Class page: the class's crops go into no cache of hover pictures."
    )
    st.vega_lite_chart(charts.distance_heatmap(frame, order=names, title=_chart_title()), key="matrix_class_chart",
                       width="content")


def in_session_unit(frame):
    """The matrix frame with its cells written in the session's unit (a ``cosine`` column when cosine).

    Display only: ``decision``, ``wrong`` and ``verdict`` stay the L2 rule's (:func:`ui.frames.matrix_frame`).
    """
    if widgets.shows_cosine():
        frame["cosine"] = widgets.in_unit(frame["distance"].to_numpy())
        frame["text"] = [f"{x:.2f}" for x in frame["cosine"]]
    return frame


def _values() -> str:
    return "cosine similarities" if widgets.shows_cosine() else "distances"


def _chart_title() -> str | None:
    return f"Numbers: {widgets.COSINE_TITLE}" if widgets.shows_cosine() else None


st.title(pages.heading(__file__))
if widgets.shows_cosine():
    st.markdown(
        f"Every photo becomes a {NETWORKS[state.current_network()].embedding_size}-number encoding, and each cell "
        "shows the **cosine similarity** between two of them (**higher = more alike**; for unit encodings "
        "d² = 2 − 2·cos θ, so it says what the L2 distance says). The sidebar's threshold turns each similarity into "
        "a decision: **green = match** (similarity above the threshold), grey = no match. A **red frame** marks a "
        "cell where that decision contradicts the names (a false accept or a false reject). Hover a cell to see "
        "both faces; click it to compare them below."
    )
else:
    st.markdown(
        f"Every photo becomes a {NETWORKS[state.current_network()].embedding_size}-number encoding, and each cell shows the **L2 distance** between two of them. "
        "The sidebar's threshold turns each distance into a decision: **green = match** (distance below the "
        "threshold), grey = no match. A **red frame** marks a cell where that decision contradicts the names "
        "(a false accept or a false reject). Hover a cell to see both faces; click it to compare them below."
    )

recipe, threshold = state.recipe(), state.threshold()
album = album_or_stop(recipe)

room = classroom.known_room()
if room is not None and classroom.photo_set(room, "matrix_set") == "class":
    class_matrix(room.code)
    st.stop()

ss = st.session_state
if "matrix_photos" not in ss:
    ss.matrix_photos = (parse_photo_ids(st.query_params.get("photos"), album.ids, limit=MAX_PHOTOS)
                        or album.first_photos(2))
ss.matrix_photos = [photo for photo in ss.matrix_photos if photo in album.ids]

left, right = st.columns([3, 2])
with left:
    chosen = st.multiselect(
        "Gallery photos", album.ids, key="matrix_photos", format_func=album.name, max_selections=MAX_PHOTOS, wrap=True,
        help="Photos from the bundled gallery (train and val). The default: two photos of each person.",
    )
with right:
    uploads = st.file_uploader(
        "Add your own photos (optional)", type=UPLOAD_TYPES, accept_multiple_files=True, key="matrix_uploads",
    )
st.query_params["photos"] = ",".join(chosen)

rows = album.rows(chosen)
keys, names = list(chosen), [album.name(photo) for photo in chosen]
labels: list[str | None] = [album.labels[row] for row in rows]
vectors = [album.vectors[row] for row in rows]
# Crops are made when needed (the two photos shown below, the hover pictures once per set of photos):
# reading and cropping every chosen photo again took a tenth of a second at each move of the threshold.
crop_of: list[Callable[[], np.ndarray]] = [partial(album.crop, row) for row in rows]
too_small: list[str] = []
for upload in uploads or []:
    encoded = attempt(lambda: state.encode_bytes(upload.getvalue(), recipe), what=f"{upload.name}: ")
    if encoded is None:
        continue
    name = f"Upload: {upload.name}" + (f" ({len(names)})" if f"Upload: {upload.name}" in names else "")
    group = attempt(lambda: group_view.every_face(upload.getvalue(), recipe), what=f"{upload.name}: ") \
        if len(encoded.faces) > 1 else None
    if group is None:  # one face (or the whole photo): one entry
        entries = [(f"upload:{encoded.sha256[:12]}", name, encoded.vector, encoded.crop)]
    else:  # a group photo: each face its own entry, largest first
        entries = [(f"upload:{encoded.sha256[:12]}:{number}", f"{name} · face {number}", face.vector, face.crop)
                   for number, face in enumerate(group.faces, start=1) if not face.too_small]
        too_small += [f"{name} · face {number}" for number, face in enumerate(group.faces, start=1) if face.too_small]
    for key, entry_name, vector, crop in entries:
        keys.append(key)
        names.append(entry_name)
        labels.append(None)
        vectors.append(vector)
        crop_of.append(lambda crop=crop: crop)
if too_small:
    st.caption(f"Too small to encode well (under {MIN_FACE_SIDE} px), left out: {', '.join(too_small)}.")

n = len(keys)
if n < 2:
    st.info("Pick at least two photos (or upload some) to see their distances.")
    st.stop()

distances = metrics.distance_matrix(np.stack(vectors))
images = pair_images(recipe, tuple(keys), crop_of)
frame = in_session_unit(frames.matrix_frame(distances, names, labels, threshold, keys=keys))

pairs = frame[frame["i"] < frame["j"]]
known = pairs[pairs["truth"].isin(["same person", "different people"])]
wrong = int(known["wrong"].sum())
st.caption(
    f"{n} × {n} {_values()} between {n} photos · threshold {widgets.shown_distance(threshold)} · "
    f"{len(known) - wrong} of {len(known)} pairs decided as the names say"
    + (f", **{wrong} wrong** (red frames)" if wrong else "")
)

# The pair shown below the matrix: a click on a cell sets the picker; the picker also works on its own.
# The chart's last click is in session state before the chart is drawn, so the chosen pair is known
# first and the matrix can outline it.
pair_options = [f"{keys[i]}|{keys[j]}" for i in range(n) for j in range(i + 1, n)]
index_of = {key: k for k, key in enumerate(keys)}
clicked = None
for point in ((ss.get("matrix_chart") or {}).get("selection", {}) or {}).get("cell", []) or []:
    a, b = point.get("row_key"), point.get("col_key")
    if a in index_of and b in index_of and a != b:
        i, j = sorted((index_of[a], index_of[b]))
        clicked = f"{keys[i]}|{keys[j]}"
if clicked and clicked != ss.get("_matrix_clicked"):
    ss.matrix_pair = clicked
ss._matrix_clicked = clicked
if ss.get("matrix_pair") not in pair_options:
    wrong_pairs = pairs[pairs["wrong"]]
    first = wrong_pairs.iloc[0] if len(wrong_pairs) else pairs.iloc[0]
    ss.matrix_pair = f"{first['row_key']}|{first['col_key']}"

shown = set(ss.matrix_pair.split("|"))
frame["chosen"] = frame["row_key"].isin(shown) & frame["col_key"].isin(shown) & (frame["i"] != frame["j"])
st.vega_lite_chart(
    charts.distance_heatmap(frame, order=names, selection="cell", images=frames.pair_image_frame(images),
                            title=_chart_title()),
    on_select="rerun", selection_mode="cell", key="matrix_chart", width="content",
)


def _pair_name(option: str) -> str:
    a, b = option.split("|")
    return f"{names[index_of[a]]}  ↔  {names[index_of[b]]}"


st.subheader("One pair, side by side")
choice = st.selectbox("Pair", pair_options, key="matrix_pair", format_func=_pair_name,
                      help="Click a cell of the matrix, or pick the pair here.")
i, j = (index_of[key] for key in choice.split("|"))
cell = frame[(frame["i"] == i) & (frame["j"] == j)].iloc[0]
photo_a, photo_b, verdict_col = st.columns([1, 1, 1.4])
photo_a.image(crop_of[i](), caption=names[i], width=220)
photo_b.image(crop_of[j](), caption=names[j], width=220)
with verdict_col:
    decision = "match" if cell["decision"] == "match" else "no match"
    if widgets.shows_cosine():  # the L2 rule's decision, written as similarities: d < t is cos d > cos t
        similarity, cut = cell["cosine"], float(widgets.in_unit(threshold))
        st.metric("Cosine similarity", widgets.shown_precise(cell["distance"]),
                  delta=f"{similarity - cut:+.3f} vs threshold {widgets.shown_distance(threshold)}", delta_color="off",
                  delta_arrow="off", help=f"Higher = more alike. As L2 distances: {cell['distance']:.3f}, "
                                          f"threshold {threshold:.2f}.")
        sign = ">" if cell["decision"] == "match" else "≤"
        st.markdown(f"**{decision}**: {widgets.shown_precise(cell['distance'])} {sign} {widgets.shown_distance(threshold)}")
    else:
        st.metric("Distance", f"{cell['distance']:.3f}",
                  delta=f"{cell['distance'] - threshold:+.3f} vs threshold {threshold:.2f}", delta_color="off",
                  delta_arrow="off")
        sign = "<" if cell["decision"] == "match" else "≥"
        st.markdown(f"**{decision}**: {cell['distance']:.3f} {sign} {threshold:.2f}")
    if cell["wrong"]:
        st.error(cell["verdict"])
    elif cell["truth"] == "unknown":
        st.info("An uploaded photo: the names cannot tell whether this decision is right.")
    else:
        st.success(cell["verdict"])

with st.expander("The matrix as numbers"):
    if widgets.shows_cosine():
        st.caption(f"Each cell: the {widgets.COSINE_TITLE}.")
    widgets.keyed_dataframe(frames.matrix_table(widgets.in_unit(distances), names).round(3), key="matrix_table")
