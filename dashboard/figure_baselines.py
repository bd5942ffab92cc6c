"""The baseline maps: the same samples in several 2-D maps side by side (FE, PCA, NMF, t-SNE,
UMAP), each at 1:1 in its panel, its 1-NN accuracy in its title; the grid of a file's shape.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dashboard.figure_samples import (
    COLORBAR_MARGIN,
    _apart_from_legend,
    _legend_entry,
    continuous_marker,
    merge_categories,
    value_order,
)
from dashboard.figure_style import (
    DENSE_SAMPLES,
    FONT,
    MISSING_COLOR,
    PALETTE,
    _base_layout,
    _escape,
    _natural_key,
    empty_figure,
    marker_size,
    point_style,
    wrap_title,
)

#: Pixels of a panel title's line of measures beyond the two lines (the map's name and one
#: measure) the maps leave room for: plotly spaces the lines of an annotation by 1.3 times its
#: font (the subplot titles' 16 pixels), ``<sup>`` or not (13 left a third line over the maps
#: of the row above).
PANEL_LINE_PX = 21
#: Pixels of a character of a panel title's measure (``<sup>``: 70% of its 16-pixel font).
PANEL_MEASURE_CHAR_PX = 0.55 * 0.7 * 16


def panel_columns(n_panels: int, width: float, height: float, legend_px: float = 170.0) -> int:
    """Columns of a grid of ``n_panels`` maps in ``width`` x ``height`` pixels (a legend of
    ``legend_px`` at the right) whose panels hold the largest square: each map is drawn at
    1:1, in the largest square its panel holds.

    Maps side by side in one row are tall and narrow in a page-sized file (170 x 580 pixels
    each in 1000 x 700); panels nearest to square put 5 maps of a slide in 4 + 1, the second
    row three-quarters empty, where 3 + 2 gives each map more room.
    """
    n_panels = max(int(n_panels), 1)
    room_w, room_h = max(width - legend_px, 1.0), max(height - 60.0, 1.0)
    best, best_side = 1, -np.inf
    for cols in range(1, n_panels + 1):
        rows = -(-n_panels // cols)
        side = min(room_w / cols, (room_h - 40.0 * (rows - 1)) / rows)
        if side > best_side + 1e-9:
            best, best_side = cols, side
    return best


def baselines_figure(
    maps: dict[str, np.ndarray],
    labels: Sequence[Any],
    accuracy: dict[str, dict[str, float]] | None = None,
    *,
    label_name: str = "tissue",
    webgl: bool = True,
    columns: int | None = None,
    title: str | None = None,
    height: int | None = None,
    color_title: str | None = None,
    values: np.ndarray | None = None,
    clip: Sequence[float] = (1.0, 99.0),
    diverging: bool = False,
    hover_title: str | None = None,
    note: str | Sequence[str] | None = None,
    smoothness: dict[str, float] | None = None,
    sample_ids: Sequence[Any] | None = None,
    width: int | None = None,
    plot_height: float | None = None,
    points: bool = True,
) -> go.Figure:
    """The same samples in several 2-D maps side by side, coloured by one category or by a
    continuous value, as the sample map is (the same colours, scale and missing values on every
    map, one legend or colour bar).

    Parameters
    ----------
    maps
        name -> (n_samples, 2) coordinates (e.g. FE, PCA, NMF, t-SNE, UMAP).
    labels
        (n_samples,) category per sample (missing: ``unlabelled``, grey; beyond 60 categories
        the smallest are merged into ``other``, as on the sample map); not read when
        ``values`` colour the maps.
    accuracy
        name -> {"mean", "sd"}: 1-NN accuracy shown in each panel title.
    label_name
        What 1-NN guesses (the panel titles), and the legend's title unless ``color_title``.
    columns
        Maps per row (default: all in one row); a file of a page's shape takes a grid
        (:func:`panel_columns`).
    title
        The figure's title (a file has one; the page names the maps in its card).
    height
        The height (pixels) the figure will be drawn at: the rows of a grid keep room for the
        panel titles between them (a fixed share of a short figure was too little).
    color_title
        The legend's or colour bar's title (default: ``label_name``).
    values
        (n_samples,) continuous values colouring every map (NaN: grey open circles, drawn
        under the others), the highest drawn on top; one colour bar, the scale clipped at the
        ``clip`` percentiles and centred at 0 when ``diverging``, as
        :func:`dashboard.figure_samples.sample_map_continuous`.
    hover_title
        What the hover text calls the value (default: ``color_title``).
    note
        A line over the maps (what colours them, when it is not what the sample map shows,
        what the smoothness is), or several.
    smoothness
        name -> smoothness of ``values`` on that map, shown in its panel title
        (:func:`core.analysis.gene_smoothness`).
    sample_ids
        (n_samples,) each sample's id, first in its hover text on every map (a point said its
        tissue and map, not which sample it is); held once per trace as its ``customdata``.
    width
        The width (pixels) the figure will be drawn at (a file's): each measure of a panel's
        title is broken into lines of the panel's width (in a journal column, three maps a row,
        each measure was wider than its panel, over its neighbours').
    plot_height
        The height (pixels) of the maps' area once drawn: the figure's less its margins, which
        a file's title and dataset lines make larger than the figure's own (default:
        ``height`` less 70). The rows are spaced by their titles' lines in pixels of it.
    points
        False: the first map's traces alone, without their points (no coordinates, hover ids
        or colours), the layout, legend entries and colour bar those of the whole figure: a
        figure to measure (a file's legend and titles) at a small cost (GTEx's 16,877 samples
        on 5 maps were drawn four times to export one file).
    """
    from plotly.subplots import make_subplots

    names = list(maps)
    if not names:
        return empty_figure("no baseline maps yet")
    accuracy = accuracy or {}
    ids, id_hover = _hover_ids(sample_ids, len(np.asarray(maps[names[0]])))

    def panel_title(n: str) -> str:
        # what is scored, in the words of the table and its note under the maps ("1-NN 0.30 ±
        # 0.03" did not say that the tissue is guessed); short enough for a journal column
        a = accuracy.get(n)
        said = []
        if a and np.isfinite(a.get("mean", np.nan)):
            said.append(f"1-NN {_escape(label_name)} accuracy {a['mean']:.2f} ± {a['sd']:.2f}")
        smooth = (smoothness or {}).get(n)
        if smooth is not None and np.isfinite(smooth):
            said.append(f"smoothness {smooth:.2f}")
        # one measure a line: both in one were wider than a panel at 1024 px and in a journal
        # column (cut at the figure's edge, over the next panel's)
        return "<br>".join([n, *(f"<sup>{s}</sup>" for s in said)])

    n_cols = min(max(int(columns or len(names)), 1), len(names))
    n_rows = -(-len(names) // n_cols)
    titles = [panel_title(n) for n in names]
    if width:  # each measure in lines of its panel's width
        right = COLORBAR_MARGIN if values is not None else 10
        panel_px = (width - 10 - right) * (1 - 0.2 * (n_cols - 1) / n_cols) / n_cols
        chars = max(int(panel_px / PANEL_MEASURE_CHAR_PX), 8)
        titles = [_broken_title(t, chars) for t in titles]
    # lines of the tallest panel title beyond a name and one measure
    extra = max(t.count("<br>") for t in titles) - 1
    extra_px = PANEL_LINE_PX * max(extra, 0)
    spacing = 0.0
    if n_rows > 1:  # room for a panel's title (two lines, or more) under the row above
        room = 48.0 + extra_px
        if plot_height:  # the room in pixels of the maps' area as drawn
            top = 0.9 / (n_rows - 1)
            spacing = float(np.clip(room / max(plot_height, 1.0), 0.12, top))
        else:
            grid = (height or 360 * n_rows) - 70.0
            spacing = float(np.clip(room / max(grid, 1.0), 0.12, min(0.3, 0.9 / (n_rows - 1))))
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=titles,
        vertical_spacing=spacing,
    )
    if values is not None:
        _continuous_panels(
            fig,
            names,
            maps,
            n_cols,
            values,
            color_title or label_name,
            clip,
            diverging,
            hover_title,
            webgl,
            ids,
            id_hover,
            points,
        )
    else:
        _category_panels(fig, names, maps, n_cols, labels, webgl, ids, id_hover, points)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    # each map drawn at 1:1, as 1-NN reads it (a wide panel stretched a unit-variance map)
    fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor or "x", scaleratio=1))
    fig.update_layout(
        template="plotly_white",
        font=dict(family=FONT, size=11),
        margin=dict(l=10, r=10, t=60 + extra_px, b=10),
        legend=dict(
            title=dict(text=wrap_title(color_title or label_name)),
            itemsizing="constant",
            font=dict(size=10),
            tracegroupgap=0,
        ),
        height=360 * n_rows,
    )
    if values is not None:  # room for the colour bar, as on the sample map
        fig.update_layout(margin_r=COLORBAR_MARGIN)
    lines = [n for n in ([note] if isinstance(note, str) else note or ()) if n]
    if lines:
        said = "<br>".join(f"<span style='font-size:11px'>{_escape(n)}</span>" for n in lines)
        title = f"{title}<br>{said}" if title else said
    if title:
        base = _base_layout(title, "", "", "")["title"]
        # each line of the title beyond the first takes its room (a file's heading, 1-NN line
        # and smoothness note had the room of two: the note lay over the dataset line and the
        # first row's panel titles)
        said = 14 * str(title).count("<br>")
        fig.update_layout(title=base, margin_t=60 + extra_px + 40 + said)
    return fig


def _broken_title(title: str, chars: int) -> str:
    """A panel's ``title`` (its name, then a ``<sup>`` line a measure) with each measure
    broken into lines of at most ``chars`` characters."""
    name, *measures = title.split("<br>")
    lines = [name]
    for m in measures:
        # (a score and its sd kept on one line: "0.37 ± 0.03")
        text = m.removeprefix("<sup>").removesuffix("</sup>").replace(" ± ", "\u00a0±\u00a0")
        lines += [f"<sup>{part}</sup>" for part in wrap_title(text, chars).split("<br>")]
    return "<br>".join(lines)


def panel_title_room(fig: go.Figure) -> float:
    """Pixels between two rows of :func:`baselines_figure`'s maps that its panel titles take
    (their tallest, as the figure spaces them)."""
    titles = [a.text for a in fig.layout.annotations if a.yanchor == "bottom" and a.text]
    extra = max((str(t).count("<br>") for t in titles), default=1) - 1
    return 48.0 + PANEL_LINE_PX * max(extra, 0)


def _hover_ids(sample_ids: Sequence[Any] | None, n_samples: int) -> tuple[np.ndarray | None, str]:
    """``sample_ids`` as the hover text shows them (escaped) less the prefix they all share,
    and the start of every panel's hover text: that prefix and the rest of the id (each trace's
    ``customdata``). GTEx's 16,877 ids of 24 characters, once a map in 5 maps, added 2.3 MB
    to the figure; their shared ``GTEX-`` is written once. (None, "") when no ids are given;
    a count other than the maps' is an error."""
    if sample_ids is None:
        return None, ""
    ids = np.asarray(sample_ids, dtype=object).reshape(-1)
    if len(ids) != n_samples:
        raise ValueError(f"{len(ids)} sample ids for maps of {n_samples} samples")
    ids = [_escape(s) for s in ids]
    # (a prefix that plotly reads as a template, "%{" or "}", stays in the ids)
    prefix = "" if not ids else os.path.commonprefix(ids)
    prefix = prefix.split("%")[0].split("{")[0].split("}")[0]
    rest = np.array([s[len(prefix) :] for s in ids], dtype=object)
    return rest, prefix + "%{customdata}<br>"


def _category_panels(
    fig: go.Figure,
    names: list[str],
    maps: dict[str, np.ndarray],
    n_cols: int,
    labels: Sequence[Any],
    webgl: bool,
    ids: np.ndarray | None = None,
    id_hover: str = "",
    points: bool = True,
) -> None:
    """Each map's samples coloured by their category, as the categorical sample map draws
    them (:func:`dashboard.figure_samples.sample_map_categorical`); ``points`` False: the first
    map's traces alone, no point drawn (:func:`baselines_figure`)."""
    lab, _, _ = merge_categories(labels)
    lab[lab == ""] = "unlabelled"
    # unlabelled last, as on the sample map: a tissue has the same colour in both
    cats = sorted(np.unique(lab), key=lambda c: (c == "unlabelled", _natural_key(c)))
    counts = dict(zip(*np.unique(lab, return_counts=True), strict=True))
    scatter = go.Scattergl if webgl else go.Scatter
    # a pixel smaller than the sample map's (the panels are smaller); translucent when dense
    style = point_style(len(lab), opacity=1.0)
    style["size"] = max(2.0, marker_size(len(lab)) - 1)
    # drawn as the sample map: the unlabelled samples first, under the categories, then the
    # categories from the largest; the legend keeps its order (legendrank)
    drawn = sorted(cats, key=lambda c: (c != "unlabelled", -int(counts[c])))
    # translucent points (dense maps): the legend's entries drawn apart, opaque
    dense = len(lab) > DENSE_SAMPLES
    entries = []
    for panel, name in enumerate(names):
        if panel and not points:  # (the legend's entries, the colour bar: the first map's)
            break
        row, col = panel // n_cols + 1, panel % n_cols + 1
        xy = np.asarray(maps[name], dtype=np.float32)
        for cat in drawn:
            i = cats.index(cat)
            m = (lab == cat) & points
            trace = scatter(
                x=xy[m, 0],
                y=xy[m, 1],
                mode="markers",
                marker=dict(
                    style,
                    color=MISSING_COLOR if cat == "unlabelled" else PALETTE[i % len(PALETTE)],
                ),
                name=wrap_title(f"{cat} ({counts[cat]:,})"),
                legendgroup=cat,
                legendrank=1000 + i,
                showlegend=panel == 0,
                hovertemplate=id_hover + _escape(cat) + "<extra>" + name + "</extra>",
                customdata=None if ids is None else ids[m].tolist(),
            )
            if dense and panel == 0:
                entries.append(_legend_entry(trace, scatter))
                trace = _apart_from_legend(trace)
            fig.add_trace(trace, row=row, col=col)
    for entry in entries:  # (in the first panel, after every map's points: no point drawn)
        fig.add_trace(entry, row=1, col=1)


#: ``meta`` of a baseline panel's continuous colour trace (its points lie lowest value first,
#: :func:`dashboard.figure_samples.value_order`).
COLOR_TRACE_META = "baseline-colour"


def _continuous_panels(
    fig: go.Figure,
    names: list[str],
    maps: dict[str, np.ndarray],
    n_cols: int,
    values: np.ndarray,
    color_title: str,
    clip: Sequence[float],
    diverging: bool,
    hover_title: str | None,
    webgl: bool,
    ids: np.ndarray | None = None,
    id_hover: str = "",
    points: bool = True,
) -> None:
    """Each map's samples coloured by ``values`` on one scale, as the continuous sample map
    draws them (:func:`dashboard.figure_samples.sample_map_continuous`): the samples without a
    value first, grey open circles, then the others from the lowest value to the highest; the
    first map's colour trace holds the colour bar, the first map's grey one the legend entry;
    ``points`` False: the first map's traces alone, no point drawn, the scale and legend entry
    as they are (:func:`baselines_figure`)."""
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    scatter = go.Scattergl if webgl else go.Scatter
    size = max(2.0, marker_size(len(values)) - 1)
    missing = ~np.isfinite(values)
    order = value_order(values)
    # one scale for every map: the sample map's colour trace's, from all the values
    marker = continuous_marker(values[order], color_title, clip, diverging, size)
    grey_rows = missing & points  # (the legend entry still counts every missing value)
    if not points:
        order = order[:0]
        marker["color"] = marker["color"][:0]
    hover = hover_title or color_title  # (as the sample map's hover text says it)
    for panel, name in enumerate(names):
        if panel and not points:  # (the legend's entries, the colour bar: the first map's)
            break
        row, col = panel // n_cols + 1, panel % n_cols + 1
        xy = np.asarray(maps[name], dtype=np.float32)
        grey = scatter(
            x=xy[grey_rows, 0],
            y=xy[grey_rows, 1],
            mode="markers",
            marker=dict(color=MISSING_COLOR, size=size, symbol="circle-open"),
            name=f"no value ({int(missing.sum()):,})",
            legendgroup="no value",
            showlegend=bool(missing.any()) and panel == 0,
            hovertemplate=id_hover + "no value<extra>" + name + "</extra>",
            customdata=None if ids is None else ids[grey_rows].tolist(),
        )
        fig.add_trace(grey, row=row, col=col)
        shown = dict(marker, showscale=panel == 0)
        if panel:
            shown.pop("colorbar")
        fig.add_trace(
            scatter(
                x=xy[order, 0],
                y=xy[order, 1],
                mode="markers",
                marker=shown,
                name=color_title,
                meta=COLOR_TRACE_META,
                showlegend=False,
                hovertemplate=id_hover + hover + ": %{marker.color:.3f}<extra>" + name + "</extra>",
                customdata=None if ids is None else ids[order].tolist(),
            ),
            row=row,
            col=col,
        )
