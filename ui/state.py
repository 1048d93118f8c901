"""Process-wide caches and per-session state shared by every page.

- The FaceNet encoder is loaded once per process (``st.cache_resource``) and shared by all sessions.
- Encodings of uploads are cached by the bytes' content (``st.cache_data``): moving a slider
  never recomputes one.
- Threshold, model (network), recipe, comparison and presentation mode live in
  ``st.session_state`` and in the URL (``st.query_params``), so a bookmark brings a demo step back.
- Each model has its own encoder, gallery encodings and face database: encodings of two models
  are never compared. A session keeps one database per model and recipe, so switching and
  switching back loses nothing.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import streamlit as st

from facedemo import assets
from facedemo.analysis.units import l2_to_cosine
from facedemo.detection.faces import Face, FaceDetector
from facedemo.encoding.encoder import FaceEncoder
from facedemo.encoding.networks import (
    DEFAULT_COMPARISON,
    DEFAULT_NETWORK,
    NETWORKS,
    default_threshold,
    get_network,
)
from facedemo.encoding.recipes import DEFAULT_RECIPE, RECIPES
from facedemo.errors import FacedemoError, TooSlowError
from facedemo.gallery.album import Album
from facedemo.gallery.labelled import LabelledEncodings, encode_folder
from facedemo.people.database import FaceDatabase
from ui import threshold_view
from ui.frames import data_uri

THRESHOLD_RANGE = (0.0, 2.0)
# How distances are shown (``distance_unit``, in the URL as ``units``); decisions stay on L2 whatever it is.
DISTANCE_UNITS = {"l2": "L2 distance", "cosine": "cosine similarity"}
HEAVY_MODULES = frozenset({"tensorflow", "keras"})
_frozen_with: set[str] = set()
# Seconds one photo may take from bytes to encoding. Decoding is bounded (50 megapixels at most,
# big JPEGs decoded at reduced scale) and detection runs at 1024 px, so a photo takes about a
# second; the guard is for what limits cannot rule out (a decoder's worst case, a crowded server).
ENCODE_TIMEOUT = 60.0
T = TypeVar("T")
PRESENTATION_CSS = """<style>
[data-testid='stMain'] [data-testid='stMarkdownContainer'] :is(p, li), [data-testid='stWidgetLabel'] p,
[data-testid='stCaptionContainer'], [data-testid='stRadio'] p { font-size: 1.25rem; }
[data-testid='stMain'] :is(h1, h1 span) { font-size: 3rem; }
[data-testid='stMain'] :is(h3, h3 span) { font-size: 2rem; }
</style>"""


@st.cache_resource(show_spinner=False)
def detector() -> FaceDetector:
    """The one face detector of this process, shared by both models' encoders (thread-safe)."""
    return FaceDetector()


def encoder(network: str | None = None) -> FaceEncoder:
    """The FaceEncoder of ``network`` (default: this session's model), one per process."""
    return _encoder(network or current_network())


@st.cache_resource(show_spinner="Loading the model and the face detector (once, a few seconds) ...")
def _encoder(network: str) -> FaceEncoder:
    _assets_ready(network)
    return FaceEncoder.load(network=network, detector=detector())


@st.cache_resource(show_spinner=False)
def _assets_ready(network: str) -> None:
    """Check (and if needed fetch) the files ``network`` needs, once per process: the gallery and the
    detector always, a network's own files only when it is chosen (its registry entry's ``set_up``)."""
    assets.set_up(progress=assets.quiet)
    get_network(network).set_up(assets.quiet)


@dataclass(frozen=True)
class UploadEncoding:
    """What the pages need of an encoded photo (plain, picklable data for ``st.cache_data``)."""

    vector: np.ndarray
    crop: np.ndarray
    rgb: np.ndarray
    face: Face | None
    faces: tuple[Face, ...]
    note: str | None
    sha256: str
    crop_landmarks: np.ndarray | None = None
    """Where the recipe put the five landmarks in the crop, ``(5, 2)``; None when it used none."""


def freeze_long_lived() -> None:
    """Hide every object alive now from the garbage collector (as ``FaceEncoder.load`` does after loading).

    Once a page has imported Keras (the triplet loss, the look inside the model),
    Streamlit calls ``keras.backend.clear_session()`` after every rerun of every page, and its full
    ``gc.collect()`` walks TensorFlow's ~370,000 objects: 0.1-0.3 s per slider move. Call this after
    loading something big that lives for the whole process.
    """
    gc.freeze()


def freeze_after_heavy_imports() -> None:
    """:func:`freeze_long_lived` once, after the run in which a page first imported TensorFlow or Keras."""
    heavy = HEAVY_MODULES & sys.modules.keys()
    if heavy - _frozen_with:
        _frozen_with.update(heavy)
        freeze_long_lived()


def within(seconds: float, action: Callable[[], T]) -> T:
    """``action()``, or :class:`TooSlowError` when it has not finished after ``seconds``.

    The work runs in a daemon thread: Python cannot stop it, but the session waiting for it is
    freed and told why; the thread ends on its own and its result is dropped.
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["value"] = action()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="facedemo-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TooSlowError(
            f"this photo took longer than {seconds:.0f} s to process, so it was given up (the server may be "
            "busy); please try again, or use a smaller JPEG or PNG photo"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# Each entry holds the photo at ≤ 2000 px (up to ~12 MB): 64 entries, kept an hour, bound the memory
# a class of uploads can take while a slider move still never re-encodes.
def encode_bytes(data: bytes, recipe: str, network: str | None = None) -> UploadEncoding:
    """Encode a photo's bytes with ``network`` (default: this session's model), cached by content.

    Raises the project's errors (:class:`TooSlowError` after :data:`ENCODE_TIMEOUT` seconds).
    """
    return _encode_bytes(data, recipe, network or current_network())


@st.cache_data(show_spinner="Finding the face and encoding it ...", max_entries=64, ttl=3600)
def _encode_bytes(data: bytes, recipe: str, network: str) -> UploadEncoding:
    model = encoder(network)
    encoding = within(ENCODE_TIMEOUT, lambda: model.encode(data, recipe))
    prepared = encoding.prepared
    return UploadEncoding(
        encoding.vector, prepared.crop, prepared.rgb, prepared.face, tuple(prepared.faces),
        prepared.note, encoding.sha256, prepared.crop_landmarks,
    )


def gallery(split: str = "train", recipe: str = DEFAULT_RECIPE, network: str | None = None) -> LabelledEncodings:
    """The bundled gallery's ``split`` encoded with ``recipe`` by ``network`` (default: this session's)."""
    return _gallery(split, recipe, network or current_network())


@st.cache_resource(show_spinner=False)
def _gallery(split: str, recipe: str, network: str) -> LabelledEncodings:
    """Disk-cached after the first time (see :func:`facedemo.gallery.labelled.encode_folder`)."""
    folder = assets.gallery_dir() / split
    bar = st.progress(0.0, text=f"Encoding the {split} photos of the gallery (first time only) ...")

    def report(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Encoding gallery photo {done} of {total} ...")

    try:
        return encode_folder(folder, encoder(network), recipe, on_progress=report)
    finally:
        bar.empty()


def _query_float(name: str, default: float) -> float:
    try:
        value = float(st.query_params.get(name, default))
    except ValueError:
        return default
    return min(max(value, THRESHOLD_RANGE[0]), THRESHOLD_RANGE[1])


def init_session() -> None:
    """Set the shared settings once per session, from the URL where it has them."""
    ss = st.session_state
    if "network" not in ss:
        network = st.query_params.get("model", DEFAULT_NETWORK)
        ss.network = network if network in NETWORKS else DEFAULT_NETWORK
    if "recipe" not in ss:
        recipe = st.query_params.get("recipe", DEFAULT_RECIPE)
        ss.recipe = recipe if recipe in RECIPES else DEFAULT_RECIPE
    if "comparison" not in ss:
        ss.comparison = DEFAULT_COMPARISON
    if "threshold" not in ss:
        ss.threshold = round(_query_float("threshold", default_threshold(ss.recipe, "pair", ss.network)), 2)
    if "presentation" not in ss:
        ss.presentation = st.query_params.get("present", "0") == "1"
    if "distance_unit" not in ss:
        unit = st.query_params.get("units", "l2")
        ss.distance_unit = unit if unit in DISTANCE_UNITS else "l2"


def recipe() -> str:
    return st.session_state.recipe


def current_network() -> str:
    """This session's model (see :mod:`facedemo.encoding.networks`)."""
    return st.session_state.get("network", DEFAULT_NETWORK)


def calibrated(comparison: str = "pair") -> float:
    """The calibrated threshold of this session's recipe and model for ``comparison``."""
    return default_threshold(recipe(), comparison, current_network())


def threshold() -> float:
    return float(st.session_state.threshold)


def default_caption() -> str:
    """The sidebar's sentence on the default pair threshold: its value, how it was set, what it gives on val."""
    value = calibrated("pair")
    record = NETWORKS[current_network()].calibrated(recipe(), "pair")
    if record is None:
        return f"Default for one photo vs one photo: {value:.2f}; the course notebook's: 0.70."
    how = ("set for FAR 10⁻³ on the train photos" if record.tail is not None else "the course notebook's")
    shown = f"{value:.2f}" if distance_unit() == "l2" else f"{value:.2f} (cosine similarity {l2_to_cosine(value):.2f})"
    return (f"Default for one photo vs one photo: **{shown}** ({how}): {record.summary()}. "
            f"The best-accuracy threshold would be {record.best_accuracy:.2f}; the course notebook's is 0.70.")


def distance_unit() -> str:
    """How this session shows distances: ``"l2"`` or ``"cosine"`` (:data:`DISTANCE_UNITS`); display only."""
    unit = st.session_state.get("distance_unit", "l2")
    return unit if unit in DISTANCE_UNITS else "l2"


def database() -> FaceDatabase:
    """This session's face database for the current model and recipe.

    It starts as the office kept on this server (People page, "Keep as this server's office"), if
    there is one for the current model and recipe, else as the gallery's train photos. The
    database of another model or recipe is put aside, not dropped: switching back brings it back.
    """
    ss = st.session_state
    wanted = (current_network(), recipe())
    current = ss.get("database")
    if current is None or (current.network, current.recipe) != wanted:
        shelf = ss.setdefault("databases_aside", {})
        if current is not None:
            shelf[(current.network, current.recipe)] = current
        aside = shelf.pop(wanted, None)  # an emptied database is still the one to bring back
        ss.database = aside if aside is not None else (kept_office() or gallery_office())
    return ss.database


def use_database(loaded: FaceDatabase) -> None:
    """Make ``loaded`` this session's database, switching the model and recipe to its own."""
    ss = st.session_state
    if (loaded.network, loaded.recipe) != (current_network(), recipe()):
        database()  # puts the current one aside
        ss.network, ss.recipe = loaded.network, loaded.recipe
        ss.threshold = round(calibrated("pair"), 2)
    ss.database = loaded


def gallery_office() -> FaceDatabase:
    """The gallery's train photos as the office's employees."""
    enrolled = gallery("train", recipe())
    office = FaceDatabase(recipe(), network=current_network())
    for vector, label, path in zip(enrolled.vectors, enrolled.labels, enrolled.paths):
        office.add(label, vector, source=path.name)
    return office


def _kept_file() -> FaceDatabase | None:
    """The office file kept on the server, read; None when there is none or it is damaged."""
    path = assets.office_path()
    if not path.is_file():
        return None
    try:
        return FaceDatabase.load(path)
    except FacedemoError:
        return None


def kept_office() -> FaceDatabase | None:
    """The office kept on the server for the current model and recipe, or None (none, damaged, other)."""
    kept = _kept_file()
    return kept if kept is not None and (kept.network, kept.recipe) == (current_network(), recipe()) else None


def kept_office_elsewhere() -> tuple[str, str] | None:
    """``(model, recipe)`` of the kept office when it was made for another model or recipe, else None.

    Its encodings only compare with photos made the same way, so it waits for the sidebar to
    match (an office kept before landmark alignment came is a ``box`` one).
    """
    kept = _kept_file()
    if kept is None or (kept.network, kept.recipe) == (current_network(), recipe()):
        return None
    return kept.network, kept.recipe


def _on_recipe_change() -> None:
    st.session_state.threshold = round(calibrated("pair"), 2)


def _on_threshold_move() -> None:
    """Keep the URL in step, then redraw only what the threshold changes (:mod:`ui.threshold_view`)."""
    st.query_params["threshold"] = f"{threshold():.2f}"
    threshold_view.redraw()


def sidebar() -> None:
    """The shared controls: model, recipe, threshold, distance units, presentation mode; mirrored into the URL."""
    init_session()
    with st.sidebar:
        st.radio(
            "Model", list(NETWORKS), key="network", on_change=_on_recipe_change,
            format_func=lambda name: NETWORKS[name].title,
            help="Which FaceNet encodes the faces. Encodings of two models are never compared with each other.",
        )
        st.radio(
            "Preprocessing recipe", list(RECIPES), key="recipe", on_change=_on_recipe_change,
            format_func=lambda name: RECIPES[name].title, help="How a photo becomes the model's input.",
        )
        st.slider(
            "Threshold on the L2 distance", *THRESHOLD_RANGE, step=0.01, key="threshold", on_change=_on_threshold_move,
            help="Two encodings are the same person when their distance is below this.",
        )
        st.caption(default_caption())
        st.radio(
            "Show distances as", list(DISTANCE_UNITS), key="distance_unit", format_func=DISTANCE_UNITS.get,
            horizontal=True,
            help="For unit encodings d² = 2 − 2·cos θ: the same comparison in other units. The door still "
                 "decides on the L2 distance, so no answer changes.",
        )
        st.toggle("Presentation mode (large type)", key="presentation")
    st.query_params["threshold"] = f"{threshold():.2f}"
    st.query_params["recipe"] = recipe()
    st.query_params["model"] = current_network()
    st.query_params["present"] = "1" if st.session_state.presentation else "0"
    st.query_params["units"] = distance_unit()
    if st.session_state.presentation:
        st.html(PRESENTATION_CSS)


def album(recipe: str | None = None, network: str | None = None) -> Album:
    """The gallery's train and val photos as one :class:`facedemo.gallery.album.Album` with photo ids.

    One shared, read-only object per recipe and model (``st.cache_resource``): joining the splits
    took 5-15 ms, on every rerun of every page.
    """
    return _album(recipe or st.session_state.get("recipe", DEFAULT_RECIPE), network or current_network())


@st.cache_resource(show_spinner=False)
def _album(recipe: str, network: str) -> Album:
    return Album.from_parts({"train": gallery("train", recipe, network), "val": gallery("val", recipe, network)})


def thumbnails(recipe: str, size: int = 64) -> dict[str, str]:
    """``{photo id: data URL}`` of every gallery face crop, for tooltips and tables (cached per recipe and model)."""
    return _thumbnails(recipe, size, current_network())


@st.cache_data(show_spinner="Making thumbnails of the gallery (first time only) ...")
def _thumbnails(recipe: str, size: int, network: str) -> dict[str, str]:
    photos = album(recipe, network)
    return {photo: data_uri(photos.crop(row), size=size) for row, photo in enumerate(photos.ids)}
