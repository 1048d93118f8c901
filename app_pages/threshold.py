"""Threshold explorer: one threshold, every pair of a labelled set; TAR, FAR, ROC, and why the recipe matters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import calibration, metrics
from facedemo.analysis.units import LIBRARY_THRESHOLDS, l2_to_cosine
from facedemo.classroom import calibrate_class
from facedemo.classroom.calibration import FEW_PAIRS
from facedemo.encoding.networks import NETWORKS, NOTEBOOK_THRESHOLD, default_threshold
from facedemo.encoding.recipes import RECIPES
from facedemo.gallery.album import Album
from ui import charts, classroom, confidence_view, frames, pages, state, threshold_policy_view, widgets
from ui.classifier_view import show_classifier
from ui.messages import album_or_stop, attempt
from ui.models_view import show_models_side_by_side
from ui.threshold_view import threshold_view

SETS = {"train + val": "every gallery photo", "train": "the train photos", "val": "the val photos"}
CLASS = "class"
CLASS_REFRESH_SECONDS = 3


def _photos(album: Album, which: str) -> Album:
    return album if which == "train + val" else album.subset(which)


@st.cache_data(show_spinner="Measuring every pair of photos ...", max_entries=16)
def pair_split(recipe: str, network: str, which: str, _album: Album) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances of every pair of the set (cached per recipe, model and set)."""
    pairs = metrics.pair_distances(_album.vectors, _album.labels)
    return pairs.genuine, pairs.impostor


@st.cache_resource(show_spinner=False, max_entries=16)  # the same frames each rerun: serialised once
def curve(recipe: str, network: str, which: str, genuine: np.ndarray, impostor: np.ndarray) -> dict:
    """ROC corners, AUC, EER and the histogram of one set (cached per recipe, model and set)."""
    far, tar, thresholds = metrics.roc_curve(genuine, impostor)
    eer, eer_threshold = metrics.equal_error_rate(genuine, impostor)
    upper = max(float(np.max(impostor, initial=0)), float(np.max(genuine, initial=0)), 1.0)
    roc = frames.roc_frame(far, tar, thresholds)
    return {
        "roc": roc,
        "auc": metrics.roc_auc(genuine, impostor),
        "eer": eer, "eer_threshold": eer_threshold,
        "hist": frames.histogram_frame({"genuine": genuine, "impostor": impostor}, bins=50, value_range=(0.0, upper)),
        **_cosine_frames(genuine, impostor, roc, bins=50, upper=upper),
    }


def _cosine_frames(genuine: np.ndarray, impostor: np.ndarray, roc: pd.DataFrame, *, bins: int, upper: float) -> dict:
    """The histogram on bins of cosine similarity, and the ROC with each cut also as a similarity (display only)."""
    low = float(l2_to_cosine(min(upper, 2.0)))
    return {
        "hist_cosine": frames.histogram_frame({"genuine": l2_to_cosine(genuine), "impostor": l2_to_cosine(impostor)},
                                              bins=bins, value_range=(low, 1.0)),
        "roc_cosine": roc.assign(cosine=np.where(np.isfinite(roc["threshold"]),
                                                 l2_to_cosine(np.clip(np.nan_to_num(roc["threshold"].to_numpy()),
                                                                      0.0, 2.0)), np.nan)),
    }


def _rule_name(what: str, value: float) -> str:
    """A threshold's name on the charts, in the session's unit: ``"current 1.18"`` or ``"current cos 0.30"``."""
    if what == "notebook" and not widgets.shows_cosine():
        return f"{what} {NOTEBOOK_THRESHOLD}"  # the course's own figure, as the notebook writes it
    return f"{what} {widgets.shown_distance(value)}"


def _rules(named: dict[str, float]) -> pd.DataFrame:
    """``name, threshold`` for the histogram's rules, at the thresholds' place in the session's unit."""
    return pd.DataFrame({"name": list(named), "threshold": list(widgets.in_unit(np.array(list(named.values()))))})


def _points(genuine: np.ndarray, impostor: np.ndarray, named: dict[str, float]) -> pd.DataFrame:
    """The ROC's operating points, decided on L2; with the cut as a cosine similarity when shown so."""
    points = frames.operating_points(genuine, impostor, named)
    if widgets.shows_cosine():
        points["cosine"] = widgets.in_unit(points["threshold"].to_numpy())
    return points


@st.cache_data(show_spinner=False, max_entries=16)
def recipe_auc(recipe: str, network: str, which: str) -> float:
    """AUC of ``recipe`` on the pairs of ``which`` (cached: the album is gathered on the first call only)."""
    genuine, impostor = pair_split(recipe, network, which, _photos(state.album(recipe, network), which))
    return curve(recipe, network, which, genuine, impostor)["auc"]


@st.cache_data(show_spinner=False, max_entries=16)
def auc_bars(aucs: tuple[tuple[str, float], ...]) -> dict:
    """The bars of ``(recipe title, AUC)`` as a Vega-Lite dict, built once per set of values (not per rerun)."""
    frame = pd.DataFrame(aucs, columns=["recipe", "AUC"])
    return charts.vega_lite_dict(charts.value_bars(frame, x="AUC", y="recipe", title="AUC on the same pairs",
                                                   domain=[0.5, 1.0]))


@st.cache_data(show_spinner="Comparing val photos with the people enrolled from train ...", max_entries=4)
def person_split(recipe: str, network: str, _album: Album) -> dict[str, calibration.PersonDistances]:
    """val photos against the people of train: to each person's mean, and to the nearest of their photos."""
    train, val = _album.subset("train"), _album.subset("val")
    return {
        comparison: calibration.person_distances(val.vectors, val.labels, train.vectors, train.labels,
                                                 comparison=comparison)
        for comparison in ("mean", "nearest")
    }


st.title(pages.heading(__file__))
st.markdown(
    "Verification answers *same person?* with one rule: **distance < threshold**. Every pair of photos of the "
    "same person is a *genuine* pair, every other pair an *impostor* pair. Move the sidebar's threshold: to the "
    "right more genuine pairs are accepted (**TAR** rises) but more impostors get in too (**FAR** rises). "
    "The ROC curve shows every possible threshold at once; its area (**AUC**) says how well the encodings "
    "separate people, whatever the threshold."
)

recipe, network = state.recipe(), state.current_network()
album = album_or_stop(recipe)

room = classroom.known_room()
sets = list(SETS) + ([CLASS] if room is not None else [])
which = st.radio("Pairs from", sets, key="threshold_set", horizontal=True, bind="query-params",
                 format_func=lambda s: f"🧑‍🏫 This class ({room.code})" if s == CLASS else f"{s} ({SETS[s]})",
                 help="This class: every pair of its students' photos, redrawn every few seconds as they join.")


@threshold_view
def at_threshold(photos: Album, genuine: np.ndarray, impostor: np.ndarray, summary: dict, band_source: str) -> None:
    """TAR, FAR and the counts at the sidebar's threshold, with its line on the histogram and its point on the ROC."""
    recipe, network, threshold = state.recipe(), state.current_network(), state.threshold()
    calibrated = default_threshold(recipe, "pair", network)
    rates = metrics.rates_at(threshold, genuine, impostor)
    st.subheader(f"At threshold {widgets.both_units(threshold) if widgets.shows_cosine() else f'{threshold:.2f}'}")
    st.caption(f"{len(photos)} photos of {len(set(photos.labels))} people: {genuine.size:,} genuine pairs and "
               f"{impostor.size:,} impostor pairs · recipe: {RECIPES[recipe].title} · model: {NETWORKS[network].title}")
    tar_col, far_col, acc_col = st.columns(3)
    tar_col.metric("TAR (true accept rate)", f"{rates.tar:.1%}", help="Share of genuine pairs accepted.")
    far_col.metric("FAR (false accept rate)", f"{rates.far:.2%}", help="Share of impostor pairs accepted.")
    acc_col.metric("Accuracy", f"{rates.accuracy:.1%}", help="Share of all pairs decided as the names say.")
    ta, fr, fa, tr = st.columns(4)
    ta.metric("True accepts", f"{rates.true_accepts:,}", help="Genuine pairs with distance < threshold.")
    fr.metric("False rejects", f"{rates.false_rejects:,}", help="Genuine pairs with distance ≥ threshold.")
    fa.metric("False accepts", f"{rates.false_accepts:,}", help="Impostor pairs with distance < threshold.")
    tr.metric("True rejects", f"{rates.true_rejects:,}", help="Impostor pairs with distance ≥ threshold.")
    st.caption(f"The threshold {threshold:.2f} on the L2 distance is a cosine similarity of "
               f"{l2_to_cosine(min(threshold, 2.0)):.2f}: for unit encodings d² = 2 − 2·cos θ, so "
               "*distance below the threshold* and *similarity above it* are the same rule.")
    band = confidence_view.unsure_band(threshold, against="photo", source=band_source)
    if band.low < band.high:
        st.markdown(
            f"**The 'not sure' band** (Verify and Recognise, *Three answers*): from {widgets.both_units(band.low)} "
            f"to {widgets.both_units(band.high)} around this threshold. These pairs would get *not sure: ask for "
            "another photo*:"
        )
        in_genuine, in_impostor = st.columns(2)
        in_genuine.metric("Genuine pairs in the band", f"{band.count(genuine):,} of {genuine.size:,}",
                          help="Same-person pairs that would be asked for another photo.")
        in_impostor.metric("Impostor pairs in the band", f"{band.count(impostor):,} of {impostor.size:,}",
                           help="Different-people pairs that would be asked for another photo.")
        st.caption(confidence_view.band_caption(band))

    named = {_rule_name("current", threshold): threshold, _rule_name("notebook", NOTEBOOK_THRESHOLD): NOTEBOOK_THRESHOLD,
             _rule_name("calibrated", calibrated): calibrated}
    record = NETWORKS[network].calibrated(recipe, "pair")
    if record is not None and record.tail is not None:  # the old default, a lesson: where best accuracy sits
        named[_rule_name("best accuracy", record.best_accuracy)] = record.best_accuracy
    cosine = widgets.shows_cosine()
    hist_col, roc_col = st.columns(2)
    with hist_col:
        histograms = charts.distance_histograms(
            summary["hist_cosine" if cosine else "hist"], _rules(named), cosine=cosine,
            title="Cosine similarities of genuine and impostor pairs" if cosine
            else "Distances of genuine and impostor pairs")
        st.vega_lite_chart(histograms, key="threshold_hist")
    with roc_col:
        points = _points(genuine, impostor, named)
        st.vega_lite_chart(charts.roc_chart(summary["roc_cosine" if cosine else "roc"], points, cosine=cosine),
                           key="threshold_roc")


def library_thresholds() -> None:
    """Other libraries' default thresholds in facedemo's units (no sidebar threshold in it: drawn once per run)."""
    st.subheader("Other libraries' thresholds in these units")
    st.markdown(
        "For unit encodings the L2 distance *d* and the cosine similarity cos θ are tied: **d² = 2 − 2·cos θ**. "
        "A library's threshold in either unit can be written in the other, when its encodings are unit vectors. "
        "A figure is only meaningful for the model it was tuned on: a threshold of another FaceNet is in the "
        "same units, not the same cut on these photos."
    )
    rows = [{
        "library": t.library, "model": t.model, "its metric": t.metric, "its default": t.value,
        "as L2 distance": None if t.l2 is None else round(t.l2, 3),
        "as cosine similarity": None if t.cosine is None else round(t.cosine, 3),
        "note": t.note, "source": t.source,
    } for t in LIBRARY_THRESHOLDS]
    widgets.keyed_dataframe(pd.DataFrame(rows), hide_index=True, key="threshold_units")
    st.caption("Figures as written in each library's code (source column). facedemo's own rule stays "
               "*L2 distance < threshold*.")


def _pairs(count: int, kind: str) -> str:
    return f"{count:,} {kind} pair{'s' * (count != 1)}"


@threshold_view(run_every=CLASS_REFRESH_SECONDS)
def class_pairs(code: str) -> None:
    """The class's pairs at the threshold: a threshold view that also redraws itself every few seconds.

    One fragment for both: a threshold move redraws it at once (it shows the threshold), and its clock
    redraws it as students join. It reads the room's encodings and never encodes.
    """
    room = classroom.room_or_warning(code)
    if room is None:
        return
    photos = room.photos()
    found = calibrate_class(photos)
    rule = classroom.class_threshold(room)
    gallery = default_threshold(room.recipe, "pair", room.network)
    genuine_text, impostor_text = _pairs(found.genuine_pairs, "genuine"), _pairs(found.impostor_pairs, "impostor")
    st.subheader(f"This class at threshold {widgets.both_units(rule.value) if widgets.shows_cosine() else f'{rule.value:.2f}'}")
    st.caption(
        f"Class {code}: {len(photos)} photo{'s' * (len(photos) != 1)} of {len(set(photos.labels))} students "
        f"({found.students_with_two} with two photos or more): {genuine_text} and {impostor_text} · threshold "
        f"{rule.value:.2f} " + ("from the sidebar" if rule.sidebar else
                                "(calibrated for the class's model and recipe: the sidebar uses others)")
        + f" · recipe: {RECIPES[room.recipe].title} · model: {NETWORKS[room.network].title}. "
        f"Redrawn every {CLASS_REFRESH_SECONDS} s as students join."
    )
    if not found.genuine_pairs or not found.impostor_pairs:
        st.info(
            "TAR and FAR need both kinds of pairs: genuine pairs come from students who enrolled two or three "
            "photos, impostor pairs from two students or more. So far: "
            f"{genuine_text} and {impostor_text}. The gallery's calibrated threshold: **{gallery:.2f}**."
        )
        return
    pairs = metrics.pair_distances(photos.vectors, photos.labels)
    rates = metrics.rates_at(rule.value, pairs.genuine, pairs.impostor)
    if found.few:
        st.warning(
            f"Only {genuine_text} (fewer than {FEW_PAIRS}): the TAR is a rough figure, each genuine pair moves it "
            f"by {1 / found.genuine_pairs:.0%}. More students with two or three photos make it firmer."
        )
    tar_col, far_col, acc_col = st.columns(3)
    tar_col.metric("TAR (true accept rate)", f"{rates.tar:.1%}", help="Share of genuine pairs accepted.")
    far_col.metric("FAR (false accept rate)", f"{rates.far:.2%}", help="Share of impostor pairs accepted.")
    acc_col.metric("Accuracy", f"{rates.accuracy:.1%}", help="Share of all pairs decided as the names say.")
    st.caption(f"{rates.true_accepts} of {found.genuine_pairs} genuine pairs accepted, {rates.false_accepts} of "
               f"{found.impostor_pairs} impostor pairs let in.")
    ours, theirs = st.columns(2)
    ours.metric("This class's own threshold", f"{found.threshold:.2f}",
                help=f"Decides {found.accuracy:.0%} of the class's pairs right (the best any threshold does).")
    theirs.metric("The gallery's (calibrated)", f"{gallery:.2f}", help="Calibrated on the gallery's photos.")

    named = {_rule_name("current", rule.value): rule.value, _rule_name("this class", found.threshold): found.threshold,
             _rule_name("gallery", gallery): gallery}
    upper = max(float(pairs.impostor.max()), float(pairs.genuine.max()), 1.0)
    hist = frames.histogram_frame({"genuine": pairs.genuine, "impostor": pairs.impostor}, bins=20,
                                  value_range=(0.0, upper))
    far, tar, thresholds = metrics.roc_curve(pairs.genuine, pairs.impostor)
    roc = frames.roc_frame(far, tar, thresholds)
    cosine = widgets.shows_cosine()
    if cosine:
        shown = _cosine_frames(pairs.genuine, pairs.impostor, roc, bins=20, upper=upper)
        hist, roc = shown["hist_cosine"], shown["roc_cosine"]
    hist_col, roc_col = st.columns(2)
    with hist_col:
        st.vega_lite_chart(charts.distance_histograms(hist, _rules(named), cosine=cosine,
                                                      title="The class's genuine and impostor pairs"),
                           key="threshold_class_hist")
    with roc_col:
        st.vega_lite_chart(charts.roc_chart(roc, _points(pairs.genuine, pairs.impostor, named), cosine=cosine),
                           key="threshold_class_roc")


def gallery_pairs(album: Album, which: str) -> None:
    """Every pair of a gallery set at the threshold, and the lessons the gallery teaches (recipes, people, models)."""
    photos = _photos(album, which)
    genuine, impostor = pair_split(recipe, network, which, photos)
    summary = curve(recipe, network, which, genuine, impostor)
    source = confidence_view.band_source()  # read before the radio is drawn: on a page switch it shows its default first
    confidence_view.source_choice()  # outside the threshold view: a view redraws figures, never widgets
    at_threshold(photos, genuine, impostor, summary, source)
    auc_col, eer_col, eer_t_col = st.columns(3)
    auc_col.metric("AUC", f"{summary['auc']:.3f}", help="1 separates perfectly, 0.5 is a coin toss.")
    eer_col.metric("EER (equal error rate)", f"{summary['eer']:.2%}", help="Where FAR equals 1 − TAR.")
    eer_t_col.metric("Threshold at the EER", widgets.shown_distance(summary["eer_threshold"]),
                     help=f"As an L2 distance: {summary['eer_threshold']:.2f}." if widgets.shows_cosine() else None)
    threshold_policy_view.show_policy(recipe, network, st.session_state.get("comparison", "mean"))

    st.subheader("Why cropping to the face matters")
    st.markdown(
        "The notebook feeds the **whole photo** to FaceNet; the other recipes first **find and crop the face** (the aligned one also turns it upright), as "
        "FaceNet was trained. Same model, same photos, same pairs — only the preprocessing differs. "
        "Switch the recipe in the sidebar to see every chart above change."
    )
    aucs = []
    for name, spec in RECIPES.items():
        auc = summary["auc"] if name == recipe else attempt(lambda: recipe_auc(name, network, which), what=f"{spec.title}: ")
        if auc is not None:
            aucs.append((spec.title + ("  ← now" if name == recipe else ""), auc))
    if aucs:
        st.vega_lite_chart(auc_bars(tuple(aucs)), key="threshold_recipes")

    st.subheader("One photo against many: the multiple-comparison trap")
    st.markdown(
        "A door compares a new photo with a **person**, not with one photo. Enrol the people of *train* "
        "(about 20 photos each) and compare each *val* photo with each person: with their **mean** encoding, or "
        "with the **nearest** of their photos. *Nearest* gives every impostor about 20 tries, and the best of 20 "
        "comes much closer than a single pair: a threshold calibrated on single pairs then lets impostors in."
    )
    people = person_split(recipe, network, album)
    pair_threshold = default_threshold(recipe, "pair", network)
    own = {comparison: default_threshold(recipe, comparison, network) for comparison in people}
    strip_rules = _rules({_rule_name("calibrated pair", pair_threshold): pair_threshold,
                          _rule_name("calibrated nearest", own["nearest"]): own["nearest"]})
    strips = frames.person_distance_frame(people)
    if widgets.shows_cosine():
        strips["distance"] = widgets.in_unit(strips["distance"].to_numpy())
    st.vega_lite_chart(charts.person_distance_strips(strips, strip_rules, cosine=widgets.shows_cosine()),
                       key="threshold_people")
    rows = []
    for comparison, split in people.items():
        with_pair = metrics.rates_at(pair_threshold, split.genuine, split.impostor)
        with_own = metrics.rates_at(own[comparison], split.genuine, split.impostor)
        rows.append({
            "compared with": f"the person's {comparison}" + (" encoding" if comparison == "mean" else " photo"),
            "impostor checks": split.impostor.size,
            f"let in (pair threshold {pair_threshold:.2f})": with_pair.false_accepts,
            "own threshold": own[comparison],
            "let in (own threshold)": with_own.false_accepts,
            "genuine accepted (own threshold)": f"{with_own.true_accepts} of {split.genuine.size}",
        })
    widgets.keyed_dataframe(pd.DataFrame(rows), hide_index=True, key="threshold_people_table")
    nearest = people["nearest"]
    let_in = metrics.rates_at(pair_threshold, nearest.genuine, nearest.impostor).false_accepts
    if own["nearest"] < pair_threshold:
        st.caption(
            f"With **nearest**, the pair-calibrated threshold {pair_threshold:.2f} lets **{let_in} of "
            f"{nearest.impostor.size}** impostor checks through; that is why the database uses its own threshold per "
            f"comparison (`facedemo.encoding.networks`: pair {pair_threshold:.2f}, mean {own['mean']:.2f}, nearest {own['nearest']:.2f})."
        )
    else:
        st.caption(
            f"This recipe uses the notebook's {pair_threshold:.2f} for every comparison, and **nearest** lets "
            f"**{let_in} of {nearest.impostor.size}** impostor checks through. Switch to the aligned recipe to see "
            "thresholds calibrated per comparison."
        )

    library_thresholds()
    show_models_side_by_side(recipe)
    show_classifier(recipe)


if which == CLASS:
    class_pairs(room.code)
else:
    gallery_pairs(album, which)
