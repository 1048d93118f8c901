"""Glue of the page *What breaks it?*: cached degraded encodings, sweeps and the gallery summary, and their charts.

The maths is in :mod:`facedemo.analysis.degradations`; here it is cached and drawn.

- One degraded photo (the sliders' settings together) is encoded once per photo content
  (sha256), settings, recipe and model: a slider move encodes one image at most.
- A sweep (one photo, one degradation, several severities) is one batch through the encoder,
  cached by photo content, degradation, severities, person, the enrolled encodings' digest,
  comparison, recipe and model, with a progress bar the first time.
- The summary over the gallery's val photos keeps distances, not verdicts: the threshold is
  applied afterwards, so a threshold move recomputes no encoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import failures
from facedemo.analysis.degradations import (
    DEGRADATIONS,
    Summary,
    Sweep,
    degrade,
    summarise,
    sweep,
)
from facedemo.analysis.failures import Attempt
from facedemo.classroom import ClassPhotos
from facedemo.detection.faces import Face
from facedemo.errors import NoFaceFoundError
from facedemo.gallery.album import person_title, photo_ids
from facedemo.io.images import WORK_MAX_SIDE, read_image
from facedemo.people.database import FaceDatabase
from facedemo.people.matching import person_distance
from ui import charts, state, widgets
from ui.state import UploadEncoding

SELF_COLOUR, OTHER_COLOUR = "#1f77b4", "#d62728"


# --- the enrolled people -------------------------------------------------------------------------
def people_of(database: FaceDatabase) -> dict[str, np.ndarray]:
    """name → ``(k, d)`` enrolled encodings of the session's database."""
    return {name: database.vectors(name) for name in database.names}


def digest(people: Mapping[str, np.ndarray]) -> str:
    """sha256 over the enrolled names and encodings: part of every cache key that depends on them."""
    h = hashlib.sha256()
    for name in sorted(people):
        h.update(name.encode())
        h.update(np.ascontiguousarray(people[name], dtype=np.float32).tobytes())
    return h.hexdigest()


# --- one degraded photo --------------------------------------------------------------------------
@dataclass(frozen=True)
class Live:
    """The photo at the sliders' settings: the degraded pixels, the face found (None: lost), the crop and encoding."""

    rgb: np.ndarray
    face: Face | None
    faces: tuple[Face, ...]
    crop: np.ndarray | None
    vector: np.ndarray | None


def placement(encoded: UploadEncoding) -> Face | None:
    """The clean photo's face, where occlusions go: the recipe's face, else (the course recipe finds none) the detector's."""
    if encoded.face is not None:
        return encoded.face
    return _detected(encoded.sha256, state.current_network(), encoded)


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def _detected(sha256: str, network: str, _encoded: UploadEncoding) -> Face | None:
    faces = state.encoder(network).detector.detect(_encoded.rgb)
    return faces[0] if faces else None


def settings_of(values: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """The settings that change the photo, in the registry's order (the cache key)."""
    return tuple((name, float(values[name])) for name in DEGRADATIONS
                 if name in values and float(values[name]) != DEGRADATIONS[name].harmless)


def live(encoded: UploadEncoding, settings: tuple[tuple[str, float], ...], recipe: str) -> Live:
    """``encoded``'s photo degraded by ``settings``; the clean photo's encoding when nothing is changed."""
    if not settings:
        return Live(encoded.rgb, encoded.face, encoded.faces, encoded.crop, encoded.vector)
    return _live(encoded.sha256, settings, recipe, state.current_network(), encoded)


@st.cache_data(show_spinner="Encoding the degraded photo ...", max_entries=128, ttl=3600)
def _live(sha256: str, settings: tuple[tuple[str, float], ...], recipe: str, network: str, _encoded: UploadEncoding) -> Live:
    model = state.encoder(network)
    degraded = degrade(_encoded.rgb, dict(settings), placement(_encoded))
    try:
        prepared = model.prepare(degraded, recipe, name="the degraded photo")
    except NoFaceFoundError:
        return Live(degraded, None, (), None, None)
    vector = model.embed_prepared([prepared])[0]
    return Live(degraded, prepared.face, tuple(prepared.faces), prepared.crop, vector)


def distances(vector: np.ndarray, person: str | None, people: Mapping[str, np.ndarray], comparison: str
              ) -> tuple[float | None, str | None, float | None]:
    """(distance to ``person``, the nearest other person, the distance to them); None where there is none."""
    own = person_distance(vector, people[person], comparison) if person in people else None
    others = {name: person_distance(vector, photos, comparison) for name, photos in people.items() if name != person}
    if not others:
        return own, None, None
    nearest = min(others, key=others.get)
    return own, nearest, others[nearest]


# --- sweeps --------------------------------------------------------------------------------------
SWEEP_STEPS = 9


def photo_sweep(encoded: UploadEncoding, degradation: str, person: str | None, people: Mapping[str, np.ndarray],
                comparison: str, recipe: str, *, steps: int = SWEEP_STEPS) -> Sweep:
    """One photo through one degradation, cached by content and settings (a progress bar the first time)."""
    return _photo_sweep(encoded.sha256, degradation, steps, person, digest(people), comparison, recipe,
                        state.current_network(), encoded, people)


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def _photo_sweep(sha256: str, degradation: str, steps: int, person: str | None, people_digest: str, comparison: str,
                 recipe: str, network: str, _encoded: UploadEncoding, _people: Mapping[str, np.ndarray]) -> Sweep:
    entry = DEGRADATIONS[degradation]
    bar = st.progress(0.0, text=f"Sweeping {entry.title.lower()} ...")
    try:
        return sweep(state.encoder(network), _encoded.rgb, degradation, entry.severities(steps), face=placement(_encoded),
                     recipe=recipe, person=person, people=_people, comparison=comparison,
                     on_progress=lambda done, total: bar.progress(done / total, text=f"Sweeping {entry.title.lower()}: "
                                                                               f"{done} of {total} settings ..."))
    finally:
        bar.empty()


def sweep_frame(result: Sweep) -> pd.DataFrame:
    """Long format for the chart: severity, distance, which (to self / to the nearest other person)."""
    rows = []
    for severity, own, other, name in zip(result.severities, result.to_self, result.to_other, result.nearest_other):
        if np.isfinite(own):
            rows.append({"severity": severity, "distance": own, "which": "to self"})
        if np.isfinite(other):
            rows.append({"severity": severity, "distance": other, "which": "to the nearest other person"})
    return pd.DataFrame(rows, columns=["severity", "distance", "which"])


def sweep_chart(result: Sweep, threshold: float) -> dict:
    """Distance to self and to the nearest other person against severity, the threshold, and where it breaks.

    In the session's unit: with cosine the y axis is the cosine similarity (higher = more alike, from
    −1 to 1) and the threshold's rule sits at its similarity; where the door stops opening is the
    L2 rule's in either unit. A Vega-Lite dict (:mod:`ui.charts`): redrawn at every threshold move.
    """
    entry = DEGRADATIONS[result.degradation]
    frame = sweep_frame(result)
    datasets: dict = {}
    x_scale = {"domain": [entry.harmless, entry.worst], "nice": False}
    x = {"field": "severity", "type": "quantitative", "scale": x_scale, "title": f"{entry.title} ({entry.unit})"}
    if widgets.shows_cosine():
        frame["cosine"] = widgets.in_unit(frame["distance"].to_numpy())
        y = {"field": "cosine", "type": "quantitative", "scale": {"domain": [-1, 1], "nice": False},
             "title": ["cosine similarity", "(higher = more alike)"]}
        marks = [{"at": float(widgets.in_unit(threshold)), "text": f"threshold {widgets.shown_distance(threshold)}"}]
    else:
        top = max(2.0, threshold * 1.05)
        y = {"field": "distance", "type": "quantitative", "scale": {"domain": [0, top], "nice": False},
             "title": "L2 distance"}
        marks = [{"at": threshold, "text": f"threshold {threshold:.2f}"}]
    closes, lost = result.door_closes(threshold), result.face_lost()
    verticals = []
    if closes is not None:
        said = "door stops opening" + (" · face lost" if lost == closes else "")
        verticals.append({"severity": closes, "text": said, "colour": "#111827"})
    if lost is not None and lost != closes:
        verticals.append({"severity": lost, "text": "detector lost the face", "colour": "#9467bd"})
    layers = [
        {"data": charts._data(frame, datasets), "mark": {"type": "line", "point": True, "strokeWidth": 3},
         "encoding": {"x": x, "y": y,
                      "color": {"field": "which", "type": "nominal", "title": None,
                                "scale": {"domain": ["to self", "to the nearest other person"],
                                          "range": [SELF_COLOUR, OTHER_COLOUR]}},
                      "tooltip": [{"field": "which", "type": "nominal"}, {**x, "format": ".2f"},
                                  {**y, "format": ".3f"}]}},
        {"data": {"values": marks}, "mark": {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 2, "color": "#111827"},
         "encoding": {"y": {"field": "at", "type": "quantitative", "scale": y["scale"]}}},
        {"data": {"values": marks}, "mark": {"type": "text", "align": "right", "dx": -4, "dy": 12, "fontSize": 13},
         "encoding": {"y": {"field": "at", "type": "quantitative", "scale": y["scale"]}, "x": {"value": "width"},
                      "text": {"field": "text"}}},
    ]
    if verticals:
        layers += [
            {"data": {"values": verticals}, "mark": {"type": "rule", "strokeWidth": 2, "strokeDash": [2, 3]},
             "encoding": {"x": {"field": "severity", "type": "quantitative", "scale": x_scale},
                          "color": {"field": "colour", "type": "nominal", "scale": None}}},
        ]
        for number, mark in enumerate(verticals):  # the first label at the top, the second at the bottom
            late = abs(mark["severity"] - entry.harmless) > 0.6 * abs(entry.worst - entry.harmless)
            layers.append(
                {"data": {"values": [mark]}, "mark": {"type": "text", "align": "right" if late else "left",
                                                      "dx": -5 if late else 5, "fontSize": 13,
                                                      "baseline": "top" if number == 0 else "bottom",
                                                      "dy": 4 if number == 0 else -4, "color": mark["colour"]},
                 "encoding": {"x": {"field": "severity", "type": "quantitative", "scale": x_scale},
                              "y": {"value": 0 if number == 0 else "height"}, "text": {"field": "text"}}})
    return {"$schema": alt.SCHEMA_URL, "config": {"view": {"strokeWidth": 0}, "axis": dict(charts.AXIS_STYLE),
                                                  "legend": {**charts.LEGEND_STYLE, "orient": "bottom"}},
            "layer": layers, "height": 300, "title": entry.title, "datasets": datasets}


# --- the summary over the val photos -------------------------------------------------------------
def summary(people: Mapping[str, np.ndarray], comparison: str, recipe: str, *, per_person: int, steps: int) -> Summary:
    """The val photos of the enrolled people (``per_person`` each) through every degradation; cached."""
    return _summary(digest(people), comparison, recipe, state.current_network(), per_person, steps, people)


@st.cache_data(show_spinner=False, max_entries=16)
def _summary(people_digest: str, comparison: str, recipe: str, network: str, per_person: int, steps: int,
             _people: Mapping[str, np.ndarray]) -> Summary:
    val = state.gallery("val", recipe, network)
    ids = photo_ids(val.labels, "val", val.paths)
    chosen, seen = [], {}
    for row, label in enumerate(val.labels):
        if label in _people and seen.get(label, 0) < per_person:
            seen[label] = seen.get(label, 0) + 1
            chosen.append(row)
    model = state.encoder(network)
    photos = []
    for row in chosen:
        rgb = read_image(val.paths[row], max_side=WORK_MAX_SIDE)
        face = model.prepare(rgb, recipe).face or next(iter(model.detector.detect(rgb)), None)
        photos.append((ids[row], rgb, face, val.labels[row]))
    total = len(photos) * len(DEGRADATIONS)
    bar = st.progress(0.0, text=f"Measuring {len(photos)} val photos × {len(DEGRADATIONS)} degradations (once) ...")
    try:
        return summarise(model, photos, _people, recipe=recipe, steps=steps, comparison=comparison,
                         on_progress=lambda done, _: bar.progress(
                             done / total, text=f"Measured {done} of {total} photo × degradation sweeps ..."))
    finally:
        bar.empty()


def summary_table(result: Summary, threshold: float) -> pd.DataFrame:
    """One row per degradation: where half the genuine attempts fail, and where the detector misses half the faces."""

    def said(value: float | None) -> str:
        return "not reached" if value is None else f"{value:g}"

    return pd.DataFrame([{
        "degradation": DEGRADATIONS[row["degradation"]].title,
        "half the genuine attempts fail at": said(row["attempts_fail"]),
        "the detector misses half the faces at": said(row["detector_misses"]),
        "unit": DEGRADATIONS[row["degradation"]].unit,
        "settings measured": ", ".join(f"{v:g}" for v in result.severities[row["degradation"]]),
        "failing at the worst": f"{row['failing_at_worst']} of {row['photos']}",
    } for row in result.half_way_rows(threshold)])


# --- who it fails for ----------------------------------------------------------------------------
# The attempts, the counts and the hardest attempts are the core's (:mod:`facedemo.analysis.failures`).
hardest = failures.hardest


def attempts(database: FaceDatabase, comparison: str, recipe: str) -> list[Attempt]:
    """Every val photo against every enrolled person (genuine when the photo is theirs)."""
    val = state.gallery("val", recipe)
    ids = photo_ids(val.labels, "val", val.paths)
    return [Attempt(row, ids[row], label, name, database.distance(vector, name, comparison=comparison))
            for row, (vector, label) in enumerate(zip(val.vectors, val.labels)) for name in database.names]


def class_attempts(photos: ClassPhotos, comparison: str) -> list[Attempt]:
    """Every photo of a class against every student, its own photo left out (:func:`failures.leave_one_out`)."""
    return failures.leave_one_out(photos.vectors, photos.labels, comparison=comparison, ids=photos.ids)


def per_person(tried: Sequence[Attempt], threshold: float, *, photos: str = "val photos",
               person: Callable[[str], str] = person_title, who: str = "person") -> pd.DataFrame:
    """Per person: their ``photos`` turned away, and other people's photos let in as them (one row each)."""
    return pd.DataFrame([{who: person(e.name),
                          f"false rejects (own {photos} turned away)": f"{e.false_rejects} of {e.genuine}",
                          "false accepts (others let in as them)": f"{e.false_accepts} of {e.impostor}"}
                         for e in failures.per_person(tried, threshold)])


@st.cache_data(show_spinner=False, max_entries=256)
def val_crop(row: int, recipe: str, network: str) -> np.ndarray:
    """The 160×160 crop the model saw of val photo ``row``."""
    return state.gallery("val", recipe, network).crop(row)
