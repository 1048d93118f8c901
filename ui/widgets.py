"""Widgets shared by the pages: photo inputs, faces drawn on photos, crops, distance bars, verdicts.

Only layout lives here; every decision (faces, distances, thresholds) comes from ``facedemo``.

Gallery photos are named by a *reference*, the photo id of :mod:`facedemo.gallery.album`
(``"split/person/n"``, ``n`` counting from 1 in the folder's sorted order), e.g. ``"val/madonna/1"``.
The same string is the value of the gallery selectbox and of its URL query parameter, so a
bookmark brings the photo back. What a student reads is the photo's name from
:func:`facedemo.gallery.album.photo_name`, e.g. ``"Madonna · val 1"``, the same on every page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw

from facedemo import assets
from facedemo.analysis.units import l2_to_cosine
from facedemo.detection.faces import Face
from facedemo.encoding.networks import DEFAULT_COMPARISON, get_network
from facedemo.encoding.recipes import get_recipe
from facedemo.errors import FacedemoError
from facedemo.gallery.album import folder_photo_ids, photo_name, photo_parts
from facedemo.io.folders import people_in_folder
from facedemo.io.images import downscale
from facedemo.people.database import FaceDatabase, Photo
from facedemo.people.matching import same_person
from ui import charts, state
from ui.messages import attempt

GALLERY_SPLITS = ("train", "val")
PHOTO_SOURCES = {"gallery": "🖼️ Gallery", "upload": "⬆️ Upload", "webcam": "📷 Webcam"}
USED_FACE_COLOUR = (22, 163, 74)
OTHER_FACE_COLOUR = (245, 158, 11)
OPEN_COLOUR, SHUT_COLOUR = "#16a34a", "#dc2626"
CROPS_KEY = "_enrolled_crops"
UNSURE_TEXT = "Not sure: ask for another photo"


# --- the gallery -------------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def _gallery_files(splits: Sequence[str] = GALLERY_SPLITS) -> dict[str, Path]:
    """Every gallery photo's reference (:func:`facedemo.gallery.album.folder_photo_ids`) → its file, in folder order."""
    files: dict[str, Path] = {}
    for split in splits:
        files.update(folder_photo_ids(split, people_in_folder(assets.gallery_dir() / split)))
    return files


def gallery_refs(splits: Sequence[str] = GALLERY_SPLITS) -> list[str]:
    """Every gallery photo as ``"split/person/n"`` (n from 1), in folder order."""
    return list(_gallery_files(tuple(splits)))


def gallery_path(ref: str) -> Path:
    """The file behind a gallery reference; :class:`FacedemoError` for an unknown one."""
    try:
        split, _, _ = photo_parts(ref)
        return _gallery_files((split,))[ref]
    except (ValueError, KeyError, FacedemoError):
        raise FacedemoError(f"there is no gallery photo '{ref}'; use split/person/number, e.g. val/madonna/1") from None


def enrolled_photo_name(person: str, photo: Photo, number: int) -> str:
    """What to call an enrolled photo: a gallery photo by its name (``"Madonna · train 3"``), an upload
    by its file name, otherwise ``"photo <number>"``.

    A gallery photo is recognised by its ``source``: a reference (picked on the People page) or the
    file name of one of ``person``'s train photos (the office as it starts).
    """
    files = _gallery_files()
    if photo.source in files:
        return photo_name(photo.source)
    ref = next((ref for ref, path in files.items()
                if photo_parts(ref)[:2] == ("train", person) and path.name == photo.source), None)
    return photo_name(ref) if ref else photo.source or f"photo {number}"


def gallery_person(ref: str) -> str:
    """The person's name in a gallery reference (``"val/madonna/1"`` → ``"madonna"``)."""
    return photo_parts(ref)[1]


# --- photo input -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PickedPhoto:
    """A photo chosen by the user: its bytes, a caption (a gallery photo's name or the file's name),
    and its gallery reference (or None)."""

    data: bytes
    label: str
    ref: str | None = None


def picked_photo(
    label: str,
    key: str,
    *,
    default: str | None = None,
    splits: Sequence[str] = GALLERY_SPLITS,
    sources: Sequence[str] = tuple(PHOTO_SOURCES),
) -> PickedPhoto | None:
    """A photo from the gallery, an upload or the webcam; None until there is one.

    Widget keys: ``{key}_from`` (radio: gallery / upload / webcam), ``{key}`` (gallery selectbox:
    its value is the reference, it shows the photo's name; see :func:`gallery_picker`),
    ``{key}_upload`` (file uploader) and ``{key}_camera`` (camera, only rendered when chosen, so the
    browser asks for the webcam only then). Uploads stay in this browser session; nothing is
    written to disk.
    """
    choice = st.radio(
        label, list(sources), key=f"{key}_from", horizontal=True, format_func=PHOTO_SOURCES.get,
        persist_state="session",
    )
    if choice == "gallery":
        ref = gallery_picker(key, default=default, splits=splits)
        if ref is None:
            return None
        data = attempt(lambda: gallery_path(ref).read_bytes())
        return PickedPhoto(data, photo_name(ref), ref) if data is not None else None
    if choice == "upload":
        upload = st.file_uploader(
            f"Drop a photo here (JPEG or PNG, up to {upload_limit_mb()} MB)", key=f"{key}_upload",
            help="The photo stays in your browser session; it is not written to disk.",
        )
        return PickedPhoto(upload.getvalue(), upload.name) if upload is not None else None
    shot = st.camera_input("Take a photo", key=f"{key}_camera")
    return PickedPhoto(shot.getvalue(), "webcam photo") if shot is not None else None


def gallery_picker(key: str, *, default: str | None = None, splits: Sequence[str] = GALLERY_SPLITS) -> str | None:
    """A selectbox of gallery photos showing each photo's name; returns the chosen reference (None: no photos).

    The URL query parameter ``key`` holds the reference (``?a=val/madonna/1``): it picks the photo
    when the page opens and follows every choice (absent while the choice is ``default``). This is
    done here rather than with ``bind="query-params"``, which would put the shown name in the URL.
    The choice is kept for the session, also across page switches.
    """
    refs = gallery_refs(tuple(splits))
    if not refs:
        st.warning("The gallery has no photos: upload one instead.")
        return None
    start = default if default in refs else refs[0]
    if st.session_state.get(key) not in refs:
        linked = st.query_params.get(key)
        st.session_state[key] = linked if linked in refs else start
    ref = st.selectbox(
        "Gallery photo", refs, key=key, format_func=photo_name, persist_state="session",
        help="The bundled photos of five people, numbered from 1: the *train* photos are the office's "
             "employees, the *val* photos are new ones.",
    )
    if ref == start:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = ref
    return ref


def upload_limit_mb() -> int:
    """The upload size cap in MB (``server.maxUploadSize`` in ``.streamlit/config.toml``)."""
    return int(st.get_option("server.maxUploadSize"))


def keyed_dataframe(data: pd.DataFrame, *, key: str, **options) -> None:
    """``st.dataframe(data, **options)`` inside a container keyed ``key``.

    Streamlit (1.67) uses a display table's own ``key`` for selections only: it reaches neither the
    page (no ``.st-key-<key>`` class) nor AppTest. The container's key reaches both, so the tests
    and the browser find the table by it (``at.container(key=key).dataframe``).
    """
    with st.container(key=key):
        st.dataframe(data, **options)


# --- faces and crops ---------------------------------------------------------------------------
def draw_faces(rgb: np.ndarray, faces: Sequence[Face], *, used: int | None = 0, max_side: int | None = None) -> np.ndarray:
    """The photo with a box around each face: the face used in green, the others in orange.

    ``rgb`` is ``(h, w, 3)`` uint8; ``faces`` in the photo's pixels (as the detector gives them);
    with ``max_side`` the photo is shrunk first so lines keep the same thickness on screen.
    Returns a new ``(h', w', 3)`` uint8 array.
    """
    small, scale = downscale(rgb, max_side) if max_side else (rgb, 1.0)
    image = Image.fromarray(np.ascontiguousarray(small))
    draw = ImageDraw.Draw(image)
    width = max(2, round(max(image.size) / 160))
    for number, face in enumerate(faces):
        x, y, w, h = (v * scale for v in face.box)
        colour = USED_FACE_COLOUR if number == used else OTHER_FACE_COLOUR
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=width)
        for px, py in face.landmarks.values():
            r = width
            draw.ellipse([px * scale - r, py * scale - r, px * scale + r, py * scale + r], fill=colour)
        if len(faces) > 1:
            draw.text((x + width, y + width), str(number + 1), fill=colour)
    return np.asarray(image)


def fit_box(rgb: np.ndarray, width: int, height: int, *, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """The photo scaled to fit a ``width``×``height`` box and centred on it (letterboxed).

    Every photo then takes the same room on the page, whatever its shape. Returns
    ``(height, width, 3)`` uint8.
    """
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    canvas = Image.new("RGB", (width, height), background)
    canvas.paste(Image.fromarray(rgb).resize(size, Image.BILINEAR), ((width - size[0]) // 2, (height - size[1]) // 2))
    return np.asarray(canvas)


def short(text: str, limit: int = 36) -> str:
    """``text`` cut in the middle with an ellipsis when longer than ``limit`` (long file names)."""
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


def show_photo(encoded: state.UploadEncoding, caption: str) -> None:
    """A photo with its detected face boxes, and the note when there were several faces."""
    boxes = tuple(face.box for face in encoded.faces)
    st.image(_shown_photo(encoded.sha256, boxes, encoded), caption=short(caption), width="stretch")
    if encoded.note:
        st.info(f"{encoded.note} (green box).", icon="👥")
    if encoded.face is None:
        st.caption("Course recipe: the whole photo goes to the model, no face detection.")


@st.cache_resource(show_spinner=False, max_entries=128, ttl=3600)  # an upload's picture goes within the hour, as its encoding
def _shown_photo(sha256: str, boxes: tuple[tuple[int, int, int, int], ...], _encoded: state.UploadEncoding) -> bytes:
    """The photo as the page shows it (face boxes drawn, fitted to 480×420), as JPEG bytes, made once.

    Keyed by the photo's content and its boxes (the photo, its faces and their landmarks all follow
    from the bytes): a rerun (a threshold move, another widget) sends the same bytes instead of
    shrinking, drawing and encoding a photo of up to 2000 px again (~20-40 ms). At most 128 of
    ~80 KB each.
    """
    picture = draw_faces(_encoded.rgb, _encoded.faces, max_side=1024) if boxes else _encoded.rgb
    buffer = io.BytesIO()
    Image.fromarray(fit_box(picture, 480, 420)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def show_crop(crop: np.ndarray, caption: str = "what the model sees (160×160)") -> None:
    """The 160×160 crop fed to the model, as wide as its column (put it in a narrow one)."""
    st.image(crop, caption=caption, width="stretch")


def show_photo_and_crop(encoded: state.UploadEncoding, caption: str) -> None:
    """The photo with its face boxes and, beside it (a third as wide), the crop the model saw.

    An aligned crop shows the five landmarks it was aligned on, where the alignment put them.
    """
    photo, crop = st.columns([2, 1])
    with photo:
        show_photo(encoded, caption)
    with crop:
        if encoded.crop_landmarks is None:
            show_crop(encoded.crop)
        else:
            show_crop(mark_points(encoded.crop, encoded.crop_landmarks),
                      "what the model sees (160×160), aligned: eyes level, the five landmarks "
                      "(dots, not shown to the model) on the template")


def mark_points(crop: np.ndarray, points: np.ndarray, *, colour: tuple[int, int, int] = USED_FACE_COLOUR) -> np.ndarray:
    """``crop`` ``(h, w, 3)`` uint8 with a small dot at each of ``points`` ``(n, 2)`` (x, y); a new array."""
    image = Image.fromarray(np.ascontiguousarray(crop))
    draw = ImageDraw.Draw(image)
    for x, y in np.asarray(points, dtype=float):
        draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour, outline=(255, 255, 255))
    return np.asarray(image)


def remember_crop(sha256: str, crop: np.ndarray) -> None:
    """Keep an enrolled upload's crop in this session, to show it later (photos are not kept)."""
    st.session_state.setdefault(CROPS_KEY, {})[sha256] = crop


@st.cache_data(show_spinner=False, max_entries=512)
def _gallery_crop(split: str, person: str, file_name: str, recipe: str) -> np.ndarray | None:
    encoded = state.gallery(split, recipe)
    target = assets.gallery_dir() / split / person / file_name
    for index, path in enumerate(encoded.paths):
        if path == target:
            return encoded.crop(index)
    return None


def enrolled_crop(name: str, photo: Photo, recipe: str) -> np.ndarray | None:
    """The crop of an enrolled photo: from this session's uploads, or from the gallery's train/."""
    crops = st.session_state.get(CROPS_KEY, {})
    if photo.sha256 and photo.sha256 in crops:
        return crops[photo.sha256]
    if photo.source and (assets.gallery_dir() / "train" / name / photo.source).is_file():
        return _gallery_crop("train", name, photo.source, recipe)
    return None


def person_crop(database: FaceDatabase, name: str) -> np.ndarray | None:
    """The first enrolled photo of ``name`` that can be shown, or None."""
    for photo in database.people.get(name, []):
        crop = enrolled_crop(name, photo, database.recipe)
        if crop is not None:
            return crop
    return None


# --- thresholds, distances, verdicts ----------------------------------------------------------
@dataclass(frozen=True)
class PersonRule:
    """How a photo is compared with a person: the comparison, and where its threshold comes from."""

    comparison: str
    calibrated: float
    use_sidebar: bool

    @property
    def threshold(self) -> float:
        """The sidebar's threshold as it is now (a threshold view reads it after a move), or the calibrated one."""
        return state.threshold() if self.use_sidebar else self.calibrated


def person_threshold(database: FaceDatabase, key: str, *, one_of_k: bool = False) -> PersonRule:
    """The comparison and threshold for photo-vs-person, with a toggle for the sidebar's value.

    By default the database's comparison (mean of a person's encodings) and the threshold
    calibrated for it (:mod:`facedemo.encoding.networks`); with ``one_of_k`` (recognition, 1:K)
    the one for the database's size, which a stranger's K tries push down
    (:meth:`~facedemo.people.database.FaceDatabase.identify_threshold`). Nothing here shows the
    sidebar's number, which may move without this part of the page being drawn again.
    """
    comparison = st.session_state.get("comparison", DEFAULT_COMPARISON)
    calibrated = database.identify_threshold(comparison) if one_of_k else database.threshold(comparison)
    use_sidebar = st.toggle(
        "Use the sidebar's threshold instead", key=key, persist_state="session",
        help="The sidebar's threshold is meant for one photo against one photo.",
    )
    recipe = get_recipe(database.recipe)
    how = {
        "mean": "the **mean** of the person's enrolled encodings",
        "nearest": "the **nearest** of the person's enrolled encodings",
    }[comparison]
    if use_sidebar:
        st.caption(f"Comparing the photo with {how}, cut at the sidebar's threshold.")
    else:
        st.caption(
            f"Comparing the photo with {how}, so the threshold is the one calibrated for that comparison: "
            f"**{calibrated:.2f}** ({recipe.title.lower()}; {get_network(database.network).how_found[database.recipe]}"
            + (f", lowered for {len(database)} people" if one_of_k and calibrated < database.threshold(comparison) else "")
            + ")" + _measured(database, comparison) + ". The sidebar's threshold is for one photo against one photo."
        )
    return PersonRule(comparison, calibrated, use_sidebar)


def _measured(database: FaceDatabase, comparison: str) -> str:
    """``; at the 1:1 default, val: FAR … · TAR …`` from the registry's record, or nothing."""
    record = get_network(database.network).calibrated(database.recipe, comparison)
    if record is None:
        return ""
    return f"; at the 1:1 default on the gallery's val photos: FAR {record.val_far:.2%} · TAR {record.val_tar:.1%}"


def stranger_odds(database: FaceDatabase, rule: PersonRule) -> str | None:
    """1:K's sentence: ``a stranger gets K tries; at this threshold about x % ...``; None without a tail to read."""
    threshold = rule.threshold
    chance = database.stranger_chance(threshold, rule.comparison)
    if chance is None or not len(database):
        return None
    k = len(database)
    tries = "one try" if k == 1 else f"{k} tries, one per person enrolled"
    return (f"A stranger at the door gets {tries}. At threshold {threshold:.2f} about **{_percent(chance)}** of "
            f"strangers would be taken for someone (from the gallery's impostor distances).")


def _percent(share: float) -> str:
    """0.0123 → ``1.2 %``; tiny shares as ``< 0.01 %``."""
    return "< 0.01 %" if share < 1e-4 else f"{share:.2%}" if share < 0.01 else f"{share:.1%}"


def shown_distance(distance: float, unit: str | None = None) -> str:
    """A distance as the session shows it (sidebar "Show distances as"): ``"0.78"`` or ``"cos 0.70"``.

    Display only: every decision is taken on the L2 distance (:func:`facedemo.people.matching.same_person`).
    """
    if (unit or state.distance_unit()) == "cosine":
        return f"cos {l2_to_cosine(min(max(distance, 0.0), 2.0)):.2f}"
    return f"{distance:.2f}"


def both_units(threshold: float) -> str:
    """A threshold in the session's unit, the other unit beside it: ``"1.18 (cosine similarity 0.30)"``."""
    cosine = l2_to_cosine(min(max(threshold, 0.0), 2.0))
    if state.distance_unit() == "cosine":
        return f"cos {cosine:.2f} (L2 distance {threshold:.2f})"
    return f"{threshold:.2f} (cosine similarity {cosine:.2f})"


def other_unit(distance: float) -> str:
    """The same distance in the unit the session does *not* show: ``"cosine similarity 0.30"`` or ``"L2 distance 1.18"``."""
    if state.distance_unit() == "cosine":
        return f"L2 distance {distance:.2f}"
    return f"cosine similarity {l2_to_cosine(min(max(distance, 0.0), 2.0)):.2f}"


def distance_words(distance: float) -> str:
    """``"the distance is 0.62"`` or ``"the cosine similarity is 0.81"``, in the session's unit."""
    if state.distance_unit() == "cosine":
        return f"the cosine similarity is {shown_distance(distance, 'cosine')[4:]}"
    return f"the distance is {distance:.2f}"


COSINE_TITLE = charts.COSINE_TITLE  # "cosine similarity (higher = more alike)": axes, legends, captions


def shows_cosine() -> bool:
    """Whether this session shows distances as cosine similarities (sidebar "Show distances as")."""
    return state.distance_unit() == "cosine"


def shown_precise(distance: float) -> str:
    """:func:`shown_distance` with three decimals: ``"0.784"`` or ``"cos 0.693"`` (metrics, tables)."""
    if shows_cosine():
        return f"cos {l2_to_cosine(min(max(distance, 0.0), 2.0)):.3f}"
    return f"{distance:.3f}"


def in_unit(distances: np.ndarray) -> np.ndarray:
    """L2 distances ``(…)`` in the session's unit: as they are, or as cosine similarities (:func:`l2_to_cosine`).

    Display only; NaN (a lost face) and ±inf (an open end of a ROC) stay as they are in either unit.
    """
    values = np.asarray(distances, dtype=np.float64)
    if not shows_cosine():
        return values
    finite = np.isfinite(values)
    out = values.copy()
    out[finite] = l2_to_cosine(np.clip(values[finite], 0.0, 2.0))
    return out


def distance_bars(
    rows: Sequence[tuple[str, float]], threshold: float, *, height: int | None = None, large: bool | None = None
) -> dict:
    """Horizontal bars of L2 distances against a threshold line (green: below, red: not below).

    ``rows`` are ``(label, distance)``; the scale runs from 0 to at least 2 (the largest possible
    distance between unit vectors). The numbers on the bars and the threshold's label are in the
    session's unit (:func:`shown_distance`); the bars' lengths stay L2. ``large`` (default:
    presentation mode) enlarges the type. A Vega-Lite dict for ``st.vega_lite_chart``: redrawn at
    every threshold move, where building and validating the same chart with Altair took ~0.1 s.
    """
    k = 1.4 if (st.session_state.get("presentation") if large is None else large) else 1.0
    frame = pd.DataFrame(
        [{"who": label, "distance": distance, "shown": shown_distance(distance),
          "verdict": "same" if same_person(distance, threshold) else "different"}
         for label, distance in rows]
    )
    top = max(2.0, float(frame["distance"].max()) * 1.05 if len(frame) else 2.0, threshold * 1.05)
    x_scale = {"domain": [0, top], "nice": False}
    y = {"field": "who", "type": "nominal", "sort": list(frame["who"]), "title": None,
         "axis": {"labelFontSize": 16 * k, "labelLimit": 260 * k}}
    x = {"field": "distance", "type": "quantitative", "scale": x_scale}
    datasets: dict = {}
    bars_data = charts._data(frame, datasets)
    rule_data = charts._data(pd.DataFrame({"threshold": [threshold], "text": [f"threshold {shown_distance(threshold)}"]}),
                             datasets)
    threshold_x = {"field": "threshold", "type": "quantitative", "scale": x_scale}
    title = "L2 distance between encodings (smaller = more alike)"
    if state.distance_unit() == "cosine":
        title += "; numbers: cosine similarity (larger = more alike)"
    layers = [
        {"data": bars_data, "mark": {"type": "bar", "height": 26 * k, "cornerRadiusEnd": 4},
         "encoding": {
             "x": {**x, "title": title, "axis": {"labelFontSize": 14 * k, "titleFontSize": 14 * k}},
             "y": y,
             "color": {"field": "verdict", "type": "nominal", "legend": None,
                       "scale": {"domain": ["same", "different"], "range": [OPEN_COLOUR, SHUT_COLOUR]}},
             "tooltip": [{"field": "who", "type": "nominal"}, {**x, "format": ".3f"},
                         {"field": "shown", "type": "nominal", "title": "shown"}],
         }},
        {"data": bars_data, "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 16 * k, "fontWeight": "bold"},
         "encoding": {"x": x, "y": y, "text": {"field": "shown", "type": "nominal"}}},
        {"data": rule_data, "mark": {"type": "rule", "color": "#111827", "strokeDash": [6, 4], "strokeWidth": 3},
         "encoding": {"x": threshold_x}},
        {"data": rule_data, "mark": {"type": "text", "align": "left", "dx": 6, "dy": -6, "fontSize": 14 * k,
                                     "baseline": "bottom"},
         "encoding": {"x": threshold_x, "y": {"value": 0}, "text": {"field": "text", "type": "nominal"}}},
    ]
    return {"$schema": alt.SCHEMA_URL, "config": {"view": {"strokeWidth": 0}}, "layer": layers,
            "height": height or {"step": round(44 * k)}, "datasets": datasets}


_WHY_NO = (
    "Same person and still a *no*? Look at the green box and the crop: a turned head, sunglasses, "
    "strong shadows, a much older photo or the wrong face in a group photo all push the distance up."
)


def explain_distance(distance: float, threshold: float, *, what: str = "the two photos") -> str:
    """"Why did it say yes/no?" in words: the distance against the threshold (in both units) and what would change it.

    In the session's unit (:func:`shown_distance`); the decision is the L2 rule whatever the unit.
    """
    if state.distance_unit() == "cosine":
        similarity, cut = l2_to_cosine(min(distance, 2.0)), l2_to_cosine(min(threshold, 2.0))
        if same_person(distance, threshold):
            return (
                f"The cosine similarity between {what} is **cos {similarity:.2f}**, above the threshold "
                f"**{both_units(threshold)}** (by {similarity - cut:.2f}), so the encodings count as the same person. "
                f"A threshold of cos {similarity:.2f} or higher would have turned this pair away. "
                "(The door decides on the L2 distance; for unit encodings d² = 2 − 2·cos θ, so it is the same cut.)"
            )
        return (
            f"The cosine similarity between {what} is **cos {similarity:.2f}**; the door opens only when it is "
            f"*above* the threshold **{both_units(threshold)}**, and it is {cut - similarity:.2f} below it. "
            f"A threshold below cos {similarity:.2f} would let this pair in, but a looser threshold lets more "
            f"strangers in too. {_WHY_NO}"
        )
    if same_person(distance, threshold):
        return (
            f"The distance between {what} is **{distance:.2f}**, below the threshold **{threshold:.2f}** "
            f"(cosine similarity {l2_to_cosine(min(threshold, 2.0)):.2f}; by {threshold - distance:.2f}), so the "
            f"encodings count as the same person. A threshold of {distance:.2f} or lower would have turned this pair away."
        )
    return (
        f"The distance between {what} is **{distance:.2f}**; the door opens only when it is *below* the "
        f"threshold **{threshold:.2f}** (cosine similarity {l2_to_cosine(min(threshold, 2.0)):.2f}), and it is "
        f"{distance - threshold:.2f} above it. A threshold above {distance:.2f} would let this pair in, but a "
        f"looser threshold lets more strangers in too. {_WHY_NO}"
    )


_DOOR_OPEN = """<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{h}" viewBox="0 0 120 180">
<rect x="10" y="10" width="100" height="165" fill="#fef3c7" stroke="#374151" stroke-width="5"/>
<polygon points="10,10 48,24 48,162 10,175" fill="#92400e" stroke="#374151" stroke-width="3"/>
<circle cx="40" cy="95" r="3.5" fill="#fbbf24"/>
<circle cx="78" cy="62" r="13" fill="#16a34a"/><rect x="66" y="78" width="24" height="62" rx="10" fill="#16a34a"/>
</svg>"""
_DOOR_SHUT = """<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{h}" viewBox="0 0 120 180">
<rect x="10" y="10" width="100" height="165" fill="#92400e" stroke="#374151" stroke-width="5"/>
<rect x="24" y="26" width="72" height="56" fill="none" stroke="#78350f" stroke-width="3"/>
<rect x="24" y="96" width="72" height="64" fill="none" stroke="#78350f" stroke-width="3"/>
<circle cx="92" cy="95" r="5" fill="#fbbf24"/></svg>"""


def verdict(door_open: bool, text: str, *, unsure: bool = False) -> None:
    """The verdict in large type beside a door, open or shut.

    The door sits in a container keyed ``door_open`` or ``door_shut``. With ``unsure`` (the distance
    is in the "unsure" band) the words are :data:`UNSURE_TEXT`, with ``text`` (the threshold's own
    answer, which the door still shows) in a caption below.
    """
    height = 170 if st.session_state.get("presentation") else 130
    door, words = st.columns([1, 4], vertical_alignment="center")
    with door, st.container(key="door_open" if door_open else "door_shut"):
        svg = (_DOOR_OPEN if door_open else _DOOR_SHUT).format(s=round(height * 2 / 3), h=height)
        st.image(svg, width=round(height * 2 / 3), caption="door open" if door_open else "door shut")
    with words:
        if unsure:
            st.warning(f"### {UNSURE_TEXT}", icon="🤔")
            st.caption(f"Too close to the threshold to be sure. The threshold alone says: *{text}*")
        elif door_open:
            st.success(f"### {text}", icon="🔓")
        else:
            st.error(f"### {text}", icon="🔒")


def encode_photo(picked: PickedPhoto | None, *, what: str = "") -> state.UploadEncoding | None:
    """The photo's encoding with the session's recipe (cached by content), or None with a message."""
    if picked is None:
        return None
    recipe = state.recipe()
    return attempt(lambda: state.encode_bytes(picked.data, recipe), what=what)
