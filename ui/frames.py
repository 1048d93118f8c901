"""Data shaping for the app's charts and tables: arrays in, pandas DataFrames (or plain values) out.

Nothing here decides anything new -- the maths is in :mod:`facedemo.analysis.metrics`,
:mod:`facedemo.analysis.triplet` and :mod:`facedemo.analysis.projection`, the one "same person?"
rule in :mod:`facedemo.people.matching`, gallery photo ids and names in :mod:`facedemo.gallery.album`;
this module only lays the results out as long tables that a chart (:mod:`ui.charts`) can draw, and
makes small thumbnails. No Streamlit.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from PIL import Image

from facedemo.analysis import metrics
from facedemo.people.matching import same_person

__all__ = [
    "data_uri",
    "side_by_side",
    "matrix_frame",
    "pair_image_frame",
    "matrix_table",
    "histogram_frame",
    "roc_frame",
    "thin_rows",
    "operating_points",
    "person_distance_frame",
    "terms_frame",
    "toy_triplet_frames",
    "counts_frame",
    "map_frame",
    "neighbour_lines",
    "example_pairs",
]


# --------------------------------------------------------------------------- thumbnails


def _thumbnail(rgb: np.ndarray, size: int) -> Image.Image:
    image = Image.fromarray(np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)))
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return image


def data_uri(rgb: np.ndarray, *, size: int = 64, fmt: str = "JPEG") -> str:
    """A small copy of an RGB image as a ``data:`` URL (for chart tooltips and table cells).

    Parameters
    ----------
    rgb : ndarray of shape (H, W, 3), uint8
    size : int, default 64
        Longest side in pixels, aspect ratio kept.
    fmt : {"JPEG", "PNG"}
        JPEG is about a quarter of PNG's size for photos: a chart with a hundred
        thumbnails stays small enough to resend on every rerun.
    """
    if fmt not in ("JPEG", "PNG"):
        raise ValueError(f"fmt must be 'JPEG' or 'PNG', got {fmt!r}")
    buffer = io.BytesIO()
    options = {"quality": 85} if fmt == "JPEG" else {}
    _thumbnail(rgb, size).save(buffer, format=fmt, **options)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def side_by_side(left: np.ndarray, right: np.ndarray, *, size: int = 64, gap: int = 4) -> np.ndarray:
    """Two images scaled to ``size`` pixels high, next to each other on white: ``(size, w, 3)`` uint8."""
    parts = []
    for rgb in (left, right):
        image = Image.fromarray(np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)))
        width = max(1, round(image.width * size / image.height))
        parts.append(np.asarray(image.resize((width, size), Image.Resampling.LANCZOS)))
    spacer = np.full((size, gap, 3), 255, dtype=np.uint8)
    return np.concatenate([parts[0], spacer, parts[1]], axis=1)


# --------------------------------------------------------------------------- distance matrix


def matrix_frame(
    distances: ArrayLike,
    names: Sequence[str],
    labels: Sequence[str | None],
    threshold: float,
    *,
    keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per cell of a distance matrix, with the threshold's decision and the truth.

    Parameters
    ----------
    distances : array_like of shape (n, n)
    names : n display names (axis labels; must be distinct)
    labels : n person labels, or None where the person is unknown (an upload)
    threshold : float
        A cell is a "match" when ``distance < threshold`` (the project's one rule).
    keys : n stable keys (photo ids), default the names

    Returns
    -------
    DataFrame with n*n rows and columns ``row, col, row_key, col_key, i, j, pair, distance, text,
    decision`` ("match" / "no match"), ``truth`` ("same person", "different people",
    "same photo", "unknown"), ``wrong`` (bool: the decision contradicts the names) and
    ``verdict`` (a sentence). ``pair`` is ``"i-j"`` with ``i <= j``, the same for both halves of
    the symmetric matrix (the key of :func:`pair_image_frame`).
    """
    d = np.asarray(distances, dtype=np.float64)
    n = len(names)
    if d.shape != (n, n):
        raise ValueError(f"distances must have shape ({n}, {n}) for {n} names, got {d.shape}")
    if len(labels) != n:
        raise ValueError(f"labels has {len(labels)} entries but there are {n} names")
    keys = list(names) if keys is None else list(keys)
    i, j = np.indices((n, n)).reshape(2, -1)
    dist = d[i, j]
    match = same_person(dist, threshold)
    truth, wrong, verdict = [], [], []
    for a, b, ok in zip(i, j, match):
        if a == b:
            truth.append("same photo")
        elif labels[a] is None or labels[b] is None:
            truth.append("unknown")
        else:
            truth.append("same person" if labels[a] == labels[b] else "different people")
        kind = truth[-1]
        is_wrong = (kind == "same person" and not ok) or (kind == "different people" and ok)
        wrong.append(bool(is_wrong))
        if kind == "same person":
            verdict.append("correct: same person, match" if ok else "WRONG: same person, but no match (false reject)")
        elif kind == "different people":
            verdict.append("WRONG: different people, but a match (false accept)" if ok
                           else "correct: different people, no match")
        else:
            verdict.append(kind)
    frame = pd.DataFrame({
        "row": [names[a] for a in i], "col": [names[b] for b in j],
        "row_key": [keys[a] for a in i], "col_key": [keys[b] for b in j],
        "i": i, "j": j, "pair": [f"{min(a, b)}-{max(a, b)}" for a, b in zip(i, j)], "distance": dist, "text": [f"{x:.2f}" for x in dist],
        "decision": np.where(match, "match", "no match"), "truth": truth, "wrong": wrong, "verdict": verdict,
    })
    return frame


def pair_image_frame(images: Mapping[str, str]) -> pd.DataFrame:
    """``{"i-j": data URL}`` → columns ``pair, image`` (``image`` is the key Vega's tooltip draws)."""
    return pd.DataFrame({"pair": list(images), "image": list(images.values())})


def matrix_table(distances: ArrayLike, names: Sequence[str]) -> pd.DataFrame:
    """The (n, n) matrix as a table with the names on both axes."""
    d = np.asarray(distances, dtype=np.float64)
    return pd.DataFrame(d, index=list(names), columns=list(names))


# --------------------------------------------------------------------------- thresholds


def histogram_frame(
    groups: Mapping[str, ArrayLike], *, bins: int = 40, value_range: tuple[float, float] | None = None
) -> pd.DataFrame:
    """Histograms of several sets of distances on shared bins.

    Returns
    -------
    DataFrame with columns ``kind, start, end, count, share`` (share: fraction of that
    kind's values in the bin, so a small set and a large set can be compared).
    """
    arrays = {kind: np.asarray(values, dtype=np.float64).ravel() for kind, values in groups.items()}
    pooled = np.concatenate(list(arrays.values())) if arrays else np.empty(0)
    if value_range is None:
        value_range = (float(pooled.min()), float(pooled.max())) if pooled.size else (0.0, 1.0)
    if value_range[1] <= value_range[0]:
        value_range = (value_range[0], value_range[0] + 1.0)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    rows = []
    for kind, values in arrays.items():
        counts, _ = np.histogram(values, bins=edges)
        share = counts / values.size if values.size else np.zeros_like(counts, dtype=np.float64)
        rows.append(pd.DataFrame({"kind": kind, "start": edges[:-1], "end": edges[1:], "count": counts, "share": share}))
    if not rows:
        return pd.DataFrame(columns=["kind", "start", "end", "count", "share"])
    return pd.concat(rows, ignore_index=True)


def thin_rows(frame: pd.DataFrame, most: int) -> pd.DataFrame:
    """At most ``most`` evenly spaced rows of ``frame``, the first and the last always among them.

    For drawing long curves: a few hundred points draw as well as thousands, and cost less to send.
    """
    if len(frame) <= most:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, most).round().astype(int))]


def roc_frame(far: ArrayLike, tar: ArrayLike, thresholds: ArrayLike) -> pd.DataFrame:
    """The ROC curve's corners only (points inside a vertical or horizontal run are dropped; the curve,
    and so its area, is unchanged).

    Returns
    -------
    DataFrame with columns ``far, tar, threshold`` in threshold order.
    """
    far, tar, thr = (np.asarray(a, dtype=np.float64) for a in (far, tar, thresholds))
    if far.size <= 2:
        return pd.DataFrame({"far": far, "tar": tar, "threshold": thr})
    dfar, dtar = np.diff(far), np.diff(tar)
    vertical, horizontal = dfar == 0, dtar == 0  # a tie gives a diagonal step: always kept
    keep = np.ones(far.size, dtype=bool)
    # an inner point is dropped when it lies inside a vertical or a horizontal run (or repeats a point)
    keep[1:-1] = ~((vertical[1:] & vertical[:-1]) | (horizontal[1:] & horizontal[:-1]))
    return pd.DataFrame({"far": far[keep], "tar": tar[keep], "threshold": thr[keep]})


def operating_points(genuine: ArrayLike, impostor: ArrayLike, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """TAR and FAR at named thresholds (``metrics.rates_at``): columns ``name, threshold, far, tar, text``."""
    rows = []
    for name, value in thresholds.items():
        rates = metrics.rates_at(value, genuine, impostor)
        rows.append({"name": name, "threshold": float(value), "far": rates.far, "tar": rates.tar,
                     "text": f"{name}: {value:.2f}"})
    return pd.DataFrame(rows, columns=["name", "threshold", "far", "tar", "text"])


def person_distance_frame(results: Mapping[str, object]) -> pd.DataFrame:
    """``{"mean": PersonDistances, "nearest": ...}`` → long table ``comparison, kind, distance``."""
    rows = []
    for comparison, split in results.items():
        for kind, values in (("genuine", split.genuine), ("impostor", split.impostor)):
            rows += [{"comparison": comparison, "kind": kind, "distance": float(v)} for v in np.ravel(values)]
    return pd.DataFrame(rows, columns=["comparison", "kind", "distance"])


# --------------------------------------------------------------------------- triplets


def terms_frame(terms) -> pd.DataFrame:
    """A :class:`facedemo.analysis.triplet.TripletTerms` as one row per triplet (squared distances)."""
    return pd.DataFrame({
        "triplet": np.arange(1, terms.pos_dist.size + 1),
        "pos_dist": terms.pos_dist, "neg_dist": terms.neg_dist,
        "basic_loss": terms.basic_loss, "clipped": terms.clipped, "category": terms.category,
    })


HARD_CIRCLE = "‖A−P‖: hard inside"
EASY_CIRCLE = "√(‖A−P‖² + α): easy outside"


def toy_triplet_frames(
    anchor: Sequence[float], positive: Sequence[float], negative: Sequence[float], *, alpha: float, points: int = 120
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 2-D triplet and its margin as drawable shapes.

    The negative is "hard" inside the circle of radius ``||A - P||`` around the anchor,
    "semi-hard" up to radius ``sqrt(||A - P||^2 + alpha)`` (the margin band) and "easy" outside.

    Returns
    -------
    points : DataFrame ``role, x, y`` (A, P, N)
    circles : DataFrame ``circle, order, x, y`` (closed polylines; the outer one is missing when
        ``||A - P||^2 + alpha <= 0``)
    """
    a, p, n = (np.asarray(v, dtype=np.float64) for v in (anchor, positive, negative))
    dots = pd.DataFrame({"role": ["A (anchor)", "P (positive)", "N (negative)"],
                         "x": [a[0], p[0], n[0]], "y": [a[1], p[1], n[1]]})
    pos = float(np.sum((a - p) ** 2))
    radii = {HARD_CIRCLE: np.sqrt(pos)}
    if pos + alpha > 0:
        radii[EASY_CIRCLE] = np.sqrt(pos + alpha)
    angle = np.linspace(0.0, 2 * np.pi, points)
    circles = pd.concat([
        pd.DataFrame({"circle": name, "order": np.arange(points),
                      "x": a[0] + r * np.cos(angle), "y": a[1] + r * np.sin(angle)})
        for name, r in radii.items()
    ], ignore_index=True)
    return dots, circles


def counts_frame(counts: Mapping[str, int]) -> pd.DataFrame:
    """``{"easy": 10, ...}`` → columns ``category, count, share``."""
    total = sum(counts.values())
    return pd.DataFrame({
        "category": list(counts), "count": list(counts.values()),
        "share": [value / total if total else 0.0 for value in counts.values()],
    })


# --------------------------------------------------------------------------- embedding map


def map_frame(
    points: ArrayLike, keys: Sequence[str], names: Sequence[str], people: Sequence[str], sources: Sequence[str],
    *, images: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Map coordinates with what a tooltip needs: columns ``key, name, person, source, x, y[, image]``."""
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    frame = pd.DataFrame({"key": list(keys), "name": list(names), "person": list(people), "source": list(sources),
                          "x": xy[:, 0], "y": xy[:, 1]})
    if images is not None:
        frame["image"] = list(images)
    return frame


def neighbour_lines(points: ArrayLike, origin: int, neighbours: Sequence[int]) -> pd.DataFrame:
    """Segments from ``points[origin]`` to each neighbour: columns ``segment, x, y``."""
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    rows = []
    for rank, target in enumerate(neighbours):
        for end in (origin, target):
            rows.append({"segment": rank, "x": xy[end, 0], "y": xy[end, 1]})
    return pd.DataFrame(rows, columns=["segment", "x", "y"])


# --------------------------------------------------------------------------- examples


def example_pairs(labels: Sequence[str]) -> list[tuple[int, int]]:
    """For each person: (first photo, second photo), then (first photo, next person's first photo).

    A fixed, readable set of same-person and different-people pairs for a lesson.
    """
    first: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        first.setdefault(label, []).append(row)
    people = list(first)
    pairs = []
    for k, person in enumerate(people):
        rows = first[person]
        if len(rows) >= 2:
            pairs.append((rows[0], rows[1]))
        if len(people) > 1:
            pairs.append((rows[0], first[people[(k + 1) % len(people)]][0]))
    return pairs
