"""The "How sure is it?" part under a verdict: P(same person) at this distance, how many pairs say so, the threshold's errors.

The figures come from :mod:`facedemo.analysis.confidence` fitted on the gallery's *train* photos,
with the distances that match what the page compares: photo against photo, or photo against a
person (mean or nearest encoding), and checked on the val photos against them. The fit and the
check are cached per recipe and comparison, so moving the threshold or picking another photo only
reads the cached curve: nothing is measured or encoded again.

The "unsure" band (key ``unsure_band``) and where it comes from (key ``unsure_band_source``:
false-accept rates, the default, or the curve) live here too: Verify and Recognise show both
widgets through :func:`band_toggle`; the threshold explorer's counts follow the session's choice.
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
VERDICT_WORDS = {
    "same": "likely the same person",
    "either": "not sure: it could be either",
    "different": "likely different people",
    "too few": "too few pairs to say",
}
SOURCE_KEY = "unsure_band_source"
SOURCE_WORDS = {
    "far": "False accepts: 1 in 10,000 to 1 in 100 impostors",
    "curve": f"'How sure': {confidence.SURE:.0%} to {confidence.DOUBT:.0%}".replace("%", " %"),
}
UNITS = {"pair": "pairs of photos", "mean": "photo-to-person distances", "nearest": "photo-to-person distances"}
CHECKED = {
    "pair": "pairs of a val photo and a train photo",
    "mean": "distances from a val photo to a person's mean train encoding",
    "nearest": "distances from a val photo to a person's nearest train photo",
}
HOW = {
    "pair": "every pair of photos",
    "mean": "each photo against each person's mean encoding, the photo left out of its own person",
    "nearest": "each photo against the nearest photo of each person, the photo left out of its own person",
}


@st.cache_resource(show_spinner="Measuring the gallery's distances (once per recipe and model) ...", max_entries=12)
def gallery_confidence(recipe: str, network: str, comparison: str) -> confidence.Confidence:
    """P(same person | distance) fitted on the gallery's *train* encodings of one recipe and model, for one comparison.

    Keyed by names (a recipe and model's gallery is fixed for the process): a rerun hashes no
    arrays, and the shared, read-only fit is not copied.
    """
    train = state.album(recipe, network).subset("train")
    genuine, impostor = confidence.reference_distances(train.vectors, list(train.labels), comparison=comparison)
    return confidence.Confidence.fit(genuine, impostor)


@st.cache_resource(show_spinner=False, max_entries=12)
def gallery_check(recipe: str, network: str, comparison: str) -> confidence.Check:
    """The train fit scored on the val photos against the train photos (never fitted on), for one comparison."""
    album = state.album(recipe, network)
    train, val = album.subset("train"), album.subset("val")
    held = confidence.held_out_distances(val.vectors, list(val.labels), train.vectors, list(train.labels),
                                         comparison=comparison)
    return confidence.check(gallery_confidence(recipe, network, comparison), *held)


def band_source() -> str:
    """The session's source of the "unsure" band (:data:`SOURCE_KEY`), :data:`facedemo.analysis.confidence.DEFAULT_BAND_SOURCE` until chosen."""
    source = st.session_state.get(SOURCE_KEY, confidence.DEFAULT_BAND_SOURCE)
    return source if source in confidence.BAND_SOURCES else confidence.DEFAULT_BAND_SOURCE


def unsure_band(threshold: float, *, against: str = "photo", comparison: str = "mean",
                source: str | None = None) -> confidence.UnsureBand:
    """The "unsure" band around ``threshold`` for this session's recipe and model (the cached gallery fit).

    ``against``/``comparison`` as in :func:`how_sure`; ``source`` defaults to the session's choice
    (:func:`band_source`). Reads the cached fit only: cheap enough for every threshold move (call
    it inside a threshold view, as it depends on the threshold).
    """
    kind = "pair" if against == "photo" else comparison
    fitted = gallery_confidence(state.recipe(), state.current_network(), kind)
    return confidence.band_for(fitted, threshold, source or band_source())


def band_toggle() -> bool:
    """The toggle (key ``unsure_band``, off by default, kept for the session) for three answers instead of two.

    With it on, the band's source beside it (key :data:`SOURCE_KEY`, :func:`source_choice`).
    """
    on = st.toggle(
        "Three answers: yes, not sure, no", key="unsure_band", persist_state="session",
        help="Between two thresholds around the decision's, the answer is 'not sure: ask for another photo'. "
             "The door itself still follows the threshold.",
    )
    if on:
        source_choice()
    return on


def source_choice() -> str:
    """Where the band comes from (key :data:`SOURCE_KEY`, kept for the session): false accepts (default) or the curve."""
    return st.radio(
        "The 'not sure' band from", list(confidence.BAND_SOURCES), key=SOURCE_KEY, horizontal=True,
        format_func=SOURCE_WORDS.get, persist_state="session",
        help="False accepts (default): between the thresholds that let in 1 in 10,000 and 1 in 100 of the "
             "gallery's train impostors, a count that needs no assumption about who comes to the door. "
             f"'How sure': where the curve below falls from {confidence.SURE:.0%} to {confidence.DOUBT:.0%}, "
             "which leans on equal odds and on the gallery's hardest genuine photos.",
    )


def band_caption(band: confidence.UnsureBand) -> str:
    """The band in words, in the session's unit with the other beside it, saying where it comes from."""
    if band.low == band.high:
        return "The gallery has too few pairs to say where it is unsure: two answers only."
    if band.source == "far":
        edge = (f" With {band.n_impostor:,} train impostors the data cannot show 1 in 10,000 (that needs 10,000 of "
                "them): the band starts just below the smallest impostor distance, where *none* was let in."
                if band.at_edge else "")
        where = ("between the thresholds that let in 1 in 10,000 and 1 in 100 of the gallery's "
                 f"{band.n_impostor:,} train impostors, widened to reach the threshold if it lies outside.{edge}")
    else:
        where = (f"where, on the gallery's train photos, P(same person) falls from {confidence.SURE:.0%} to "
                 f"{confidence.DOUBT:.0%} (equal odds, capped where impostors live), widened to reach the threshold "
                 "if it lies outside.").replace("%", " %")
    return (f"*Not sure* from {widgets.both_units(band.low)} up to {widgets.both_units(band.high)}: {where} "
            "Below it *yes*, from its top on *no*, as the threshold says.")


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


@st.cache_resource(show_spinner=False, max_entries=12)
def curve_spread(recipe: str, network: str, comparison: str) -> pd.DataFrame:
    """The Jeffreys interval along the curve (``distance, low, high, pairs``), nan where too few pairs; once per fit.

    About 0.1 s for the grid: too slow for every threshold move, so cached by the fit's names.
    """
    fitted = gallery_confidence(recipe, network, comparison)
    grid = np.linspace(0.0, 2.0, CURVE_POINTS)
    near = [fitted.support(d) for d in grid]
    spread = pd.DataFrame({"distance": grid, "low": [n.low for n in near], "high": [n.high for n in near],
                           "pairs": [n.pairs for n in near]})
    spread.loc[spread["pairs"] < confidence.MIN_PAIRS, ["low", "high"]] = np.nan  # too few pairs: no band drawn
    return spread


def curve_chart(fitted: confidence.Confidence, distance: float, threshold: float, spread: pd.DataFrame) -> dict:
    """P(same person) against distance with its 95 % interval (shaded; none where too few pairs), this distance marked
    (solid) and the threshold (dashed).

    A Vega-Lite dict (redrawn at every threshold move; Altair took ~0.04 s to build and validate it).
    """
    top = max(2.0, distance, threshold)
    grid = np.linspace(0.0, top, CURVE_POINTS)
    datasets: dict = {}
    x = {"field": "distance", "type": "quantitative", "title": "L2 distance", "scale": {"domain": [0, top], "nice": False}}
    names = [f"this {distance:.2f}", f"threshold {threshold:.2f}"]
    band = {
        "data": _data(spread, datasets),
        "mark": {"type": "area", "color": "#1f77b4", "opacity": 0.2},
        "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"}, "y2": {"field": "high"},
                     "tooltip": [{**x, "format": ".2f"},
                                 {"field": "low", "type": "quantitative", "format": ".1%", "title": "interval from"},
                                 {"field": "high", "type": "quantitative", "format": ".1%", "title": "to"},
                                 {"field": "pairs", "type": "quantitative", "title": "train pairs behind it"}]},
    }
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
    return {"$schema": alt.SCHEMA_URL, "config": {"view": {"strokeWidth": 0}}, "layer": [band, line, rules],
            "height": 210, "datasets": datasets}


def interval(support: confidence.Support) -> str:
    """A Jeffreys interval in words: "95 % interval 34–45 %"."""
    low, high = (f"{v:.0%}" if 0.01 <= v <= 0.99 or v in (0.0, 1.0) else f"{v:.1%}" for v in (support.low, support.high))
    return f"{support.level:.0%} interval {low}–{high}".replace("%", " %")


def estimate_words(report: confidence.HowSure, unit: str) -> str:
    """What the curve says at this distance: its verdict, the pairs behind it and the prior, as one paragraph's tail."""
    near = report.support
    verdict = f"**{VERDICT_WORDS[report.verdict]}**."
    if near is None:
        return verdict
    if not near.enough:
        where = (f"between {near.start:.2f} and {near.end:.2f}" if near.end > near.start else f"at {near.start:.2f}")
        return (f"{verdict} Only **{near.pairs}** of the gallery's train {unit} stand behind this part of the curve "
                f"({where}; it needs at least {confidence.MIN_PAIRS}), so it gives no figure here.")
    if near.prior < report.prior:
        prior = (f"train impostors live this far apart, so not at equal odds but at the gallery's own mix, 1 genuine "
                 f"in {1 / near.prior:.0f}")
    else:
        prior = "*equal odds assumed*"
    return (f"{verdict} Of the **{near.pairs:,}** train {unit} the curve pools here ({near.start:.2f} to "
            f"{near.end:.2f}), {near.genuine:,} were the same person: the estimate is **{share(report.p_same)}** "
            f"({interval(near)}; {prior}).")


def check_words(check: confidence.Check, kind: str) -> str:
    """The val check in one line: Brier score against a constant guess, and what was seen where it was sure."""
    if np.isnan(check.brier):
        return "Not checked on val: there are no val pairs to check it on."
    seen = []
    for b, said in ((check.bins[-1], f"over {confidence.SURE * 100:.0f} %"),
                    (check.bins[0], f"under {confidence.DOUBT * 100:.0f} %")):
        if b.pairs:
            seen.append(f"where it said {said}, {percent(b.observed)} of {b.pairs:,} were the same person")
    brier = "under 0.001" if check.brier < 0.0005 else f"{check.brier:.3f}"
    return (f"**Checked on val**, {check.n_genuine + check.n_impostor:,} {CHECKED[kind]} the curve never saw: Brier "
            f"score **{brier}** (0 is perfect; always saying the val share of genuine ones scores "
            f"{check.brier_constant:.3f}); " + "; ".join(seen) + ".")


def how_sure(distance: float, threshold: float, *, against: str = "photo", comparison: str = "mean",
             what: str = "the two photos", people: int = 1) -> None:
    """Render "How sure is it?": what the curve says at ``distance``, the pairs behind it, and the errors of ``threshold``.

    ``against`` is ``"photo"`` (photo vs photo: every pair of train photos) or ``"person"``
    (photo vs an enrolled person by ``comparison``, ``mean`` or ``nearest``). ``people`` > 1: the
    photo was compared with that many people (1:K).
    """
    recipe = state.recipe()
    kind = "pair" if against == "photo" else comparison
    album = attempt(lambda: state.album(recipe), what="The gallery's figures are not available: ")
    if album is None:
        return
    network = state.current_network()
    fitted = gallery_confidence(recipe, network, kind)
    report = confidence.how_sure(fitted, distance, threshold)
    unit = UNITS[kind]
    st.markdown("##### How sure is it?")
    if np.isnan(report.p_same):
        st.caption(f"The gallery has {report.n_genuine} genuine and {report.n_impostor} impostor train {unit}: "
                   "too few to estimate how sure this is.")
        return
    words, chart = st.columns([3, 2], gap="large")
    with words:
        at = (f"At cosine similarity **{widgets.shown_distance(distance)[4:]}** (L2 distance {distance:.2f})"
              if state.distance_unit() == "cosine" else f"At distance **{distance:.2f}**")
        st.markdown(
            f"{at} between {what}: {estimate_words(report, unit)} This threshold "
            f"(**{widgets.shown_distance(threshold)}**) lets in **{rate(report.false_accepts, report.n_impostor)}** "
            f"of the train impostor ones and turns away **{rate(report.false_rejects, report.n_genuine)}** of the "
            "genuine ones."
        )
        if people > 1:
            tries = (f"up to {people}× the rate above, {percent(min(1.0, people * report.far))}" if report.far > 0
                     else f"the gallery let no impostor in here, but a stranger has {people} chances instead of one")
            st.markdown(
                f"That is per person compared. A stranger is compared with all **{people}** people in the "
                f"database and gets in if any one of them is close enough: {tries}."
            )
        st.markdown(check_words(gallery_check(recipe, network, kind), kind))
        rare = fitted.p_same(distance, prior=0.1)
        train = album.subset("train")
        st.caption(
            f"Fitted on {report.n_genuine:,} genuine and {report.n_impostor:,} impostor {unit} among the "
            f"gallery's {len(train)} train photos of {len(train.people)} people ({HOW[kind]}; "
            f"{get_recipe(recipe).title.lower()}). "
            "*Equal odds* means as many genuine attempts as impostors; where train impostors live the estimate "
            "never assumes more genuine ones than the gallery had; if only 1 in 10 were genuine, the estimate "
            f"would be {share(rare)}. The figures describe these photos: other lighting, pose, age, image "
            "quality, or people who look alike can behave differently."
        )
    with chart:
        st.vega_lite_chart(curve_chart(fitted, distance, threshold, curve_spread(recipe, network, kind)),
                           width="stretch")
