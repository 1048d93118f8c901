"""Every face of a group photo on the page: each box labelled with its name and distance, and a table.

The faces are encoded once per photo (cached by content); a threshold move only names them again
(:func:`facedemo.people.group.name_every_face`) and redraws the labels. Every decision is the core's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from facedemo.encoding.every_face import MIN_FACE_SIDE, EveryFace, encode_every_face
from facedemo.io.images import downscale
from facedemo.people.database import FaceDatabase
from facedemo.people.group import NamedFace, name_every_face
from ui import state, widgets

NAMED_COLOUR, UNKNOWN_COLOUR, SMALL_COLOUR = (22, 163, 74), (220, 38, 38), (100, 116, 139)
SHOWN_MAX_SIDE = 1280
CROPS_PER_ROW = 6


def every_face(data: bytes, recipe: str) -> EveryFace:
    """Every face of the photo ``data`` encoded with ``recipe`` by this session's model (cached by content)."""
    return _every_face(data, recipe, state.current_network())


@st.cache_data(show_spinner="Finding every face and encoding them ...", max_entries=32, ttl=3600)
def _every_face(data: bytes, recipe: str, network: str) -> EveryFace:
    model = state.encoder(network)
    return state.within(state.ENCODE_TIMEOUT, lambda: encode_every_face(model, data, recipe))


def label(named: NamedFace) -> str:
    """What a face's box says: ``name · 0.66``, ``Not in the database · 1.41`` or ``too small (26 px)``.

    The distance in the session's unit (``name · cos 0.78`` with cosine, :func:`ui.widgets.shown_distance`).
    """
    if named.too_small:
        return f"too small ({min(named.face.box[2:])} px)"
    if named.identity is None:
        return "Not in the database" + (f" · {widgets.shown_distance(named.distance)}" if np.isfinite(named.distance)
                                        else "")
    return f"{named.identity} · {widgets.shown_distance(named.distance)}"


def colour(named: NamedFace) -> tuple[int, int, int]:
    return SMALL_COLOUR if named.too_small else UNKNOWN_COLOUR if named.identity is None else NAMED_COLOUR


def draw_named_faces(rgb: np.ndarray, named: Sequence[NamedFace], *, max_side: int | None = SHOWN_MAX_SIDE) -> np.ndarray:
    """The photo with each face's box and, above it on a filled tag, its number and :func:`label`.

    ``rgb`` is ``(h, w, 3)`` uint8, the boxes in its pixels; with ``max_side`` the photo is shrunk
    first. Green: named; red: not in the database; grey: too small. Returns ``(h', w', 3)`` uint8.
    """
    small, scale = downscale(rgb, max_side) if max_side else (rgb, 1.0)
    image = Image.fromarray(np.ascontiguousarray(small))
    draw = ImageDraw.Draw(image)
    width = max(2, round(max(image.size) / 300))
    font = ImageFont.load_default(size=max(11, round(max(image.size) / 36)))
    for number, face in enumerate(named, start=1):
        if face.face.box is None:
            continue
        x, y, w, h = (v * scale for v in face.face.box)
        tint = colour(face)
        draw.rectangle([x, y, x + w, y + h], outline=tint, width=width)
        text = f"{number} {label(face)}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tag_w, tag_h = right - left + 2 * width, bottom - top + 2 * width
        tag_x = min(max(0, x), max(0, image.width - tag_w))
        tag_y = y - tag_h if y >= tag_h else y + h  # above the box, or below it at the top edge
        draw.rectangle([tag_x, tag_y, tag_x + tag_w, tag_y + tag_h], fill=tint)
        draw.text((tag_x + width - left, tag_y + width - top), text, fill=(255, 255, 255), font=font)
    return np.asarray(image)


@st.cache_resource(show_spinner=False, max_entries=64)
def _labelled_jpeg(sha256: str, labels: tuple[str, ...], _rgb: np.ndarray, _named: tuple[NamedFace, ...]) -> bytes:
    """The labelled photo as JPEG bytes, made once per photo and set of labels (a rerun resends it)."""
    buffer = io.BytesIO()
    Image.fromarray(draw_named_faces(_rgb, _named)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def name_faces(photo: EveryFace, database: FaceDatabase, *, threshold: float, comparison: str) -> list[NamedFace]:
    """Every face of ``photo`` named against ``database`` (the core's rule, :mod:`facedemo.people.group`)."""
    return name_every_face(photo.faces, database, threshold=threshold, comparison=comparison)


def summary(named: Sequence[NamedFace]) -> str:
    """``**3 faces** in the photo: 2 named, 1 not in the database.`` (too small ones counted when any)."""
    known = sum(n.identity is not None for n in named)
    small = sum(n.too_small for n in named)
    parts = [f"{known} named", f"{len(named) - known - small} not in the database"]
    if small:
        parts.append(f"{small} too small to recognise")
    return f"**{len(named)} faces** in the photo: " + ", ".join(parts) + "."


def show_labelled_photo(photo: EveryFace, named: Sequence[NamedFace], sha256: str, caption: str) -> None:
    """The photo with every face's box labelled (:func:`draw_named_faces`)."""
    labels = tuple(f"{n.face.box}:{label(n)}" for n in named)
    st.image(_labelled_jpeg(sha256, labels, photo.rgb, tuple(named)), caption=widgets.short(caption), width="stretch")


def show_faces(named: Sequence[NamedFace], *, key: str) -> None:
    """The crops the model saw, captioned with their labels, and the table of faces keyed ``key``.

    The table's ``distance`` column becomes ``cosine similarity`` (higher = more alike) when the session
    shows distances so; who is named stays the L2 rule's.
    """
    value_column, value_help = ("cosine similarity", "to the nearest person (higher = more alike)") \
        if widgets.shows_cosine() else ("distance", "to the nearest person")
    for start in range(0, len(named), CROPS_PER_ROW):
        row = named[start:start + CROPS_PER_ROW]
        for column, (number, face) in zip(st.columns(CROPS_PER_ROW), enumerate(row, start=start + 1)):
            with column:
                st.image(face.face.crop, caption=f"{number}. {label(face)}", width="stretch")
    widgets.keyed_dataframe(
        pd.DataFrame(
            {
                "face": range(1, len(named) + 1),
                "name": [n.identity or ("too small" if n.too_small else "Not in the database") for n in named],
                value_column: [None if n.distance is None or not np.isfinite(n.distance)
                         else round(float(widgets.in_unit(n.distance)), 3) for n in named],
                "nearest": [n.nearest or "—" for n in named],
                "left": [n.face.box[0] if n.face.box else None for n in named],
                "top": [n.face.box[1] if n.face.box else None for n in named],
                "size (px)": [f"{n.face.box[2]}×{n.face.box[3]}" if n.face.box else "—" for n in named],
            }
        ),
        hide_index=True,
        width="stretch",
        key=key,
        column_config={
            "face": st.column_config.NumberColumn(width="small", help="largest face first"),
            value_column: st.column_config.NumberColumn(format="%.3f", width="small", help=value_help),
            "size (px)": st.column_config.TextColumn(
                help=f"the face's box; under {MIN_FACE_SIDE} px on its short side it is too small to recognise"),
        },
    )
