"""The Threshold explorer's section "Verification as classification": a logistic head against the threshold.

The head is trained once per process, recipe and model (``st.cache_resource``, keyed by their names:
a recipe and model's gallery is fixed for the process). Moving the sidebar's threshold redraws only
:func:`against_threshold` (a threshold view): its row in the table and its point on the ROC chart, one
``metrics.rates_at`` on cached distances; it never retrains.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import classifier, metrics
from facedemo.analysis.units import l2_to_cosine
from facedemo.encoding.networks import default_threshold
from ui import frames, state, widgets
from ui.charts import _data, _n, _q
from ui.messages import attempt
from ui.threshold_view import threshold_view

TOP_WEIGHTS = 12
ROC_POINTS = 300
DISTANCE_RULE = "distance threshold"
CLASSIFIER_COLOUR, THRESHOLD_COLOUR = "#d62728", "#1f77b4"
POINT_COLOURS = {"classifier ŷ > 0.5": CLASSIFIER_COLOUR, "calibrated": "#9467bd", "current": "#000000"}
NEGATIVE, POSITIVE = "negative: a difference speaks for different people", "positive: for the same person"
SIGN_COLOURS = {NEGATIVE: "#ff7f0e", POSITIVE: "#1f77b4"}
SCHEMA = alt.SCHEMA_URL
Spec = dict[str, Any]
FORMULA = r"\hat y = \sigma\Big(\sum_{k=1}^{d} w_k\,\big|f(x_i)_k - f(x_j)_k\big| + b\Big)"


@st.cache_resource(show_spinner="Training the logistic head on the train pairs (once per recipe and model, a few seconds) ...",
                   max_entries=4)
def trained(recipe: str, network: str) -> classifier.ClassifierComparison:
    """The head trained on the gallery's train pairs and compared on val, once per recipe and model.

    Keyed by names only (the gallery of a recipe and model is fixed for the process), so a rerun
    hashes no arrays.
    """
    album = state.album(recipe, network)
    result = classifier.compare_with_threshold(
        album.subset("train").encodings, album.subset("val").encodings,
        threshold=default_threshold(recipe, "pair", network),
    )
    state.freeze_long_lived()  # lives for the whole process: keep it out of every rerun's gc
    return result


def _spec(layers: list[Spec], frames: list[pd.DataFrame], *, height: int, **top: Any) -> Spec:
    """A layered Vega-Lite dict; layer ``i`` draws ``frames[i]`` (see :func:`ui.charts._data`). Plain dicts,
    not Altair: this section is redrawn on every threshold move, and Altair's schema validation would
    cost a tenth of a second per chart each time."""
    datasets: dict[str, Any] = {}
    for layer, frame in zip(layers, frames):
        layer["data"] = _data(frame, datasets)
    config = {"axis": {"labelFontSize": 14, "titleFontSize": 16},
              "legend": {"labelFontSize": 14, "titleFontSize": 15, "symbolSize": 160, "labelLimit": 360, "orient": "bottom"},
              "view": {"strokeWidth": 0}}
    return {"$schema": SCHEMA, "config": config, "layer": layers, "height": height, **top, "datasets": datasets}


def _roc_frame(outcome: classifier.RuleOutcome, name: str) -> pd.DataFrame:
    frame = frames.thin_rows(frames.roc_frame(outcome.roc_far, outcome.roc_tar, outcome.roc_cut), ROC_POINTS)
    return frame.assign(rule=name, order=np.arange(len(frame)))


@st.cache_resource(show_spinner=False, max_entries=8)
def static_frames(recipe: str, network: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both ROC curves and the largest weights, which no threshold move changes (cached by names)."""
    result = trained(recipe, network)
    test = result.val_train
    curves = pd.concat([_roc_frame(test.classifier, "classifier (cut on ŷ)"),
                        _roc_frame(test.threshold, DISTANCE_RULE)], ignore_index=True)
    top = result.head.largest_weights(TOP_WEIGHTS)
    weights = pd.DataFrame({"dimension": [f"k = {k}" for k, _ in top], "weight": [w for _, w in top]})
    weights["sign"] = np.where(weights["weight"] < 0, NEGATIVE, POSITIVE)
    return curves, weights


@st.cache_resource(show_spinner=False, max_entries=8)
def cosine_curves(recipe: str, network: str) -> pd.DataFrame:
    """:func:`static_frames`' curves with the distance's cuts also as cosine similarities (``cosine cut``), once."""
    curves = static_frames(recipe, network)[0]
    cut = curves["threshold"].to_numpy()
    shown = (curves["rule"] == DISTANCE_RULE).to_numpy() & np.isfinite(cut)
    cosine = np.full(len(curves), np.nan)
    cosine[shown] = l2_to_cosine(np.clip(cut[shown], 0.0, 2.0))
    return curves.assign(**{"cosine cut": cosine})


def roc_chart(curves: pd.DataFrame, points: pd.DataFrame, *, cosine: bool = False) -> Spec:
    """Both ROC curves (``rule, far, tar, threshold, order``) with operating points (``name, far, tar``).

    With ``cosine`` the hover also gives the distance's cut as a cosine similarity (``cosine cut``).
    """
    far_scale = {"type": "symlog", "constant": 0.0001, "domain": [0, 1]}
    rules = list(dict.fromkeys(curves["rule"]))
    lines = {
        "mark": {"type": "line", "strokeWidth": 3},
        "encoding": {
            "x": _q("far", title="FAR (impostor pairs accepted, log scale)", scale=far_scale,
                    axis={"format": ".1~%", "values": [0, 0.001, 0.01, 0.1, 1], "labelOverlap": False}),
            "y": _q("tar", title="TAR (genuine pairs accepted)", scale={"domain": [0, 1]}, axis={"format": "%"}),
            "color": _n("rule", title="ROC of", scale={"domain": rules, "range": [CLASSIFIER_COLOUR, THRESHOLD_COLOUR]}),
            "order": _q("order"),
            "tooltip": [_n("rule"), _q("threshold", title="cut", format=".3f"),
                        *([_q("cosine cut", title="cut as cosine similarity", format=".3f")] if cosine else []),
                        _q("far", format=".2%"), _q("tar", format=".2%")],
        },
    }
    names = list(points["name"])
    colours = [next((c for key, c in POINT_COLOURS.items() if n.startswith(key)), "#17becf") for n in names]
    dots = {
        "mark": {"type": "point", "size": 260, "filled": True, "opacity": 0.9},
        "encoding": {
            "x": _q("far", scale=far_scale),
            "y": _q("tar"),
            "color": _n("name", title="operating points", scale={"domain": names, "range": colours}),
            "shape": _n("name", title="operating points",
                        scale={"domain": names, "range": ["diamond", "circle", "triangle-up"][: len(names)]}),
            "tooltip": [_n("name"), _q("far", format=".2%"), _q("tar", format=".2%")],
        },
    }
    return _spec([lines, dots], [curves, points], height=420, resolve={"scale": {"color": "independent"}})


def weight_bars(frame: pd.DataFrame) -> Spec:
    """The largest weights (``dimension, weight, sign``) as horizontal bars, largest magnitude on top."""
    y = _n("dimension", sort=None, title="dimension k")
    bars = {
        "mark": {"type": "bar", "height": 22},
        "encoding": {
            "y": y, "x": _q("weight", title="weight w_k"),
            "color": _n("sign", title=None, scale={"domain": list(SIGN_COLOURS), "range": list(SIGN_COLOURS.values())}),
            "tooltip": [_n("dimension"), _q("weight", format="+.3f")],
        },
    }
    text = {
        "mark": {"type": "text", "align": "right", "dx": -6, "fontSize": 14},
        "encoding": {"y": y, "x": _q("weight"), "text": _q("weight", format="+.2f")},
    }
    return _spec([bars, text], [frame, frame], height=34 * len(frame) + 90)


def _rule_row(name: str, r: classifier.RuleOutcome | metrics.Rates, pairs: classifier.PairComparison) -> dict:
    return {"rule": name, "accuracy": f"{r.accuracy:.2%}", "balanced accuracy": f"{(r.tar + 1 - r.far) / 2:.2%}",
            "TAR": f"{r.tar:.2%}", "FAR": f"{r.far:.2%}",
            "false accepts": f"{r.false_accepts} of {pairs.n_impostor:,}",
            "false rejects": f"{r.false_rejects} of {pairs.n_genuine:,}"}


def show_classifier(recipe: str) -> None:
    """The section: formula, accuracy and ROC of the head vs the threshold on val pairs, the largest weights."""
    st.subheader("Verification as classification")
    st.markdown(
        "The threshold treats every dimension of the encoding alike. A **logistic head** instead learns a weight "
        "per dimension from labelled pairs: it looks at the difference |f(xᵢ)ₖ − f(xⱼ)ₖ| in each dimension k and "
        "outputs the probability ŷ that the two photos show the same person (same when ŷ > 0.5)."
    )
    st.latex(FORMULA)
    network = state.current_network()
    result = attempt(lambda: trained(recipe, network), what="The classifier could not be trained: ")
    if result is None:
        return
    head, fit, test = result.head, result.train, result.val_train
    st.markdown(
        f"Trained with Keras (one `Dense(1, sigmoid)` unit) on all **{fit.n_genuine + fit.n_impostor:,} pairs of "
        f"train photos**: {fit.n_genuine:,} genuine, {fit.n_impostor:,} impostor. Genuine pairs are few, so each "
        f"counts ×{head.genuine_weight:.2f} and each impostor pair ×{head.impostor_weight:.2f}: both classes weigh "
        f"the same. Tested on pairs it never saw: each **val photo against each train photo** "
        f"({test.n_genuine:,} genuine, {test.n_impostor:,} impostor pairs), against the calibrated threshold "
        f"**{widgets.shown_distance(result.threshold)}** on the same pairs."
    )
    acc_c, acc_t, auc_c, auc_t = st.columns(4)
    gain = result.classifier_accuracy - result.threshold_accuracy
    acc_c.metric("Classifier accuracy", f"{result.classifier_accuracy:.2%}", delta=f"{gain * 100:+.2f} points",
                 help="ŷ > 0.5 on the val × train pairs; the change is against the calibrated threshold.")
    acc_t.metric("Threshold accuracy", f"{result.threshold_accuracy:.2%}",
                 help=(f"cosine similarity > {widgets.shown_distance(result.threshold)}, i.e. distance < "
                       f"{result.threshold:.2f}" if widgets.shows_cosine() else f"distance < {result.threshold:.2f}")
                 + " (calibrated on train) on the same pairs.")
    auc_c.metric("Classifier AUC", f"{test.classifier.auc:.5f}", help="Area under the classifier's ROC (every cut on ŷ).")
    auc_t.metric("Threshold AUC", f"{test.threshold.auc:.5f}", help="Area under the distance's ROC (every threshold).")

    against_threshold(result, recipe, network)
    st.markdown(head.meaning())
    small = result.val_val
    st.caption(
        f"Val photos among themselves ({small.n_genuine} genuine, {small.n_impostor} impostor pairs): classifier "
        f"{small.classifier.accuracy:.1%}, threshold {small.threshold.accuracy:.1%}. On the train pairs it learned "
        f"from: classifier {fit.classifier.accuracy:.1%}, threshold {fit.threshold.accuracy:.1%}. Fitted by "
        f"scikit-learn's LogisticRegression in {head.iterations} L-BFGS iterations, L2 penalty {head.l2:g} "
        f"(`facedemo.analysis.classifier`)."
    )


@threshold_view
def against_threshold(result: classifier.ClassifierComparison, recipe: str, network: str) -> None:
    """The head's and the thresholds' errors on val pairs, the sidebar's threshold among them, and both ROC curves."""
    threshold, test, head = state.threshold(), result.val_train, result.head
    current = test.threshold_rates(threshold)
    rows = [_rule_row("classifier ŷ > 0.5", test.classifier, test),
            _rule_row(f"calibrated threshold {widgets.shown_distance(result.threshold)}", test.threshold, test)]
    points = [{"name": "classifier ŷ > 0.5", "far": test.classifier.far, "tar": test.classifier.tar},
              {"name": f"calibrated {widgets.shown_distance(result.threshold)}", "far": test.threshold.far,
               "tar": test.threshold.tar}]
    if round(threshold, 2) != round(result.threshold, 2):
        rows.append(_rule_row(f"current threshold {widgets.shown_distance(threshold)}", current, test))
        points.append({"name": f"current {widgets.shown_distance(threshold)}", "far": current.far, "tar": current.tar})
    widgets.keyed_dataframe(pd.DataFrame(rows), hide_index=True, key="classifier_table")
    st.caption(
        f"Accuracy counts every pair once; with {test.n_impostor / test.n_genuine:.0f} impostor pairs to each genuine "
        "one, a rule that rejects nearly everyone still scores high. **Balanced accuracy**, the mean of TAR and "
        "1 − FAR, counts both kinds of pair equally, as the head was trained to."
    )

    roc_col, weights_col = st.columns(2)
    with roc_col:
        curves, weights = static_frames(recipe, network)
        cosine = widgets.shows_cosine()
        st.vega_lite_chart(roc_chart(cosine_curves(recipe, network) if cosine else curves, pd.DataFrame(points),
                                     cosine=cosine), width="stretch", key="classifier_roc")
        st.caption("Both curves on the val × train pairs; FAR on a log scale. The sidebar's threshold moves its point "
                   "along the blue curve; the head is not trained again.")
    with weights_col:
        st.vega_lite_chart(weight_bars(weights), width="stretch", key="classifier_weights")
        st.caption(f"The {len(weights)} largest of the {head.dimension} weights (by size); bias b = {head.bias:+.2f}.")
