"""The sample map: coloured by a continuous value or by a category, its probe grid, hover text and
colour scale, and the samples placed from an upload (stars).

Trace order of the sample map (callbacks patch by index):

0. ``probe grid``: invisible points over the empty parts of the plane (hovering one says that a
   click there decodes; the page decodes at the place clicked, ``assets/probe.js``)
1. a continuous colouring's samples without a value (grey open circles, ``no value (n)`` in
   the legend), drawn first, under the values (as scanpy and the report's maps draw them); an
   empty trace, out of the legend, when every sample has a value
2. the colour trace of a continuous colouring, its samples drawn from the lowest value to the
   highest (:func:`value_order`: high values on top)

Categorical colourings have one trace per category from index 1 on (legend click toggles,
double-click isolates), the unlabelled samples first, then the categories from the largest (each
drawn over the larger ones); the legend keeps the categories' order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from dashboard.figure_style import (
    DENSE_SAMPLES,
    MISSING_COLOR,
    PALETTE,
    UNSELECTED,
    _base_layout,
    _escape,
    _missing,
    _natural_key,
    point_style,
    wrap_title,
)

#: Trace index of the probe grid in the sample map (a click the page reports on it is not a
#: sample's: :func:`dashboard.selection.probe_at` leaves it to the place clicked).
PROBE_TRACE = 0
#: Trace index of a continuous colouring's samples without a value in the sample map (before
#: the colour trace, so drawn under it: plotly draws WebGL traces in their order, and
#: ``Scattergl`` has no ``zorder``).
MISSING_TRACE = 1
#: Trace index of the continuous colour trace in the sample map.
COLOR_TRACE = 2


#: Side of the square the probe reaches, in lengths of the longer side of the samples' box.
PROBE_EXTENT = 2.5


def _probe_cells(coords: np.ndarray, n: int, extent: float) -> tuple[np.ndarray, float, int]:
    """Lower corner, cell side and cells along each side of the probe's square (see
    :func:`probe_grid`)."""
    coords = np.asarray(coords, dtype=np.float64)
    lo, hi = np.nanmin(coords, axis=0), np.nanmax(coords, axis=0)
    side = float(np.max(hi - lo)) or 1.0
    step = 1.1 * side / n
    cells = int(np.ceil(max(extent, 1.1) * side / step))
    return (lo + hi) / 2 - cells * step / 2, step, cells


def probe_grid(
    coords: np.ndarray, n: int = 36, extent: float = PROBE_EXTENT
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a grid of square cells over the map that have no sample nearby.

    The map is drawn at 1:1, so the plot shows more than the samples' box along one axis (on
    a wide window about twice their width): the grid covers a square ``extent`` times the
    longer side of that box, centred on it (:func:`probe_reach`), and its points' hover text
    says that a click there decodes. The axes' autorange ignores it (:func:`bound_autorange`).

    Parameters
    ----------
    coords
        (n_samples, 2) sample coordinates.
    n
        Cells along the longer side of the samples' box (with a 5% margin).
    extent
        Side of the square covered, in lengths of that side.

    Returns
    -------
    (x, y)
        Coordinates of the empty grid cells' centres, (m,) each.
    """
    coords = np.asarray(coords, dtype=np.float64)
    start, step, cells = _probe_cells(coords, n, extent)
    cell = np.floor((coords - start) / step).astype(int).clip(0, cells - 1)
    occupied = np.zeros((cells, cells), dtype=bool)
    occupied[cell[:, 0], cell[:, 1]] = True
    ix, iy = np.nonzero(~occupied)
    return start[0] + (ix + 0.5) * step, start[1] + (iy + 0.5) * step


def probe_reach(
    coords: np.ndarray, n: int = 36, extent: float = PROBE_EXTENT
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners ``(x, y)`` of the square the probe grid covers
    (:func:`probe_grid`): the places of the map a click decodes."""
    start, step, cells = _probe_cells(coords, n, extent)
    return start, start + cells * step


def bound_autorange(fig: go.Figure, points: np.ndarray) -> go.Figure:
    """Let the axes' autorange (the whole map, a double-click) reach only as far as
    ``points`` (n, 2) and a 5% margin: the probe grid's invisible points lie beyond."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return fig
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    margin = 0.05 * np.where(hi - lo > 0, hi - lo, 1.0)
    for axis, j in (("xaxis", 0), ("yaxis", 1)):
        bounds = dict(clipmin=float(lo[j] - margin[j]), clipmax=float(hi[j] + margin[j]))
        fig.update_layout({axis: dict(autorangeoptions=bounds)})
    return fig


def _probe_trace(coords: np.ndarray) -> go.Scattergl:
    gx, gy = probe_grid(coords)
    return go.Scattergl(
        x=gx,
        y=gy,
        mode="markers",
        marker=dict(size=14, opacity=0.0, color="#ffffff"),
        name="probe grid",
        showlegend=False,
        # not the point's coordinates: a click decodes where it lands, not at the grid point
        hovertemplate="empty space<br>click to decode the profile here<extra></extra>",
    )


def sample_hover_text(
    sample_ids: Sequence[str], annotations: dict[str, Sequence[Any]] | None = None
) -> np.ndarray:
    """Hover text per sample: id then ``name: value`` lines, (n_samples,) str; a missing value
    reads "unlabelled", as in the map's legend (not "nan")."""
    sample_ids = np.asarray(sample_ids).astype(str)
    text = np.array([f"<b>{_escape(s)}</b>" for s in sample_ids], dtype=object)
    for name, vals in (annotations or {}).items():
        vals = np.array(
            ["unlabelled" if _missing(v) else str(v) for v in np.asarray(vals, dtype=object)],
            dtype=object,
        )
        text = text + f"<br>{_escape(str(name))}: " + np.array([_escape(v) for v in vals])
    return text.astype(str)


def clip_range(values: np.ndarray, clip: Sequence[float] = (1.0, 99.0)) -> tuple[float, float]:
    """Colour range of ``values`` clipped at the ``clip`` percentiles (NaN ignored)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(v, [float(clip[0]), float(clip[1])])
    if not hi > lo:
        lo, hi = float(v.min()), float(v.max())
        if not hi > lo:
            hi = lo + 1.0
    return float(lo), float(hi)


#: Characters of a colour bar's title (the clip's line aside): the title runs along the bar, and
#: a GO term's name of 70 characters ran off the plot (a residual's title has 51).
BAR_TITLE_CHARS = 64


def bar_title(title: str, limit: int = BAR_TITLE_CHARS) -> str:
    """``title`` as the colour bar shows it: one line (its lines joined), of at most ``limit``
    characters (cut at a word, with "…").

    Each line of the title, which runs along the bar, widens the colour bar by a line's height:
    a GO term's name in 3 lines and the clip's line took 127 to 137 pixels, more than the right
    margin kept for it (:data:`COLORBAR_MARGIN`), and plotly widened the margin.
    """
    text = " ".join(part.strip() for part in str(title).split("<br>") if part.strip())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,:;(") + "…"


#: Words that link the telling words of a name (``of``, ``by``): a shortened name keeps as many
#: of the others as it can.
LINK_WORDS = frozenset(
    "a an and as at by for from in into involved of on or the to via with".split()
)


def elide_words(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at words: its first and last words around
    "…" (``negative … by RNA polymerase II``), those that keep the most characters of telling
    words (not :data:`LINK_WORDS`), the last words' counted twice: they name what the first
    ones (``positive regulation of``) are of. The first words and "…" when no last word fits.

    A name cut after its first words said what every regulation term says: "negative
    regulation of…" kept 22 of the 57 characters of GO:0000122 and none of what it regulates.
    """
    words = str(text).split()
    whole = " ".join(words)
    if len(whole) <= limit:
        return whole
    n, best, best_key = len(words), None, None
    for i in range(1, n):
        head = words[:i]
        while len(head) > 1 and head[-1].lower() in LINK_WORDS:  # (not "regulation of …")
            head = head[:-1]
        for j in range(n - i):
            tail = words[n - j :]
            shown = " ".join(head) + (" … " + " ".join(tail) if tail else "…")
            if len(shown) > limit:
                break
            # the last words name what the first ones are of (apoptotic process, by RNA
            # polymerase II): they count twice
            told = sum(len(w) for w in head if w.lower() not in LINK_WORDS) + 2 * sum(
                len(w) for w in tail if w.lower() not in LINK_WORDS
            )
            key = (told, sum(map(len, head + tail)), len(head))
            if best_key is None or key > best_key:
                best, best_key = shown, key
    if best is None:  # the first word alone is too long
        return whole[: max(limit - 1, 0)] + "…"
    return best


def clipped_title(
    title: str, values: np.ndarray, lo: float, hi: float, clip: Sequence[float]
) -> str:
    """The colour bar's title (:func:`bar_title`: one line), saying the clip in a second line
    when values lie beyond the scale's ends (they take the end colours: a file showed a bar of
    0.33 to 9.24 for values of 0.02 to 9.94). Said "of values 0.0223 to 9.94": "(values 0.0223
    to 9.94)" after the percentiles was read as the clip's ends, which the bar's ticks show."""
    title = bar_title(title)
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0 or (v.min() >= lo and v.max() <= hi):
        return title
    return (
        f"{title}<br><sup>clipped at percentiles {float(clip[0]):g}–{float(clip[1]):g} "
        f"of values {v.min():.3g} to {v.max():.3g}</sup>"
    )


#: Moreland's cool-warm diverging scale (blue, grey, red): its centre is grey (221), where
#: RdBu's is near white (247) and vanished on the white plot: a gene list's mean z, near 0 in
#: most samples, left the map almost blank, and a selection exported over it looked empty.
COOL_WARM: tuple[tuple[float, str], ...] = (
    (0.0, "rgb(59,76,192)"),
    (0.125, "rgb(98,130,234)"),
    (0.25, "rgb(141,176,254)"),
    (0.375, "rgb(184,208,249)"),
    (0.5, "rgb(221,221,221)"),
    (0.625, "rgb(245,196,173)"),
    (0.75, "rgb(244,154,123)"),
    (0.875, "rgb(222,96,77)"),
    (1.0, "rgb(180,4,38)"),
)


def colorscale(diverging: bool = False) -> list[list[Any]]:
    """The colour scale of a continuous colouring: cool-warm (centred values, :data:`COOL_WARM`)
    or Viridis.

    Spelled out as ``[[position, colour], ...]``: plotly.js does not know the ``_r`` (reversed)
    names of plotly.py, so a name sent as it is (a ``Patch``) would fall back to another scale.
    """
    if diverging:
        return [[position, colour] for position, colour in COOL_WARM]
    return get_colorscale("Viridis")


#: Right margin (pixels) of a sample map coloured by a continuous value, where its colour bar
#: lies: the colour bar, its numbers and a title of two lines (a gene's colouring and the line
#: saying its clip) take 83 to 114 pixels (numbers of up to 6 characters, as "−0.004"). plotly
#: widened the margin to the colour bar as drawn, so a zoomed map's plot area narrowed and its
#: y range widened with each longer title (GTEx, MYH7 -> LDLR: y [-1.716, 1.459] became
#: [-1.746, 1.490], with the 1:1 scale). Every title is held to these two lines
#: (:func:`clipped_title`): a GO term's name in three lines widened it to 127-137 pixels.
COLORBAR_MARGIN = 124


def continuous_marker(
    values: np.ndarray,
    title: str,
    clip: Sequence[float] = (1.0, 99.0),
    diverging: bool = False,
    size: float = 4.0,
) -> dict[str, Any]:
    """The ``marker`` dict of the continuous colour trace (colour, range, colour bar)."""
    lo, hi = clip_range(values, clip)
    if diverging:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    return dict(
        color=np.asarray(values, dtype=np.float32),
        colorscale=colorscale(diverging),
        cmin=lo,
        cmax=hi,
        size=size,
        opacity=0.85,
        # placed in pixels from the plot's right edge, at the start of COLORBAR_MARGIN (at
        # x = 1.02 of the plot's width, the margin it needs grew with the window's width)
        colorbar=dict(
            title=dict(text=clipped_title(title, values, lo, hi, clip), side="right"),
            thickness=14,
            thicknessmode="pixels",
            len=0.8,
            x=1.0,
            xref="paper",
            xanchor="left",
            xpad=10,
        ),
        showscale=True,
    )


def value_order(values: np.ndarray) -> np.ndarray:
    """Rows of the finite ``values``, lowest value first (ties in sample order): the order in
    which the colour trace draws its samples, so that high values are drawn on top.

    A dense map drawn in sample order buried the few high samples under low ones drawn after
    them (16,877 GTEx samples); the report's maps and scanpy draw the highest last too. The
    values are compared as the figure sends them (float32), so the order of a figure and that
    of a ``Patch`` of it agree on ties.
    """
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    rows = np.flatnonzero(np.isfinite(v))
    return rows[np.argsort(v[rows], kind="stable")]


def sample_map_continuous(
    coords: np.ndarray,
    values: np.ndarray,
    hover_text: Sequence[str],
    color_title: str,
    *,
    title: str = "Samples",
    clip: Sequence[float] = (1.0, 99.0),
    diverging: bool = False,
    uirevision: str = "sample-map",
    axis_titles: tuple[str, str] = ("dimension 1", "dimension 2"),
    webgl: bool = True,
    hover_title: str | None = None,
) -> go.Figure:
    """Sample map coloured by a continuous value.

    Parameters
    ----------
    coords
        (n_samples, 2) sample coordinates.
    values
        (n_samples,) values (NaN drawn grey); the colour trace holds the others lowest first
        (:func:`value_order`).
    hover_text
        (n_samples,) hover text (id, tissue, sex...); the value is appended.
    color_title
        Colour bar title (e.g. ``MYH6 (observed)``).
    clip
        Percentiles at which the colour scale is clipped.
    diverging
        Centre the scale at 0 with a diverging palette (residuals, z-scores).
    webgl
        Scattergl (screen) or Scatter (vector export).
    hover_title
        What the hover text calls the value, when more than ``color_title`` (a GO term's whole
        name); None: ``color_title``.
    """
    coords = np.asarray(coords, dtype=np.float32)
    values = np.asarray(values, dtype=np.float32)
    scatter = go.Scattergl if webgl else go.Scatter
    size = point_style(len(coords))["size"]  # (opaque, smaller on a dense map)
    probe = _probe_trace(coords) if webgl else go.Scatter(x=[], y=[], showlegend=False)
    missing = ~np.isfinite(values)
    # drawn before the colour trace, under it: drawn after it, GTEx's samples without a value
    # covered the coloured ones they lie among (16,877 samples); an empty trace when there are
    # none, so that the colour trace keeps its index (COLOR_TRACE) in every continuous map
    grey = scatter(
        x=coords[missing, 0],
        y=coords[missing, 1],
        mode="markers",
        # open circles: a filled grey one read as the diverging scale's grey centre
        marker=dict(color=MISSING_COLOR, size=size, symbol="circle-open"),
        name=f"no value ({int(missing.sum()):,})",  # counted, as categories are
        text=np.asarray(hover_text)[missing],
        hovertemplate="%{text}<br>no value<extra></extra>",
        showlegend=bool(missing.any()),
    )
    order = value_order(values)  # the highest drawn last, on top
    color_trace = scatter(
        x=coords[order, 0],
        y=coords[order, 1],
        mode="markers",
        marker=continuous_marker(values[order], color_title, clip, diverging, size),
        # (left out of a selection, the samples keep their values' colours, dimmed: grey, a
        # gene's high values outside the selection read as absent)
        name=color_title,
        text=np.asarray(hover_text)[order],
        hovertemplate="%{text}<br>"
        + (hover_title or color_title)
        + ": %{marker.color:.3f}<extra></extra>",
        showlegend=False,
    )
    fig = go.Figure(data=[probe, grey, color_trace])
    fig.update_layout(**_base_layout(title, *axis_titles, uirevision, equal_aspect=True))
    # room for the colour bar whatever its title and numbers: the plot keeps its width when the
    # page recolours it (assets/recolour.js changes the colour trace only)
    fig.update_layout(margin_r=COLORBAR_MARGIN)
    return bound_autorange(fig, coords)


def sample_map_categorical(
    coords: np.ndarray,
    labels: Sequence[Any],
    hover_text: Sequence[str],
    color_title: str,
    *,
    title: str = "Samples",
    uirevision: str = "sample-map",
    axis_titles: tuple[str, str] = ("dimension 1", "dimension 2"),
    webgl: bool = True,
    max_categories: int = 60,
) -> go.Figure:
    """Sample map with one trace per category (legend click toggles, double-click isolates).

    Parameters
    ----------
    coords
        (n_samples, 2) sample coordinates.
    labels
        (n_samples,) category per sample; empty/NaN become ``unlabelled`` (grey, drawn first,
        under the categories, and listed last).
    hover_text
        (n_samples,) hover text.
    max_categories
        Categories beyond this many (smallest first) are merged into ``other``.
    """
    coords = np.asarray(coords, dtype=np.float32)
    lab, merged, other = merge_categories(labels, max_categories)
    cats = np.unique(lab[lab != ""])
    scatter = go.Scattergl if webgl else go.Scatter
    style = point_style(len(coords))
    hover_text = np.asarray(hover_text)
    traces = [_probe_trace(coords) if webgl else go.Scatter(x=[], y=[], showlegend=False)]
    missing = lab == ""
    ordered = sorted(cats, key=_natural_key)  # the legend's order, and the colours'
    # drawn first, under the categories: GTEx's 3,585 samples without a tissue, drawn last,
    # covered the tissues they lie among; listed last (plotly's default rank, 1000, is the
    # first category's)
    if missing.any():
        traces.append(
            scatter(
                x=coords[missing, 0],
                y=coords[missing, 1],
                mode="markers",
                marker=dict(color=MISSING_COLOR, size=style["size"], opacity=0.6),
                unselected=UNSELECTED,
                name=f"unlabelled ({int(missing.sum()):,})",  # counted as the categories
                legendrank=1000 + len(ordered),
                text=hover_text[missing],
                hovertemplate="%{text}<extra>unlabelled</extra>",
            )
        )
    sizes = {cat: int((lab == cat).sum()) for cat in ordered}
    # drawn from the largest category to the smallest, so that a small one is not buried
    # under a large one drawn after it (5,648 female samples under 11,229 male ones); the
    # legend keeps its order (legendrank)
    for cat in sorted(ordered, key=lambda c: -sizes[c]):
        i = ordered.index(cat)
        m = lab == cat
        traces.append(
            scatter(
                x=coords[m, 0],
                y=coords[m, 1],
                mode="markers",
                marker=dict(color=PALETTE[i % len(PALETTE)], **style),
                unselected=UNSELECTED,
                name=wrap_title(f"{cat} ({sizes[cat]:,})"),
                legendgroup=cat,
                legendrank=1000 + i,
                text=hover_text[m],
                hovertemplate="%{text}<extra>" + _escape(cat) + "</extra>",
                # the categories a merged trace holds (its samples' own labels)
                meta={MERGED_CATEGORIES: merged} if merged and cat == other else None,
            )
        )
    if len(coords) > DENSE_SAMPLES:  # translucent points: their legend entries drawn apart
        traces = traces[:1] + [_apart_from_legend(t) for t in traces[1:]]
        traces += [_legend_entry(t, scatter) for t in traces[1:]]
    fig = go.Figure(data=traces)
    fig.update_layout(**_base_layout(title, *axis_titles, uirevision, equal_aspect=True))
    fig.update_layout(legend=dict(title=dict(text=wrap_title(color_title))))
    return bound_autorange(fig, coords)


def merge_categories(
    labels: Sequence[Any], max_categories: int = 60
) -> tuple[np.ndarray, list[str], str]:
    """The labels as the categorical sample map draws them: missing ones ``""``, and the
    smallest categories beyond ``max_categories`` merged into ``other``.

    Returns
    -------
    (labels, the categories merged, the merged category's name)
    """
    lab = np.array(["" if _missing(v) else str(v) for v in labels], dtype=object)
    cats, counts = np.unique(lab[lab != ""], return_counts=True)
    merged: list[str] = []  # the categories drawn together as "other"
    other = "other"
    if len(cats) > max_categories:
        keep = set(cats[np.argsort(-counts)[: max_categories - 1]])
        merged = sorted(c for c in cats if c not in keep)
        while other in keep:  # a category of that name stays itself
            other += " (merged)"
        lab = np.array([v if (v == "" or v in keep) else other for v in lab], dtype=object)
    return lab, merged, other


#: ``meta`` of a legend entry of a dense categorical sample map (:func:`_legend_entry`).
LEGEND_ENTRY = "legend-entry"


def _apart_from_legend(trace: Any) -> Any:
    """``trace`` out of the legend, in a legend group of its own (its entry's,
    :func:`_legend_entry`: a click on the entry hides or shows it)."""
    trace.update(showlegend=False, legendgroup=trace.legendgroup or trace.name)
    return trace


def _legend_entry(trace: Any, scatter: Any) -> Any:
    """The legend entry of a category's ``trace`` on a dense map: a trace of no point with its
    name, colour and group, fully opaque. plotly draws a legend swatch with its trace's marker
    opacity (no legend setting changes that: ``legend.itemsizing`` sets the size alone), and the
    tissues' colours at the points' 0.6 looked washed out in the legend."""
    return scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker=dict(color=trace.marker.color, size=trace.marker.size, opacity=1.0),
        name=trace.name,
        legendgroup=trace.legendgroup,
        legendrank=trace.legendrank,
        showlegend=True,
        hoverinfo="skip",
        meta=LEGEND_ENTRY,
    )


#: Key, in the ``meta`` of the ``other`` trace of a categorical sample map, of the categories
#: merged into it.
MERGED_CATEGORIES = "merged_categories"


#: ``meta`` of the trace of placed samples (stars).
PLACED_META = "placed-samples"


#: Legend rank of the placed samples' stars: above every category (ranked from 1000).
PLACED_LEGEND_RANK = 999


#: ``meta`` of the trace that outlines the reference group (:func:`reference_trace`).
REFERENCE_META = "reference-group"
#: Colour of the reference group's outline: near black, it reads around the points of every
#: palette and scale (a colour of the palette would read as one more category).
REFERENCE_COLOR = "#1a1a1a"
#: The outline's opacity, and on a map of more than :data:`DENSE_SAMPLES` samples: opaque, the
#: rings of GTEx's 431 left ventricle samples made one black blob that hid their MYH7, the
#: highest of the map, under it.
REFERENCE_OPACITY = (0.7, 0.35)
#: Legend rank of the reference group's outline: under the stars, above every category.
REFERENCE_LEGEND_RANK = PLACED_LEGEND_RANK + 0.5


def reference_trace(
    coords: np.ndarray, rows: Sequence[int], webgl: bool = True
) -> go.Scatter | go.Scattergl:
    """The outline of the reference group's samples (``rows`` of ``coords``, (n_samples, 2)):
    near-black open circles a little larger than the points, ``reference group (N)`` in the
    legend, drawn over the samples (and under the placed samples' stars).

    Without it the samples kept as the reference were drawn as every other sample left out of
    the selection (grey, or dimmed), and the map did not show what the selection was compared
    with. The circles carry no sample row (``customdata``) and no hover (``hoverinfo`` skip):
    a selection or a click never counts them as samples. Like the stars, every circle is marked
    selected and keeps its opacity unselected, so that a selection does not dim it (the page
    marks them selected again after a drawn lasso or box, :mod:`dashboard.selection`).
    """
    coords = np.asarray(coords, dtype=np.float32)
    rows = np.asarray(sorted({int(r) for r in rows}), dtype=int)
    scatter = go.Scattergl if webgl else go.Scatter
    size = point_style(len(coords))["size"]
    alpha = REFERENCE_OPACITY[len(coords) > DENSE_SAMPLES]
    ring = "rgba({}, {}, {}, {})".format(
        *(int(REFERENCE_COLOR[i : i + 2], 16) for i in (1, 3, 5)), alpha
    )
    return scatter(
        x=coords[rows, 0] if len(rows) else [],
        y=coords[rows, 1] if len(rows) else [],
        mode="markers",
        name=f"reference group ({len(rows):,})",
        legendrank=REFERENCE_LEGEND_RANK,
        hoverinfo="skip",
        marker={
            "symbol": "circle-open",
            "size": size + 4,
            "color": ring,
            "opacity": 1.0,
            "line": {"color": ring, "width": 1},
        },
        selectedpoints=list(range(len(rows))),
        selected={"marker": {"opacity": 1.0}},
        unselected={"marker": {"opacity": 1.0}},
        showlegend=True,
        meta=REFERENCE_META,
    )


def placed_samples_trace(
    placed: Sequence[dict[str, Any]], label: str | None = None, webgl: bool = True
) -> go.Scatter | go.Scattergl:
    """Samples placed from an upload, drawn over the sample map (black stars).

    ``placed``: records with ``sample_id, x, y`` and optionally ``majority_label`` /
    ``majority_share`` (:meth:`dashboard.context.AppContext.place_samples`). The points carry
    no sample row (``customdata``), so selections and clicks treat them as empty space.
    ``webgl``: a Scattergl trace, as the samples' on screen (plotly draws WebGL traces above
    SVG ones: an SVG star would hide under the samples it lands among), else a Scatter (export).

    Every star is marked selected (``selectedpoints``), and unselected stars keep their full
    opacity: while samples are selected (a lasso, a link), plotly draws the selected points of
    every trace after the others, so a star not selected itself was drawn under the selected
    samples it landed among, and hidden. A drawn lasso or box replaces every trace's
    ``selectedpoints`` (a star just outside it lay under the selected samples again): the page
    marks the stars (``meta`` = :data:`PLACED_META`) selected again after each
    (:mod:`dashboard.selection`).
    """
    text = []
    for r in placed:
        line = f"<b>{r.get('sample_id', '')}</b><br>placed from your upload"
        if r.get("majority_label") is not None:
            share = r.get("majority_share")
            line += f"<br>majority {label or 'label'} nearby: {r['majority_label']}"
            if isinstance(share, int | float):
                line += f" ({share:.0%})"
        text.append(line)
    scatter = go.Scattergl if webgl else go.Scatter
    return scatter(
        x=[r["x"] for r in placed],
        y=[r["y"] for r in placed],
        mode="markers",
        name=f"your samples ({len(placed)})",
        # first in the legend (plotly's default rank, 1000, is the first category's: the
        # stars' entry sat between the first tissue and the second)
        legendrank=PLACED_LEGEND_RANK,
        text=text,
        hovertemplate="%{text}<extra></extra>",
        marker={
            "symbol": "star",
            "size": 15,
            "color": "black",
            "line": {"color": "white", "width": 1.5},
        },
        selectedpoints=list(range(len(placed))),
        selected={"marker": {"opacity": 1.0}},
        unselected={"marker": {"opacity": 1.0}},
        # found by the page after a drawn selection (dashboard.selection: selected again)
        meta=PLACED_META,
    )
