"""Triplet-loss playground: the notebook's check value, real photos, a 2-D toy, and mining the gallery."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facedemo.analysis import triplet
from facedemo.gallery.album import Album, parse_photo_ids
from ui import charts, frames, pages, state, widgets
from ui.messages import attempt

NOTEBOOK_TOTAL = 527.2598
CATEGORY_TEXT = {
    "easy": "**easy**: the negative is already farther than the positive by more than α; the loss is 0, "
            "nothing to learn.",
    "semi-hard": "**semi-hard**: the negative is farther than the positive, but inside the margin; a small loss. "
                 "FaceNet trains on these.",
    "hard": "**hard**: the negative is at least as close to the anchor as the positive; a large loss.",
}
TOY_DEFAULTS = {"ax": 0.0, "ay": 0.0, "px": 0.6, "py": 0.2, "nx": 0.5, "ny": -0.4}
TOY_EXTENT = 2.0


@st.cache_data(show_spinner="Computing the notebook's loss in TensorFlow (the first time loads TensorFlow: a few seconds) ...",
               max_entries=64)
def random_terms(seed: int, means: tuple[float, ...], stds: tuple[float, ...], alpha: float) -> tuple[float, pd.DataFrame]:
    """The notebook's random encodings: TensorFlow's summed loss (float32) and the per-triplet terms."""
    parts = triplet.random_encodings(
        int(seed), anchor_mean=means[0], anchor_stddev=stds[0], positive_mean=means[1], positive_stddev=stds[1],
        negative_mean=means[2], negative_stddev=stds[2],
    )
    total = float(triplet.triplet_loss(None, parts, alpha))
    terms = triplet.triplet_terms(*(part.numpy() for part in parts), alpha=alpha)
    return total, frames.terms_frame(terms)


@st.cache_data(show_spinner="Mining every triplet of the gallery ...", max_entries=16)
def mined(recipe: str, network: str, alpha: float, _album: Album) -> tuple[dict[str, int], triplet.MinedTriplets]:
    """Counts per category and the 6 hardest triplets of the gallery (cached per recipe, model and margin)."""
    found = triplet.mine_triplets(_album.vectors, _album.labels, alpha=alpha)
    return found.counts(), found.hardest(6)


st.title(pages.heading(__file__))
st.markdown(
    "FaceNet learned its encoding from **triplets**: an anchor A, a positive P (same person) and a negative "
    "N (someone else). Summed over many triplets, the loss below pulls each person's photos together and pushes "
    "other people away. It is zero once the negative is farther from the anchor than the positive by at least the "
    "margin α, and grows otherwise."
)
st.latex(r"\mathcal{L}(A, P, N) = \max\big(\lVert A-P\rVert^2 - \lVert A-N\rVert^2 + \alpha,\ 0\big)")

alpha = st.slider("Margin α", 0.0, 1.0, 0.2, step=0.05, key="triplet_alpha", bind="query-params",
                  help="The notebook's margin is 0.2. All distances here are SQUARED L2 distances.")

recipe = state.recipe()
album = attempt(lambda: state.album(recipe), what="The gallery could not be loaded: ")

random_tab, photos_tab, toy_tab, mining_tab = st.tabs(
    ["Random encodings (notebook)", "Your triplet of photos", "2-D toy", "Mining the gallery"],
    key="triplet_tab", bind="query-params")

with random_tab:
    st.markdown("The notebook checks `triplet_loss` on three random triplets of 128-number encodings. "
                "With its settings (seed 1, α = 0.2) the total is **527.2598**.")
    seed = st.number_input("Seed", 0, 10_000, 1, step=1, key="triplet_seed", bind="query-params")
    columns = st.columns(3)
    means, stds = [], []
    for column, (part, mean, std) in zip(columns, [("anchor", 6.0, 0.1), ("positive", 1.0, 1.0), ("negative", 3.0, 4.0)]):
        with column:
            means.append(st.number_input(f"{part.title()} mean", -10.0, 10.0, mean, step=0.5,
                                         key=f"triplet_{part}_mean", bind="query-params"))
            stds.append(st.number_input(f"{part.title()} std", 0.0, 10.0, std, step=0.1,
                                        key=f"triplet_{part}_std", bind="query-params"))
    result = attempt(lambda: random_terms(int(seed), tuple(means), tuple(stds), float(alpha)))
    if result is not None:
        total, terms = result
        total_col, note_col = st.columns([1, 2])
        total_col.metric("Total loss", f"{total:.4f}", help="triplet_loss(None, y_pred, alpha) in TensorFlow (float32).")
        with note_col:
            if f"{total:.4f}" == f"{NOTEBOOK_TOTAL:.4f}":
                st.success(f"The notebook's expected value: {NOTEBOOK_TOTAL}.")
            else:
                st.info(f"The notebook's settings give {NOTEBOOK_TOTAL}; yours give another set of encodings.")
        widgets.keyed_dataframe(terms, hide_index=True, key="triplet_terms", column_config={
            "pos_dist": st.column_config.NumberColumn("‖A−P‖²", format="%.4f"),
            "neg_dist": st.column_config.NumberColumn("‖A−N‖²", format="%.4f"),
            "basic_loss": st.column_config.NumberColumn("‖A−P‖² − ‖A−N‖² + α", format="%.4f"),
            "clipped": st.column_config.NumberColumn("max(…, 0)", format="%.4f"),
        })

with photos_tab:
    if album is not None:
        st.markdown("Pick an anchor, a positive (the same person) and a negative (someone else) from the gallery: "
                    "their real encodings give the loss.")
        roles = ["triplet_anchor", "triplet_positive", "triplet_negative"]
        defaults = ["train/ben_afflek/1", "train/ben_afflek/3", "val/jerry_seinfeld/1"]  # semi-hard (aligned)
        ss = st.session_state
        linked = parse_photo_ids(st.query_params.get("photos"), album.ids, limit=3)
        for key, default, fallback in zip(roles, linked if len(linked) == 3 else defaults, defaults):
            if ss.get(key) not in album.ids:
                ss[key] = default if default in album.ids else (fallback if fallback in album.ids else album.ids[0])
        columns = st.columns(3)
        chosen = []
        for column, key, label in zip(columns, roles, ["Anchor A", "Positive P", "Negative N"]):
            with column:
                photo = st.selectbox(label, album.ids, key=key, format_func=album.name)
                st.image(album.crop(album.index(photo)), width=180)
                chosen.append(photo)
        st.query_params["photos"] = ",".join(chosen)
        rows = album.rows(chosen)
        people = [album.labels[row] for row in rows]
        if people[0] != people[1]:
            st.warning("The positive should show the same person as the anchor: this is not a valid triplet.")
        if people[2] == people[0]:
            st.warning("The negative should show someone else than the anchor: this is not a valid triplet.")
        terms = triplet.triplet_terms(*(album.vectors[row] for row in rows), alpha=alpha)
        pos_col, neg_col, loss_col = st.columns(3)
        pos_col.metric("‖A−P‖²", f"{terms.pos_dist[0]:.3f}")
        neg_col.metric("‖A−N‖²", f"{terms.neg_dist[0]:.3f}")
        loss_col.metric("Loss", f"{terms.clipped[0]:.3f}", help=f"max({terms.basic_loss[0]:.3f}, 0)")
        st.markdown(CATEGORY_TEXT[str(terms.category[0])])

with toy_tab:
    st.markdown(
        "Encodings with two numbers instead of 128. Move A, P and N: the negative is **hard** inside the solid "
        "circle (as close as P), **semi-hard** in the band up to the dashed circle (the margin α), and **easy** "
        "outside it, where the loss is 0."
    )
    controls, plot = st.columns([1, 2])
    with controls:
        values = {}
        for name, default in TOY_DEFAULTS.items():
            point = {"a": "A", "p": "P", "n": "N"}[name[0]]
            values[name] = st.slider(f"{point} {name[1]}", -TOY_EXTENT, TOY_EXTENT, default, step=0.05,
                                     key=f"triplet_toy_{name}", bind="query-params")
    a, p, n = (values["ax"], values["ay"]), (values["px"], values["py"]), (values["nx"], values["ny"])
    toy = triplet.triplet_terms(a, p, n, alpha=alpha)
    dots, circles = frames.toy_triplet_frames(a, p, n, alpha=alpha)
    with plot:
        st.altair_chart(charts.toy_triplet(dots, circles, extent=TOY_EXTENT + 0.5), key="triplet_toy_chart",
                        width="content")
    toy_pos, toy_neg, toy_loss = st.columns(3)
    toy_pos.metric("‖A−P‖²", f"{toy.pos_dist[0]:.3f}")
    toy_neg.metric("‖A−N‖²", f"{toy.neg_dist[0]:.3f}")
    toy_loss.metric("Toy loss", f"{toy.clipped[0]:.3f}")
    st.markdown(CATEGORY_TEXT[str(toy.category[0])])

with mining_tab:
    if album is not None:
        st.markdown(
            "Every valid triplet of the gallery (train + val): any two photos of one person, and any photo of "
            "someone else. Most are easy: training on them teaches nothing, so FaceNet **mines** the "
            "semi-hard ones. A larger α makes more triplets count."
        )
        counts, hardest = mined(recipe, state.current_network(), float(alpha), album)
        total_triplets = sum(counts.values())
        count_cols = st.columns(3)
        for column, category in zip(count_cols, triplet.CATEGORIES):
            column.metric(category.capitalize(), f"{counts[category]:,}",
                          help=f"{counts[category] / max(total_triplets, 1):.1%} of {total_triplets:,} triplets")
        st.altair_chart(charts.category_bars(frames.counts_frame(counts)), key="triplet_mining_chart")
        st.markdown("**The hardest triplets** (largest ‖A−P‖² − ‖A−N‖²): often a profile view, sunglasses "
                    "or an unusual photo.")
        thumbs = state.thumbnails(recipe)
        table = pd.DataFrame({
            "A": [thumbs[album.ids[i]] for i in hardest.anchor],
            "P": [thumbs[album.ids[i]] for i in hardest.positive],
            "N": [thumbs[album.ids[i]] for i in hardest.negative],
            "anchor": [album.name(album.ids[i]) for i in hardest.anchor],
            "positive": [album.name(album.ids[i]) for i in hardest.positive],
            "negative": [album.name(album.ids[i]) for i in hardest.negative],
            "‖A−P‖²": hardest.pos_dist, "‖A−N‖²": hardest.neg_dist, "loss": hardest.loss, "category": hardest.category,
        })
        widgets.keyed_dataframe(
            table, key="triplet_hardest", hide_index=True, row_height=72, height="content", column_config={
                "A": st.column_config.ImageColumn("A", width="small"),
                "P": st.column_config.ImageColumn("P", width="small"),
                "N": st.column_config.ImageColumn("N", width="small"),
                "‖A−P‖²": st.column_config.NumberColumn(format="%.3f"),
                "‖A−N‖²": st.column_config.NumberColumn(format="%.3f"),
                "loss": st.column_config.NumberColumn(format="%.3f"),
            })
