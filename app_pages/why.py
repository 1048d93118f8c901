"""Why learn an encoding: the notebook's pixel distance beside FaceNet's, on the same pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import calibration, metrics, naive
from facedemo.encoding.networks import default_threshold
from facedemo.encoding.recipes import RECIPES
from facedemo.gallery.album import Album, parse_photo_ids
from facedemo.io.images import read_image
from facedemo.people.matching import same_person
from ui import charts, frames, pages, state, widgets
from ui.messages import album_or_stop, attempt


@st.cache_data(show_spinner="Comparing every pair of whole photos pixel by pixel (first time only) ...")
def pixel_matrix(paths: tuple[str, ...]) -> np.ndarray:
    """Naive pixel distances between every pair of these photos (whole photos, 160×160), cached by path."""
    return naive.pixel_distance_matrix([read_image(path) for path in paths])


@st.cache_data(show_spinner=False, max_entries=8)
def facenet_auc(recipe: str, network: str, _album: Album) -> float:
    """AUC of FaceNet distances over every pair of the gallery, for one recipe."""
    pairs = metrics.pair_distances(_album.vectors, _album.labels)
    return metrics.roc_auc(pairs.genuine, pairs.impostor)


@st.cache_data(show_spinner=False, max_entries=8)
def enrolment(recipe: str, network: str, _album: Album) -> pd.DataFrame:
    """val photos against train: one photo vs one photo, vs the person's mean, vs their nearest photo."""
    train, val = _album.subset("train"), _album.subset("val")
    splits = {"pair": metrics.cross_pairs(metrics.distance_matrix(val.vectors, train.vectors), val.labels, train.labels)}
    for comparison in ("mean", "nearest"):
        split = calibration.person_distances(val.vectors, val.labels, train.vectors, train.labels, comparison=comparison)
        splits[comparison] = (split.genuine, split.impostor)
    described = {"pair": "one photo vs one photo", "mean": "photo vs the person's mean encoding",
                 "nearest": "photo vs the person's nearest photo"}
    rows = []
    for comparison, (genuine, impostor) in splits.items():
        threshold = default_threshold(recipe, comparison, network)
        rows.append({"compared": described[comparison], "AUC": metrics.roc_auc(genuine, impostor),
                     "threshold": threshold, "accuracy": metrics.rates_at(threshold, genuine, impostor).accuracy})
    return pd.DataFrame(rows)


st.title(pages.heading(__file__))
st.markdown(
    "The simplest way to compare two photos is pixel by pixel: shrink both to 160×160 and take the L2 distance "
    "between their 76,800 numbers. But lighting, pose, background and framing move pixels far more than "
    "identity does. FaceNet instead *learns* 128 numbers (512 for the second model) that change with the person "
    "and ignore the rest — "
    "compare the two distances on the same pairs."
)

recipe, threshold, network = state.recipe(), state.threshold(), state.current_network()
album = album_or_stop(recipe)
pixels = attempt(lambda: pixel_matrix(tuple(str(path) for path in album.encodings.paths)),
                 what="The pixel distances could not be computed: ")
if pixels is None:
    st.stop()
facenet = metrics.distance_matrix(album.vectors)

st.subheader("One pair, two distances")
ss = st.session_state
defaults = ["train/madonna/1", "train/madonna/2"]
linked = parse_photo_ids(st.query_params.get("photos"), album.ids, limit=2)
for key, default in zip(["why_a", "why_b"], linked if len(linked) == 2 else defaults):
    if ss.get(key) not in album.ids:
        ss[key] = default if default in album.ids else album.ids[0]
pick_a, pick_b = st.columns(2)
first = pick_a.selectbox("Photo 1", album.ids, key="why_a", format_func=album.name)
second = pick_b.selectbox("Photo 2", album.ids, key="why_b", format_func=album.name)
st.query_params["photos"] = f"{first},{second}"
i, j = album.index(first), album.index(second)
whole_a, whole_b, crop_a, crop_b = st.columns(4)


def _as_seen_by_pixels(row: int) -> np.ndarray:
    """The whole photo as the naive baseline sees it: squeezed to 160×160."""
    return np.asarray(naive.pixel_vector(album.photo(row)).reshape(160, 160, 3) * 255, dtype=np.uint8)


whole_a.image(_as_seen_by_pixels(i), caption="pixels compared: photo 1", width=180)
whole_b.image(_as_seen_by_pixels(j), caption="pixels compared: photo 2", width=180)
crop_a.image(album.crop(i), caption="FaceNet's input: photo 1", width=180)
crop_b.image(album.crop(j), caption="FaceNet's input: photo 2", width=180)
same = album.labels[i] == album.labels[j]
pixel_col, facenet_col, truth_col = st.columns(3)
pixel_col.metric("Pixel distance", f"{pixels[i, j]:.1f}", help="0 for identical photos, at most about 277.")
facenet_col.metric("FaceNet distance", f"{facenet[i, j]:.3f}",
                   delta="match" if same_person(facenet[i, j], threshold) else "no match", delta_color="off", delta_arrow="off",
                   help=f"Below the sidebar's threshold {threshold:.2f} means the same person.")
truth_col.metric("Truth", "same person" if same else "different people")

st.subheader("A few pairs side by side")
st.markdown("For each person: two of their photos, and one photo against the next person. Sorted by **pixel** "
            "distance: if pixels knew who is who, every *same person* row would come first.")
thumbs = state.thumbnails(recipe)
train = album.subset("train")
rows = []
for a, b in frames.example_pairs(train.labels):
    ia, ib = album.index(train.ids[a]), album.index(train.ids[b])
    rows.append({"photo 1": thumbs[album.ids[ia]], "photo 2": thumbs[album.ids[ib]],
                 "pair": f"{album.name(album.ids[ia])} ↔ {album.name(album.ids[ib])}",
                 "same person": album.labels[ia] == album.labels[ib],
                 "pixel distance": pixels[ia, ib], "FaceNet distance": facenet[ia, ib]})
examples = pd.DataFrame(rows).sort_values("pixel distance", ignore_index=True)
widgets.keyed_dataframe(examples, hide_index=True, row_height=72, height="content", key="why_examples", column_config={
    "photo 1": st.column_config.ImageColumn(width="small"), "photo 2": st.column_config.ImageColumn(width="small"),
    "pixel distance": st.column_config.NumberColumn(format="%.1f"),
    "FaceNet distance": st.column_config.NumberColumn(format="%.3f"),
})

st.subheader("Over every pair of the gallery")
genuine, impostor = metrics.split_pairs(pixels, album.labels)
aucs = [{"method": "pixels (the naive baseline)", "AUC": metrics.roc_auc(genuine, impostor)}]
for name, spec in RECIPES.items():
    other = attempt(lambda: state.album(name), what=f"{spec.title}: ")
    if other is not None:
        aucs.append({"method": f"FaceNet: {spec.title.lower()}", "AUC": facenet_auc(name, network, other)})
st.altair_chart(charts.value_bars(pd.DataFrame(aucs), x="AUC", y="method", title=f"AUC over all {len(album) * (len(album) - 1) // 2:,} pairs",
                                  domain=[0.5, 1.0]), key="why_auc")
st.caption("AUC: the chance that a random same-person pair is closer than a random different-people pair "
           "(0.5 = coin toss, 1 = perfect).")

st.subheader("Two known ways to do better")
st.markdown(
    "1. **Crop to the face.** The notebook's recipe feeds the whole photo, so background and hair still count; "
    "detecting the face and cutting it out first (the *face box crop*; the default *aligned* recipe also turns it so the eyes are level) is what lifts the AUC above.\n"
    "2. **Several photos per person.** Enrol a person with all their photos and compare a new photo with their "
    "**mean** encoding: averaging cancels much of each photo's noise. Below: each *val* photo against the "
    "people enrolled from *train*, with the calibrated threshold of each comparison."
)
table = enrolment(recipe, network, album)
widgets.keyed_dataframe(table, hide_index=True, key="why_enrolment", column_config={
    "AUC": st.column_config.NumberColumn(format="%.4f"),
    "threshold": st.column_config.NumberColumn(format="%.2f"),
    "accuracy": st.column_config.NumberColumn(format="percent"),
})
