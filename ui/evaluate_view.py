"""The Evaluate page's glue: uploads read in memory, each photo encoded once (cached by content), the report drawn.

Uploaded photos stay in memory: the zip is unpacked by :func:`facedemo.io.archives.read_photo_zip`,
and only each photo's encoding (a vector, not the photo) is kept, in ``st.cache_data`` keyed by the
photo's bytes, the recipe and the model, so a rerun or a second evaluation never encodes a photo again.
The last report of a session is kept under :data:`LAST` with the uploads' content hashes.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import streamlit as st

from facedemo import assets
from facedemo.analysis import pairs as evaluation
from facedemo.encoding.networks import get_network
from facedemo.errors import TooSlowError
from facedemo.io.archives import photo_zip_bytes, read_photo_zip
from ui import state, widgets

MAX_PAIRS = 20_000
MAX_PAIRS_BYTES = 2 * 1024 * 1024
LAST = "evaluate_last"


@st.cache_data(show_spinner=False, max_entries=4096, ttl=3600)
def _encoded(data: bytes, recipe: str, network: str, name: str) -> tuple[np.ndarray | None, str | None]:
    """``(vector, None)`` or ``(None, why it failed)`` for one photo's bytes; a timeout is raised, not kept."""
    model = state.encoder(network)
    vectors, failed = state.within(state.ENCODE_TIMEOUT, lambda: evaluation.encode_photos(
        [name], model, recipe, open_photo=lambda _: data))
    return vectors.get(name), failed.get(name)


def evaluate(zip_bytes: bytes, pairs_bytes: bytes, *, zip_name: str, pairs_name: str, recipe: str,
             network: str) -> evaluation.PairsReport:
    """Read both uploads, encode each photo once with a progress bar, and score the pairs.

    Raises the project's errors (a bad pairs file or zip) for the page to show.
    """
    key = (_digest(zip_bytes), _digest(pairs_bytes), recipe, network)
    last = st.session_state.get(LAST)
    if last is not None and last[0] == key:
        return last[1]
    if len(pairs_bytes) > MAX_PAIRS_BYTES:
        raise evaluation.PairsFileError(f"'{pairs_name}' is {len(pairs_bytes) / 1e6:.1f} MB; a pairs file here may "
                                        f"have at most {MAX_PAIRS_BYTES // 1024 // 1024} MB")
    pairs = evaluation.read_pairs(pairs_bytes, name=f"'{pairs_name}'", max_pairs=MAX_PAIRS)
    photos = read_photo_zip(zip_bytes, name=f"'{zip_name}'")
    names = evaluation.distinct_photos(pairs)
    vectors: dict[str, np.ndarray] = {}
    failed: dict[str, str] = {}
    bar = st.progress(0.0, text=f"Encoding {len(names)} photos ...")
    try:
        for done, name in enumerate(names, 1):
            try:
                vector, reason = _encoded(photos.find(name), recipe, network, name)
            except (evaluation.PhotoNotFoundError, TooSlowError) as error:
                vector, reason = None, str(error)
            if vector is None:
                failed[name] = reason or "it could not be encoded"
            else:
                vectors[name] = vector
            bar.progress(done / len(names), text=f"Encoding photo {done} of {len(names)} ...")
    finally:
        bar.empty()
    threshold = get_network(network).threshold(recipe, "pair")
    report = evaluation.score_pairs(pairs, vectors, failed, threshold=threshold, recipe=recipe, network=network)
    st.session_state[LAST] = (key, report)
    return report


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _percent(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2%}"


def show(report: evaluation.PairsReport) -> None:
    """The report: the figures, a table of the wrong answers, the failed photos, the notes."""
    st.caption(
        f"{report.n_pairs:,} pairs of {report.n_photos:,} photos: {report.n_genuine:,} of the same person, "
        f"{report.n_impostor:,} of different people · model {report.network}, recipe {report.recipe} · "
        f"a pair is \"the same person\" when its distance is below the default pair threshold "
        f"**{widgets.both_units(report.threshold)}** (the sidebar's threshold does not change this report)."
    )
    with st.container(key="evaluate_figures"):
        first = st.columns(4)
        first[0].metric("Accuracy", _percent(report.accuracy),
                        help="Pairs decided right, out of all pairs; a pair with a failed photo is a wrong answer.")
        first[1].metric("False accepts", f"{report.false_accepts} of {report.n_impostor}",
                        help="Different people let in (distance below the threshold).")
        first[2].metric("False rejects", f"{report.false_rejects} of {report.n_genuine}",
                        help="The same person turned away (distance at or above the threshold).")
        first[3].metric("Failed photos", f"{len(report.failed_photos)}",
                        help="Photos that could not be encoded: missing, unreadable or without a face.")
        second = st.columns(4)
        second[0].metric("AUC", "n/a" if math.isnan(report.auc) else f"{report.auc:.4f}",
                         help="The chance that a same-person pair is closer than a different-people pair.")
        second[1].metric("EER", _percent(report.eer), help="Where false accepts and false rejects are as frequent.")
        second[2].metric("VAL at FAR 10⁻³", _percent(report.val),
                         help="FaceNet's VAL: the share of same-person pairs accepted at a threshold that lets in "
                              "at most 1 in 1,000 different-people pairs.")
        second[3].metric("Best-accuracy threshold",
                         "n/a" if math.isnan(report.best_threshold) else widgets.shown_precise(report.best_threshold),
                         help=f"It decides {_percent(report.best_accuracy)} of the encoded pairs right: chosen "
                              "after seeing the answers, so a teaching point, not a fair default.")
    for note in report.notes:
        (st.warning if "wrong answer" in note else st.info)(note[0].upper() + note[1:] + ".")
    wrong = report.false_accept_pairs + report.false_reject_pairs
    if wrong:
        unit = "cosine similarity" if widgets.shows_cosine() else "distance"
        st.subheader("The wrong answer" if len(wrong) == 1 else f"The {len(wrong)} wrong answers")
        widgets.keyed_dataframe(pd.DataFrame([{
            "answer": "false accept" if not o.pair.same else "false reject",
            unit: round(float(widgets.in_unit(np.array(o.distance))), 3),
            "photo x": o.pair.file_x, "photo y": o.pair.file_y, "line": o.pair.line,
        } for o in wrong]), key="evaluate_wrong", hide_index=True, width="stretch")
    elif report.n_scored:
        st.success(f"No false accept and no false reject at the threshold {report.threshold:.2f}.")
    if report.failed_photos:
        count = len(report.failed_photos)
        st.subheader("The photo that could not be encoded" if count == 1 else f"The {count} photos that could not be encoded")
        widgets.keyed_dataframe(pd.DataFrame([
            {"photo": photo, "why": reason,
             "pairs": sum(photo in (o.pair.file_x, o.pair.file_y) for o in report.failed_pairs)}
            for photo, reason in report.failed_photos.items()
        ]), key="evaluate_failed", hide_index=True, width="stretch")


@st.cache_data(show_spinner="Packing the gallery as a sample ...", max_entries=2)
def gallery_sample() -> tuple[bytes, bytes]:
    """The bundled gallery as a sample upload: ``(photos.zip, pairs.csv)``, every val photo × every train photo."""
    root = assets.gallery_dir()
    made, _ = evaluation.make_pairs(root / "val", root / "train", root=root)
    return photo_zip_bytes(root, evaluation.distinct_photos(made)), evaluation.pairs_csv(made).encode()

