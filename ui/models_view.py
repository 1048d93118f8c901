"""The two models side by side on the gallery: headline numbers and ROC curves (Threshold explorer)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from facedemo.analysis import metrics
from facedemo.encoding.networks import NETWORKS, default_threshold
from ui import charts, frames, state, widgets
from ui.messages import attempt

ROC_POINTS = 300  # enough for a smooth curve; the full sweep has ~6,900 steps


@st.cache_resource(show_spinner="Measuring every pair of photos with each model (once) ...", max_entries=8)
def model_figures(recipe: str, network: str) -> tuple[dict, pd.DataFrame]:
    """One model's gallery figures and its ROC curve (its corners, at most :data:`ROC_POINTS` of them).

    Cached by names (a recipe and model's gallery is fixed for the process): a rerun hashes no arrays,
    and ``cache_resource`` hands back the same read-only objects instead of unpickling copies.
    """
    album = state.album(recipe, network)
    vectors, labels = album.vectors, album.labels
    evaluation = metrics.evaluate(vectors, labels)
    pairs = metrics.pair_distances(vectors, labels)
    curve = frames.thin_rows(frames.roc_frame(*metrics.roc_curve(pairs.genuine, pairs.impostor)), ROC_POINTS)
    title = NETWORKS[network].title
    calibrated = default_threshold(recipe, "pair", network)
    rates = metrics.rates_at(calibrated, pairs.genuine, pairs.impostor)
    row = {
        "model": title, "encoding": f"{NETWORKS[network].embedding_size}-d", "AUC": evaluation.auc,
        "EER": evaluation.eer, "TAR at FAR 1 %": evaluation.tar_at_far_1e2, "rank-1": evaluation.rank1,
        "calibrated threshold": calibrated, "accuracy at it": rates.accuracy,
    }
    return row, pd.DataFrame({"FAR": curve["far"], "TAR": curve["tar"], "model": title})


def show_models_side_by_side(recipe: str) -> None:
    """A table of every model's gallery figures and their ROC curves on one chart."""
    st.subheader("Two FaceNets side by side" if len(NETWORKS) == 2 else f"{len(NETWORKS)} FaceNets side by side")
    listed = " and ".join(f"{network.title.split(' (')[0]} ({network.embedding_size}-d)" for network in NETWORKS.values())
    st.caption(
        f"The same 118 gallery photos, the same face crops, {len(NETWORKS)} networks: {listed}. Each is cut at "
        "its own calibrated threshold: distances of two models live in different spaces and are never "
        "compared with each other."
    )
    shown = [network for network in NETWORKS
             if attempt(lambda: model_figures(recipe, network), what=f"{NETWORKS[network].title}: ") is not None]
    if not shown:
        return
    table, spec = side_by_side(recipe, tuple(shown))
    widgets.keyed_dataframe(table, hide_index=True, key="models_table", column_config={
        "AUC": st.column_config.NumberColumn(format="%.4f"),
        "EER": st.column_config.NumberColumn(format="percent"),
        "TAR at FAR 1 %": st.column_config.NumberColumn(format="percent"),
        "rank-1": st.column_config.NumberColumn(format="percent"),
        "calibrated threshold": st.column_config.NumberColumn(format="%.2f"),
        "accuracy at it": st.column_config.NumberColumn(format="percent"),
    })
    st.vega_lite_chart(spec, key="models_roc")


@st.cache_resource(show_spinner=False, max_entries=8)
def side_by_side(recipe: str, networks: tuple[str, ...]) -> tuple[pd.DataFrame, dict]:
    """The table of the models' figures and their ROC curves as one Vega-Lite dict, built once."""
    figures = [model_figures(recipe, network) for network in networks]
    table = pd.DataFrame([row for row, _ in figures])
    curves = pd.concat([curve for _, curve in figures], ignore_index=True)
    titles = [NETWORKS[network].title for network in networks]
    colours = [NETWORKS[network].colour for network in networks]
    far_axis = alt.Axis(format=".1~%", values=[0, 0.001, 0.01, 0.1, 1], labelOverlap=False)
    chart = alt.Chart(curves).mark_line(interpolate="step-after", clip=True, strokeWidth=3).encode(
        x=alt.X("FAR:Q", title="FAR (impostor pairs let in, log scale)",
                scale=alt.Scale(type="symlog", constant=0.0001, domain=[0, 1]), axis=far_axis),
        y=alt.Y("TAR:Q", title="TAR (genuine pairs let in)", scale=alt.Scale(domain=[0.6, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("model:N", scale=alt.Scale(domain=titles, range=colours),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=400, labelFontSize=14)),
        tooltip=["model:N", alt.Tooltip("FAR:Q", format=".2%"), alt.Tooltip("TAR:Q", format=".2%")],
    ).properties(width="container", height=360, title="ROC curves of the models on the same pairs").configure_axis(
        labelFontSize=14, titleFontSize=16)
    return table, charts.vega_lite_dict(chart)
