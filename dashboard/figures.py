"""Pure figure builders: arrays in, :class:`plotly.graph_objects.Figure` out (no Dash, no I/O).

Trace order of the sample map (callbacks patch by index):

0. ``probe grid``: invisible points over the empty parts of the plane (hovering one says that a
   click there decodes; the page decodes at the place clicked, ``assets/probe.js``)
1. ``samples``: the colour trace when colouring by a continuous value; categorical colourings
   have one trace per category from index 1 on (legend click toggles, double-click isolates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, qualitative

from core.palette import CLASS_COLORS

#: Trace index of the probe grid in the sample map (a click the page reports on it is not a
#: sample's: :func:`dashboard.selection.probe_at` leaves it to the place clicked).
PROBE_TRACE = 0
#: Trace index of the continuous colour trace in the sample map.
COLOR_TRACE = 1
#: Marker size of samples (pixels) by number of samples.
MISSING_COLOR = "#c8c8c8"
FONT = "Inter, 'Helvetica Neue', Arial, sans-serif"
#: Category colours: the report's 30 (core.palette: a tissue has the same colour on the page and
#: in the report), then plotly's Light24 and Alphabet for more categories (GTEx has 54 sites).
PALETTE: list[str] = list(
    dict.fromkeys(
        [c.lower() for c in CLASS_COLORS]
        + [c.lower() for c in (*qualitative.Light24, *qualitative.Alphabet)]
    )
)

#: Plot area of a map (pixels, without legend and margins) assumed for label spacing when the
#: page has not said how large the map is drawn (:func:`plot_area`), and in exported files.
_PLOT_PX = (430.0, 330.0)
#: Plot areas outside these bounds (pixels) are not believed (:func:`plot_area`).
_PLOT_PX_RANGE = (40.0, 8000.0)

#: The axis ranges ``((x0, x1), (y0, y1))`` a map is zoomed to.
View = tuple[tuple[float, float], tuple[float, float]]

#: Publication sizes for the server-side export: name -> (width px, height px, scale). The
#: journal sizes' width times scale is 300 dpi at their width in mm (85 mm: 1,004 pixels; 180
#: mm: 2,126). A legend that does not fit beside the plot goes under it and the file grows
#: taller (:func:`fit_legend`).
EXPORT_SIZES: dict[str, tuple[int, int, float]] = {
    "screen": (1000, 700, 1.0),
    "single column (85 mm, 300 dpi)": (502, 400, 2.0),
    "double column (180 mm, 300 dpi)": (1063, 700, 2.0),
    "slide 16:9": (1280, 720, 1.5),
}

#: The sizes of a journal's columns: their width is fixed, their height may grow (a legend under
#: the plot) up to the text area of a page, :data:`JOURNAL_PAGE_MM` tall.
JOURNAL_SIZES = ("single column (85 mm, 300 dpi)", "double column (180 mm, 300 dpi)")
JOURNAL_PAGE_MM = 230.0

#: The width (mm) that the files of a size state: a PNG's dots per inch, an SVG's and a PDF's
#: page size. A 16:9 slide is 13.333 inches wide (the usual presentation page); the screen size
#: states none.
EXPORT_WIDTH_MM: dict[str, float] = {
    "single column (85 mm, 300 dpi)": 85.0,
    "double column (180 mm, 300 dpi)": 180.0,
    "slide 16:9": 13.333 * 25.4,
}


def marker_size(n_points: int) -> float:
    """A readable marker size (px) for a scatter of ``n_points``."""
    return float(np.clip(9.0 - 1.3 * np.log10(max(n_points, 1)), 2.5, 8.0))


#: Height (pixels) of the page's maps: the ``.map`` box of ``assets/style.css`` (the figure
#: was drawn at plotly's default 450 inside it; a file sets its own size).
MAP_HEIGHT_PX = 560


def _base_layout(
    title: str, x_title: str, y_title: str, uirevision: str, equal_aspect: bool = False
) -> dict[str, Any]:
    """The layout every map shares; ``equal_aspect``: a unit of the y axis is as long as one of
    the x axis (a sample map, whose distances the neighbour tables and 1-NN read)."""
    return dict(
        height=MAP_HEIGHT_PX,
        # below the page's mode bar (zoom, select, ...), which sits in the top 30 px
        title=dict(
            text=title,
            x=0.01,
            xanchor="left",
            y=1,
            yref="container",
            yanchor="top",
            pad=dict(t=32),
            font=dict(size=15),
        ),
        template="plotly_white",
        font=dict(family=FONT, size=12),
        margin=dict(l=40, r=10, t=62, b=40),
        xaxis=dict(title=x_title, zeroline=False, showgrid=False),
        yaxis=dict(
            title=y_title,
            zeroline=False,
            showgrid=False,
            scaleanchor="x" if equal_aspect else None,
            scaleratio=1 if equal_aspect else None,
        ),
        hovermode="closest",
        dragmode="zoom",
        uirevision=uirevision,
        legend=dict(itemsizing="constant", font=dict(size=11), tracegroupgap=0),
    )


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


def clipped_title(
    title: str, values: np.ndarray, lo: float, hi: float, clip: Sequence[float]
) -> str:
    """The colour bar's title, saying the clip when values lie beyond the scale's ends (they
    take the end colours: a file showed a bar of 0.33 to 9.24 for values of 0.02 to 9.94)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0 or (v.min() >= lo and v.max() <= hi):
        return title
    return (
        f"{title}<br><sup>clipped at percentiles {float(clip[0]):g}–{float(clip[1]):g} "
        f"(values {v.min():.3g} to {v.max():.3g})</sup>"
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
        colorbar=dict(
            title=dict(text=clipped_title(title, values, lo, hi, clip), side="right"),
            thickness=14,
            len=0.8,
        ),
        showscale=True,
    )


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
) -> go.Figure:
    """Sample map coloured by a continuous value.

    Parameters
    ----------
    coords
        (n_samples, 2) sample coordinates.
    values
        (n_samples,) values (NaN drawn grey).
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
    """
    coords = np.asarray(coords, dtype=np.float32)
    values = np.asarray(values, dtype=np.float32)
    scatter = go.Scattergl if webgl else go.Scatter
    size = marker_size(len(coords))
    fig = go.Figure()
    fig.add_trace(_probe_trace(coords) if webgl else go.Scatter(x=[], y=[], showlegend=False))
    finite = np.isfinite(values)
    if not finite.all():
        fig.add_trace(
            scatter(
                x=coords[~finite, 0],
                y=coords[~finite, 1],
                mode="markers",
                # open circles: a filled grey one read as the diverging scale's grey centre
                marker=dict(color=MISSING_COLOR, size=size, symbol="circle-open"),
                name=f"no value ({int((~finite).sum()):,})",  # counted, as categories are
                text=np.asarray(hover_text)[~finite],
                hovertemplate="%{text}<br>no value<extra></extra>",
            )
        )
        # keep the colour trace at index COLOR_TRACE: move the grey trace after it
    color_trace = scatter(
        x=coords[finite, 0],
        y=coords[finite, 1],
        mode="markers",
        marker=continuous_marker(values[finite], color_title, clip, diverging, size),
        name=color_title,
        text=np.asarray(hover_text)[finite],
        hovertemplate="%{text}<br>" + color_title + ": %{marker.color:.3f}<extra></extra>",
        showlegend=False,
    )
    data = list(fig.data)
    data.insert(COLOR_TRACE, color_trace)
    fig = go.Figure(data=data)
    fig.update_layout(**_base_layout(title, *axis_titles, uirevision, equal_aspect=True))
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
        (n_samples,) category per sample; empty/NaN become ``unlabelled`` (grey, drawn first).
    hover_text
        (n_samples,) hover text.
    max_categories
        Categories beyond this many (smallest first) are merged into ``other``.
    """
    coords = np.asarray(coords, dtype=np.float32)
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
        cats = np.unique(lab[lab != ""])
    scatter = go.Scattergl if webgl else go.Scatter
    size = marker_size(len(coords))
    hover_text = np.asarray(hover_text)
    traces = [_probe_trace(coords) if webgl else go.Scatter(x=[], y=[], showlegend=False)]
    missing = lab == ""
    ordered = sorted(cats, key=_natural_key)  # the legend's order, and the colours'
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
                marker=dict(color=PALETTE[i % len(PALETTE)], size=size, opacity=0.85),
                name=wrap_title(f"{cat} ({sizes[cat]:,})"),
                legendgroup=cat,
                legendrank=1000 + i,
                text=hover_text[m],
                hovertemplate="%{text}<extra>" + _escape(cat) + "</extra>",
                # the categories a merged trace holds (its samples' own labels)
                meta={MERGED_CATEGORIES: merged} if merged and cat == other else None,
            )
        )
    if missing.any():
        traces.append(
            scatter(
                x=coords[missing, 0],
                y=coords[missing, 1],
                mode="markers",
                marker=dict(color=MISSING_COLOR, size=size, opacity=0.6),
                name=f"unlabelled ({int(missing.sum()):,})",  # counted as the categories
                # after the categories (plotly's default rank, 1000, is the first category's)
                legendrank=1000 + len(ordered),
                text=hover_text[missing],
                hovertemplate="%{text}<extra>unlabelled</extra>",
            )
        )
    fig = go.Figure(data=traces)
    fig.update_layout(**_base_layout(title, *axis_titles, uirevision, equal_aspect=True))
    fig.update_layout(legend=dict(title=dict(text=wrap_title(color_title))))
    return bound_autorange(fig, coords)


#: Key, in the ``meta`` of the ``other`` trace of a categorical sample map, of the categories
#: merged into it.
MERGED_CATEGORIES = "merged_categories"


def gene_map_figure(
    layout: np.ndarray,
    symbols: Sequence[str],
    labels: Sequence[Any],
    *,
    color_title: str = "gene type",
    focus: int | None = None,
    neighbors: Sequence[int] = (),
    selected: Sequence[int] = (),
    method: str = "UMAP",
    title: str = "Gene space",
    uirevision: str = "gene-map",
    webgl: bool = True,
    plot_px: tuple[float, float] = _PLOT_PX,
    view: View | None = None,
) -> go.Figure:
    """Genes laid out in 2-D, coloured by a category, with highlights.

    Parameters
    ----------
    layout
        (n_genes, 2) coordinates of the genes.
    symbols
        (n_genes,) gene symbols (hover; ``customdata`` of every point, read on click).
    labels
        (n_genes,) category per gene (gene type, or ``annotated``/``other`` for a GO term).
    focus
        Row of the gene in focus (star), if any.
    neighbors
        Rows of its nearest neighbours (rings).
    selected
        Rows of genes specific to the sample selection (diamonds).
    plot_px
        (width, height) in pixels of the plot area the map is drawn in (the page measures it:
        :func:`plot_area`), for the spacing of the labels (:func:`place_labels`).
    view
        The axis ranges the user zoomed the map to (:func:`plot_view`), or None: the labels are
        spaced for what is in view.
    """
    layout = np.asarray(layout, dtype=np.float32)
    symbols = np.asarray(symbols).astype(str)
    lab = np.array(["unknown" if _missing(v) else str(v) for v in labels], dtype=object)
    scatter = go.Scattergl if webgl else go.Scatter
    size = marker_size(len(layout)) + 1
    cats, counts = np.unique(lab, return_counts=True)
    order = [c for _, c in sorted(zip(-counts, cats, strict=True))]
    traces = []
    for i, cat in enumerate(order):
        m = lab == cat
        is_grey = cat in ("unknown", "other", "not annotated")
        traces.append(
            scatter(
                x=layout[m, 0],
                y=layout[m, 1],
                mode="markers",
                marker=dict(
                    color=MISSING_COLOR if is_grey else PALETTE[i % len(PALETTE)],
                    size=size,
                    opacity=0.5 if is_grey else 0.85,
                ),
                name=wrap_title(f"{cat} ({int(m.sum()):,})"),
                customdata=symbols[m],
                text=symbols[m],
                hovertemplate="<b>%{text}</b><extra>" + _escape(cat) + "</extra>",
            )
        )
    sel = np.asarray(list(selected), dtype=int)
    if sel.size:
        traces.append(
            scatter(
                x=layout[sel, 0],
                y=layout[sel, 1],
                mode="markers",
                marker=dict(
                    symbol="diamond",
                    size=size + 6,
                    color="#ff7f0e",
                    line=dict(color="#7a3b00", width=1),
                ),
                # the genes the page lists (the highest of those scored), not all of them
                name=f"specific to the selection ({sel.size} highest)",
                customdata=symbols[sel],
                text=symbols[sel],
                hovertemplate="<b>%{text}</b><extra>selection</extra>",
            )
        )
    nb = np.asarray(list(neighbors), dtype=int)
    has_focus = focus is not None and 0 <= focus < len(layout)
    # rings are labelled when at most MAX_LABELLED_RINGS of them are in view (all of them on
    # the whole map; zoomed in, those in the region): more would only be left out for lack of
    # room, and cost their placement
    in_view = nb.size
    if view is not None and nb.size:
        (x0, x1), (y0, y1) = view
        xy = layout[nb]
        in_view = int(
            ((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).sum()
        )
    labelled = in_view <= MAX_LABELLED_RINGS
    ring_size, star_size, diamond_size = size + 8, size + 14, size + 6
    # neighbours sit close together: each label goes on the side away from the gene in focus,
    # off every ring and the star, and is left out where it would overlap one (or another
    # label; the nearest first); hover names every ring
    shown, positions, focus_position = place_labels(
        layout,
        nb if labelled else nb[:0],
        symbols[nb] if labelled else symbols[nb][:0],
        radius=ring_size / 2 + 1,
        focus=focus if has_focus else None,
        focus_text=symbols[focus] if has_focus else "",
        focus_radius=star_size / 2,
        # unlabelled rings still keep the focus label off them
        markers=[(int(r), diamond_size / 2) for r in sel]
        + ([] if labelled else [(int(r), ring_size / 2 + 1) for r in nb]),
        plot_px=plot_px,
        view=view,
    )
    if nb.size:
        traces.append(
            scatter(
                x=layout[nb, 0],
                y=layout[nb, 1],
                # the trace keeps each label's text and position; they are drawn as annotations
                # on a white backing (:func:`neighbour_labels`), which a trace's text lacks
                mode="markers",
                # black: red was taken by the palette (pseudogenes, lncRNA, a GO term's genes)
                marker=dict(
                    symbol="circle-open", size=ring_size, color="#000000", line=dict(width=2)
                ),
                text=np.where(shown, symbols[nb], "") if labelled else [""] * nb.size,
                textposition=positions if labelled else "top center",
                textfont=dict(size=10, color="#000000"),
                name="nearest neighbours",
                customdata=symbols[nb],
                hovertemplate="<b>%{customdata}</b><extra>neighbour</extra>",
            )
        )
    beside = isinstance(focus_position, str)
    if has_focus:
        traces.append(
            scatter(
                x=[layout[focus, 0]],
                y=[layout[focus, 1]],
                mode="markers+text" if beside else "markers",
                marker=dict(symbol="star", size=star_size, color="#d62728", line=dict(width=1)),
                text=[symbols[focus]],
                textposition=focus_position if beside else "bottom center",
                textfont=dict(size=13, color="#000000"),
                name=symbols[focus],
                customdata=[symbols[focus]],
                hovertemplate="<b>%{text}</b><extra>in focus</extra>",
            )
        )
    fig = go.Figure(data=traces)
    fig.update_layout(**_base_layout(title, f"{method} 1", f"{method} 2", uirevision))
    fig.update_layout(legend=dict(title=dict(text=wrap_title(color_title))))
    if nb.size and labelled:
        for label in neighbour_labels(
            layout[nb][shown], symbols[nb][shown], np.asarray(positions)[shown], ring_size / 2 + 1
        ):
            fig.add_annotation(label)
    if has_focus and not beside:  # rings all round the star: the label further out, an arrow
        dx, dy = focus_position
        fig.add_annotation(
            x=float(layout[focus, 0]),
            y=float(layout[focus, 1]),
            text=_escape(symbols[focus]),
            ax=dx,
            ay=-dy,
            showarrow=True,
            arrowhead=0,
            arrowwidth=1,
            arrowcolor="#444444",
            standoff=star_size / 2,
            font=dict(size=13, color="#000000"),
            bgcolor="rgba(255,255,255,0.85)",
            borderpad=2,
            name="focus label",
        )
    return fig


#: The backing of a neighbour's label: over a dense cluster of points black text on the
#: points' colours was hard to read. Semi-opaque, so the points under it still show.
LABEL_BACKING = "rgba(255,255,255,0.8)"


def neighbour_labels(
    points: np.ndarray, texts: Sequence[str], positions: Sequence[str], radius: float
) -> list[dict[str, Any]]:
    """The labels of the neighbours' rings as annotations, each on a white backing
    (:data:`LABEL_BACKING`), written where a trace's text at ``positions`` would be (off the
    ring of ``radius`` pixels by ``radius / 0.8 + 1``, as :func:`label_box` counts them).

    A trace's text has no backing in WebGL (the page's maps), and an SVG trace under the
    WebGL points would be hidden by them; annotations are drawn above every trace. The
    backing reaches 2 pixels beyond the text, so it stays off the ring (3 pixels or more
    away)."""
    gap = round(radius / 0.8 + 1.0, 2)
    out = []
    for (x, y), text, position in zip(points, texts, positions, strict=True):
        vertical, horizontal = str(position).split()
        # short: the page is sent these again after each zoom or resize (label_patch);
        # centred and unshifted are an annotation's defaults
        label: dict[str, Any] = dict(
            x=round(float(x), 6),
            y=round(float(y), 6),
            xref="x",
            yref="y",
            text=_escape(str(text)),
            showarrow=False,
            font=dict(size=10, color="#000"),
            bgcolor=LABEL_BACKING,  # 2 pixels beyond the text (the default pad and border)
            name="neighbour label",
        )
        if horizontal != "center":
            label["xanchor"] = "left" if horizontal == "right" else "right"
            label["xshift"] = gap if horizontal == "right" else -gap
        if vertical != "middle":
            label["yanchor"] = "bottom" if vertical == "top" else "top"
            label["yshift"] = gap if vertical == "top" else -gap
        out.append(label)
    return out


#: Most rings of neighbours in view that are labelled (more: hover names them).
MAX_LABELLED_RINGS = 30

#: Text positions a label may take around its point -> the direction it lies in (y up).
LABEL_POSITIONS: dict[str, tuple[float, float]] = {
    "top center": (0.0, 1.0),
    "bottom center": (0.0, -1.0),
    "middle right": (1.0, 0.0),
    "middle left": (-1.0, 0.0),
    "top right": (0.7071, 0.7071),
    "top left": (-0.7071, 0.7071),
    "bottom right": (0.7071, -0.7071),
    "bottom left": (-0.7071, -0.7071),
}

Box = tuple[float, float, float, float]


#: Advance widths (in ems) of Helvetica / Arial (and their metric twin Liberation Sans, which
#: Linux browsers draw for them), by character; others take :data:`_DEFAULT_EM`.
_EM_WIDTHS = {
    **dict.fromkeys("0123456789", 0.556),
    **dict.fromkeys("ABEKPSVXY", 0.667),
    **dict.fromkeys("CDHNRUw", 0.722),
    **dict.fromkeys("GOQ", 0.778),
    **dict.fromkeys("FTZ", 0.611),
    **dict.fromkeys("Lbdghnopqu", 0.556),
    "M": 0.833,
    "m": 0.833,
    "W": 0.944,
    "I": 0.278,
    "J": 0.5,
    **dict.fromkeys("acekvxyz", 0.5),
    **dict.fromkeys("ijl", 0.222),
    **dict.fromkeys("frt-", 0.333),
    "s": 0.5,
    **dict.fromkeys(" .,:;", 0.278),
    "_": 0.556,
}
_DEFAULT_EM = 0.667


def text_width(text: str, font: float) -> float:
    """The width in pixels of ``text`` written at ``font`` pixels, by the characters' widths
    (a flat 0.62 em a character fell short of names in capitals and digits: "UGT1A4" ran out
    of the plot and was cut)."""
    return font * sum(_EM_WIDTHS.get(c, _DEFAULT_EM) for c in text)


def label_box(
    point_px: Sequence[float], text: str, font: float, position: str, radius: float
) -> Box:
    """Box ``(x0, x1, y0, y1)`` in plot pixels (y up) of the label ``text`` written at
    ``position`` (a plotly ``textposition``) of a point at ``point_px`` whose marker has the
    radius ``radius`` (plotly sets the text ``radius / 0.8 + 1`` pixels off the centre)."""
    w, h = text_width(text, font), 1.25 * font
    gap = radius / 0.8 + 1.0
    vertical, horizontal = position.split()
    x, y = float(point_px[0]), float(point_px[1])
    x0 = x - w / 2 if horizontal == "center" else x + gap if horizontal == "right" else x - gap - w
    y0 = y - h / 2 if vertical == "middle" else y + gap if vertical == "top" else y - gap - h
    return x0, x0 + w, y0, y0 + h


def marker_box(point_px: Sequence[float], radius: float) -> Box:
    """Box ``(x0, x1, y0, y1)`` in plot pixels of a marker of radius ``radius``."""
    x, y = float(point_px[0]), float(point_px[1])
    return x - radius, x + radius, y - radius, y + radius


#: Pixels kept between two labels.
_LABEL_GAP = 4.0


def boxes_overlap(a: Box, b: Box, margin: float = 1.0) -> bool:
    """Whether two boxes overlap (or come closer than ``margin`` pixels)."""
    return not (
        a[1] + margin <= b[0]
        or b[1] + margin <= a[0]
        or a[3] + margin <= b[2]
        or b[3] + margin <= a[2]
    )


def plot_area(size: Any) -> tuple[float, float]:
    """The plot area ``(width, height)`` in pixels of a map, from what the page measured.

    Parameters
    ----------
    size
        ``{"width": w, "height": h}`` in pixels (the ``gene-map-size`` store that
        ``assets/plot_size.js`` fills), or anything else (nothing measured yet, a malformed or
        implausible value).

    Returns
    -------
    (width, height)
        The measured size, or :data:`_PLOT_PX` when ``size`` is not a plausible one.
    """
    if not isinstance(size, dict):
        return _PLOT_PX
    lo, hi = _PLOT_PX_RANGE
    out = []
    for key in ("width", "height"):
        value = size.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _PLOT_PX
        value = float(value)
        if not (np.isfinite(value) and lo <= value <= hi):
            return _PLOT_PX
        out.append(value)
    return out[0], out[1]


#: Plotly's autorange of a scatter of markers leaves 5% of the axis length, plus the radius of
#: the outermost marker, between the outermost points and the edge of the plot.
AUTORANGE_PAD = 0.05


def plot_view(size: Any) -> View | None:
    """The axis ranges the user zoomed the map to, from what the page measured.

    Parameters
    ----------
    size
        The ``gene-map-size`` store (``assets/plot_size.js``): ``{"width", "height"}``, with
        ``"x": [x0, x1]`` and ``"y": [y0, y1]`` while the map is zoomed or panned.

    Returns
    -------
    ((x0, x1), (y0, y1)), or None when the map shows all of its points (autorange) or the
    value is not a plausible view.
    """
    if not isinstance(size, dict):
        return None
    out = []
    for key in ("x", "y"):
        pair = size.get(key)
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in pair):
            return None
        lo, hi = float(pair[0]), float(pair[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            return None
        out.append((lo, hi))
    return out[0], out[1]


def plot_pixels(
    layout: np.ndarray,
    plot_px: tuple[float, float] = _PLOT_PX,
    marker_px: float = 4.0,
    view: View | None = None,
) -> np.ndarray:
    """(n, 2) coordinates -> their place in plot pixels (y up) on a map of ``plot_px``
    (width, height) pixels.

    Autoranged (``view`` None), the points' range spans the plot less plotly's padding
    (:data:`AUTORANGE_PAD` of each side, plus ``marker_px``, the radius of the outer points);
    zoomed, the ``view``'s ranges span it exactly (points outside fall outside the plot)."""
    xy = np.asarray(layout, dtype=np.float64)
    size = np.asarray(plot_px, dtype=np.float64)
    if view is not None:
        lo = np.array([view[0][0], view[1][0]], dtype=np.float64)
        span = np.array([view[0][1], view[1][1]], dtype=np.float64) - lo
        return (xy - lo) / span * size
    lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    pad = AUTORANGE_PAD * size + marker_px
    return pad + (xy - lo) / span * (size - 2 * pad)


def place_labels(
    layout: np.ndarray,
    rows: Sequence[int],
    texts: Sequence[str],
    *,
    radius: float = 9.0,
    font: float = 10.0,
    focus: int | None = None,
    focus_text: str = "",
    focus_radius: float = 12.0,
    focus_font: float = 13.0,
    markers: Sequence[tuple[int, float]] = (),
    plot_px: tuple[float, float] = _PLOT_PX,
    view: View | None = None,
) -> tuple[np.ndarray, list[str], str]:
    """Where to write the labels of ``rows`` (the most important first), off every marker.

    Each label takes the first of :data:`LABEL_POSITIONS` (the direction pointing away from the
    gene in focus first) where it overlaps no highlighted marker (the labelled rings, the focus
    star, ``markers``), no label placed before it, and stays in the plot; a label with no such
    place is left out (hover still names its point). The gene in focus is always labelled
    (off the rings when it can be).

    Parameters
    ----------
    layout
        (n, 2) coordinates of all points; the map spans their range, on a plot of ``plot_px``
        pixels.
    rows
        Rows of the labelled points (markers of radius ``radius`` pixels).
    texts
        Their labels.
    focus, focus_text, focus_radius, focus_font
        The gene in focus (a star), its label, marker radius and font size.
    markers
        Other highlighted markers to keep clear, as ``(row, radius)``.
    plot_px
        (width, height) in pixels of the plot area (the page's, :func:`plot_area`; by default
        :data:`_PLOT_PX`): a larger map leaves room for more labels.
    view
        The axis ranges the map is zoomed to (:func:`plot_view`), or None when it shows all of
        its points: zoomed in, crowded neighbours have room for their labels, and those outside
        the view have none.

    Returns
    -------
    (shown, positions, focus position)
        (len(rows),) bool: the label is written; (len(rows),) textposition of each label; the
        textposition of the focus label, or, when the rings leave no room beside the star, the
        offset (dx, dy) in pixels (y up) of its centre: a label with an arrow
        (:func:`annotation_box`).
    """
    px = plot_pixels(layout, plot_px, view=view)
    rows = [int(r) for r in rows]
    obstacles = [marker_box(px[r], radius) for r in rows]
    obstacles += [marker_box(px[r], rad) for r, rad in markers]
    if focus is not None:
        obstacles.append(marker_box(px[focus], focus_radius))
    width, height = (float(v) for v in plot_px)
    frame = (0.0, width, 0.0, height)  # plotly cuts text at the plot's edge

    def fits(box: Box, taken: list[Box]) -> bool:
        inside = frame[0] <= box[0] and box[1] <= frame[1] and frame[2] <= box[2]
        return (
            inside
            and box[3] <= frame[3]
            and not any(boxes_overlap(box, o) for o in obstacles)
            # names of capitals run wider than the estimate: two labels end to end read as
            # one ("TBX5-AS1TBX4")
            and not any(boxes_overlap(box, o, margin=_LABEL_GAP) for o in taken)
        )

    # the other points, drawn small: a label may cover them, but where it has the choice, it
    # covers the fewest (a name written over dots is hard to read)
    labelled = set(rows) | ({int(focus)} if focus is not None else set())
    others = np.delete(px, sorted(labelled), axis=0) if labelled else px

    def dots_under(box: Box) -> int:
        x, y = others[:, 0], others[:, 1]
        return int(((x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])).sum())

    labels: list[Box] = []
    focus_position: str | tuple[float, float] = "bottom center"
    if focus is not None:
        focus_position, box = _focus_label(px[focus], focus_text, focus_font, focus_radius, fits)
        labels.append(box)
    shown = np.zeros(len(rows), dtype=bool)
    positions = ["top center"] * len(rows)
    for i, (r, t) in enumerate(zip(rows, texts, strict=True)):
        if not (0.0 <= px[r][0] <= width and 0.0 <= px[r][1] <= height):
            continue  # out of the view zoomed to: plotly draws neither the ring nor its label
        away = px[r] - px[focus] if focus is not None else np.zeros(2)
        norm = float(np.hypot(*away))
        away = away / norm if norm > 1e-9 else np.array([0.0, 1.0])
        order = sorted(LABEL_POSITIONS, key=lambda p: -float(np.dot(LABEL_POSITIONS[p], away)))
        # inside the plot or not at all: the edge of the plot cuts a label, and a cut name
        # reads as another gene (ONECUT1 as "CUT1"); hover still names the ring
        best: tuple[int, str, Box] | None = None
        for pos in order:  # the first clear place that covers the fewest other points
            box = label_box(px[r], str(t), font, pos, radius)
            if fits(box, labels):
                under = dots_under(box)
                if best is None or under < best[0]:
                    best = (under, pos, box)
                if under == 0:
                    break
        if best is not None:
            shown[i], positions[i] = True, best[1]
            labels.append(best[2])
    return shown, positions, focus_position


def annotation_box(
    point_px: Sequence[float], text: str, font: float, offset: Sequence[float]
) -> Box:
    """Box ``(x0, x1, y0, y1)`` in plot pixels (y up) of a label written as an annotation whose
    centre lies ``offset`` (dx, dy) pixels from the point (with its 3-pixel padding)."""
    w, h = 0.62 * font * len(text) + 6.0, 1.25 * font + 6.0
    x, y = float(point_px[0]) + float(offset[0]), float(point_px[1]) + float(offset[1])
    return x - w / 2, x + w / 2, y - h / 2, y + h / 2


def _focus_label(
    point: np.ndarray, text: str, font: float, radius: float, fits: Any
) -> tuple[str | tuple[float, float], Box]:
    """Where the focus label goes: a text position beside the star when one is clear, else an
    offset (dx, dy) in pixels of a label with an arrow, further out (neighbours crowd the star);
    with its box."""
    for pos in ("bottom center", "top center", *LABEL_POSITIONS):
        box = label_box(point, text, font, pos, radius)
        if fits(box, []):
            return pos, box
    for distance in (35.0, 50.0, 65.0, 80.0, 100.0, 120.0):
        for angle in np.linspace(-np.pi / 2, 1.5 * np.pi, 16, endpoint=False):
            offset = (distance * float(np.cos(angle)), distance * float(np.sin(angle)))
            box = annotation_box(point, text, font, offset)
            if fits(box, []):
                return offset, box
    return "bottom center", label_box(point, text, font, "bottom center", radius)


def spaced_labels(
    layout: np.ndarray,
    rows: Sequence[int],
    texts: Sequence[str],
    font: float = 10.0,
    plot_px: tuple[float, float] = _PLOT_PX,
) -> np.ndarray:
    """Which labels of ``rows`` (the most important first) :func:`place_labels` writes on a
    plot of ``plot_px`` pixels: (len(rows),) bool."""
    return place_labels(layout, rows, texts, font=font, plot_px=plot_px)[0]


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
) -> go.Figure:
    """The same samples in several 2-D maps side by side, coloured by one category.

    Parameters
    ----------
    maps
        name -> (n_samples, 2) coordinates (e.g. FE, PCA, NMF, t-SNE, UMAP).
    labels
        (n_samples,) category per sample.
    accuracy
        name -> {"mean", "sd"}: 1-NN accuracy shown in each panel title.
    columns
        Maps per row (default: all in one row); a file of a page's shape takes a grid
        (:func:`panel_columns`).
    title
        The figure's title (a file has one; the page names the maps in its card).
    height
        The height (pixels) the figure will be drawn at: the rows of a grid keep room for the
        panel titles between them (a fixed share of a short figure was too little).
    """
    from plotly.subplots import make_subplots

    names = list(maps)
    if not names:
        return empty_figure("no baseline maps yet")
    accuracy = accuracy or {}

    def panel_title(n: str) -> str:
        # what is scored, in the words of the table and its note under the maps ("1-NN 0.30 ±
        # 0.03" did not say that the tissue is guessed); short enough for a journal column
        a = accuracy.get(n)
        if a and np.isfinite(a.get("mean", np.nan)):
            return (
                f"{n}<br><sup>1-NN {_escape(label_name)} accuracy "
                f"{a['mean']:.2f} ± {a['sd']:.2f}</sup>"
            )
        return n

    n_cols = min(max(int(columns or len(names)), 1), len(names))
    n_rows = -(-len(names) // n_cols)
    spacing = 0.0
    if n_rows > 1:  # room for a panel's two-line title under the row above
        grid = (height or 360 * n_rows) - 70.0
        spacing = float(np.clip(48.0 / max(grid, 1.0), 0.12, min(0.3, 0.9 / (n_rows - 1))))
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=[panel_title(n) for n in names],
        vertical_spacing=spacing,
    )
    lab = np.array(["unlabelled" if _missing(v) else str(v) for v in labels], dtype=object)
    # unlabelled last, as on the sample map: a tissue has the same colour in both
    cats = sorted(np.unique(lab), key=lambda c: (c == "unlabelled", _natural_key(c)))
    counts = dict(zip(*np.unique(lab, return_counts=True), strict=True))
    scatter = go.Scattergl if webgl else go.Scatter
    size = max(2.0, marker_size(len(lab)) - 1)
    for panel, name in enumerate(names):
        row, col = panel // n_cols + 1, panel % n_cols + 1
        xy = np.asarray(maps[name], dtype=np.float32)
        for i, cat in enumerate(cats):
            m = lab == cat
            fig.add_trace(
                scatter(
                    x=xy[m, 0],
                    y=xy[m, 1],
                    mode="markers",
                    marker=dict(
                        size=size,
                        color=MISSING_COLOR if cat == "unlabelled" else PALETTE[i % len(PALETTE)],
                    ),
                    name=wrap_title(f"{cat} ({counts[cat]:,})"),
                    legendgroup=cat,
                    showlegend=panel == 0,
                    hovertemplate=_escape(cat) + "<extra>" + name + "</extra>",
                ),
                row=row,
                col=col,
            )
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    # each map drawn at 1:1, as 1-NN reads it (a wide panel stretched a unit-variance map)
    fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor or "x", scaleratio=1))
    fig.update_layout(
        template="plotly_white",
        font=dict(family=FONT, size=11),
        margin=dict(l=10, r=10, t=60, b=10),
        legend=dict(
            title=dict(text=label_name), itemsizing="constant", font=dict(size=10), tracegroupgap=0
        ),
        height=360 * n_rows,
    )
    if title:
        base = _base_layout(title, "", "", "")["title"]
        fig.update_layout(title=base, margin_t=60 + 40)
    return fig


#: Label of every figure of simulated data (on screen and exported).
SIMULATED_LABEL = "SIMULATED DATA"


def set_ranges(fig: go.Figure, ranges: dict[str, Any] | None) -> go.Figure:
    """Zoom ``fig`` to ``ranges`` (``{"x": [lo, hi], "y": [lo, hi]}``; an axis absent: its
    whole extent)."""
    for axis, rng in (ranges or {}).items():
        if axis in ("x", "y") and rng:
            fig.update_layout({f"{axis}axis": dict(range=list(rng), autorange=False)})
    return fig


def mark_simulated(fig: go.Figure) -> go.Figure:
    """Label ``fig`` as showing simulated data, first in its title (kept by every export and by
    the colour ``Patch``); returns it."""
    label = f"<span style='color:#b45309'><b>{SIMULATED_LABEL}</b></span>"
    title = fig.layout.title.text
    if title:
        fig.update_layout(title_text=f"{label} · {title}")
    else:  # room above subplot titles (baseline maps)
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 40
        fig.update_layout(
            title=dict(text=label, x=0.01, xanchor="left", y=0.99, yanchor="top"),
            margin=dict(t=top + 30),
        )
    return fig


def empty_figure(message: str) -> go.Figure:
    """A blank figure that shows ``message`` (waiting, no data...)."""
    fig = go.Figure()
    fig.update_layout(
        template="plotly_white",
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        margin=dict(l=10, r=10, t=10, b=10),
        annotations=[
            dict(
                text=message,
                x=0.5,
                y=0.5,
                xref="paper",
                yref="paper",
                showarrow=False,
                font=dict(size=14, color="#666"),
            )
        ],
    )
    return fig


#: Pixels between an exported figure's x axis and its numbers (plotly's default: 0 and a few).
X_TICK_STANDOFF = 6


def for_export(
    fig: go.Figure,
    width: int,
    height: int,
    max_height: int | None = None,
    legend_below: bool = False,
) -> go.Figure:
    """A copy of ``fig`` fit for a file: vector traces, no probe grid, fixed size, and a legend
    that shows every entry (:func:`fit_legend`, which grows the figure up to ``max_height`` for
    a legend under the plot; on screen a long legend scrolls, in a file it would be cut)."""
    out = go.Figure(fig)
    data = []
    for tr in out.data:
        if tr.name == "probe grid":
            continue
        if isinstance(tr, go.Scattergl):
            d = tr.to_plotly_json()
            d.pop("type", None)
            tr = go.Scatter(**d)
        data.append(tr)
    out = go.Figure(data=data, layout=out.layout)
    out.update_layout(width=width, height=height, uirevision=None, dragmode=False)
    out.layout.legend.maxheight = None  # the page's (fit_page_legend): a file fits its own
    # the x axis' numbers a little further down: at the corner of a zoomed map the first of
    # each axis (both "−1") were drawn over each other
    out.for_each_xaxis(lambda axis: axis.update(ticklabelstandoff=X_TICK_STANDOFF))
    fit_title(out, width)
    fit_legend(out, height, max_height, below=legend_below)
    return out


#: A tag of plotly's HTML subset (``<b>``, ``</sup>``, ``<span style='...'>``, ``<br />``); a
#: ``<`` that starts none (``p < 0.05``) is text.
_TAG = r"</?[A-Za-z][^<>]*>"
#: A line break as plotly reads it (``<br>``, ``<br/>``, ``<BR />``).
_BREAK = r"<br\s*/?>"


def _visible_length(html_text: str) -> int:
    """Characters of ``html_text`` as drawn (tags left out, an entity one character)."""
    import re

    return len(re.sub(r"&[a-zA-Z#0-9]+;", "x", re.sub(_TAG, "", html_text)))


def fit_title(fig: go.Figure, width: int) -> None:
    """Break a title too long for ``width`` pixels into lines at spaces (not inside its tags),
    with the top margin the lines need (in place): a file's title was cut at its right edge."""
    import re

    text = fig.layout.title.text
    if not text:
        return
    size = float(fig.layout.title.font.size or fig.layout.font.size or 12)
    chars = max(int((width - 30) / (0.55 * size)), 12)
    parts = re.split(_BREAK, str(text), flags=re.IGNORECASE)  # lines the title already has
    lines: list[str] = []
    for part in parts:
        words = re.findall(rf"(?:{_TAG}|[^\s<]|<)+", part)  # a word keeps its tags whole
        line: list[str] = []
        prefix = ""  # the tags still open where the line before was broken, reopened
        opened: list[str] = []
        for word in words:
            if line and _visible_length(" ".join([*line, word])) > chars:
                names = [re.match(r"</?([A-Za-z]\w*)", t).group(1) for t in opened]
                lines.append(prefix + " ".join(line) + "".join(f"</{n}>" for n in names[::-1]))
                prefix, line = "".join(opened), []
            line.append(word)
            for tag in re.findall(_TAG, word):
                if tag.startswith("</"):
                    opened = opened[:-1]
                elif not tag.endswith("/>"):
                    opened.append(tag)
        lines.append(prefix + " ".join(line))
    if len(lines) == len(parts):
        return  # every line fits
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    fig.update_layout(
        title_text="<br>".join(lines),
        margin_t=int(top + (len(lines) - len(parts)) * 1.25 * size),
    )


def export_plot_area(fig: go.Figure) -> dict[str, float]:
    """The plot area ``{"width", "height"}`` (pixels) of an exported figure (after
    :func:`for_export`, which fixes its size and legend): its size less the margins and, for a
    legend beside the plot, an estimate of the legend's width (the font's average character
    width times the longest entry, and the symbol). For :func:`plot_area`, so that the labels of
    a file are spaced for the file, not for the page."""
    layout = fig.layout
    margin = layout.margin

    def edge(value: Any) -> float:
        return float(value) if value is not None else 80.0  # plotly's default margin

    width = float(layout.width or 700) - edge(margin.l) - edge(margin.r)
    height = float(layout.height or 450) - edge(margin.t) - edge(margin.b)
    names = [str(tr.name) for tr in fig.data if tr.showlegend is not False and tr.name]
    if layout.showlegend is not False and names and layout.legend.orientation != "h":
        font = float(layout.legend.font.size or layout.font.size or 12)
        title = str(layout.legend.title.text or "")
        longest = max(len(line) for n in [*names, title] for line in n.split("<br>"))
        width -= 0.55 * font * longest + _LEGEND_SYMBOL
        width /= 1.02  # the legend starts at x = 1.02 of the plot's width
    # a little under the area drawn (axis labels take some room): on this project's exports,
    # 7 px narrower and 1 px lower than plotly draws them (checked in the SVG files), the x
    # axis' numbers set apart by X_TICK_STANDOFF
    return {"width": width - 10.0, "height": height - 12.0 - X_TICK_STANDOFF}


def name_dataset(fig: go.Figure, text: str) -> go.Figure:
    """Say which data a figure shows, under its title (a figure file travels without the page
    that named the dataset); returns ``fig``."""
    if not text:
        return fig
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 40
    size = 11 if fig.layout.title.text else 12
    # broken into lines for the figure's width: on an 85 mm file the model's key was cut off
    text = wrap_title(text, max(int(((fig.layout.width or 1000) - 30) / (0.55 * size)), 12))
    extra = int(round(1.3 * size * text.count("<br>")))
    if fig.layout.title.text:
        fig.update_layout(
            title_subtitle=dict(text=text, font=dict(size=size, color="#555")),
            margin_t=top + 18 + extra,
        )
    else:  # subplot titles only (baseline maps): the dataset line is the title
        fig.update_layout(
            title=dict(text=text, x=0.01, xanchor="left", y=0.99, yanchor="top", font_size=size),
            margin_t=top + 24 + extra,
        )
    return fig


def add_title_line(fig: go.Figure, text: str) -> go.Figure:
    """A line added under ``fig``'s title, with the room it takes at the top (in place): added
    alone, it lay over the dataset line and the highest tick."""
    size = float(fig.layout.title.font.size or fig.layout.font.size or 12)
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    fig.update_layout(
        title_text=f"{fig.layout.title.text or ''}<br>{text}",
        margin_t=int(top + 1.25 * size),
    )
    return fig


#: Tallest a map grows for its legend in the page (pixels): on a window 900 pixels tall the
#: map and its legend still show whole.
MAX_PAGE_MAP_PX = 820


#: Pixels kept free under a legend that reaches the foot of a map in the page.
_LEGEND_FOOT = 4


def page_legend_height(fig: go.Figure) -> float:
    """Height in pixels of the vertical legend of ``fig`` as plotly draws it in the page: a
    row of ``max(1.3 * font * lines, 16) + 3`` per entry, the title's lines, 10 pixels of
    gaps; 0 without a legend."""
    layout = fig.layout
    names = [str(tr.name) for tr in fig.data if tr.showlegend is not False and tr.name]
    if layout.showlegend is False or len(names) < 2 or layout.legend.orientation == "h":
        return 0.0
    font = float(layout.legend.font.size or layout.font.size or 12)
    rows = sum(max(1.3 * font * (n.count("<br>") + 1), 16.0) + 3.0 for n in names)
    title = str(layout.legend.title.text or "")
    if title:
        rows += 1.3 * font * (title.count("<br>") + 1) + 3.0
    return rows + 10.0


def fit_page_legend(fig: go.Figure, height: int = MAP_HEIGHT_PX) -> go.Figure:
    """Let every entry of the map's legend show in the page, without a scroll bar (in place).

    plotly bounds a vertical legend to the plot area's height, and 26 GTEx tissues scrolled
    from "Testis" on. The legend may reach down to the figure's foot, beside the x axis'
    title, and the figure grows taller when even that is too short (26 tissues: about 30
    pixels), so that the map keeps its size; the page's ``.map`` box grows with it. A legend
    longer than a window (more than about 40 entries) would make the map taller than the
    window: it keeps the figure at most :data:`MAX_PAGE_MAP_PX` tall, and scrolls.
    """
    legend = page_legend_height(fig)
    if not legend:
        return fig
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    needed = int(np.ceil(top + legend + _LEGEND_FOOT))
    grown = int(min(max(height, needed), max(height, MAX_PAGE_MAP_PX)))
    # a maxheight above 1 is in pixels (at most 1: a fraction of the plot area's height)
    fig.update_layout(height=grown, legend=dict(maxheight=grown - top - _LEGEND_FOOT))
    return fig


#: Height of a legend entry beyond its font size (pixels; plotly draws 19 for a font of 10).
_LEGEND_ENTRY_PAD = 9
#: Width of a legend entry's symbol and gaps, and height of a row of a horizontal legend (px).
_LEGEND_SYMBOL = 40
_LEGEND_ROW = 19


def fit_legend(
    fig: go.Figure, height: int, max_height: int | None = None, below: bool = False
) -> None:
    """Make every legend entry of ``fig`` fit in ``height`` pixels (in place).

    A smaller font when that is enough (down to 7 px), else a horizontal legend under the plot,
    in columns of fixed width. With ``max_height`` above ``height`` (a journal column: its width
    is fixed, not its height) the figure grows taller by the legend's height, up to
    ``max_height``, so that the plot keeps its size (the legend took it from the plot, and 26
    tissues under a single-column map left the map 70 pixels tall); else the legend takes its
    room from the plot (at most 70% of the figure). ``below``: under the plot whatever its
    length (a figure laid out for it). ``fig.layout.height`` is the file's height.
    """
    names = [tr.name for tr in fig.data if tr.showlegend is not False and tr.name]
    if len(names) < 2:
        return
    layout = fig.layout
    size = layout.legend.font.size or layout.font.size or 12
    margin_t = layout.margin.t if layout.margin.t is not None else 80
    margin_b = layout.margin.b if layout.margin.b is not None else 80
    room = height - margin_t - margin_b
    if layout.legend.title.text:  # a wrapped title (wrap_title) takes a row per line
        room -= (size + _LEGEND_ENTRY_PAD) * (layout.legend.title.text.count("<br>") + 1)
    lines = sum(str(n).count("<br>") + 1 for n in names)  # long names are wrapped (wrap_title)
    if lines * (size + _LEGEND_ENTRY_PAD) <= room and not below:
        return
    smaller = int(room / lines) - _LEGEND_ENTRY_PAD
    if smaller >= 7 and not below:
        fig.update_layout(legend=dict(font=dict(size=smaller), tracegroupgap=0))
        return
    width = fig.layout.width or 1000
    longest = max(len(line) for n in names for line in str(n).split("<br>"))
    entry_lines = [str(n).count("<br>") + 1 for n in names]  # a wrapped entry's lines
    axis = 60 if layout.xaxis.title.text else 20  # the x axis' title above the legend
    grow = max(int(max_height or height) - height, 0)  # pixels the figure may grow by
    for font in (10, 9, 8, 7):
        text = int(0.5 * font * longest)  # the text of the longest entry; a symbol beside it
        per_row = max(1, int((width - 60) / (text + _LEGEND_SYMBOL)))
        # entries fill the rows in order; a row is as tall as its tallest entry (charging
        # every row the tallest of all left a blank band of 54 mm above GTEx's detailed tissues)
        heights = sum(
            max(entry_lines[i : i + per_row]) for i in range(0, len(entry_lines), per_row)
        )
        below = (heights + 1) * _LEGEND_ROW  # the entries and the legend title
        under = below + axis
        fits = (under - margin_b <= grow) if grow else (under <= 0.6 * height)
        if fits:
            break
    if grow:
        under = min(under, margin_b + grow)
    else:
        under = min(under, 0.7 * height)
    fig.update_layout(
        legend=dict(
            orientation="h",
            xref="container",
            yref="container",
            x=0.01,
            xanchor="left",
            y=0.01,
            yanchor="bottom",
            font=dict(size=font),
            entrywidth=text,
            entrywidthmode="pixels",
            tracegroupgap=0,
            title=dict(side="top left"),
        ),
        margin=dict(b=int(under)),
        height=int(height + max(under - margin_b, 0)) if grow else height,
    )


#: Characters per line of a legend title (a long GO term name took half the map's width) and
#: of a legend entry (GTEx's detailed tissue names, up to 45 characters, left the map 40% of
#: its card).
LEGEND_TITLE_WIDTH = 28


def wrap_title(text: str, width: int = LEGEND_TITLE_WIDTH) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces (``<br>``), for a
    legend title; a word longer than ``width`` keeps its own line."""
    import textwrap

    lines = textwrap.wrap(str(text), width=width, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(lines) if lines else str(text)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return str(v).strip() in ("", "nan", "NaN", "None", "<NA>")


def _natural_key(s: str) -> tuple:
    import re

    return tuple(int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(s)))


def _escape(s: str) -> str:
    return str(s).replace("<", "&lt;").replace(">", "&gt;")


#: ``meta`` of the trace of placed samples (stars).
PLACED_META = "placed-samples"


#: Legend rank of the placed samples' stars: above every category (ranked from 1000).
PLACED_LEGEND_RANK = 999


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
