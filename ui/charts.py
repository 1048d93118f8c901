"""Chart builders: a prepared DataFrame in, a chart out (no maths, no Streamlit).

The frames come from :mod:`ui.frames`. Type is large enough for a projector; every
threshold is drawn with the same colours on every page: the current one black, the course
notebook's 0.7 grey, the calibrated default purple.

Two kinds of builder:

- Altair charts (show with ``st.altair_chart``), for pages that are not rerun at every slider move.
- Vega-Lite specs as plain dicts (show with ``st.vega_lite_chart``), for the pages rerun whenever
  the sidebar's threshold moves (distance matrix, threshold explorer): Altair builds a chart and
  validates it against the Vega-Lite schema on every rerun, 0.05–0.2 s per chart on this machine,
  where a dict of the same spec takes well under a millisecond. Their data go in the spec's
  ``datasets`` as Arrow bytes, which Streamlit sends as they are; a frame that lives across reruns
  (from ``st.cache_resource``) is hashed and serialised once, not at every slider move. A small
  frame made anew at each move (a verdict's bar, a threshold's rule) goes into the spec as plain
  values: hashing it and making Arrow bytes took ~3 ms a frame, its JSON well under 0.1 ms.
  :func:`vega_lite_dict` turns an Altair chart into such a dict once, for a page to cache.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
from streamlit import dataframe_util

from ui.frames import EASY_CIRCLE, HARD_CIRCLE

MATCH, NO_MATCH, WRONG = "#2e8b57", "#dcdcdc", "#d62728"
KIND_COLOURS = {"genuine": "#1f77b4", "impostor": "#ff7f0e"}
CATEGORY_COLOURS = {"easy": "#2ca02c", "semi-hard": "#ffbf00", "hard": "#d62728"}
CATEGORY10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
UPLOAD_PERSON = "(upload)"
RULE_COLOURS = {"current": "#000000", "notebook": "#7f7f7f", "calibrated": "#9467bd", "best accuracy": "#e377c2"}
COSINE_TITLE = "cosine similarity (higher = more alike)"
AXIS_STYLE = {"labelFontSize": 14, "titleFontSize": 16, "labelLimit": 380}
LEGEND_STYLE = {"labelFontSize": 14, "titleFontSize": 15, "symbolSize": 160, "labelLimit": 320}
TITLE_STYLE = {"fontSize": 18}
VIEW_STYLE = {"strokeWidth": 0}
Spec = dict[str, Any]


def _rule_colour(name: str) -> str:
    for key, colour in RULE_COLOURS.items():
        if name.startswith(key):
            return colour
    return "#17becf"


def _styled(chart: alt.TopLevelMixin, *, legend: str = "bottom") -> alt.TopLevelMixin:
    """Projector-sized type. Heights given to the builders include axes and legends: Streamlit
    fits the whole chart into them."""
    return (
        chart.configure_axis(**AXIS_STYLE)
        .configure_legend(**LEGEND_STYLE, orient=legend)
        .configure_title(**TITLE_STYLE)
        .configure_view(**VIEW_STYLE)
    )


# --------------------------------------------------------------------------- Vega-Lite dicts


def vega_lite_dict(chart: alt.TopLevelMixin) -> Spec:
    """``chart`` validated and converted once to a Vega-Lite dict, for ``st.vega_lite_chart``.

    For a page to cache an Altair chart that does not change with the threshold: ``st.altair_chart``
    would validate and convert it again on every rerun. Altair's default theme (a fallback size
    Streamlit leaves out too) is not applied.
    """
    spec = chart.to_dict()
    theme = alt.theme.get()
    if theme is not None:
        _remove_defaults(spec, theme())
    if "datasets" in spec:  # Altair inlines rows; serialise them once, as Streamlit would on every rerun
        spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(rows))
                            for name, rows in spec["datasets"].items()}
    return spec


def _remove_defaults(spec: Spec, defaults: Spec) -> None:
    """Delete from ``spec``, in place, the nested entries that equal those of ``defaults``."""
    for key, value in defaults.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            _remove_defaults(spec[key], value)
            if not spec[key]:
                del spec[key]
        elif key in spec and spec[key] == value:
            del spec[key]


def _spec(layers: list[Spec], datasets: dict[str, pd.DataFrame], *, legend: str, **top: Any) -> Spec:
    """A layered top-level spec with the projector-sized type of :func:`_styled`."""
    config = {"axis": dict(AXIS_STYLE), "legend": {**LEGEND_STYLE, "orient": legend},
              "title": dict(TITLE_STYLE), "view": dict(VIEW_STYLE)}
    return {"$schema": alt.SCHEMA_URL, "config": config, "layer": layers, **top, "datasets": datasets}


INLINE_ROWS = 256  # a frame made anew with at most this many rows is sent as values in the spec
_SERIALISED: dict[int, tuple[weakref.ref, str | None, Any]] = {}  # id → (frame, name, Arrow bytes | values)
_SERIALISED_LOCK = threading.Lock()


def _data(frame: pd.DataFrame, datasets: dict[str, Any], *, inline: bool = True) -> Spec:
    """Add ``frame`` to ``datasets`` (as Arrow bytes) under a name made from its content; return the reference
    (a frame of at most :data:`INLINE_ROWS` rows: its values, unless ``inline`` is false: a spec's
    top-level ``data`` given as values is turned back into Arrow by Streamlit at every rerun, and
    long strings such as pictures are smaller as Arrow).

    The name changes whenever the data do (as the names Streamlit gives Altair's data), so the
    browser draws the chart afresh instead of patching rows into the data it already holds.
    Name and bytes are remembered for as long as the frame object lives (and forgotten when it
    dies): frames kept by ``st.cache_resource`` are treated as read-only and cost nothing on
    later reruns; a frame made anew at each rerun is serialised each time, as Streamlit would.
    """
    with _SERIALISED_LOCK:
        entry = _SERIALISED.get(id(frame))
    if entry is None or entry[0]() is not frame:
        if inline and len(frame) <= INLINE_ROWS:
            values = frame.to_json(orient="records", double_precision=15, date_format="iso")
            entry = (weakref.ref(frame), None, json.loads(values))
        else:
            digest = hashlib.blake2b(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes(), digest_size=8)
            digest.update(repr([(str(column), str(dtype)) for column, dtype in frame.dtypes.items()]).encode())
            entry = (weakref.ref(frame), f"data-{digest.hexdigest()}", dataframe_util.convert_anything_to_arrow_bytes(frame))
        with _SERIALISED_LOCK:
            _SERIALISED[id(frame)] = entry
        weakref.finalize(frame, _forget, id(frame), entry[0])
    if entry[1] is None:
        return {"values": entry[2]}
    datasets[entry[1]] = entry[2]
    return {"name": entry[1]}


def _forget(key: int, ref: weakref.ref) -> None:
    """Drop a dead frame's entry (unless a newer frame at the same address took its place)."""
    with _SERIALISED_LOCK:
        if key in _SERIALISED and _SERIALISED[key][0] is ref:
            del _SERIALISED[key]


def _q(field: str, **props: Any) -> Spec:
    """A quantitative field encoding."""
    return {"field": field, "type": "quantitative", **props}


def _n(field: str, **props: Any) -> Spec:
    """A nominal field encoding."""
    return {"field": field, "type": "nominal", **props}


def _named_colours(names: Sequence[str], title: str) -> Spec:
    """Colour by ``name`` with the threshold colours (:data:`RULE_COLOURS`), legend in ``names``' order."""
    return _n("name", title=title, scale={"domain": list(names), "range": [_rule_colour(n) for n in names]})


def _rules_layer(rules: pd.DataFrame, datasets: dict[str, pd.DataFrame], *, solid_first: bool) -> Spec:
    """Vertical threshold rules (``rules``: ``name, threshold``); dashed, or the first solid."""
    names = list(rules["name"])
    layer = {
        "data": _data(rules, datasets),
        "mark": {"type": "rule", "strokeWidth": 3},
        "encoding": {
            "x": _q("threshold"),
            "color": _named_colours(names, "thresholds"),
            "tooltip": [_n("name"), _q("threshold", format=".2f")],
        },
    }
    if solid_first:
        layer["encoding"]["strokeDash"] = {"condition": [{"test": f"(datum.name === {names[0]!r})", "value": [1, 0]}],
                                           "value": [6, 4]}
    else:
        layer["mark"]["strokeDash"] = [6, 4]
    return layer


# --------------------------------------------------------------------------- distance matrix


def distance_heatmap(
    frame: pd.DataFrame, *, order: Sequence[str], selection: str = "cell", images: pd.DataFrame | None = None,
    title: str | None = None,
) -> Spec:
    """Cells coloured match / no match, the distance written in, red frame where the names disagree.

    ``frame`` is :func:`ui.frames.matrix_frame`; ``order`` the axis order; ``selection`` the
    name of the point selection over ``row_key, col_key`` (clicking a cell selects that pair); cells
    whose ``chosen`` column is true get a black dashed outline; ``images``
    (:func:`ui.frames.pair_image_frame`) adds both faces to the hover, looked up by ``pair``
    so each pair's picture is sent once for both halves of the matrix. With a ``cosine`` column
    (the cells' similarities, written in ``text``) the hover shows it beside the L2 distance;
    ``title`` goes above the matrix. A Vega-Lite dict.
    """
    n = len(order)
    side = max(160, min(760, 64 * n))  # the plot itself; show with st.vega_lite_chart(width="content")
    datasets: dict[str, pd.DataFrame] = {}
    data = _data(frame, datasets, inline=False)  # the spec's top-level data
    lookup = []
    if images is not None:
        lookup = [{"lookup": "pair", "from": {"data": _data(images, datasets, inline=False), "key": "pair",
                                             "fields": ["image"]}}]
    position = {
        "x": _n("col", sort=list(order), title=None, axis={"labelAngle": -45, "orient": "top", "labelOverlap": False}),
        "y": _n("row", sort=list(order), title=None, axis={"labelOverlap": False}),
    }
    tooltip = [_n("verdict", title="verdict"), _q("distance", format=".3f"),
               _n("row", title="photo 1"), _n("col", title="photo 2")]
    if "cosine" in frame.columns:
        tooltip.insert(1, _q("cosine", title="cosine similarity", format=".3f"))
        tooltip[2] = _q("distance", title="L2 distance", format=".3f")
    if images is not None:
        tooltip.insert(0, _n("image", title="image"))

    def when_wrong(wrong: Any, otherwise: Any) -> Spec:
        return {"condition": [{"test": "datum.wrong", "value": wrong}], "value": otherwise}

    cells = {
        "name": "view_1",  # the view the selection listens to
        "mark": {"type": "rect", "strokeJoin": "round"},
        "encoding": {
            **position,
            "color": _n("decision", scale={"domain": ["match", "no match"], "range": [MATCH, NO_MATCH]},
                        legend={"title": "At the threshold"}),
            "stroke": when_wrong(WRONG, "white"),
            "strokeWidth": when_wrong(5, 1.5),
            "tooltip": tooltip,
        },
    }
    text = {
        "mark": {"type": "text", "fontSize": 15 if n <= 12 else 11, "fontWeight": "bold"},
        "encoding": {
            **position,
            "text": _n("text"),
            "color": {"condition": [{"test": "(datum.decision === 'match')", "value": "white"}], "value": "black"},
            "tooltip": tooltip,
        },
    }
    layers = [cells, text]
    if "chosen" in frame.columns:  # the pair shown below the matrix, outlined in black
        outline = {"type": "rect", "fill": None, "stroke": "#000000", "strokeWidth": 3, "strokeDash": [5, 3]}
        layers.append({"mark": outline, "encoding": dict(position), "transform": [{"filter": "datum.chosen"}]})
    if lookup:
        for layer in layers:
            layer["transform"] = lookup + layer.get("transform", [])
    click = {"name": selection, "views": ["view_1"],
             "select": {"type": "point", "fields": ["row_key", "col_key"], "on": "click", "clear": False}}
    # "pad": width and height are the plot's own (square cells); labels and legend are added around it
    top = {} if title is None else {"title": title}
    return _spec(layers, datasets, legend="bottom", data=data, params=[click], width=side, height=side,
                 autosize={"type": "pad", "contains": "padding"}, **top)


# --------------------------------------------------------------------------- thresholds


def distance_histograms(hist: pd.DataFrame, rules: pd.DataFrame, *, title: str = "", cosine: bool = False) -> Spec:
    """Overlaid genuine / impostor histograms (share of each kind) with vertical threshold rules.

    ``hist`` is :func:`ui.frames.histogram_frame`; ``rules`` has ``name, threshold`` (the
    first drawn solid, the others dashed). With ``cosine`` the bins' ``start, end`` and the rules'
    ``threshold`` are cosine similarities (the caller converts them) and the axis says so. A Vega-Lite dict.
    """
    kinds = list(dict.fromkeys(hist["kind"]))
    datasets: dict[str, pd.DataFrame] = {}
    bars = {
        "data": _data(hist, datasets),
        "mark": {"type": "bar", "opacity": 0.6, "binSpacing": 0},
        "encoding": {
            "x": _q("start", title=f"{COSINE_TITLE} of the two photos" if cosine
                    else "L2 distance between the two photos"),
            "x2": {"field": "end"},
            "y": _q("share", stack=None, title="share of the pairs", axis={"format": "%"}),
            "y2": {"datum": 0},
            "color": _n("kind", title="pairs",
                        scale={"domain": kinds, "range": [KIND_COLOURS.get(k, "#8c564b") for k in kinds]}),
            "tooltip": [_n("kind"), _q("start", format=".2f", title="from"), _q("end", format=".2f", title="to"),
                        _q("count", title="pairs")],
        },
    }
    lines = _rules_layer(rules, datasets, solid_first=True)
    return _spec([bars, lines], datasets, legend="right", resolve={"scale": {"color": "independent"}},
                 height=400, title=title)


def roc_chart(curve: pd.DataFrame, points: pd.DataFrame, *, cosine: bool = False) -> Spec:
    """ROC curve (FAR → TAR) with the named operating points of :func:`ui.frames.operating_points`.

    FAR is on a symmetric-log axis: a good model's whole story happens at FAR well below 1 %, which a
    linear axis squeezes into its left edge (0 still fits, unlike on a plain log axis). With ``cosine``
    the hovers' thresholds are the frames' ``cosine`` columns (the cut as a cosine similarity, which
    the caller adds) beside the L2 one. A Vega-Lite dict.
    """
    cut = [_q("cosine", format=".3f", title="threshold (cosine similarity)"),
           _q("threshold", format=".3f", title="threshold (L2 distance)")] if cosine else None
    far_scale = {"type": "symlog", "constant": 0.0001, "domain": [0, 1]}
    datasets: dict[str, pd.DataFrame] = {}
    line = {
        "data": _data(curve, datasets),
        "mark": {"type": "line", "strokeWidth": 3, "color": "#1f77b4", "interpolate": "linear"},
        "encoding": {
            "x": _q("far", title="FAR (impostor pairs accepted, log scale)", scale=far_scale,
                    axis={"format": ".1~%", "values": [0, 0.001, 0.01, 0.1, 1], "labelOverlap": False}),
            "y": _q("tar", title="TAR (genuine pairs accepted)", scale={"domain": [0, 1]}, axis={"format": "%"}),
            "tooltip": [*(cut or [_q("threshold", format=".3f")]), _q("far", format=".2%"), _q("tar", format=".2%")],
        },
    }
    names = list(points["name"])
    dots = {
        "data": _data(points, datasets),
        "mark": {"type": "point", "size": 260, "filled": True, "opacity": 0.9},
        "encoding": {
            "x": _q("far", scale=far_scale),
            "y": _q("tar"),
            "color": _named_colours(names, "operating points"),
            "shape": _n("name", title="operating points",
                        scale={"domain": names, "range": ["circle", "triangle-up", "diamond"]}),
            "tooltip": [_n("name"), *(cut or [_q("threshold", format=".2f")]), _q("far", format=".2%"),
                        _q("tar", format=".2%")],
        },
    }
    return _spec([line, dots], datasets, legend="right", height=400)


def person_distance_strips(frame: pd.DataFrame, rules: pd.DataFrame, *, cosine: bool = False) -> Spec:
    """One tick per query-to-person distance, a row per comparison, with dashed threshold rules. A Vega-Lite dict.

    With ``cosine`` the ``distance`` column and the rules' ``threshold`` are cosine similarities (the
    caller converts them) and the axis says so.
    """
    datasets: dict[str, pd.DataFrame] = {}
    title = ("cosine similarity from a val photo to an enrolled person (higher = more alike)" if cosine
             else "distance from a val photo to an enrolled person")
    ticks = {
        "data": _data(frame, datasets),
        "mark": {"type": "tick", "thickness": 2, "size": 28, "opacity": 0.7},
        "encoding": {
            "x": _q("distance", title=title, scale={"zero": False}),
            "y": _n("comparison", title=None),
            "color": _n("kind", title="person",
                        scale={"domain": list(KIND_COLOURS), "range": list(KIND_COLOURS.values())}),
            "tooltip": [_n("comparison"), _n("kind"), _q("distance", format=".3f")],
        },
    }
    lines = _rules_layer(rules, datasets, solid_first=False)
    return _spec([ticks, lines], datasets, legend="right", resolve={"scale": {"color": "independent"}}, height=240)


def value_bars(frame: pd.DataFrame, *, x: str, y: str, title: str, fmt: str = ".3f", domain=None) -> alt.TopLevelMixin:
    """Horizontal bars with the value written at the end (e.g. AUC per method)."""
    scale = alt.Scale(domain=domain) if domain is not None else alt.Undefined
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{y}:N", title=None, sort=None),
        x=alt.X(f"{x}:Q", title=title, scale=scale),
    )
    bars = base.mark_bar(color="#1f77b4", height=30, clip=True)
    text = base.mark_text(align="left", dx=6, fontSize=16).encode(text=alt.Text(f"{x}:Q", format=fmt))
    return _styled((bars + text).properties(height=50 * len(frame) + 70))


# --------------------------------------------------------------------------- triplets


def category_bars(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """Number of triplets per category (``frames.counts_frame``)."""
    base = alt.Chart(frame).encode(
        y=alt.Y("category:N", sort=list(CATEGORY_COLOURS), title=None),
        x=alt.X("count:Q", title="triplets"),
    )
    bars = base.mark_bar(height=34).encode(
        color=alt.Color("category:N", legend=None, scale=alt.Scale(domain=list(CATEGORY_COLOURS), range=list(CATEGORY_COLOURS.values()))),
        tooltip=["category:N", "count:Q", alt.Tooltip("share:Q", format=".1%")],
    )
    text = base.mark_text(align="left", dx=6, fontSize=16).encode(text=alt.Text("share:Q", format=".1%"))
    return _styled((bars + text).properties(height=240))


def toy_triplet(dots: pd.DataFrame, circles: pd.DataFrame, *, extent: float) -> alt.TopLevelMixin:
    """A, P, N on a plane with the two circles around A (``frames.toy_triplet_frames``)."""
    scale = alt.Scale(domain=[-extent, extent], nice=False)
    rings = alt.Chart(circles).mark_line(strokeWidth=2).encode(
        x=alt.X("x:Q", scale=scale, title="x"), y=alt.Y("y:Q", scale=scale, title="y"), order="order:Q",
        detail="circle:N",
        strokeDash=alt.StrokeDash("circle:N", title="around A",
                                  scale=alt.Scale(domain=[HARD_CIRCLE, EASY_CIRCLE], range=[[1, 0], [7, 5]])),
        color=alt.value("#555555"),
    )
    roles = list(dots["role"])
    role_scale = alt.Scale(domain=roles, range=["#000000", "#1f77b4", "#d62728"])
    colour = alt.Color("role:N", title=None, scale=role_scale)
    points = alt.Chart(dots).mark_point(size=420, filled=True, opacity=1).encode(
        x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), color=colour,
        tooltip=["role:N", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".2f")],
    )
    labels = alt.Chart(dots).mark_text(dx=16, dy=-14, fontSize=20, fontWeight="bold").encode(
        x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale),
        text=alt.Text("label:N"), color=alt.Color("role:N", scale=role_scale, legend=None),
    ).transform_calculate(label="slice(datum.role, 0, 1)")
    chart = alt.layer(rings, points, labels).properties(
        width=460, height=460, autosize=alt.AutoSizeParams(type="pad", contains="padding"))  # square: circles stay round
    return _styled(chart)


# --------------------------------------------------------------------------- embedding map


def embedding_map(
    frame: pd.DataFrame, *, selection: alt.Parameter, lines: pd.DataFrame | None = None, chosen: str | None = None,
) -> alt.TopLevelMixin:
    """Scatter of ``frames.map_frame`` coloured by person, shaped by source, thumbnails on hover."""
    tooltip = [alt.Tooltip("name:N", title="photo"), alt.Tooltip("person:N")]
    if "image" in frame.columns:
        tooltip.insert(0, alt.Tooltip("image:N", title="image"))
    # fixed colours per person (uploads in black), so adding an upload does not repaint everyone
    people = sorted(set(frame["person"]) - {UPLOAD_PERSON}) + ([UPLOAD_PERSON] if (frame["person"] == UPLOAD_PERSON).any() else [])
    colours = [CATEGORY10[k % len(CATEGORY10)] for k in range(len(people))]
    if people and people[-1] == UPLOAD_PERSON:
        colours[-1] = "#000000"
    x = alt.X("x:Q", title="first principal component", axis=alt.Axis(labels=False, ticks=False))
    y = alt.Y("y:Q", title="second principal component", axis=alt.Axis(labels=False, ticks=False))
    layers = []
    if lines is not None and len(lines):
        layers.append(alt.Chart(lines).mark_line(color="#444444", strokeWidth=2, opacity=0.7).encode(x=x, y=y, detail="segment:N"))
    points = alt.Chart(frame).mark_point(size=170, filled=True).encode(
        x=x, y=y,
        color=alt.Color("person:N", title="person", scale=alt.Scale(domain=people, range=colours)),
        shape=alt.Shape("source:N", title="photo from",
                        scale=alt.Scale(domain=["train", "val", "upload"], range=["circle", "square", "diamond"])),
        opacity=alt.value(0.9),
        tooltip=tooltip,
    ).add_params(selection)
    layers.append(points)
    if chosen is not None:
        ring = alt.Chart(frame[frame["key"] == chosen]).mark_point(size=700, strokeWidth=3, color="#000000").encode(x=x, y=y)
        layers.append(ring)
    return _styled(alt.layer(*layers).properties(height=560))


def class_map(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """A class's photos on a 2-D map (:func:`ui.frames.map_frame`): coloured by student, each dot named, the face on hover."""
    x = alt.X("x:Q", title="first principal component", axis=alt.Axis(labels=False, ticks=False))
    y = alt.Y("y:Q", title="second principal component", axis=alt.Axis(labels=False, ticks=False))
    tooltip = [alt.Tooltip("name:N", title="photo")]
    if "image" in frame.columns:
        tooltip.insert(0, alt.Tooltip("image:N", title="image"))
    people = sorted(set(frame["person"]))
    colour = alt.Color("person:N", title="student", legend=None,
                       scale=alt.Scale(domain=people, range=[CATEGORY10[k % len(CATEGORY10)] for k in range(len(people))]))
    points = alt.Chart(frame).mark_point(size=170, filled=True, opacity=0.9).encode(x=x, y=y, color=colour, tooltip=tooltip)
    names = alt.Chart(frame).mark_text(align="left", dx=9, fontSize=14).encode(x=x, y=y, text="person:N", color=colour)
    return _styled(alt.layer(points, names).properties(height=560))
