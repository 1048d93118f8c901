"""Altair chart builders: a prepared DataFrame in, a chart out (no maths, no Streamlit).

The frames come from :mod:`facedemo.tables`. Type is large enough for a projector; every
threshold is drawn with the same colours on every page: the current one black, the course
notebook's 0.7 grey, the calibrated default purple.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from facedemo.tables import EASY_CIRCLE, HARD_CIRCLE

MATCH, NO_MATCH, WRONG = "#2e8b57", "#dcdcdc", "#d62728"
KIND_COLOURS = {"genuine": "#1f77b4", "impostor": "#ff7f0e"}
CATEGORY_COLOURS = {"easy": "#2ca02c", "semi-hard": "#ffbf00", "hard": "#d62728"}
CATEGORY10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
UPLOAD_PERSON = "(upload)"
RULE_COLOURS = {"current": "#000000", "notebook 0.7": "#7f7f7f", "calibrated": "#9467bd"}


def _rule_colour(name: str) -> str:
    for key, colour in RULE_COLOURS.items():
        if name.startswith(key):
            return colour
    return "#17becf"


def _styled(chart: alt.TopLevelMixin, *, legend: str = "bottom") -> alt.TopLevelMixin:
    """Projector-sized type. Heights given to the builders include axes and legends: Streamlit
    fits the whole chart into them."""
    return (
        chart.configure_axis(labelFontSize=14, titleFontSize=16, labelLimit=380)
        .configure_legend(labelFontSize=14, titleFontSize=15, symbolSize=160, labelLimit=320, orient=legend)
        .configure_title(fontSize=18)
        .configure_view(strokeWidth=0)
    )


# --------------------------------------------------------------------------- distance matrix


def distance_heatmap(
    frame: pd.DataFrame, *, order: Sequence[str], selection: alt.Parameter, images: pd.DataFrame | None = None,
) -> alt.TopLevelMixin:
    """Cells coloured match / no match, the distance written in, red frame where the names disagree.

    ``frame`` is :func:`facedemo.tables.matrix_frame`; ``order`` the axis order; ``selection`` a
    point selection over ``row_key, col_key`` (clicking a cell selects that pair); cells whose
    ``chosen`` column is true get a black dashed outline; ``images``
    (:func:`facedemo.tables.pair_image_frame`) adds both faces to the hover, looked up by ``pair``
    so each pair's picture is sent once for both halves of the matrix.
    """
    n = len(order)
    side = max(160, min(760, 64 * n))  # the plot itself; show with st.altair_chart(width="content")
    base = alt.Chart(frame)
    if images is not None:
        base = base.transform_lookup(lookup="pair", from_=alt.LookupData(images, "pair", ["image"]))
    base = base.encode(
        x=alt.X("col:N", sort=list(order), title=None, axis=alt.Axis(labelAngle=-45, orient="top", labelOverlap=False)),
        y=alt.Y("row:N", sort=list(order), title=None, axis=alt.Axis(labelOverlap=False)),
    )
    tooltip = [alt.Tooltip("verdict:N", title="verdict"), alt.Tooltip("distance:Q", format=".3f"),
               alt.Tooltip("row:N", title="photo 1"), alt.Tooltip("col:N", title="photo 2")]
    if images is not None:
        tooltip.insert(0, alt.Tooltip("image:N", title="image"))
    cells = base.mark_rect(strokeJoin="round").encode(
        color=alt.Color("decision:N", scale=alt.Scale(domain=["match", "no match"], range=[MATCH, NO_MATCH]),
                        legend=alt.Legend(title="At the threshold")),
        stroke=alt.when(alt.datum.wrong).then(alt.value(WRONG)).otherwise(alt.value("white")),
        strokeWidth=alt.when(alt.datum.wrong).then(alt.value(5)).otherwise(alt.value(1.5)),

        tooltip=tooltip,
    ).add_params(selection)
    text = base.mark_text(fontSize=15 if n <= 12 else 11, fontWeight="bold").encode(
        text="text:N",
        color=alt.when(alt.datum.decision == "match").then(alt.value("white")).otherwise(alt.value("black")),
        tooltip=tooltip,
    )
    layers = [cells, text]
    if "chosen" in frame.columns:  # the pair shown below the matrix, outlined in black
        layers.append(base.mark_rect(fill=None, stroke="#000000", strokeWidth=3, strokeDash=[5, 3])
                      .transform_filter(alt.datum.chosen))
    # "pad": width and height are the plot's own (square cells); labels and legend are added around it
    chart = alt.layer(*layers).properties(
        width=side, height=side, autosize=alt.AutoSizeParams(type="pad", contains="padding"))
    return _styled(chart)


# --------------------------------------------------------------------------- thresholds


def distance_histograms(hist: pd.DataFrame, rules: pd.DataFrame, *, title: str = "") -> alt.TopLevelMixin:
    """Overlaid genuine / impostor histograms (share of each kind) with vertical threshold rules.

    ``hist`` is :func:`facedemo.tables.histogram_frame`; ``rules`` has ``name, threshold``.
    """
    kinds = list(dict.fromkeys(hist["kind"]))
    bars = alt.Chart(hist).mark_bar(opacity=0.6, binSpacing=0).encode(
        x=alt.X("start:Q", title="L2 distance between the two photos"),
        x2="end:Q",
        y=alt.Y("share:Q", stack=None, title="share of the pairs", axis=alt.Axis(format="%")),
        y2=alt.datum(0),
        color=alt.Color("kind:N", title="pairs", scale=alt.Scale(domain=kinds, range=[KIND_COLOURS.get(k, "#8c564b") for k in kinds])),
        tooltip=[alt.Tooltip("kind:N"), alt.Tooltip("start:Q", format=".2f", title="from"),
                 alt.Tooltip("end:Q", format=".2f", title="to"), alt.Tooltip("count:Q", title="pairs")],
    )
    names = list(rules["name"])
    lines = alt.Chart(rules).mark_rule(strokeWidth=3).encode(
        x="threshold:Q",
        color=alt.Color("name:N", title="thresholds", scale=alt.Scale(domain=names, range=[_rule_colour(n) for n in names])),
        strokeDash=alt.when(alt.datum.name == names[0]).then(alt.value([1, 0])).otherwise(alt.value([6, 4])),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("threshold:Q", format=".2f")],
    )
    chart = alt.layer(bars, lines).resolve_scale(color="independent").properties(height=400, title=title)
    return _styled(chart, legend="right")


def roc_chart(curve: pd.DataFrame, points: pd.DataFrame) -> alt.TopLevelMixin:
    """ROC curve (FAR → TAR) with the named operating points of :func:`facedemo.tables.operating_points`.

    FAR is on a symmetric-log axis: a good model's whole story happens at FAR well below 1 %, which a
    linear axis squeezes into its left edge (0 still fits, unlike on a plain log axis).
    """
    far_scale = alt.Scale(type="symlog", constant=0.0001, domain=[0, 1])
    line = alt.Chart(curve).mark_line(strokeWidth=3, color="#1f77b4", interpolate="linear").encode(
        x=alt.X("far:Q", title="FAR (impostor pairs accepted, log scale)", scale=far_scale,
                axis=alt.Axis(format=".1~%", values=[0, 0.001, 0.01, 0.1, 1], labelOverlap=False)),
        y=alt.Y("tar:Q", title="TAR (genuine pairs accepted)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("threshold:Q", format=".3f"), alt.Tooltip("far:Q", format=".2%"), alt.Tooltip("tar:Q", format=".2%")],
    )
    names = list(points["name"])
    colour = alt.Color("name:N", title="operating points", scale=alt.Scale(domain=names, range=[_rule_colour(n) for n in names]))
    dots = alt.Chart(points).mark_point(size=260, filled=True, opacity=0.9).encode(
        x=alt.X("far:Q", scale=far_scale), y="tar:Q", color=colour,
        shape=alt.Shape("name:N", title="operating points",
                        scale=alt.Scale(domain=names, range=["circle", "triangle-up", "diamond"])),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("threshold:Q", format=".2f"),
                 alt.Tooltip("far:Q", format=".2%"), alt.Tooltip("tar:Q", format=".2%")],
    )
    return _styled(alt.layer(line, dots).properties(height=400), legend="right")


def person_distance_strips(frame: pd.DataFrame, rules: pd.DataFrame) -> alt.TopLevelMixin:
    """One tick per query-to-person distance, a row per comparison, with threshold rules."""
    ticks = alt.Chart(frame).mark_tick(thickness=2, size=28, opacity=0.7).encode(
        x=alt.X("distance:Q", title="distance from a val photo to an enrolled person", scale=alt.Scale(zero=False)),
        y=alt.Y("comparison:N", title=None),
        color=alt.Color("kind:N", title="person", scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values()))),
        tooltip=[alt.Tooltip("comparison:N"), alt.Tooltip("kind:N"), alt.Tooltip("distance:Q", format=".3f")],
    )
    names = list(rules["name"])
    lines = alt.Chart(rules).mark_rule(strokeWidth=3, strokeDash=[6, 4]).encode(
        x="threshold:Q",
        color=alt.Color("name:N", title="thresholds", scale=alt.Scale(domain=names, range=[_rule_colour(n) for n in names])),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("threshold:Q", format=".2f")],
    )
    return _styled(alt.layer(ticks, lines).resolve_scale(color="independent").properties(height=240), legend="right")


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
    """Number of triplets per category (``tables.counts_frame``)."""
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
    """A, P, N on a plane with the two circles around A (``tables.toy_triplet_frames``)."""
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
    """Scatter of ``tables.map_frame`` coloured by person, shaped by source, thumbnails on hover."""
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
