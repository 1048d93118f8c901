"""How the default thresholds were set: for a false-accept rate, and lowered for 1:K (threshold explorer)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facedemo.encoding.networks import COMPARISONS, DEFAULT_COMPARISON, get_network
from facedemo.encoding.thresholds import FAR_TARGET, STRANGER_TARGET, one_of_k_threshold, stranger_rate
from ui import state, widgets

CLASS_SIZES = (1, 5, 10, 30, 100)
COMPARED = {"pair": "one photo vs one photo", "mean": "photo vs a person's mean", "nearest": "photo vs a person's nearest photo"}


@st.cache_data(show_spinner=False, max_entries=64)
def policy_table(recipe: str, network: str, unit: str = "l2") -> pd.DataFrame | None:
    """One row per comparison: the default, how it was set and its val figures; None if nothing is recorded.

    Built once per recipe, model and unit (the registry does not change while the server runs).
    """
    entry = get_network(network)
    rows = []
    for comparison in COMPARISONS:
        record = entry.calibrated(recipe, comparison)
        if record is None:
            return None
        rows.append({
            "compared": COMPARED[comparison],
            "default": widgets.shown_distance(entry.threshold(recipe, comparison), unit),
            "set by": f"FAR {FAR_TARGET:g} on train, margin {record.tail.margin:.3f}" if record.tail else "the course notebook",
            "val FAR": f"{record.val_far:.2%} of {record.val_impostors:,}",
            "val TAR": f"{record.val_tar:.1%} of {record.val_genuine:,}",
            "best-accuracy threshold": widgets.shown_distance(record.best_accuracy, unit),
        })
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=64)
def one_of_k_table(recipe: str, network: str, comparison: str = DEFAULT_COMPARISON, unit: str = "l2") -> pd.DataFrame | None:
    """For K people enrolled: the 1:K threshold and a stranger's chance, against keeping the 1:1 default (cached)."""
    entry = get_network(network)
    record = entry.calibrated(recipe, comparison)
    if record is None or record.tail is None:
        return None
    default = entry.threshold(recipe, comparison)
    rows = []
    for k in CLASS_SIZES:
        lowered = one_of_k_threshold(default, record.tail, k)
        rows.append({
            "people enrolled (K)": k,
            "1:K threshold": widgets.shown_distance(lowered, unit),
            "a stranger taken for someone": f"{stranger_rate(record.tail.far(lowered), k):.2%}",
            f"at the 1:1 default {widgets.shown_distance(default, unit)}": f"{stranger_rate(record.tail.far(default), k):.2%}",
        })
    return pd.DataFrame(rows)


def show_policy(recipe: str, network: str, comparison: str = DEFAULT_COMPARISON) -> None:
    """The explorer's section on the defaults: the FAR rule, the best-accuracy threshold as a lesson, 1:K."""
    st.subheader("How the default thresholds were set")
    unit = state.distance_unit()
    table = policy_table(recipe, network, unit)
    if table is None:
        st.caption("This model has no recorded calibration for this recipe.")
        return
    st.markdown(
        f"Each default is set for a **false-accept rate of {FAR_TARGET:g}** on the gallery's *train* photos — "
        "one impostor in a thousand let in — as FaceNet's paper reports its results. A curve is fitted to the "
        "closest impostor distances, and the default moved down by a margin: the spread of that point over "
        "resamples of the train photos, because five people's photos pin it down only roughly. Then it is "
        "checked on the *val* photos, which set nothing."
    )
    widgets.keyed_dataframe(table, key="threshold_policy_table", hide_index=True)
    st.caption(
        "The **best-accuracy threshold** decides the most train pairs right. It is laxer (a larger distance, a smaller similarity): the gallery's hard "
        "same-person pairs (profile shots, tinted glasses, an old photo) pull it up into the range where "
        "strangers live. It was the default once; on photos from elsewhere it let strangers in, so it is shown "
        "here as a lesson, not used."
    )
    k_table = one_of_k_table(recipe, network, comparison, unit)
    if k_table is not None:
        st.markdown(
            f"**1:K counts its chances.** A stranger at the door is compared with everyone enrolled, so they get K "
            f"tries: the chance that one of them is close enough is 1 − (1 − FAR)ᴷ. *Recognise* keeps it under "
            f"{STRANGER_TARGET:.0%} by lowering its threshold as people enrol (comparing with each person's {comparison}):"
        )
        widgets.keyed_dataframe(k_table, key="threshold_one_of_k_table", hide_index=True)
