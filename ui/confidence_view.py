"""The "How sure is it?" part under a verdict: P(same person) at this distance and the threshold's errors.

The figures come from :mod:`facedemo.analysis.confidence` fitted on the gallery's photos (train + val),
with the distances that match what the page compares: photo against photo, or photo against a
person (mean or nearest encoding). The fit is cached per recipe and comparison, so moving the
threshold or picking another photo only reads the cached curve: nothing is measured or encoded again.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import confidence
from facedemo.encoding.recipes import get_recipe
from ui import state, widgets
from ui.charts import _data
from ui.messages import attempt

CURVE_POINTS = 201
UNITS = {"pair": "pairs of photos", "mean": "photo-to-person distances", "nearest": "photo-to-person distances"}
HOW = {
    "pair": "every pair of photos",
    "mean": "each photo against each person's mean encoding, the photo left out of its own person",
    "nearest": "each photo against the nearest photo of each person, the photo left out of its own person",
}


@st.cache_resource(show_spinner="Measuring the gallery's distances (once per recipe and model) ...", max_entries=12)
def gallery_confidence(recipe: str, network: str, comparison: str) -> confidence.Confidence:
    """P(same person | distance) fitted on the gallery's encodings of one recipe and model, for one comparison.

    Keyed by names (a recipe and model's gallery is fixed for the process): a rerun hashes no
    arrays, and the shared, read-only fit is not copied.
    """
    album = state.album(recipe, network)
    genuine, impostor = confidence.reference_distances(album.vectors, list(album.labels), comparison=comparison)
    return confidence.Confidence.fit(genuine, impostor)


def unsure_band(threshold: float, *, against: str = "photo", comparison: str = "mean") -> confidence.UnsureBand:
    """The "unsure" band around ``threshold`` for this session's recipe and model (the cached gallery fit).

    ``against``/``comparison`` as in :func:`how_sure`. Reads the cached fit only: cheap enough for
    every threshold move (call it inside a threshold view, as it depends on the threshold).
    """
    kind = "pair" if against == "photo" else comparison
    fitted = gallery_confidence(state.recipe(), state.current_network(), kind)
    return confidence.unsure_band(fitted, threshold)


def band_toggle() -> bool:
    """The toggle (key ``unsure_band``, off by default, kept for the session) for three answers instead of two."""
    return st.toggle(
        "Three answers: yes, not sure, no", key="unsure_band", persist_state="session",
        help=f"Between where the gallery's 'how sure' curve falls to {confidence.SURE:.0%} and to "
             f"{confidence.DOUBT:.0%}, the answer is 'not sure: ask for another photo'. The door itself still "
             "follows the threshold.",
    )


def band_caption(band: confidence.UnsureBand) -> str:
    """The band in words, in the session's unit with the other beside it."""
    if band.low == band.high:
        return "The gallery has too few pairs to say where it is unsure: two answers only."
    return (
        f"*Not sure* from {widgets.both_units(band.low)} up to {widgets.both_units(band.high)}: where, on the "
        f"gallery's photos, P(same person) falls from {confidence.SURE:.0%} to {confidence.DOUBT:.0%} (equal odds), "
        "widened to reach the threshold if it lies outside. Below it *yes*, from its top on *no*, as the threshold says."
    ).replace("%", " %")


def share(p: float) -> str:
    """An estimated probability in words: "about 87 %", "over 99.9 %", "under 0.1 %"."""
    if p > 0.999:
        return "over 99.9 %"
    if p < 0.001:
        return "under 0.1 %"
    return f"about {p:.1%}".replace("%", " %") if p > 0.99 or p < 0.01 else f"about {p:.0%}".replace("%", " %")


def rate(part: int, whole: int) -> str:
    """A counted rate with its counts: "0.47 % (26 of 5,549)"."""
    if part == 0:
        return f"none ({part:,} of {whole:,})"
    return f"{percent(part / whole)} ({part:,} of {whole:,})"


def percent(value: float) -> str:
    """A rate in per cent, two decimals below 1 %: "0.47 %", "4.4 %"."""
    text = f"{value:.2%}" if 0 < value < 0.01 else f"{value:.1%}"
    return text.replace("%", " %")


def curve_chart(fitted: confidence.Confidence, distance: float, threshold: float) -> dict:
    """P(same person) against distance, this distance marked (solid) and the threshold (dashed).

    A Vega-Lite dict (redrawn at every threshold move; Altair took ~0.04 s to build and validate it).
    """
    top = max(2.0, distance, threshold)
    grid = np.linspace(0.0, top, CURVE_POINTS)
    datasets: dict = {}
    x = {"field": "distance", "type": "quantitative", "title": "L2 distance", "scale": {"domain": [0, top], "nice": False}}
    names = [f"this {distance:.2f}", f"threshold {threshold:.2f}"]
    line = {
        "data": _data(pd.DataFrame({"distance": grid, "p_same": fitted.p_same(grid)}), datasets),
        "mark": {"type": "line", "strokeWidth": 3, "color": "#1f77b4"},
        "encoding": {
            "x": x,
            "y": {"field": "p_same", "type": "quantitative", "title": "P(same person)", "scale": {"domain": [0, 1]},
                  "axis": {"format": "%"}},
            "tooltip": [{**x, "format": ".2f"}, {"field": "p_same", "type": "quantitative", "format": ".1%",
                                                 "title": "P(same)"}],
        },
    }
    rules = {
        "data": _data(pd.DataFrame({"distance": [distance, threshold], "what": names}), datasets),
        "mark": {"type": "rule", "strokeWidth": 2},
        "encoding": {
            "x": x,
            "color": {"field": "what", "type": "nominal", "title": None, "legend": {"orient": "bottom"},
                      "scale": {"domain": names, "range": ["#111827", "#7f7f7f"]}},
            "strokeDash": {"field": "what", "type": "nominal", "legend": None,
                           "scale": {"domain": names, "range": [[1, 0], [6, 4]]}},
        },
    }
    return {"$schema": alt.SCHEMA_URL, "config": {"view": {"strokeWidth": 0}}, "layer": [line, rules],
            "height": 210, "datasets": datasets}


def how_sure(distance: float, threshold: float, *, against: str = "photo", comparison: str = "mean",
             what: str = "the two photos", people: int = 1) -> None:
    """Render "How sure is it?": P(same person) at ``distance`` and the errors of ``threshold``.

    ``against`` is ``"photo"`` (photo vs photo: every pair of gallery photos) or ``"person"``
    (photo vs an enrolled person by ``comparison``, ``mean`` or ``nearest``). ``people`` > 1: the
    photo was compared with that many people (1:K).
    """
    recipe = state.recipe()
    kind = "pair" if against == "photo" else comparison
    album = attempt(lambda: state.album(recipe), what="The gallery's figures are not available: ")
    if album is None:
        return
    fitted = gallery_confidence(recipe, state.current_network(), kind)
    report = confidence.how_sure(fitted, distance, threshold)
    unit = UNITS[kind]
    st.markdown("##### How sure is it?")
    if np.isnan(report.p_same):
        st.caption(f"The gallery has {report.n_genuine} genuine and {report.n_impostor} impostor {unit}: "
                   "too few to estimate how sure this is.")
        return
    words, chart = st.columns([3, 2], gap="large")
    with words:
        at = (f"At cosine similarity **{widgets.shown_distance(distance)[4:]}** (L2 distance {distance:.2f})"
              if state.distance_unit() == "cosine" else f"At distance **{distance:.2f}**")
        st.markdown(
            f"{at} between {what}, **{share(report.p_same)}** of the gallery's {unit} this far apart were the "
            f"same person (*equal odds assumed*). This threshold (**{widgets.shown_distance(threshold)}**) "
            f"lets in **{rate(report.false_accepts, report.n_impostor)}** of the impostor ones and turns away "
            f"**{rate(report.false_rejects, report.n_genuine)}** of the genuine ones."
        )
        if people > 1:
            tries = (f"up to {people}× the rate above, {percent(min(1.0, people * report.far))}" if report.far > 0
                     else f"the gallery let no impostor in here, but a stranger has {people} chances instead of one")
            st.markdown(
                f"That is per person compared. A stranger is compared with all **{people}** people in the "
                f"database and gets in if any one of them is close enough: {tries}."
            )
        rare = fitted.p_same(distance, prior=0.1)
        st.caption(
            f"Estimated from {report.n_genuine:,} genuine and {report.n_impostor:,} impostor {unit} among the "
            f"gallery's {len(album)} photos of {len(album.people)} people ({HOW[kind]}; "
            f"{get_recipe(recipe).title.lower()}). "
            "*Equal odds* means as many genuine attempts as impostors; if only 1 in 10 were genuine, the estimate "
            f"would be {share(rare)}. The figures describe these photos: other lighting, pose, age, image "
            "quality, or people who look alike can behave differently."
        )
    with chart:
        st.vega_lite_chart(curve_chart(fitted, distance, threshold), width="stretch")
